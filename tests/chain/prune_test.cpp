// Pruning (ChainManagerOptions::prune_depth): the stored block and undo bytes stay bounded
// by the window, reorganisations up to the window's depth work and deeper ones are refused
// (reorg_too_deep, the branch not marked failed), pruned blocks read as a clear error, the
// pruned state survives a restart, an archive store may switch to pruning but not back, and
// prune_limit_height holds pruning below a height.
#include <string>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "storage/memory_store.h"
#include "storage/stores.h"

namespace cairn {
namespace {

using test::pay_to;
using test::submit_ok;
using test::submit_reason;
using test::TestChain;

constexpr uint64_t kWindow = 10;
constexpr uint64_t kMaturity = TestChainRules::kDefaultCoinbaseMaturity;

ChainManagerOptions pruned(uint64_t depth = kWindow) {
  ChainManagerOptions o;
  o.prune_depth = depth;
  return o;
}

class PruneTest : public ::testing::Test {
 protected:
  void open(const ChainManagerOptions& options = pruned()) {
    manager_.reset();
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_, options);
    ASSERT_NE(manager_, nullptr);
  }
  void SetUp() override { open(); }

  // A block on the tip; from maturity on it spends the coinbase of kMaturity blocks
  // earlier into two outputs, so every block has the same shape of body and undo data.
  Block next_block() {
    test::BlockBuilder b = chain_.builder(manager_->tip().hash);
    const uint64_t height = manager_->tip().height() + 1;
    if (height >= kMaturity) {
      const Block source = blocks_.at(height - kMaturity);
      b.spend({TestChain::coinbase_outpoint(source)},
              {TxOut{20 * kCoin, pay_to(1)}, TxOut{29 * kCoin, pay_to(2)}});
    }
    return b.build();
  }
  void extend(size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const Block b = next_block();
      blocks_[b.header.height] = b;
      submit_ok(*manager_, b);
    }
  }
  size_t data_bytes() const {
    return test::column_bytes(store_, Column::block_bodies) + test::column_bytes(store_, Column::undo);
  }

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
  std::map<uint64_t, Block> blocks_{{0, chain_.genesis()}};
};

TEST_F(PruneTest, BlockAndUndoBytesStayWithinTheWindow) {
  // The window is full once its oldest block is a spending one (all blocks alike).
  extend(kMaturity + kWindow);
  const size_t window_bytes = data_bytes();
  EXPECT_EQ(manager_->prune_height(), manager_->tip().height() + 1 - kWindow);
  extend(9 * kWindow);
  EXPECT_EQ(manager_->tip().height(), kMaturity + 10 * kWindow);
  EXPECT_LE(data_bytes(), window_bytes * 12 / 10);
  EXPECT_EQ(manager_->prune_height(), manager_->tip().height() + 1 - kWindow);
  test::expect_prune_consistent(store_, *manager_);

  // The same blocks in archive mode hold about ten windows.
  MemoryStore archive;
  auto full = test::open_or_fail(archive, chain_.rules(), checker_);
  ASSERT_NE(full, nullptr);
  for (uint64_t h = 1; h <= manager_->tip().height(); ++h) submit_ok(*full, blocks_.at(h));
  EXPECT_GT(test::column_bytes(archive, Column::block_bodies) + test::column_bytes(archive, Column::undo),
            window_bytes * 9);
  EXPECT_EQ(test::chain_state(archive), test::chain_state(store_)) << "pruning changes no chain state";
}

TEST_F(PruneTest, APrunedBlockReadsAsAClearErrorAndItsHeaderStays) {
  extend(3 * kWindow);
  const BlockNode* old = manager_->at_height(5);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->status & (kBlockHaveBody | kBlockHaveUndo), 0);
  EXPECT_NE(old->status & kBlockValid, 0);
  const auto block = manager_->read_block(old->hash);
  ASSERT_FALSE(block.ok());
  EXPECT_EQ(block.error().code, ErrorCode::not_found);
  EXPECT_NE(block.error().message.find("pruned"), std::string::npos) << block.error().message;
  const BlockNode* kept = manager_->at_height(manager_->prune_height());
  EXPECT_TRUE(manager_->read_block(kept->hash).ok());
  EXPECT_FALSE(manager_->read_block(manager_->at_height(manager_->prune_height() - 1)->hash).ok());
}

class PruneReorgTest : public PruneTest {
 protected:
  // A reorganisation that disconnects `depth` blocks: a branch of depth + 1 empty blocks
  // from the block `depth` below the tip. The verdict of its last block.
  std::optional<BlockError> reorg(uint64_t depth) {
    const BlockNode* fork = manager_->at_height(manager_->tip().height() - depth);
    branch_ = chain_.line(fork->hash, depth + 1);
    std::optional<BlockError> last;
    for (const Block& b : branch_) last = submit_reason(*manager_, b);
    return last;
  }
  std::vector<Block> branch_;
};

TEST_F(PruneReorgTest, OneBlockShallowerThanTheWindowWorks) {
  extend(3 * kWindow);
  EXPECT_EQ(reorg(kWindow - 1), std::nullopt);
  EXPECT_EQ(manager_->tip().hash, block_hash(branch_.back().header));
  test::expect_prune_consistent(store_, *manager_);
}

TEST_F(PruneReorgTest, ExactlyTheWindowWorks) {
  extend(3 * kWindow);
  EXPECT_EQ(reorg(kWindow), std::nullopt);
  EXPECT_EQ(manager_->tip().hash, block_hash(branch_.back().header));
}

