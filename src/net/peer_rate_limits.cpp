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

bool PeerRateLimits::admit(const PeerId& peer, ProtocolKind kind, int64_t now_ns, uint32_t cost) {
  const auto k = static_cast<size_t>(kind);
  assert(k < kPeerRateTable.size());
  MutexLock lock(mutex_);
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
  auto& bucket = it->second->buckets[k];
  if (!bucket) bucket.emplace(kPeerRateTable[k].rate, kPeerRateTable[k].burst, now_ns);
  if (bucket->take(now_ns, cost)) return true;
  ++drops_[k];
  return false;
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
