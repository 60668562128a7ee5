// Slashing (docs/consensus.md "Staking and finality"): double and surround votes are
// slashed, every kind of invalid evidence is refused, the evidence window's boundary, the
// reporter's reward and the offender's ejection.
#include "consensus/slashing.h"

#include <gtest/gtest.h>

#include "consensus/finality.h"
#include "consensus/stake_fixture.h"

namespace cairn {
namespace {

using test::bootstrap;
using test::kFee;
using test::stake_tx;
using test::StakeChain;
using test::test_key;

constexpr Amount kStake = 10 * kCoin;
const std::vector<size_t> kFour = {0, 1, 2, 3};

BlockError reason(const std::optional<BlockRejection>& r) {
  EXPECT_TRUE(r.has_value());
  return r ? r->reason : BlockError::bad_header;
}

// A vote signed by validator `k` with arbitrary epochs and hashes (evidence need not be
// includable, only signed).
Vote signed_vote(size_t k, uint64_t source, uint64_t target, uint8_t tag, const BlockHash& genesis) {
  Vote v;
  v.validator = test_key(k).public_key();
  v.source_epoch = source;
  v.target_epoch = target;
  v.source_hash.bytes.fill(tag);
  v.target_hash.bytes.fill(static_cast<uint8_t>(tag + 1));
  v.signature = test_key(k).sign(vote_signing_message(v, genesis));
  return v;
}

test::StakeTx slash_tx(const Vote& a, const Vote& b, std::vector<TxOut> outputs = {}) {
  return stake_tx(kSlashPayload, encode_slash_body({a, b}), kFee, std::move(outputs));
}

TEST(Offence, DoubleAndSurroundVotes) {
  const BlockHash g;
  EXPECT_EQ(offence_of(signed_vote(0, 1, 5, 1, g), signed_vote(0, 2, 5, 1, g)), Offence::double_vote);
  EXPECT_EQ(offence_of(signed_vote(0, 1, 5, 1, g), signed_vote(0, 1, 5, 7, g)), Offence::double_vote);
  EXPECT_EQ(offence_of(signed_vote(0, 1, 6, 1, g), signed_vote(0, 2, 5, 1, g)), Offence::surround_vote);
  EXPECT_EQ(offence_of(signed_vote(0, 2, 5, 1, g), signed_vote(0, 1, 6, 1, g)), Offence::surround_vote);
  // Boundaries of the surround rule: shared source or adjacent links are not offences.
  EXPECT_EQ(offence_of(signed_vote(0, 1, 6, 1, g), signed_vote(0, 1, 5, 1, g)), std::nullopt);
  EXPECT_EQ(offence_of(signed_vote(0, 1, 3, 1, g), signed_vote(0, 3, 4, 1, g)), std::nullopt);
  EXPECT_EQ(offence_of(signed_vote(0, 1, 3, 1, g), signed_vote(0, 2, 4, 1, g)), std::nullopt);
  // The same vote twice, and two validators.
  const Vote v = signed_vote(0, 1, 5, 1, g);
  Vote resigned = v;
  resigned.signature.bytes[5] ^= 1;
  EXPECT_EQ(offence_of(v, v), std::nullopt);
  EXPECT_EQ(offence_of(v, resigned), std::nullopt);
  EXPECT_EQ(offence_of(v, signed_vote(1, 2, 5, 1, g)), std::nullopt);
}

TEST(Evidence, SignaturesMustVerify) {
  const BlockHash g;
  Vote a = signed_vote(0, 1, 5, 1, g);
  const Vote b = signed_vote(0, 2, 5, 1, g);
  EXPECT_TRUE(std::holds_alternative<Offence>(check_evidence(a, b, g)));
  a.signature.bytes[0] ^= 1;
  auto verdict = check_evidence(a, b, g);
  ASSERT_TRUE(std::holds_alternative<BlockRejection>(verdict));
  EXPECT_EQ(std::get<BlockRejection>(verdict).reason, BlockError::bad_evidence);
}

class Slashing : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap(chain, kFour, kStake);
    chain.run(3, kFour);
  }
  const ValidatorRecord& record(size_t k) const {
    return chain.state().validators.at(test_key(k).public_key());
  }
  StakeChain chain;
};

TEST_F(Slashing, DoubleVoteBurnsStakeRewardsReporterEjects) {
  const Amount stake = record(0).stake;
  const Amount reward = stake / chain.params().slash_reward_divisor;
  const Vote a = signed_vote(0, 0, 2, 1, chain.genesis());
  const Vote b = signed_vote(0, 1, 2, 1, chain.genesis());
  // The reporter may claim the reward on top of its inputs, not one unit more.
  auto greedy = slash_tx(a, b, {TxOut{kFee + reward + 1, test::owner_of(9)}});
  EXPECT_EQ(reason(chain.add_block({greedy})), BlockError::bad_stake);
  ASSERT_EQ(chain.add_block({slash_tx(a, b, {TxOut{kFee + reward, test::owner_of(9)}})}), std::nullopt);
  EXPECT_EQ(chain.last_flows()[0], (StakeFlow{.released = reward, .locked = 0}));
  EXPECT_TRUE(record(0).slashed);
  EXPECT_EQ(record(0).stake, 0u);
  EXPECT_FALSE(in_dynasty(record(0), chain.state().finality.dynasty));
  // Ejected: its votes no longer count; evidence against it again is refused.
  chain.run(2, {});
  auto honest = chain.honest(test_key(0));
  ASSERT_TRUE(honest.has_value());
  EXPECT_EQ(reason(chain.add_block({}, {*honest})), BlockError::bad_vote);
  EXPECT_EQ(reason(chain.add_block({slash_tx(a, b)})), BlockError::bad_evidence);
  // It cannot unbond or withdraw either: the record is a tombstone.
  EXPECT_EQ(reason(chain.add_block({test::withdraw_tx(0, 0, test::owner_of(0))})), BlockError::bad_stake);
}

