#include "util/token_bucket.h"

#include <algorithm>
#include <cassert>

namespace cairn {

TokenBucket::TokenBucket(TokenRate rate, uint32_t burst, int64_t now_ns)
    : rate_units_per_ns_(rate.tokens),
      units_per_token_(static_cast<uint64_t>(rate.period_ns)),
      capacity_(static_cast<uint64_t>(burst) * static_cast<uint64_t>(rate.period_ns)),
      units_(capacity_),
      last_ns_(now_ns) {
  assert(valid_token_bucket(rate, burst));
}

void TokenBucket::refill(int64_t now_ns) {
  if (now_ns <= last_ns_) return;
  // The difference of two int64 readings fits in uint64 even at the extremes.
  const uint64_t elapsed = static_cast<uint64_t>(now_ns) - static_cast<uint64_t>(last_ns_);
  last_ns_ = now_ns;
  // Past this the bucket is full anyway; capping first keeps the product below 2^63
  // (capacity_ <= 1e6 * 3.6e12 and rate <= 1e6).
  const uint64_t time_to_fill = capacity_ / rate_units_per_ns_ + 1;
  const uint64_t added = std::min(elapsed, time_to_fill) * rate_units_per_ns_;
  units_ = std::min(capacity_, units_ + added);
}

bool TokenBucket::take(int64_t now_ns, uint32_t cost) {
  refill(now_ns);
  // cost <= 2^32 and units_per_token_ <= 3.6e12: no overflow.
  const uint64_t needed = static_cast<uint64_t>(cost) * units_per_token_;
  if (units_ < needed) return false;
  units_ -= needed;
  return true;
}

int64_t TokenBucket::wait_ns(int64_t now_ns, uint32_t cost) {
  refill(now_ns);
  const uint64_t needed = static_cast<uint64_t>(cost) * units_per_token_;
  if (needed > capacity_) return -1;
  if (units_ >= needed) return 0;
  // Below capacity_ / rate + 1 nanoseconds (see refill), so it fits in int64.
  return static_cast<int64_t>((needed - units_ + rate_units_per_ns_ - 1) / rate_units_per_ns_);
}

uint32_t TokenBucket::available(int64_t now_ns) {
  refill(now_ns);
  return static_cast<uint32_t>(units_ / units_per_token_);
}

}  // namespace cairn
