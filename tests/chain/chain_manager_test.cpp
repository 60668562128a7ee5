// The chain manager on one chain: genesis, contextual validation of transactions against
// the UTXO set, the indexes, and that refused blocks change nothing.
#include <string>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "chain/mempool.h"
#include "chain/sig_cache.h"
#include "storage/keys.h"
#include "storage/memory_store.h"
#include "util/clock.h"
#include "util/thread_pool.h"

namespace cairn {
namespace {

using test::BlockBuilder;
using test::pay_to;
using test::submit_ok;
using test::submit_reason;
using test::TestChain;

class ChainManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
    ASSERT_NE(manager_, nullptr);
  }

  // Empty blocks on the tip until `height`.
  void mine_to(uint64_t height) {
    while (manager_->tip().height() < height) submit_ok(*manager_, chain_.empty_block(manager_->tip().hash));
  }
  BlockBuilder next() { return chain_.builder(manager_->tip().hash); }
  OutPoint genesis_coin() const { return TestChain::coinbase_outpoint(chain_.genesis()); }
  const uint64_t maturity_ = TestChainRules::kDefaultCoinbaseMaturity;

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
};

TEST(ChainWork, AddsWithCarryAndRefusesOverflow) {
  const ChainWork max_u64 = ChainWork::from_u64(UINT64_MAX);
  const ChainWork sum = max_u64.checked_add(ChainWork::from_u64(1)).value();
  EXPECT_EQ(sum.value.bytes[23], 1);  // 2^64: the carry crossed into the ninth byte from the end
  EXPECT_GT(sum, max_u64);
  ChainWork top;
  top.value.bytes.fill(0xff);
  EXPECT_FALSE(top.checked_add(ChainWork::from_u64(1)).has_value());
  EXPECT_EQ(top.checked_add(ChainWork{}).value(), top);
}

TEST_F(ChainManagerTest, OpensAnEmptyStoreAtGenesis) {
  EXPECT_EQ(manager_->tip().hash, chain_.genesis_hash());
  EXPECT_EQ(manager_->state().root(), chain_.genesis().header.state_root);
  EXPECT_EQ(test::column(store_, Column::utxo).size(), 1u);
  EXPECT_TRUE(manager_->coins().get_coin(genesis_coin()).value().has_value());
}

TEST_F(ChainManagerTest, ConnectsASpendAndUpdatesTheIndexes) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  const Transaction tx =
      b.spend({genesis_coin()}, {TxOut{30 * kCoin, pay_to(1)}, TxOut{19 * kCoin, pay_to(2)}});
  const Block block = b.build();
  submit_ok(*manager_, block);
  const BlockHash hash = block_hash(block.header);
  EXPECT_EQ(manager_->tip().hash, hash);
  EXPECT_EQ(manager_->state().root(), block.header.state_root);
  EXPECT_FALSE(manager_->coins().get_coin(genesis_coin()).value().has_value());
  const Txid id = txid(tx);
  EXPECT_EQ(manager_->coins().get_coin(OutPoint{id, 1}).value()->output.value, 19 * kCoin);

  auto loc = store_.get(Column::tx_index, tx_index_key(id)).value();
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(decode_tx_location(*loc).value(), (TxLocation{hash, 1}));

  // The spent genesis coin's address entry now names its spender; the new output is unspent.
  auto spent =
      store_.get(Column::address_index, address_key(AddressKey{pay_to(0), 0, genesis_coin()})).value();
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(decode_address_entry(*spent).value().spent, (SpentBy{id, 0, block.header.height}));
  auto fresh = store_
                   .get(Column::address_index,
                        address_key(AddressKey{pay_to(2), block.header.height, OutPoint{id, 1}}))
                   .value();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(decode_address_entry(*fresh).value(), (AddressEntry{19 * kCoin, false, std::nullopt}));
  // The fee went to the coinbase.
  EXPECT_EQ(manager_->coins().get_coin(TestChain::coinbase_outpoint(block)).value()->output.value,
            TestChainRules::kSubsidy + kCoin);
}

