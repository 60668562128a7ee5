#include "net/peer_manager.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "net/test_peer_id.h"

namespace cairn::net {
namespace {

constexpr int64_t kT0 = 1'700'000'000;  // Unix seconds

Multiaddr addr(const std::string& text) {
  auto a = Multiaddr::parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return *a;
}

// A public address in group "<a>.<b>.0.0/16".
Multiaddr public_addr(int a, int b, int host = 1) {
  std::string text = "/ip4/";
  text += std::to_string(a);
  text += '.';
  text += std::to_string(b);
  text += ".0.";
  text += std::to_string(host);
  text += "/tcp/9000";
  return addr(text);
}

TEST(RetryDelay, DoublesPerFailureUpToTheCap) {
  EXPECT_EQ(retry_delay(0), kMinRetrySeconds);
  EXPECT_EQ(retry_delay(1), kRetryBackoffBaseSeconds);
  EXPECT_EQ(retry_delay(2), 2 * kRetryBackoffBaseSeconds);
  EXPECT_EQ(retry_delay(3), 4 * kRetryBackoffBaseSeconds);
  EXPECT_EQ(retry_delay(8), kRetryBackoffBaseSeconds << 7);  // 2 h 8 min, under the cap
  static_assert((kRetryBackoffBaseSeconds << 8) > kMaxRetryBackoffSeconds);
  EXPECT_EQ(retry_delay(9), kMaxRetryBackoffSeconds);
  EXPECT_EQ(retry_delay(UINT32_MAX), kMaxRetryBackoffSeconds);
}

class PeerManagerTest : public ::testing::Test {
 protected:
  PeerManager manager(PeerManagerOptions options = {}) {
    return PeerManager(store_, bans_, std::move(options));
  }

  std::optional<DialCandidate> select(const PeerManager& m, int64_t now = kT0) {
    return m.select_outbound(used_groups_, busy_, now, rng_);
  }

  PeerStore store_;
  BanScores bans_;
  DeterministicRng rng_{7};
  std::set<std::string> used_groups_;
  std::set<PeerId> busy_;
};

TEST_F(PeerManagerTest, OutboundWanted) {
  const auto m = manager();
  EXPECT_EQ(m.outbound_wanted(0), kDefaultOutboundFullRelay);
  EXPECT_EQ(m.outbound_wanted(kDefaultOutboundFullRelay - 1), 1u);
  EXPECT_EQ(m.outbound_wanted(kDefaultOutboundFullRelay), 0u);
  EXPECT_EQ(m.outbound_wanted(kDefaultOutboundFullRelay + 3), 0u);
}

TEST_F(PeerManagerTest, EmptyStoreTriesBootstrapThenSeedsInOrder) {
  const auto with_id = public_addr(1, 1).with_peer_id(test_peer_id(1));
  ASSERT_TRUE(with_id.ok());
  PeerManagerOptions options;
  options.bootstrap = {*with_id, public_addr(2, 2)};
  options.seeds = {addr("/dns4/seed.example.org/tcp/9000")};
  auto m = manager(options);

  auto first = select(m);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->bootstrap);
  EXPECT_EQ(first->address, *with_id);
  EXPECT_EQ(first->peer, test_peer_id(1));
  EXPECT_EQ(first->group, "1.1.0.0/16");
  m.on_dial_started(*first, kT0);
  used_groups_.insert(first->group);

  auto second = select(m);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->address, public_addr(2, 2));
  EXPECT_FALSE(second->peer);  // learnt when the dial succeeds
  m.on_dial_started(*second, kT0);
  used_groups_.insert(second->group);

