// Reorganisations: to a branch with more work at depths 1, 10 and 100 (the result equals
// a replay of the new branch alone), back to the old tip when the new branch holds an
// invalid block, and restart persistence on memory and RocksDB stores.
#include <string>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "chain/mempool.h"
#include "chain/sig_cache.h"
#include "storage/memory_store.h"
#include "storage/stores.h"

namespace cairn {
namespace {

using test::BlockBuilder;
using test::pay_to;
using test::submit_ok;
using test::submit_reason;
using test::TestChain;

constexpr uint64_t kMaturity = TestChainRules::kDefaultCoinbaseMaturity;

class ReorgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
    ASSERT_NE(manager_, nullptr);
    // Up to the height where the genesis coin matures, so both branches can spend it.
    for (const Block& b : chain_.line(chain_.genesis_hash(), kMaturity - 1)) submit_ok(*manager_, b);
    fork_ = manager_->tip().hash;
  }

  // `length` blocks on `parent`; the first spends the genesis coin to `payee` and the
  // second spends that output again, so branches conflict and chain spends.
  std::vector<Block> branch(const BlockHash& parent, size_t length, size_t payee) {
    std::vector<Block> out;
    BlockBuilder first = chain_.builder(parent);
    const Transaction tx =
        first.spend({TestChain::coinbase_outpoint(chain_.genesis())}, {TxOut{40 * kCoin, pay_to(payee)}});
    out.push_back(first.build());
    if (length > 1) {
      BlockBuilder second = chain_.builder(block_hash(out.back().header));
      second.spend({OutPoint{txid(tx), 0}}, {TxOut{20 * kCoin, pay_to(payee)}, TxOut{19 * kCoin, pay_to(0)}});
      out.push_back(second.build());
    }
    if (length > out.size()) {
      for (Block& b : chain_.line(block_hash(out.back().header), length - out.size()))
        out.push_back(std::move(b));
    }
    return out;
  }

  std::vector<Block> chain_to_fork() const {
    std::vector<Block> out;
    for (uint64_t h = 1; h <= kMaturity - 1; ++h)
      out.push_back(manager_->read_block(manager_->at_height(h)->hash).value());
    return out;
  }

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
  BlockHash fork_;
};

class ReorgDepthTest : public ReorgTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(ReorgDepthTest, ToTheBranchWithMoreWorkEqualsAReplayOfIt) {
  const size_t depth = GetParam();
  const std::vector<Block> old_branch = branch(fork_, depth, 1);
  const std::vector<Block> new_branch = branch(fork_, depth + 1, 2);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  ASSERT_EQ(manager_->tip().hash, block_hash(old_branch.back().header));
  for (const Block& b : new_branch) submit_ok(*manager_, b);
  ASSERT_EQ(manager_->tip().hash, block_hash(new_branch.back().header));
  EXPECT_EQ(manager_->state().root(), new_branch.back().header.state_root);

  std::vector<Block> expected = chain_to_fork();
  expected.insert(expected.end(), new_branch.begin(), new_branch.end());
  EXPECT_EQ(test::chain_state(store_), test::replayed_state(chain_, expected));

  // And back: the old branch, extended, wins again.
  for (const Block& b : chain_.line(block_hash(old_branch.back().header), 2)) submit_ok(*manager_, b);
  EXPECT_EQ(manager_->tip().height(), kMaturity - 1 + depth + 2);
  EXPECT_EQ(test::chain_state(store_), test::replayed_state(chain_, test::best_chain_blocks(*manager_)));
}

INSTANTIATE_TEST_SUITE_P(Depths, ReorgDepthTest, ::testing::Values(1, 10, 100));

TEST_F(ReorgTest, AUtxoCacheThatKeepsNothingGivesTheSameState) {
  manager_.reset();
  ChainManagerOptions options;
  options.utxo_cache_bytes = 1;  // every flush drops every clean entry
  auto reopened = ChainManager::open(store_, chain_.rules(), checker_, test::fixed_clock(), options);
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  manager_ = std::move(*reopened);
  const std::vector<Block> old_branch = branch(fork_, 10, 1);
  const std::vector<Block> new_branch = branch(fork_, 11, 2);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  for (const Block& b : new_branch) submit_ok(*manager_, b);
  ASSERT_EQ(manager_->tip().hash, block_hash(new_branch.back().header));
  EXPECT_EQ(test::chain_state(store_), test::replayed_state(chain_, test::best_chain_blocks(*manager_)));
}

