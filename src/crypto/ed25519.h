// Ed25519 signatures through libsodium.
//
// Verification is libsodium 1.0.18's crypto_sign_verify_detached, which is consensus
// (DESIGN.md "Signatures"): canonical S < L, canonical encodings of A and R, small-order A
// and R rejected, the cofactorless equation — the verdicts of ed25519-dalek's
// verify_strict. Of the "Taming the many EdDSAs" edge cases it accepts only case 3.
//
// Secret keys live in SecretKey, which zeroes its memory when destroyed and cannot be
// copied by accident. All functions are thread-safe.
#pragma once

#include <cstdint>

#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn {

using PublicKey = FixedBytes<32>;
using Signature = FixedBytes<64>;
using Seed = FixedBytes<32>;

// Initialises libsodium once; every entry point below calls it, so callers need not.
void ensure_sodium_initialised();

// The operating system's CSPRNG (libsodium's randombytes_buf). Thread-safe.
class OsRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override;
};

// An Ed25519 key pair. Move-only; the 64-byte libsodium secret key (seed ‖ public key)
// is zeroed on destruction and on move-from.
class KeyPair {
 public:
  // A fresh key from the OS CSPRNG.
  static KeyPair generate();
  // The key pair of RFC 8032 for this 32-byte seed (SLIP-0010 and tests use it).
  static KeyPair from_seed(const Seed& seed);

  KeyPair(KeyPair&& other) noexcept;
  KeyPair& operator=(KeyPair&& other) noexcept;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  ~KeyPair();

  const PublicKey& public_key() const { return public_; }
  Signature sign(ByteSpan message) const;
  // The 32-byte seed; the caller takes responsibility for zeroing its copy.
  Seed seed() const;

 private:
  KeyPair() = default;
  FixedBytes<64> secret_;  // libsodium layout: seed ‖ public key
  PublicKey public_;
};

// True iff `signature` is valid for `message` under `key` by libsodium's strict rule.
bool verify(const PublicKey& key, ByteSpan message, const Signature& signature);

}  // namespace cairn
