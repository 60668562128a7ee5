// The vote pool on regtest's real rules: validators bond through signed transactions, and
// votes for the chain's checkpoints are admitted, refused with a reason, selected in a
// deterministic order, and pruned as the chain counts them or leaves their window.
#include "chain/vote_pool.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "consensus/finality.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"

namespace cairn {
namespace {

using test::RegtestNode;

constexpr size_t kValidators = 3;
constexpr size_t kFirstVotingKey = 10;  // test keys 10.. vote; key 0 owns the coins
constexpr Amount kBond = 10 * kCoin;
constexpr Amount kFee = 1'000;

const KeyPair& voter(size_t i) { return test::test_key(kFirstVotingKey + i); }

Transaction bond(const Transaction& funding, const PublicKey& voting_key, const BlockHash& genesis) {
  return test::signed_bond(funding, voting_key, kBond, kFee, genesis);
}

class VotePoolTest : public ::testing::Test {
 protected:
  VotePoolTest() : pool_(node_.params().finality, node_.params().genesis_hash), listener_(pool_, chain()) {
    node_.manager_->add_listener(listener_);
  }

  const ChainManager& chain() const { return *node_.manager_; }
  const FinalityParams& params() const { return node_.params().finality; }
  const BlockHash& genesis() const { return node_.params().genesis_hash; }

  void mine(std::vector<Transaction> txs = {}, Amount fees = 0, std::vector<Vote> votes = {}) {
    Block block = node_.next_block(std::move(txs), fees, std::move(votes));
    ASSERT_EQ(node_.submit(block), std::nullopt) << "height " << block.header.height;
    blocks_.push_back(block);
  }

  // Bonds kValidators validators, then mines to the first checkpoint at which they vote.
  void bond_and_activate() {
    for (uint64_t h = 0; h < node_.params().coinbase_maturity + kValidators; ++h) mine();
    std::vector<Transaction> bonds;
    for (size_t i = 0; i < kValidators; ++i)
      bonds.push_back(bond(blocks_[i].transactions[0], voter(i).public_key(), genesis()));
    mine(bonds, kValidators * kFee);
    for (int i = 0; i < 10 * static_cast<int>(params().epoch_length) && !active_at_tip(); ++i) mine();
    ASSERT_TRUE(active_at_tip()) << "tip " << chain().tip().height();
  }
  bool active_at_tip() const {
    const uint64_t height = chain().tip().height();
    if (!is_checkpoint_height(params(), height)) return false;
    const auto& f = chain().stake().finality;
    const auto tally = f.tallies.find(epoch_of(params(), height));
    const auto v = chain().stake().validators.find(voter(0).public_key());
    return tally != f.tallies.end() && v != chain().stake().validators.end() &&
           in_dynasty(v->second, tally->second.dynasty);
  }

  // The honest vote of validator `i` for the tip's checkpoint, signed.
  Vote vote(size_t i) const { return signed_vote(honest(i)); }
  Vote honest(size_t i) const {
    const uint64_t epoch = epoch_of(params(), chain().tip().height());
    return honest_vote(chain().stake(), voter(i).public_key(), epoch,
                       chain().at_height(epoch * params().epoch_length)->hash);
  }
  Vote signed_vote(Vote v, size_t signer) const {
    v.signature = test::test_key(signer).sign(vote_signing_message(v, genesis()));
    return v;
  }
  Vote signed_vote(Vote v) const {
    for (size_t i = 0; i < test::kTestKeys; ++i) {
      if (test::test_key(i).public_key() == v.validator) return signed_vote(v, i);
    }
    ADD_FAILURE() << "no test key";
    return v;
  }

