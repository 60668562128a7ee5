#include "net/gossipsub.h"

#include <algorithm>

#include "net/peer_record.h"

namespace cairn::net {
namespace {

// Room for the length prefix and the RPC field tag around one message.
constexpr size_t kRpcFramingOverhead = 16;

// find-then-erase: GCC 12 reports a spurious -Wstringop-overread in erase(key)'s equal_range
// on PeerId keys.
template <class Container, class Key>
bool erase_key(Container& container, const Key& key) {
  auto it = container.find(key);
  if (it == container.end()) return false;
  container.erase(it);
  return true;
}

bool valid_topic(const std::string& topic) { return !topic.empty() && topic.size() <= kMaxTopicLength; }

}  // namespace

Gossipsub::Gossipsub(const KeyPair& key, GossipsubConfig config, const Clock& clock, Rng& rng)
    : key_(key),
      self_(PeerId::from_public_key(key.public_key())),
      config_(std::move(config)),
      clock_(clock),
      rng_(rng),
      score_(config_.score),
      next_seqno_(rng.next_u64()) {
  mcache_windows_.emplace_back();
}

// ---- peers and subscriptions ---------------------------------------------------------------

bool Gossipsub::add_peer(const PeerId& peer, std::string_view protocol, bool outbound) {
  if (peer == self_) return false;
  if (peers_.contains(peer)) return true;
  if (peers_.size() >= kMaxPeers) return false;
  PeerState& state = peers_[peer];
  state.v12 = protocol == kMeshsubV12;
  state.outbound = outbound;
  score_.add_peer(peer);
  for (const std::string& topic : subscriptions_) send_subscription(peer, topic, true);
  return true;
}

void Gossipsub::remove_peer(const PeerId& peer) {
  if (!peers_.contains(peer)) return;
  for (auto& [topic, mesh] : mesh_) erase_key(mesh, peer);
  for (auto& [topic, fanout] : fanout_) erase_key(fanout, peer);
  erase_key(peers_, peer);
  erase_key(outgoing_, peer);
  score_.remove_peer(peer, now());
  std::erase_if(promises_, [&](const auto& entry) { return entry.second.first == peer; });
}

void Gossipsub::subscribe(const std::string& topic) {
  if (!valid_topic(topic) || !subscriptions_.insert(topic).second) return;
  for (const auto& [peer, state] : peers_) send_subscription(peer, topic, true);
  std::set<PeerId>& mesh = mesh_[topic];
  // Fanout peers we were publishing to become the first mesh members (the spec's JOIN).
  for (const PeerId& peer : fanout_[topic]) {
    if (mesh.size() >= config_.d) break;
    if (score(peer) >= 0 && !in_backoff(topic, peer)) graft_peer(topic, peer);
  }
  erase_key(fanout_, topic);
  erase_key(fanout_last_publish_, topic);
  const auto more = pick_peers(topic, config_.d - std::min(config_.d, mesh.size()), [&](const PeerId& peer) {
    return !mesh.contains(peer) && !in_backoff(topic, peer) && score(peer) >= 0;
  });
  for (const PeerId& peer : more) graft_peer(topic, peer);
}

void Gossipsub::unsubscribe(const std::string& topic) {
  if (!erase_key(subscriptions_, topic)) return;
  for (const auto& [peer, state] : peers_) send_subscription(peer, topic, false);
  for (const PeerId& peer : mesh_[topic]) {
    score_.prune(peer, topic);
    send_prune(peer, topic, config_.unsubscribe_backoff_ns, true);
  }
  erase_key(mesh_, topic);
}

void Gossipsub::set_validator(const std::string& topic, Validator validator) {
  validators_[topic] = std::move(validator);
}

// ---- publishing ----------------------------------------------------------------------------

Result<MessageId> Gossipsub::publish(const std::string& topic, ByteSpan data) {
  if (!valid_topic(topic)) return Error{ErrorCode::invalid_argument, "gossipsub: bad topic"};
  const pb::Message message = make_message(config_.policy(topic), topic, data, key_, next_seqno_++);
  if (message.ByteSizeLong() + kRpcFramingOverhead > kMaxRpcSize) {
    return Error{ErrorCode::limit, "gossipsub: message exceeds the RPC size limit"};
  }
  CAIRN_TRY(MessageId id, check_message(config_.policy(topic), message));
  if (seen_.contains(id)) return Error{ErrorCode::invalid_argument, "gossipsub: message published already"};

  std::vector<PeerId> targets;
  const double publish_threshold = config_.thresholds.publish_threshold;
  if (config_.flood_publish) {
    targets =
        pick_peers(topic, kMaxPeers, [&](const PeerId& peer) { return score(peer) >= publish_threshold; });
  } else if (subscriptions_.contains(topic)) {
    const std::set<PeerId>& mesh = mesh_[topic];
    targets.assign(mesh.begin(), mesh.end());
  } else {
    std::set<PeerId>& fanout = fanout_[topic];
    if (fanout.empty()) {
      for (const PeerId& peer :
           pick_peers(topic, config_.d, [&](const PeerId& p) { return score(p) >= publish_threshold; })) {
        fanout.insert(peer);
      }
    }
    fanout_last_publish_[topic] = now();
    targets.assign(fanout.begin(), fanout.end());
  }
  if (targets.empty()) return Error{ErrorCode::not_found, "gossipsub: no peer to publish " + topic + " to"};
  mark_seen(id);
  remember(id, message);
  for (const PeerId& peer : targets) send_message(peer, message);
  return id;
}

// ---- receiving -----------------------------------------------------------------------------

void Gossipsub::handle_rpc(const PeerId& from, const pb::RPC& rpc) {
  auto it = peers_.find(from);
  if (it == peers_.end()) return;
  // A graylisted peer is not listened to at all (v1.1 "Score Thresholds").
  if (score(from) < config_.thresholds.graylist_threshold) return;
  if (rpc.ByteSizeLong() > kMaxRpcSize) {
    score_.add_penalty(from, 1);
    return;
  }
  PeerState& state = it->second;

  const size_t subscriptions =
      std::min(static_cast<size_t>(rpc.subscriptions_size()), kMaxSubscriptionsPerRpc);
  for (size_t i = 0; i < subscriptions; ++i)
    handle_subscription(from, state, rpc.subscriptions(static_cast<int>(i)));
  const size_t messages = std::min(static_cast<size_t>(rpc.publish_size()), kMaxMessagesPerRpc);
  for (size_t i = 0; i < messages; ++i) handle_message(from, rpc.publish(static_cast<int>(i)));

  if (!rpc.has_control()) return;
  const pb::ControlMessage& control = rpc.control();
  size_t budget = kMaxControlEntriesPerRpc;
  auto take = [&budget]() {
    if (budget == 0) return false;
    --budget;
    return true;
  };
  const bool gossip_ok = score(from) >= config_.thresholds.gossip_threshold;
  pb::ControlIWant iwant;
  for (const auto& ihave : control.ihave()) {
    if (!take()) break;
    if (gossip_ok) handle_ihave(state, ihave, iwant);
  }
  if (iwant.messageids_size() > 0) {
    *pending(from).mutable_control()->add_iwant() = std::move(iwant);
    // One random id of the request is the promise we hold the peer to (v1.1 P7).
    const auto& ids = pending(from).control().iwant();
    const auto& asked = ids[ids.size() - 1].messageids();
    const MessageId& promised = asked[static_cast<int>(rng_.uniform(static_cast<uint64_t>(asked.size())))];
    promises_.emplace(promised, std::make_pair(from, now() + config_.iwant_followup_time_ns));
  }
  for (const auto& want : control.iwant()) {
    if (!take()) break;
    if (gossip_ok) handle_iwant(from, state, want);
  }
  for (const auto& graft : control.graft()) {
    if (!take()) break;
    handle_graft(from, state, graft);
  }
  for (const auto& prune : control.prune()) {
    if (!take()) break;
    handle_prune(from, prune);
  }
  for (const auto& dont_want : control.idontwant()) {
    if (!take()) break;
    handle_idontwant(state, dont_want);
  }
}

void Gossipsub::handle_subscription(const PeerId& from, PeerState& state, const pb::RPC::SubOpts& sub) {
  const std::string& topic = sub.topicid();
  if (!valid_topic(topic)) return;
  if (sub.subscribe()) {
    if (state.topics.size() < kMaxTopicsPerPeer) state.topics.insert(topic);
    return;
  }
  erase_key(state.topics, topic);
  if (auto mesh = mesh_.find(topic); mesh != mesh_.end() && erase_key(mesh->second, from))
    score_.prune(from, topic);
  if (auto fanout = fanout_.find(topic); fanout != fanout_.end()) erase_key(fanout->second, from);
}

void Gossipsub::handle_message(const PeerId& from, const pb::Message& message) {
  const std::string& topic = message.topic();
  if (!subscriptions_.contains(topic)) return;
  TopicCounters& counters = counters_[topic];
  ++counters.messages_in;
  counters.bytes_in += message.data().size();
  auto checked = check_message(config_.policy(topic), message);
  if (!checked) {
    score_.invalid_delivery(from, topic);
    ++counters.rejected;
    return;
  }
  const MessageId& id = *checked;
  if (auto seen = seen_.find(id); seen != seen_.end()) {
    score_.duplicate_delivery(from, topic, seen->second, now());
    return;
  }
  if (pending_.contains(id)) return;  // its seen entry expired while it awaits its verdict
  erase_key(promises_, id);           // the peer that promised it may not be the one that sent it

  ValidationResult verdict = ValidationResult::accept;
  if (auto validator = validators_.find(topic); validator != validators_.end()) {
    verdict = validator->second(topic, id, message, from);
  }
  const size_t bytes = message.data().size();
  if (verdict == ValidationResult::defer &&
      (pending_.size() >= kMaxPendingValidations || pending_bytes_ + bytes > kMaxPendingValidationBytes)) {
    // Not marked seen: a copy that arrives once the backlog has drained is validated afresh.
    ++counters.ignored;
    return;
  }
  mark_seen(id);

  // v1.2: tell mesh peers not to send us a large message we now have, before it is validated
  // (which, deferred, can take a while).
  if (bytes >= config_.idontwant_threshold) {
    for (const PeerId& peer : mesh_[topic]) {
      if (peer == from || !peers_.at(peer).v12) continue;
      pending(peer).mutable_control()->add_idontwant()->add_messageids(id);
    }
  }

  switch (verdict) {
    case ValidationResult::accept:
      accept_message(id, message, from);
      return;
    case ValidationResult::reject:
      score_.invalid_delivery(from, topic);
      ++counters.rejected;
      return;
    case ValidationResult::ignore:
      ++counters.ignored;
      return;
    case ValidationResult::defer:
      pending_.emplace(
          id, PendingValidation{message, from, now() + config_.pending_validation_timeout_ns, bytes});
      pending_bytes_ += bytes;
      ++counters.deferred;
      return;
  }
}

void Gossipsub::accept_message(const MessageId& id, const pb::Message& message, const PeerId& source) {
  const std::string& topic = message.topic();
  score_.first_delivery(source, topic);
  remember(id, message);
  std::optional<PeerId> author;
  if (message.has_from()) {
    auto parsed = PeerId::from_multihash(as_bytes(message.from()));
    if (parsed) author = std::move(parsed).value();
  }
  forward(id, message, source, author);
  deliveries_.push_back(Delivery{topic, id, message, source});
  ++counters_[topic].delivered;
}

bool Gossipsub::report_validation(const MessageId& id, ValidationResult result) {
  if (result == ValidationResult::defer) return false;
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  const PendingValidation entry = std::move(it->second);
  pending_.erase(it);
  pending_bytes_ -= entry.bytes;
  const std::string& topic = entry.message.topic();
  TopicCounters& counters = counters_[topic];
  switch (result) {
    case ValidationResult::accept:
      // Unsubscribed meanwhile: there is no mesh to forward to and nobody to deliver to.
      if (!subscriptions_.contains(topic)) {
        ++counters.ignored;
        break;
      }
      accept_message(id, entry.message, entry.source);
      break;
    case ValidationResult::reject:
      score_.invalid_delivery(entry.source, topic);
      ++counters.rejected;
      break;
    case ValidationResult::ignore:
    case ValidationResult::defer:
      ++counters.ignored;
      break;
  }
  return true;
}

void Gossipsub::expire_pending() {
  const int64_t t = now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > t) {
      ++it;
      continue;
    }
    ++counters_[it->second.message.topic()].ignored;
    pending_bytes_ -= it->second.bytes;
    it = pending_.erase(it);
  }
}