  auto third = select(m);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->group, "dns:seed.example.org");
  m.on_dial_started(*third, kT0);
  used_groups_.insert(third->group);
  EXPECT_FALSE(select(m));

  // The bootstrap address without an id answers as peer 9: it is remembered, and from now
  // on known peers come first.
  m.on_dial_succeeded(*second, test_peer_id(9), kT0 + 1);
  const KnownPeer* learnt = store_.find(test_peer_id(9));
  ASSERT_NE(learnt, nullptr);
  EXPECT_EQ(learnt->source, PeerSource::bootstrap);
  EXPECT_EQ(learnt->last_success, kT0 + 1);

  // As a fallback the address is not dialled again while the peer that answered is connected.
  used_groups_.clear();
  busy_ = {test_peer_id(1), test_peer_id(9)};
  auto fallback = select(m, kT0 + 1000);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->group, "dns:seed.example.org");
}

TEST_F(PeerManagerTest, FailedBootstrapWaitsForItsBackoff) {
  PeerManagerOptions options;
  options.bootstrap = {public_addr(1, 1)};
  auto m = manager(options);
  auto candidate = select(m);
  ASSERT_TRUE(candidate);
  m.on_dial_started(*candidate, kT0);
  m.on_dial_failed(*candidate, kT0 + 1);
  EXPECT_FALSE(select(m, kT0 + retry_delay(1) - 1));
  EXPECT_TRUE(select(m, kT0 + retry_delay(1)));
}

TEST_F(PeerManagerTest, KnownPeersComeBeforeBootstrapOnceOneConnected) {
  PeerManagerOptions options;
  options.bootstrap = {public_addr(1, 1)};
  auto m = manager(options);
  store_.add(test_peer_id(2), {public_addr(2, 2)}, PeerSource::discovery, kT0);
  store_.mark_success(test_peer_id(2), kT0);
  auto candidate = select(m, kT0 + 1000);
  ASSERT_TRUE(candidate);
  EXPECT_FALSE(candidate->bootstrap);
  EXPECT_EQ(candidate->peer, test_peer_id(2));
  // Its address carries the peer id, so the dial checks whom it reaches.
  EXPECT_EQ(candidate->address.peer_id(), test_peer_id(2));
  // When no known peer is eligible, bootstrap is the fallback.
  busy_.insert(test_peer_id(2));
  candidate = select(m, kT0 + 1000);
  ASSERT_TRUE(candidate);
  EXPECT_TRUE(candidate->bootstrap);
}

TEST_F(PeerManagerTest, OnePeerPerGroup) {
  auto m = manager();
  store_.add(test_peer_id(1), {public_addr(5, 5, 1)}, PeerSource::discovery, kT0);
  store_.add(test_peer_id(2), {public_addr(5, 5, 2)}, PeerSource::discovery, kT0);
  store_.add(test_peer_id(3), {public_addr(6, 6)}, PeerSource::discovery, kT0);
  used_groups_.insert("5.5.0.0/16");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DeterministicRng rng(seed);
    auto candidate = m.select_outbound(used_groups_, busy_, kT0, rng);
    ASSERT_TRUE(candidate);
    EXPECT_EQ(candidate->peer, test_peer_id(3));
  }
  used_groups_.insert("6.6.0.0/16");
  EXPECT_FALSE(select(m));
}

TEST_F(PeerManagerTest, PrefersRecentSuccesses) {
  auto m = manager();
  for (uint32_t i = 1; i <= 5; ++i)
    store_.add(test_peer_id(i), {public_addr(10, static_cast<int>(i))}, PeerSource::discovery, kT0);
  store_.add(test_peer_id(20), {public_addr(20, 20)}, PeerSource::discovery, kT0);
  store_.mark_success(test_peer_id(20), kT0 - kRecentSuccessSeconds - 1);  // just too old to be recent
  store_.add(test_peer_id(30), {public_addr(30, 30)}, PeerSource::discovery, kT0);
  store_.mark_success(test_peer_id(30), kT0 - 60);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DeterministicRng rng(seed);
    EXPECT_EQ(m.select_outbound(used_groups_, busy_, kT0, rng)->peer, test_peer_id(30));
  }
  busy_.insert(test_peer_id(30));
  EXPECT_EQ(select(m)->peer, test_peer_id(20));  // then those that ever connected
  busy_.insert(test_peer_id(20));
  std::set<PeerId> seen;  // then new ones, at random
  for (uint64_t seed = 0; seed < 50; ++seed) {
    DeterministicRng rng(seed);
    seen.insert(*m.select_outbound(used_groups_, busy_, kT0, rng)->peer);
  }
  EXPECT_GT(seen.size(), 1u);
}

