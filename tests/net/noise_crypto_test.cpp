#include "net/noise_crypto.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn::net {
namespace {

using nlohmann::json;

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.ok()) << text;
  return bytes ? *bytes : Bytes{};
}

Bytes unhex(const json& value) { return hex(value.get<std::string>()); }

Secret32 secret(const Bytes& bytes) {
  EXPECT_EQ(bytes.size(), 32u);
  std::array<uint8_t, 32> raw{};
  std::copy_n(bytes.begin(), std::min<size_t>(bytes.size(), 32), raw.begin());
  return Secret32(raw);
}

std::string trace(const json& t) {
  return "tcId " + std::to_string(t.at("tcId").get<int>()) + " (" + t.at("comment").get<std::string>() + ")";
}

bool has_flag(const json& t, const std::string& flag) {
  for (const json& f : t.at("flags")) {
    if (f.get<std::string>() == flag) return true;
  }
  return false;
}

// Hands out a fixed byte string, so that "random" keys are the ones a vector names.
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<uint8_t> out) override {
    ASSERT_LE(offset_ + out.size(), bytes_.size());
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset_), out.size(), out.begin());
    offset_ += out.size();
  }

 private:
  Bytes bytes_;
  size_t offset_ = 0;
};

// Wycheproof's "acceptable" X25519 cases are the twist and non-canonical keys, which X25519
// is defined for (the result must match), and the low-order keys whose shared secret is
// zero, which Noise peers must refuse.
TEST(NoiseCrypto, X25519Wycheproof) {
  CAIRN_REQUIRE_SHARED(path, "wycheproof/x25519_test.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  size_t zero = 0;
  for (const json& group : vectors.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      SCOPED_TRACE(trace(t));
      const std::string result = t.at("result").get<std::string>();
      ASSERT_TRUE(result == "valid" || result == "acceptable") << result;
      auto peer = X25519PublicKey::from_span(unhex(t.at("public")));
      ASSERT_TRUE(peer.ok());
      auto shared = x25519(secret(unhex(t.at("private"))), *peer);
      if (has_flag(t, "ZeroSharedSecret")) {
        EXPECT_FALSE(shared.ok());
        ++zero;
      } else {
        ASSERT_TRUE(shared.ok());
        EXPECT_EQ(to_hex(shared->span()), t.at("shared").get<std::string>());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, vectors.at("numberOfTests").get<size_t>());
  EXPECT_GT(zero, 0u);
}

TEST(NoiseCrypto, ChaCha20Poly1305Wycheproof) {
  CAIRN_REQUIRE_SHARED(path, "wycheproof/chacha20_poly1305_test.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& group : vectors.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      SCOPED_TRACE(trace(t));
      const std::string result = t.at("result").get<std::string>();
      ASSERT_TRUE(result == "valid" || result == "invalid") << result;
      ++checked;
      // Only 12-byte nonces can be represented: other sizes are rejected by type.
      auto nonce = AeadNonce::from_span(unhex(t.at("iv")));
      if (!nonce) {
        EXPECT_EQ(result, "invalid");
        continue;
      }
      const Secret32 key = secret(unhex(t.at("key")));
      const Bytes ad = unhex(t.at("aad"));
      const Bytes msg = unhex(t.at("msg"));
      Bytes sealed = unhex(t.at("ct"));
      const Bytes tag = unhex(t.at("tag"));
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      auto opened = aead_open(key, *nonce, ad, sealed);
      EXPECT_EQ(opened.ok(), result == "valid");
      if (result == "valid") {
        EXPECT_EQ(aead_seal(key, *nonce, ad, msg), sealed);
        if (opened) {
          EXPECT_EQ(*opened, msg);
        }
      }
    }
  }
  EXPECT_EQ(checked, vectors.at("numberOfTests").get<size_t>());
}

TEST(NoiseCrypto, HkdfSha256Wycheproof) {
  CAIRN_REQUIRE_SHARED(path, "wycheproof/hkdf_sha256_test.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& group : vectors.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      SCOPED_TRACE(trace(t));
      const std::string result = t.at("result").get<std::string>();
      auto okm = hkdf_sha256(unhex(t.at("salt")), unhex(t.at("ikm")), unhex(t.at("info")),
                             t.at("size").get<size_t>());
      ASSERT_EQ(okm.ok(), result == "valid");
      if (okm) {
        EXPECT_EQ(to_hex(*okm), t.at("okm").get<std::string>());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, vectors.at("numberOfTests").get<size_t>());
}

TEST(NoiseCrypto, HkdfOutputLimitBoundary) {
  EXPECT_TRUE(hkdf_sha256({}, {}, {}, kHkdfMaxOutput).ok());
  auto over = hkdf_sha256({}, {}, {}, kHkdfMaxOutput + 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

// Truncated-tag groups compare the tag's first tagSize bits, as Wycheproof intends.
TEST(NoiseCrypto, HmacSha256Wycheproof) {
  CAIRN_REQUIRE_SHARED(path, "wycheproof/hmac_sha256_test.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& group : vectors.at("testGroups")) {
    const size_t tag_bytes = group.at("tagSize").get<size_t>() / 8;
    for (const json& t : group.at("tests")) {
      SCOPED_TRACE(trace(t));
      const std::string result = t.at("result").get<std::string>();
      const Sha256Digest mac = hmac_sha256(unhex(t.at("key")), unhex(t.at("msg")));
      const Bytes tag = unhex(t.at("tag"));
      const bool matches = tag.size() == tag_bytes && std::equal(tag.begin(), tag.end(), mac.begin());
      EXPECT_EQ(matches, result == "valid");
      ++checked;
    }
  }
  EXPECT_EQ(checked, vectors.at("numberOfTests").get<size_t>());
}

TEST(NoiseCrypto, Sha256KnownAnswer) {
  EXPECT_EQ(sha256(as_bytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(NoiseCrypto, NonceIsFourZeroBytesThenLittleEndianCounter) {
  EXPECT_EQ(noise_nonce(0x0102030405060708).hex(), "000000000807060504030201");
  EXPECT_EQ(noise_nonce(0).hex(), "000000000000000000000000");
}

TEST(NoiseCrypto, CipherStateWithoutKeyIsIdentity) {
  CipherState cipher;
  auto out = cipher.encrypt_with_ad(as_bytes("ad"), as_bytes("plain"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, Bytes(as_bytes("plain").begin(), as_bytes("plain").end()));
  EXPECT_EQ(cipher.nonce(), 0u);
}

// 2^64 - 1 is reserved: the last usable nonce is 2^64 - 2, then every call fails.
TEST(NoiseCrypto, CipherStateNonceExhaustion) {
  const Secret32 key = secret(Bytes(32, 7));
  CipherState sender;
  CipherState receiver;
  sender.initialize_key(key);
  receiver.initialize_key(key);
  const uint64_t last = std::numeric_limits<uint64_t>::max() - 1;
  sender.set_nonce(last);
  receiver.set_nonce(last);
  auto sealed = sender.encrypt_with_ad({}, as_bytes("last"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 4 + kNoiseTagSize);
  EXPECT_TRUE(receiver.decrypt_with_ad({}, *sealed).ok());
  auto again = sender.encrypt_with_ad({}, as_bytes("one more"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::limit);
  EXPECT_FALSE(receiver.decrypt_with_ad({}, *sealed).ok());
}

TEST(NoiseCrypto, FailedDecryptionKeepsTheNonce) {
  CipherState sender;
  CipherState receiver;
  sender.initialize_key(secret(Bytes(32, 1)));
  receiver.initialize_key(secret(Bytes(32, 1)));
  auto sealed = sender.encrypt_with_ad({}, as_bytes("x"));
  ASSERT_TRUE(sealed.ok());
  Bytes tampered = *sealed;
  tampered[0] ^= 1;
  EXPECT_FALSE(receiver.decrypt_with_ad({}, tampered).ok());
  EXPECT_EQ(receiver.nonce(), 0u);
  EXPECT_TRUE(receiver.decrypt_with_ad({}, *sealed).ok());
}

// Expected bytes from an independent implementation (pyca/cryptography following Noise §5,
// keys 01..20, 21..40, 41..60, 61..80 hex for initiator s, e and responder s, e).
TEST(NoiseCrypto, XXKnownAnswer) {
  auto range = [](uint8_t first) {
    Bytes b(32);
    for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(first + i);
    return b;
  };
  ScriptedRng initiator_rng(range(33));
  ScriptedRng responder_rng(range(97));
  XXHandshake initiator(NoiseRole::initiator, X25519KeyPair::from_secret(secret(range(1))), initiator_rng);
  XXHandshake responder(NoiseRole::responder, X25519KeyPair::from_secret(secret(range(65))), responder_rng);

  auto m1 = initiator.write_message({});
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(to_hex(*m1), "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b");
  ASSERT_TRUE(responder.read_message(*m1).ok());
  auto m2 = responder.write_message(as_bytes("responder payload"));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(
      to_hex(*m2),
      "244fe3b963e899dd295baffce248d3530f3a9a7479ba063002680ebfe7adad49f197d6be61b51372854b4947bb7968e90c"
      "719fe79550e48ecf696cc4e7b51e16cd17e573e3461759047903c2b7cd451728b4732b1df93982e103155870c9b541039"
      "6b71214776ea8cfe4f3f12f451e1652");
  auto p2 = initiator.read_message(*m2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(*p2, Bytes(as_bytes("responder payload").begin(), as_bytes("responder payload").end()));
  auto m3 = initiator.write_message(as_bytes("initiator payload"));
  ASSERT_TRUE(m3.ok());
  EXPECT_EQ(
      to_hex(*m3),
      "bb393122a9dd7e3e19dd4433a6c6743ff2454a8d4e165786a5f1235a87aaf27e633aa82de0f25d3b1fea81ed08677129fc"
      "1e6a882e08ebebf07df2683fb03eb2cee8fd047b1987aad8488759970a9976e8");
  ASSERT_TRUE(responder.read_message(*m3).ok());
  ASSERT_TRUE(initiator.finished() && responder.finished());
  EXPECT_EQ(initiator.handshake_hash().hex(),
            "16d977eefa91f63c78831ccaf3b20f057dc9a252a540f036ac2932f9feb19134");
  EXPECT_EQ(responder.handshake_hash(), initiator.handshake_hash());
  EXPECT_EQ(responder.remote_static(), initiator.local_static());
  EXPECT_EQ(initiator.remote_static(), responder.local_static());

  auto [i_send, i_receive] = initiator.split();
  auto [r_send, r_receive] = responder.split();
  auto ping = i_send.encrypt_with_ad({}, as_bytes("ping"));
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(to_hex(*ping), "f9ee699891fb7b974f2fed6eb055be2cfbe1bb3d");
  EXPECT_TRUE(r_receive.decrypt_with_ad({}, *ping).ok());
  auto pong = r_send.encrypt_with_ad({}, as_bytes("pong"));
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(to_hex(*pong), "7f8d5c43ace9b5369c72564f974f45626b97628e");
  EXPECT_TRUE(i_receive.decrypt_with_ad({}, *pong).ok());
}

TEST(NoiseCrypto, XXRejectsOutOfTurnAndShortMessages) {
  DeterministicRng rng(1);
  XXHandshake initiator(NoiseRole::initiator, X25519KeyPair::generate(rng), rng);
  XXHandshake responder(NoiseRole::responder, X25519KeyPair::generate(rng), rng);
  EXPECT_FALSE(responder.write_message({}).ok());
  EXPECT_FALSE(initiator.read_message(Bytes(32)).ok());
  auto m1 = initiator.write_message({});
  ASSERT_TRUE(m1.ok());
  EXPECT_FALSE(initiator.write_message({}).ok());
  auto short_message = responder.read_message(ByteSpan(*m1).first(31));
  ASSERT_FALSE(short_message.ok());
  EXPECT_NE(short_message.error().message.find("at least 32"), std::string::npos);
  // A failed read ends the handshake for good.
  EXPECT_FALSE(responder.read_message(*m1).ok());
}

// A low-order ephemeral key forces a zero DH output: refused, not mixed into the keys.
TEST(NoiseCrypto, XXRejectsLowOrderEphemeral) {
  DeterministicRng rng(2);
  XXHandshake initiator(NoiseRole::initiator, X25519KeyPair::generate(rng), rng);
  XXHandshake responder(NoiseRole::responder, X25519KeyPair::generate(rng), rng);
  ASSERT_TRUE(responder.read_message(Bytes(32, 0)).ok());  // the point 0 has order 4
  auto m2 = responder.write_message({});
  ASSERT_FALSE(m2.ok());
  EXPECT_EQ(m2.error().code, ErrorCode::crypto);
}

}  // namespace
}  // namespace cairn::net
