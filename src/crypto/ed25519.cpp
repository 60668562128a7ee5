#include "crypto/ed25519.h"

#include <cstdio>
#include <cstdlib>

#include <sodium.h>

namespace cairn {
namespace {

// Clears a key pair's storage. The public key goes too, so a moved-from KeyPair is
// plainly empty rather than half of a key.
void wipe(FixedBytes<64>& secret, PublicKey& public_key) {
  sodium_memzero(secret.data(), secret.size());
  sodium_memzero(public_key.data(), public_key.size());
}

}  // namespace

void ensure_sodium_initialised() {
  // A function-local static runs sodium_init exactly once, even under concurrent first
  // calls. Without a working libsodium no key or signature can be trusted, so failure
  // (only possible if the kernel CSPRNG is unavailable) stops the process.
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fputs("fatal: libsodium failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

void OsRng::fill(std::span<uint8_t> out) {
  ensure_sodium_initialised();
  randombytes_buf(out.data(), out.size());
}

KeyPair KeyPair::generate() {
  ensure_sodium_initialised();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  KeyPair pair = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  static_assert(crypto_sign_SEEDBYTES == Seed::kSize);
  static_assert(crypto_sign_SECRETKEYBYTES == decltype(secret_)::kSize);
  static_assert(crypto_sign_PUBLICKEYBYTES == PublicKey::kSize);
  ensure_sodium_initialised();
  KeyPair pair;
  // Cannot fail: every 32-byte string is a valid seed.
  crypto_sign_seed_keypair(pair.public_.data(), pair.secret_.data(), seed.data());
  return pair;
}

KeyPair::KeyPair(KeyPair&& other) noexcept : secret_(other.secret_), public_(other.public_) {
  wipe(other.secret_, other.public_);
}

KeyPair& KeyPair::operator=(KeyPair&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    wipe(other.secret_, other.public_);
  }
  return *this;
}

KeyPair::~KeyPair() { wipe(secret_, public_); }

Signature KeyPair::sign(ByteSpan message) const {
  static_assert(crypto_sign_BYTES == Signature::kSize);
  Signature signature;
  // Cannot fail for a well-formed secret key, which the constructors guarantee.
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_.data());
  return signature;
}

Seed KeyPair::seed() const {
  Seed seed;
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_.data());
  return seed;
}

bool verify(const PublicKey& key, ByteSpan message, const Signature& signature) {
  ensure_sodium_initialised();
  // libsodium 1.0.18 built without ED25519_COMPAT: canonical S, canonical non-small-order
  // A and R, cofactorless equation. This exact rule is consensus (docs/consensus.md §7).
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), key.data()) == 0;
}

}  // namespace cairn
