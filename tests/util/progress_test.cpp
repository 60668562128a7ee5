#include "util/progress.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace cairn {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(Progress, PercentIsRoundedDownAndDurationsAreShort) {
  EXPECT_EQ(progress_percent(0, 1000), "0.0%");
  EXPECT_EQ(progress_percent(452, 1000), "45.2%");
  EXPECT_EQ(progress_percent(9999, 10000), "99.9%");  // never 100.0% before the end
  EXPECT_EQ(progress_percent(10000, 10000), "100.0%");
  EXPECT_EQ(progress_percent(0, 0), "100.0%");
  EXPECT_EQ(progress_percent(UINT64_MAX - 1, UINT64_MAX), "99.9%");
  EXPECT_EQ(format_duration(12), "12s");
  EXPECT_EQ(format_duration(247), "4m07s");
  EXPECT_EQ(format_duration(7500), "2h05m");
  EXPECT_EQ(format_duration(-3), "0s");
}

TEST(RateWindow, NoRateUntilTwoSamplesSpanTime) {
  RateWindow rate(10 * kSecond);
  EXPECT_EQ(rate.per_second(5 * kSecond), 0.0);
  EXPECT_FALSE(rate.eta_seconds(5 * kSecond, 100).has_value());
  rate.record(kSecond, 0);
  EXPECT_EQ(rate.per_second(kSecond), 0.0);
  EXPECT_FALSE(rate.eta_seconds(kSecond, 100).has_value());
}

TEST(RateWindow, RateIsTheWorkSinceTheBaselineOverItsTime) {
  RateWindow rate(10 * kSecond);
  rate.record(0, 0);
  rate.record(2 * kSecond, 40);
  rate.record(4 * kSecond, 80);
  EXPECT_DOUBLE_EQ(rate.per_second(4 * kSecond), 20.0);
  EXPECT_EQ(rate.eta_seconds(4 * kSecond, 100), 5);
  EXPECT_EQ(rate.eta_seconds(4 * kSecond, 0), 0);
  // Time passing without work lowers the rate: 80 units over 8 s.
  EXPECT_DOUBLE_EQ(rate.per_second(8 * kSecond), 10.0);
}

TEST(RateWindow, FollowsTheRecentSpeedNotTheWholeRun) {
  RateWindow rate(10 * kSecond);
  rate.record(0, 0);
  for (int64_t t = 1; t <= 20; ++t) rate.record(t * kSecond, static_cast<uint64_t>(t) * 100);  // 100/s
  for (int64_t t = 21; t <= 40; ++t) rate.record(t * kSecond, 2000 + static_cast<uint64_t>(t - 20) * 10);
  // The last 10 s ran at 10/s; the whole run averaged 55/s.
  EXPECT_DOUBLE_EQ(rate.per_second(40 * kSecond), 10.0);
  EXPECT_EQ(rate.eta_seconds(40 * kSecond, 50), 5);
  // Nothing within the window: no rate, no ETA.
  EXPECT_EQ(rate.per_second(100 * kSecond), 0.0);
  EXPECT_FALSE(rate.eta_seconds(100 * kSecond, 50).has_value());
}

TEST(RateWindow, IgnoresSamplesGoingBackwards) {
  RateWindow rate(10 * kSecond);
  rate.record(0, 0);
  rate.record(2 * kSecond, 20);
  rate.record(kSecond, 100);     // earlier time
  rate.record(3 * kSecond, 10);  // smaller total
  EXPECT_DOUBLE_EQ(rate.per_second(2 * kSecond), 10.0);
}

}  // namespace
}  // namespace cairn