TEST_F(Slashing, OffendersVotesStopCounting) {
  chain.run(10, kFour);
  while (!is_checkpoint_height(chain.params(), chain.height())) chain.run(1, {});
  ASSERT_GT(chain.state().finality.dynasty, 2u);  // in both dynasty sets
  const uint64_t target = chain.epoch();
  const uint64_t source = last_justified_epoch(chain.state());
  ASSERT_EQ(chain.add_block({}, {*chain.honest(test_key(0)), *chain.honest(test_key(1))}), std::nullopt);
  const Amount counted_1 =
      chain.state().finality.tallies.at(target).voters.at(test_key(1).public_key()).stake;
  const Vote a = signed_vote(0, 0, 2, 1, chain.genesis());
  const Vote b = signed_vote(0, 1, 2, 1, chain.genesis());
  ASSERT_EQ(chain.add_block({slash_tx(a, b)}), std::nullopt);
  const LinkTally& link = chain.state().finality.tallies.at(target).links.at(source);
  EXPECT_EQ(link.current, counted_1);
  EXPECT_EQ(link.previous, counted_1);
  // Validators 1, 2, 3 hold all the remaining stake: their votes justify the target.
  ASSERT_EQ(chain.add_block({}, {*chain.honest(test_key(2)), *chain.honest(test_key(3))}), std::nullopt);
  EXPECT_EQ(last_justified_epoch(chain.state()), target);
}

TEST_F(Slashing, SurroundVoteSlashed) {
  const Vote outer = signed_vote(1, 0, 3, 1, chain.genesis());
  const Vote inner = signed_vote(1, 1, 2, 1, chain.genesis());
  ASSERT_EQ(chain.add_block({slash_tx(inner, outer)}), std::nullopt);
  EXPECT_TRUE(record(1).slashed);
}

TEST_F(Slashing, InvalidEvidenceRefused) {
  const BlockHash& g = chain.genesis();
  const Vote v = signed_vote(0, 0, 2, 1, g);
  EXPECT_EQ(reason(chain.add_block({slash_tx(v, v)})), BlockError::bad_evidence);
  EXPECT_EQ(reason(chain.add_block({slash_tx(v, signed_vote(1, 1, 2, 1, g))})), BlockError::bad_evidence);
  Vote forged = signed_vote(0, 1, 2, 1, g);
  forged.signature.bytes[9] ^= 1;
  EXPECT_EQ(reason(chain.add_block({slash_tx(v, forged)})), BlockError::bad_evidence);
  // Signed for another network.
  EXPECT_EQ(reason(chain.add_block({slash_tx(v, signed_vote(0, 1, 2, 1, chain.hash_at(1)))})),
            BlockError::bad_evidence);
  EXPECT_EQ(reason(chain.add_block({slash_tx(v, signed_vote(0, 2, 3, 1, g))})), BlockError::bad_evidence);
  // A key that never bonded.
  EXPECT_EQ(reason(chain.add_block({slash_tx(signed_vote(8, 0, 2, 1, g), signed_vote(8, 1, 2, 1, g))})),
            BlockError::bad_evidence);
  EXPECT_FALSE(record(0).slashed);
}

TEST_F(Slashing, EvidenceWindowBoundary) {
  const uint64_t target = chain.epoch() - 1;
  const Vote a = signed_vote(2, 0, target, 1, chain.genesis());
  const Vote b = signed_vote(2, 0, target, 3, chain.genesis());
  // Run until the next block is the last block of epoch target + window: accepted there,
  // refused in the block after it, which opens the next epoch.
  const uint64_t last = target + chain.params().evidence_window_epochs;
  while (epoch_of(chain.params(), chain.height() + 2) <= last) chain.run(1, kFour);
  ASSERT_EQ(epoch_of(chain.params(), chain.height() + 1), last);
  ASSERT_EQ(chain.add_block({slash_tx(a, b)}), std::nullopt);
  chain.pop_block();
  chain.run(1, kFour);
  ASSERT_EQ(epoch_of(chain.params(), chain.height() + 1), last + 1);
  EXPECT_EQ(reason(chain.add_block({slash_tx(a, b)})), BlockError::bad_evidence);
}

TEST_F(Slashing, MalformedBodyIsBadPayload) {
  auto t = slash_tx(signed_vote(0, 0, 2, 1, chain.genesis()), signed_vote(0, 1, 2, 1, chain.genesis()));
  t.tx.payload.body.pop_back();
  EXPECT_EQ(reason(chain.add_block({t})), BlockError::bad_payload);
}

}  // namespace
}  // namespace cairn
