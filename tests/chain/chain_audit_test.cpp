// The chain audit finds a sound state sound, and finds each kind of damage an operator
// could meet after a crash or a disk fault.
#include "chain/chain_audit.h"

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

using test::pay_to;
using test::TestChain;

class ChainAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
    // Past maturity, then a block with a spend, so every index has entries of each kind.
    for (const Block& b : chain_.line(chain_.genesis_hash(), TestChainRules::kDefaultCoinbaseMaturity))
      test::submit_ok(*manager_, b);
    test::BlockBuilder builder = chain_.builder(manager_->tip().hash);
    spend_ = builder.spend({TestChain::coinbase_outpoint(chain_.genesis())},
                           {TxOut{30 * kCoin, pay_to(1)}, TxOut{19 * kCoin, pay_to(2)}});
    test::submit_ok(*manager_, builder.build());
  }

  ChainAudit audit() {
    auto result = audit_chain_state(store_, *manager_);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    return result ? *result : ChainAudit{};
  }

  void corrupt(Column column, const Bytes& key, std::optional<Bytes> value) {
    WriteBatch batch;
    if (value) {
      batch.put(column, key, *value);
    } else {
      batch.erase(column, key);
    }
    ASSERT_TRUE(store_.write(batch, true).ok());
  }

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
  Transaction spend_;
};

TEST_F(ChainAuditTest, ASoundStateHasNoProblems) {
  const ChainAudit a = audit();
  EXPECT_TRUE(a.ok()) << (a.problems.empty() ? "" : a.problems.front());
  EXPECT_EQ(a.height, TestChainRules::kDefaultCoinbaseMaturity + 1);
  EXPECT_EQ(a.tip, manager_->tip().hash);
  EXPECT_EQ(a.blocks_checked, a.height + 1);
  EXPECT_EQ(a.blocks_pruned, 0u);
  // One coinbase output per block, the genesis one spent, two new outputs.
  EXPECT_EQ(a.coins, a.height + 1 - 1 + 2);
  EXPECT_EQ(a.indexed_transactions, a.height + 1 + 1);
}

TEST_F(ChainAuditTest, AMissingCoinBreaksTheStateRoot) {
  corrupt(Column::utxo, utxo_key(OutPoint{txid(spend_), 0}), std::nullopt);
  const ChainAudit a = audit();
  ASSERT_FALSE(a.ok());
  bool root = false;
  bool orphan_entry = false;
  for (const std::string& p : a.problems) {
    root |= p.find("the tip commits to") != std::string::npos;
    orphan_entry |= p.find("has no coin") != std::string::npos;
  }
  EXPECT_TRUE(root);
  EXPECT_TRUE(orphan_entry);
}

TEST_F(ChainAuditTest, AMissingAddressEntryIsFound) {
  const OutPoint outpoint{txid(spend_), 1};
  corrupt(Column::address_index, address_key(AddressKey{pay_to(2), manager_->tip().height(), outpoint}),
          std::nullopt);
  const ChainAudit a = audit();
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.problems.front().find("no entry for coin"), std::string::npos) << a.problems.front();
}

TEST_F(ChainAuditTest, ATxIndexEntryOffTheBestChainIsFound) {
  BlockHash elsewhere;
  elsewhere.bytes[0] = 0x42;
  corrupt(Column::tx_index, tx_index_key(txid(spend_)), encode(TxLocation{elsewhere, 1}));
  const ChainAudit a = audit();
  ASSERT_EQ(a.problems_total, 2u);  // points off the chain; the block's transaction unindexed
}

TEST_F(ChainAuditTest, AnUnindexedTransactionIsFound) {
  corrupt(Column::tx_index, tx_index_key(txid(spend_)), std::nullopt);
  const ChainAudit a = audit();
  ASSERT_EQ(a.problems_total, 1u);
  EXPECT_NE(a.problems.front().find("not indexed"), std::string::npos);
}

TEST_F(ChainAuditTest, AReplayOfTheStoredBlocksMatchesASoundState) {
  ChainAudit a = audit();
  ASSERT_TRUE(audit_by_replay(store_, *manager_, chain_.rules(), a).ok());
  EXPECT_TRUE(a.ok()) << (a.problems.empty() ? "" : a.problems.front());
  EXPECT_EQ(a.replayed_blocks, a.height);
}

TEST_F(ChainAuditTest, AReplayFindsIndexEntriesTheBlocksDoNotExplain) {
  // Consistent with the coins (so the quick audit cannot see it) but not with the blocks:
  // an address entry of a spent output rewritten as spent by another transaction.
  const OutPoint genesis_coin = TestChain::coinbase_outpoint(chain_.genesis());
  const Coin& coin = chain_.state(chain_.genesis_hash()).utxo.at(genesis_coin);
  const Bytes key = address_key(AddressKey{coin.output.lock, 0, genesis_coin});
  corrupt(
      Column::address_index, key,
      encode(AddressEntry{coin.output.value, coin.coinbase, SpentBy{Txid{}, 0, manager_->tip().height()}}));
  ChainAudit a = audit();
  EXPECT_TRUE(a.ok()) << "the quick audit only checks what the coins determine";
  ASSERT_TRUE(audit_by_replay(store_, *manager_, chain_.rules(), a).ok());
  ASSERT_EQ(a.problems_total, 1u);
  EXPECT_NE(a.problems.front().find("differs from the replay"), std::string::npos) << a.problems.front();
}

TEST(ChainAuditLimits, ProblemsAreCappedButCounted) {
  ChainAudit a;
  for (size_t i = 0; i < ChainAudit::kMaxProblems + 5; ++i) a.problem("p");
  EXPECT_EQ(a.problems.size(), ChainAudit::kMaxProblems);
  EXPECT_EQ(a.problems_total, ChainAudit::kMaxProblems + 5);
  EXPECT_FALSE(a.ok());
}

}  // namespace
}  // namespace cairn
