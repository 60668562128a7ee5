#include "net/gossipsub_score.h"

#include <algorithm>

namespace cairn::net {

void PeerScore::add_peer(const PeerId& peer) {
  PeerStats& stats = peers_[peer];
  stats.connected = true;
}

void PeerScore::set_ip(const PeerId& peer, const std::string& ip) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.ip == ip) return;
  forget_ip(peer, it->second);
  it->second.ip = ip;
  if (!ip.empty()) peers_by_ip_[ip].insert(peer);
}

void PeerScore::forget_ip(const PeerId& peer, const PeerStats& stats) {
  auto it = peers_by_ip_.find(stats.ip);
  if (it == peers_by_ip_.end()) return;
  // find + erase(iterator): GCC 12 warns wrongly (-Wstringop-overread) on erase(key) here.
  if (auto member = it->second.find(peer); member != it->second.end()) it->second.erase(member);
  if (it->second.empty()) peers_by_ip_.erase(it);
}

void PeerScore::remove_peer(const PeerId& peer, int64_t now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  // A peer that leaves the mesh by disconnecting gets the P3 deficit as a failure penalty,
  // as if it had been pruned (the spec's "sticky" mesh failure).
  for (auto& [topic, stats] : it->second.topics) {
    if (stats.in_mesh) prune(peer, topic);
  }
  it->second.connected = false;
  it->second.expire = now + params_.retain_score_ns;
}

PeerScore::TopicStats* PeerScore::topic_stats(const PeerId& peer, const std::string& topic) {
  if (!params_.topics.contains(topic)) return nullptr;
  auto it = peers_.find(peer);
  if (it == peers_.end()) return nullptr;
  return &it->second.topics[topic];
}

void PeerScore::graft(const PeerId& peer, const std::string& topic, int64_t now) {
  TopicStats* stats = topic_stats(peer, topic);
  if (stats == nullptr) return;
  stats->in_mesh = true;
  stats->graft_time = now;
  stats->mesh_active = false;
}

void PeerScore::prune(const PeerId& peer, const std::string& topic) {
  TopicStats* stats = topic_stats(peer, topic);
  if (stats == nullptr) return;
  const TopicScoreParams& p = params_.topics.at(topic);
  if (stats->mesh_active && stats->mesh_message_deliveries < p.mesh_message_deliveries_threshold) {
    const double deficit = p.mesh_message_deliveries_threshold - stats->mesh_message_deliveries;
    stats->mesh_failure_penalty += deficit * deficit;
  }
  stats->in_mesh = false;
  stats->mesh_active = false;
}

void PeerScore::first_delivery(const PeerId& peer, const std::string& topic) {
  TopicStats* stats = topic_stats(peer, topic);
  if (stats == nullptr) return;
  const TopicScoreParams& p = params_.topics.at(topic);
  stats->first_message_deliveries =
      std::min(p.first_message_deliveries_cap, stats->first_message_deliveries + 1);
  if (stats->in_mesh) {
    stats->mesh_message_deliveries =
        std::min(p.mesh_message_deliveries_cap, stats->mesh_message_deliveries + 1);
  }
}

void PeerScore::duplicate_delivery(const PeerId& peer, const std::string& topic, int64_t first_seen,
                                   int64_t now) {
  TopicStats* stats = topic_stats(peer, topic);
  if (stats == nullptr || !stats->in_mesh) return;
  const TopicScoreParams& p = params_.topics.at(topic);
  if (now - first_seen > p.mesh_message_deliveries_window_ns) return;
  stats->mesh_message_deliveries =
      std::min(p.mesh_message_deliveries_cap, stats->mesh_message_deliveries + 1);
}

void PeerScore::invalid_delivery(const PeerId& peer, const std::string& topic) {
  TopicStats* stats = topic_stats(peer, topic);
  if (stats == nullptr) return;
  stats->invalid_message_deliveries += 1;
}

void PeerScore::add_penalty(const PeerId& peer, double count) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) it->second.behaviour_penalty += count;
}

void PeerScore::decay_value(double& value, double factor) const {
  value *= factor;
  if (value < params_.decay_to_zero) value = 0;
}

void PeerScore::decay(int64_t now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    PeerStats& peer = it->second;
    if (!peer.connected && now >= peer.expire) {
      forget_ip(it->first, peer);
      it = peers_.erase(it);
      continue;
    }
    for (auto& [topic, stats] : peer.topics) {
      const TopicScoreParams& p = params_.topics.at(topic);
      decay_value(stats.first_message_deliveries, p.first_message_deliveries_decay);
      decay_value(stats.mesh_message_deliveries, p.mesh_message_deliveries_decay);
      decay_value(stats.mesh_failure_penalty, p.mesh_failure_penalty_decay);
      decay_value(stats.invalid_message_deliveries, p.invalid_message_deliveries_decay);
      if (stats.in_mesh && now - stats.graft_time >= p.mesh_message_deliveries_activation_ns) {
        stats.mesh_active = true;
      }
    }
    decay_value(peer.behaviour_penalty, params_.behaviour_penalty_decay);
    ++it;
  }
}

double PeerScore::score(const PeerId& peer, int64_t now) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  const PeerStats& stats = it->second;
  double topics_score = 0;
  for (const auto& [topic, t] : stats.topics) {
    const TopicScoreParams& p = params_.topics.at(topic);
    double topic_score = 0;
    if (t.in_mesh) {
      const double quanta =
          static_cast<double>(now - t.graft_time) / static_cast<double>(p.time_in_mesh_quantum_ns);
      topic_score += p.time_in_mesh_weight * std::min(quanta, p.time_in_mesh_cap);
    }
    topic_score += p.first_message_deliveries_weight * t.first_message_deliveries;
    if (t.mesh_active && t.mesh_message_deliveries < p.mesh_message_deliveries_threshold) {
      const double deficit = p.mesh_message_deliveries_threshold - t.mesh_message_deliveries;
      topic_score += p.mesh_message_deliveries_weight * deficit * deficit;
    }
    topic_score += p.mesh_failure_penalty_weight * t.mesh_failure_penalty;
    topic_score +=
        p.invalid_message_deliveries_weight * t.invalid_message_deliveries * t.invalid_message_deliveries;
    topics_score += p.topic_weight * topic_score;
  }
  if (params_.topic_score_cap > 0) topics_score = std::min(topics_score, params_.topic_score_cap);
  double score = topics_score;
  if (params_.app_specific_score) score += params_.app_specific_weight * params_.app_specific_score(peer);
  score += params_.ip_colocation_factor_weight * ip_colocation_factor(stats);
  if (stats.behaviour_penalty > params_.behaviour_penalty_threshold) {
    const double excess = stats.behaviour_penalty - params_.behaviour_penalty_threshold;
    score += params_.behaviour_penalty_weight * excess * excess;
  }
  return score;
}

double PeerScore::ip_colocation_factor(const PeerStats& stats) const {
  if (stats.ip.empty() || params_.ip_colocation_factor_whitelist.contains(stats.ip)) return 0;
  const auto sharing = peers_by_ip_.find(stats.ip);
  if (sharing == peers_by_ip_.end()) return 0;
  const double surplus = static_cast<double>(sharing->second.size()) - params_.ip_colocation_factor_threshold;
  return surplus > 0 ? surplus * surplus : 0;
}

}  // namespace cairn::net