void Gossipsub::handle_ihave(PeerState& state, const pb::ControlIHave& ihave, pb::ControlIWant& iwant) {
  if (++state.ihaves_this_heartbeat > kMaxIHaveMessagesPerHeartbeat) return;
  if (!subscriptions_.contains(ihave.topicid())) return;
  const size_t ids = std::min(static_cast<size_t>(ihave.messageids_size()), kMaxIHaveIdsPerMessage);
  for (size_t i = 0; i < ids; ++i) {
    if (state.iwant_ids_this_heartbeat >= kMaxIWantIdsPerHeartbeat) return;
    const std::string& id = ihave.messageids(static_cast<int>(i));
    if (id.empty() || id.size() > kMaxMessageIdLength || seen_.contains(id)) continue;
    iwant.add_messageids(id);
    ++state.iwant_ids_this_heartbeat;
  }
}

void Gossipsub::handle_iwant(const PeerId& from, PeerState& state, const pb::ControlIWant& iwant) {
  const size_t ids = std::min(static_cast<size_t>(iwant.messageids_size()), kMaxIHaveIdsPerMessage);
  for (size_t i = 0; i < ids; ++i) {
    auto cached = mcache_.find(iwant.messageids(static_cast<int>(i)));
    if (cached == mcache_.end()) continue;
    size_t& served = state.iwant_served[cached->first];
    if (served >= kMaxIWantRetransmissions) continue;
    ++served;
    send_message(from, cached->second.message);
  }
}

