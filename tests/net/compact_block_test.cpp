#include "net/compact_block.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "net/siphash.h"

namespace cairn::net {
namespace {

Hash256 filled(uint8_t byte) {
  Hash256 h;
  h.bytes.fill(byte);
  return h;
}

// A distinct transaction per seed, with a key-spend witness so that txid and wtxid differ.
// Blocks here need not be valid, only self-consistent (their roots match).
Transaction make_tx(uint32_t seed) {
  Transaction tx;
  TxIn in;
  in.prevout = OutPoint{.txid = filled(static_cast<uint8_t>(seed)), .index = seed};
  KeySpend spend;
  spend.signature.signature.bytes.fill(static_cast<uint8_t>(seed >> 8));
  in.witness = spend;
  tx.inputs.push_back(in);
  tx.outputs.push_back(TxOut{.value = Amount{1000} + seed, .lock = {}});
  return tx;
}

Transaction make_coinbase(uint64_t height) {
  Transaction tx;
  tx.payload = Payload{.kind = PayloadKind::coinbase,
                       .body = encode_coinbase_body(CoinbaseBody{.height = height, .extra = {}})};
  tx.outputs.push_back(TxOut{.value = 50, .lock = {}});
  return tx;
}

Vote make_vote(uint8_t seed) {
  Vote v;
  v.validator = filled(seed);
  v.target_epoch = seed;
  return v;
}

// A block with a coinbase and `n` other transactions, roots committed in its header.
Block make_block(uint32_t n, uint32_t first_seed = 1) {
  Block b;
  b.header.height = 7;
  b.header.prev = filled(0xab);
  b.transactions.push_back(make_coinbase(7));
  for (uint32_t i = 0; i < n; ++i) b.transactions.push_back(make_tx(first_seed + i));
  b.votes.push_back(make_vote(3));
  b.header.tx_root = compute_tx_root(b);
  b.header.witness_root = compute_witness_root(b);
  b.header.vote_root = compute_vote_root(b);
  return b;
}

std::vector<Transaction> txs_of(const Block& b, size_t from) {
  return {b.transactions.begin() + static_cast<std::ptrdiff_t>(from), b.transactions.end()};
}

TEST(CompactBlock, ShortIdKeyIsTheFirst16BytesOfTheCompactHash) {
  const BlockHash block = filled(0x11);
  const uint64_t nonce = 0x0102030405060708;
  Bytes material(block.begin(), block.end());
  for (int i = 0; i < 8; ++i) material.push_back(static_cast<uint8_t>(nonce >> (8 * i)));
  const Hash256 digest = hash(HashContext::compact, material);
  FixedBytes<16> key_bytes;
  std::copy_n(digest.begin(), 16, key_bytes.bytes.begin());
  EXPECT_EQ(short_id_key(block, nonce), siphash_key(key_bytes));
  EXPECT_NE(short_id_key(block, nonce), short_id_key(block, nonce + 1));
}

TEST(CompactBlock, ShortIdIsLow48BitsOfSipHashOfWtxid) {
  const SipHashKey key{.k0 = 5, .k1 = 9};
  const Hash256 id = wtxid(make_tx(1));
  EXPECT_EQ(short_id(key, id), siphash24(key, id) & 0xffff'ffff'ffffu);
  EXPECT_LE(short_id(key, id), kShortIdMask);
}

TEST(CompactBlock, MakePrefillsTheCoinbaseOnly) {
  const Block block = make_block(3);
  const CompactBlock cb = make_compact_block(block, 42);
  EXPECT_EQ(cb.header, block.header);
  EXPECT_EQ(cb.nonce, 42u);
  ASSERT_EQ(cb.prefilled.size(), 1u);
  EXPECT_EQ(cb.prefilled[0].index, 0u);
  EXPECT_EQ(cb.prefilled[0].tx, block.transactions[0]);
  const SipHashKey key = short_id_key(block_hash(block.header), 42);
  ASSERT_EQ(cb.short_ids.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(cb.short_ids[i], short_id(key, wtxid(block.transactions[i + 1])));
  EXPECT_EQ(cb.votes, block.votes);
}

TEST(CompactBlock, EncodingRoundTrips) {
  CompactBlock cb = make_compact_block(make_block(4), 7);
  cb.prefilled.push_back(PrefilledTransaction{.index = 3, .tx = make_tx(99)});
  cb.short_ids.pop_back();
  cb.short_ids.push_back(kShortIdMask);
  const Bytes bytes = encode(cb);
  auto back = decode_compact_block(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, cb);
}

TEST(CompactBlock, ShortIdsAreSixBytesLittleEndian) {
  CompactBlock cb;
  cb.short_ids = {0x0605040302'01};
  const Bytes bytes = encode(cb);
  // header (192) ‖ nonce (8) ‖ count 1 ‖ the id
  ASSERT_GE(bytes.size(), kHeaderBytes + 8 + 1 + kShortIdBytes);
  const Bytes id(bytes.begin() + kHeaderBytes + 9, bytes.begin() + kHeaderBytes + 9 + kShortIdBytes);
  EXPECT_EQ(id, (Bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06}));
}

TEST(CompactBlock, PrefilledIndexesAreDifferential) {
  CompactBlock cb;
  cb.short_ids = {1, 2, 3};
  cb.prefilled = {{.index = 1, .tx = make_tx(1)}, {.index = 4, .tx = make_tx(2)}};
  const Bytes bytes = encode(cb);
  Writer expected_tail;
  expected_tail.varint(2);
  expected_tail.varint(1);  // 1
  encode(expected_tail, make_tx(1));
  expected_tail.varint(2);  // 4 - 1 - 1
  encode(expected_tail, make_tx(2));
  expected_tail.varint(0);  // no votes
  const Bytes& tail = expected_tail.data();
  ASSERT_GT(bytes.size(), tail.size());
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), bytes.end() - static_cast<std::ptrdiff_t>(tail.size())));
}

