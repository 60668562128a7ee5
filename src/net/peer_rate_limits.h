// Per-peer, per-protocol rate limits: one token bucket for each (peer, protocol kind),
// refilled at the rate in kPeerRateTable (docs/network.md "Rate limits" holds the same
// table with reasons). A gossip message over its bucket is dropped and counted per kind
// (metrics); a request over its bucket is served later (pace()), and dropped, counted and
// reported as Misbehavior::rate_limit_exceeded only when the wait would be too long.
//
// A peer's buckets are made on its first message and forgotten by remove_peer (on
// disconnect); at most `max_peers` peers are tracked, the one idle longest is forgotten
// first (connected peers are far fewer than kMaxRateLimitedPeers).
//
// Times are nanoseconds of the monotonic clock (util/clock.h Clock::monotonic_nanos).
// Thread-safe: every member function may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string_view>

#include "net/identity.h"
#include "util/thread_annotations.h"
#include "util/token_bucket.h"

namespace cairn::net {

// DO NOT REORDER: indexes kPeerRateTable and the drop counters.
enum class ProtocolKind : uint8_t {
  status,        // /cairn/<net>/status: the handshake, and refreshes once a minute
  headers,       // /cairn/<net>/headers requests
  blocks,        // /cairn/<net>/blocks: cost = blocks asked for
  blocktxn,      // /cairn/<net>/blocktxn requests
  tx,            // tx gossip messages
  vote,          // vote gossip messages
  block_gossip,  // compact block gossip messages
  kCount,
};
std::string_view to_string(ProtocolKind kind);

struct PeerRate {
  TokenRate rate;
  uint32_t burst;
};

inline constexpr std::array<PeerRate, static_cast<size_t>(ProtocolKind::kCount)> kPeerRateTable{{
    {TokenRate::per_minute(2), 4},         // status: a reconnecting peer, not a loop
    {TokenRate::per_second(10), 40},       // headers: 2000 headers each; a syncing peer asks in turn
    {TokenRate::per_second(1000), 1024},   // blocks: a syncing peer, paced rather than refused
    {TokenRate::per_second(10), 50},       // blocktxn: one per compact block missing transactions
    {TokenRate::per_second(1000), 10000},  // tx: a busy mempool relaying to us, bursts included
    {TokenRate::per_second(200), 2000},    // vote: every validator votes each checkpoint
    {TokenRate::per_second(10), 100},      // block gossip: minutes apart on mainnet; regtest bursts
}};

inline constexpr size_t kMaxRateLimitedPeers = 4096;

class PeerRateLimits {
 public:
  explicit PeerRateLimits(size_t max_peers = kMaxRateLimitedPeers);

  // Takes `cost` tokens from the peer's bucket for `kind`; false (counted as a drop) when it
  // holds fewer.
  bool admit(const PeerId& peer, ProtocolKind kind, int64_t now_ns, uint32_t cost = 1) EXCLUDES(mutex_);
  // For requests: takes `cost` tokens and returns 0 when the bucket holds them; else
  // returns the nanoseconds to wait before asking again (nothing taken, no drop counted),
  // or -1 when it can never hold them (counted as a drop).
  int64_t pace(const PeerId& peer, ProtocolKind kind, int64_t now_ns, uint32_t cost = 1) EXCLUDES(mutex_);
  // Counts a drop of `kind` (a request whose wait was too long).
  void count_drop(ProtocolKind kind) EXCLUDES(mutex_);
  void remove_peer(const PeerId& peer) EXCLUDES(mutex_);

  // Messages dropped per kind since start.
  std::array<uint64_t, static_cast<size_t>(ProtocolKind::kCount)> drops() const EXCLUDES(mutex_);
  size_t tracked_peers() const EXCLUDES(mutex_);

 private:
  struct PeerBuckets {
    PeerId peer;
    std::array<std::optional<TokenBucket>, static_cast<size_t>(ProtocolKind::kCount)> buckets;  // made on use
  };
  using Lru = std::list<PeerBuckets>;  // most recently used first

  TokenBucket& bucket(const PeerId& peer, ProtocolKind kind, int64_t now_ns) REQUIRES(mutex_);

  const size_t max_peers_;
  mutable Mutex mutex_;
  Lru lru_ GUARDED_BY(mutex_);
  std::map<PeerId, Lru::iterator> index_ GUARDED_BY(mutex_);
  std::array<uint64_t, static_cast<size_t>(ProtocolKind::kCount)> drops_ GUARDED_BY(mutex_){};
};

}  // namespace cairn::net
