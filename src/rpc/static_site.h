// StaticSite: the block explorer's static files (explorer/ in the source tree,
// /usr/share/cairn/explorer when installed), served at / of the RPC listener through its
// PageHandler (api.h; docs/explorer.md).
//
// open() reads every servable file of the directory once into memory, within the bounds
// below; serve() then answers from memory and never touches the file system, so editing the
// files needs a restart. Only exact file paths are served: `/` is index.html, there are no
// directory listings, no dotfiles, no symlinks and nothing outside the directory (a path is
// looked up as a whole in the set of files read, so `..` and percent-escapes match nothing).
// Every page carries a strict Content-Security-Policy (scripts, styles and connections of the
// same origin only; 'self' in connect-src also admits the same host's ws:/wss:), nosniff,
// no-referrer, `Cache-Control: no-cache` and a strong ETag; a matching If-None-Match gets 304.
//
// Thread-safety: immutable after open(); serve() may be called from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/api.h"
#include "util/result.h"

namespace cairn::rpc {

// Bounds on what open() reads: it refuses a directory beyond them (the explorer is ~100 KiB).
inline constexpr size_t kMaxStaticSiteBytes = 8 * 1024 * 1024;  // all files together
inline constexpr size_t kMaxStaticFileBytes = 2 * 1024 * 1024;  // one file
inline constexpr size_t kMaxStaticFiles = 256;
inline constexpr int kMaxStaticSiteDepth = 4;  // subdirectory levels below the root

// The Content-Security-Policy of every page.
inline constexpr const char* kStaticSiteContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

class StaticSite {
 public:
  // Reads the servable files under `dir`: regular files with a known extension (html, css, js,
  // mjs, json, svg, png, ico, txt, webmanifest) and names of letters, digits, '.', '_' and
  // '-' not starting with '.'; other entries (dotfiles, symlinks, unknown extensions) are left
  // out. Errors: `dir` missing or not a directory, no index.html, a limit above exceeded, or
  // a read failure (each naming the path).
  static Result<StaticSite> open(std::filesystem::path dir);

  // The page for a GET or HEAD of request.path, or nullopt (the server's 404) when no file
  // has that exact path. When the request's If-None-Match lists this file's ETag (or is `*`)
  // the answer is 304 without a body.
  std::optional<Page> serve(const PageRequest& request) const;

  size_t file_count() const { return files_.size(); }
  size_t total_bytes() const { return total_bytes_; }

 private:
  struct File {
    std::string content_type;
    std::string etag;  // quoted, e.g. "\"3f2a…\""
    std::string body;
  };
  StaticSite() = default;

  std::map<std::string, File, std::less<>> files_;  // by URL path: "/index.html", "/js/app.js"
  size_t total_bytes_ = 0;
};

}  // namespace cairn::rpc
