// Reorganisations: to a branch with more work at depths 1, 10 and 100 (the result equals
// a replay of the new branch alone), back to the old tip when the new branch holds an
// invalid block, and restart persistence on memory and RocksDB stores.
#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
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
  auto reopened = ChainManager::open(store_, chain_.rules(), checker_, options);
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
  test::TempDir dir;
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

}  // namespace
}  // namespace cairn
