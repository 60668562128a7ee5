#include "consensus/block_rules.h"

#include <gtest/gtest.h>

#include "consensus/pow.h"
#include "consensus/seal.h"

namespace cairn {
namespace {

using test::seal;

const ConsensusParams& regtest() { return consensus_params(Network::regtest); }

Transaction coinbase(uint64_t height) {
  Transaction cb;
  cb.payload = Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{height, {}})};
  cb.outputs = {TxOut{1, OutputLock{}}};
  return cb;
}

Transaction spend(uint8_t tag) {
  Transaction tx;
  OutPoint prevout;
  prevout.txid.bytes[0] = tag;
  tx.inputs = {TxIn{prevout, {}}};
  tx.outputs = {TxOut{1, OutputLock{}}};
  return tx;
}

// A valid block on regtest's genesis: on schedule, so its target is the pow limit.
Block child_of_genesis(std::vector<Transaction> extra = {}) {
  const BlockHeader& g = regtest().genesis.header;
  Block b;
  b.header.height = 1;
  b.header.prev = regtest().genesis_hash;
  b.header.timestamp = g.timestamp + static_cast<uint64_t>(regtest().target_spacing);
  b.header.target = next_target(regtest(), g);
  b.transactions.push_back(coinbase(1));
  for (auto& tx : extra) b.transactions.push_back(std::move(tx));
  seal(b);
  return b;
}

HeaderContext genesis_context() {
  const BlockHeader& g = regtest().genesis.header;
  return HeaderContext{g, g.timestamp, g.timestamp + 10};
}

std::optional<BlockError> header_verdict(const BlockHeader& h, const HeaderContext& ctx = genesis_context()) {
  auto v = check_header(regtest(), h, ctx);
  return v ? std::optional<BlockError>(v->reason) : std::nullopt;
}

std::optional<BlockError> block_verdict(const Block& b, const ConsensusParams& p = regtest()) {
  auto v = check_block(p, b);
  return v ? std::optional<BlockError>(v->reason) : std::nullopt;
}

TEST(HeaderRules, OnlyTheCheckpointMayStandAtItsHeight) {
  const Block child = child_of_genesis();
  ConsensusParams with_checkpoint = regtest();
  with_checkpoint.checkpoint = WeakSubjectivityCheckpoint{1, block_hash(child.header)};
  EXPECT_EQ(check_header(with_checkpoint, child.header, genesis_context()), std::nullopt);

  Block other = child_of_genesis();
  other.header.timestamp += 1;
  seal(other);
  auto verdict = check_header(with_checkpoint, other.header, genesis_context());
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->reason, BlockError::conflicts_with_checkpoint);
}

TEST(HeaderRules, ValidHeaderPasses) { EXPECT_EQ(header_verdict(child_of_genesis().header), std::nullopt); }

TEST(HeaderRules, NextTargetOnScheduleIsThePowLimit) {
  EXPECT_EQ(next_target(regtest(), regtest().genesis.header), regtest().pow_limit);
}

TEST(HeaderRules, UnknownVersion) {
  Block b = child_of_genesis();
  b.header.version = 2;
  EXPECT_EQ(header_verdict(b.header), BlockError::bad_version);
}

TEST(HeaderRules, HeightNotParentPlusOne) {
  Block b = child_of_genesis();
  b.header.height = 2;
  EXPECT_EQ(header_verdict(b.header), BlockError::bad_height);
}

TEST(HeaderRules, TimestampMustExceedMedianTimePast) {
  BlockHeader h = child_of_genesis().header;
  HeaderContext ctx = genesis_context();
  ctx.median_time_past = h.timestamp;  // equal is too old
  EXPECT_EQ(header_verdict(h, ctx), BlockError::time_too_old);
  ctx.median_time_past = h.timestamp - 1;
  EXPECT_NE(header_verdict(h, ctx), BlockError::time_too_old);
}

TEST(HeaderRules, TimestampAtMostDriftAhead) {
  BlockHeader h = child_of_genesis().header;
  HeaderContext ctx = genesis_context();
  ctx.now = h.timestamp - regtest().max_future_drift;  // exactly the drift: allowed
  EXPECT_EQ(header_verdict(h, ctx), std::nullopt);
  ctx.now -= 1;
  EXPECT_EQ(header_verdict(h, ctx), BlockError::time_too_new);
}

