// Per-client token buckets (api.h AdmitFn): each client (Caller::client, a user name or a
// remote IP) may make `burst` requests at once and `rate` per second on average.
//
// The clients tracked are bounded: when a new client arrives and the table is full, the one
// idle longest is forgotten (and so starts again with a full bucket when it returns). Time is
// passed in, so tests are deterministic; the buckets are util/token_bucket.h's (integer
// arithmetic, so refills never drift).
//
// Thread-safe: every member function may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/thread_annotations.h"
#include "util/token_bucket.h"

namespace cairn::rpc {

inline constexpr size_t kDefaultMaxRateLimitedClients = 4096;
// Upper bounds that keep the fixed-point arithmetic far from overflow.
inline constexpr uint32_t kMaxRatePerSecond = kMaxTokenBucketRate;
inline constexpr uint32_t kMaxBurst = kMaxTokenBucketBurst;

struct RateLimit {
  uint32_t rate_per_second = 0;  // 1..kMaxRatePerSecond
  uint32_t burst = 0;            // 1..kMaxBurst: a new client's bucket, and the most it refills to
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: limit within the bounds above (cairnd validates its options), max_clients > 0.
  explicit RateLimiter(RateLimit limit, size_t max_clients = kDefaultMaxRateLimitedClients);

  // Takes a token from `client`'s bucket: false when it is empty.
  bool admit(std::string_view client, Clock::time_point now) EXCLUDES(mutex_);
  bool admit(std::string_view client) EXCLUDES(mutex_) { return admit(client, Clock::now()); }

  size_t tracked_clients() const EXCLUDES(mutex_);

 private:
  struct Bucket {
    std::string client;
    TokenBucket tokens;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  Lru::iterator find_or_add(std::string_view client, int64_t now_ns) REQUIRES(mutex_);

  const RateLimit limit_;
  const size_t max_clients_;
  mutable Mutex mutex_;
  Lru lru_ GUARDED_BY(mutex_);
  std::unordered_map<std::string_view, Lru::iterator> index_ GUARDED_BY(mutex_);  // views of Bucket::client
};

}  // namespace cairn::rpc
