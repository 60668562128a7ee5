#include "crypto/keystore.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/codec.h"
#include "util/file.h"

namespace cairn {
namespace {

static_assert(kKeystoreSaltBytes == crypto_pwhash_argon2id_SALTBYTES);
static_assert(kKeystoreNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kKeystoreTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kMinOpsLimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(uint64_t{kMinMemLimitKib} * 1024 >= crypto_pwhash_argon2id_MEMLIMIT_MIN);
static_assert(kModerateKdfParams.ops_limit == crypto_pwhash_argon2id_OPSLIMIT_MODERATE);
static_assert(uint64_t{kModerateKdfParams.mem_limit_kib} * 1024 == crypto_pwhash_argon2id_MEMLIMIT_MODERATE);
static_assert(kInteractiveKdfParams.ops_limit == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(uint64_t{kInteractiveKdfParams.mem_limit_kib} * 1024 ==
              crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(kMaxKeystorePublicBytes <= UINT16_MAX && kMaxKeystoreSecretBytes <= UINT16_MAX);

constexpr size_t kAeadKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
// A wallet seed shorter than BIP39's smallest entropy (128 bits) is not a seed.
constexpr size_t kMinWalletSeedBytes = 16;
constexpr const char* kWrongPassword = "wrong password or damaged file";

// A keystore whose structure has been checked; spans point into the file's bytes.
struct ParsedKeystore {
  KeystoreInfo info;
  FixedBytes<kKeystoreSaltBytes> salt;
  FixedBytes<kKeystoreNonceBytes> nonce;
  ByteSpan associated_data;  // everything before the ciphertext
  ByteSpan ciphertext;       // secret ‖ tag
};

Error keystore_error(ErrorCode code, const std::string& what) { return Error{code, "keystore: " + what}; }

Status check_kind_shape(KeystoreKind kind, size_t public_size, size_t secret_size) {
  if (public_size > kMaxKeystorePublicBytes || secret_size > kMaxKeystoreSecretBytes) {
    return keystore_error(ErrorCode::limit,
                          "public data and secret are limited to " + std::to_string(kMaxKeystorePublicBytes) +
                              " and " + std::to_string(kMaxKeystoreSecretBytes) + " bytes, got " +
                              std::to_string(public_size) + " and " + std::to_string(secret_size));
  }
  switch (kind) {
    case KeystoreKind::validator_voting_key:
      if (public_size != PublicKey::kSize || secret_size != Seed::kSize) {
        return keystore_error(ErrorCode::decode,
                              "a validator voting key needs a 32-byte public key and a 32-byte seed, got " +
                                  std::to_string(public_size) + " and " + std::to_string(secret_size) +
                                  " bytes");
      }
      return {};
    case KeystoreKind::wallet_seed:
      if (secret_size < kMinWalletSeedBytes) {
        return keystore_error(ErrorCode::decode, "a wallet seed needs at least " +
                                                     std::to_string(kMinWalletSeedBytes) + " bytes, got " +
                                                     std::to_string(secret_size));
      }
      return {};
  }
  return keystore_error(ErrorCode::decode, "unknown kind " + std::to_string(static_cast<int>(kind)));
}

bool known_kind(uint8_t value) {
  return value == static_cast<uint8_t>(KeystoreKind::validator_voting_key) ||
         value == static_cast<uint8_t>(KeystoreKind::wallet_seed);
}

Result<ParsedKeystore> parse_keystore(ByteSpan file) {
  if (file.size() > kMaxKeystoreFileBytes) {
    return keystore_error(ErrorCode::limit, "file is " + std::to_string(file.size()) +
                                                " bytes, more than the " +
                                                std::to_string(kMaxKeystoreFileBytes) + " a keystore can be");
  }
  Reader r(file);
  ParsedKeystore out;
  auto magic = r.take("magic", sizeof kKeystoreMagic);
  if (!r.ok() || !std::equal(magic.begin(), magic.end(), reinterpret_cast<const uint8_t*>(kKeystoreMagic))) {
    return keystore_error(ErrorCode::decode, "not a Cairn keystore (bad magic)");
  }
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kKeystoreVersion) {
    return keystore_error(ErrorCode::decode, "unsupported version " + std::to_string(version) +
                                                 " (this build reads " + std::to_string(kKeystoreVersion) +
                                                 ")");
  }
  const uint8_t kind = r.u8("kind");
  if (r.ok() && !known_kind(kind)) {
    return keystore_error(ErrorCode::decode, "unknown kind " + std::to_string(kind));
  }
  out.info.kind = static_cast<KeystoreKind>(kind);
  out.info.kdf.ops_limit = r.u32("kdf.ops_limit");
  out.info.kdf.mem_limit_kib = r.u32("kdf.mem_limit_kib");
  if (r.ok()) CAIRN_TRY_STATUS(check_kdf_params(out.info.kdf));
  out.salt = r.fixed<kKeystoreSaltBytes>("salt");
  out.nonce = r.fixed<kKeystoreNonceBytes>("nonce");
  const size_t public_size = r.u16("public_size");
  if (r.ok() && public_size > kMaxKeystorePublicBytes) {
    r.fail(ErrorCode::limit, "public_size", "over " + std::to_string(kMaxKeystorePublicBytes));
  }
  auto public_data = r.take("public_data", public_size);
  out.info.public_data.assign(public_data.begin(), public_data.end());
  out.info.secret_size = r.u16("secret_size");
  if (r.ok()) CAIRN_TRY_STATUS(check_kind_shape(out.info.kind, public_size, out.info.secret_size));
  const size_t header_end = r.position();
  out.ciphertext = r.take("ciphertext", out.info.secret_size + kKeystoreTagBytes);
  if (auto s = r.finish(); !s) return keystore_error(s.error().code, s.error().message);
  out.associated_data = file.first(header_end);
  return out;
}

// Argon2id(password, salt) -> the AEAD key.
Result<SecretBytes> derive_key(std::string_view password, const FixedBytes<kKeystoreSaltBytes>& salt,
                               const KdfParams& params) {
  ensure_sodium_initialised();
  SecretBytes key(kAeadKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), password.data(), password.size(), salt.data(), params.ops_limit,
                    size_t{params.mem_limit_kib} * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return keystore_error(ErrorCode::crypto, "Argon2id could not get " +
                                                 std::to_string(params.mem_limit_kib) + " KiB of memory");
  }
  return key;
}

Status check_password(std::string_view password) {
  if (password.empty()) return keystore_error(ErrorCode::invalid_argument, "the password is empty");
  if (password.size() > kMaxPasswordBytes) {
    return keystore_error(ErrorCode::limit,
                          "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  return {};
}

std::string errno_text(int err) { return std::strerror(err); }

std::string in_quotes(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// Reads one line (without its ending) from `fd` into a secret buffer.
Result<SecretBytes> read_password_line(int fd, const std::string& source) {
  SecretBytes buffer(kMaxPasswordBytes + 2);  // room for "\r\n" after the longest password
  size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{ErrorCode::io, "cannot read " + source + ": " + errno_text(errno)};
    if (n == 0 || buffer.data()[size] == '\n') break;
    ++size;
  }
  if (size > 0 && buffer.data()[size - 1] == '\r') --size;
  buffer.truncate(size);
  if (buffer.empty()) return Error{ErrorCode::invalid_argument, "the password from " + source + " is empty"};
  if (buffer.size() > kMaxPasswordBytes) {
    return Error{ErrorCode::limit, "the password from " + source + " is longer than " +
                                       std::to_string(kMaxPasswordBytes) + " bytes"};
  }
  return buffer;
}

// Echo off on a terminal for as long as this lives.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  bool active() const { return active_; }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<SecretBytes> ask(int tty, std::string_view prompt) {
  const EchoOff echo_off(tty);
  if (!echo_off.active()) return Error{ErrorCode::io, "cannot turn off echo on the terminal"};
  CAIRN_TRY_STATUS(write_all(tty, as_bytes(prompt), "/dev/tty"));
  return read_password_line(tty, "the terminal");
}

}  // namespace

const char* to_string(KeystoreKind kind) {
  switch (kind) {
    case KeystoreKind::validator_voting_key:
      return "validator_voting_key";
    case KeystoreKind::wallet_seed:
      return "wallet_seed";
  }
  return "unknown";
}

Status check_kdf_params(const KdfParams& params) {
  if (params.ops_limit < kMinOpsLimit || params.ops_limit > kMaxOpsLimit) {
    return keystore_error(ErrorCode::limit, "kdf.ops_limit " + std::to_string(params.ops_limit) +
                                                " is outside " + std::to_string(kMinOpsLimit) + ".." +
                                                std::to_string(kMaxOpsLimit));
  }
  if (params.mem_limit_kib < kMinMemLimitKib || params.mem_limit_kib > kMaxMemLimitKib) {
    return keystore_error(ErrorCode::limit, "kdf.mem_limit_kib " + std::to_string(params.mem_limit_kib) +
                                                " is outside " + std::to_string(kMinMemLimitKib) + ".." +
                                                std::to_string(kMaxMemLimitKib));
  }
  return {};
}

Result<Bytes> create_keystore(KeystoreKind kind, ByteSpan secret, ByteSpan public_data,
                              std::string_view password, const KdfParams& params, Rng& rng) {
  if (!known_kind(static_cast<uint8_t>(kind))) {
    return keystore_error(ErrorCode::invalid_argument,
                          "unknown kind " + std::to_string(static_cast<int>(kind)));
  }
  CAIRN_TRY_STATUS(check_kind_shape(kind, public_data.size(), secret.size()));
  CAIRN_TRY_STATUS(check_kdf_params(params));
  CAIRN_TRY_STATUS(check_password(password));
  if (kind == KeystoreKind::validator_voting_key) {
    CAIRN_TRY(const Seed seed, Seed::from_span(secret));
    const bool matches =
        std::equal(public_data.begin(), public_data.end(), KeyPair::from_seed(seed).public_key().begin());
    if (!matches) return keystore_error(ErrorCode::invalid_argument, "the public key is not the seed's");
  }
  FixedBytes<kKeystoreSaltBytes> salt;
  FixedBytes<kKeystoreNonceBytes> nonce;
  rng.fill(salt.span());
  rng.fill(nonce.span());

  Writer w;
  w.raw(as_bytes(std::string_view(kKeystoreMagic, sizeof kKeystoreMagic)));
  w.u8(kKeystoreVersion);
  w.u8(static_cast<uint8_t>(kind));
  w.u32(params.ops_limit);
  w.u32(params.mem_limit_kib);
  w.raw(salt);
  w.raw(nonce);
  w.u16(static_cast<uint16_t>(public_data.size()));
  w.raw(public_data);
  w.u16(static_cast<uint16_t>(secret.size()));
  Bytes file = w.take();
  const size_t header_size = file.size();
  file.resize(header_size + secret.size() + kKeystoreTagBytes);

  CAIRN_TRY(const SecretBytes key, derive_key(password, salt, params));
  unsigned long long ciphertext_size = 0;  // NOLINT(google-runtime-int): libsodium's type
  crypto_aead_xchacha20poly1305_ietf_encrypt(file.data() + header_size, &ciphertext_size, secret.data(),
                                             secret.size(), file.data(), header_size, nullptr, nonce.data(),
                                             key.data());
  assert(ciphertext_size == secret.size() + kKeystoreTagBytes);
  return file;
}

Result<Bytes> create_keystore(KeystoreKind kind, ByteSpan secret, ByteSpan public_data,
                              std::string_view password, const KdfParams& params) {
  OsRng rng;
  return create_keystore(kind, secret, public_data, password, params, rng);
}

Result<Bytes> create_validator_keystore(const KeyPair& key, std::string_view password,
                                        const KdfParams& params) {
  Seed seed = key.seed();
  auto file = create_keystore(KeystoreKind::validator_voting_key, seed, key.public_key(), password, params);
  sodium_memzero(seed.data(), seed.size());
  return file;
}

Result<KeystoreInfo> read_keystore_info(ByteSpan file) {
  CAIRN_TRY(ParsedKeystore parsed, parse_keystore(file));
  return std::move(parsed.info);
}

Result<OpenedKeystore> open_keystore(ByteSpan file, std::string_view password) {
  CAIRN_TRY(ParsedKeystore parsed, parse_keystore(file));
  if (password.size() > kMaxPasswordBytes) return keystore_error(ErrorCode::verify, kWrongPassword);
  CAIRN_TRY(const SecretBytes key, derive_key(password, parsed.salt, parsed.info.kdf));
  SecretBytes secret(parsed.info.secret_size);
  OpenedKeystore out{std::move(parsed.info), std::move(secret)};
  unsigned long long secret_size = 0;  // NOLINT(google-runtime-int): libsodium's type
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.secret.data(), &secret_size, nullptr,
                                                 parsed.ciphertext.data(), parsed.ciphertext.size(),
                                                 parsed.associated_data.data(), parsed.associated_data.size(),
                                                 parsed.nonce.data(), key.data()) != 0) {
    return keystore_error(ErrorCode::verify, kWrongPassword);
  }
  assert(secret_size == out.secret.size());
  return out;
}

Result<KeyPair> open_validator_keystore(ByteSpan file, std::string_view password) {
  CAIRN_TRY(const KeystoreInfo info, read_keystore_info(file));
  if (info.kind != KeystoreKind::validator_voting_key) {
    return keystore_error(ErrorCode::invalid_argument,
                          std::string("holds a ") + to_string(info.kind) + ", not a validator voting key");
  }
  CAIRN_TRY(OpenedKeystore opened, open_keystore(file, password));
  Seed seed;
  std::copy(opened.secret.span().begin(), opened.secret.span().end(), seed.bytes.begin());
  KeyPair key = KeyPair::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  // The public key is authenticated, so a mismatch means the file was made wrongly, not
  // tampered with afterwards; signing with a key other than the one shown would be worse.
  if (!std::equal(info.public_data.begin(), info.public_data.end(), key.public_key().begin())) {
    return keystore_error(ErrorCode::verify, "the stored public key does not match the decrypted seed");
  }
  return key;
}

Status write_keystore_file(const std::filesystem::path& path, ByteSpan file_bytes, bool overwrite) {
  return write_file_atomically(path, file_bytes, overwrite);
}

Result<Bytes> read_keystore_file(const std::filesystem::path& path) {
  return read_private_file(path, kMaxKeystoreFileBytes);
}

Result<SecretBytes> read_password_file(const std::filesystem::path& path) {
  CAIRN_TRY(const UniqueFd fd, open_private_file(path));
  return read_password_line(fd.get(), in_quotes(path));
}

Result<SecretBytes> prompt_password(std::string_view prompt, bool confirm) {
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (tty.get() < 0) {
    return Error{ErrorCode::io, "no terminal to ask for the password on"};
  }
  CAIRN_TRY(SecretBytes password, ask(tty.get(), prompt));
  if (!confirm) return password;
  CAIRN_TRY(const SecretBytes again, ask(tty.get(), "Repeat the password: "));
  if (again.size() != password.size() || sodium_memcmp(again.data(), password.data(), password.size()) != 0) {
    return Error{ErrorCode::invalid_argument, "the two passwords differ"};
  }
  return password;
}

Result<KeyPair> load_validator_key(const std::filesystem::path& keystore_path,
                                   const std::filesystem::path& password_file) {
  CAIRN_TRY(const Bytes file, read_keystore_file(keystore_path));
  // Checked before asking for a password, so a wrong file fails without a prompt.
  if (auto info = read_keystore_info(file); !info) {
    return Error{info.error().code, in_quotes(keystore_path) + ": " + info.error().message};
  }
  CAIRN_TRY(const SecretBytes password,
            password_file.empty() ? prompt_password("Password for " + in_quotes(keystore_path) + ": ", false)
                                  : read_password_file(password_file));
  auto key = open_validator_keystore(file, password.view());
  if (!key) return Error{key.error().code, in_quotes(keystore_path) + ": " + key.error().message};
  return key;
}

}  // namespace cairn
