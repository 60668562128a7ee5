// Finality through the chain manager on regtest's real rules: four validators bond with
// signed transactions, vote through the real vote path (chain/validator.h with durable
// slashing protection), their votes ride in blocks, and the chain finalizes. The finalized
// checkpoint then holds: a heavier branch forking below it is refused by the running node
// and by a freshly synced one, after a restart too, and pruning never goes above it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chain/chain_audit.h"
#include "chain/regtest_fixture.h"
#include "chain/validator.h"
#include "consensus/finality.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

using test::RegtestNode;

constexpr size_t kValidators = 4;
constexpr Amount kBond = 10 * kCoin;
constexpr Amount kFee = 1'000;
// Test keys 10.. are the validators' voting keys; key 0 owns the coins (miner_lock).
constexpr size_t kFirstVotingKey = 10;

Seed seed_of(size_t key) {
  Seed seed;
  seed.bytes.fill(static_cast<uint8_t>(key + 1));  // support/keys.h's derivation
  return seed;
}

// A bond of kBond for voting key `key`, paid from `funding` (an output of key 0).
Transaction bond(const Transaction& funding, size_t key, const BlockHash& genesis) {
  return test::signed_bond(funding, test::test_key(key).public_key(), kBond, kFee, genesis);
}

class FinalityChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cairn-finality-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (size_t i = 0; i < kValidators; ++i) {
      auto protection = SlashingProtection::open(dir_ / ("validator" + std::to_string(i)), genesis());
      ASSERT_TRUE(protection.ok()) << protection.error().to_string();
      protections_.push_back(std::make_unique<SlashingProtection>(std::move(*protection)));
      validators_.push_back(std::make_unique<Validator>(KeyPair::from_seed(seed_of(kFirstVotingKey + i)),
                                                        *protections_.back(), genesis()));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const BlockHash& genesis() const { return node_.params().genesis_hash; }
  const FinalityParams& finality() const { return node_.params().finality; }
  const ChainManager& chain() const { return *node_.manager_; }

  // Mines one block carrying `txs` and the votes pending from the last checkpoint.
  void mine(std::vector<Transaction> txs = {}, Amount fees = 0) {
    Block block = node_.next_block(std::move(txs), fees, std::move(pending_votes_));
    pending_votes_.clear();
    ASSERT_EQ(node_.submit(block), std::nullopt) << "height " << block.header.height;
    blocks_.push_back(block);
    const BlockNode& tip = chain().tip();
    if (!is_checkpoint_height(finality(), tip.height())) return;
    // Every validator of the epoch votes for its checkpoint (the others cannot yet).
    for (size_t i = 0; i < kValidators; ++i) {
      if (stopped_[i]) continue;
      auto vote = validators_[i]->vote(chain().stake(), epoch_of(finality(), tip.height()), tip.hash);
      if (vote) pending_votes_.push_back(*vote);
    }
  }

  // Mines until the coinbases of the first kValidators blocks are mature, then bonds them.
  void bond_all() {
    for (uint64_t h = 0; h < node_.params().coinbase_maturity + kValidators; ++h) mine();
    std::vector<Transaction> bonds;
    for (size_t i = 0; i < kValidators; ++i)
      bonds.push_back(bond(blocks_[i].transactions[0], kFirstVotingKey + i, genesis()));
    mine(bonds, kValidators * kFee);
  }

  uint64_t epochs_behind() const {
    return (chain().tip().height() - chain().finalized_height()) / finality().epoch_length;
  }

  std::filesystem::path dir_;
  RegtestNode node_;
  std::vector<std::unique_ptr<SlashingProtection>> protections_;
  std::vector<std::unique_ptr<Validator>> validators_;
  std::vector<bool> stopped_ = std::vector<bool>(kValidators, false);
  std::vector<Vote> pending_votes_;
  std::vector<Block> blocks_;  // mined after genesis, in order
};

TEST_F(FinalityChainTest, BondedValidatorsFinalizeWithinTwoEpochsOfTheTip) {
  bond_all();
  ASSERT_EQ(chain().stake().validators.size(), kValidators);
  EXPECT_EQ(chain().finalized_height(), 0u) << "nothing can finalize before the validators vote";

  for (int i = 0; i < 12 * static_cast<int>(finality().epoch_length); ++i) mine();
  EXPECT_GT(chain().finalized_height(), 0u);
  EXPECT_LE(epochs_behind(), 2u) << "tip " << chain().tip().height() << ", finalized "
                                 << chain().finalized_height();

  // One of four stopped: three quarters of the stake still finalize.
  stopped_[3] = true;
  const uint64_t before = chain().finalized_height();
  for (int i = 0; i < 6 * static_cast<int>(finality().epoch_length); ++i) mine();
  EXPECT_GT(chain().finalized_height(), before);
  EXPECT_LE(epochs_behind(), 2u);
}

