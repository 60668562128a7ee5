#include "rpc/static_site.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <system_error>
#include <utility>

#include "crypto/hash.h"
#include "util/bytes.h"

namespace cairn::rpc {

namespace {

namespace fs = std::filesystem;

// The ETag is this many bytes of the file's BLAKE3 hash in hex: plenty to tell versions apart.
constexpr size_t kEtagHashBytes = 16;

struct ContentType {
  std::string_view extension;
  std::string_view type;
};
constexpr std::array<ContentType, 10> kContentTypes{{
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
}};

std::optional<std::string_view> content_type_of(const fs::path& file) {
  const std::string extension = file.extension().string();
  for (const auto& entry : kContentTypes) {
    if (entry.extension == extension) return entry.type;
  }
  return std::nullopt;
}

// A name we serve: letters, digits, '.', '_' and '-', not starting with '.' (no dotfiles, and
// nothing a URL would have to escape, so the request path is compared as it comes).
bool servable_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Result<std::string> read_bounded(const fs::path& file, size_t size) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{ErrorCode::io, "explorer: cannot open '" + file.string() + "'"};
  std::string body(size, '\0');
  in.read(body.data(), static_cast<std::streamsize>(size));
  // A file that grew or shrank between stat and read is refused rather than half served.
  if (static_cast<size_t>(in.gcount()) != size || in.peek() != std::char_traits<char>::eof()) {
    return Error{ErrorCode::io, "explorer: '" + file.string() + "' changed while being read"};
  }
  return body;
}

std::string etag_of(std::string_view body) {
  const Hash256 digest = blake3(as_bytes(body));
  return "\"" + to_hex(ByteSpan(digest.bytes.data(), kEtagHashBytes)) + "\"";
}

// RFC 9110 §13.1.2: If-None-Match is `*` or a list of entity tags, compared weakly (a W/
// prefix is ignored).
bool etag_listed(std::string_view field, std::string_view etag) {
  size_t pos = 0;
  while (pos < field.size()) {
    size_t end = field.find(',', pos);
    if (end == std::string_view::npos) end = field.size();
    std::string_view item = field.substr(pos, end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

Result<StaticSite> StaticSite::open(fs::path dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error{ErrorCode::not_found, "explorer: '" + dir.string() + "' is not a directory"};
  }
  // "explorer/" and "explorer" alike: the URL paths are the files' paths relative to it.
  if (!dir.has_filename()) dir = dir.parent_path();
  StaticSite site;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return Error{ErrorCode::io, "explorer: cannot list '" + dir.string() + "': " + ec.message()};
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Error{ErrorCode::io, "explorer: cannot list '" + dir.string() + "': " + ec.message()};
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    const fs::file_status status = entry.symlink_status(ec);
    if (ec)
      return Error{ErrorCode::io, "explorer: cannot stat '" + entry.path().string() + "': " + ec.message()};
    if (fs::is_directory(status)) {
      if (!servable_name(name) || it.depth() >= kMaxStaticSiteDepth) it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_regular_file(status) || !servable_name(name)) continue;
    const auto type = content_type_of(entry.path());
    if (!type) continue;

    if (site.files_.size() == kMaxStaticFiles) {
      return Error{ErrorCode::limit, "explorer: '" + dir.string() + "' has more than " +
                                         std::to_string(kMaxStaticFiles) + " files to serve"};
    }
    const uintmax_t size = entry.file_size(ec);
    if (ec)
      return Error{ErrorCode::io, "explorer: cannot stat '" + entry.path().string() + "': " + ec.message()};
    if (size > kMaxStaticFileBytes) {
      return Error{ErrorCode::limit, "explorer: '" + entry.path().string() + "' is larger than " +
                                         std::to_string(kMaxStaticFileBytes) + " bytes"};
    }
    if (site.total_bytes_ + size > kMaxStaticSiteBytes) {
      return Error{ErrorCode::limit, "explorer: the files of '" + dir.string() + "' are larger than " +
                                         std::to_string(kMaxStaticSiteBytes) + " bytes together"};
    }
    CAIRN_TRY(std::string body, read_bounded(entry.path(), static_cast<size_t>(size)));
    site.total_bytes_ += body.size();
    std::string url = "/" + entry.path().lexically_relative(dir).generic_string();
    std::string etag = etag_of(body);
    site.files_.emplace(std::move(url), File{std::string(*type), std::move(etag), std::move(body)});
  }
  if (!site.files_.contains("/index.html")) {
    return Error{ErrorCode::not_found, "explorer: '" + dir.string() + "' has no index.html"};
  }
  return site;
}

std::optional<Page> StaticSite::serve(const PageRequest& request) const {
  const std::string_view path = request.path == "/" ? std::string_view("/index.html") : request.path;
  const auto found = files_.find(path);
  if (found == files_.end()) return std::nullopt;
  const File& file = found->second;

  Page page;
  page.content_type = file.content_type;
  page.headers = {
      {"ETag", file.etag},
      {"Cache-Control", "no-cache"},
      {"Content-Security-Policy", kStaticSiteContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
  if (request.if_none_match && etag_listed(*request.if_none_match, file.etag)) {
    page.status = 304;
    return page;
  }
  page.body = file.body;
  return page;
}

}  // namespace cairn::rpc