TEST_F(ChainManagerTest, ATransactionMaySpendAnEarlierOneInTheSameBlock) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  const Transaction first = b.spend({genesis_coin()}, {TxOut{50 * kCoin, pay_to(1)}});
  const Transaction second = b.spend({OutPoint{txid(first), 0}}, {TxOut{50 * kCoin, pay_to(2)}});
  const Block block = b.build();
  submit_ok(*manager_, block);
  EXPECT_FALSE(manager_->coins().get_coin(OutPoint{txid(first), 0}).value().has_value());
  EXPECT_TRUE(manager_->coins().get_coin(OutPoint{txid(second), 0}).value().has_value());
  EXPECT_FALSE(store_.get(Column::utxo, utxo_key(OutPoint{txid(first), 0})).value().has_value());
}

// Each refused block leaves the tip, the UTXO set and the state where they were.
class RefusedBlockTest : public ChainManagerTest {
 protected:
  void expect_refused(const Block& block, BlockError reason) {
    const BlockHash tip = manager_->tip().hash;
    const auto utxo = test::column(store_, Column::utxo);
    const Hash256 root = manager_->state().root();
    EXPECT_EQ(submit_reason(*manager_, block), reason);
    EXPECT_EQ(manager_->tip().hash, tip);
    EXPECT_EQ(test::column(store_, Column::utxo), utxo);
    EXPECT_EQ(manager_->state().root(), root);
  }
};

TEST_F(RefusedBlockTest, DoubleSpendInsideABlock) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(2)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, DoubleSpendInsideATransaction) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin(), genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, DoubleSpendAcrossBlocks) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  submit_ok(*manager_, b.build());
  // The model no longer has the coin: sign against the genesis state instead.
  BlockBuilder again = next();
  Transaction tx;
  tx.inputs = {TxIn{genesis_coin(), {}}};
  tx.outputs = {TxOut{10 * kCoin, pay_to(2)}};
  again.add(chain_.sign(tx, {TxOut{TestChainRules::kSubsidy, pay_to(0)}}));
  expect_refused(again.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, SpendOfAnUnknownOutpoint) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({OutPoint{blake3(as_bytes("nowhere")), 0}}, {TxOut{1, pay_to(1)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, ImmatureCoinbaseThenMature) {
  mine_to(maturity_ - 2);
  BlockBuilder early = next();  // at height maturity - 1
  early.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  expect_refused(early.build(), BlockError::immature_coinbase);
  mine_to(maturity_ - 1);
  BlockBuilder ripe = next();  // at height maturity
  ripe.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  submit_ok(*manager_, ripe.build());
}

TEST_F(RefusedBlockTest, Overspend) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{TestChainRules::kSubsidy + 1, pay_to(1)}});
  expect_refused(b.build(), BlockError::overspend);
}

TEST_F(RefusedBlockTest, OutputsOutsideTheMoneyRange) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{kMaxMoney, pay_to(1)}, TxOut{kMaxMoney, pay_to(1)}});
  expect_refused(b.build(), BlockError::bad_amount);
}

TEST_F(RefusedBlockTest, CoinbaseClaimingMoreThanSubsidyAndFees) {
  expect_refused(next().build(0, 1), BlockError::coinbase_overpays);
}

TEST_F(RefusedBlockTest, BadSignatureCommittedByTheHeaderMarksTheBlockFailed) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  Transaction tx;
  tx.inputs = {TxIn{genesis_coin(), {}}};
  tx.outputs = {TxOut{10 * kCoin, pay_to(1)}};
  tx = chain_.sign(tx, {TxOut{TestChainRules::kSubsidy, pay_to(0)}});
  std::get<KeySpend>(tx.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  b.add(tx);
  const Block block = b.build();
  expect_refused(block, BlockError::bad_lock);
  EXPECT_NE(manager_->find(block_hash(block.header))->status & kBlockFailed, 0);
  // Its child is refused for its ancestry.
  EXPECT_EQ(submit_reason(*manager_, chain_.empty_block(block_hash(block.header))),
            BlockError::invalid_parent);
}

