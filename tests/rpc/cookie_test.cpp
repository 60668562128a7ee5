#include "rpc/cookie.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace cairn::rpc {
namespace {

TEST(Cookie, WrittenPrivateAndReadBack) {
  TempDir dir;
  const auto file = dir.path() / kCookieFileName;
  auto secret = write_cookie(file);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(secret->size(), 2 * kCookieSecretBytes);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto credentials = read_cookie(file);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->user, kCookieUser);
  EXPECT_EQ(credentials->password, *secret);
}

TEST(Cookie, EachStartGetsANewSecret) {
  TempDir dir;
  const auto file = dir.path() / kCookieFileName;
  auto first = write_cookie(file);
  auto second = write_cookie(file);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(read_cookie(file)->password, *second);
}

TEST(Cookie, MissingFileSaysWhatToCheck) {
  TempDir dir;
  auto credentials = read_cookie(dir.path() / kCookieFileName);
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().code, ErrorCode::not_found);
  EXPECT_NE(credentials.error().message.find("is cairnd running"), std::string::npos);
}

TEST(Cookie, MalformedFileIsRefused) {
  TempDir dir;
  const auto file = dir.path() / kCookieFileName;
  for (const char* text : {"", "no-colon\n", ":secret\n", "user:\n"}) {
    remove_cookie(file);
    { std::ofstream(file) << text; }
    ::chmod(file.c_str(), 0600);
    auto credentials = read_cookie(file);
    ASSERT_FALSE(credentials) << text;
    EXPECT_EQ(credentials.error().code, ErrorCode::decode) << text;
  }
}

TEST(Cookie, RemoveIsIdempotent) {
  TempDir dir;
  const auto file = dir.path() / kCookieFileName;
  ASSERT_TRUE(write_cookie(file));
  remove_cookie(file);
  remove_cookie(file);
  EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace cairn::rpc
