#include "net/peer_manager.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <tuple>

#include "net/address_group.h"

namespace cairn::net {

namespace {

bool backoff_passed(int64_t last_attempt, uint32_t failures, int64_t now) {
  return last_attempt == 0 || now >= last_attempt + retry_delay(failures);
}

}  // namespace

int64_t retry_delay(uint32_t failures) {
  if (failures == 0) return kMinRetrySeconds;
  // Doubling per failure; the shift is capped so it cannot overflow.
  const uint32_t doublings = std::min<uint32_t>(failures - 1, 30);
  return std::max(kMinRetrySeconds, std::min(kMaxRetryBackoffSeconds, kRetryBackoffBaseSeconds << doublings));
}

PeerManager::PeerManager(PeerStore& store, const BanScores& bans, PeerManagerOptions options)
    : store_(store),
      bans_(bans),
      max_outbound_(options.max_outbound),
      feeler_interval_(options.feeler_interval) {
  auto add = [this](const std::vector<Multiaddr>& list, PeerSource source) {
    for (size_t i = 0; i < list.size() && i < kMaxBootstrapAddresses; ++i) {
      auto group = address_group(list[i]);
      if (group) bootstrap_.push_back(BootstrapEntry{list[i], std::move(*group), source, 0, 0, std::nullopt});
    }
  };
  add(options.bootstrap, PeerSource::bootstrap);
  add(options.seeds, PeerSource::seed);
}

size_t PeerManager::outbound_wanted(size_t outbound_connected) const {
  return outbound_connected >= max_outbound_ ? 0 : max_outbound_ - outbound_connected;
}

bool PeerManager::eligible(const KnownPeer& peer, const std::string& group,
                           const std::set<std::string>& used_groups, const std::set<PeerId>& busy,
                           int64_t now) const {
  return !used_groups.contains(group) && !busy.contains(peer.peer) &&
         backoff_passed(peer.last_attempt, peer.failures, now) && !bans_.is_banned(peer.peer, now) &&
         !bans_.is_group_banned(group, now);
}

std::optional<DialCandidate> PeerManager::select_bootstrap(const std::set<std::string>& used_groups,
                                                           const std::set<PeerId>& busy, int64_t now) const {
  // In order: the operator's --bootstrap list first, then the seeds.
  for (const auto& entry : bootstrap_) {
    const auto peer = entry.address.peer_id();
    if (used_groups.contains(entry.group) || bans_.is_group_banned(entry.group, now)) continue;
    if (peer && (busy.contains(*peer) || bans_.is_banned(*peer, now))) continue;
    // An address without /p2p that answered before is skipped while that peer is connected.
    if (entry.answered && (busy.contains(*entry.answered) || bans_.is_banned(*entry.answered, now))) continue;
    if (!backoff_passed(entry.last_attempt, entry.failures, now)) continue;
    return DialCandidate{peer, entry.address, entry.group, false, true};
  }
  return std::nullopt;
}

std::optional<DialCandidate> PeerManager::select_outbound(const std::set<std::string>& used_groups,
                                                          const std::set<PeerId>& busy, int64_t now,
                                                          Rng& rng) const {
  // Tiers: 0 = connected recently, 1 = connected once, 2 = never connected.
  std::array<std::vector<std::pair<const KnownPeer*, std::string>>, 3> tiers;
  bool any_success = false;
  for (const auto& [id, peer] : store_.peers()) {
    any_success = any_success || peer.last_success != 0;
    auto group = address_group(peer.addresses.front());
    if (!group || !eligible(peer, *group, used_groups, busy, now)) continue;
    const size_t tier = peer.last_success == 0 ? 2 : now - peer.last_success <= kRecentSuccessSeconds ? 0 : 1;
    tiers[tier].emplace_back(&peer, std::move(*group));
  }
  if (!any_success) {
    if (auto candidate = select_bootstrap(used_groups, busy, now)) return candidate;
  }
  for (const auto& tier : tiers) {
    if (tier.empty()) continue;
    const auto& [peer, group] = tier[rng.uniform(tier.size())];
    auto address = peer->addresses.front().with_peer_id(peer->peer);
    if (!address) continue;  // too long with /p2p: try another tier rather than dial blind
    return DialCandidate{peer->peer, std::move(*address), group, false, false};
  }
  return select_bootstrap(used_groups, busy, now);
}

std::optional<DialCandidate> PeerManager::select_feeler(const std::set<std::string>& used_groups,
                                                        const std::set<PeerId>& busy, int64_t now, Rng& rng) {
  if (feeler_interval_ <= 0 || now < next_feeler_) return std::nullopt;
  next_feeler_ = now + feeler_interval_;
  std::vector<std::pair<const KnownPeer*, std::string>> untested;
  for (const auto& [id, peer] : store_.peers()) {
    if (peer.last_success != 0) continue;
    auto group = address_group(peer.addresses.front());
    if (group && eligible(peer, *group, used_groups, busy, now))
      untested.emplace_back(&peer, std::move(*group));
  }
  if (untested.empty()) return std::nullopt;
  const auto& [peer, group] = untested[rng.uniform(untested.size())];
  auto address = peer->addresses.front().with_peer_id(peer->peer);
  if (!address) return std::nullopt;
  return DialCandidate{peer->peer, std::move(*address), group, true, false};
}

PeerManager::BootstrapEntry* PeerManager::find_bootstrap(const Multiaddr& address) {
  const auto it = std::find_if(bootstrap_.begin(), bootstrap_.end(),
                               [&](const BootstrapEntry& e) { return e.address == address; });
  return it == bootstrap_.end() ? nullptr : &*it;
}

void PeerManager::on_dial_started(const DialCandidate& candidate, int64_t now) {
  if (candidate.bootstrap) {
    if (auto* entry = find_bootstrap(candidate.address)) entry->last_attempt = now;
  }
  if (candidate.peer) store_.mark_attempt(*candidate.peer, now);
}

void PeerManager::on_dial_succeeded(const DialCandidate& candidate, const PeerId& peer, int64_t now) {
  if (candidate.bootstrap) {
    if (auto* entry = find_bootstrap(candidate.address)) {
      entry->failures = 0;
      entry->answered = peer;
      store_.add(peer, {candidate.address}, entry->source, now);
    }
  }
  store_.mark_attempt(peer, now);  // a bootstrap peer just added has no attempt yet
  store_.mark_success(peer, now);
}

void PeerManager::on_dial_failed(const DialCandidate& candidate, int64_t now) {
  if (candidate.bootstrap) {
    if (auto* entry = find_bootstrap(candidate.address); entry && entry->failures < UINT32_MAX)
      ++entry->failures;
  }
  if (!candidate.peer) return;
  store_.mark_failure(*candidate.peer, now);
  const KnownPeer* known = store_.find(*candidate.peer);
  if (known && known->last_success == 0 && known->failures >= kForgetAfterFailures)
    store_.remove(*candidate.peer);
}

namespace {

// Removes from `candidates` up to `count` of those ordered first by `better` (a strict
// order; ties broken by peer id so the result does not depend on the input order), and
// only those that `qualify` (a peer that never measured or delivered anything must not win
// protection on the tie-break: peer ids are free to grind).
template <class Better, class Qualifies>
void protect(std::vector<InboundCandidate>& candidates, size_t count, Better better, Qualifies qualifies) {
  count =
      std::min(count, static_cast<size_t>(std::count_if(candidates.begin(), candidates.end(), qualifies)));
  std::sort(candidates.begin(), candidates.end(), [&](const InboundCandidate& a, const InboundCandidate& b) {
    if (better(a, b)) return true;
    if (better(b, a)) return false;
    return a.peer < b.peer;
  });
  candidates.erase(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace

std::optional<PeerId> select_inbound_to_evict(std::vector<InboundCandidate> candidates) {
  protect(
      candidates, kEvictionProtectByPing,
      [](const InboundCandidate& a, const InboundCandidate& b) { return a.min_ping_ns < b.min_ping_ns; },
      [](const InboundCandidate& c) { return c.min_ping_ns != INT64_MAX; });
  protect(
      candidates, kEvictionProtectByTransactions,
      [](const InboundCandidate& a, const InboundCandidate& b) {
        return a.last_transaction_time > b.last_transaction_time;
      },
      [](const InboundCandidate& c) { return c.last_transaction_time != 0; });
  protect(
      candidates, kEvictionProtectByBlocks,
      [](const InboundCandidate& a, const InboundCandidate& b) {
        return a.last_block_time > b.last_block_time;
      },
      [](const InboundCandidate& c) { return c.last_block_time != 0; });
  protect(
      candidates, candidates.size() / 2,
      [](const InboundCandidate& a, const InboundCandidate& b) {
        return a.connected_since < b.connected_since;
      },
      [](const InboundCandidate&) { return true; });
  if (candidates.empty()) return std::nullopt;

  // The group with the most connections; ties go to the group with the youngest connection
  // (Bitcoin Core's rule: an attacker's fresh connections are the likeliest to be his).
  std::map<std::string, std::vector<const InboundCandidate*>> groups;
  for (const auto& c : candidates) groups[c.group].push_back(&c);
  auto youngest = [](const std::vector<const InboundCandidate*>& members) {
    int64_t t = INT64_MIN;
    for (const auto* m : members) t = std::max(t, m->connected_since);
    return t;
  };
  const auto chosen = std::max_element(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
    return std::tuple(a.second.size(), youngest(a.second)) < std::tuple(b.second.size(), youngest(b.second));
  });
  const auto victim = std::max_element(chosen->second.begin(), chosen->second.end(),
                                       [](const InboundCandidate* a, const InboundCandidate* b) {
                                         return std::tuple(a->ban_score, a->connected_since, a->peer) <
                                                std::tuple(b->ban_score, b->connected_since, b->peer);
                                       });
  return (*victim)->peer;
}

}  // namespace cairn::net
