// Casper FFG finality with dynasties (docs/consensus.md "Staking and finality"): every vote
// inclusion rule, justification and finalization across epochs, the "older source" case,
// liveness with validators missing, the inactivity leak, and the includer reward.
#include "consensus/finality.h"

#include <gtest/gtest.h>

#include "consensus/stake_fixture.h"

namespace cairn {
namespace {

using test::bootstrap;
using test::StakeChain;
using test::test_key;

constexpr Amount kStake = 10 * kCoin;
const std::vector<size_t> kFour = {0, 1, 2, 3};

BlockError reason(const std::optional<BlockRejection>& r) {
  EXPECT_TRUE(r.has_value());
  return r ? r->reason : BlockError::bad_header;
}

// Four validators active, tip at the checkpoint of epoch 2 (regtest: height 10).
StakeChain four_validators() {
  StakeChain chain;
  bootstrap(chain, kFour, kStake);
  EXPECT_EQ(chain.height(), 10u);
  return chain;
}

TEST(FfgFinality, GenesisIsJustifiedAndFinalized) {
  StakeChain chain;
  EXPECT_EQ(last_justified_epoch(chain.state()), 0u);
  EXPECT_EQ(last_finalized(chain.state()), (FinalityCheckpoint{0, chain.genesis()}));
}

TEST(FfgFinality, JustifiesAndFinalizesAcrossEpochs) {
  StakeChain chain = four_validators();
  chain.run(1, kFour);  // votes 0 -> 2
  EXPECT_EQ(last_justified_epoch(chain.state()), 2u);
  EXPECT_EQ(last_finalized(chain.state()).epoch, 0u);  // 0 -> 2 skips epoch 1
  chain.run(5, kFour);                                 // votes 2 -> 3
  EXPECT_EQ(last_justified_epoch(chain.state()), 3u);
  EXPECT_EQ(last_finalized(chain.state()), (FinalityCheckpoint{2, chain.hash_at(10)}));
  for (int i = 0; i < 40; ++i) {
    chain.run(1, kFour);
    if (chain.height() > 20) {
      EXPECT_LE(chain.epoch() - last_finalized(chain.state()).epoch, 2u);
    }
  }
  EXPECT_EQ(last_finalized(chain.state()).epoch, chain.epoch() - 1);
}

TEST(FfgFinality, ThreeQuartersFinalizeHalfDoesNot) {
  StakeChain chain = four_validators();
  chain.run(30, {0, 1, 2});
  EXPECT_GE(last_finalized(chain.state()).epoch, chain.epoch() - 2);
  const uint64_t finalized = last_finalized(chain.state()).epoch;
  const uint64_t justified = last_justified_epoch(chain.state());
  chain.run(15, {0, 1});  // 3 epochs: within the leak delay
  EXPECT_EQ(last_finalized(chain.state()).epoch, finalized);
  EXPECT_EQ(last_justified_epoch(chain.state()), justified);
  chain.run(10, kFour);  // the others return
  EXPECT_GE(last_finalized(chain.state()).epoch, chain.epoch() - 2);
}

TEST(FfgFinality, ChildJustifiedFromOlderSourceDoesNotFinalizeParent) {
  StakeChain chain = four_validators();
  chain.run(6, kFour);  // 2 and 3 justified, 2 finalized
  ASSERT_EQ(last_justified_epoch(chain.state()), 3u);
  ASSERT_EQ(last_finalized(chain.state()).epoch, 2u);
  chain.run(4, {});  // to the checkpoint of epoch 4
  ASSERT_EQ(chain.epoch(), 4u);
  std::vector<Vote> older;
  for (size_t k : kFour) older.push_back(chain.vote(test_key(k), 2, 4));  // source 2, not the parent 3
  ASSERT_EQ(chain.add_block({}, older), std::nullopt);
  EXPECT_EQ(last_justified_epoch(chain.state()), 4u);
  EXPECT_EQ(last_finalized(chain.state()).epoch, 2u);  // 3 is justified but not finalized
  chain.run(5, kFour);                                 // 4 -> 5 finalizes 4
  EXPECT_EQ(last_finalized(chain.state()).epoch, 4u);
}

TEST(FfgFinality, LinkSkippingAnEpochJustifiesButDoesNotFinalize) {
  StakeChain chain = four_validators();
  chain.run(1, kFour);  // 0 -> 2: 2 justified
  chain.run(9, {});     // epoch 3 passes without votes; tip: checkpoint of epoch 4
  ASSERT_EQ(chain.epoch(), 4u);
  std::vector<Vote> skip;
  for (size_t k : kFour) skip.push_back(chain.vote(test_key(k), 2, 4));
  ASSERT_EQ(chain.add_block({}, skip), std::nullopt);
  EXPECT_EQ(last_justified_epoch(chain.state()), 4u);
  EXPECT_EQ(last_finalized(chain.state()).epoch, 0u);  // 2 -> 4 is not a direct child link
  chain.run(5, kFour);                                 // 4 -> 5
  EXPECT_EQ(last_finalized(chain.state()), (FinalityCheckpoint{4, chain.hash_at(20)}));
}

TEST(FfgVotes, FromNonValidatorRejected) {
  StakeChain chain = four_validators();
  EXPECT_EQ(reason(chain.add_block({}, {chain.vote(test_key(7), 0, 2)})), BlockError::bad_vote);
}

TEST(FfgVotes, OutsideInclusionWindowRejected) {
  StakeChain chain = four_validators();
  chain.run(6, {1, 2, 3});  // epoch 3, 3 justified without validator 0
  chain.run(4, {});         // tip: checkpoint of epoch 4
  // Target epoch 3 is the previous epoch: still includable at this height (window 1).
  EXPECT_EQ(chain.add_block({}, {chain.vote(test_key(0), 2, 3)}), std::nullopt);
  chain.run(5, {});  // tip: checkpoint of epoch 5
  EXPECT_EQ(reason(chain.add_block({}, {chain.vote(test_key(1), 2, 3)})), BlockError::vote_out_of_window);
  // A target after the block's epoch.
  Vote future = chain.vote(test_key(1), 3, 5);
  future.target_epoch = 6;
  future.signature = test_key(1).sign(vote_signing_message(future, chain.genesis()));
  EXPECT_EQ(reason(chain.add_block({}, {future})), BlockError::vote_out_of_window);
}

TEST(FfgVotes, RepeatedVoteRejected) {
  StakeChain chain = four_validators();
  const Vote v = chain.vote(test_key(0), 0, 2);
  EXPECT_EQ(reason(chain.add_block({}, {v, v})), BlockError::bad_vote);
  ASSERT_EQ(chain.add_block({}, {v}), std::nullopt);
  EXPECT_EQ(reason(chain.add_block({}, {v})), BlockError::bad_vote);
}

TEST(FfgVotes, BadSignatureSourceOrTargetRejected) {
  StakeChain chain = four_validators();
  Vote bad_sig = chain.vote(test_key(0), 0, 2);
  bad_sig.signature.bytes[0] ^= 1;
  EXPECT_EQ(reason(chain.add_block({}, {bad_sig})), BlockError::bad_vote);
  // Source epoch 1 was never justified.
  EXPECT_EQ(reason(chain.add_block({}, {chain.vote(test_key(0), 1, 2)})), BlockError::bad_vote);
  // A target hash that is not this chain's checkpoint.
  Vote other_target = chain.vote(test_key(0), 0, 2);
  other_target.target_hash = chain.hash_at(9);  // not a checkpoint
  other_target.signature = test_key(0).sign(vote_signing_message(other_target, chain.genesis()));
  EXPECT_EQ(reason(chain.add_block({}, {other_target})), BlockError::bad_vote);
  // A source hash that is not this chain's checkpoint.
  Vote other_source = chain.vote(test_key(0), 0, 2);
  other_source.source_hash = chain.hash_at(1);
  other_source.signature = test_key(0).sign(vote_signing_message(other_source, chain.genesis()));
  EXPECT_EQ(reason(chain.add_block({}, {other_source})), BlockError::bad_vote);
  // Source not below target.
  EXPECT_EQ(reason(chain.add_block({}, {chain.vote(test_key(0), 2, 2)})), BlockError::bad_vote);
  // Signed for another network (genesis).
  Vote other_net = chain.vote(test_key(0), 0, 2);
  other_net.signature = test_key(0).sign(vote_signing_message(other_net, chain.hash_at(1)));
  EXPECT_EQ(reason(chain.add_block({}, {other_net})), BlockError::bad_vote);
  EXPECT_EQ(chain.add_block({}, {chain.vote(test_key(0), 0, 2)}), std::nullopt);
}

TEST(FfgVotes, RewardVoterStake) {
  StakeChain chain = four_validators();
  ASSERT_EQ(chain.add_block({}, {chain.vote(test_key(0), 0, 2)}), std::nullopt);
  EXPECT_EQ(chain.state().validators.at(test_key(0).public_key()).stake, kStake + chain.params().vote_reward);
  EXPECT_EQ(chain.state().validators.at(test_key(1).public_key()).stake, kStake);
}

TEST(FfgVotes, IncluderReward) {
  EXPECT_EQ(includer_reward(kRegtestFinality, 0), 0u);
  EXPECT_EQ(includer_reward(kRegtestFinality, 3), 3 * kRegtestFinality.includer_reward);
  EXPECT_EQ(includer_reward(kMainnetFinality, UINT64_MAX), kMaxMoney);  // saturates, never wraps
}

TEST(FfgLiveness, InactivityLeakRestoresFinalityWithHalfSilent) {
  StakeChain chain = four_validators();
  chain.run(10, kFour);
  const uint64_t stalled = last_finalized(chain.state()).epoch;
  const PublicKey silent = test_key(3).public_key();
  const Amount before = chain.state().validators.at(silent).stake;
  // Two of four stop for good. Finality stops at once, then the leak shrinks the silent
  // stake until the two voters hold two thirds again.
  uint64_t resumed_at = 0;
  for (int i = 0; i < 40 * 5 && resumed_at == 0; ++i) {
    chain.run(1, {0, 1});
    if (last_finalized(chain.state()).epoch > stalled) resumed_at = chain.epoch();
    if (chain.epoch() <= stalled + chain.params().leak_delay_epochs + 1) {
      EXPECT_EQ(last_finalized(chain.state()).epoch, stalled);
      EXPECT_EQ(chain.state().validators.at(silent).stake, before);  // no leak yet
    }
  }
  ASSERT_NE(resumed_at, 0u) << "finality did not resume";
  EXPECT_LT(chain.state().validators.at(silent).stake, before / 2);
  chain.run(20, {0, 1});
  EXPECT_GE(last_finalized(chain.state()).epoch, chain.epoch() - 2);
}

TEST(FfgLiveness, NoValidatorsAdvanceDynastiesWithoutFinalizing) {
  StakeChain chain;
  chain.run(20, {});
  EXPECT_EQ(chain.state().finality.dynasty, 4u);
  EXPECT_EQ(last_finalized(chain.state()).epoch, 0u);
}

}  // namespace
}  // namespace cairn