void Gossipsub::handle_graft(const PeerId& from, PeerState& state, const pb::ControlGraft& graft) {
  const std::string& topic = graft.topicid();
  if (!valid_topic(topic)) return;
  if (!subscriptions_.contains(topic)) {
    // No PX for a topic we do not know: it would leak our peers.
    send_prune(from, topic, config_.prune_backoff_ns, false);
    return;
  }
  std::set<PeerId>& mesh = mesh_[topic];
  if (mesh.contains(from)) return;
  if (auto backoff = backoff_.find({topic, from}); backoff != backoff_.end() && backoff->second > now()) {
    // Grafting during a backoff is misbehaviour; grafting right after being pruned is a flood.
    score_.add_penalty(from, 1);
    const int64_t pruned_at = backoff->second - config_.prune_backoff_ns;
    if (now() < pruned_at + config_.graft_flood_threshold_ns) score_.add_penalty(from, 1);
    send_prune(from, topic, config_.prune_backoff_ns, false);
    return;
  }
  if (score(from) < 0) {
    send_prune(from, topic, config_.prune_backoff_ns, false);
    return;
  }
  if (mesh.size() >= config_.d_hi && !state.outbound) {
    send_prune(from, topic, config_.prune_backoff_ns, true);
    return;
  }
  graft_peer(topic, from);
}

