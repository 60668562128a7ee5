#include "rpc/auth.h"

#include <gtest/gtest.h>

#include "rpc/cookie.h"
#include "util/bytes.h"

namespace cairn::rpc {
namespace {

// "Basic " + base64("user:password"), encoded here independently of the decoder under test.
std::string basic(std::string_view user_password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  size_t i = 0;
  for (; i + 2 < user_password.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<uint8_t>(user_password[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<uint8_t>(user_password[i + 1])) << 8) |
                       static_cast<uint8_t>(user_password[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 63];
  }
  const size_t rest = user_password.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(user_password[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<uint8_t>(user_password[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeterministicRng rng(7);
    auto alice = make_user_line("alice", "wonderland", /*admin=*/true, rng);
    auto bob = make_user_line("bob", "builder", /*admin=*/false, rng);
    ASSERT_TRUE(alice && bob);
    AuthConfig config;
    config.cookie_password = std::string(64, 'c');
    config.users = {*parse_user_line(*alice), *parse_user_line(*bob)};
    auto auth = Authenticator::create(config);
    ASSERT_TRUE(auth);
    auth_.emplace(std::move(*auth));
  }

  std::optional<Caller> remote(std::string_view header) const {
    return auth_->authenticate(header, "203.0.113.5", false);
  }

  std::optional<Authenticator> auth_;
};

TEST_F(AuthTest, NoCredentialsFromLoopbackIsAnonymousPublic) {
  auto caller = auth_->authenticate(std::nullopt, "127.0.0.1", true);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->name, "anonymous");
  EXPECT_FALSE(caller->admin);
  EXPECT_EQ(caller->client, "127.0.0.1");
}

TEST_F(AuthTest, NoCredentialsFromElsewhereNeedsRpcPublic) {
  EXPECT_FALSE(auth_->authenticate(std::nullopt, "203.0.113.5", false));
  AuthConfig config;
  config.public_without_auth = true;
  auto open = Authenticator::create(config);
  ASSERT_TRUE(open);
  auto caller = open->authenticate(std::nullopt, "203.0.113.5", false);
  ASSERT_TRUE(caller);
  EXPECT_FALSE(caller->admin);
  EXPECT_EQ(caller->client, "203.0.113.5");
}

TEST_F(AuthTest, ConfiguredUsersGetTheirGroup) {
  auto alice = remote(basic("alice:wonderland"));
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_TRUE(alice->admin);
  EXPECT_EQ(alice->client, "alice");
  auto bob = remote(basic("bob:builder"));
  ASSERT_TRUE(bob);
  EXPECT_FALSE(bob->admin);
  // A password may itself contain ':'; the user name may not.
  DeterministicRng rng(1);
  auto line = make_user_line("carol", "a:b", false, rng);
  auto auth = Authenticator::create(AuthConfig{std::nullopt, {*parse_user_line(*line)}, false});
  EXPECT_TRUE(auth->authenticate(basic("carol:a:b"), "127.0.0.1", true));
}

TEST_F(AuthTest, WrongPasswordIsRefusedEvenFromLoopback) {
  EXPECT_FALSE(remote(basic("alice:wonderlanD")));
  EXPECT_FALSE(remote(basic("alice:")));
  EXPECT_FALSE(auth_->authenticate(basic("alice:x"), "127.0.0.1", true));
  EXPECT_FALSE(remote(basic("bob:wonderland")));
}

TEST_F(AuthTest, UnknownUserIsRefused) {
  EXPECT_FALSE(remote(basic("mallory:wonderland")));
  EXPECT_FALSE(remote(basic(":wonderland")));
  EXPECT_FALSE(remote(basic("anonymous:")));
}

TEST_F(AuthTest, CookieUserIsAdmin) {
  auto caller = remote(basic("__cookie__:" + std::string(64, 'c')));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->name, kCookieUser);
  EXPECT_TRUE(caller->admin);
  EXPECT_FALSE(remote(basic("__cookie__:" + std::string(63, 'c'))));
  EXPECT_FALSE(remote(basic("__cookie__:" + std::string(64, 'd'))));
  auto no_cookie = Authenticator::create(AuthConfig{});
  EXPECT_FALSE(no_cookie->authenticate(basic("__cookie__:"), "127.0.0.1", true));
  EXPECT_FALSE(no_cookie->has_credentials());
  EXPECT_TRUE(auth_->has_credentials());
}

TEST_F(AuthTest, SchemeIsCaseInsensitive) {
  std::string header = basic("bob:builder");
  header.replace(0, 5, "bASIC");
  EXPECT_TRUE(remote(header));
  EXPECT_TRUE(remote("Basic   " + basic("bob:builder").substr(6)));
}

TEST_F(AuthTest, MalformedHeadersAreRefused) {
  const std::string good = basic("bob:builder");
  for (const std::string& header :
       {std::string(""), std::string("Basic"), std::string("Basic "), std::string("Bearer abc"),
        std::string("Basic Ym9iOmJ1aWxkZXI"),  // padding missing
        std::string("Basic Ym9i#mJ1aWxkZXI="), good + "=", basic("bob-builder"), "Digest " + good.substr(6),
        "Basic " + std::string(kMaxAuthorizationBytes, 'A')}) {
    EXPECT_FALSE(remote(header)) << header;
  }
  // Just under the header limit a valid header still works.
  const std::string padded =
      "Basic" + std::string(kMaxAuthorizationBytes - good.size(), ' ') + good.substr(5);
  ASSERT_EQ(padded.size(), kMaxAuthorizationBytes);
  EXPECT_TRUE(remote(padded));
  EXPECT_FALSE(remote(" " + padded));
}

TEST(BasicAuthorization, EncodesWhatTheAuthenticatorDecodes) {
  // RFC 7617 section 2's example, then every padding length.
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(basic_authorization("a", "b"), "Basic YTpi");
  EXPECT_EQ(basic_authorization("a", "bc"), "Basic YTpiYw==");
  EXPECT_EQ(basic_authorization("a", "bcd"), "Basic YTpiY2Q=");
  for (const std::string password : {"", "p", "pw", "pwd", "with:colon"}) {
    EXPECT_EQ(decode_base64(basic_authorization("user", password).substr(6)), "user:" + password);
  }
}

TEST(Base64, DecodesStrictly) {
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("Zg=="), "f");
  EXPECT_EQ(decode_base64("Zm8="), "fo");
  EXPECT_EQ(decode_base64("Zm9v"), "foo");
  EXPECT_EQ(decode_base64("+/+/"), "\xfb\xff\xbf");
  EXPECT_FALSE(decode_base64("Zh=="));  // non-zero leftover bits
  EXPECT_FALSE(decode_base64("Zm9"));
  EXPECT_FALSE(decode_base64("Z==="));
  EXPECT_FALSE(decode_base64("Zg=a"));
  EXPECT_FALSE(decode_base64("Zm 9"));
  EXPECT_FALSE(decode_base64("Zm-_"));
}

TEST(UserLine, RoundTrip) {
  DeterministicRng rng(3);
  auto line = make_user_line("ops.team-1", "s3cret", false, rng);
  ASSERT_TRUE(line);
  auto entry = parse_user_line(*line);
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->name, "ops.team-1");
  EXPECT_FALSE(entry->admin);
  EXPECT_EQ(entry->salt.size(), 2 * kUserSaltBytes);
  EXPECT_EQ(*line, "ops.team-1:public:" + entry->salt + "$" + to_hex(entry->hash));
  // Each line gets a fresh salt.
  EXPECT_NE(*make_user_line("ops.team-1", "s3cret", false, rng), *line);
}

TEST(UserLine, KnownHash) {
  // python3 -c 'import hmac; print(hmac.new(b"00112233445566778899aabbccddeeff", b"pw",
  // "sha256").hexdigest())'
  auto entry = parse_user_line(
      "u:admin:00112233445566778899aabbccddeeff$"
      "7b8f189f40d30ff97690c4908b4197901df9ea1d38a3efd045054da8288c4b14");
  ASSERT_TRUE(entry) << entry.error().message;
  auto auth = Authenticator::create(AuthConfig{std::nullopt, {*entry}, false});
  EXPECT_TRUE(auth->authenticate(basic("u:pw"), "127.0.0.1", true));
}

TEST(UserLine, BadLines) {
  const std::string salt(32, 'a');
  const std::string hash(64, 'b');
  auto problem = [](const std::string& line) {
    auto entry = parse_user_line(line);
    return entry ? std::string("ok") : entry.error().message;
  };
  EXPECT_EQ(problem("u:admin:" + salt + "$" + hash), "ok");
  EXPECT_NE(problem("u:admin").find("missing ':'"), std::string::npos);
  EXPECT_NE(problem("u:root:" + salt + "$" + hash).find("group of 'u' is not public or admin"),
            std::string::npos);
  EXPECT_NE(problem("u:admin:" + salt + hash).find("has no '$'"), std::string::npos);
  EXPECT_NE(problem("u:admin:" + salt.substr(1) + "$" + hash).find("salt of 'u'"), std::string::npos);
  EXPECT_NE(problem("u:admin:" + salt + "$" + hash + "0").find("hash of 'u'"), std::string::npos);
  EXPECT_NE(problem("u:admin:" + salt + "$" + std::string(64, 'B')).find("hash of 'u'"), std::string::npos);
  EXPECT_NE(problem(":admin:" + salt + "$" + hash).find("user name must be"), std::string::npos);
  EXPECT_NE(problem("a b:admin:" + salt + "$" + hash).find("may hold only"), std::string::npos);
  EXPECT_NE(problem("__cookie__:admin:" + salt + "$" + hash).find("reserved"), std::string::npos);
  EXPECT_NE(problem("anonymous:public:" + salt + "$" + hash).find("reserved"), std::string::npos);
  EXPECT_EQ(problem(std::string(kMaxUserNameBytes, 'n') + ":admin:" + salt + "$" + hash), "ok");
  EXPECT_NE(problem(std::string(kMaxUserNameBytes + 1, 'n') + ":admin:" + salt + "$" + hash)
                .find("user name must be"),
            std::string::npos);
  DeterministicRng rng(1);
  EXPECT_FALSE(make_user_line("__cookie__", "x", true, rng));
}

TEST(UserLine, DuplicateUsersAreRefused) {
  const std::string line = "u:admin:" + std::string(32, 'a') + "$" + std::string(64, 'b');
  auto auth = Authenticator::create(
      AuthConfig{std::nullopt, {*parse_user_line(line), *parse_user_line(line)}, false});
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().message, "rpc user 'u' is configured twice");
}

}  // namespace
}  // namespace cairn::rpc
