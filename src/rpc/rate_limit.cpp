#include "rpc/rate_limit.h"

#include <cassert>

namespace cairn::rpc {

namespace {
int64_t nanoseconds(RateLimiter::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

RateLimiter::RateLimiter(RateLimit limit, size_t max_clients) : limit_(limit), max_clients_(max_clients) {
  assert(limit.rate_per_second >= 1 && limit.rate_per_second <= kMaxRatePerSecond);
  assert(limit.burst >= 1 && limit.burst <= kMaxBurst);
  assert(max_clients >= 1);
}

RateLimiter::Lru::iterator RateLimiter::find_or_add(std::string_view client, int64_t now_ns) {
  if (auto it = index_.find(client); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid
    return it->second;
  }
  if (lru_.size() >= max_clients_) {
    index_.erase(lru_.back().client);
    lru_.pop_back();
  }
  lru_.push_front(Bucket{std::string(client),
                         TokenBucket(TokenRate::per_second(limit_.rate_per_second), limit_.burst, now_ns)});
  index_.emplace(lru_.front().client, lru_.begin());
  return lru_.begin();
}

bool RateLimiter::admit(std::string_view client, Clock::time_point now) {
  const int64_t now_ns = nanoseconds(now);
  MutexLock lock(mutex_);
  return find_or_add(client, now_ns)->tokens.take(now_ns);
}

size_t RateLimiter::tracked_clients() const {
  MutexLock lock(mutex_);
  return lru_.size();
}

}  // namespace cairn::rpc
