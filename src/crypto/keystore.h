// The encrypted keystore: one file holding one secret (a validator's voting key, a wallet
// seed) under XChaCha20-Poly1305 with a key derived from a password by Argon2id
// (libsodium), the KDF parameters stored with the file (DESIGN.md "Wallet (decided)").
// The byte layout is a file format and is specified in docs/keystore.md: DO NOT CHANGE
// the constants or enum values below without a new format version.
//
// The header and the public data are in clear — tools show a validator's public key
// without the password — and are the AEAD's associated data, so changing any byte of the
// file makes opening fail. Parsing checks the whole structure, including the KDF bounds,
// before any key derivation runs: a file cannot make a reader spend more than
// kMaxMemLimitKib of memory or kMaxOpsLimit passes.
//
// Files are written atomically with mode 0600 and are refused on reading when group or
// others may read them (as ssh does with private keys).
//
// All functions are thread-safe (they share no state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/secret.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn {

// What the secret is. Stored as one byte; DO NOT CHANGE these values.
enum class KeystoreKind : uint8_t {
  validator_voting_key = 1,  // secret: a 32-byte Ed25519 seed; public: its public key
  wallet_seed = 2,           // secret: a wallet's seed material; public: the wallet's choice
};
const char* to_string(KeystoreKind kind);

// Argon2id cost. Memory is stored in KiB, as Argon2 counts it.
struct KdfParams {
  uint32_t ops_limit = 0;      // passes over memory
  uint32_t mem_limit_kib = 0;  // memory in KiB
  bool operator==(const KdfParams&) const = default;
};

inline constexpr char kKeystoreMagic[8] = {'C', 'A', 'I', 'R', 'N', 'K', 'E', 'Y'};
inline constexpr uint8_t kKeystoreVersion = 1;
inline constexpr size_t kKeystoreSaltBytes = 16;
inline constexpr size_t kKeystoreNonceBytes = 24;
inline constexpr size_t kKeystoreTagBytes = 16;
// Bytes before the public data: magic, version, kind, ops, mem, salt, nonce, public length.
inline constexpr size_t kKeystoreFixedHeaderBytes = 8 + 1 + 1 + 4 + 4 + 16 + 24 + 2;
// Largest public data and secret a keystore may hold.
inline constexpr size_t kMaxKeystorePublicBytes = 1024;
inline constexpr size_t kMaxKeystoreSecretBytes = 1024;
// Largest well-formed file; readers do not read past it.
inline constexpr size_t kMaxKeystoreFileBytes =
    kKeystoreFixedHeaderBytes + kMaxKeystorePublicBytes + 2 + kMaxKeystoreSecretBytes + kKeystoreTagBytes;

// KDF bounds accepted when creating and when reading. The minimums are libsodium's
// Argon2id minimums (tests use them to stay fast); the maximums keep a hostile or damaged
// file from asking for more than a node or wallet can spend: 2 GiB (twice libsodium's
// SENSITIVE) and 16 passes.
inline constexpr uint32_t kMinOpsLimit = 1;
inline constexpr uint32_t kMaxOpsLimit = 16;
inline constexpr uint32_t kMinMemLimitKib = 8;
inline constexpr uint32_t kMaxMemLimitKib = 2u * 1024 * 1024;

// libsodium's presets: MODERATE (3 passes, 256 MiB) for real keys, INTERACTIVE (2, 64 MiB)
// for quick interactive unlocks, and the minimum for tests only.
inline constexpr KdfParams kModerateKdfParams{3, 256u * 1024};
inline constexpr KdfParams kInteractiveKdfParams{2, 64u * 1024};
inline constexpr KdfParams kMinimumKdfParams{kMinOpsLimit, kMinMemLimitKib};
inline constexpr KdfParams kDefaultKdfParams = kModerateKdfParams;

// Passwords longer than this are refused (they are read from terminals and small files).
inline constexpr size_t kMaxPasswordBytes = 1024;

// What a keystore shows without its password.
struct KeystoreInfo {
  KeystoreKind kind = KeystoreKind::validator_voting_key;
  KdfParams kdf;
  Bytes public_data;  // for a validator voting key: the 32-byte Ed25519 public key
  size_t secret_size = 0;
};

// An opened keystore: the secret (zeroed when dropped) and the public information.
struct OpenedKeystore {
  KeystoreInfo info;
  SecretBytes secret;
};

// Checks `params` against the bounds above; the error names the parameter and the bound.
Status check_kdf_params(const KdfParams& params);

// Encrypts `secret` under `password` and returns the file's bytes. `public_data` must fit
// the kind (docs/keystore.md); for a validator voting key use create_validator_keystore.
// Salt and nonce come from `rng` (the OS CSPRNG by default). The password must be
// non-empty and at most kMaxPasswordBytes.
Result<Bytes> create_keystore(KeystoreKind kind, ByteSpan secret, ByteSpan public_data,
                              std::string_view password, const KdfParams& params, Rng& rng);
Result<Bytes> create_keystore(KeystoreKind kind, ByteSpan secret, ByteSpan public_data,
                              std::string_view password, const KdfParams& params = kDefaultKdfParams);

// A validator voting-key keystore for `key`: its seed as the secret, its public key in clear.
Result<Bytes> create_validator_keystore(const KeyPair& key, std::string_view password,
                                        const KdfParams& params = kDefaultKdfParams);

// Parses and checks the structure of a keystore without the password and without running
// the KDF: magic, version, kind, KDF bounds, sizes for the kind, and no bytes left over.
Result<KeystoreInfo> read_keystore_info(ByteSpan file);

// Decrypts a keystore. A wrong password and a modified file give the same error
// ("wrong password or damaged file"): the AEAD cannot tell them apart.
Result<OpenedKeystore> open_keystore(ByteSpan file, std::string_view password);

// Opens a validator voting-key keystore and rebuilds the key pair, checking that it
// matches the public key stored in clear. Any other kind is refused.
Result<KeyPair> open_validator_keystore(ByteSpan file, std::string_view password);

// Writes `file_bytes` to `path` atomically with mode 0600: a temporary file in the same
// directory, fsync, rename over `path`, fsync of the directory. After a crash `path` holds
// either its old content or the new one. An existing `path` is refused unless `overwrite`.
Status write_keystore_file(const std::filesystem::path& path, ByteSpan file_bytes, bool overwrite = false);

// Reads a keystore file (at most kMaxKeystoreFileBytes). Refuses a file that group or
// others may access, naming the mode and the fix, and anything that is not a regular file.
Result<Bytes> read_keystore_file(const std::filesystem::path& path);

// Reads a password from the first line of a file (without its line ending), under the same
// permission rule as keystore files. An empty password is refused.
Result<SecretBytes> read_password_file(const std::filesystem::path& path);

// Asks for a password on the controlling terminal (/dev/tty) with echo off; with `confirm`
// asks twice and refuses a mismatch. Fails when there is no terminal.
Result<SecretBytes> prompt_password(std::string_view prompt, bool confirm);

// Loads a validator's voting key the way cairnd does: reads `keystore_path`, takes the
// password from `password_file` when given and from the terminal otherwise, and opens it.
// Errors name the file they are about.
Result<KeyPair> load_validator_key(const std::filesystem::path& keystore_path,
                                   const std::filesystem::path& password_file);

}  // namespace cairn
