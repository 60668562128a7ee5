// The Noise Protocol Framework (revision 34, noiseprotocol.org/noise.html) for the one
// protocol libp2p uses: Noise_XX_25519_ChaChaPoly_SHA256.
//
//   DH      X25519 (RFC 7748); an all-zero shared secret (a low-order peer key) is an Error
//   cipher  ChaCha20-Poly1305 IETF; the 12-byte nonce is 4 zero bytes ‖ the 64-bit counter n
//           in little-endian; the 16-byte tag follows the ciphertext
//   hash    SHA-256; HKDF is RFC 5869 HKDF-SHA256 with an empty info (Noise §4.3)
//
// CipherState, SymmetricState and HandshakeState follow §5 of the Noise spec name for name;
// HandshakeState knows only the XX pattern (-> e; <- e, ee, s, es; -> s, se) and an empty
// prologue. Everything here is pure computation: keys come from the caller's Rng, there is no
// I/O and no framing (noise.h adds libp2p's). Secrets live in Secret32, zeroed on destruction.
// Not thread-safe; distinct objects may be used from distinct threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::net {

// DHLEN = HASHLEN = cipher key length for this suite.
inline constexpr size_t kNoiseKeySize = 32;
inline constexpr size_t kNoiseTagSize = 16;
// Noise §3: no Noise message, handshake or transport, is longer than this.
inline constexpr size_t kNoiseMaxMessageSize = 65535;
// RFC 5869: HKDF output is at most 255 hash blocks.
inline constexpr size_t kHkdfMaxOutput = 255 * 32;
inline constexpr std::string_view kNoiseProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

using Sha256Digest = FixedBytes<32>;
using X25519PublicKey = FixedBytes<32>;
using AeadNonce = FixedBytes<12>;

// 32 secret bytes (keys, chaining keys, DH outputs), overwritten when destroyed.
class Secret32 {
 public:
  Secret32() = default;
  explicit Secret32(std::span<const uint8_t, 32> bytes);
  Secret32(const Secret32& other) = default;
  Secret32& operator=(const Secret32& other) = default;
  ~Secret32();

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  static constexpr size_t size() { return 32; }
  ByteSpan span() const { return bytes_; }

 private:
  std::array<uint8_t, 32> bytes_{};
};

Sha256Digest sha256(ByteSpan data);
// HMAC-SHA256 with a key of any length.
Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data);
// RFC 5869 HKDF-SHA256; an empty salt means 32 zero bytes. Error if length > kHkdfMaxOutput.
Result<Bytes> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, size_t length);

// An X25519 key pair; the secret is zeroed on destruction.
struct X25519KeyPair {
  Secret32 secret;
  X25519PublicKey public_key;

  // 32 bytes from `rng` as the secret (X25519 clamps it).
  static X25519KeyPair generate(Rng& rng);
  static X25519KeyPair from_secret(const Secret32& secret);
};

// X25519(secret, peer). Error when the result is all zero: the peer's key has low order and
// would let it force a known shared secret (RFC 7748 §6.1).
Result<Secret32> x25519(const Secret32& secret, const X25519PublicKey& peer);

// Noise's nonce: 4 zero bytes, then `n` in little-endian.
AeadNonce noise_nonce(uint64_t n);
// ChaCha20-Poly1305 IETF: ciphertext ‖ 16-byte tag.
Bytes aead_seal(const Secret32& key, const AeadNonce& nonce, ByteSpan ad, ByteSpan plaintext);
// Error (verify) if the tag does not authenticate `ciphertext` and `ad`.
Result<Bytes> aead_open(const Secret32& key, const AeadNonce& nonce, ByteSpan ad, ByteSpan ciphertext);

// Noise §5.1. Without a key, encryption and decryption are the identity.
class CipherState {
 public:
  void initialize_key(const Secret32& key);
  bool has_key() const { return has_key_; }
  // §5.1 SetNonce; tests use it to reach the end of the nonce space.
  void set_nonce(uint64_t n) { n_ = n; }
  uint64_t nonce() const { return n_; }

  // Error once n reaches 2^64 - 1, which Noise reserves: the connection must end, a nonce
  // must never repeat under one key.
  Result<Bytes> encrypt_with_ad(ByteSpan ad, ByteSpan plaintext);
  // Error on a bad tag (n is then unchanged) or an exhausted nonce.
  Result<Bytes> decrypt_with_ad(ByteSpan ad, ByteSpan ciphertext);

 private:
  Secret32 k_;
  bool has_key_ = false;
  uint64_t n_ = 0;
};

// Noise §5.2.
class SymmetricState {
 public:
  explicit SymmetricState(std::string_view protocol_name);

  void mix_key(ByteSpan input_key_material);
  void mix_hash(ByteSpan data);
  Result<Bytes> encrypt_and_hash(ByteSpan plaintext);
  Result<Bytes> decrypt_and_hash(ByteSpan ciphertext);
  // The two transport CipherStates: first initiator -> responder, then the other way.
  std::pair<CipherState, CipherState> split() const;
  const Sha256Digest& handshake_hash() const { return h_; }

 private:
  Secret32 ck_;
  Sha256Digest h_;
  CipherState cipher_;
};

enum class NoiseRole : uint8_t { initiator, responder };

// Noise §5.3 for the XX pattern with an empty prologue. Messages alternate, initiator first;
// write_message/read_message out of turn is an Error. A failed read leaves the handshake
// unusable (the caller drops the connection): Noise has no recovery from a bad message.
class XXHandshake {
 public:
  // `static_key` is this side's s; e is drawn from `rng` when it is first needed.
  XXHandshake(NoiseRole role, X25519KeyPair static_key, Rng& rng);

  // Builds the next message, carrying `payload` (encrypted once a key exists).
  Result<Bytes> write_message(ByteSpan payload);
  // Consumes the peer's next message and returns its payload.
  Result<Bytes> read_message(ByteSpan message);

  // True once all three messages have been written or read.
  bool finished() const { return step_ == 3; }
  // REQUIRES: finished(). {send, receive} CipherStates for this side.
  std::pair<CipherState, CipherState> split() const;

  NoiseRole role() const { return role_; }
  bool my_turn() const;
  const X25519PublicKey& local_static() const { return s_.public_key; }
  // The peer's static key; all zero until the message carrying it has been read.
  const X25519PublicKey& remote_static() const { return rs_; }
  const Sha256Digest& handshake_hash() const { return symmetric_.handshake_hash(); }

 private:
  Status mix_dh(const Secret32& secret, const X25519PublicKey& peer);
  Result<Bytes> read_next(ByteSpan message);

  NoiseRole role_;
  Rng& rng_;
  SymmetricState symmetric_;
  X25519KeyPair s_;
  X25519KeyPair e_;
  X25519PublicKey rs_;
  X25519PublicKey re_;
  int step_ = 0;  // messages processed so far; even steps are the initiator's to write
  bool failed_ = false;
};

}  // namespace cairn::net