TEST_F(PeerManagerTest, SkipsBannedPeersAndGroups) {
  auto m = manager();
  store_.add(test_peer_id(1), {public_addr(1, 1)}, PeerSource::discovery, kT0);
  store_.add(test_peer_id(2), {public_addr(2, 2)}, PeerSource::discovery, kT0);
  bans_.ban(BanTarget::of(test_peer_id(1)), "test", kT0 + 100, kT0);
  bans_.ban(BanTarget::of_group("2.2.0.0/16"), "test", kT0 + 100, kT0);
  EXPECT_FALSE(select(m));
  EXPECT_TRUE(select(m, kT0 + 100));  // bans expire
}

TEST_F(PeerManagerTest, RetryBackoffAndForgettingUnreachablePeers) {
  auto m = manager();
  store_.add(test_peer_id(1), {public_addr(1, 1)}, PeerSource::discovery, kT0);
  int64_t now = kT0;
  for (uint32_t failure = 1; failure < kForgetAfterFailures; ++failure) {
    auto candidate = select(m, now);
    ASSERT_TRUE(candidate) << failure;
    m.on_dial_started(*candidate, now);
    m.on_dial_failed(*candidate, now);
    EXPECT_FALSE(select(m, now + retry_delay(failure) - 1)) << failure;
    now += retry_delay(failure);
  }
  auto candidate = select(m, now);
  ASSERT_TRUE(candidate);
  m.on_dial_started(*candidate, now);
  m.on_dial_failed(*candidate, now);
  EXPECT_EQ(store_.find(test_peer_id(1)), nullptr);  // never connected, kForgetAfterFailures failures
}

TEST_F(PeerManagerTest, APeerThatOnceConnectedIsKept) {
  auto m = manager();
  store_.add(test_peer_id(1), {public_addr(1, 1)}, PeerSource::discovery, kT0);
  store_.mark_success(test_peer_id(1), kT0);
  for (uint32_t i = 0; i < kForgetAfterFailures + 2; ++i) {
    m.on_dial_failed(DialCandidate{test_peer_id(1), public_addr(1, 1), "1.1.0.0/16", false, false}, kT0);
  }
  EXPECT_NE(store_.find(test_peer_id(1)), nullptr);
}

TEST_F(PeerManagerTest, FeelersTestNewPeersEveryInterval) {
  auto m = manager();
  store_.add(test_peer_id(1), {public_addr(1, 1)}, PeerSource::discovery, kT0);
  store_.mark_success(test_peer_id(1), kT0);
  store_.add(test_peer_id(2), {public_addr(2, 2)}, PeerSource::discovery, kT0);
  auto feeler = m.select_feeler(used_groups_, busy_, kT0, rng_);
  ASSERT_TRUE(feeler);
  EXPECT_TRUE(feeler->feeler);
  EXPECT_EQ(feeler->peer, test_peer_id(2));  // only peers that never connected
  EXPECT_FALSE(m.select_feeler(used_groups_, busy_, kT0 + kFeelerIntervalSeconds - 1, rng_));
  EXPECT_TRUE(m.select_feeler(used_groups_, busy_, kT0 + kFeelerIntervalSeconds, rng_));
  store_.mark_success(test_peer_id(2), kT0);
  EXPECT_FALSE(m.select_feeler(used_groups_, busy_, kT0 + 10 * kFeelerIntervalSeconds, rng_));

  PeerManagerOptions off;
  off.feeler_interval = 0;
  store_.add(test_peer_id(3), {public_addr(3, 3)}, PeerSource::discovery, kT0);
  auto disabled = manager(off);
  EXPECT_FALSE(disabled.select_feeler(used_groups_, busy_, kT0, rng_));
}

