// A token bucket in integer fixed point: `burst` tokens at most, refilled at `rate.tokens`
// per `rate.period_ns`, one token taken per admitted unit of work.
//
// One token is `rate.period_ns` units, and each elapsed nanosecond adds `rate.tokens`
// units, so refills are exact (no rounding, no drift, however often the bucket is asked).
// The bounds below keep every product under 2^63. Time is passed in (nanoseconds of a
// monotonic clock, util/clock.h), so tests are deterministic; a reading earlier than the
// last one adds nothing (a clock read on another thread may lag).
//
// Thread-compatible: a value type; callers that share one lock around it.
#pragma once

#include <cstdint>

namespace cairn {

inline constexpr uint32_t kMaxTokenBucketRate = 1'000'000;             // tokens per period
inline constexpr uint32_t kMaxTokenBucketBurst = 1'000'000;            // tokens
inline constexpr int64_t kMaxTokenBucketPeriodNs = 3'600'000'000'000;  // one hour

struct TokenRate {
  uint32_t tokens = 0;    // 1..kMaxTokenBucketRate
  int64_t period_ns = 0;  // 1..kMaxTokenBucketPeriodNs

  static constexpr TokenRate per_second(uint32_t tokens) { return {tokens, 1'000'000'000}; }
  static constexpr TokenRate per_minute(uint32_t tokens) { return {tokens, 60'000'000'000}; }
};

// True when `rate` and `burst` are within the bounds above (callers validate options with it).
constexpr bool valid_token_bucket(TokenRate rate, uint32_t burst) {
  return rate.tokens >= 1 && rate.tokens <= kMaxTokenBucketRate && rate.period_ns >= 1 &&
         rate.period_ns <= kMaxTokenBucketPeriodNs && burst >= 1 && burst <= kMaxTokenBucketBurst;
}

class TokenBucket {
 public:
  // Starts full. REQUIRES: valid_token_bucket(rate, burst).
  TokenBucket(TokenRate rate, uint32_t burst, int64_t now_ns);

  // Takes `cost` tokens if the bucket holds that many after refilling to `now_ns`; a refusal
  // takes nothing. A cost above the burst is always refused.
  bool take(int64_t now_ns, uint32_t cost = 1);
  // Whole tokens available at `now_ns` (refills first).
  uint32_t available(int64_t now_ns);
  // Nanoseconds from `now_ns` until take(cost) would succeed: 0 if it would now; -1 if
  // never (a cost above the burst). Takes nothing.
  int64_t wait_ns(int64_t now_ns, uint32_t cost = 1);

 private:
  void refill(int64_t now_ns);

  uint64_t rate_units_per_ns_;  // rate.tokens
  uint64_t units_per_token_;    // rate.period_ns
  uint64_t capacity_;           // burst * units_per_token_
  uint64_t units_;              // 0..capacity_
  int64_t last_ns_;
};

}  // namespace cairn
