#include "net/chain_protocol.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

Hash256 filled(uint8_t byte) {
  Hash256 h;
  h.bytes.fill(byte);
  return h;
}

// A distinct hash per height, for locators.
BlockHash hash_of_height(uint64_t height) {
  BlockHash h;
  for (size_t i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(height >> (8 * i));
  h.bytes[31] = 0xee;
  return h;
}

uint64_t height_of_hash(const BlockHash& h) {
  uint64_t height = 0;
  for (size_t i = 8; i-- > 0;) height = (height << 8) | h.bytes[i];
  return height;
}

StatusMessage sample_status() {
  StatusMessage m;
  m.network = Network::testnet;
  m.genesis = filled(1);
  m.best_hash = filled(2);
  m.best_height = 1234;
  m.best_work = ChainWork::from_u64(0x0102030405060708);
  m.finalized_hash = filled(3);
  m.finalized_height = 1200;
  m.user_agent = "cairnd/0.1.0";
  return m;
}

Transaction sample_tx(uint8_t seed) {
  Transaction tx;
  tx.inputs.push_back(TxIn{.prevout = OutPoint{.txid = filled(seed), .index = seed}, .witness = {}});
  tx.outputs.push_back(TxOut{.value = Amount{1000} + seed, .lock = {}});
  return tx;
}

BlockHeader sample_header(uint64_t height) {
  BlockHeader h;
  h.height = height;
  h.prev = hash_of_height(height - 1);
  h.timestamp = 1'800'000'000 + height;
  h.nonce = height * 7;
  return h;
}

TEST(ChainProtocol, ProtocolIdsAndTopicsNameTheNetwork) {
  EXPECT_EQ(status_protocol(Network::mainnet), "/cairn/mainnet/status/1.0.0");
  EXPECT_EQ(headers_protocol(Network::testnet), "/cairn/testnet/headers/1.0.0");
  EXPECT_EQ(blocks_protocol(Network::regtest), "/cairn/regtest/blocks/1.0.0");
  EXPECT_EQ(blocktxn_protocol(Network::mainnet), "/cairn/mainnet/blocktxn/1.0.0");
  EXPECT_EQ(tx_topic(Network::regtest), "/cairn/regtest/tx/1");
  EXPECT_EQ(block_topic(Network::testnet), "/cairn/testnet/block/1");
  EXPECT_EQ(vote_topic(Network::mainnet), "/cairn/mainnet/vote/1");
}

// ---- status ----

TEST(StatusMessage, RoundTrips) {
  const StatusMessage m = sample_status();
  auto back = decode_status(encode(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);
}

TEST(StatusMessage, Layout) {
  const Bytes bytes = encode(sample_status());
  // Fixed fields, then the user agent "cairnd/0.1.0" with its one-byte length.
  ASSERT_EQ(bytes.size(), 4 + 1 + 32 + 32 + 8 + 32 + 32 + 8 + 1 + 12u);
  EXPECT_EQ(bytes[0], kChainProtocolVersion);  // u32 little-endian
  EXPECT_EQ(bytes[4], static_cast<uint8_t>(Network::testnet));
  // best_work after version 4, network 1, genesis 32, best hash 32, best height 8: big-endian.
  EXPECT_EQ(bytes[77 + 31], 0x08);
  EXPECT_EQ(bytes[77 + 24], 0x01);
  EXPECT_EQ(bytes[77 + 23], 0x00);
}

TEST(StatusMessage, LongestUserAgentFillsTheFrameCap) {
  StatusMessage m = sample_status();
  m.user_agent.assign(kMaxUserAgentBytes, 'a');
  const Bytes bytes = encode(m);
  EXPECT_EQ(bytes.size(), kMaxStatusFrameBytes);
  auto back = decode_status(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->user_agent.size(), kMaxUserAgentBytes);
}

TEST(StatusMessage, RefusesUserAgentOverTheLimit) {
  // encode() asserts the limit, so the oversized message is written field by field.
  const StatusMessage m = sample_status();
  Writer w;
  w.u32(m.protocol_version);
  w.u8(static_cast<uint8_t>(m.network));
  w.raw(m.genesis);
  w.raw(m.best_hash);
  w.u64(m.best_height);
  w.raw(m.best_work.value);
  w.raw(m.finalized_hash);
  w.u64(m.finalized_height);
  w.bytes(Bytes(kMaxUserAgentBytes + 1, 'a'));
  auto bad = decode_status(w.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
}

TEST(StatusMessage, RefusesUnknownNetworkTruncationAndTrailingBytes) {
  Bytes bytes = encode(sample_status());
  Bytes unknown = bytes;
  unknown[4] = 3;
  auto bad_network = decode_status(unknown);
  ASSERT_FALSE(bad_network);
  EXPECT_NE(bad_network.error().message.find("network"), std::string::npos);

  EXPECT_FALSE(decode_status(ByteSpan(bytes.data(), bytes.size() - 1)));
  bytes.push_back(0);
  EXPECT_FALSE(decode_status(bytes));
}

TEST(StatusMessage, CompatibilityIgnoresChainPosition) {
  const StatusMessage ours = sample_status();
  StatusMessage theirs = ours;
  theirs.best_hash = filled(9);
  theirs.best_height = 1;
  theirs.best_work = ChainWork::from_u64(1);
  theirs.finalized_hash = filled(8);
  theirs.finalized_height = 0;
  theirs.user_agent = "other";
  theirs.protocol_version = kChainProtocolVersion + 1;  // newer peers stay compatible
  EXPECT_EQ(incompatibility(ours, theirs), std::nullopt);
}

TEST(StatusMessage, IncompatibleNetworkGenesisOrVersion) {
  const StatusMessage ours = sample_status();

  StatusMessage other_network = ours;
  other_network.network = Network::mainnet;
  auto why = incompatibility(ours, other_network);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("mainnet"), std::string::npos);

  StatusMessage other_genesis = ours;
  other_genesis.genesis = filled(0x77);
  why = incompatibility(ours, other_genesis);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("genesis"), std::string::npos);

  StatusMessage old = ours;
  old.protocol_version = kMinChainProtocolVersion - 1;
  why = incompatibility(ours, old);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("version"), std::string::npos);
  old.protocol_version = kMinChainProtocolVersion;
  EXPECT_EQ(incompatibility(ours, old), std::nullopt);
}

