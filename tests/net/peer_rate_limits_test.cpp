#include "net/peer_rate_limits.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/test_peer_id.h"

namespace cairn::net {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

size_t index(ProtocolKind kind) { return static_cast<size_t>(kind); }

TEST(PeerRateLimits, TableIsComplete) {
  for (size_t i = 0; i < kPeerRateTable.size(); ++i) {
    EXPECT_TRUE(valid_token_bucket(kPeerRateTable[i].rate, kPeerRateTable[i].burst));
    EXPECT_NE(to_string(static_cast<ProtocolKind>(i)), "unknown");
  }
}

TEST(PeerRateLimits, BurstThenDropsCounted) {
  PeerRateLimits limits;
  const PeerId peer = test_peer_id(1);
  const uint32_t burst = kPeerRateTable[index(ProtocolKind::status)].burst;
  for (uint32_t i = 0; i < burst; ++i) EXPECT_TRUE(limits.admit(peer, ProtocolKind::status, 0)) << i;
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::status, 0));
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::status, 0));
  EXPECT_EQ(limits.drops()[index(ProtocolKind::status)], 2u);
  EXPECT_EQ(limits.drops()[index(ProtocolKind::tx)], 0u);
  // Other kinds and other peers have their own buckets.
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::headers, 0));
  EXPECT_TRUE(limits.admit(test_peer_id(2), ProtocolKind::status, 0));
  // Status refills at two a minute: one token after 30 s.
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::status, 30 * kSecond - 1));
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::status, 30 * kSecond));
}

TEST(PeerRateLimits, CostCountsBlocks) {
  PeerRateLimits limits;
  const PeerId peer = test_peer_id(1);
  const PeerRate blocks = kPeerRateTable[index(ProtocolKind::blocks)];
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::blocks, 0, blocks.burst - 16));
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::blocks, 0, 16));
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::blocks, 0, 1));
  // A second later, the rate's worth is back.
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::blocks, kSecond, blocks.rate.tokens));
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::blocks, kSecond, 1));
  EXPECT_EQ(limits.drops()[index(ProtocolKind::blocks)], 2u);
}

TEST(PeerRateLimits, PaceAsksToWaitInsteadOfDropping) {
  PeerRateLimits limits;
  const PeerId peer = test_peer_id(1);
  const PeerRate headers = kPeerRateTable[index(ProtocolKind::headers)];
  for (uint32_t i = 0; i < headers.burst; ++i) EXPECT_EQ(limits.pace(peer, ProtocolKind::headers, 0), 0) << i;
  const int64_t wait = limits.pace(peer, ProtocolKind::headers, 0);
  EXPECT_EQ(wait, headers.rate.period_ns / headers.rate.tokens) << "one token's time";
  EXPECT_EQ(limits.drops()[index(ProtocolKind::headers)], 0u) << "a wait is not a drop";
  EXPECT_EQ(limits.pace(peer, ProtocolKind::headers, wait), 0);
  EXPECT_EQ(limits.pace(peer, ProtocolKind::headers, wait, headers.burst + 1), -1) << "never: counted";
  EXPECT_EQ(limits.drops()[index(ProtocolKind::headers)], 1u);
  limits.count_drop(ProtocolKind::headers);
  EXPECT_EQ(limits.drops()[index(ProtocolKind::headers)], 2u);
}

TEST(PeerRateLimits, RemovePeerForgetsItsBuckets) {
  PeerRateLimits limits;
  const PeerId peer = test_peer_id(1);
  const uint32_t burst = kPeerRateTable[index(ProtocolKind::block_gossip)].burst;
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::block_gossip, 0, burst));
  EXPECT_FALSE(limits.admit(peer, ProtocolKind::block_gossip, 0));
  EXPECT_EQ(limits.tracked_peers(), 1u);
  limits.remove_peer(peer);
  EXPECT_EQ(limits.tracked_peers(), 0u);
  EXPECT_TRUE(limits.admit(peer, ProtocolKind::block_gossip, 0));  // a fresh bucket
}

TEST(PeerRateLimits, TrackedPeersAreBoundedAndTheLongestIdleGoes) {
  PeerRateLimits limits(3);
  for (uint32_t i = 1; i <= 3; ++i) {
    EXPECT_TRUE(limits.admit(test_peer_id(i), ProtocolKind::status, 0,
                             kPeerRateTable[index(ProtocolKind::status)].burst));
  }
  EXPECT_FALSE(limits.admit(test_peer_id(1), ProtocolKind::status, 0));  // peer 1 is now the most recent
  EXPECT_TRUE(limits.admit(test_peer_id(4), ProtocolKind::status, 0));   // forgets peer 2
  EXPECT_EQ(limits.tracked_peers(), 3u);
  EXPECT_TRUE(limits.admit(test_peer_id(2), ProtocolKind::status, 0));   // peer 2 starts again: full
  EXPECT_FALSE(limits.admit(test_peer_id(1), ProtocolKind::status, 0));  // peer 1 was kept: still empty
}

TEST(PeerRateLimits, ConcurrentAdmitsTakeEachTokenOnce) {
  PeerRateLimits limits;
  const PeerId peer = test_peer_id(1);
  const uint32_t burst = kPeerRateTable[index(ProtocolKind::tx)].burst;
  std::atomic<uint32_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (uint32_t i = 0; i < burst; ++i) {
        if (limits.admit(peer, ProtocolKind::tx, 0)) ++admitted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), burst);
  EXPECT_EQ(limits.drops()[index(ProtocolKind::tx)], 3u * burst);
}

}  // namespace
}  // namespace cairn::net