TEST_F(PruneReorgTest, OneBlockDeeperIsRefusedWithTheReasonAndNotMarkedFailed) {
  extend(3 * kWindow);
  const BlockHash tip = manager_->tip().hash;
  const auto before = test::chain_state(store_);
  const BlockNode* fork = manager_->at_height(manager_->tip().height() - (kWindow + 1));
  branch_ = chain_.line(fork->hash, kWindow + 2);
  for (size_t i = 0; i + 1 < branch_.size(); ++i) submit_ok(*manager_, branch_[i]);
  auto verdict = manager_->submit_block(branch_.back());
  ASSERT_TRUE(verdict.ok());
  ASSERT_TRUE(*verdict);
  EXPECT_EQ((*verdict)->reason, BlockError::reorg_too_deep);
  EXPECT_NE((*verdict)->message.find("pruned"), std::string::npos) << (*verdict)->message;
  EXPECT_EQ(manager_->tip().hash, tip);
  EXPECT_EQ(test::chain_state(store_), before);
  const BlockNode* refused = manager_->find(block_hash(branch_.back().header));
  ASSERT_NE(refused, nullptr);
  EXPECT_FALSE(refused->failed()) << "not invalid by content";
  // The best chain keeps growing; the refused branch stays refused after a restart.
  extend(1);
  open();
  EXPECT_EQ(manager_->tip().height(), 3 * kWindow + 1);
  EXPECT_EQ(submit_reason(*manager_, chain_.empty_block(block_hash(branch_.back().header), 5)),
            BlockError::reorg_too_deep);
  EXPECT_FALSE(manager_->find(block_hash(branch_.back().header))->failed());
}

TEST_F(PruneTest, RestartKeepsThePrunedState) {
  extend(3 * kWindow);
  const uint64_t prune_height = manager_->prune_height();
  const auto before = test::chain_state(store_);
  open();
  EXPECT_EQ(manager_->prune_height(), prune_height);
  EXPECT_EQ(test::chain_state(store_), before);
  test::expect_prune_consistent(store_, *manager_);
  EXPECT_FALSE(manager_->read_block(manager_->at_height(prune_height - 1)->hash).ok());
  extend(2);
  EXPECT_EQ(manager_->prune_height(), prune_height + 2);
}

TEST_F(PruneTest, ArchiveSwitchesToPrunedButNotBack) {
  open(ChainManagerOptions{});
  extend(3 * kWindow);
  EXPECT_EQ(manager_->prune_height(), 0u);
  EXPECT_EQ(test::column(store_, Column::block_bodies).size(), 3 * kWindow + 1);

  open(pruned());
  EXPECT_EQ(manager_->prune_height(), 2 * kWindow + 1);
  EXPECT_EQ(test::column(store_, Column::block_bodies).size(), kWindow);
  test::expect_prune_consistent(store_, *manager_);

  manager_.reset();
  auto archive = ChainManager::open(store_, chain_.rules(), checker_, test::fixed_clock());
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(archive.error().message.find("pruned"), std::string::npos) << archive.error().message;
}

TEST_F(PruneTest, TheLimitHeightHoldsPruningBack) {
  uint64_t limit = 5;
  ChainManagerOptions options = pruned();
  options.prune_limit_height = [&limit] { return limit; };
  open(options);
  extend(3 * kWindow);
  EXPECT_EQ(manager_->prune_height(), 5u) << "the limit, not the window, decides";
  EXPECT_TRUE(manager_->read_block(manager_->at_height(5)->hash).ok());
  EXPECT_FALSE(manager_->read_block(manager_->at_height(4)->hash).ok());
  limit = 100;  // finality moved past the window: the window decides again
  extend(1);
  EXPECT_EQ(manager_->prune_height(), manager_->tip().height() + 1 - kWindow);
  test::expect_prune_consistent(store_, *manager_);
}

TEST(PruneBatches, ALargeBacklogIsPrunedInBoundedBatches) {
  TestChain chain;
  MemoryStore store;
  DirectSignatureChecker checker;
  const uint64_t length = kMaxPruneBlocksPerBatch + 5;
  {
    auto archive = test::open_or_fail(store, chain.rules(), checker);
    ASSERT_NE(archive, nullptr);
    for (const Block& b : chain.line(chain.genesis_hash(), length)) submit_ok(*archive, b);
  }
  auto manager = test::open_or_fail(store, chain.rules(), checker, pruned(2));
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->prune_height(), length - 1);
  EXPECT_EQ(test::column(store, Column::block_bodies).size(), 2u);
  test::expect_prune_consistent(store, *manager);
}

TEST(PruneOnRocksDb, ReopensPruned) {
  TestChain chain;
  TempDir dir;
  DirectSignatureChecker checker;
  uint64_t prune_height = 0;
  {
    auto store = test::open_rocksdb_or_fail(dir.path());
    ASSERT_NE(store, nullptr);
    auto manager = test::open_or_fail(*store, chain.rules(), checker, pruned(3));
    ASSERT_NE(manager, nullptr);
    for (const Block& b : chain.line(chain.genesis_hash(), 12)) submit_ok(*manager, b);
    prune_height = manager->prune_height();
  }
  EXPECT_EQ(prune_height, 10u);
  auto store = test::open_rocksdb_or_fail(dir.path());
  ASSERT_NE(store, nullptr);
  auto manager = test::open_or_fail(*store, chain.rules(), checker, pruned(3));
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->prune_height(), prune_height);
  test::expect_prune_consistent(*store, *manager);
}

}  // namespace
}  // namespace cairn
