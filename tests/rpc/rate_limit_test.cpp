#include "rpc/rate_limit.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::rpc {
namespace {

using namespace std::chrono_literals;
const RateLimiter::Clock::time_point kStart{};

TEST(RateLimiter, BurstThenRefused) {
  RateLimiter limiter(RateLimit{2, 5});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.admit("alice", kStart)) << i;
  EXPECT_FALSE(limiter.admit("alice", kStart));
  // Clients have separate buckets.
  EXPECT_TRUE(limiter.admit("bob", kStart));
}

TEST(RateLimiter, RefillsAtTheRateToTheToken) {
  RateLimiter limiter(RateLimit{2, 1});  // one token every 500 ms
  EXPECT_TRUE(limiter.admit("c", kStart));
  EXPECT_FALSE(limiter.admit("c", kStart + 499'999'999ns));
  EXPECT_TRUE(limiter.admit("c", kStart + 500ms));
  EXPECT_FALSE(limiter.admit("c", kStart + 500ms));
}

TEST(RateLimiter, RefillStopsAtTheBurst) {
  RateLimiter limiter(RateLimit{10, 3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("c", kStart));
  const auto later = kStart + 24h;  // would be 864000 tokens without the cap
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("c", later)) << i;
  EXPECT_FALSE(limiter.admit("c", later));
}

TEST(RateLimiter, RefusedRequestsCostNothing) {
  RateLimiter limiter(RateLimit{1, 1});
  EXPECT_TRUE(limiter.admit("c", kStart));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.admit("c", kStart + 100ms));
  EXPECT_TRUE(limiter.admit("c", kStart + 1s));
}

TEST(RateLimiter, ClockGoingBackwardsIsHarmless) {
  RateLimiter limiter(RateLimit{1, 1});
  EXPECT_TRUE(limiter.admit("c", kStart + 10s));
  EXPECT_FALSE(limiter.admit("c", kStart));
  EXPECT_TRUE(limiter.admit("c", kStart + 11s));
}

TEST(RateLimiter, ExtremeLimits) {
  RateLimiter fast(RateLimit{kMaxRatePerSecond, kMaxBurst});
  EXPECT_TRUE(fast.admit("c", kStart));
  EXPECT_TRUE(fast.admit("c", kStart + std::chrono::hours(24 * 365 * 100)));
  RateLimiter slow(RateLimit{1, kMaxBurst});
  EXPECT_TRUE(slow.admit("c", kStart + std::chrono::hours(24 * 365 * 100)));
}

TEST(RateLimiter, TrackedClientsAreBoundedAndTheLongestIdleGoes) {
  RateLimiter limiter(RateLimit{1, 1}, /*max_clients=*/3);
  EXPECT_TRUE(limiter.admit("a", kStart));
  EXPECT_TRUE(limiter.admit("b", kStart + 1ms));
  EXPECT_TRUE(limiter.admit("c", kStart + 2ms));
  EXPECT_EQ(limiter.tracked_clients(), 3u);
  EXPECT_FALSE(limiter.admit("a", kStart + 3ms));  // a is now the most recent; b idles longest
  EXPECT_TRUE(limiter.admit("d", kStart + 4ms));   // evicts b
  EXPECT_EQ(limiter.tracked_clients(), 3u);
  EXPECT_FALSE(limiter.admit("a", kStart + 5ms));  // still tracked, still empty
  EXPECT_FALSE(limiter.admit("c", kStart + 5ms));
  EXPECT_TRUE(limiter.admit("b", kStart + 5ms));  // forgotten: a full bucket again (evicts d)
  EXPECT_TRUE(limiter.admit("d", kStart + 6ms));  // forgotten too
}

TEST(RateLimiter, ConcurrentClientsShareNoTokens) {
  RateLimiter limiter(RateLimit{1, 100}, 16);
  std::vector<std::thread> threads;
  std::vector<int> admitted(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i)
        admitted[static_cast<size_t>(t)] += limiter.admit("shared", kStart) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  int total = 0;
  for (int n : admitted) total += n;
  EXPECT_EQ(total, 100);
}

}  // namespace
}  // namespace cairn::rpc