void Gossipsub::handle_prune(const PeerId& from, const pb::ControlPrune& prune) {
  const std::string& topic = prune.topicid();
  if (!valid_topic(topic)) return;
  if (auto mesh = mesh_.find(topic); mesh != mesh_.end() && erase_key(mesh->second, from))
    score_.prune(from, topic);
  // The peer's backoff, if it sent one, else ours; capped so that a huge value cannot overflow.
  constexpr uint64_t kMaxBackoffSeconds = 24 * 3600;
  const int64_t backoff =
      prune.has_backoff()
          ? static_cast<int64_t>(std::min<uint64_t>(prune.backoff(), kMaxBackoffSeconds)) * kNanosPerSecond
          : config_.prune_backoff_ns;
  set_backoff(topic, from, backoff);
  if (score(from) < config_.thresholds.accept_px_threshold) return;
  const size_t count = std::min(static_cast<size_t>(prune.peers_size()), kMaxPxPeersPerPrune);
  for (size_t i = 0; i < count && px_candidates_.size() < kMaxPxCandidates; ++i) {
    const pb::PeerInfo& info = prune.peers(static_cast<int>(i));
    auto peer = PeerId::from_multihash(as_bytes(info.peerid()));
    if (!peer || *peer == self_ || peers_.contains(*peer)) continue;
    std::vector<Multiaddr> addresses;
    if (info.has_signedpeerrecord()) {
      // A record that does not verify or names another peer says nothing about this one.
      auto record = open_peer_record(as_bytes(info.signedpeerrecord()));
      if (record && record->peer == *peer) addresses = std::move(record->addresses);
    }
    std::vector<Multiaddr>& known = px_candidates_[std::move(peer).value()];
    if (known.empty()) known = std::move(addresses);
  }
}