TEST_F(ReorgTest, AnInvalidBlockInTheNewBranchLeavesTheOldTipIntact) {
  // Old: fork -> A1 -> A2 (both spending). New: fork -> B1 (spending, valid) -> B2 (invalid,
  // heavy enough to win) -> B3. B1 connects and is disconnected again.
  const std::vector<Block> old_branch = branch(fork_, 2, 1);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  const auto before = test::chain_state(store_);
  const Hash256 root = manager_->state().root();

  const std::vector<Block> b1 = branch(fork_, 1, 2);
  submit_ok(*manager_, b1[0]);
  Block b2 = chain_.builder(block_hash(b1[0].header)).build(/*work=*/10, /*coinbase_bonus=*/1);
  EXPECT_EQ(submit_reason(*manager_, b2), BlockError::coinbase_overpays);

  EXPECT_EQ(manager_->tip().hash, block_hash(old_branch.back().header));
  EXPECT_EQ(manager_->state().root(), root);
  EXPECT_EQ(test::chain_state(store_), before) << "connect then disconnect of B1 restored everything";
  const BlockNode* failed = manager_->find(block_hash(b2.header));
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->status & kBlockFailed, 0);
  EXPECT_EQ(manager_->find(block_hash(b1[0].header))->status & (kBlockFailed | kBlockFailedAncestor), 0)
      << "B1 is valid; only its child failed";

  // A descendant of the failed block is refused; the refusal survives a restart.
  const Block b3 = chain_.empty_block(block_hash(b2.header), 10);
  EXPECT_EQ(submit_reason(*manager_, b3), BlockError::invalid_parent);
  manager_.reset();
  manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
  ASSERT_NE(manager_, nullptr);
  EXPECT_EQ(manager_->tip().hash, block_hash(old_branch.back().header));
  EXPECT_NE(manager_->find(block_hash(b2.header))->status & kBlockFailed, 0);
  EXPECT_EQ(test::chain_state(store_), before);
}

TEST_F(ReorgTest, AFailureDeepInALongBranchMarksItsStoredDescendants) {
  const std::vector<Block> old_branch = branch(fork_, 4, 1);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  const auto before = test::chain_state(store_);
  // The new branch has its invalid block in the middle and gains more work than the old
  // branch only with its last block, so the failure is found while connecting it.
  std::vector<Block> light = chain_.line(fork_, 2);
  Block bad = chain_.empty_block(block_hash(light.back().header));
  const test::ModelState model = chain_.state(block_hash(bad.header));
  bad.header.state_root = blake3(as_bytes("wrong"));
  chain_.record(block_hash(bad.header), model);
  const Block after_bad = chain_.empty_block(block_hash(bad.header));
  const Block heavy = chain_.empty_block(block_hash(after_bad.header), 10);
  for (const Block& b : light) submit_ok(*manager_, b);
  submit_ok(*manager_, bad);  // not connected yet: its branch has less work
  submit_ok(*manager_, after_bad);
  EXPECT_EQ(submit_reason(*manager_, heavy), BlockError::invalid_parent);
  EXPECT_EQ(manager_->tip().hash, block_hash(old_branch.back().header));
  EXPECT_EQ(test::chain_state(store_), before);
  EXPECT_NE(manager_->find(block_hash(bad.header))->status & kBlockFailed, 0);
  EXPECT_NE(manager_->find(block_hash(after_bad.header))->status & kBlockFailedAncestor, 0);
  EXPECT_NE(manager_->find(block_hash(heavy.header))->status & kBlockFailedAncestor, 0);
}

TEST_F(ReorgTest, RestartResumesAtTheStoredTipWithTheSameState) {
  for (const Block& b : branch(fork_, 4, 1)) submit_ok(*manager_, b);
  const auto before = test::chain_state(store_);
  const BlockHash tip = manager_->tip().hash;
  const Hash256 root = manager_->state().root();
  manager_.reset();
  manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
  ASSERT_NE(manager_, nullptr);
  EXPECT_EQ(manager_->tip().hash, tip);
  EXPECT_EQ(manager_->state().root(), root);
  EXPECT_EQ(test::chain_state(store_), before);
  submit_ok(*manager_, chain_.empty_block(tip));
  EXPECT_EQ(manager_->tip().height(), kMaturity - 1 + 5);
}

