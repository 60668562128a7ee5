#include "wallet/session.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/keystore.h"
#include "util/file.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;

constexpr char kSessionMagic[8] = {'C', 'A', 'I', 'R', 'N', 'S', 'E', 'S'};
constexpr uint8_t kSessionVersion = 1;
constexpr size_t kSessionHeaderBytes = 8 + 1 + 8;  // the associated data
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kMaxSessionFileBytes =
    kSessionHeaderBytes + kNonceBytes + kMaxKeystoreSecretBytes + kTagBytes;
static_assert(kSessionKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

bool exists_no_follow(const fs::path& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

Status remove_if_present(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error{ErrorCode::io, "cannot delete " + quoted(path) + ": " + std::strerror(errno)};
  return {};
}

// Creates the key directory 0700, or accepts an existing one only if it is a real
// directory of this user that nobody else can enter (another user could otherwise plant
// it, or a link in it, in the shared /dev/shm).
Status ensure_key_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Error{ErrorCode::io, "cannot create " + quoted(dir) + ": " + std::strerror(errno)};
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return Error{ErrorCode::io, "cannot stat " + quoted(dir) + ": " + std::strerror(errno)};
  if (!S_ISDIR(st.st_mode)) return Error{ErrorCode::invalid_argument, quoted(dir) + " is not a directory"};
  if (st.st_uid != ::getuid())
    return Error{ErrorCode::invalid_argument,
                 quoted(dir) + " belongs to another user; refusing to keep keys there"};
  if ((st.st_mode & 077) != 0) {
    return Error{ErrorCode::invalid_argument,
                 quoted(dir) + " is open to group or others; refusing to keep keys there (chmod 700 " +
                     quoted(dir) + ")"};
  }
  return {};
}

struct SessionFile {
  int64_t expiry = 0;
  Bytes bytes;  // the whole file
};

Result<SessionFile> read_session_file(const fs::path& path) {
  CAIRN_TRY(Bytes bytes, read_private_file(path, kMaxSessionFileBytes));
  if (bytes.size() < kSessionHeaderBytes + kNonceBytes + kTagBytes ||
      !std::equal(std::begin(kSessionMagic), std::end(kSessionMagic), bytes.begin()) ||
      bytes[8] != kSessionVersion) {
    return Error{ErrorCode::decode, quoted(path) + " is not a cairn session file; run `cairn wallet lock`"};
  }
  uint64_t expiry = 0;
  for (size_t i = 0; i < 8; ++i) expiry |= uint64_t{bytes[9 + i]} << (8 * i);
  return SessionFile{static_cast<int64_t>(expiry), std::move(bytes)};
}

}  // namespace

fs::path default_session_key_dir() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime) return fs::path(runtime) / "cairn";
  return fs::path("/dev/shm") / ("cairn-" + std::to_string(::getuid()));
}

SessionStore::SessionStore(fs::path wallet_dir, const WalletId& id, fs::path key_dir, const Clock& clock)
    : wallet_dir_(std::move(wallet_dir)), id_(id), key_dir_(std::move(key_dir)), clock_(clock) {}

fs::path SessionStore::session_path() const { return wallet_dir_ / std::string(kSessionFileName); }
fs::path SessionStore::key_path() const {
  // The wallet id alone is not enough: a backup imported beside its original has the same
  // id, and the two wallets' sessions must not share (and replace) one key file.
  const std::string dir = fs::absolute(wallet_dir_).lexically_normal().string();
  const Hash256 name = Hasher::derive_key(kSessionKeyNameContext)
                           .update(id_)
                           .update(ByteSpan(reinterpret_cast<const uint8_t*>(dir.data()), dir.size()))
                           .finalize();
  return key_dir_ / (name.hex() + ".key");
}