TEST_F(RefusedBlockTest, AMutatedWitnessIsNotHeldAgainstTheHeader) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  const Block honest = b.build();
  Block mutated = honest;
  std::get<KeySpend>(mutated.transactions[1].inputs[0].witness).signature.signature.bytes[0] ^= 1;
  ASSERT_EQ(txid(mutated.transactions[1]), txid(honest.transactions[1])) << "same txid, other witness";
  expect_refused(mutated, BlockError::mutated);
  EXPECT_EQ(manager_->find(block_hash(honest.header)), nullptr) << "nothing recorded against the header";
  submit_ok(*manager_, honest);
  EXPECT_EQ(manager_->tip().hash, block_hash(honest.header));
}

TEST_F(RefusedBlockTest, WrongStateRoot) {
  Block block = next().build();
  block.header.state_root = blake3(as_bytes("wrong"));
  expect_refused(block, BlockError::bad_state_root);
  EXPECT_NE(manager_->find(block_hash(block.header))->status & kBlockFailed, 0);
}

TEST_F(RefusedBlockTest, UnknownParent) {
  Block block = next().build();
  block.header.prev = blake3(as_bytes("elsewhere"));
  expect_refused(block, BlockError::unknown_parent);
}

TEST_F(RefusedBlockTest, WrongHeight) {
  Block block = next().build();
  block.header.height += 1;
  expect_refused(block, BlockError::bad_header);
}

// A coin locked to key 1 and "3 blocks after its creation" (relative height lock).
TEST_F(ChainManagerTest, RelativeTimeLocksCountFromTheCoinsBlock) {
  constexpr uint64_t kAge = 3;
  LockNode key_node;
  key_node.keys = {test::test_key(1).public_key()};
  LockNode older_node;
  older_node.tag = LockTag::older;
  older_node.time = LockTime{TimeKind::height, kAge};
  LockNode both;
  both.tag = LockTag::all;
  both.children = {key_node, older_node};
  const Lock lock{kLockVersion, both};
  const TxOut locked{10 * kCoin, lock_hash_lock(lock)};

  mine_to(maturity_ - 1);
  BlockBuilder fund = next();
  const Transaction funding = fund.spend({genesis_coin()}, {locked});
  submit_ok(*manager_, fund.build());
  const uint64_t coin_height = manager_->tip().height();

  auto spend_block = [&] {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {TxOut{9 * kCoin, pay_to(2)}};
    const SighashDigests digests = compute_sighash_digests(tx, std::vector<TxOut>{locked}).value();
    const Hash256 msg = signature_hash(tx, digests, 0, test::kSighashAll, chain_.genesis_hash()).value();
    Satisfaction key_sat;
    key_sat.signatures = {TypedSignature{test::test_key(1).sign(msg), test::kSighashAll}};
    Satisfaction older_sat;
    older_sat.tag = LockTag::older;
    Satisfaction sat;
    sat.tag = LockTag::all;
    sat.children = {key_sat, older_sat};
    tx.inputs[0].witness = LockSpend{lock, sat};
    BlockBuilder b = next();
    b.add(tx);
    return b.build();
  };
  while (manager_->tip().height() + 1 < coin_height + kAge) {
    EXPECT_EQ(submit_reason(*manager_, spend_block()), BlockError::bad_lock);
    submit_ok(*manager_, chain_.empty_block(manager_->tip().hash));
  }
  submit_ok(*manager_, spend_block());
  EXPECT_EQ(manager_->tip().height(), coin_height + kAge);
}

TEST_F(ChainManagerTest, OfTwoBranchesWithEqualWorkTheFirstSeenStays) {
  const Block a = chain_.empty_block(manager_->tip().hash);
  const Block b = chain_.empty_block(manager_->tip().hash);
  submit_ok(*manager_, a);
  submit_ok(*manager_, b);
  EXPECT_EQ(manager_->tip().hash, block_hash(a.header));
  // One more block on b gives it more work.
  const Block c = chain_.empty_block(block_hash(b.header));
  submit_ok(*manager_, c);
  EXPECT_EQ(manager_->tip().hash, block_hash(c.header));
}

TEST_F(ChainManagerTest, ResubmittingAKnownBlockIsHarmless) {
  const Block a = chain_.empty_block(manager_->tip().hash);
  submit_ok(*manager_, a);
  submit_ok(*manager_, a);
  EXPECT_EQ(manager_->tip().hash, block_hash(a.header));
}

