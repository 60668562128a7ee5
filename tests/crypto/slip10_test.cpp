#include "crypto/slip10.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn::slip10 {
namespace {

using json = nlohmann::json;

const Bytes kVector1Seed = *from_hex("000102030405060708090a0b0c0d0e0f");

std::string error_of(std::string_view path) {
  auto parsed = parse_path(path);
  EXPECT_FALSE(parsed.ok()) << path;
  return parsed ? std::string() : parsed.error().message;
}

std::string deep_path(size_t depth) {
  std::string path = "m";
  for (size_t i = 0; i < depth; ++i) path.append("/1'");
  return path;
}

TEST(Slip10, EveryEd25519Vector) {
  CAIRN_REQUIRE_SHARED(path, "slip10/ed25519.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& vector : vectors.at("vectors")) {
    const Bytes seed = *from_hex(vector.at("seed").get<std::string>());
    for (const json& chain : vector.at("chains")) {
      const std::string text = chain.at("path").get<std::string>();
      SCOPED_TRACE(text);
      auto indexes = parse_path(text);
      ASSERT_TRUE(indexes.ok()) << indexes.error().to_string();
      EXPECT_EQ(format_path(*indexes), text);
      auto node = derive_path(seed, *indexes);
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      EXPECT_EQ(to_hex(node->chain_code.span()), chain.at("chain_code").get<std::string>());
      EXPECT_EQ(to_hex(node->key.span()), chain.at("private").get<std::string>());
      // SLIP-0010 writes Ed25519 public keys with a 00 prefix (33 bytes, like secp256k1's).
      EXPECT_EQ("00" + key_pair(*node).public_key().hex(), chain.at("public").get<std::string>());
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12u);
}

TEST(Slip10, DeriveChildStepByStepMatchesDerivePath) {
  auto master = master_key(kVector1Seed);
  ASSERT_TRUE(master.ok());
  auto child = derive_child(*master, 0 | kHardened);
  ASSERT_TRUE(child.ok());
  auto grandchild = derive_child(*child, 1 | kHardened);
  ASSERT_TRUE(grandchild.ok());
  const std::vector<uint32_t> path{0 | kHardened, 1 | kHardened};
  auto direct = derive_path(kVector1Seed, path);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(to_hex(grandchild->key.span()), to_hex(direct->key.span()));
  EXPECT_EQ(to_hex(grandchild->chain_code.span()), to_hex(direct->chain_code.span()));
  // The key pair signs with the derived key.
  const KeyPair pair = key_pair(*direct);
  const Bytes message{1, 2, 3};
  EXPECT_TRUE(verify(pair.public_key(), message, pair.sign(message)));
}

TEST(Slip10, UnhardenedChildIsRefused) {
  auto master = master_key(kVector1Seed);
  ASSERT_TRUE(master.ok());
  for (uint32_t index : {0u, 5u, kHardened - 1}) {
    auto child = derive_child(*master, index);
    ASSERT_FALSE(child.ok()) << index;
    EXPECT_NE(child.error().message.find("not hardened"), std::string::npos);
  }
  EXPECT_TRUE(derive_child(*master, kHardened).ok());
  EXPECT_TRUE(derive_child(*master, 0xffff'ffff).ok());
  const std::vector<uint32_t> mixed{44 | kHardened, 1};
  EXPECT_FALSE(derive_path(kVector1Seed, mixed).ok());
}

TEST(Slip10, SeedLengthBoundaries) {
  for (size_t size : {size_t{0}, kMinSeedBytes - 1, kMaxSeedBytes + 1}) {
    auto master = master_key(Bytes(size, 7));
    ASSERT_FALSE(master.ok()) << size;
    EXPECT_EQ(master.error().message, "a SLIP-0010 seed is 16 to 64 bytes, not " + std::to_string(size));
  }
  EXPECT_TRUE(master_key(Bytes(kMinSeedBytes, 7)).ok());
  EXPECT_TRUE(master_key(Bytes(kMaxSeedBytes, 7)).ok());
  EXPECT_FALSE(derive_path(Bytes(15, 7), {}).ok());
}

TEST(Slip10, ParsePathAcceptsApostropheAndH) {
  const std::vector<uint32_t> expected{44 | kHardened, 1 | kHardened, 0 | kHardened, 0 | kHardened,
                                       5 | kHardened};
  EXPECT_EQ(*parse_path("m/44'/1'/0'/0'/5'"), expected);
  EXPECT_EQ(*parse_path("m/44h/1h/0h/0h/5h"), expected);
  EXPECT_EQ(*parse_path("m/44'/1h/0'/0h/5'"), expected);
  EXPECT_TRUE(parse_path("m")->empty());
  EXPECT_EQ(*parse_path("m/2147483647'"), std::vector<uint32_t>{0xffff'ffff});
  EXPECT_EQ(format_path(expected), "m/44'/1'/0'/0'/5'");
  EXPECT_EQ(format_path(std::vector<uint32_t>{}), "m");
}

TEST(Slip10, ParsePathRefusesUnhardenedWithTheReason) {
  EXPECT_EQ(error_of("m/44'/1'/0'/0/5'"),
            "path element 4 \"0\": not hardened; Ed25519 keys (SLIP-0010) have hardened derivation only, "
            "so write it with ' or h, e.g. 0'");
  EXPECT_NE(error_of("m/44").find("not hardened"), std::string::npos);
}

TEST(Slip10, ParsePathRefusesIndexesFrom2Pow31) {
  EXPECT_EQ(error_of("m/2147483648'"),
            "path element 1 \"2147483648'\": the index must be below 2^31 (2147483648)");
  EXPECT_NE(error_of("m/0'/99999999999999999999999'").find("element 2"), std::string::npos);
  EXPECT_NE(error_of("m/4294967295h").find("below 2^31"), std::string::npos);
}

TEST(Slip10, ParsePathDepthBoundary) {
  auto deepest = parse_path(deep_path(kMaxPathDepth));
  ASSERT_TRUE(deepest.ok());
  EXPECT_EQ(deepest->size(), kMaxPathDepth);
  auto too_deep = parse_path(deep_path(kMaxPathDepth + 1));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().code, ErrorCode::limit);
  EXPECT_EQ(too_deep.error().message, "the path is deeper than 255 levels");
}

TEST(Slip10, ParsePathRefusesGarbage) {
  for (std::string_view bad :
       {"",      "44'/1'", "M/44'", "m44'", "/m/44'", "m/",    "m//1'", "m/1'/",   "m/'",     "m/h",
        "m/-1'", "m/+1'",  "m/1''", "m/1H", "m/01'",  "m/ 1'", "m/1' ", "m/0x10'", "m/1'/a'", "m/1'\n"}) {
    auto parsed = parse_path(bad);
    EXPECT_FALSE(parsed.ok()) << "accepted: '" << bad << "'";
  }
  EXPECT_EQ(error_of("m//1'"), "path element 1: empty (two slashes in a row, or a slash at the end?)");
  EXPECT_EQ(error_of("m/1'/x'"),
            "path element 2 \"x'\": expected a decimal index followed by ' or h, e.g. 44'");
  EXPECT_EQ(error_of("m/01'"), "path element 1 \"01'\": leading zeros are not allowed");
  EXPECT_EQ(error_of("44'"), "a path starts with m/ (e.g. m/44'/1'/0'/0'/0'), or is just m");
}

}  // namespace
}  // namespace cairn::slip10