std::vector<PxCandidate> Gossipsub::take_px_candidates() {
  std::vector<PxCandidate> out;
  for (auto& [peer, addresses] : px_candidates_) out.push_back({peer, std::move(addresses)});
  px_candidates_.clear();
  return out;
}

void Gossipsub::handle_idontwant(PeerState& state, const pb::ControlIDontWant& idontwant) {
  for (const std::string& id : idontwant.messageids()) {
    if (state.dont_want.size() >= kMaxIDontWantIdsPerPeer) return;
    if (id.empty() || id.size() > kMaxMessageIdLength) continue;
    state.dont_want[id] = now() + config_.idontwant_ttl_ns;
  }
}

// ---- sending -------------------------------------------------------------------------------

void Gossipsub::send_message(const PeerId& peer, const pb::Message& message) {
  *pending(peer).add_publish() = message;
  TopicCounters& counters = counters_[message.topic()];
  ++counters.messages_out;
  counters.bytes_out += message.data().size();
}

void Gossipsub::send_graft(const PeerId& peer, const std::string& topic) {
  pending(peer).mutable_control()->add_graft()->set_topicid(topic);
}

void Gossipsub::send_prune(const PeerId& peer, const std::string& topic, int64_t backoff_ns, bool px) {
  pb::ControlPrune& prune = *pending(peer).mutable_control()->add_prune();
  prune.set_topicid(topic);
  prune.set_backoff(static_cast<uint64_t>(backoff_ns / kNanosPerSecond));
  if (px && config_.do_px) {
    const auto exchange = pick_peers(topic, std::min(config_.prune_peers, kMaxPxPeersPerPrune),
                                     [&](const PeerId& other) { return other != peer && score(other) >= 0; });
    for (const PeerId& other : exchange) {
      pb::PeerInfo& info = *prune.add_peers();
      info.set_peerid(other.multihash().data(), other.multihash().size());
      if (!config_.peer_record) continue;
      if (auto record = config_.peer_record(other)) info.set_signedpeerrecord(record->data(), record->size());
    }
  }
  set_backoff(topic, peer, backoff_ns);
}

void Gossipsub::send_subscription(const PeerId& peer, const std::string& topic, bool subscribe) {
  pb::RPC::SubOpts& sub = *pending(peer).add_subscriptions();
  sub.set_subscribe(subscribe);
  sub.set_topicid(topic);
}

void Gossipsub::forward(const MessageId& id, const pb::Message& message, const PeerId& source,
                        const std::optional<PeerId>& author) {
  for (const PeerId& peer : mesh_[message.topic()]) {
    if (peer == source || (author && peer == *author)) continue;
    const PeerState& state = peers_.at(peer);
    if (auto dont = state.dont_want.find(id); dont != state.dont_want.end() && dont->second > now()) continue;
    send_message(peer, message);
  }
}

