#include "rpc/auth.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "rpc/cookie.h"
#include "util/bytes.h"

namespace cairn::rpc {

namespace {

using Digest = std::array<uint8_t, 32>;

constexpr size_t kSaltHexDigits = 2 * kUserSaltBytes;
constexpr size_t kHashHexDigits = 2 * std::tuple_size_v<Digest>;

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
  return out;
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status check_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameBytes) {
    return Error{ErrorCode::invalid_argument,
                 "user name must be 1 to " + std::to_string(kMaxUserNameBytes) + " characters"};
  }
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (!allowed) return Error{ErrorCode::invalid_argument, "user name may hold only A-Z a-z 0-9 _ - ."};
  if (name == kCookieUser || name == kAnonymousCaller) {
    return Error{ErrorCode::invalid_argument, "user name '" + std::string(name) + "' is reserved"};
  }
  return {};
}

Error bad_line(std::string_view problem) {
  return Error{ErrorCode::invalid_argument, "rpc user: " + std::string(problem) +
                                                " (expected NAME:GROUP:SALT$HASH, GROUP public or admin)"};
}

// Equal-time comparison: how long it takes says nothing about where the inputs differ.
bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "Basic <base64 of user:password>" -> {user, password}.
std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view header) {
  if (header.size() > kMaxAuthorizationBytes) return std::nullopt;
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    // The scheme name is case-insensitive (RFC 9110 section 11.1).
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(header[i]))) != kScheme[i])
      return std::nullopt;
  }
  std::string_view encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  auto decoded = decode_base64(encoded);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  size_t bit_count = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const int value = base64_value(text[i]);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

Result<UserEntry> parse_user_line(std::string_view line) {
  const auto first = line.find(':');
  const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
  if (second == std::string_view::npos) return bad_line("missing ':'");
  const std::string_view name = line.substr(0, first);
  const std::string_view group = line.substr(first + 1, second - first - 1);
  const std::string_view secret = line.substr(second + 1);
  if (auto status = check_user_name(name); !status) return bad_line(status.error().message);

  UserEntry entry;
  entry.name = std::string(name);
  if (group != "public" && group != "admin")
    return bad_line("group of '" + entry.name + "' is not public or admin");
  entry.admin = group == "admin";
  const auto dollar = secret.find('$');
  if (dollar == std::string_view::npos)
    return bad_line("'" + entry.name + "' has no '$' between salt and hash");
  const std::string_view salt = secret.substr(0, dollar);
  const std::string_view hash = secret.substr(dollar + 1);
  if (salt.size() != kSaltHexDigits || !is_lower_hex(salt)) {
    return bad_line("salt of '" + entry.name + "' is not " + std::to_string(kSaltHexDigits) +
                    " lowercase hex digits");
  }
  if (hash.size() != kHashHexDigits || !is_lower_hex(hash)) {
    return bad_line("hash of '" + entry.name + "' is not " + std::to_string(kHashHexDigits) +
                    " lowercase hex digits");
  }
  entry.salt = std::string(salt);
  auto bytes = from_hex(hash);
  std::copy(bytes->begin(), bytes->end(), entry.hash.begin());
  return entry;
}

Result<std::string> make_user_line(std::string_view name, std::string_view password, bool admin, Rng& rng) {
  CAIRN_TRY_STATUS(check_user_name(name));
  std::array<uint8_t, kUserSaltBytes> salt_bytes{};
  rng.fill(salt_bytes);
  const std::string salt = to_hex(salt_bytes);
  const Digest hash = hmac_sha256(salt, password);
  return std::string(name) + ":" + (admin ? "admin" : "public") + ":" + salt + "$" + to_hex(hash);
}

Result<Authenticator> Authenticator::create(AuthConfig config) {
  std::set<std::string> names;
  for (const auto& user : config.users) {
    if (!names.insert(user.name).second) {
      return Error{ErrorCode::invalid_argument, "rpc user '" + user.name + "' is configured twice"};
    }
  }
  return Authenticator(std::move(config));
}

std::optional<Caller> Authenticator::authenticate(std::optional<std::string_view> authorization,
                                                  std::string_view remote_ip, bool remote_is_loopback) const {
  if (!authorization) {
    if (!remote_is_loopback && !config_.public_without_auth) return std::nullopt;
    return Caller{kAnonymousCaller, false, std::string(remote_ip)};
  }
  auto credentials = parse_basic(*authorization);
  if (!credentials) return std::nullopt;
  return check_credentials(credentials->first, credentials->second);
}

std::optional<Caller> Authenticator::check_credentials(std::string_view user,
                                                       std::string_view password) const {
  if (user == kCookieUser) {
    if (!config_.cookie_password || !same_secret(password, *config_.cookie_password)) return std::nullopt;
    return Caller{kCookieUser, true, kCookieUser};
  }
  const auto it = std::find_if(config_.users.begin(), config_.users.end(),
                               [&](const UserEntry& entry) { return entry.name == user; });
  // An unknown user costs the same HMAC as a known one, so timing does not tell them apart.
  static const std::string kDummySalt(kSaltHexDigits, '0');
  const Digest hash = hmac_sha256(it == config_.users.end() ? kDummySalt : it->salt, password);
  if (it == config_.users.end()) return std::nullopt;
  if (CRYPTO_memcmp(hash.data(), it->hash.data(), hash.size()) != 0) return std::nullopt;
  return Caller{it->name, it->admin, it->name};
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string plain;
  plain.reserve(user.size() + 1 + password.size());
  plain.append(user).append(":").append(password);
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;  // padded, as RFC 7617 uses it
  std::string encoded(sodium_base64_ENCODED_LEN(plain.size(), kVariant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), kVariant);
  encoded.pop_back();  // the terminating NUL libsodium writes
  secure_zero(plain.data(), plain.size());
  return "Basic " + encoded;
}

}  // namespace cairn::rpc
