// Gossipsub v1.1 peer scoring (libp2p/specs pubsub/gossipsub/gossipsub-v1.1.md, "Peer
// Scoring"): a score per peer from per-topic counters P1-P4 and the global P5 and P7, decayed
// on every heartbeat, compared with the thresholds below by the router.
//
//   P1  time in mesh (capped), positive          P2  first message deliveries, positive
//   P3  mesh message delivery deficit, squared   P3b mesh failure penalty, squared
//   P4  invalid messages, squared                P5  application-specific (a callback)
//   P6  IP colocation: the surplus of peers sharing an IP over a threshold, squared
//   P7  behaviour penalty (broken IWANT promises, GRAFT during backoff), squared above a threshold
//
// The router does no I/O, so a peer's IP is told to it (set_ip) by whoever owns the
// connection. A peer's counters and IP are kept for retain_score after it disconnects, so
// reconnecting, or many identities taking turns on one IP, does not wipe a bad score.
// Time is monotonic nanoseconds, passed in by the router. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "net/identity.h"

namespace cairn::net {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

struct TopicScoreParams {
  double topic_weight = 1.0;
  // P1
  double time_in_mesh_weight = 0.01;
  int64_t time_in_mesh_quantum_ns = kNanosPerSecond;
  double time_in_mesh_cap = 3600;
  // P2
  double first_message_deliveries_weight = 1.0;
  double first_message_deliveries_decay = 0.5;
  double first_message_deliveries_cap = 2000;
  // P3: counted only after the peer has been in the mesh for the activation time
  double mesh_message_deliveries_weight = -1.0;
  double mesh_message_deliveries_decay = 0.5;
  double mesh_message_deliveries_cap = 100;
  double mesh_message_deliveries_threshold = 20;
  int64_t mesh_message_deliveries_window_ns = 10'000'000;  // 10 ms
  int64_t mesh_message_deliveries_activation_ns = 5 * kNanosPerSecond;
  // P3b
  double mesh_failure_penalty_weight = -1.0;
  double mesh_failure_penalty_decay = 0.5;
  // P4
  double invalid_message_deliveries_weight = -1.0;
  double invalid_message_deliveries_decay = 0.3;
};

struct PeerScoreParams {
  std::map<std::string, TopicScoreParams> topics;  // topics without an entry do not score
  double topic_score_cap = 0;                      // 0: no cap on the positive topic part
  std::function<double(const PeerId&)> app_specific_score;
  double app_specific_weight = 1.0;
  // P6; a weight of 0 turns it off (js-libp2p's tests on one host do exactly that).
  double ip_colocation_factor_weight = -1.0;
  // Peers per IP before the penalty starts: a little room for peers behind one NAT.
  double ip_colocation_factor_threshold = 3;
  std::set<std::string> ip_colocation_factor_whitelist;
  double behaviour_penalty_weight = -1.0;
  double behaviour_penalty_threshold = 0;
  double behaviour_penalty_decay = 0.9;
  // Counters that decay below this are set to zero.
  double decay_to_zero = 0.01;
  int64_t retain_score_ns = 3600 * kNanosPerSecond;
};

// The spec's thresholds; gossip >= publish >= graylist, all <= 0.
struct PeerScoreThresholds {
  double gossip_threshold = -10;
  double publish_threshold = -50;
  double graylist_threshold = -80;
  double accept_px_threshold = 10;
  double opportunistic_graft_threshold = 20;
};

class PeerScore {
 public:
  explicit PeerScore(PeerScoreParams params) : params_(std::move(params)) {}

  void add_peer(const PeerId& peer);
  // The IP (canonical text) `peer` is connected from, for P6; replaces an earlier one.
  void set_ip(const PeerId& peer, const std::string& ip);
  // Keeps the counters until retain_score has passed.
  void remove_peer(const PeerId& peer, int64_t now);

  void graft(const PeerId& peer, const std::string& topic, int64_t now);
  void prune(const PeerId& peer, const std::string& topic);

  // `peer` delivered a valid message first (P2, and P3 if it is in the topic's mesh).
  void first_delivery(const PeerId& peer, const std::string& topic);
  // A duplicate within the delivery window of the first one counts for P3 like a first.
  void duplicate_delivery(const PeerId& peer, const std::string& topic, int64_t first_seen, int64_t now);
  // The message failed validation or violated the topic's signature policy (P4).
  void invalid_delivery(const PeerId& peer, const std::string& topic);
  // P7: a broken promise or a protocol misbehaviour.
  void add_penalty(const PeerId& peer, double count);

  // Once per heartbeat (the decay interval is the heartbeat interval).
  void decay(int64_t now);
  double score(const PeerId& peer, int64_t now) const;

 private:
  struct TopicStats {
    bool in_mesh = false;
    int64_t graft_time = 0;
    bool mesh_active = false;
    double first_message_deliveries = 0;
    double mesh_message_deliveries = 0;
    double mesh_failure_penalty = 0;
    double invalid_message_deliveries = 0;
  };
  struct PeerStats {
    bool connected = true;
    int64_t expire = 0;
    std::map<std::string, TopicStats> topics;
    double behaviour_penalty = 0;
    std::string ip;  // empty: unknown
  };
  TopicStats* topic_stats(const PeerId& peer, const std::string& topic);
  double ip_colocation_factor(const PeerStats& stats) const;
  void forget_ip(const PeerId& peer, const PeerStats& stats);
  void decay_value(double& value, double factor) const;

  PeerScoreParams params_;
  std::map<PeerId, PeerStats> peers_;
  std::map<std::string, std::set<PeerId>> peers_by_ip_;
};

}  // namespace cairn::net