// ---- headers ----

TEST(GetHeaders, RoundTripsAtTheLimits) {
  GetHeaders m;
  for (uint64_t h = 0; h < kMaxLocatorHashes; ++h) m.locator.push_back(hash_of_height(h));
  m.stop = filled(5);
  m.max_count = kMaxHeadersPerReply;
  const Bytes bytes = encode(m);
  EXPECT_EQ(bytes.size(), kMaxGetHeadersFrameBytes);
  auto back = decode_get_headers(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);

  m.locator.resize(1);
  m.max_count = 1;
  back = decode_get_headers(encode(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);
}

Bytes get_headers_bytes(size_t locator_size, uint32_t max_count) {
  Writer w;
  w.varint(locator_size);
  for (size_t i = 0; i < locator_size; ++i) w.raw(hash_of_height(i));
  w.raw(BlockHash{});
  w.u32(max_count);
  return w.take();
}

TEST(GetHeaders, RefusesCountsOutsideTheirRanges) {
  EXPECT_TRUE(decode_get_headers(get_headers_bytes(1, 1)));
  EXPECT_FALSE(decode_get_headers(get_headers_bytes(0, 1)));
  auto long_locator = decode_get_headers(get_headers_bytes(kMaxLocatorHashes + 1, 1));
  ASSERT_FALSE(long_locator);
  EXPECT_EQ(long_locator.error().code, ErrorCode::limit);
  EXPECT_FALSE(decode_get_headers(get_headers_bytes(1, 0)));
  auto many = decode_get_headers(get_headers_bytes(1, kMaxHeadersPerReply + 1));
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, ErrorCode::limit);
}

TEST(Headers, RoundTripsAtTheLimit) {
  Headers m;
  for (uint64_t h = 1; h <= kMaxHeadersPerReply; ++h) m.headers.push_back(sample_header(h));
  const Bytes bytes = encode(m);
  EXPECT_EQ(bytes.size(), kMaxHeadersFrameBytes);
  auto back = decode_headers(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);

  auto empty = decode_headers(encode(Headers{}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->headers.empty());
}

TEST(Headers, RefusesOneOverTheLimitAndTrailingBytes) {
  Writer w;
  w.varint(kMaxHeadersPerReply + 1);
  auto over = decode_headers(w.data());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);

  Headers m;
  m.headers.push_back(sample_header(1));
  Bytes bytes = encode(m);
  bytes.push_back(0);
  EXPECT_FALSE(decode_headers(bytes));
}

std::vector<uint64_t> locator_heights(uint64_t tip, std::vector<uint64_t>* calls = nullptr) {
  const auto locator = build_locator(
      [calls](uint64_t height) {
        if (calls) calls->push_back(height);
        return hash_of_height(height);
      },
      tip);
  std::vector<uint64_t> heights;
  for (const auto& h : locator) heights.push_back(height_of_hash(h));
  return heights;
}

TEST(BuildLocator, DenseThenDoublingThenGenesis) {
  EXPECT_EQ(locator_heights(0), (std::vector<uint64_t>{0}));
  EXPECT_EQ(locator_heights(3), (std::vector<uint64_t>{3, 2, 1, 0}));
  EXPECT_EQ(locator_heights(100),
            (std::vector<uint64_t>{100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 88, 84, 76, 60, 28, 0}));
}

TEST(BuildLocator, AsksEachHeightOnceInDecreasingOrder) {
  std::vector<uint64_t> calls;
  const auto heights = locator_heights(1'000'000, &calls);
  EXPECT_EQ(calls, heights);
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_LT(calls[i], calls[i - 1]);
  EXPECT_EQ(heights.back(), 0u);
}