// TestChainRules plus the future-time rule of issue [C]'s rules: a timestamp more than
// kMaxFutureSeconds ahead of ParentInfo::now is refused.
class ClockedRules final : public ChainRules {
 public:
  static constexpr uint64_t kMaxFutureSeconds = 7200;
  explicit ClockedRules(const TestChainRules& inner) : inner_(inner) {}
  const Block& genesis() const override { return inner_.genesis(); }
  std::optional<BlockRejection> check_header(const BlockHeader& header,
                                             const ParentInfo& parent) const override {
    if (header.timestamp > parent.now + kMaxFutureSeconds)
      return BlockRejection{BlockError::time_too_new, ""};
    return inner_.check_header(header, parent);
  }
  ChainWork block_work(const BlockHeader& header) const override { return inner_.block_work(header); }
  std::optional<BlockRejection> check_block(const Block& block) const override {
    return inner_.check_block(block);
  }
  Amount block_subsidy(uint64_t height) const override { return inner_.block_subsidy(height); }
  uint64_t coinbase_maturity() const override { return inner_.coinbase_maturity(); }

 private:
  const TestChainRules& inner_;
};

TEST(ChainManagerClock, HeadersAreCheckedAgainstTheInjectedClock) {
  TestChain chain;
  ClockedRules rules(chain.rules());
  MemoryStore store;
  DirectSignatureChecker checker;
  // The first block is stamped genesis + kBlockSpacing.
  const Block block = chain.empty_block(chain.genesis_hash());
  ManualClock clock(static_cast<int64_t>(block.header.timestamp - ClockedRules::kMaxFutureSeconds - 1));
  auto manager = ChainManager::open(store, rules, checker, clock);
  ASSERT_TRUE(manager.ok());
  EXPECT_EQ(submit_reason(**manager, block), BlockError::time_too_new);
  EXPECT_EQ((*manager)->find(block_hash(block.header)), nullptr) << "nothing recorded: it may pass later";
  clock.advance_seconds(1);  // now exactly at the limit
  submit_ok(**manager, block);
  EXPECT_EQ((*manager)->tip().hash, block_hash(block.header));
}

// Signature checks run after the sequential pass (on a pool when there is one), yet the
// verdict is the first failure in block order, whichever kind it is.
class ParallelConnectTest : public ChainManagerTest, public ::testing::WithParamInterface<bool> {
 protected:
  static constexpr size_t kSpends = 3 * kVerifyBatch + 1;

  void SetUp() override {
    ChainManagerOptions options;
    if (GetParam()) options.verify_pool = &pool_;
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_, options);
    ASSERT_NE(manager_, nullptr);
    mine_to(maturity_ - 1);
    // The genesis coin split into kSpends coins, one per transaction of the test blocks.
    BlockBuilder b = next();
    const std::vector<TxOut> outs(kSpends, TxOut{kCoin, pay_to(0)});
    split_ = txid(b.spend({genesis_coin()}, outs));
    submit_ok(*manager_, b.build());
  }

  // A block whose transaction i (block position i + 1) spends coin i; the arguments are
  // transaction numbers to break.
  Block block(std::optional<size_t> bad_signature, std::optional<size_t> missing,
              std::optional<size_t> overspend = std::nullopt) {
    BlockBuilder b = next();
    for (size_t i = 0; i < kSpends; ++i) {
      OutPoint coin{split_, static_cast<uint32_t>(i)};
      if (missing == i) coin = OutPoint{blake3(as_bytes("nowhere")), 0};
      const Amount value = overspend == i ? 2 * kCoin : kCoin / 2;
      Transaction tx = chain_.builder(manager_->tip().hash).spend({coin}, {TxOut{value, pay_to(1)}});
      if (bad_signature == i) std::get<KeySpend>(tx.inputs[0].witness).signature.signature.bytes[0] ^= 1;
      b.add(tx);
    }
    return b.build();
  }

  std::optional<BlockRejection> verdict(const Block& b) {
    auto v = manager_->submit_block(b);
    EXPECT_TRUE(v.ok());
    return v ? *v : std::nullopt;
  }

  ThreadPool pool_{"verify", 2};
  Txid split_;
};