  RegtestNode node_;
  VotePool pool_;
  VotePoolChainListener listener_;
  std::vector<Block> blocks_;
};

TEST_F(VotePoolTest, ValidVotesAreSelectedInKeyOrderAndLeaveOnceCounted) {
  bond_and_activate();
  std::vector<Vote> votes;
  for (size_t i = 0; i < kValidators; ++i) {
    votes.push_back(vote(i));
    EXPECT_EQ(pool_.add(votes.back(), chain()), VoteReject::none) << i;
  }
  EXPECT_EQ(pool_.size(), kValidators);
  std::sort(votes.begin(), votes.end(),
            [](const Vote& a, const Vote& b) { return a.validator < b.validator; });
  EXPECT_EQ(pool_.select_for_block(100), votes);
  EXPECT_EQ(pool_.select_for_block(2), std::vector<Vote>(votes.begin(), votes.begin() + 2));
  EXPECT_EQ(pool_.select_for_block(100, {votes[0].validator}),
            std::vector<Vote>(votes.begin() + 1, votes.end()));

  // The block carrying them is valid; once connected the chain counts them.
  mine({}, includer_reward(params(), votes.size()), pool_.select_for_block(100));
  EXPECT_EQ(pool_.size(), 0u);
  EXPECT_EQ(pool_.add(votes[0], chain()), VoteReject::already_counted);
}

TEST_F(VotePoolTest, EachRuleRefusesWithItsReason) {
  bond_and_activate();
  const Vote good = vote(0);
  ASSERT_EQ(pool_.add(good, chain()), VoteReject::none);
  EXPECT_EQ(pool_.add(good, chain()), VoteReject::already_pending);
  Vote other_target = honest(0);
  other_target.target_hash = chain().at_height(chain().tip().height() - 1)->hash;
  EXPECT_EQ(pool_.add(signed_vote(other_target), chain()), VoteReject::already_pending)
      << "one pending vote per validator and target epoch";

  Vote v = honest(1);
  v.signature = good.signature;
  EXPECT_EQ(pool_.add(v, chain()), VoteReject::bad_signature);

  v = honest(1);
  v.validator = test::test_key(20).public_key();
  EXPECT_EQ(pool_.add(signed_vote(v, 20), chain()), VoteReject::not_a_validator);

  v = honest(1);
  v.target_epoch += 1;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::out_of_window);
  v = honest(1);
  v.target_epoch -= params().inclusion_window_epochs + 1;
  v.target_hash = chain().at_height(v.target_epoch * params().epoch_length)->hash;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::out_of_window);

  v = honest(1);
  v.source_epoch = v.target_epoch;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::bad_epochs);

  v = honest(1);
  v.target_hash = chain().at_height(chain().tip().height() - 1)->hash;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::target_not_checkpoint);

  v = honest(1);
  v.source_epoch = 1;
  v.source_hash = chain().at_height(params().epoch_length)->hash;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::source_not_justified);

  v = honest(1);
  v.source_hash = chain().at_height(1)->hash;
  EXPECT_EQ(pool_.add(signed_vote(v), chain()), VoteReject::source_not_checkpoint);

  EXPECT_EQ(pool_.size(), 1u);
}

TEST_F(VotePoolTest, AValidatorNotYetActiveIsRefused) {
  bond_and_activate();
  // A fresh bond starts two dynasties later: its key is a validator, but in no set yet.
  const size_t late = kValidators;
  mine({bond(blocks_[kValidators].transactions[0], voter(late).public_key(), genesis())}, kFee);
  while (!is_checkpoint_height(params(), chain().tip().height())) mine();
  ASSERT_TRUE(chain().stake().validators.contains(voter(late).public_key()));
  EXPECT_EQ(pool_.add(vote(late), chain()), VoteReject::not_in_dynasty);
}

TEST_F(VotePoolTest, VotesLeaveWhenTheirTargetLeavesTheWindow) {
  bond_and_activate();
  ASSERT_EQ(pool_.add(vote(0), chain()), VoteReject::none);
  // Blocks without the vote: it stays includable through the window, then leaves.
  const uint64_t target_epoch = epoch_of(params(), chain().tip().height());
  for (int i = 0; i < 3 * static_cast<int>(params().epoch_length); ++i) {
    mine();
    if (epoch_of(params(), chain().tip().height() + 1) > target_epoch + params().inclusion_window_epochs)
      break;
    EXPECT_EQ(pool_.size(), 1u) << "tip " << chain().tip().height();
  }
  EXPECT_EQ(epoch_of(params(), chain().tip().height() + 1),
            target_epoch + params().inclusion_window_epochs + 1);
  EXPECT_EQ(pool_.size(), 0u);
}

TEST_F(VotePoolTest, TheBoundRefusesTheVoteBeyondIt) {
  bond_and_activate();
  VotePool small(params(), genesis(), 2);
  EXPECT_EQ(small.add(vote(0), chain()), VoteReject::none);
  EXPECT_EQ(small.add(vote(1), chain()), VoteReject::none);
  EXPECT_EQ(small.add(vote(2), chain()), VoteReject::pool_full);
  EXPECT_EQ(small.size(), 2u);
  EXPECT_FALSE(small.contains(vote(2)));
  EXPECT_TRUE(small.contains(vote(1)));
}

}  // namespace
}  // namespace cairn
