// Crash safety: a run of connects and a reorganisation over FaultInjectingStore, failing
// the k-th write or the k-th sync for every k until a run completes, with and without a
// power loss (crash(): unsynced writes dropped) after the failure. After each reopen the
// tip, UTXO set and indexes must equal a replay of the stored best chain into a fresh
// store, nothing acknowledged (submit_block returned) may be lost, and the run must then
// complete. The pruning cases prune with a window exactly as deep as the reorganisation,
// and also check that the index's body and undo flags agree with the stored columns.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

using test::BlockBuilder;
using test::pay_to;
using test::TestChain;

constexpr uint64_t kMaturity = TestChainRules::kDefaultCoinbaseMaturity;
// Far more writes and syncs than the scenario makes: the loop ends when a fault no
// longer fires, and this only stops a broken run from looping for ever.
constexpr uint64_t kMaxFaultPoint = 500;
constexpr size_t kOldBranch = 6;
constexpr size_t kNewBranch = 8;
// The deepest window the scenario's reorganisation fits in.
constexpr uint64_t kPruneDepth = kOldBranch;

enum class Fault { write, sync };

struct CrashCase {
  Fault fault;
  bool power_loss;
  bool prune = false;
};

std::string case_name(const ::testing::TestParamInfo<CrashCase>& info) {
  return std::string(info.param.fault == Fault::write ? "Write" : "Sync") +
         (info.param.power_loss ? "ThenPowerLoss" : "ThenRestart") + (info.param.prune ? "Pruned" : "");
}

class CrashTest : public ::testing::TestWithParam<CrashCase> {
 protected:
  // The scenario: the chain up to the genesis coin's maturity, an old branch that spends
  // it, then a longer new branch that spends it differently (a reorganisation of depth
  // kOldBranch).
  void SetUp() override {
    const std::vector<Block> base = chain_.line(chain_.genesis_hash(), kMaturity - 1);
    const BlockHash fork = block_hash(base.back().header);
    blocks_ = base;
    for (const Block& b : spending_branch(fork, kOldBranch, 1)) blocks_.push_back(b);
    for (const Block& b : spending_branch(fork, kNewBranch, 2)) blocks_.push_back(b);
    final_tip_ = block_hash(blocks_.back().header);
    for (const Block& b : blocks_) by_hash_[block_hash(b.header)] = b;
    options_.prune_depth = GetParam().prune ? kPruneDepth : 0;
  }

  // The best chain of `manager` above genesis, from the scenario (pruned bodies are gone
  // from the store).
  std::vector<Block> best_chain(const ChainManager& manager) const {
    std::vector<Block> out;
    for (uint64_t h = 1; h <= manager.tip().height(); ++h)
      out.push_back(by_hash_.at(manager.at_height(h)->hash));
    return out;
  }

  std::vector<Block> spending_branch(const BlockHash& parent, size_t length, size_t payee) {
    BlockBuilder first = chain_.builder(parent);
    const Transaction tx =
        first.spend({TestChain::coinbase_outpoint(chain_.genesis())}, {TxOut{40 * kCoin, pay_to(payee)}});
    std::vector<Block> out{first.build()};
    BlockBuilder second = chain_.builder(block_hash(out.back().header));
    second.spend({OutPoint{txid(tx), 0}}, {TxOut{25 * kCoin, pay_to(payee)}, TxOut{14 * kCoin, pay_to(0)}});
    out.push_back(second.build());
    for (Block& b : chain_.line(block_hash(out.back().header), length - out.size()))
      out.push_back(std::move(b));
    return out;
  }

  // Opens a manager and submits the whole scenario; true if it ran to the end. `acked`
  // gets the tip after each acknowledged submission.
  bool run(KvStore& store, std::optional<BlockHash>& acked) {
    auto manager = ChainManager::open(store, chain_.rules(), checker_, test::fixed_clock(), options_);
    if (!manager) return false;
    for (const Block& b : blocks_) {
      auto verdict = (*manager)->submit_block(b);
      if (!verdict) return false;
      EXPECT_FALSE(*verdict) << to_string((*verdict)->reason) << ": " << (*verdict)->message;
      acked = (*manager)->tip().hash;
    }
    return true;
  }

  // After a failure and an optional power loss: the reopened chain state is consistent
  // and keeps what was acknowledged; the scenario then completes.
  void check_recovery(KvStore& store, const std::optional<BlockHash>& acked, uint64_t k) {
    SCOPED_TRACE("fault at " + std::to_string(k));
    auto reopened = ChainManager::open(store, chain_.rules(), checker_, test::fixed_clock(), options_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
    ChainManager& manager = **reopened;
    if (acked) {
      const BlockNode* node = manager.find(*acked);
      ASSERT_NE(node, nullptr) << "an acknowledged tip was lost";
      EXPECT_NE(node->status & kBlockHaveBody, 0);
      EXPECT_GE(manager.tip().work, node->work);
    }
    EXPECT_EQ(manager.state().root(), manager.tip().header.state_root);
    EXPECT_EQ(test::chain_state(store), test::replayed_state(chain_, best_chain(manager)));
    test::expect_prune_consistent(store, manager);

    for (const Block& b : blocks_) test::submit_ok(manager, b);
    EXPECT_EQ(manager.tip().hash, final_tip_);
    test::expect_prune_consistent(store, manager);
  }

  TestChain chain_;
  DirectSignatureChecker checker_;
  std::vector<Block> blocks_;
  std::map<BlockHash, Block> by_hash_;
  BlockHash final_tip_;
  ChainManagerOptions options_;
};

TEST_P(CrashTest, EveryFaultPointRecoversToAConsistentState) {
  const CrashCase c = GetParam();
  const auto expected = [&] {
    MemoryStore reference;
    std::optional<BlockHash> acked;
    EXPECT_TRUE(run(reference, acked));
    return test::chain_state(reference);
  }();

  bool completed = false;
  uint64_t faults = 0;
  for (uint64_t k = 1; k <= kMaxFaultPoint && !completed; ++k) {
    MemoryStore base;
    FaultInjectingStore store(base);
    if (c.fault == Fault::write) {
      store.fail_write(k);
    } else {
      store.fail_sync(k);
    }
    std::optional<BlockHash> acked;
    completed = run(store, acked);
    if (completed) {
      // Every acknowledged write was synced: a power loss now loses nothing.
      ASSERT_TRUE(store.crash().ok());
      EXPECT_EQ(test::chain_state(base), expected);
      break;
    }
    ++faults;
    if (c.power_loss) {
      ASSERT_TRUE(store.crash().ok());
    }
    check_recovery(store, acked, k);
    EXPECT_EQ(test::chain_state(base), expected) << "fault at " << k;
  }
  EXPECT_TRUE(completed) << "a fault fired at every point up to " << kMaxFaultPoint;
  // At least one write (or sync) per submitted block, so every block met a fault.
  EXPECT_GE(faults, blocks_.size());
}

INSTANTIATE_TEST_SUITE_P(Faults, CrashTest,
                         ::testing::Values(CrashCase{Fault::write, false}, CrashCase{Fault::write, true},
                                           CrashCase{Fault::sync, false}, CrashCase{Fault::sync, true},
                                           CrashCase{Fault::write, false, true},
                                           CrashCase{Fault::write, true, true},
                                           CrashCase{Fault::sync, false, true},
                                           CrashCase{Fault::sync, true, true}),
                         case_name);

}  // namespace
}  // namespace cairn