TEST(BuildLocator, NeverExceedsTheLimitAndEndsAtGenesis) {
  const auto heights = locator_heights(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(heights.size(), kMaxLocatorHashes);
  EXPECT_EQ(heights.back(), 0u);
  EXPECT_NE(heights[heights.size() - 2], 0u);
  // A realistic chain stays below the limit: 11 dense entries and one per doubling.
  EXPECT_EQ(locator_heights(100'000'000).size(), 37u);
}

// ---- blocks ----

TEST(GetBlocks, RoundTripsAndCapsTheCount) {
  GetBlocks m;
  for (uint64_t h = 0; h < kMaxBlocksPerRequest; ++h) m.hashes.push_back(hash_of_height(h));
  const Bytes bytes = encode(m);
  EXPECT_EQ(bytes.size(), kMaxGetBlocksFrameBytes);
  auto back = decode_get_blocks(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);

  Writer over;
  over.varint(kMaxBlocksPerRequest + 1);
  for (uint64_t h = 0; h <= kMaxBlocksPerRequest; ++h) over.raw(hash_of_height(h));
  auto bad = decode_get_blocks(over.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);

  Writer empty;
  empty.varint(0);
  EXPECT_FALSE(decode_get_blocks(empty.data()));
}

TEST(GetBlocks, BlockFrameIsTheBlockLimitPlusSlack) {
  const ConsensusParams& params = consensus_params(Network::mainnet);
  EXPECT_EQ(max_block_frame(params), params.limits.max_bytes + kBlockFrameSlack);
}

// ---- blocktxn ----

TEST(GetBlockTxn, IndexesAreDifferential) {
  GetBlockTxn m{.block = filled(4), .indexes = {0, 1, 5, 1000}};
  const Bytes bytes = encode(m);
  Writer expected;
  expected.raw(filled(4));
  expected.varint(4);
  for (uint64_t delta : {0u, 0u, 3u, 994u}) expected.varint(delta);
  EXPECT_EQ(bytes, expected.data());
  auto back = decode_get_block_txn(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);
}

TEST(GetBlockTxn, LastUint32IndexIsTheLimit) {
  const uint32_t last = std::numeric_limits<uint32_t>::max();
  GetBlockTxn m{.block = filled(4), .indexes = {last - 1, last}};
  auto back = decode_get_block_txn(encode(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);

  Writer over;
  over.raw(filled(4));
  over.varint(2);
  over.varint(last);
  over.varint(0);  // would be 2^32
  auto bad = decode_get_block_txn(over.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);

  Writer huge_delta;
  huge_delta.raw(filled(4));
  huge_delta.varint(1);
  huge_delta.varint(std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(decode_get_block_txn(huge_delta.data()));
}

TEST(GetBlockTxn, RefusesEmptyAndOversizedRequests) {
  Writer empty;
  empty.raw(filled(4));
  empty.varint(0);
  EXPECT_FALSE(decode_get_block_txn(empty.data()));

  Writer over;
  over.raw(filled(4));
  over.varint(kMaxBlockTransactions + 1);
  auto bad = decode_get_block_txn(over.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
}

TEST(GetBlockTxn, RequestForAWholeBlockFitsTheFrame) {
  const ConsensusParams& params = consensus_params(Network::mainnet);
  GetBlockTxn m{.block = filled(4), .indexes = {}};
  for (uint32_t i = 0; i < params.limits.max_transactions; ++i) m.indexes.push_back(i);
  EXPECT_LE(encode(m).size(), max_get_block_txn_frame(params));
  // The largest possible deltas: the frame holds one 5-byte varint per transaction.
  EXPECT_EQ(max_get_block_txn_frame(params),
            32 + varint_size(params.limits.max_transactions) + params.limits.max_transactions * 5);
}

TEST(BlockTxn, RoundTripsAndRefusesEmpty) {
  BlockTxn m{.block = filled(6), .transactions = {sample_tx(1), sample_tx(2)}};
  auto back = decode_block_txn(encode(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);

  Writer empty;
  empty.raw(filled(6));
  empty.varint(0);
  EXPECT_FALSE(decode_block_txn(empty.data()));

  Bytes trailing = encode(m);
  trailing.push_back(0);
  EXPECT_FALSE(decode_block_txn(trailing));
}

// ---- gossip ----

TEST(Gossip, TransactionPayloadSizeLimit) {
  const Transaction tx = sample_tx(3);
  auto back = decode_tx_gossip(encode(tx));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, tx);

  // At the limit the size check passes and the decoder judges the bytes; one over, it does not.
  const Bytes at_limit(kMaxTxGossipBytes, 0xff);
  auto judged = decode_tx_gossip(at_limit);
  ASSERT_FALSE(judged);
  EXPECT_NE(judged.error().code, ErrorCode::limit);
  const Bytes over(kMaxTxGossipBytes + 1, 0xff);
  auto refused = decode_tx_gossip(over);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
}

TEST(Gossip, VotePayload) {
  Vote v;
  v.validator = filled(1);
  v.target_epoch = 3;
  auto back = decode_vote_gossip(encode(v));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, v);
  Bytes longer = encode(v);
  longer.push_back(0);
  EXPECT_FALSE(decode_vote_gossip(longer));
}

}  // namespace
}  // namespace cairn::net