TEST_P(ParallelConnectTest, AValidBlockConnects) {
  submit_ok(*manager_, block(std::nullopt, std::nullopt));
  EXPECT_EQ(manager_->tip().height(), maturity_ + 1);
}

TEST_P(ParallelConnectTest, ABadSignatureBeforeAMissingInputIsReported) {
  const auto v = verdict(block(10, 20));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, BlockError::bad_lock);
  EXPECT_NE(v->message.find("transactions[11].inputs[0]"), std::string::npos) << v->message;
}

TEST_P(ParallelConnectTest, AMissingInputBeforeABadSignatureIsReported) {
  const auto v = verdict(block(20, 10));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, BlockError::missing_input);
  EXPECT_NE(v->message.find("transactions[11].inputs[0]"), std::string::npos) << v->message;
}

TEST_P(ParallelConnectTest, AnOverspendBeforeABadSignatureIsReported) {
  const auto v = verdict(block(kSpends - 1, std::nullopt, 0));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, BlockError::overspend);
}

TEST_P(ParallelConnectTest, TheLowestOfTwoBadSignaturesIsReported) {
  Block b = block(kSpends - 1, std::nullopt);
  std::get<KeySpend>(b.transactions[kSpends - 2].inputs[0].witness).signature.signature.bytes[0] ^= 1;
  b.header.witness_root = compute_witness_root(b);
  const auto v = verdict(b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, BlockError::bad_lock);
  const std::string where = "transactions[" + std::to_string(kSpends - 2) + "]";
  EXPECT_NE(v->message.find(where), std::string::npos) << v->message;
}

INSTANTIATE_TEST_SUITE_P(Pool, ParallelConnectTest, ::testing::Bool(), [](const auto& param_info) {
  return param_info.param ? std::string("OnAPool") : std::string("Inline");
});

// The signature cache is keyed by (sighash, key, signature), not txid: a block reusing a
// mempool transaction's txid with another witness (committed by its header) is checked
// again and refused, on the verify pool, although the honest one was cached at entry.
TEST(ChainManagerSignatureCache, AChangedWitnessUnderACachedTxidIsRefused) {
  TestChain chain;
  MemoryStore store;
  DeterministicRng rng(5);
  SignatureCache cache(rng);
  CachingSignatureChecker checker(cache);
  ThreadPool pool("verify", 2);
  ChainManagerOptions options;
  options.verify_pool = &pool;
  auto manager = test::open_or_fail(store, chain.rules(), checker, options);
  ASSERT_NE(manager, nullptr);
  for (const Block& b : chain.line(chain.genesis_hash(), TestChainRules::kDefaultCoinbaseMaturity - 1))
    submit_ok(*manager, b);
  MempoolOptions mo;
  mo.genesis = chain.genesis_hash();
  mo.coinbase_maturity = TestChainRules::kDefaultCoinbaseMaturity;
  Mempool mempool(mo, test::fixed_clock(), cache, 1);
  const Transaction honest =
      chain.builder(manager->tip().hash)
          .spend({TestChain::coinbase_outpoint(chain.genesis())}, {TxOut{10 * kCoin, pay_to(1)}});
  ASSERT_EQ(mempool.accept(honest, manager->coins(), next_block(*manager)).status, TxStatus::accepted);
  const size_t cached = cache.size();
  EXPECT_GT(cached, 0u);

  Transaction mutated = honest;
  std::get<KeySpend>(mutated.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  ASSERT_EQ(txid(mutated), txid(honest));
  BlockBuilder bad = chain.builder(manager->tip().hash);
  bad.add(mutated);
  EXPECT_EQ(submit_reason(*manager, bad.build()), BlockError::bad_lock);

  BlockBuilder good = chain.builder(manager->tip().hash);
  good.add(honest);
  submit_ok(*manager, good.build());
  EXPECT_EQ(cache.size(), cached) << "the honest signature came from the cache";
}

}  // namespace
}  // namespace cairn
