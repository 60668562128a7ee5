// Known answers for the primitives: tests/data/primitives_vectors.json is computed by an
// independent implementation of docs/consensus.md (tests/tools/primitives_vectors.mjs) from
// the same sample structures as samples.h. Any change to an encoding, a hashing context or
// the sighash layout fails here.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "primitives/block.h"
#include "primitives/samples.h"
#include "primitives/sighash.h"
#include "support/vectors.h"

namespace cairn {
namespace {

using nlohmann::json;

const json& vectors() {
  static const json v = json::parse(test::read_file(test::test_data("primitives_vectors.json")));
  return v;
}

std::string hex_of(const json& j, const char* a, const char* b) { return j.at(a).at(b).get<std::string>(); }

Bytes bytes_of(const std::string& hex) {
  auto b = from_hex(hex);
  EXPECT_TRUE(b) << hex;
  return b ? *b : Bytes{};
}

TEST(KnownAnswer, KeyHashAndLock) {
  const json& v = vectors();
  EXPECT_EQ(test::sample_key(0x01).hex(), hex_of(v, "key_hash", "public_key"));
  EXPECT_EQ(key_hash(test::sample_key(0x01)).hex(), hex_of(v, "key_hash", "key_hash"));
  const Lock lock = test::sample_lock();
  EXPECT_EQ(to_hex(encode(lock)), hex_of(v, "lock", "encoding"));
  EXPECT_EQ(lock_hash(lock).hex(), hex_of(v, "lock", "lock_hash"));
  EXPECT_EQ(test::ok(decode_lock(bytes_of(hex_of(v, "lock", "encoding")))), lock);
}

TEST(KnownAnswer, TransactionIds) {
  const json& v = vectors();
  const Transaction tx = test::sample_transaction();
  EXPECT_EQ(to_hex(encode(tx)), hex_of(v, "transaction", "encoding"));
  EXPECT_EQ(test::ok(decode_transaction(bytes_of(hex_of(v, "transaction", "encoding")))), tx);
  EXPECT_EQ(txid(tx).hex(), hex_of(v, "transaction", "txid"));
  EXPECT_EQ(wtxid(tx).hex(), hex_of(v, "transaction", "wtxid"));

  const Transaction cb = test::sample_coinbase(v.at("coinbase").at("height").get<uint64_t>());
  EXPECT_EQ(to_hex(encode(cb)), hex_of(v, "coinbase", "encoding"));
  EXPECT_EQ(txid(cb).hex(), hex_of(v, "coinbase", "txid"));
  EXPECT_EQ(wtxid(cb).hex(), hex_of(v, "coinbase", "wtxid"));
}

TEST(KnownAnswer, Sighash) {
  const json& s = vectors().at("transaction").at("sighash");
  const Transaction tx = test::sample_transaction();
  const auto spent = test::sample_spent_outputs();
  ASSERT_EQ(s.at("spent").size(), spent.size());
  for (size_t i = 0; i < spent.size(); ++i) EXPECT_EQ(to_hex(test::encode_one(spent[i])), s.at("spent")[i]);
  const Hash256 genesis = test::ok(Hash256::from_hex(s.at("genesis").get<std::string>()));
  EXPECT_EQ(genesis, test::filled<32>(0x77));

  const SighashDigests d = test::ok(compute_sighash_digests(tx, spent));
  const json& digests = s.at("digests");
  EXPECT_EQ(d.prevouts.hex(), digests.at("prevouts"));
  EXPECT_EQ(d.values.hex(), digests.at("values"));
  EXPECT_EQ(d.locks.hex(), digests.at("locks"));
  EXPECT_EQ(d.outputs.hex(), digests.at("outputs"));
  EXPECT_EQ(d.payload.hex(), digests.at("payload"));
  ASSERT_EQ(s.at("inputs").size(), 2u);
  for (const json& input : s.at("inputs")) {
    auto h =
        signature_hash(tx, d, input.at("index").get<uint32_t>(), input.at("type").get<uint8_t>(), genesis);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->hex(), input.at("sighash"));
  }
}

TEST(KnownAnswer, HeaderAndVote) {
  const json& v = vectors();
  const BlockHeader h = test::sample_header();
  EXPECT_EQ(to_hex(encode(h)), hex_of(v, "header", "encoding"));
  EXPECT_EQ(block_hash(h).hex(), hex_of(v, "header", "hash"));

  const Vote vote = test::sample_vote(0x11);
  EXPECT_EQ(to_hex(encode(vote)), hex_of(v, "vote", "encoding"));
  EXPECT_EQ(vote_id(vote).hex(), hex_of(v, "vote", "id"));
  const Hash256 genesis = test::ok(Hash256::from_hex(hex_of(v, "vote", "genesis")));
  EXPECT_EQ(vote_signing_message(vote, genesis).hex(), hex_of(v, "vote", "signing_message"));
}

TEST(KnownAnswer, Block) {
  const json& v = vectors();
  const Block b = test::sample_block();
  EXPECT_EQ(to_hex(encode(b)), hex_of(v, "block", "encoding"));
  EXPECT_EQ(test::ok(decode_block(bytes_of(hex_of(v, "block", "encoding")))), b);
  EXPECT_EQ(b.header.tx_root.hex(), hex_of(v, "block", "tx_root"));
  EXPECT_EQ(b.header.witness_root.hex(), hex_of(v, "block", "witness_root"));
  EXPECT_EQ(b.header.vote_root.hex(), hex_of(v, "block", "vote_root"));
  EXPECT_EQ(block_hash(b.header).hex(), hex_of(v, "block", "hash"));
}

}  // namespace
}  // namespace cairn
