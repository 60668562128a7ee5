// An in-process node on regtest with --mine semantics on a temporary data directory: a
// bond submitted through Node::submit_transaction is mined, the node's own validator votes
// once the bond is active, its own miner includes the votes, and the chain finalizes close
// behind the tip. A restarted node with the same slashing-protection record does not sign
// an epoch twice. Mining runs a bounded number of rounds (Node::mine_blocks), never a timer.
#include "node/node.h"

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chain/regtest_fixture.h"
#include "consensus/finality.h"
#include "consensus/params.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "support/keys.h"

namespace cairn {
namespace {

constexpr size_t kVotingKey = 10;  // the validator's key; test key 0 owns the mined coins
constexpr Amount kBond = 10 * kCoin;
constexpr Amount kFee = 2'000;
// Rounds a test mines at most while waiting for something (each round is one block).
constexpr uint64_t kMaxBlocks = 120;

const ConsensusParams& regtest() { return consensus_params(Network::regtest); }
const FinalityParams& finality() { return regtest().finality; }

// A bond of kBond for the validator's key, paid from output 0 of `funding` (key 0's).
Transaction bond(const Transaction& funding, Amount amount = kBond) {
  return test::signed_bond(funding, test::test_key(kVotingKey).public_key(), amount, kFee,
                           regtest().genesis_hash);
}

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cairn-node-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    options_.paths = ResolvedPaths{Network::regtest, dir_, dir_ / "regtest"};
    std::filesystem::create_directories(options_.paths.network_datadir);
    options_.mine = true;
    options_.mine_to = test::miner_lock();
    options_.mine_threads = 1;
  }
  void TearDown() override {
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  void open() {
    node_.reset();
    auto opened = Node::open(options_, ValidatorConfig{KeyPair::from_seed(test::test_key(kVotingKey).seed()),
                                                       dir_ / "slashing-protection"});
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(*opened);
  }

  void mine(uint64_t blocks) {
    auto mined = node_->mine_blocks(blocks, stop_);
    ASSERT_TRUE(mined.ok()) << mined.error().to_string();
    ASSERT_EQ(*mined, blocks);
  }

  Block block_at(uint64_t height) const {
    auto block = node_->chain().read_block(node_->chain().at_height(height)->hash);
    EXPECT_TRUE(block.ok());
    return block.ok() ? *block : Block{};
  }

  // Mines until the height-1 coinbase is mature, then submits the bond and mines it.
  void bond_validator() {
    mine(regtest().coinbase_maturity + 1);
    const Transaction tx = bond(block_at(1).transactions[0]);
    const MempoolVerdict verdict = node_->submit_transaction(tx);
    ASSERT_EQ(verdict.status, TxStatus::accepted) << to_string(verdict.reason);
    ASSERT_TRUE(node_->mempool().contains(txid(tx)));
    mine(1);
    const Block mined = block_at(node_->chain().tip().height());
    ASSERT_EQ(mined.transactions.size(), 2u);
    EXPECT_EQ(mined.transactions[1], tx);
    // The coinbase claims the bond's fee (its stake flow, not inputs - outputs).
    const Amount subsidy =
        regtest().subsidy.initial >> (mined.header.height / regtest().subsidy.halving_interval);
    EXPECT_EQ(mined.transactions[0].outputs[0].value, subsidy + kFee);
    EXPECT_EQ(node_->mempool().size(), 0u);
    ASSERT_TRUE(node_->chain().stake().validators.contains(test::test_key(kVotingKey).public_key()));
  }

  uint64_t epoch_of_tip() const { return epoch_of(finality(), node_->chain().tip().height()); }

  std::filesystem::path dir_;
  ResolvedNodeOptions options_;
  std::unique_ptr<Node> node_;
  const std::atomic<bool> stop_{false};
};

TEST_F(NodeTest, TheNodesValidatorBondsVotesAndFinalizesNearTheTip) {
  open();
  bond_validator();
  EXPECT_EQ(node_->votes_cast(), 0u) << "not a validator until its bond's dynasty starts";

  uint64_t included_votes = 0;
  for (uint64_t i = 0; i < kMaxBlocks; ++i) {
    mine(1);
    included_votes += block_at(node_->chain().tip().height()).votes.size();
    if (node_->chain().finalized_height() >= 3 * finality().epoch_length) break;
  }
  EXPECT_GT(node_->votes_cast(), 0u);
  EXPECT_GT(included_votes, 0u) << "the node's miner includes its validator's votes";
  const uint64_t tip = node_->chain().tip().height();
  const uint64_t finalized = node_->chain().finalized_height();
  EXPECT_GE(finalized, 3 * finality().epoch_length);
  EXPECT_LE(tip - finalized, 2 * finality().epoch_length) << "tip " << tip << ", finalized " << finalized;

  // And it keeps up: more epochs later (mined on another thread, as run() would be) the
  // finalized height still trails by at most two.
  std::thread miner([this] { mine(4 * finality().epoch_length); });
  miner.join();
  EXPECT_GT(node_->chain().finalized_height(), finalized);
  EXPECT_LE(node_->chain().tip().height() - node_->chain().finalized_height(), 2 * finality().epoch_length);
}

TEST_F(NodeTest, ARestartedValidatorDoesNotSignAnEpochTwice) {
  open();
  bond_validator();
  for (uint64_t i = 0; i < kMaxBlocks && node_->votes_cast() == 0; ++i) mine(1);
  ASSERT_EQ(node_->votes_cast(), 1u);
  const uint64_t voted_epoch = epoch_of_tip();
  const uint64_t height = node_->chain().tip().height();

  // The same data directory and protection record: the epoch is signed already.
  open();
  ASSERT_EQ(node_->chain().tip().height(), height);
  EXPECT_EQ(node_->votes_cast(), 0u);
  EXPECT_EQ(node_->vote_pool().size(), 0u);
  // The next epoch is new: it votes again, once.
  for (uint64_t i = 0; i < kMaxBlocks && epoch_of_tip() == voted_epoch; ++i) mine(1);
  EXPECT_EQ(node_->votes_cast(), 1u);
  EXPECT_EQ(node_->vote_pool().size(), 1u);

  node_.reset();
  auto record = SlashingProtection::open(dir_ / "slashing-protection", regtest().genesis_hash);
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  const auto signed_votes = record->find(test::test_key(kVotingKey).public_key());
  ASSERT_TRUE(signed_votes.has_value());
  EXPECT_EQ(signed_votes->max_target_epoch, voted_epoch + 1);
}

TEST_F(NodeTest, RunReturnsAtOnceWhenStopIsRaised) {
  open();
  const std::atomic<bool> stop{true};
  const auto ran = node_->run(stop);
  EXPECT_TRUE(ran.ok()) << ran.error().to_string();
  EXPECT_EQ(node_->chain().tip().height(), 0u);
}

TEST_F(NodeTest, SubmissionsReturnThePoolsVerdicts) {
  open();
  mine(regtest().coinbase_maturity + 1);
  const MempoolVerdict small =
      node_->submit_transaction(bond(block_at(1).transactions[0], finality().min_stake - 1));
  EXPECT_EQ(small.reason, MempoolReject::stake_rejected) << to_string(small.reason);
  const MempoolVerdict immature =
      node_->submit_transaction(bond(block_at(node_->chain().tip().height()).transactions[0]));
  EXPECT_EQ(immature.reason, MempoolReject::immature_coinbase) << to_string(immature.reason);

  Vote vote;
  vote.validator = test::test_key(kVotingKey).public_key();
  vote.source_hash = node_->chain().at_height(0)->hash;  // genesis: justified
  vote.target_epoch = epoch_of_tip();
  vote.target_hash = node_->chain().at_height(vote.target_epoch * finality().epoch_length)->hash;
  EXPECT_EQ(node_->submit_vote(vote), VoteReject::not_a_validator);
}

}  // namespace
}  // namespace cairn
