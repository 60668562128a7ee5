#include "net/noise_crypto.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include <sodium.h>

#include "crypto/ed25519.h"

namespace cairn::net {
namespace {

static_assert(crypto_scalarmult_BYTES == kNoiseKeySize && crypto_scalarmult_SCALARBYTES == kNoiseKeySize);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kNoiseKeySize);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == AeadNonce::kSize);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kNoiseTagSize);
static_assert(crypto_auth_hmacsha256_BYTES == Sha256Digest::kSize);
static_assert(kNoiseProtocolName.size() <= Sha256Digest::kSize, "the name is used as h directly");

// libsodium declares its pointers non-null even with a zero length; an empty span may
// have a null data().
const uint8_t* nonnull(ByteSpan bytes) {
  static constexpr uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

// Streaming HMAC whose state (derived from the key) is wiped when it goes out of scope.
class Hmac {
 public:
  explicit Hmac(ByteSpan key) {
    ensure_sodium_initialised();
    crypto_auth_hmacsha256_init(&state_, nonnull(key), key.size());
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;
  ~Hmac() { sodium_memzero(&state_, sizeof state_); }

  Hmac& update(ByteSpan data) {
    crypto_auth_hmacsha256_update(&state_, nonnull(data), data.size());
    return *this;
  }
  void finish(uint8_t* out) { crypto_auth_hmacsha256_final(&state_, out); }

 private:
  crypto_auth_hmacsha256_state state_;
};

// Noise's HKDF with two outputs (§4.3): RFC 5869 with an empty info, 64 bytes of output.
std::pair<Secret32, Secret32> noise_hkdf2(const Secret32& chaining_key, ByteSpan input_key_material) {
  Secret32 temp_key;
  Hmac(chaining_key.span()).update(input_key_material).finish(temp_key.data());
  Secret32 output1;
  Secret32 output2;
  const uint8_t one = 1;
  const uint8_t two = 2;
  Hmac(temp_key.span()).update({&one, 1}).finish(output1.data());
  Hmac(temp_key.span()).update(output1.span()).update({&two, 1}).finish(output2.data());
  return {output1, output2};
}

Error noise_error(ErrorCode code, const std::string& what) { return Error{code, "noise: " + what}; }

}  // namespace

Secret32::Secret32(std::span<const uint8_t, 32> bytes) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

Secret32::~Secret32() { secure_zero(bytes_.data(), bytes_.size()); }

Sha256Digest sha256(ByteSpan data) {
  ensure_sodium_initialised();
  Sha256Digest out;
  crypto_hash_sha256(out.data(), nonnull(data), data.size());
  return out;
}

Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) {
  Sha256Digest out;
  Hmac(key).update(data).finish(out.data());
  return out;
}

Result<Bytes> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, size_t length) {
  if (length > kHkdfMaxOutput) {
    return Error{ErrorCode::limit, "hkdf: output of " + std::to_string(length) + " bytes exceeds " +
                                       std::to_string(kHkdfMaxOutput)};
  }
  // An empty salt is HMAC's all-zero key, which HMAC's zero padding already gives.
  Secret32 prk;
  Hmac(salt).update(ikm).finish(prk.data());
  Bytes okm;
  okm.reserve(length);
  Secret32 block;
  for (uint8_t counter = 1; okm.size() < length; ++counter) {
    Hmac hmac(prk.span());
    if (counter > 1) hmac.update(block.span());
    hmac.update(info).update({&counter, 1}).finish(block.data());
    const size_t take = std::min(block.size(), length - okm.size());
    okm.insert(okm.end(), block.data(), block.data() + take);
  }
  return okm;
}

X25519KeyPair X25519KeyPair::generate(Rng& rng) {
  Secret32 secret;
  rng.fill({secret.data(), secret.size()});
  return from_secret(secret);
}

X25519KeyPair X25519KeyPair::from_secret(const Secret32& secret) {
  ensure_sodium_initialised();
  X25519KeyPair pair{secret, {}};
  // Cannot fail: every 32-byte string is a valid (clamped) X25519 scalar.
  crypto_scalarmult_base(pair.public_key.data(), pair.secret.data());
  return pair;
}

Result<Secret32> x25519(const Secret32& secret, const X25519PublicKey& peer) {
  ensure_sodium_initialised();
  Secret32 shared;
  // libsodium returns -1 exactly when the output is all zero.
  if (crypto_scalarmult(shared.data(), secret.data(), peer.data()) != 0) {
    return noise_error(ErrorCode::crypto, "X25519 with a low-order public key (all-zero shared secret)");
  }
  return shared;
}

