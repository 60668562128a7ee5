#include "rpc/rate_limit.h"

#include <algorithm>
#include <cassert>

namespace cairn::rpc {

namespace {
constexpr uint64_t kUnitsPerToken = 1'000'000'000;  // one unit per nanosecond at 1 token/s
}  // namespace

RateLimiter::RateLimiter(RateLimit limit, size_t max_clients)
    : rate_(limit.rate_per_second),
      capacity_(static_cast<uint64_t>(limit.burst) * kUnitsPerToken),
      max_clients_(max_clients) {
  assert(limit.rate_per_second >= 1 && limit.rate_per_second <= kMaxRatePerSecond);
  assert(limit.burst >= 1 && limit.burst <= kMaxBurst);
  assert(max_clients >= 1);
}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.last) return;  // a clock read on another thread may lag this one
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - bucket.last).count();
  bucket.last = now;
  // Past this, the bucket is full anyway; capping first keeps the product below 2^64.
  const uint64_t time_to_fill = capacity_ / rate_ + 1;
  const uint64_t nanoseconds = std::min(static_cast<uint64_t>(elapsed), time_to_fill);
  bucket.tokens = std::min(capacity_, bucket.tokens + nanoseconds * rate_);
}

RateLimiter::Lru::iterator RateLimiter::find_or_add(std::string_view client, Clock::time_point now) {
  if (auto it = index_.find(client); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid
    return it->second;
  }
  if (lru_.size() >= max_clients_) {
    index_.erase(lru_.back().client);
    lru_.pop_back();
  }
  lru_.push_front(Bucket{std::string(client), capacity_, now});
  index_.emplace(lru_.front().client, lru_.begin());
  return lru_.begin();
}

bool RateLimiter::admit(std::string_view client, Clock::time_point now) {
  MutexLock lock(mutex_);
  auto bucket = find_or_add(client, now);
  refill(*bucket, now);
  if (bucket->tokens < kUnitsPerToken) return false;
  bucket->tokens -= kUnitsPerToken;
  return true;
}

size_t RateLimiter::tracked_clients() const {
  MutexLock lock(mutex_);
  return lru_.size();
}

}  // namespace cairn::rpc
