#include "crypto/lthash.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn {
namespace {

using nlohmann::json;

LtHash of(std::initializer_list<std::string_view> elements) {
  LtHash h;
  for (auto e : elements) h.add(as_bytes(e));
  return h;
}

// Known answers from an independent implementation (tests/tools/lthash_vectors.mjs on
// @noble/hashes): each case replays its operations from the empty state.
TEST(LtHash, KnownAnswersFromIndependentImplementation) {
  const json vectors = json::parse(test::read_file(test::test_data("lthash_vectors.json")));
  const json& cases = vectors.at("lthash");
  ASSERT_GE(cases.size(), 4u);
  for (const json& c : cases) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    LtHash h;
    for (const json& op : c.at("ops")) {
      auto element = from_hex(op.at("element").get<std::string>());
      ASSERT_TRUE(element.ok());
      const std::string kind = op.at("op").get<std::string>();
      ASSERT_TRUE(kind == "add" || kind == "remove") << kind;
      if (kind == "add") {
        h.add(*element);
      } else {
        h.remove(*element);
      }
    }
    EXPECT_EQ(h.root().hex(), c.at("root").get<std::string>());
    const json& first = c.at("first_lanes");
    ASSERT_FALSE(first.empty());
    for (size_t i = 0; i < first.size(); ++i)
      EXPECT_EQ(h.lanes()[i], first[i].get<uint16_t>()) << "lane " << i;
  }
}

TEST(LtHash, EmptyRoot) {
  const LtHash empty;
  for (uint16_t lane : empty.lanes()) ASSERT_EQ(lane, 0);
  // The root of the empty state is the root-context hash of 2048 zero bytes.
  EXPECT_EQ(empty.root(), hash(HashContext::lthash_root, Bytes(2 * LtHash::kLanes, 0)));
}

TEST(LtHash, RemoveUndoesAdd) {
  LtHash h = of({"utxo 1", "utxo 2"});
  const Hash256 before = h.root();
  h.add(as_bytes("utxo 3"));
  EXPECT_NE(h.root(), before);
  h.remove(as_bytes("utxo 3"));
  EXPECT_EQ(h.root(), before);

  // Removing what was never added, then adding it back, also returns to the start.
  h.remove(as_bytes("never added"));
  EXPECT_NE(h.root(), before);
  h.add(as_bytes("never added"));
  EXPECT_EQ(h.root(), before);
}

TEST(LtHash, OrderDoesNotMatter) {
  EXPECT_EQ(of({"a", "b", "c"}), of({"c", "a", "b"}));
  EXPECT_EQ(of({"a", "b", "c"}).root(), of({"b", "c", "a"}).root());
  EXPECT_NE(of({"a", "b"}), of({"a", "c"}));
}

TEST(LtHash, MultisetNotSet) {
  EXPECT_NE(of({"a", "a"}), of({"a"}));
  EXPECT_NE(of({"a", "a"}).root(), of({"a"}).root());
  EXPECT_NE(of({"a"}).root(), LtHash().root());
  // The empty element is an element like any other.
  EXPECT_NE(of({""}).root(), LtHash().root());
}

TEST(LtHash, CombiningSets) {
  LtHash left = of({"a", "b"});
  left.add(of({"c", "d"}));
  EXPECT_EQ(left, of({"a", "b", "c", "d"}));
  left.remove(of({"b", "d"}));
  EXPECT_EQ(left, of({"a", "c"}));
}

TEST(LtHash, BytesRoundTrip) {
  const LtHash h = of({"a", "b", "element with some length to it"});
  const Bytes bytes = h.to_bytes();
  ASSERT_EQ(bytes.size(), 2 * LtHash::kLanes);
  // Little-endian lanes.
  EXPECT_EQ(bytes[0], h.lanes()[0] & 0xff);
  EXPECT_EQ(bytes[1], h.lanes()[0] >> 8);
  auto restored = LtHash::from_bytes(bytes);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(*restored, h);
  EXPECT_EQ(restored->root(), h.root());
}

TEST(LtHash, FromBytesRejectsWrongLength) {
  for (size_t length : {0u, 2047u, 2049u, 4096u}) {
    auto restored = LtHash::from_bytes(Bytes(length, 0));
    ASSERT_FALSE(restored.ok()) << length;
    EXPECT_EQ(restored.error().code, ErrorCode::decode);
    EXPECT_NE(restored.error().message.find("expected 2048 bytes"), std::string::npos);
  }
}

}  // namespace
}  // namespace cairn
