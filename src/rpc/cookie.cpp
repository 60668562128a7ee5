#include "rpc/cookie.h"

#include <array>
#include <system_error>

#include "crypto/ed25519.h"
#include "util/bytes.h"
#include "util/file.h"

namespace cairn::rpc {

namespace {
// The user, the colon, the hex secret and a newline, with room for a hand-edited CRLF.
constexpr size_t kMaxCookieFileBytes = 256;
}  // namespace

Result<std::string> write_cookie(const std::filesystem::path& file) {
  std::array<uint8_t, kCookieSecretBytes> secret{};
  OsRng{}.fill(secret);
  std::string password = to_hex(secret);
  secure_zero(secret.data(), secret.size());
  const std::string line = std::string(kCookieUser) + ":" + password + "\n";
  CAIRN_TRY_STATUS(write_file_atomically(file, as_bytes(line), /*replace=*/true));
  return password;
}

Result<Credentials> read_cookie(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return Error{ErrorCode::not_found, "no RPC cookie at '" + file.string() +
                                           "': is cairnd running with this --datadir and --network?"};
  }
  CAIRN_TRY(auto bytes, read_private_file(file, kMaxCookieFileBytes));
  std::string text(bytes.begin(), bytes.end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Error{ErrorCode::decode, "'" + file.string() + "' is not an RPC cookie (expected USER:SECRET)"};
  }
  return Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

void remove_cookie(const std::filesystem::path& file) {
  std::error_code ignored;  // already gone is what we want
  std::filesystem::remove(file, ignored);
}

}  // namespace cairn::rpc
