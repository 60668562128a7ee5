// Unlocked sessions: `cairn wallet unlock` keeps a wallet's seed secret available to
// later commands until a timeout, without asking the password again (docs/wallet.md
// "Sessions").
//
// The seed-keystore secret is re-encrypted with XChaCha20-Poly1305 (libsodium) under a
// fresh random 32-byte session key. The ciphertext goes to <wallet dir>/session (0600),
// the key to <key dir>/<name>.key (0600), where <name> is the hex of
// BLAKE3 derive_key(kSessionKeyNameContext, wallet id ‖ absolute wallet directory) and the key dir is
// $XDG_RUNTIME_DIR/cairn, or /dev/shm/cairn-<uid> when XDG_RUNTIME_DIR is unset: tmpfs,
// per user, so the key never reaches persistent disk and a reboot ends every session.
// The key dir is created 0700 and refused if it is a symbolic link, not owned by the user
// or open to group or others.
//
// Session file (version 1): "CAIRNSES" ‖ u8 version ‖ i64 LE expiry (unix seconds) ‖
// 24-byte nonce ‖ ciphertext ‖ 16-byte tag; the associated data is everything before the
// nonce, so moving the expiry makes decryption fail. A session is valid while
// now < expiry: at the expiry second it is expired, and an expired session (both files)
// is deleted on sight.
//
// Not thread-safe; separate processes may use one wallet's session concurrently (each
// file is replaced atomically).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "crypto/secret.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/rng.h"
#include "wallet/wallet_file.h"

namespace cairn::wallet {

inline constexpr int64_t kDefaultUnlockSeconds = 300;
inline constexpr int64_t kMaxUnlockSeconds = 86'400;
inline constexpr int64_t kMinUnlockSeconds = 1;
inline constexpr std::string_view kSessionFileName = "session";
inline constexpr size_t kSessionKeyBytes = 32;
inline constexpr std::string_view kSessionKeyNameContext = "cairn v1 wallet session key file";

// $XDG_RUNTIME_DIR/cairn, or /dev/shm/cairn-<uid> when XDG_RUNTIME_DIR is unset or empty.
std::filesystem::path default_session_key_dir();

class SessionStore {
 public:
  // `wallet_dir` holds the session file; `id` and `wallet_dir` name the key file; `key_dir` is usually
  // default_session_key_dir(). `clock` must outlive the store.
  SessionStore(std::filesystem::path wallet_dir, const WalletId& id, std::filesystem::path key_dir,
               const Clock& clock);

  // Starts (or replaces) a session holding `secret` for `timeout_seconds`
  // (kMinUnlockSeconds..kMaxUnlockSeconds). Writes the key first, then the session file.
  // The session key and nonce come from `rng`: the OS CSPRNG (OsRng) outside tests.
  Status unlock(ByteSpan secret, int64_t timeout_seconds, Rng& rng);

  // The secret of an unexpired session; nullopt when there is none, or it expired (then
  // both files are deleted), or its key file is gone (the machine rebooted; the stale
  // session file is deleted). An Error for a damaged file or wrong permissions.
  Result<std::optional<SecretBytes>> secret();

  // The expiry of an unexpired session (deleting an expired one), nullopt without one.
  Result<std::optional<int64_t>> expiry();

  // Deletes the session file and the key; no session is not an error.
  Status lock();

  std::filesystem::path session_path() const;
  std::filesystem::path key_path() const;

 private:
  std::filesystem::path wallet_dir_;
  WalletId id_;
  std::filesystem::path key_dir_;
  const Clock& clock_;
};

}  // namespace cairn::wallet