void Gossipsub::remember(const MessageId& id, const pb::Message& message) {
  if (mcache_.size() >= kMaxMcacheMessages) return;
  if (mcache_.emplace(id, CachedMessage{message, message.topic()}).second)
    mcache_windows_.front().push_back(id);
}

bool Gossipsub::mark_seen(const MessageId& id) {
  if (seen_.size() >= kMaxSeenMessages && !seen_order_.empty()) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  const bool inserted = seen_.emplace(id, now()).second;
  if (inserted) seen_order_.emplace_back(now(), id);
  return inserted;
}

void Gossipsub::graft_peer(const std::string& topic, const PeerId& peer) {
  if (!mesh_[topic].insert(peer).second) return;
  score_.graft(peer, topic, now());
  send_graft(peer, topic);
}

void Gossipsub::set_backoff(const std::string& topic, const PeerId& peer, int64_t duration_ns) {
  int64_t& expiry = backoff_[{topic, peer}];
  expiry = std::max(expiry, now() + duration_ns);
}

// ---- heartbeat -----------------------------------------------------------------------------

void Gossipsub::heartbeat() {
  ++heartbeat_ticks_;
  for (auto& [topic, mesh] : mesh_) maintain_mesh(topic, mesh);
  maintain_fanout();
  emit_gossip();

  for (auto it = promises_.begin(); it != promises_.end();) {
    if (it->second.second > now()) {
      ++it;
      continue;
    }
    score_.add_penalty(it->second.first, 1);
    it = promises_.erase(it);
  }
  score_.decay(now());
  expire_pending();

  mcache_windows_.emplace_front();
  while (mcache_windows_.size() > config_.mcache_len) {
    for (const MessageId& id : mcache_windows_.back()) mcache_.erase(id);
    mcache_windows_.pop_back();
  }
  expire();
  for (auto& [peer, state] : peers_) {
    state.ihaves_this_heartbeat = 0;
    state.iwant_ids_this_heartbeat = 0;
  }
}

void Gossipsub::maintain_mesh(const std::string& topic, std::set<PeerId>& mesh) {
  // Peers with a negative score leave the mesh, without PX.
  for (const PeerId& peer : std::vector<PeerId>(mesh.begin(), mesh.end())) {
    if (score(peer) >= 0) continue;
    erase_key(mesh, peer);
    score_.prune(peer, topic);
    send_prune(peer, topic, config_.prune_backoff_ns, false);
  }
  auto eligible = [&](const PeerId& peer) {
    return !mesh.contains(peer) && !in_backoff(topic, peer) && score(peer) >= 0;
  };

  if (mesh.size() < config_.d_lo) {
    for (const PeerId& peer : pick_peers(topic, config_.d - mesh.size(), eligible)) graft_peer(topic, peer);
  }

  if (mesh.size() > config_.d_hi) {
    std::vector<PeerId> members(mesh.begin(), mesh.end());
    shuffle(members);  // ties in score are broken at random
    std::stable_sort(members.begin(), members.end(),
                     [&](const PeerId& a, const PeerId& b) { return score(a) > score(b); });
    const size_t keep_best = std::min(config_.d_score, config_.d);
    std::vector<PeerId> rest(members.begin() + static_cast<ptrdiff_t>(keep_best), members.end());
    shuffle(rest);
    std::vector<PeerId> keep(members.begin(), members.begin() + static_cast<ptrdiff_t>(keep_best));
    std::vector<PeerId> drop;
    for (const PeerId& peer : rest) (keep.size() < config_.d ? keep : drop).push_back(peer);
    // At least d_out outbound peers stay: swap dropped outbound peers in for the random part.
    auto outbound = [&](const PeerId& peer) { return peers_.at(peer).outbound; };
    size_t outbound_kept = static_cast<size_t>(std::count_if(keep.begin(), keep.end(), outbound));
    for (size_t i = keep.size(); i > keep_best && outbound_kept < config_.d_out; --i) {
      if (outbound(keep[i - 1])) continue;
      auto candidate = std::find_if(drop.begin(), drop.end(), outbound);
      if (candidate == drop.end()) break;
      std::swap(keep[i - 1], *candidate);
      ++outbound_kept;
    }
    for (const PeerId& peer : drop) {
      erase_key(mesh, peer);
      score_.prune(peer, topic);
      send_prune(peer, topic, config_.prune_backoff_ns, true);
    }
  }

  if (mesh.size() >= config_.d_lo) {
    const auto outbound_count = static_cast<size_t>(std::count_if(
        mesh.begin(), mesh.end(), [&](const PeerId& peer) { return peers_.at(peer).outbound; }));
    if (outbound_count < config_.d_out) {
      const auto more = pick_peers(topic, config_.d_out - outbound_count, [&](const PeerId& peer) {
        return eligible(peer) && peers_.at(peer).outbound;
      });
      for (const PeerId& peer : more) graft_peer(topic, peer);
    }
  }

  if (config_.opportunistic_graft_ticks > 0 && heartbeat_ticks_ % config_.opportunistic_graft_ticks == 0 &&
      mesh.size() > 1) {
    std::vector<double> scores;
    for (const PeerId& peer : mesh) scores.push_back(score(peer));
    std::sort(scores.begin(), scores.end());
    const double median = scores[scores.size() / 2];
    if (median < config_.thresholds.opportunistic_graft_threshold) {
      const auto better = pick_peers(topic, config_.opportunistic_graft_peers, [&](const PeerId& peer) {
        return eligible(peer) && score(peer) > median;
      });
      for (const PeerId& peer : better) graft_peer(topic, peer);
    }
  }
}