TEST(ChainOnRocksDb, ReopensAtTheSameTipAndState) {
  TestChain chain;
  TempDir dir;
  DirectSignatureChecker checker;
  std::vector<std::vector<std::pair<Bytes, Bytes>>> before;
  BlockHash tip;
  {
    auto store = test::open_rocksdb_or_fail(dir.path());
    ASSERT_NE(store, nullptr);
    auto manager = test::open_or_fail(*store, chain.rules(), checker);
    ASSERT_NE(manager, nullptr);
    for (const Block& b : chain.line(chain.genesis_hash(), kMaturity - 1)) submit_ok(*manager, b);
    BlockBuilder spend = chain.builder(manager->tip().hash);
    spend.spend({TestChain::coinbase_outpoint(chain.genesis())}, {TxOut{10 * kCoin, pay_to(3)}});
    submit_ok(*manager, spend.build());
    tip = manager->tip().hash;
    before = test::chain_state(*store);
  }
  auto store = test::open_rocksdb_or_fail(dir.path());
  ASSERT_NE(store, nullptr);
  auto manager = test::open_or_fail(*store, chain.rules(), checker);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->tip().hash, tip);
  EXPECT_EQ(test::chain_state(*store), before);
  EXPECT_EQ(test::chain_state(*store), test::replayed_state(chain, test::best_chain_blocks(*manager)));
}

// The mempool follows reorganisations through MempoolChainListener: transactions the new
// branch confirms leave, those of the disconnected blocks that it does not confirm return,
// and those it double-spends are dropped with their pool descendants.
class ReorgMempoolTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
    ASSERT_NE(manager_, nullptr);
    MempoolOptions options;
    options.genesis = chain_.genesis_hash();
    options.coinbase_maturity = kMaturity;
    pool_ = std::make_unique<Mempool>(options, test::fixed_clock(), cache_, 1);
    listener_ = std::make_unique<MempoolChainListener>(*pool_, *manager_);
    manager_->add_listener(*listener_);
    // Five mature coinbases (heights 0..4) to spend.
    for (const Block& b : chain_.line(chain_.genesis_hash(), 2 * kMaturity)) {
      coinbases_.push_back(TestChain::coinbase_outpoint(b));
      submit_ok(*manager_, b);
    }
    coinbases_.insert(coinbases_.begin(), TestChain::coinbase_outpoint(chain_.genesis()));
  }

  // A signed spend of a coin of the tip's state to `payee`.
  Transaction spend(const BlockHash& at, const OutPoint& coin, size_t payee) {
    return chain_.builder(at).spend({coin}, {TxOut{30 * kCoin, pay_to(payee)}});
  }
  bool accept(const Transaction& tx) {
    return pool_->accept(tx, manager_->coins(), next_block(*manager_)).status == TxStatus::accepted;
  }
  // `txs` in a block on `parent`, then `empty` empty blocks.
  std::vector<Block> branch(const BlockHash& parent, const std::vector<Transaction>& txs, size_t empty) {
    test::BlockBuilder b = chain_.builder(parent);
    for (const Transaction& tx : txs) b.add(tx);
    std::vector<Block> out{b.build()};
    for (Block& e : chain_.line(block_hash(out.back().header), empty)) out.push_back(std::move(e));
    return out;
  }

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  DeterministicRng rng_{3};
  SignatureCache cache_{rng_};
  std::unique_ptr<ChainManager> manager_;
  std::unique_ptr<Mempool> pool_;
  std::unique_ptr<MempoolChainListener> listener_;
  std::vector<OutPoint> coinbases_;
};