TEST_F(FinalityChainTest, TheAuditCoversTheStakeState) {
  bond_all();
  for (int i = 0; i < 4 * static_cast<int>(finality().epoch_length); ++i) mine();
  auto sound = audit_chain_state(node_.store_, chain());
  ASSERT_TRUE(sound.ok());
  EXPECT_TRUE(sound->ok()) << (sound->problems.empty() ? "" : sound->problems.front());
  EXPECT_EQ(sound->validators, kValidators);

  // A validator record changed behind the chain's back no longer hashes to the root.
  ValidatorRecord record = chain().stake().validators.begin()->second;
  record.stake += 1;
  WriteBatch batch;
  batch.put(Column::stake, stake_validator_key(record.voting_key), encode(record));
  ASSERT_TRUE(node_.store_.write(batch, true).ok());
  auto damaged = audit_chain_state(node_.store_, chain());
  ASSERT_TRUE(damaged.ok());
  EXPECT_FALSE(damaged->ok());
}

TEST_F(FinalityChainTest, AHeavierBranchBelowTheFinalizedCheckpointIsRefused) {
  bond_all();
  for (int i = 0; i < 10 * static_cast<int>(finality().epoch_length); ++i) mine();
  const uint64_t finalized = chain().finalized_height();
  ASSERT_GT(finalized, 0u);

  // The attacker syncs the honest chain up to just below the checkpoint and mines twice
  // the honest work from there.
  RegtestNode attacker;
  attacker.coinbase_extra_ = {0xa7};
  for (const Block& b : blocks_) {
    if (b.header.height >= finalized) break;
    ASSERT_EQ(attacker.submit(b), std::nullopt);
  }
  const uint64_t honest_after_fork = chain().tip().height() - (finalized - 1);
  std::vector<Block> attack;
  for (uint64_t i = 0; i < 2 * honest_after_fork; ++i) {
    attack.push_back(attacker.next_block());
    ASSERT_EQ(attacker.submit(attack.back()), std::nullopt);
  }
  ASSERT_GT(attacker.manager_->tip().work, chain().tip().work);

  const BlockHash honest_tip = chain().tip().hash;
  EXPECT_EQ(node_.submit(attack.front()), BlockError::conflicts_with_finalized);
  EXPECT_EQ(chain().tip().hash, honest_tip);

  // A fresh node synced from the honest chain refuses it the same way.
  RegtestNode fresh;
  for (const Block& b : blocks_) ASSERT_EQ(fresh.submit(b), std::nullopt);
  EXPECT_EQ(fresh.manager_->finalized_height(), finalized);
  EXPECT_EQ(fresh.submit(attack.front()), BlockError::conflicts_with_finalized);

  // And after a restart: the stake state (and so the finalized checkpoint) is reloaded.
  fresh.manager_.reset();
  auto reopened = ChainManager::open(fresh.store_, fresh.rules_, fresh.checker_, fresh.clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  fresh.manager_ = std::move(*reopened);
  EXPECT_EQ(fresh.manager_->finalized_height(), finalized);
  EXPECT_EQ(fresh.manager_->stake(), chain().stake());
  EXPECT_EQ(fresh.submit(attack.front()), BlockError::conflicts_with_finalized);
}

TEST_F(FinalityChainTest, MoreWorkDoesNotBeatAHigherJustifiedCheckpoint) {
  bond_all();
  for (int i = 0; i < 10 * static_cast<int>(finality().epoch_length); ++i) mine();
  const uint64_t finalized = chain().finalized_height();
  const uint64_t justified = last_justified_epoch(chain().stake());
  ASSERT_GT(justified * finality().epoch_length, finalized) << "the honest tip justifies above the finalized";

  // A miner forks at the finalized checkpoint (allowed) and outworks the honest chain
  // without the validators' votes: its branch justifies nothing new.
  RegtestNode miner;
  miner.coinbase_extra_ = {0x5e};
  for (const Block& b : blocks_) {
    if (b.header.height > finalized) break;
    ASSERT_EQ(miner.submit(b), std::nullopt);
  }
  std::vector<Block> branch;
  for (uint64_t i = 0; i < 2 * (chain().tip().height() - finalized); ++i) {
    branch.push_back(miner.next_block());
    ASSERT_EQ(miner.submit(branch.back()), std::nullopt);
  }
  ASSERT_GT(miner.manager_->tip().work, chain().tip().work);
  ASSERT_LT(last_justified_epoch(miner.manager_->stake()), justified);

  const BlockHash honest_tip = chain().tip().hash;
  for (const Block& b : branch)
    EXPECT_EQ(node_.submit(b), std::nullopt) << "stored: valid, just not preferred";
  EXPECT_EQ(chain().tip().hash, honest_tip);
  EXPECT_EQ(last_justified_epoch(chain().stake()), justified);

  // The honest chain goes on from its tip.
  mine();
  EXPECT_EQ(chain().tip().height(), blocks_.back().header.height);
}

TEST_F(FinalityChainTest, ABranchCountingTheSameVotesABlockLaterWinsByWork) {
  bond_all();
  for (int i = 0; i < 3 * static_cast<int>(finality().epoch_length); ++i) mine();
  while (pending_votes_.empty()) mine();
  const std::vector<Vote> votes = pending_votes_;
  const uint64_t before = last_justified_epoch(chain().stake());

  // A second miner shares the chain up to the checkpoint the votes are for.
  RegtestNode miner;
  miner.coinbase_extra_ = {0x5e};
  for (const Block& b : blocks_) ASSERT_EQ(miner.submit(b), std::nullopt);

  // This node counts the votes in its own block first: its tip justifies the checkpoint.
  mine();
  ASSERT_GT(last_justified_epoch(chain().stake()), before);
  const uint64_t justified = last_justified_epoch(chain().stake());

  // The other miner's branch counts the same votes in a sibling, then outworks it. Its
  // bound (the checkpoint's epoch) is lower than the tip's, yet once counted it ties on
  // justification and wins on work.
  const Block sibling = miner.next_block({}, 0, votes);
  ASSERT_EQ(miner.submit(sibling), std::nullopt);
  const Block heavier = miner.next_block();
  ASSERT_EQ(miner.submit(heavier), std::nullopt);
  const BlockHash own_tip = chain().tip().hash;
  EXPECT_EQ(node_.submit(sibling), std::nullopt);
  EXPECT_EQ(chain().tip().hash, own_tip) << "a tie stays on the block seen first";
  EXPECT_EQ(node_.submit(heavier), std::nullopt);
  EXPECT_EQ(chain().tip().hash, block_hash(heavier.header));
  EXPECT_EQ(last_justified_epoch(chain().stake()), justified);
}

TEST_F(FinalityChainTest, AVotingSiblingThatLosesLeavesTheTipAndItsStateAlone) {
  bond_all();
  for (int i = 0; i < 3 * static_cast<int>(finality().epoch_length); ++i) mine();
  while (pending_votes_.empty()) mine();
  const std::vector<Vote> votes = pending_votes_;
  RegtestNode miner;
  miner.coinbase_extra_ = {0x5e};
  for (const Block& b : blocks_) ASSERT_EQ(miner.submit(b), std::nullopt);
  mine();
  mine();
  const BlockHash tip = chain().tip().hash;
  const Hash256 root = chain().state().root();

  // The sibling is tried (its votes are uncounted) and loses on work: back to the tip.
  const Block sibling = miner.next_block({}, 0, votes);
  EXPECT_EQ(node_.submit(sibling), std::nullopt);
  EXPECT_EQ(chain().tip().hash, tip);
  EXPECT_EQ(chain().state().root(), root);
  const BlockNode* tried = chain().find(block_hash(sibling.header));
  ASSERT_NE(tried, nullptr);
  EXPECT_TRUE(tried->justified_exact);
  mine();
  EXPECT_EQ(chain().tip().height(), blocks_.back().header.height);
}

TEST_F(FinalityChainTest, DisconnectingRestoresTheStakeStateExactly) {
  bond_all();
  for (int i = 0; i < 4 * static_cast<int>(finality().epoch_length); ++i) mine();
  // A heavier sibling branch of the last two blocks (above the finalized checkpoint) makes
  // the manager disconnect blocks that carried votes and a checkpoint transition.
  const uint64_t fork_height = chain().tip().height() - 2;
  ASSERT_GE(fork_height, chain().finalized_height());
  RegtestNode other;
  other.coinbase_extra_ = {0x07};
  for (const Block& b : blocks_) {
    if (b.header.height > fork_height) break;
    ASSERT_EQ(other.submit(b), std::nullopt);
  }
  const StakeState at_fork = other.manager_->stake();
  std::vector<Block> branch;
  for (int i = 0; i < 4; ++i) {
    branch.push_back(other.next_block());
    ASSERT_EQ(other.submit(branch.back()), std::nullopt);
  }
  ASSERT_NE(block_hash(branch.front().header), block_hash(blocks_[fork_height].header));
  for (const Block& b : branch) ASSERT_EQ(node_.submit(b), std::nullopt);
  EXPECT_EQ(chain().tip().hash, other.manager_->tip().hash);
  EXPECT_EQ(chain().stake(), other.manager_->stake());
  EXPECT_EQ(chain().state(), other.manager_->state());
  EXPECT_FALSE(at_fork == chain().stake()) << "the branch changed the stake state";
}

}  // namespace
}  // namespace cairn
