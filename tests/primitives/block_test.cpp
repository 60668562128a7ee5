#include "primitives/block.h"

#include <functional>

#include <gtest/gtest.h>

#include "crypto/merkle.h"
#include "primitives/samples.h"

namespace cairn {
namespace {

using test::concat;
using test::expect_decode_error;
using test::expect_strict_framing;
using test::filled;
using test::sample_block;
using test::sample_header;
using test::sample_vote;

Result<BlockHeader> decode_header_bytes(ByteSpan b) { return decode_header(b); }
Result<Vote> decode_vote_bytes(ByteSpan b) { return decode_vote(b); }
Result<Block> decode_block_bytes(ByteSpan b) { return decode_block(b); }

// ---- BlockHeader ----

TEST(BlockHeader, IsExactly192BytesInDocumentedOrder) {
  const BlockHeader h = sample_header();
  const Bytes bytes = encode(h);
  ASSERT_EQ(bytes.size(), kHeaderBytes);
  ASSERT_EQ(kHeaderBytes, 192u);
  EXPECT_EQ(bytes,
            concat({Bytes{0x01, 0, 0, 0}, Bytes{42, 0, 0, 0, 0, 0, 0, 0}, h.prev, h.tx_root, h.witness_root,
                    h.state_root, h.vote_root, Bytes{0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0},  // 1,700,000,000
                    Bytes{0xff, 0xff, 0x00, 0x1d}, Bytes{0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}}));
}

TEST(BlockHeader, RoundTripsWithStrictFraming) {
  const Bytes bytes = encode(sample_header());
  EXPECT_EQ(test::ok(decode_header(bytes)), sample_header());
  expect_strict_framing(bytes, decode_header_bytes);
}

TEST(BlockHeader, UnknownVersionIsRejected) {
  for (uint32_t version : {0u, 2u}) {
    BlockHeader h = sample_header();
    h.version = version;
    expect_decode_error(encode(h), decode_header_bytes,
                        "version: unknown header version " + std::to_string(version));
  }
}

TEST(BlockHeader, TruncationNamesTheField) {
  const Bytes bytes = encode(sample_header());
  expect_decode_error(Bytes(bytes.begin(), bytes.begin() + 190), decode_header_bytes,
                      "nonce: truncated (need 8 bytes, 6 left)");
  expect_decode_error(Bytes(bytes.begin(), bytes.begin() + 50), decode_header_bytes,
                      "tx_root: truncated (need 32 bytes, 6 left)");
}

TEST(BlockHeader, HashIsKeyedBlake3OfTheEncoding) {
  EXPECT_EQ(block_hash(sample_header()), hash(HashContext::header, encode(sample_header())));
}

TEST(BlockHeader, HashChangesWithEveryField) {
  const std::vector<std::function<void(BlockHeader&)>> mutations{
      [](BlockHeader& h) { h.version += 1; },
      [](BlockHeader& h) { h.height += 1; },
      [](BlockHeader& h) { h.prev.bytes[31] ^= 1; },
      [](BlockHeader& h) { h.tx_root.bytes[0] ^= 1; },
      [](BlockHeader& h) { h.witness_root.bytes[5] ^= 1; },
      [](BlockHeader& h) { h.state_root.bytes[9] ^= 1; },
      [](BlockHeader& h) { h.vote_root.bytes[17] ^= 1; },
      [](BlockHeader& h) { h.timestamp += 1; },
      [](BlockHeader& h) { h.target ^= 1; },
      [](BlockHeader& h) { h.nonce += 1; },
  };
  const BlockHash original = block_hash(sample_header());
  std::vector<BlockHash> seen{original};
  for (const auto& mutate : mutations) {
    BlockHeader h = sample_header();
    mutate(h);
    const BlockHash changed = block_hash(h);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), changed), 0);
    seen.push_back(changed);
  }
}

// ---- Vote ----

TEST(Vote, IsExactly177BytesAndRoundTrips) {
  const Vote v = sample_vote(1);
  const Bytes bytes = encode(v);
  ASSERT_EQ(bytes.size(), kVoteBytes);
  ASSERT_EQ(kVoteBytes, 177u);
  EXPECT_EQ(bytes, concat({Bytes{0x01}, v.validator, v.source_hash, Bytes{3, 0, 0, 0, 0, 0, 0, 0},
                           v.target_hash, Bytes{4, 0, 0, 0, 0, 0, 0, 0}, v.signature}));
  EXPECT_EQ(test::ok(decode_vote(bytes)), v);
  expect_strict_framing(bytes, decode_vote_bytes);
}

