#include "rpc/static_site.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace cairn::rpc {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string header(const Page& page, std::string_view name) {
  for (const auto& [key, value] : page.headers) {
    if (key == name) return value;
  }
  return {};
}

PageRequest get(std::string_view path) {
  PageRequest request;
  request.path = path;
  return request;
}

// A small site: index, a stylesheet, a module in a subdirectory.
class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir_.path() / "index.html", "<!doctype html><title>x</title>");
    write(dir_.path() / "css" / "site.css", "body{}");
    write(dir_.path() / "js" / "app.js", "export const x = 1;");
  }
  StaticSite open() {
    auto site = StaticSite::open(dir_.path());
    EXPECT_TRUE(site) << site.error().message;
    return std::move(site).value();
  }
  TempDir dir_;
};

TEST_F(StaticSiteTest, RootIsIndexAndFilesHaveTheirTypes) {
  const StaticSite site = open();
  EXPECT_EQ(site.file_count(), 3u);
  auto root = site.serve(get("/"));
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200u);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root->body, "<!doctype html><title>x</title>");
  auto index = site.serve(get("/index.html"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, root->body);

  auto css = site.serve(get("/css/site.css"));
  ASSERT_TRUE(css);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(css->body, "body{}");
  auto js = site.serve(get("/js/app.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
}

TEST_F(StaticSiteTest, TrailingSlashOnTheDirectoryMakesNoDifference) {
  auto site = StaticSite::open(dir_.path() / "");  // "/tmp/x/"
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_TRUE(site->serve(get("/css/site.css")));
  EXPECT_TRUE(site->serve(get("/")));
}

TEST_F(StaticSiteTest, SecurityAndCachingHeaders) {
  const StaticSite site = open();
  auto page = site.serve(get("/"));
  ASSERT_TRUE(page);
  EXPECT_EQ(header(*page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(*page, "Referrer-Policy"), "no-referrer");
  const std::string csp = header(*page, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);  // no unsafe-inline, no unsafe-eval
  const std::string etag = header(*page, "ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_NE(etag, header(*site.serve(get("/css/site.css")), "ETag"));
}

TEST_F(StaticSiteTest, MatchingIfNoneMatchIsNotModified) {
  const StaticSite site = open();
  const std::string etag = header(*site.serve(get("/")), "ETag");
  for (const std::string& field : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    PageRequest request = get("/");
    request.if_none_match = field;
    auto page = site.serve(request);
    ASSERT_TRUE(page) << field;
    EXPECT_EQ(page->status, 304u) << field;
    EXPECT_TRUE(page->body.empty()) << field;
    EXPECT_EQ(header(*page, "ETag"), etag) << field;
  }
  for (const std::string& field : {std::string("\"other\""), std::string(), etag.substr(1)}) {
    PageRequest request = get("/");
    request.if_none_match = field;
    auto page = site.serve(request);
    ASSERT_TRUE(page) << field;
    EXPECT_EQ(page->status, 200u) << field;
    EXPECT_FALSE(page->body.empty()) << field;
  }
}

TEST_F(StaticSiteTest, OnlyExactPathsAreServed) {
  write(dir_.path() / ".secret.html", "hidden");
  write(dir_.path() / ".git" / "config.txt", "hidden");
  write(dir_.path() / "notes.bak", "unknown extension");
  write(dir_.path() / "with space.html", "needs escaping");
  write(dir_.path().parent_path() / (dir_.path().filename().string() + "-outside.html"), "outside");
  const fs::path outside = dir_.path().parent_path() / (dir_.path().filename().string() + "-outside.html");
  ASSERT_EQ(::symlink(outside.c_str(), (dir_.path() / "link.html").c_str()), 0);
  const StaticSite site = open();
  fs::remove(outside);
  EXPECT_EQ(site.file_count(), 3u);
  for (const char* path :
       {"", "/css", "/css/", "/js/", "//index.html", "/./index.html", "/css/../index.html", "/../index.html",
        "/%69ndex.html", "/index.html/", "/INDEX.HTML", "/.secret.html", "/.git/config.txt", "/notes.bak",
        "/with space.html", "/with%20space.html", "/link.html", "index.html", "/index.html?x=1"}) {
    EXPECT_FALSE(site.serve(get(path))) << path;
  }
}

TEST_F(StaticSiteTest, HeadGetsTheSamePage) {
  const StaticSite site = open();
  PageRequest request = get("/js/app.js");
  request.head = true;
  auto head = site.serve(request);
  auto body = site.serve(get("/js/app.js"));
  ASSERT_TRUE(head && body);
  EXPECT_EQ(head->body, body->body);  // the server drops the body of a HEAD, keeping its length
  EXPECT_EQ(header(*head, "ETag"), header(*body, "ETag"));
}

TEST(StaticSite, MissingDirectoryOrIndexIsAnError) {
  TempDir dir;
  auto missing = StaticSite::open(dir.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  write(dir.path() / "app.js", "x");
  auto no_index = StaticSite::open(dir.path());
  ASSERT_FALSE(no_index);
  EXPECT_NE(no_index.error().message.find("index.html"), std::string::npos);
}

TEST(StaticSite, FileSizeLimitAtTheBoundary) {
  TempDir dir;
  write(dir.path() / "index.html", std::string(kMaxStaticFileBytes, 'a'));
  auto at_limit = StaticSite::open(dir.path());
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_EQ(at_limit->total_bytes(), kMaxStaticFileBytes);
  write(dir.path() / "index.html", std::string(kMaxStaticFileBytes + 1, 'a'));
  auto over = StaticSite::open(dir.path());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(StaticSite, TotalSizeLimitAtTheBoundary) {
  TempDir dir;
  constexpr size_t kFiles = kMaxStaticSiteBytes / kMaxStaticFileBytes;
  static_assert(kFiles * kMaxStaticFileBytes == kMaxStaticSiteBytes);
  write(dir.path() / "index.html", std::string(kMaxStaticFileBytes, 'a'));
  for (size_t i = 1; i < kFiles; ++i) {
    write(dir.path() / ("f" + std::to_string(i) + ".js"), std::string(kMaxStaticFileBytes, 'a'));
  }
  auto at_limit = StaticSite::open(dir.path());
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_EQ(at_limit->total_bytes(), kMaxStaticSiteBytes);
  write(dir.path() / "one-more.txt", "x");
  auto over = StaticSite::open(dir.path());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(StaticSite, FileCountLimitAtTheBoundary) {
  TempDir dir;
  write(dir.path() / "index.html", "i");
  for (size_t i = 1; i < kMaxStaticFiles; ++i) write(dir.path() / ("f" + std::to_string(i) + ".js"), "x");
  auto at_limit = StaticSite::open(dir.path());
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_EQ(at_limit->file_count(), kMaxStaticFiles);
  write(dir.path() / "extra.js", "x");
  auto over = StaticSite::open(dir.path());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(StaticSite, DepthLimitAtTheBoundary) {
  TempDir dir;
  write(dir.path() / "index.html", "i");
  fs::path deepest = dir.path();
  for (int level = 0; level < kMaxStaticSiteDepth; ++level) deepest /= "d";
  write(deepest / "in.js", "x");            // kMaxStaticSiteDepth levels down: served
  write(deepest / "d" / "beyond.js", "x");  // one more: left out
  auto site = StaticSite::open(dir.path());
  ASSERT_TRUE(site) << site.error().message;
  std::string in = "/";
  for (int level = 0; level < kMaxStaticSiteDepth; ++level) in += "d/";
  EXPECT_TRUE(site->serve(get(in + "in.js")));
  EXPECT_FALSE(site->serve(get(in + "d/beyond.js")));
}

}  // namespace
}  // namespace cairn::rpc