AeadNonce noise_nonce(uint64_t n) {
  AeadNonce nonce;
  for (size_t i = 0; i < 8; ++i) nonce.bytes[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return nonce;
}

Bytes aead_seal(const Secret32& key, const AeadNonce& nonce, ByteSpan ad, ByteSpan plaintext) {
  ensure_sodium_initialised();
  Bytes out(plaintext.size() + kNoiseTagSize);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, nonnull(plaintext), plaintext.size(),
                                            nonnull(ad), ad.size(), nullptr, nonce.data(), key.data());
  return out;
}

Result<Bytes> aead_open(const Secret32& key, const AeadNonce& nonce, ByteSpan ad, ByteSpan ciphertext) {
  ensure_sodium_initialised();
  if (ciphertext.size() < kNoiseTagSize)
    return noise_error(ErrorCode::verify, "ciphertext shorter than its tag");
  Bytes out(ciphertext.size() - kNoiseTagSize);
  uint8_t empty_output = 0;
  unsigned long long written = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.empty() ? &empty_output : out.data(), &written, nullptr,
                                                ciphertext.data(), ciphertext.size(), nonnull(ad), ad.size(),
                                                nonce.data(), key.data()) != 0) {
    return noise_error(ErrorCode::verify, "message authentication failed");
  }
  return out;
}

void CipherState::initialize_key(const Secret32& key) {
  k_ = key;
  has_key_ = true;
  n_ = 0;
}

Result<Bytes> CipherState::encrypt_with_ad(ByteSpan ad, ByteSpan plaintext) {
  if (!has_key_) return Bytes(plaintext.begin(), plaintext.end());
  if (n_ == std::numeric_limits<uint64_t>::max()) {
    return noise_error(ErrorCode::limit, "nonces exhausted; the connection must be closed");
  }
  Bytes out = aead_seal(k_, noise_nonce(n_), ad, plaintext);
  ++n_;
  return out;
}

Result<Bytes> CipherState::decrypt_with_ad(ByteSpan ad, ByteSpan ciphertext) {
  if (!has_key_) return Bytes(ciphertext.begin(), ciphertext.end());
  if (n_ == std::numeric_limits<uint64_t>::max()) {
    return noise_error(ErrorCode::limit, "nonces exhausted; the connection must be closed");
  }
  CAIRN_TRY(Bytes out, aead_open(k_, noise_nonce(n_), ad, ciphertext));
  ++n_;
  return out;
}

SymmetricState::SymmetricState(std::string_view protocol_name) {
  // §5.2 InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded, not hashed.
  if (protocol_name.size() <= Sha256Digest::kSize) {
    std::copy(protocol_name.begin(), protocol_name.end(), h_.bytes.begin());
  } else {
    h_ = sha256(as_bytes(protocol_name));
  }
  ck_ = Secret32(h_.span());
}

void SymmetricState::mix_key(ByteSpan input_key_material) {
  auto [ck, temp_k] = noise_hkdf2(ck_, input_key_material);
  ck_ = ck;
  cipher_.initialize_key(temp_k);
}

void SymmetricState::mix_hash(ByteSpan data) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, h_.data(), h_.size());
  crypto_hash_sha256_update(&state, nonnull(data), data.size());
  crypto_hash_sha256_final(&state, h_.data());
}

Result<Bytes> SymmetricState::encrypt_and_hash(ByteSpan plaintext) {
  CAIRN_TRY(Bytes ciphertext, cipher_.encrypt_with_ad(h_, plaintext));
  mix_hash(ciphertext);
  return ciphertext;
}

Result<Bytes> SymmetricState::decrypt_and_hash(ByteSpan ciphertext) {
  CAIRN_TRY(Bytes plaintext, cipher_.decrypt_with_ad(h_, ciphertext));
  mix_hash(ciphertext);
  return plaintext;
}

std::pair<CipherState, CipherState> SymmetricState::split() const {
  auto [k1, k2] = noise_hkdf2(ck_, {});
  std::pair<CipherState, CipherState> out;
  out.first.initialize_key(k1);
  out.second.initialize_key(k2);
  return out;
}

XXHandshake::XXHandshake(NoiseRole role, X25519KeyPair static_key, Rng& rng)
    : role_(role), rng_(rng), symmetric_(kNoiseProtocolName), s_(std::move(static_key)) {
  symmetric_.mix_hash({});  // the empty prologue
}

bool XXHandshake::my_turn() const {
  if (failed_ || finished()) return false;
  return (step_ % 2 == 0) == (role_ == NoiseRole::initiator);
}