Status SessionStore::unlock(ByteSpan secret, int64_t timeout_seconds, Rng& rng) {
  if (timeout_seconds < kMinUnlockSeconds || timeout_seconds > kMaxUnlockSeconds) {
    return Error{ErrorCode::invalid_argument, "the unlock timeout must be " +
                                                  std::to_string(kMinUnlockSeconds) + " to " +
                                                  std::to_string(kMaxUnlockSeconds) + " seconds"};
  }
  if (secret.empty() || secret.size() > kMaxKeystoreSecretBytes)
    return Error{ErrorCode::invalid_argument,
                 "a session secret is 1 to " + std::to_string(kMaxKeystoreSecretBytes) + " bytes"};
  ensure_sodium_initialised();
  CAIRN_TRY_STATUS(ensure_key_dir(key_dir_));
  const int64_t expiry = clock_.unix_seconds() + timeout_seconds;
  SecretBytes key(kSessionKeyBytes);
  rng.fill(key.mutable_span());

  Bytes file(std::begin(kSessionMagic), std::end(kSessionMagic));
  file.push_back(kSessionVersion);
  for (size_t i = 0; i < 8; ++i)
    file.push_back(static_cast<uint8_t>(static_cast<uint64_t>(expiry) >> (8 * i)));
  file.resize(kSessionHeaderBytes + kNonceBytes);
  rng.fill(std::span<uint8_t>(file.data() + kSessionHeaderBytes, kNonceBytes));
  file.resize(kSessionHeaderBytes + kNonceBytes + secret.size() + kTagBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(file.data() + kSessionHeaderBytes + kNonceBytes, &written,
                                             secret.data(), secret.size(), file.data(), kSessionHeaderBytes,
                                             nullptr, file.data() + kSessionHeaderBytes, key.data());
  // The key first: a session file is never left pointing at a key that was not written.
  CAIRN_TRY_STATUS(write_file_atomically(key_path(), key.span(), /*replace=*/true));
  if (auto saved = write_file_atomically(session_path(), file, /*replace=*/true); !saved) {
    (void)remove_if_present(key_path());
    return saved.error();
  }
  return {};
}

Result<std::optional<SecretBytes>> SessionStore::secret() {
  if (!exists_no_follow(session_path())) {
    CAIRN_TRY_STATUS(remove_if_present(key_path()));
    return std::optional<SecretBytes>();
  }
  CAIRN_TRY(const auto file, read_session_file(session_path()));
  if (clock_.unix_seconds() >= file.expiry) {
    CAIRN_TRY_STATUS(lock());
    return std::optional<SecretBytes>();
  }
  if (!exists_no_follow(key_path())) {  // the machine rebooted (tmpfs) or someone deleted it
    CAIRN_TRY_STATUS(remove_if_present(session_path()));
    return std::optional<SecretBytes>();
  }
  CAIRN_TRY(Bytes key_bytes, read_private_file(key_path(), kSessionKeyBytes));
  SecretBytes key = SecretBytes::copy_of(key_bytes);
  secure_zero(key_bytes.data(), key_bytes.size());
  if (key.size() != kSessionKeyBytes)
    return Error{ErrorCode::decode, quoted(key_path()) + " is not a session key; run `cairn wallet lock`"};
  const ByteSpan cipher = ByteSpan(file.bytes).subspan(kSessionHeaderBytes + kNonceBytes);
  SecretBytes plain(cipher.size() - kTagBytes);
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_size, nullptr, cipher.data(),
                                                 cipher.size(), file.bytes.data(), kSessionHeaderBytes,
                                                 file.bytes.data() + kSessionHeaderBytes, key.data()) != 0) {
    return Error{ErrorCode::crypto,
                 "the session of " + quoted(wallet_dir_) +
                     " does not decrypt (damaged, or its key was replaced); run `cairn wallet lock`"};
  }
  if (plain.empty()) return Error{ErrorCode::decode, "the session holds no secret; run `cairn wallet lock`"};
  return std::optional<SecretBytes>(std::move(plain));
}

Result<std::optional<int64_t>> SessionStore::expiry() {
  if (!exists_no_follow(session_path())) return std::optional<int64_t>();
  CAIRN_TRY(const auto file, read_session_file(session_path()));
  if (clock_.unix_seconds() >= file.expiry) {
    CAIRN_TRY_STATUS(lock());
    return std::optional<int64_t>();
  }
  return std::optional<int64_t>(file.expiry);
}

Status SessionStore::lock() {
  // The key first: without it the session file is useless ciphertext.
  CAIRN_TRY_STATUS(remove_if_present(key_path()));
  return remove_if_present(session_path());
}

}  // namespace cairn::wallet