void Gossipsub::maintain_fanout() {
  const double publish_threshold = config_.thresholds.publish_threshold;
  for (auto it = fanout_.begin(); it != fanout_.end();) {
    const std::string& topic = it->first;
    if (fanout_last_publish_[topic] + config_.fanout_ttl_ns <= now()) {
      erase_key(fanout_last_publish_, topic);
      it = fanout_.erase(it);
      continue;
    }
    std::set<PeerId>& fanout = it->second;
    std::erase_if(fanout, [&](const PeerId& peer) {
      return !peers_.at(peer).topics.contains(topic) || score(peer) < publish_threshold;
    });
    if (fanout.size() < config_.d) {
      const auto more = pick_peers(topic, config_.d - fanout.size(), [&](const PeerId& peer) {
        return !fanout.contains(peer) && score(peer) >= publish_threshold;
      });
      fanout.insert(more.begin(), more.end());
    }
    ++it;
  }
}

void Gossipsub::emit_gossip() {
  std::set<std::string> topics;
  for (const auto& [topic, mesh] : mesh_) topics.insert(topic);
  for (const auto& [topic, fanout] : fanout_) topics.insert(topic);
  for (const std::string& topic : topics) {
    std::vector<MessageId> gossip;
    const size_t windows = std::min(config_.mcache_gossip, mcache_windows_.size());
    for (size_t w = 0; w < windows; ++w) {
      for (const MessageId& id : mcache_windows_[w]) {
        if (mcache_.at(id).topic == topic) gossip.push_back(id);
      }
    }
    if (gossip.empty()) continue;
    if (gossip.size() > kMaxIHaveIdsPerMessage) {
      for (size_t i = gossip.size() - 1; i > 0; --i) std::swap(gossip[i], gossip[rng_.uniform(i + 1)]);
      gossip.resize(kMaxIHaveIdsPerMessage);
    }
    const std::set<PeerId>& excluded = mesh_.contains(topic) ? mesh_.at(topic) : fanout_.at(topic);
    auto candidates = pick_peers(topic, kMaxPeers, [&](const PeerId& peer) {
      return !excluded.contains(peer) && score(peer) >= config_.thresholds.gossip_threshold;
    });
    const auto target = std::max(
        config_.d_lazy, static_cast<size_t>(config_.gossip_factor * static_cast<double>(candidates.size())));
    if (candidates.size() > target)
      candidates.erase(candidates.begin() + static_cast<ptrdiff_t>(target), candidates.end());
    for (const PeerId& peer : candidates) {
      pb::ControlIHave& ihave = *pending(peer).mutable_control()->add_ihave();
      ihave.set_topicid(topic);
      for (const MessageId& id : gossip) ihave.add_messageids(id);
    }
  }
}