Status XXHandshake::mix_dh(const Secret32& secret, const X25519PublicKey& peer) {
  CAIRN_TRY(Secret32 shared, x25519(secret, peer));
  symmetric_.mix_key(shared.span());
  return {};
}

Result<Bytes> XXHandshake::write_message(ByteSpan payload) {
  if (!my_turn()) return noise_error(ErrorCode::invalid_argument, "not this side's turn to write");
  Bytes out;
  auto append = [&out](ByteSpan bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); };
  auto encrypt_append = [&](ByteSpan plaintext) -> Status {
    CAIRN_TRY(Bytes ciphertext, symmetric_.encrypt_and_hash(plaintext));
    append(ciphertext);
    return {};
  };
  if (step_ < 2) {  // -> e  /  <- e, ee, s, es
    e_ = X25519KeyPair::generate(rng_);
    append(e_.public_key);
    symmetric_.mix_hash(e_.public_key);
  }
  if (step_ == 1) {
    CAIRN_TRY_STATUS(mix_dh(e_.secret, re_));         // ee
    CAIRN_TRY_STATUS(encrypt_append(s_.public_key));  // s
    CAIRN_TRY_STATUS(mix_dh(s_.secret, re_));         // es, responder side
  } else if (step_ == 2) {                            // -> s, se
    CAIRN_TRY_STATUS(encrypt_append(s_.public_key));
    CAIRN_TRY_STATUS(mix_dh(s_.secret, re_));  // se, initiator side
  }
  CAIRN_TRY_STATUS(encrypt_append(payload));
  if (out.size() > kNoiseMaxMessageSize) {
    failed_ = true;
    return noise_error(ErrorCode::limit, "handshake message of " + std::to_string(out.size()) +
                                             " bytes exceeds " + std::to_string(kNoiseMaxMessageSize));
  }
  ++step_;
  return out;
}

Result<Bytes> XXHandshake::read_message(ByteSpan message) {
  if (failed_ || finished() || my_turn()) {
    return noise_error(ErrorCode::invalid_argument, "not this side's turn to read");
  }
  auto result = read_next(message);
  if (!result) failed_ = true;
  return result;
}

Result<Bytes> XXHandshake::read_next(ByteSpan message) {
  if (message.size() > kNoiseMaxMessageSize) {
    return noise_error(ErrorCode::limit,
                       "handshake message exceeds " + std::to_string(kNoiseMaxMessageSize) + " bytes");
  }
  // Fixed-size parts of each message: e is 32 bytes, an encrypted s 48.
  const size_t keys_size = step_ == 0   ? kNoiseKeySize
                           : step_ == 1 ? 2 * kNoiseKeySize + kNoiseTagSize
                                        : kNoiseKeySize + kNoiseTagSize;
  // Once a key exists the payload carries a tag even when it is empty.
  const size_t minimum = keys_size + (step_ == 0 ? 0 : kNoiseTagSize);
  if (message.size() < minimum) {
    return noise_error(ErrorCode::decode, "handshake message " + std::to_string(step_ + 1) + " has " +
                                              std::to_string(message.size()) + " bytes, expected at least " +
                                              std::to_string(minimum));
  }
  ByteSpan rest = message;
  if (step_ < 2) {  // e
    std::copy_n(rest.begin(), kNoiseKeySize, re_.bytes.begin());
    symmetric_.mix_hash(re_);
    rest = rest.subspan(kNoiseKeySize);
  }
  if (step_ >= 1) {
    if (step_ == 1) CAIRN_TRY_STATUS(mix_dh(e_.secret, re_));  // ee
    CAIRN_TRY(Bytes remote_static, symmetric_.decrypt_and_hash(rest.first(kNoiseKeySize + kNoiseTagSize)));
    std::copy(remote_static.begin(), remote_static.end(), rs_.bytes.begin());
    rest = rest.subspan(kNoiseKeySize + kNoiseTagSize);
    // es on the initiator's side (message 2), se on the responder's (message 3): both are
    // DH(own e, remote s).
    CAIRN_TRY_STATUS(mix_dh(e_.secret, rs_));
  }
  CAIRN_TRY(Bytes payload, symmetric_.decrypt_and_hash(rest));
  ++step_;
  return payload;
}

std::pair<CipherState, CipherState> XXHandshake::split() const {
  assert(finished());
  auto [initiator_to_responder, responder_to_initiator] = symmetric_.split();
  if (role_ == NoiseRole::initiator) return {initiator_to_responder, responder_to_initiator};
  return {responder_to_initiator, initiator_to_responder};
}

}  // namespace cairn::net