TEST(Vote, UnknownVersionIsRejected) {
  for (uint8_t version : std::initializer_list<uint8_t>{0, 2}) {
    Vote v = sample_vote(1);
    v.version = version;
    expect_decode_error(encode(v), decode_vote_bytes,
                        "version: unknown vote version " + std::to_string(version));
  }
}

TEST(Vote, IdCoversTheSignatureAndSigningMessageCoversTheGenesis) {
  const Vote v = sample_vote(1);
  EXPECT_EQ(vote_id(v), hash(HashContext::vote, encode(v)));
  const Bytes bytes = encode(v);
  const Hash256 genesis = filled<32>(0xee);
  EXPECT_EQ(
      vote_signing_message(v, genesis),
      hash(HashContext::vote_sign, concat({genesis, ByteSpan(bytes).first(kVoteBytes - Signature::kSize)})));

  Vote resigned = v;
  resigned.signature.bytes[0] ^= 1;
  EXPECT_NE(vote_id(resigned), vote_id(v));
  EXPECT_EQ(vote_signing_message(resigned, genesis), vote_signing_message(v, genesis));
  EXPECT_NE(vote_signing_message(v, filled<32>(0xef)), vote_signing_message(v, genesis));
}

// ---- Block ----

TEST(Block, RoundTripsWithStrictFraming) {
  const Block b = sample_block();
  const Bytes bytes = encode(b);
  EXPECT_EQ(test::ok(decode_block(bytes)), b);
  expect_strict_framing(bytes, decode_block_bytes);
  EXPECT_EQ(test::ok(decode_block(encode(Block{}))), Block{});
}

TEST(Block, RootsAreMerkleRootsOfTheIds) {
  const Block b = sample_block();
  const std::vector<Hash256> txids{txid(b.transactions[0]), txid(b.transactions[1])};
  const std::vector<Hash256> wtxids{wtxid(b.transactions[0]), wtxid(b.transactions[1])};
  const std::vector<Hash256> vote_ids{vote_id(b.votes[0]), vote_id(b.votes[1])};
  EXPECT_EQ(compute_tx_root(b), merkle_root(txids));
  EXPECT_EQ(compute_witness_root(b), merkle_root(wtxids));
  EXPECT_EQ(compute_vote_root(b), merkle_root(vote_ids));
  EXPECT_NE(compute_tx_root(b), compute_witness_root(b));
  EXPECT_EQ(compute_tx_root(Block{}), merkle_root({}));
}

TEST(Block, TransactionCountLimit) {
  // At the limit the count is accepted and decoding stops at the first missing element.
  Writer at_limit;
  encode(at_limit, sample_header());
  at_limit.varint(kMaxBlockTransactions);
  expect_decode_error(at_limit.take(), decode_block_bytes,
                      "transactions[0].version: truncated (need 4 bytes, 0 left)");
  Writer over;
  encode(over, sample_header());
  over.varint(kMaxBlockTransactions + 1);
  expect_decode_error(over.take(), decode_block_bytes, "transactions: 1000001 exceeds the limit of 1000000");
}

TEST(Block, VoteCountLimit) {
  Writer at_limit;
  encode(at_limit, sample_header());
  at_limit.varint(0);
  at_limit.varint(kMaxBlockVotes);
  expect_decode_error(at_limit.take(), decode_block_bytes,
                      "votes[0].version: truncated (need 1 bytes, 0 left)");
  Writer over;
  encode(over, sample_header());
  over.varint(0);
  over.varint(kMaxBlockVotes + 1);
  expect_decode_error(over.take(), decode_block_bytes, "votes: 100001 exceeds the limit of 100000");
}

TEST(Block, NonCanonicalCountIsRejected) {
  const Bytes bytes = concat({encode(sample_header()), Bytes{0x80, 0x80, 0x00}});
  expect_decode_error(bytes, decode_block_bytes,
                      "transactions: non-canonical varint (redundant trailing zero group)");
}

TEST(Block, ErrorsNameTheElement) {
  Block b = sample_block();
  b.votes[1].version = 3;
  expect_decode_error(encode(b), decode_block_bytes, "votes[1].version: unknown vote version 3");
  b = sample_block();
  b.transactions[1].version = 9;
  expect_decode_error(encode(b), decode_block_bytes,
                      "transactions[1].version: unknown transaction version 9");
  b = sample_block();
  b.header.version = 5;
  expect_decode_error(encode(b), decode_block_bytes, "header.version: unknown header version 5");
}

}  // namespace
}  // namespace cairn
