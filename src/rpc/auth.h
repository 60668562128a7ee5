// Who is calling the RPC server (DESIGN.md "API exposure"): HTTP Basic credentials checked
// against the cookie (rpc/cookie.h, always `admin`) and configured users, or an anonymous
// `public` caller from loopback (or from anywhere with --rpc-public).
//
// A configured user is one string, as `--rpc-user` takes it: `NAME:GROUP:SALT$HASH`, GROUP
// `public` or `admin`, SALT 32 lowercase hex digits, HASH the 64 lowercase hex digits of
// HMAC-SHA256 keyed with the SALT's hex text over the password (Bitcoin Core's rpcauth
// scheme, so `python3 -c 'import hmac; print(hmac.new(b"SALT", b"PASSWORD", "sha256")
// .hexdigest())'` makes one). The node never stores a password.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/api.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::rpc {

inline constexpr size_t kUserSaltBytes = 16;
inline constexpr size_t kMaxUserNameBytes = 64;
// An Authorization header longer than this is refused before it is decoded.
inline constexpr size_t kMaxAuthorizationBytes = 1024;
inline constexpr const char* kAnonymousCaller = "anonymous";

struct UserEntry {
  std::string name;
  bool admin = false;
  std::string salt;                // hex, the HMAC key
  std::array<uint8_t, 32> hash{};  // HMAC-SHA256(salt, password)
};

// Parses `NAME:GROUP:SALT$HASH`; the error says which part is wrong (never echoing the hash).
Result<UserEntry> parse_user_line(std::string_view line);
// A line for `name` with a fresh salt from `rng`; an Error when the name is not allowed.
Result<std::string> make_user_line(std::string_view name, std::string_view password, bool admin, Rng& rng);

struct AuthConfig {
  std::optional<std::string> cookie_password;  // the secret write_cookie() returned
  std::vector<UserEntry> users;
  bool public_without_auth = false;  // --rpc-public: anonymous non-loopback callers get `public`
};

// Immutable after construction; authenticate() is thread-safe.
class Authenticator {
 public:
  // Refuses two users with the same name.
  static Result<Authenticator> create(AuthConfig config);

  // api.h AuthenticateFn: the caller, or nullopt for HTTP 401. Credentials that are present
  // but malformed or wrong are refused even from loopback, so a client learns its mistake.
  std::optional<Caller> authenticate(std::optional<std::string_view> authorization,
                                     std::string_view remote_ip, bool remote_is_loopback) const;

  // Whether any credential is configured: a listen address beyond loopback needs one.
  bool has_credentials() const { return config_.cookie_password.has_value() || !config_.users.empty(); }

 private:
  explicit Authenticator(AuthConfig config) : config_(std::move(config)) {}
  std::optional<Caller> check_credentials(std::string_view user, std::string_view password) const;

  AuthConfig config_;
};

// Decodes standard base64 with padding; nullopt on any other character or length.
std::optional<std::string> decode_base64(std::string_view text);

// The client's side of what Authenticator::authenticate() parses: the Authorization header
// value "Basic <base64 of user:password>".
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace cairn::rpc
