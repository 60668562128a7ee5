// Validator duty (chain/validator.h): votes come from the finality state, pass slashing
// protection and are recorded on disk before they are returned; four validators exchange
// votes through this path into blocks that the real StakeState applies.
#include "chain/validator.h"

#include <filesystem>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/stake_fixture.h"
#include "storage/stores.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using test::StakeChain;
using test::test_key;

constexpr Amount kStake = 10 * kCoin;

KeyPair copy_key(size_t k) { return KeyPair::from_seed(test_key(k).seed()); }

// Four validator processes: each its key and its own slashing-protection file.
class FourValidators : public ::testing::Test {
 protected:
  void SetUp() override {
    test::bootstrap(chain, {0, 1, 2, 3}, kStake);
    for (size_t k = 0; k < 4; ++k) start(k);
  }

  fs::path record_file(size_t k) const { return dir.path() / ("validator" + std::to_string(k)); }

  void start(size_t k) {
    auto p = SlashingProtection::open(record_file(k), chain.genesis());
    ASSERT_TRUE(p) << p.error().to_string();
    protections[k] = std::make_unique<SlashingProtection>(std::move(*p));
    validators[k] = std::make_unique<Validator>(copy_key(k), *protections[k], chain.genesis());
  }
  void stop(size_t k) {
    validators[k].reset();
    protections[k].reset();
  }

  // One block: each running validator that has not voted in the tip's epoch votes, and the
  // block carries those votes (as a miner includes gossiped votes).
  void step() {
    std::vector<Vote> votes;
    const uint64_t target = chain.epoch();
    const BlockHash target_hash = chain.checkpoint_hash(target);
    for (size_t k = 0; k < 4; ++k) {
      if (!validators[k]) continue;
      const auto& tally = chain.state().finality.tallies.at(target);
      if (tally.voters.contains(validators[k]->voting_key())) continue;
      auto vote = validators[k]->vote(chain.state(), target, target_hash);
      if (vote) votes.push_back(*vote);
    }
    ASSERT_EQ(chain.add_block({}, votes), std::nullopt);
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) step();
  }
  uint64_t finality_lag() const { return chain.epoch() - last_finalized(chain.state()).epoch; }

  StakeChain chain;
  TempDir dir;
  std::unique_ptr<SlashingProtection> protections[4];
  std::unique_ptr<Validator> validators[4];
};

TEST_F(FourValidators, FinalityFollowsTheTipAndSurvivesOneStoppedNotTwo) {
  const uint64_t epoch_length = chain.params().epoch_length;
  for (uint64_t i = 0; i < 10 * epoch_length; ++i) {
    step();
    if (chain.epoch() >= 4) {
      EXPECT_LE(finality_lag(), 2u) << "height " << chain.height();
    }
  }
  stop(3);
  for (uint64_t i = 0; i < 6 * epoch_length; ++i) {
    step();
    EXPECT_LE(finality_lag(), 2u) << "one stopped, height " << chain.height();
  }
  stop(2);
  const uint64_t finalized = last_finalized(chain.state()).epoch;
  steps(static_cast<int>(3 * epoch_length));  // shorter than the leak delay
  EXPECT_EQ(last_finalized(chain.state()).epoch, finalized);
  EXPECT_GT(finality_lag(), 2u);
  start(2);
  start(3);
  steps(static_cast<int>(2 * epoch_length + 1));
  EXPECT_GT(last_finalized(chain.state()).epoch, finalized);
  EXPECT_LE(finality_lag(), 2u);
}

TEST_F(FourValidators, VoteIsRecordedOnDiskBeforeItIsReturned) {
  auto vote = validators[0]->vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch()));
  ASSERT_TRUE(vote) << vote.error().to_string();
  EXPECT_EQ(vote->source_epoch, last_justified_epoch(chain.state()));
  EXPECT_EQ(vote->target_epoch, chain.epoch());
  EXPECT_TRUE(verify(vote->validator, vote_signing_message(*vote, chain.genesis()), vote->signature));
  auto on_disk = SlashingProtection::open(record_file(0), chain.genesis());
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(on_disk->find(test_key(0).public_key())->max_target_epoch, chain.epoch());
}

TEST_F(FourValidators, RestartedValidatorRefusesToVoteForAnotherCheckpoint) {
  ASSERT_TRUE(validators[0]->vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch())));
  stop(0);
  start(0);  // the process restarts with its record
  BlockHash fork_checkpoint;
  fork_checkpoint.bytes.fill(0xee);  // the same epoch's checkpoint on another branch
  auto second = validators[0]->vote(chain.state(), chain.epoch(), fork_checkpoint);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::invalid_argument);
  // The identical vote may be produced again (e.g. to re-gossip it).
  EXPECT_TRUE(validators[0]->vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch())));
}

TEST_F(FourValidators, NoVoteWhenTheRecordCannotBeWritten) {
  const fs::path sub = dir.path() / "sub";
  fs::create_directories(sub);
  auto p = SlashingProtection::open(sub / "record", chain.genesis());
  ASSERT_TRUE(p);
  Validator v(copy_key(0), *p, chain.genesis());
  fs::remove_all(sub);
  auto vote = v.vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch()));
  ASSERT_FALSE(vote);
  EXPECT_EQ(vote.error().code, ErrorCode::io);
}

TEST_F(FourValidators, NonValidatorAndNothingToVoteForRefused) {
  auto p = SlashingProtection::open(dir.path() / "stranger", chain.genesis());
  ASSERT_TRUE(p);
  Validator stranger(copy_key(9), *p, chain.genesis());
  EXPECT_FALSE(stranger.vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch())));
  step();  // the epoch's checkpoint is now justified: nothing left to vote for in it
  ASSERT_EQ(last_justified_epoch(chain.state()), chain.epoch());
  auto again = validators[0]->vote(chain.state(), chain.epoch(), chain.checkpoint_hash(chain.epoch()));
  EXPECT_FALSE(again);
  EXPECT_EQ(p->find(test_key(9).public_key()), std::nullopt);
}

}  // namespace
}  // namespace cairn