TEST(CompactBlock, DecodeRefusesPrefilledIndexOutsideTheBlock) {
  CompactBlock cb;
  cb.short_ids = {1};
  cb.prefilled = {{.index = 1, .tx = make_tx(1)}};  // block of 2: index 1 is the last slot
  EXPECT_TRUE(decode_compact_block(encode(cb)));
  cb.prefilled[0].index = 2;
  auto bad = decode_compact_block(encode(cb));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::decode);
}

TEST(CompactBlock, DecodeRefusesIndexBeyondUint32) {
  Writer w;
  encode(w, BlockHeader{});
  w.u64(0);
  w.varint(0);  // no short ids
  w.varint(2);  // two prefilled
  w.varint(0);  // index 0
  encode(w, make_tx(1));
  w.varint(0xffff'ffffu);  // index 1 + 2^32 - 1 = 2^32
  encode(w, make_tx(2));
  w.varint(0);
  auto bad = decode_compact_block(w.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
}

TEST(CompactBlock, DecodeRefusesTooManyTransactionsAndTrailingBytes) {
  Writer w;
  encode(w, BlockHeader{});
  w.u64(0);
  w.varint(kMaxBlockTransactions + 1);
  auto over = decode_compact_block(w.data());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);

  Bytes bytes = encode(make_compact_block(make_block(1), 1));
  bytes.push_back(0);
  EXPECT_FALSE(decode_compact_block(bytes));
}

TEST(CompactBlock, DecodeCapsPrefilledByWhatShortIdsLeave) {
  Writer w;
  encode(w, BlockHeader{});
  w.u64(0);
  w.varint(1);
  w.raw(Bytes(kShortIdBytes, 0));
  w.varint(kMaxBlockTransactions);  // 1 + max: one over
  auto bad = decode_compact_block(w.data());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
}

TEST(PartialBlock, RebuildsFromMempoolWithNothingMissing) {
  const Block block = make_block(5);
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 3)));
  EXPECT_EQ(partial.block_hash(), block_hash(block.header));
  EXPECT_EQ(partial.transaction_count(), 6u);
  EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  // Unrelated candidates and repeats do not disturb anything.
  for (uint32_t seed = 100; seed < 120; ++seed) partial.offer(make_tx(seed));
  for (const auto& tx : txs_of(block, 1)) partial.offer(tx);
  partial.offer(block.transactions[2]);
  EXPECT_TRUE(partial.missing().empty());
  auto rebuilt = partial.finish({});
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, block);
}

TEST(PartialBlock, FillsFromMempoolEntries) {
  const Block block = make_block(3);
  std::vector<MempoolEntryInfo> page;
  for (const auto& tx : txs_of(block, 2)) {
    MempoolEntryInfo entry;
    entry.txid = txid(tx);
    entry.tx = tx;
    page.push_back(entry);
  }
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 3)));
  partial.fill_from(page);
  EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{1}));
  auto rebuilt = partial.finish({block.transactions[1]});
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, block);
}

TEST(PartialBlock, RequestsWhatTheMempoolLacks) {
  const Block block = make_block(6);
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 9)));
  partial.offer(block.transactions[1]);
  partial.offer(block.transactions[4]);
  EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{2, 3, 5, 6}));
  auto rebuilt = partial.finish(
      {block.transactions[2], block.transactions[3], block.transactions[5], block.transactions[6]});
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, block);
}

TEST(PartialBlock, SameTxidOtherWitnessIsNotAMatch) {
  const Block block = make_block(1);
  Transaction malleated = block.transactions[1];
  std::get<KeySpend>(malleated.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  ASSERT_EQ(txid(malleated), txid(block.transactions[1]));
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 1)));
  partial.offer(malleated);
  EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{1}));
}

// Two transactions whose short ids collide under the key of BlockHeader{} and nonce 0,
// found once with Brent's cycle-finding over lock times (a 48-bit birthday search).
Transaction tx_with_lock_time(uint64_t lock_time) {
  Transaction tx;
  tx.outputs.push_back(TxOut{.value = 1, .lock = {}});
  tx.lock_time = lock_time;
  return tx;
}
constexpr uint64_t kCollidingLockTimeA = 260'922'283'430'885;
constexpr uint64_t kCollidingLockTimeB = 274'665'842'335'076;
constexpr ShortId kCollidingShortId = 0xf07b'ce11'0f55;