void Gossipsub::expire() {
  const int64_t t = now();
  while (!seen_order_.empty() && seen_order_.front().first + config_.seen_ttl_ns <= t) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  std::erase_if(backoff_, [&](const auto& entry) { return entry.second <= t; });
  for (auto& [peer, state] : peers_) {
    std::erase_if(state.dont_want, [&](const auto& entry) { return entry.second <= t; });
    std::erase_if(state.iwant_served, [&](const auto& entry) { return !mcache_.contains(entry.first); });
  }
}

std::vector<PeerId> Gossipsub::pick_peers(const std::string& topic, size_t count,
                                          const std::function<bool(const PeerId&)>& accept) {
  std::vector<PeerId> out;
  for (const auto& [peer, state] : peers_) {
    if (state.topics.contains(topic) && accept(peer)) out.push_back(peer);
  }
  shuffle(out);
  if (out.size() > count) out.erase(out.begin() + static_cast<ptrdiff_t>(count), out.end());
  return out;
}

void Gossipsub::shuffle(std::vector<PeerId>& peers) {
  for (size_t i = peers.size(); i > 1; --i) std::swap(peers[i - 1], peers[rng_.uniform(i)]);
}

// ---- output --------------------------------------------------------------------------------

std::vector<OutgoingRpc> Gossipsub::split(const PeerId& peer, pb::RPC rpc) const {
  std::vector<OutgoingRpc> out;
  if (rpc.ByteSizeLong() <= kMaxRpcSize) {
    out.push_back(OutgoingRpc{peer, std::move(rpc)});
    return out;
  }
  // Subscriptions and control first, then the messages packed up to the limit.
  pb::RPC current;
  *current.mutable_subscriptions() = rpc.subscriptions();
  if (rpc.has_control()) *current.mutable_control() = rpc.control();
  for (pb::Message& message : *rpc.mutable_publish()) {
    if (current.ByteSizeLong() + message.ByteSizeLong() + kRpcFramingOverhead > kMaxRpcSize &&
        current.ByteSizeLong() > 0) {
      out.push_back(OutgoingRpc{peer, std::move(current)});
      current = pb::RPC{};
    }
    *current.add_publish() = std::move(message);
  }
  if (current.ByteSizeLong() > 0) out.push_back(OutgoingRpc{peer, std::move(current)});
  return out;
}

std::vector<OutgoingRpc> Gossipsub::take_outgoing() {
  std::vector<OutgoingRpc> out;
  for (auto& [peer, rpc] : outgoing_) {
    if (rpc.ByteSizeLong() == 0) continue;
    for (OutgoingRpc& piece : split(peer, std::move(rpc))) out.push_back(std::move(piece));
  }
  outgoing_.clear();
  return out;
}

std::vector<Delivery> Gossipsub::take_deliveries() { return std::exchange(deliveries_, {}); }

// ---- introspection -------------------------------------------------------------------------

std::set<PeerId> Gossipsub::mesh(const std::string& topic) const {
  auto it = mesh_.find(topic);
  return it == mesh_.end() ? std::set<PeerId>{} : it->second;
}

std::set<PeerId> Gossipsub::fanout(const std::string& topic) const {
  auto it = fanout_.find(topic);
  return it == fanout_.end() ? std::set<PeerId>{} : it->second;
}

std::set<PeerId> Gossipsub::topic_peers(const std::string& topic) const {
  std::set<PeerId> out;
  for (const auto& [peer, state] : peers_) {
    if (state.topics.contains(topic)) out.insert(peer);
  }
  return out;
}

double Gossipsub::score(const PeerId& peer) const { return score_.score(peer, now()); }

bool Gossipsub::in_backoff(const std::string& topic, const PeerId& peer) const {
  auto it = backoff_.find({topic, peer});
  return it != backoff_.end() && it->second > now();
}

}  // namespace cairn::net
