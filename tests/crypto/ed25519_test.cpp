#include "crypto/ed25519.h"

#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn {
namespace {

using nlohmann::json;

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.ok()) << text;
  return bytes ? *bytes : Bytes{};
}

template <class Fixed>
Fixed fixed(std::string_view text) {
  auto value = Fixed::from_hex(text);
  EXPECT_TRUE(value.ok()) << text;
  return value ? *value : Fixed{};
}

// RFC 8032 §7.1, TEST 1-3.
struct Rfc8032Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};
constexpr Rfc8032Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
     "0595bbe2465"
     "5141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2ea"
     "eb4302aeeb0"
     "0d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e"
     "9716ed28dc0"
     "27beceea1ec40a"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const auto& v : kRfc8032) {
    SCOPED_TRACE(v.seed);
    const KeyPair pair = KeyPair::from_seed(fixed<Seed>(v.seed));
    EXPECT_EQ(pair.public_key().hex(), v.public_key);
    EXPECT_EQ(pair.seed().hex(), v.seed);
    const Bytes message = hex(v.message);
    // Ed25519 signing is deterministic, so the signature must match byte for byte.
    EXPECT_EQ(pair.sign(message).hex(), v.signature);
    EXPECT_TRUE(verify(fixed<PublicKey>(v.public_key), message, fixed<Signature>(v.signature)));
  }
}

TEST(Ed25519, SignVerifyRoundTrip) {
  const KeyPair pair = KeyPair::generate();
  for (size_t length : {0u, 1u, 32u, 1000u}) {
    const Bytes message(length, 0x5a);
    EXPECT_TRUE(verify(pair.public_key(), message, pair.sign(message))) << length;
  }
}

TEST(Ed25519, TamperingIsRejected) {
  const KeyPair pair = KeyPair::from_seed(fixed<Seed>(kRfc8032[2].seed));
  const KeyPair other = KeyPair::from_seed(fixed<Seed>(kRfc8032[1].seed));
  const Bytes message = hex("af82");
  const Signature signature = pair.sign(message);
  ASSERT_TRUE(verify(pair.public_key(), message, signature));

  Bytes changed_message = message;
  changed_message[1] ^= 0x01;
  EXPECT_FALSE(verify(pair.public_key(), changed_message, signature));
  EXPECT_FALSE(verify(pair.public_key(), Bytes{}, signature));
  EXPECT_FALSE(verify(other.public_key(), message, signature));
  // A flipped bit in R (first half) and in S (second half).
  for (size_t byte : {0u, 31u, 32u, 63u}) {
    Signature changed = signature;
    changed.bytes[byte] ^= 0x01;
    EXPECT_FALSE(verify(pair.public_key(), message, changed)) << "byte " << byte;
  }
  PublicKey changed_key = pair.public_key();
  changed_key.bytes[0] ^= 0x01;
  EXPECT_FALSE(verify(changed_key, message, signature));
}

TEST(Ed25519, GenerateGivesFreshKeys) {
  std::set<PublicKey> keys;
  for (int i = 0; i < 8; ++i) {
    const KeyPair pair = KeyPair::generate();
    EXPECT_EQ(KeyPair::from_seed(pair.seed()).public_key(), pair.public_key());
    keys.insert(pair.public_key());
  }
  EXPECT_EQ(keys.size(), 8u);
}

TEST(Ed25519, OsRngFillsDistinctBytes) {
  OsRng rng;
  FixedBytes<32> a;
  FixedBytes<32> b;
  rng.fill(a.span());
  rng.fill(b.span());
  EXPECT_NE(a, b);
  EXPECT_FALSE(a.is_zero());
}

TEST(Ed25519, MoveZeroesTheSource) {
  const Seed seed = fixed<Seed>(kRfc8032[0].seed);
  KeyPair a = KeyPair::from_seed(seed);
  KeyPair b = std::move(a);
  EXPECT_EQ(b.seed(), seed);
  EXPECT_EQ(b.public_key().hex(), kRfc8032[0].public_key);
  EXPECT_TRUE(a.seed().is_zero());        // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_TRUE(a.public_key().is_zero());  // NOLINT(bugprone-use-after-move)

  KeyPair c = KeyPair::from_seed(fixed<Seed>(kRfc8032[1].seed));
  c = std::move(b);
  EXPECT_EQ(c.seed(), seed);
  EXPECT_TRUE(b.seed().is_zero());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(verify(c.public_key(), as_bytes("m"), c.sign(as_bytes("m"))));
}

// Wycheproof's verdicts are libsodium's: every "valid" signature verifies and every
// "invalid" one does not. The file has no "acceptable" (implementation-defined) cases;
// should a new version add some, the test fails so that someone decides, with the
// consensus rule of docs/consensus.md §7 in hand, what Cairn's verdict is.
TEST(Ed25519, Wycheproof) {
  CAIRN_REQUIRE_SHARED(path, "wycheproof/ed25519_test.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& group : vectors.at("testGroups")) {
    const auto key = fixed<PublicKey>(group.at("publicKey").at("pk").get<std::string>());
    for (const json& t : group.at("tests")) {
      const std::string result = t.at("result").get<std::string>();
      SCOPED_TRACE("tcId " + std::to_string(t.at("tcId").get<int>()) + " (" +
                   t.at("comment").get<std::string>() + ")");
      ASSERT_TRUE(result == "valid" || result == "invalid") << "unclassified Wycheproof result: " << result;
      const Bytes message = hex(t.at("msg").get<std::string>());
      const Bytes raw_signature = hex(t.at("sig").get<std::string>());
      // A signature that is not 64 bytes cannot even be represented: rejected by type.
      auto signature = Signature::from_span(raw_signature);
      const bool accepted = signature.ok() && verify(key, message, *signature);
      EXPECT_EQ(accepted, result == "valid");
      ++checked;
    }
  }
  EXPECT_EQ(checked, vectors.at("numberOfTests").get<size_t>());
}

// "Taming the many EdDSAs" (results.md beside the cases): libsodium 1.0.18 accepts only
// case 3 (counting from 0); so must Cairn (docs/consensus.md §7).
TEST(Ed25519, SpeccheckEdgeCases) {
  CAIRN_REQUIRE_SHARED(path, "ed25519-speccheck/cases.json");
  const json cases = json::parse(test::read_file(path));
  ASSERT_EQ(cases.size(), 12u);
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    const bool accepted =
        verify(fixed<PublicKey>(c.at("pub_key").get<std::string>()), hex(c.at("message").get<std::string>()),
               fixed<Signature>(c.at("signature").get<std::string>()));
    EXPECT_EQ(accepted, i == 3) << "speccheck case " << i;
  }
}

}  // namespace
}  // namespace cairn