TEST(HeaderRules, TargetMustBeAsertsAfterTheParent) {
  Block b = child_of_genesis();
  b.header.target = 0x207ffffe;
  while (!check_pow(b.header)) ++b.header.nonce;
  EXPECT_EQ(header_verdict(b.header), BlockError::bad_difficulty);
}

TEST(HeaderRules, HashAboveTarget) {
  Block b = child_of_genesis();
  do {
    ++b.header.nonce;
  } while (check_pow(b.header));
  EXPECT_EQ(header_verdict(b.header), BlockError::bad_pow);
}

TEST(BlockRules, ValidBlockPasses) {
  EXPECT_EQ(block_verdict(child_of_genesis({spend(1), spend(2)})), std::nullopt);
}

TEST(BlockRules, RootsMismatchIsMutated) {
  Block b = child_of_genesis({spend(1)});
  b.transactions.pop_back();
  EXPECT_EQ(block_verdict(b), BlockError::mutated);
  Block w = child_of_genesis({spend(1)});
  w.transactions[1].inputs[0].witness = KeySpend{};
  EXPECT_EQ(block_verdict(w), BlockError::mutated);
  Block v = child_of_genesis();
  v.votes.push_back(Vote{});
  EXPECT_EQ(block_verdict(v), BlockError::mutated);
}

TEST(BlockRules, SizeLimitAtTheBoundary) {
  const Block b = child_of_genesis({spend(1)});
  ConsensusParams p = regtest();
  p.limits.max_bytes = encode(b).size();
  EXPECT_EQ(block_verdict(b, p), std::nullopt);
  p.limits.max_bytes -= 1;
  EXPECT_EQ(block_verdict(b, p), BlockError::oversize);
}

TEST(BlockRules, TransactionCountAtTheBoundary) {
  const Block b = child_of_genesis({spend(1), spend(2)});
  ConsensusParams p = regtest();
  p.limits.max_transactions = 3;
  EXPECT_EQ(block_verdict(b, p), std::nullopt);
  p.limits.max_transactions = 2;
  EXPECT_EQ(block_verdict(b, p), BlockError::too_many_transactions);
}

TEST(BlockRules, VoteCountAtTheBoundary) {
  Block b = child_of_genesis();
  b.votes = {Vote{}, Vote{}};
  seal(b);
  ConsensusParams p = regtest();
  p.limits.max_votes = 2;
  EXPECT_EQ(block_verdict(b, p), std::nullopt);
  p.limits.max_votes = 1;
  EXPECT_EQ(block_verdict(b, p), BlockError::too_many_votes);
}

TEST(BlockRules, WeightCountsBytesAndSignatures) {
  Transaction signed_tx = spend(1);
  signed_tx.inputs[0].witness = KeySpend{};
  EXPECT_EQ(signature_count(signed_tx), 1U);
  const Block b = child_of_genesis({signed_tx});
  EXPECT_EQ(block_weight(b), encode(b).size() + kWeightPerSignature);
  ConsensusParams p = regtest();
  p.limits.max_weight = block_weight(b);
  EXPECT_EQ(block_verdict(b, p), std::nullopt);
  p.limits.max_weight -= 1;
  EXPECT_EQ(block_verdict(b, p), BlockError::overweight);
}

TEST(BlockRules, SignaturesInALockSpendAreCounted) {
  Transaction tx = spend(1);
  Satisfaction s;
  s.tag = LockTag::all;
  Satisfaction multi;
  multi.tag = LockTag::multi;
  multi.signatures = {TypedSignature{}, std::nullopt, TypedSignature{}};
  Satisfaction key;
  key.signatures = {TypedSignature{}};
  s.children = {multi, key};
  tx.inputs[0].witness = LockSpend{Lock{}, s};
  EXPECT_EQ(signature_count(tx), 3U);
}

