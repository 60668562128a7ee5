#include "util/token_bucket.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(TokenBucket, StartsFullAndRefusesPastTheBurst) {
  TokenBucket bucket(TokenRate::per_second(1), 3, 0);
  EXPECT_EQ(bucket.available(0), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(0)) << i;
  EXPECT_FALSE(bucket.take(0));
  EXPECT_EQ(bucket.available(0), 0u);
}

TEST(TokenBucket, RefillsExactlyAtTheRate) {
  TokenBucket bucket(TokenRate{3, 10 * kSecond}, 1, 0);  // one token every 3.33.. s
  EXPECT_TRUE(bucket.take(0));
  // 10/3 s is not a whole number of nanoseconds: the token completes at ceil(10e9 / 3).
  EXPECT_FALSE(bucket.take(3'333'333'333));
  EXPECT_TRUE(bucket.take(3'333'333'334));
  // Many small refills add up to exactly the same as one large one (no rounding drift).
  int64_t t = 3'333'333'334;
  for (int i = 0; i < 1000; ++i) {
    t += 3'333'333;
    EXPECT_FALSE(bucket.take(t)) << i;  // refused takes cost nothing
  }
  // In units (a token is 10e9, a nanosecond adds 3): the 2 units over a full bucket were
  // capped away, and 1000 * 3,333,333 * 3 = 9,999,999,000 is 1000 short; 334 ns make 1002.
  EXPECT_FALSE(bucket.take(t + 333));
  EXPECT_TRUE(bucket.take(t + 334));
}

TEST(TokenBucket, RefillStopsAtTheBurst) {
  TokenBucket bucket(TokenRate::per_second(10), 2, 0);
  EXPECT_TRUE(bucket.take(0, 2));
  EXPECT_EQ(bucket.available(24 * 3600 * kSecond), 2u);
}

TEST(TokenBucket, CostAboveTheBurstIsAlwaysRefused) {
  TokenBucket bucket(TokenRate::per_second(100), 5, 0);
  EXPECT_FALSE(bucket.take(1000 * kSecond, 6));
  EXPECT_TRUE(bucket.take(1000 * kSecond, 5));
}

TEST(TokenBucket, ClockGoingBackwardsAddsNothing) {
  TokenBucket bucket(TokenRate::per_second(1), 1, 10 * kSecond);
  EXPECT_TRUE(bucket.take(10 * kSecond));
  EXPECT_FALSE(bucket.take(0));
  EXPECT_FALSE(bucket.take(10 * kSecond + kSecond - 1));
  EXPECT_TRUE(bucket.take(11 * kSecond));
}

TEST(TokenBucket, BoundsAndExtremes) {
  EXPECT_TRUE(
      valid_token_bucket(TokenRate{kMaxTokenBucketRate, kMaxTokenBucketPeriodNs}, kMaxTokenBucketBurst));
  EXPECT_FALSE(valid_token_bucket(TokenRate{kMaxTokenBucketRate + 1, kSecond}, 1));
  EXPECT_FALSE(valid_token_bucket(TokenRate{1, kMaxTokenBucketPeriodNs + 1}, 1));
  EXPECT_FALSE(valid_token_bucket(TokenRate{1, kSecond}, kMaxTokenBucketBurst + 1));
  EXPECT_FALSE(valid_token_bucket(TokenRate{0, kSecond}, 1));
  EXPECT_FALSE(valid_token_bucket(TokenRate{1, 0}, 1));
  EXPECT_FALSE(valid_token_bucket(TokenRate{1, kSecond}, 0));

  // The largest burst over the longest period, refilled from empty across the whole int64
  // range: no overflow, and the bucket is full again.
  TokenBucket big(TokenRate{1, kMaxTokenBucketPeriodNs}, kMaxTokenBucketBurst, INT64_MIN);
  EXPECT_TRUE(big.take(INT64_MIN, kMaxTokenBucketBurst));
  EXPECT_EQ(big.available(INT64_MAX), kMaxTokenBucketBurst);
  TokenBucket fast(TokenRate{kMaxTokenBucketRate, 1}, kMaxTokenBucketBurst, 0);
  EXPECT_TRUE(fast.take(0, kMaxTokenBucketBurst));
  EXPECT_EQ(fast.available(1), kMaxTokenBucketBurst);  // 1e6 tokens per ns
}

TEST(TokenBucket, WaitIsTheTimeUntilTakeSucceeds) {
  TokenBucket bucket(TokenRate::per_second(10), 2, 0);  // one token per 100 ms
  EXPECT_EQ(bucket.wait_ns(0, 2), 0);
  ASSERT_TRUE(bucket.take(0, 2));
  EXPECT_EQ(bucket.wait_ns(0), kSecond / 10);
  EXPECT_EQ(bucket.wait_ns(0, 2), 2 * kSecond / 10);
  EXPECT_EQ(bucket.wait_ns(kSecond / 10 - 1), 1);  // waiting takes nothing
  EXPECT_FALSE(bucket.take(kSecond / 10 - 1));
  EXPECT_EQ(bucket.wait_ns(kSecond / 10), 0);
  EXPECT_TRUE(bucket.take(kSecond / 10));
  EXPECT_EQ(bucket.wait_ns(kSecond, 3), -1) << "over the burst: never";
}

}  // namespace
}  // namespace cairn
