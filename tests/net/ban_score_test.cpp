#include "net/ban_score.h"

#include <gtest/gtest.h>

#include "net/test_peer_id.h"

namespace cairn::net {
namespace {

constexpr int64_t kT0 = 1'700'000'000;  // Unix seconds
const std::string kGroup = "203.0.0.0/16";

TEST(BanScores, EveryReasonCostsBetweenOneAndTheThreshold) {
  for (size_t i = 0; i < static_cast<size_t>(Misbehavior::kCount); ++i) {
    EXPECT_GE(kBanPoints[i], 1u) << to_string(static_cast<Misbehavior>(i));
    EXPECT_LE(kBanPoints[i], kBanThreshold) << to_string(static_cast<Misbehavior>(i));
  }
  EXPECT_EQ(ban_points(Misbehavior::invalid_block), kBanThreshold);
  EXPECT_EQ(ban_points(Misbehavior::invalid_header), kBanThreshold);
  EXPECT_EQ(ban_points(Misbehavior::malformed_message), kBanThreshold);
  EXPECT_LT(ban_points(Misbehavior::stalling), ban_points(Misbehavior::rate_limit_exceeded));
}

TEST(BanScores, InvalidBlockBansThePeerAndItsGroupAtOnce) {
  BanScores scores;
  const auto verdict = scores.add(test_peer_id(1), kGroup, Misbehavior::invalid_block, kT0);
  EXPECT_TRUE(verdict.banned);
  EXPECT_EQ(verdict.score, 100u);
  EXPECT_TRUE(scores.is_banned(test_peer_id(1), kT0));
  EXPECT_TRUE(scores.is_group_banned(kGroup, kT0));
  EXPECT_FALSE(scores.is_banned(test_peer_id(2), kT0));
  EXPECT_EQ(scores.score(test_peer_id(1), kT0), 0u);  // spent on the ban
  const auto ban = scores.find_ban(BanTarget::of(test_peer_id(1)), kT0);
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->reason, "invalid_block");
  EXPECT_EQ(ban->until, kT0 + kBanDurationSeconds);
  // Another peer of the banned group is reported banned on its first offence.
  EXPECT_TRUE(scores.add(test_peer_id(2), kGroup, Misbehavior::stalling, kT0).banned);
}

TEST(BanScores, BanAtTheThresholdNotBelow) {
  BanScores scores;
  const PeerId peer = test_peer_id(1);
  for (int i = 1; i <= 9; ++i) {
    const auto verdict = scores.add(peer, kGroup, Misbehavior::rate_limit_exceeded, kT0);
    EXPECT_EQ(verdict.score, 10u * static_cast<uint32_t>(i));
    EXPECT_FALSE(verdict.banned);
  }
  EXPECT_EQ(scores.add(peer, kGroup, Misbehavior::stalling, kT0).score, 95u);
  const auto verdict = scores.add(peer, kGroup, Misbehavior::stalling, kT0);  // exactly 100
  EXPECT_EQ(verdict.score, 100u);
  EXPECT_TRUE(verdict.banned);
}

TEST(BanScores, WithoutAGroupOnlyThePeerIsBanned) {
  BanScores scores;
  EXPECT_TRUE(scores.add(test_peer_id(1), "", Misbehavior::invalid_header, kT0).banned);
  EXPECT_EQ(scores.bans(kT0).size(), 1u);
}

TEST(BanScores, ScoresDecayWithTheHalfLife) {
  BanScores scores;
  const PeerId peer = test_peer_id(1);
  scores.add(peer, kGroup, Misbehavior::incompatible_handshake, kT0);  // 50
  EXPECT_EQ(scores.score(peer, kT0), 50u);
  EXPECT_EQ(scores.score(peer, kT0 + kBanScoreHalfLifeSeconds / 2), 37u);  // 50 * (1 - 1/4)
  EXPECT_EQ(scores.score(peer, kT0 + kBanScoreHalfLifeSeconds), 25u);
  EXPECT_EQ(scores.score(peer, kT0 + 2 * kBanScoreHalfLifeSeconds), 12u);
  EXPECT_EQ(scores.score(peer, kT0 + 64 * kBanScoreHalfLifeSeconds), 0u);
  EXPECT_EQ(scores.score(peer, kT0 - 100), 50u);  // an earlier reading decays nothing
  // A steady trickle under the decay never bans: 10 points every half-life settles near 20.
  for (int i = 1; i <= 100; ++i) {
    EXPECT_FALSE(scores
                     .add(test_peer_id(2), kGroup, Misbehavior::rate_limit_exceeded,
                          kT0 + i * kBanScoreHalfLifeSeconds)
                     .banned);
  }
  EXPECT_LE(scores.score(test_peer_id(2), kT0 + 100 * kBanScoreHalfLifeSeconds), 20u);
}

TEST(BanScores, BansExpireAfterTheDuration) {
  BanScores scores;
  scores.add(test_peer_id(1), kGroup, Misbehavior::invalid_block, kT0);
  const int64_t until = kT0 + kBanDurationSeconds;
  EXPECT_TRUE(scores.is_banned(test_peer_id(1), until - 1));
  EXPECT_TRUE(scores.is_group_banned(kGroup, until - 1));
  EXPECT_FALSE(scores.is_banned(test_peer_id(1), until));
  EXPECT_FALSE(scores.is_group_banned(kGroup, until));
  EXPECT_EQ(scores.bans(until - 1).size(), 2u);
  EXPECT_TRUE(scores.bans(until).empty());
  scores.expire(until);
  EXPECT_FALSE(scores.find_ban(BanTarget::of(test_peer_id(1)), kT0));  // gone even for an old `now`
}

TEST(BanScores, ManualBansAndUnban) {
  BanScores scores;
  EXPECT_TRUE(scores.ban(BanTarget::of_group("10.0.0.1/32"), "operator", kT0 + 60, kT0));
  EXPECT_TRUE(scores.is_group_banned("10.0.0.1/32", kT0 + 59));
  EXPECT_FALSE(scores.ban(BanTarget::of_group("x"), "past", kT0, kT0));  // until must be after now
  EXPECT_FALSE(scores.ban(BanTarget::of_group(""), "empty", kT0 + 1, kT0));
  EXPECT_TRUE(scores.ban(BanTarget::of_group(std::string(kMaxBanKeyLength, 'k')), "", kT0 + 1, kT0));
  EXPECT_FALSE(scores.ban(BanTarget::of_group(std::string(kMaxBanKeyLength + 1, 'k')), "", kT0 + 1, kT0));
  EXPECT_TRUE(
      scores.ban(BanTarget::of(test_peer_id(3)), std::string(kMaxBanReasonLength + 5, 'r'), kT0 + 10, kT0));
  EXPECT_EQ(scores.find_ban(BanTarget::of(test_peer_id(3)), kT0)->reason.size(), kMaxBanReasonLength);
  // Replacing a ban keeps one entry with the new expiry.
  EXPECT_TRUE(scores.ban(BanTarget::of(test_peer_id(3)), "again", kT0 + 20, kT0));
  EXPECT_EQ(scores.find_ban(BanTarget::of(test_peer_id(3)), kT0)->until, kT0 + 20);
  EXPECT_EQ(scores.bans(kT0).size(), 3u);

  EXPECT_TRUE(scores.unban(BanTarget::of_group("10.0.0.1/32")));
  EXPECT_FALSE(scores.unban(BanTarget::of_group("10.0.0.1/32")));
  EXPECT_FALSE(scores.is_group_banned("10.0.0.1/32", kT0));
  // bans() is ordered by target: peers before groups.
  const auto bans = scores.bans(kT0);
  ASSERT_EQ(bans.size(), 2u);
  EXPECT_EQ(bans[0].target.kind, BanTarget::Kind::peer);
  EXPECT_EQ(bans[1].target.kind, BanTarget::Kind::group);
}

TEST(BanScores, TrackedScoresAreBoundedAndTheLowestGoes) {
  BanScores scores;
  scores.add(test_peer_id(0), kGroup, Misbehavior::incompatible_handshake, kT0);  // 50: kept
  for (uint32_t i = 1; i <= kMaxTrackedScores; ++i)
    scores.add(test_peer_id(i), "", Misbehavior::stalling, kT0);
  EXPECT_EQ(scores.tracked_scores(), kMaxTrackedScores);
  EXPECT_EQ(scores.score(test_peer_id(0), kT0), 50u);
  scores.expire(kT0 + 64 * kBanScoreHalfLifeSeconds);
  EXPECT_EQ(scores.tracked_scores(), 0u);
}

TEST(BanScores, BansAreBoundedAndTheSoonestToExpireGoes) {
  BanScores scores;
  for (size_t i = 0; i < kMaxBans; ++i) {
    std::string group = "g";
    group += std::to_string(i);
    ASSERT_TRUE(scores.ban(BanTarget::of_group(group), "", kT0 + 100 + static_cast<int64_t>(i), kT0));
  }
  EXPECT_TRUE(scores.ban(BanTarget::of_group("new"), "", kT0 + 1'000'000, kT0));
  EXPECT_EQ(scores.bans(kT0).size(), kMaxBans);
  EXPECT_FALSE(scores.is_group_banned("g0", kT0));  // expired soonest
  EXPECT_TRUE(scores.is_group_banned("g1", kT0));
  EXPECT_TRUE(scores.is_group_banned("new", kT0));
}

}  // namespace
}  // namespace cairn::net