TEST(PartialBlock, TwoCandidatesForOneShortIdLeaveTheSlotEmpty) {
  const Transaction a = tx_with_lock_time(kCollidingLockTimeA);
  const Transaction b = tx_with_lock_time(kCollidingLockTimeB);
  const SipHashKey key = short_id_key(block_hash(BlockHeader{}), 0);
  ASSERT_NE(wtxid(a), wtxid(b));
  ASSERT_EQ(short_id(key, wtxid(a)), kCollidingShortId);
  ASSERT_EQ(short_id(key, wtxid(b)), kCollidingShortId);

  CompactBlock cb;
  cb.prefilled.push_back(PrefilledTransaction{.index = 0, .tx = make_coinbase(0)});
  cb.short_ids = {kCollidingShortId, short_id(key, wtxid(make_tx(1)))};
  for (bool a_first : {true, false}) {
    PartialBlock partial;
    ASSERT_TRUE(partial.init(cb));
    partial.offer(make_tx(1));
    partial.offer(a_first ? a : b);
    partial.offer(a_first ? a : b);  // a repeat is not a collision
    EXPECT_TRUE(partial.missing().empty());
    partial.offer(a_first ? b : a);
    EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{1}));
    partial.offer(a);  // once collided, the slot stays empty
    EXPECT_EQ(partial.missing(), (std::vector<uint32_t>{1}));
  }
}

TEST(PartialBlock, DuplicateShortIdsAreACollision) {
  CompactBlock cb = make_compact_block(make_block(2), 5);
  cb.short_ids[1] = cb.short_ids[0];
  PartialBlock partial;
  const Status s = partial.init(cb);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::verify);
}

TEST(PartialBlock, InitRefusesMalformedCompactBlocks) {
  const CompactBlock good = make_compact_block(make_block(2), 5);
  PartialBlock partial;

  CompactBlock empty = good;
  empty.short_ids.clear();
  empty.prefilled.clear();
  EXPECT_EQ(partial.init(empty).error().code, ErrorCode::invalid_argument);

  CompactBlock out_of_range = good;
  out_of_range.prefilled[0].index = 3;  // block of 3
  EXPECT_EQ(partial.init(out_of_range).error().code, ErrorCode::invalid_argument);

  CompactBlock not_ascending = good;
  not_ascending.short_ids.pop_back();
  not_ascending.prefilled.push_back(PrefilledTransaction{.index = 0, .tx = make_tx(5)});
  EXPECT_EQ(partial.init(not_ascending).error().code, ErrorCode::invalid_argument);
}

TEST(PartialBlock, TransactionLimitIsInclusive) {
  const CompactBlock cb = make_compact_block(make_block(2), 5);  // 3 transactions
  PartialBlock partial;
  EXPECT_TRUE(partial.init(cb, 3));
  const Status over = partial.init(cb, 2);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(PartialBlock, FinishRefusesWrongNumberOfTransactions) {
  const Block block = make_block(2);
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 5)));
  auto few = partial.finish({block.transactions[1]});
  ASSERT_FALSE(few);
  EXPECT_EQ(few.error().code, ErrorCode::invalid_argument);
}

TEST(PartialBlock, FinishesOnlyOnce) {
  const Block block = make_block(1);
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 5)));
  partial.offer(block.transactions[1]);
  ASSERT_TRUE(partial.finish({}));
  auto again = partial.finish({});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::invalid_argument);

  CompactBlock duplicate = make_compact_block(make_block(2), 5);
  duplicate.short_ids[1] = duplicate.short_ids[0];
  ASSERT_FALSE(partial.init(duplicate));
  EXPECT_FALSE(partial.finish({}));
}

TEST(PartialBlock, FinishRefusesAMismatchedRoot) {
  const Block block = make_block(2);
  PartialBlock partial;
  ASSERT_TRUE(partial.init(make_compact_block(block, 5)));
  auto wrong = partial.finish({block.transactions[2], block.transactions[1]});  // swapped
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::verify);

  // Same txid, other witness: the transaction root matches, the witness root does not.
  Transaction malleated = block.transactions[2];
  std::get<KeySpend>(malleated.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  PartialBlock again;
  ASSERT_TRUE(again.init(make_compact_block(block, 5)));
  auto witness = again.finish({block.transactions[1], malleated});
  ASSERT_FALSE(witness);
  EXPECT_EQ(witness.error().code, ErrorCode::verify);
  EXPECT_NE(witness.error().message.find("witness"), std::string::npos);
}

TEST(PartialBlock, FinishRefusesChangedVotes) {
  const Block block = make_block(1);
  CompactBlock cb = make_compact_block(block, 5);
  cb.votes.push_back(make_vote(9));
  PartialBlock partial;
  ASSERT_TRUE(partial.init(cb));
  auto bad = partial.finish({block.transactions[1]});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::verify);
}

}  // namespace
}  // namespace cairn::net