TEST(BlockRules, CoinbaseShape) {
  Block none = child_of_genesis();
  none.transactions[0] = spend(9);
  seal(none);
  EXPECT_EQ(block_verdict(none), BlockError::bad_coinbase);

  Block with_input = child_of_genesis();
  with_input.transactions[0].inputs = spend(1).inputs;
  seal(with_input);
  EXPECT_EQ(block_verdict(with_input), BlockError::bad_coinbase);

  Block wrong_height = child_of_genesis();
  wrong_height.transactions[0] = coinbase(2);
  seal(wrong_height);
  EXPECT_EQ(block_verdict(wrong_height), BlockError::bad_coinbase);

  EXPECT_EQ(block_verdict(child_of_genesis({coinbase(1)})), BlockError::bad_coinbase);  // a second one

  Transaction no_inputs = spend(1);
  no_inputs.inputs.clear();
  EXPECT_EQ(block_verdict(child_of_genesis({no_inputs})), BlockError::bad_coinbase);

  Block empty = child_of_genesis();
  empty.transactions.clear();
  seal(empty);
  EXPECT_EQ(block_verdict(empty), BlockError::bad_coinbase);
}

TEST(BlockRules, TransactionVersion) {
  Transaction tx = spend(1);
  tx.version = 2;
  EXPECT_EQ(block_verdict(child_of_genesis({tx})), BlockError::bad_version);
}

TEST(BlockRules, UnknownPayloadKindsAreRefused) {
  // Staking bodies are checked when the block connects; contract bodies have their own
  // tests (contract_rules_test.cpp).
  for (uint8_t kind = 2; kind <= static_cast<uint8_t>(PayloadKind::slash); ++kind) {
    Transaction tx = spend(kind);
    tx.payload.kind = static_cast<PayloadKind>(kind);
    EXPECT_EQ(block_verdict(child_of_genesis({tx})), std::nullopt) << int{kind};
  }
  Transaction tx = spend(1);
  tx.payload.kind = static_cast<PayloadKind>(kMaxPayloadKind + 1);
  EXPECT_EQ(block_verdict(child_of_genesis({tx})), BlockError::bad_payload);
}

TEST(BlockRules, DuplicateTransaction) {
  EXPECT_EQ(block_verdict(child_of_genesis({spend(1), spend(1)})), BlockError::duplicate_transaction);
}

TEST(Finality, HeightLockTimesAreStrict) {
  Transaction tx = spend(1);
  EXPECT_TRUE(is_final(tx, 0, 0));  // lock_time 0
  tx.lock_time = 10;
  EXPECT_FALSE(is_final(tx, 10, 2'000'000'000));
  EXPECT_TRUE(is_final(tx, 11, 0));
  tx.lock_time = kLockTimeThreshold - 1;  // the largest height lock
  EXPECT_FALSE(is_final(tx, kLockTimeThreshold - 1, ~0ULL));
}

TEST(Finality, TimeLockTimesUseMedianTimePast) {
  Transaction tx = spend(1);
  tx.lock_time = kLockTimeThreshold;  // the smallest time lock
  EXPECT_FALSE(is_final(tx, ~0ULL, kLockTimeThreshold));
  EXPECT_TRUE(is_final(tx, 0, kLockTimeThreshold + 1));
}

TEST(Finality, BlockCheckNamesTheTransaction) {
  Transaction tx = spend(1);
  tx.lock_time = 1;  // final only above height 1
  const Block b = child_of_genesis({tx});
  auto verdict = check_final(b, 0);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->reason, BlockError::non_final);
  EXPECT_NE(verdict->message.find("transactions[1]"), std::string::npos);
  tx.lock_time = 0;
  EXPECT_FALSE(check_final(child_of_genesis({tx}), 0));
}

TEST(Subsidy, HalvesEveryIntervalAndEnds) {
  const ConsensusParams& p = regtest();
  const uint64_t n = p.subsidy.halving_interval;
  EXPECT_EQ(block_subsidy(p, 0), p.subsidy.initial);
  EXPECT_EQ(block_subsidy(p, n - 1), p.subsidy.initial);
  EXPECT_EQ(block_subsidy(p, n), p.subsidy.initial / 2);
  EXPECT_EQ(block_subsidy(p, 3 * n), p.subsidy.initial / 8);
  EXPECT_EQ(block_subsidy(p, 63 * n), 0U);
  EXPECT_EQ(block_subsidy(p, ~0ULL), 0U);
}

}  // namespace
}  // namespace cairn