TEST_P(ReorgMempoolTest, ConfirmedLeaveDisconnectedReturnDoubleSpendsDrop) {
  const size_t depth = GetParam();
  const BlockHash fork = manager_->tip().hash;
  const Transaction in_both = spend(fork, coinbases_[0], 1);
  const Transaction double_spent = spend(fork, coinbases_[1], 1);
  const Transaction returns = spend(fork, coinbases_[2], 1);
  const Transaction confirmed_later = spend(fork, coinbases_[3], 1);
  const Transaction conflict = spend(fork, coinbases_[1], 2);  // the new branch's spend of coin 1
  for (const auto* tx : {&in_both, &double_spent, &returns, &confirmed_later}) ASSERT_TRUE(accept(*tx));

  // The old branch confirms three of them: they leave the pool.
  const std::vector<Block> old_branch = branch(fork, {in_both, double_spent, returns}, depth - 1);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  EXPECT_FALSE(pool_->contains(txid(in_both)));
  EXPECT_FALSE(pool_->contains(txid(double_spent)));
  EXPECT_FALSE(pool_->contains(txid(returns)));
  EXPECT_TRUE(pool_->contains(txid(confirmed_later)));
  // A pool child of a confirmed transaction, and one of the double-spent transaction.
  const BlockHash old_first = block_hash(old_branch.front().header);
  const Transaction child_of_returning =
      chain_.builder(old_first).spend({OutPoint{txid(returns), 0}}, {TxOut{20 * kCoin, pay_to(3)}});
  const Transaction child_of_double_spent =
      chain_.builder(old_first).spend({OutPoint{txid(double_spent), 0}}, {TxOut{20 * kCoin, pay_to(3)}});
  ASSERT_TRUE(accept(child_of_returning));
  ASSERT_TRUE(accept(child_of_double_spent));

  // The new branch (one block longer) confirms in_both, conflict and confirmed_later.
  const std::vector<Block> new_branch = branch(fork, {in_both, conflict, confirmed_later}, depth);
  for (const Block& b : new_branch) submit_ok(*manager_, b);
  ASSERT_EQ(manager_->tip().hash, block_hash(new_branch.back().header));

  EXPECT_FALSE(pool_->contains(txid(in_both))) << "confirmed in the new branch";
  EXPECT_FALSE(pool_->contains(txid(confirmed_later))) << "confirmed in the new branch";
  EXPECT_FALSE(pool_->contains(txid(conflict)));
  EXPECT_TRUE(pool_->contains(txid(returns))) << "disconnected and not confirmed: back in the pool";
  EXPECT_TRUE(pool_->contains(txid(child_of_returning)));
  EXPECT_FALSE(pool_->contains(txid(double_spent))) << "its coin is spent by the new branch";
  EXPECT_FALSE(pool_->contains(txid(child_of_double_spent)));
  EXPECT_FALSE(pool_->contains_orphan(txid(double_spent)));
  EXPECT_EQ(pool_->size(), 2u);
  EXPECT_EQ(pool_->select_for_block({1'000'000, 10}),
            (std::vector<Transaction>{returns, child_of_returning}));
}

INSTANTIATE_TEST_SUITE_P(Depths, ReorgMempoolTest, ::testing::Values(1, 10));

TEST_F(ReorgTest, ListenersHearOnlyTheNetChange) {
  struct Recorder final : ChainListener {
    void block_disconnected(const Block& b, uint64_t height) override {
      events.push_back("-" + std::to_string(height) + block_hash(b.header).hex().substr(0, 8));
    }
    void block_connected(const Block& b, uint64_t height) override {
      events.push_back("+" + std::to_string(height) + block_hash(b.header).hex().substr(0, 8));
    }
    void chain_updated() override { events.emplace_back("done"); }
    std::vector<std::string> events;
  } recorder;
  manager_->add_listener(recorder);
  auto tag = [](char sign, const Block& b) {
    return sign + std::to_string(b.header.height) + block_hash(b.header).hex().substr(0, 8);
  };
  const std::vector<Block> old_branch = branch(fork_, 2, 1);
  for (const Block& b : old_branch) submit_ok(*manager_, b);
  EXPECT_EQ(recorder.events,
            (std::vector<std::string>{tag('+', old_branch[0]), "done", tag('+', old_branch[1]), "done"}));
  recorder.events.clear();
  // An invalid heavy block on a valid one: tried, abandoned, nothing to report.
  const std::vector<Block> b1 = branch(fork_, 1, 2);
  submit_ok(*manager_, b1[0]);
  const Block bad = chain_.builder(block_hash(b1[0].header)).build(/*work=*/10, /*coinbase_bonus=*/1);
  EXPECT_EQ(submit_reason(*manager_, bad), BlockError::coinbase_overpays);
  EXPECT_TRUE(recorder.events.empty());
  // A real reorganisation: old tip first, then the new blocks in order.
  const Block heavy = chain_.empty_block(block_hash(b1[0].header), 10);
  submit_ok(*manager_, heavy);
  EXPECT_EQ(recorder.events, (std::vector<std::string>{tag('-', old_branch[1]), tag('-', old_branch[0]),
                                                       tag('+', b1[0]), tag('+', heavy), "done"}));
}

}  // namespace
}  // namespace cairn