TEST_F(PeerManagerTest, BootstrapListIsBounded) {
  PeerManagerOptions options;
  for (int i = 0; i < static_cast<int>(kMaxBootstrapAddresses) + 1; ++i)
    options.bootstrap.push_back(public_addr(1, i));
  auto m = manager(options);
  size_t picked = 0;
  while (auto candidate = select(m)) {
    m.on_dial_started(*candidate, kT0);
    ++picked;
  }
  EXPECT_EQ(picked, kMaxBootstrapAddresses);
}

// Eviction.

InboundCandidate inbound(uint32_t id, std::string group, int64_t connected_since) {
  return InboundCandidate{test_peer_id(id), std::move(group), connected_since, INT64_MAX, 0, 0, 0};
}

TEST(SelectInboundToEvict, NothingWhenEveryoneIsProtected) {
  EXPECT_FALSE(select_inbound_to_evict({}));
  std::vector<InboundCandidate> four;
  for (uint32_t i = 0; i < 4; ++i) {
    four.push_back(inbound(i, "g", i));
    four.back().min_ping_ns = 1000;
  }
  EXPECT_FALSE(select_inbound_to_evict(four));
  // One without a measured ping is not protected by the ping rule, but by seniority only
  // if the rest of the pool is large enough: alone, half of one is none.
  four.push_back(inbound(9, "g", 100));
  EXPECT_EQ(select_inbound_to_evict(four), test_peer_id(9));
}

TEST(SelectInboundToEvict, EvictsTheYoungestOfTheLargestGroup) {
  std::vector<InboundCandidate> candidates;
  // Twelve candidates with nothing to protect them except seniority: the oldest six stay.
  for (uint32_t i = 0; i < 6; ++i) candidates.push_back(inbound(i, "old", i));
  candidates.push_back(inbound(10, "a", 100));
  candidates.push_back(inbound(11, "b", 101));
  candidates.push_back(inbound(12, "b", 102));
  candidates.push_back(inbound(13, "b", 103));
  candidates.push_back(inbound(14, "c", 104));
  candidates.push_back(inbound(15, "c", 105));
  EXPECT_EQ(select_inbound_to_evict(candidates), test_peer_id(13));
  // Input order does not matter.
  std::reverse(candidates.begin(), candidates.end());
  EXPECT_EQ(select_inbound_to_evict(candidates), test_peer_id(13));
  // A higher ban score goes before youth within the chosen group.
  for (auto& c : candidates) {
    if (c.peer == test_peer_id(11)) c.ban_score = 30;
  }
  EXPECT_EQ(select_inbound_to_evict(candidates), test_peer_id(11));
}

TEST(SelectInboundToEvict, ProtectsFastAndUsefulPeers) {
  std::vector<InboundCandidate> candidates;
  // All in one group, all young, so without protection the youngest goes first.
  for (uint32_t i = 0; i < 20; ++i) candidates.push_back(inbound(i, "g", 1000 + i));
  candidates[19].min_ping_ns = 5;             // the youngest has the best ping
  candidates[18].last_block_time = 50;        // a block supplier
  candidates[17].last_transaction_time = 50;  // a transaction supplier
  const auto evicted = select_inbound_to_evict(candidates);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, test_peer_id(16));
  // The protections are bounded: with 5 peers of good ping, the 5th best is not protected.
  std::vector<InboundCandidate> pings;
  for (uint32_t i = 0; i < 5; ++i) {
    pings.push_back(inbound(i, "g", 10 - i));  // the worst ping is the youngest
    pings.back().min_ping_ns = 100 + i;
  }
  pings.push_back(inbound(9, "g", 0));  // the oldest: protected by seniority (half of 2 = 1)
  EXPECT_EQ(select_inbound_to_evict(pings), test_peer_id(4));
}

}  // namespace
}  // namespace cairn::net
