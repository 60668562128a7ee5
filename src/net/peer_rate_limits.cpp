#include "net/peer_rate_limits.h"

#include <cassert>

namespace cairn::net {

namespace {
constexpr bool table_valid() {
  for (const auto& row : kPeerRateTable) {
    if (!valid_token_bucket(row.rate, row.burst)) return false;
  }
  return true;
}
static_assert(table_valid(), "every rate in kPeerRateTable is within the token bucket's bounds");
}  // namespace

std::string_view to_string(ProtocolKind kind) {
  switch (kind) {
    case ProtocolKind::status:
      return "status";
    case ProtocolKind::headers:
      return "headers";
    case ProtocolKind::blocks:
      return "blocks";
    case ProtocolKind::blocktxn:
      return "blocktxn";
    case ProtocolKind::tx:
      return "tx";
    case ProtocolKind::vote:
      return "vote";
    case ProtocolKind::block_gossip:
      return "block_gossip";
    case ProtocolKind::kCount:
      break;
  }
  return "unknown";
}

PeerRateLimits::PeerRateLimits(size_t max_peers) : max_peers_(max_peers) { assert(max_peers >= 1); }

TokenBucket& PeerRateLimits::bucket(const PeerId& peer, ProtocolKind kind, int64_t now_ns) {
  const auto k = static_cast<size_t>(kind);
  assert(k < kPeerRateTable.size());
  auto it = index_.find(peer);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid
  } else {
    if (lru_.size() >= max_peers_) {
      // find + erase(iterator): GCC 12 warns wrongly (-Wstringop-overread) on erase(key).
      index_.erase(index_.find(lru_.back().peer));
      lru_.pop_back();
    }
    lru_.push_front(PeerBuckets{peer, {}});
    it = index_.emplace(peer, lru_.begin()).first;
  }
  auto& slot = it->second->buckets[k];
  if (!slot) slot.emplace(kPeerRateTable[k].rate, kPeerRateTable[k].burst, now_ns);
  return *slot;
}

bool PeerRateLimits::admit(const PeerId& peer, ProtocolKind kind, int64_t now_ns, uint32_t cost) {
  MutexLock lock(mutex_);
  if (bucket(peer, kind, now_ns).take(now_ns, cost)) return true;
  ++drops_[static_cast<size_t>(kind)];
  return false;
}

int64_t PeerRateLimits::pace(const PeerId& peer, ProtocolKind kind, int64_t now_ns, uint32_t cost) {
  MutexLock lock(mutex_);
  TokenBucket& tokens = bucket(peer, kind, now_ns);
  const int64_t wait = tokens.wait_ns(now_ns, cost);
  if (wait == 0) {
    [[maybe_unused]] const bool taken = tokens.take(now_ns, cost);
    assert(taken);
  } else if (wait < 0) {
    ++drops_[static_cast<size_t>(kind)];
  }
  return wait;
}

void PeerRateLimits::count_drop(ProtocolKind kind) {
  MutexLock lock(mutex_);
  ++drops_[static_cast<size_t>(kind)];
}

void PeerRateLimits::remove_peer(const PeerId& peer) {
  MutexLock lock(mutex_);
  if (auto it = index_.find(peer); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

std::array<uint64_t, static_cast<size_t>(ProtocolKind::kCount)> PeerRateLimits::drops() const {
  MutexLock lock(mutex_);
  return drops_;
}

size_t PeerRateLimits::tracked_peers() const {
  MutexLock lock(mutex_);
  return lru_.size();
}

}  // namespace cairn::net
