// The gossipsub v1.1/v1.2 router (libp2p/specs pubsub/gossipsub/gossipsub-v1.0.md, -v1.1.md,
// -v1.2.md) as a sans-I/O state machine: decoded RPCs, peer arrivals and departures,
// heartbeats and publish requests go in; RPCs to send per peer and delivered messages come
// out (take_outgoing(), take_deliveries()). Time comes from an injected Clock (monotonic),
// randomness from an injected Rng, so a whole network of routers can run in one process.
//
//   mesh       per subscribed topic, kept between D_lo and D_hi around D on every heartbeat,
//              D_score best-scoring peers kept and at least D_out outbound ones; negative
//              scores pruned; opportunistic grafting when the median score is low
//   fanout     peers for topics we publish to without subscribing, forgotten after fanout_ttl
//   gossip     IHAVE of the last mcache_gossip windows to D_lazy (or gossip_factor) non-mesh
//              peers; IWANT answered from the message cache, at most kMaxIWantRetransmissions
//              times per message and peer; unanswered IWANT promises are P7 penalties
//   IDONTWANT  (peers on /meshsub/1.2.0) sent to mesh peers for messages of at least
//              idontwant_threshold bytes before validation; received ones suppress forwards
//   PRUNE      carries the backoff; with do_px, up to prune_peers other peers (PX), each with
//              its signed peer record when config.peer_record has one; PX from a peer with
//              a good enough score is recorded for take_px_candidates(), with the addresses
//              of a record that verifies and names that peer (peer_record.h), else none
//   validation every message is checked against its topic's signature policy
//              (pubsub_message.h) and the topic's validator before it is delivered or
//              forwarded; reject and policy violations count as P4. A validator may defer:
//              the message is then held (seen, not delivered, forwarded or served to IWANT)
//              until report_validation() or pending_validation_timeout (then ignored); at
//              most kMaxPendingValidations messages of kMaxPendingValidationBytes wait, and a
//              deferred message over either is ignored (and not marked seen)
//   counters   per-topic message counts for metrics (topic_counters())
//
// Every count that comes from outside is bounded by a constant below; what exceeds it is
// dropped (and a peer sending an oversize RPC is penalised). Not thread-safe: the owner
// serialises calls (gossipsub_service.h runs it on one strand).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "net/gossipsub_score.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "net/pubsub_message.h"
#include "rpc.pb.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::net {

inline constexpr std::string_view kMeshsubV12 = "/meshsub/1.2.0";
inline constexpr std::string_view kMeshsubV11 = "/meshsub/1.1.0";

// Limits on what peers send (and on what we keep because of them).
inline constexpr size_t kMaxRpcSize = 1024 * 1024;           // encoded RPC, in and out
inline constexpr size_t kMaxMessagesPerRpc = 256;            // publish entries
inline constexpr size_t kMaxSubscriptionsPerRpc = 128;       // subscription changes
inline constexpr size_t kMaxControlEntriesPerRpc = 512;      // IHAVE+IWANT+GRAFT+PRUNE+IDONTWANT
inline constexpr size_t kMaxTopicsPerPeer = 128;             // topics a peer may be subscribed to
inline constexpr size_t kMaxTopicLength = 256;               // bytes of a topic name
inline constexpr size_t kMaxMessageIdLength = 128;           // bytes of a message id
inline constexpr size_t kMaxIHaveIdsPerMessage = 5000;       // the spec's max_ihave_length
inline constexpr size_t kMaxIHaveMessagesPerHeartbeat = 10;  // the spec's max_ihave_messages
inline constexpr size_t kMaxIWantIdsPerHeartbeat = 5000;     // ids we ask one peer for per heartbeat
inline constexpr size_t kMaxIWantRetransmissions = 3;        // the spec's gossip_retransmission
inline constexpr size_t kMaxIDontWantIdsPerPeer = 10000;     // remembered IDONTWANT ids per peer
inline constexpr size_t kMaxMcacheMessages = 20000;          // messages in the message cache
inline constexpr size_t kMaxSeenMessages = 200000;           // ids in the seen cache
inline constexpr size_t kMaxPeers = 1000;                    // gossipsub peers
inline constexpr size_t kMaxPxCandidates = 256;              // peers recorded from PX
inline constexpr size_t kMaxPxPeersPerPrune = 16;            // PX entries read from one PRUNE

inline constexpr size_t kMaxPendingValidations = 8192;                  // deferred messages held
inline constexpr size_t kMaxPendingValidationBytes = 64 * 1024 * 1024;  // their data bytes
inline constexpr int64_t kDefaultPendingValidationTimeoutNs = 30'000'000'000;

// A validator's verdict. accept: delivered and forwarded; reject: dropped, the source
// penalised (P4); ignore: dropped. defer: held until report_validation() gives the verdict
// (go-libp2p's asynchronous validation), dropped as ignored after pending_validation_timeout.
enum class ValidationResult : uint8_t { accept, reject, ignore, defer };
// `id` names the message for report_validation(). Called only for messages not seen before.
using Validator =
    std::function<ValidationResult(const std::string& topic, const MessageId& id, const pb::Message& message,
                                   const PeerId& propagation_source)>;

// Per-topic message counters (for metrics), kept for the topics we subscribe or publish to.
struct TopicCounters {
  uint64_t messages_in = 0;   // publish entries received, duplicates included
  uint64_t bytes_in = 0;      // their data bytes
  uint64_t messages_out = 0;  // messages sent, one per peer sent to (published and forwarded)
  uint64_t bytes_out = 0;
  uint64_t delivered = 0;  // accepted, first copies
  uint64_t rejected = 0;   // by the signature policy or the validator
  uint64_t ignored = 0;    // by the validator, after a validation timeout, or over the pending limits
  uint64_t deferred = 0;   // handed to asynchronous validation
  bool operator==(const TopicCounters&) const = default;
};

// The spec's parameters and defaults (times in nanoseconds of the injected monotonic clock).
struct GossipsubConfig {
  size_t d = 6;
  size_t d_lo = 4;
  size_t d_hi = 12;
  size_t d_lazy = 6;
  size_t d_score = 4;
  size_t d_out = 2;
  int64_t heartbeat_interval_ns = kNanosPerSecond;
  int64_t fanout_ttl_ns = 60 * kNanosPerSecond;
  size_t mcache_len = 5;
  size_t mcache_gossip = 3;
  int64_t seen_ttl_ns = 120 * kNanosPerSecond;
  double gossip_factor = 0.25;
  int64_t prune_backoff_ns = 60 * kNanosPerSecond;
  int64_t unsubscribe_backoff_ns = 10 * kNanosPerSecond;
  int64_t graft_flood_threshold_ns = 10 * kNanosPerSecond;
  size_t opportunistic_graft_ticks = 60;
  size_t opportunistic_graft_peers = 2;
  int64_t iwant_followup_time_ns = 3 * kNanosPerSecond;
  bool flood_publish = true;  // the spec's default
  bool do_px = false;
  size_t prune_peers = 16;
  size_t idontwant_threshold = 1024;  // bytes of data; v1.2 peers only
  int64_t idontwant_ttl_ns = 3 * kNanosPerSecond;
  // How long a deferred message waits for report_validation() before it is ignored.
  int64_t pending_validation_timeout_ns = kDefaultPendingValidationTimeoutNs;
  // The signed peer record (envelope bytes) of a peer, to send along in PX; none if unknown.
  std::function<std::optional<Bytes>(const PeerId&)> peer_record;
  // Which signature policy a topic uses.
  std::function<SignaturePolicy(std::string_view topic)> policy = cairn_topic_policy;
  PeerScoreParams score;
  PeerScoreThresholds thresholds;
};

struct Delivery {
  std::string topic;
  MessageId id;
  pb::Message message;
  PeerId source;  // the peer it came from
};

// A peer learned from peer exchange, with the addresses its own signed record gives (none
// if it came without one: only a lookup can find it then).
struct PxCandidate {
  PeerId peer;
  std::vector<Multiaddr> addresses;
};

struct OutgoingRpc {
  PeerId peer;
  pb::RPC rpc;  // at most kMaxRpcSize encoded
};

class Gossipsub {
 public:
  // `key` signs StrictSign messages and names us; it must outlive the router.
  Gossipsub(const KeyPair& key, GossipsubConfig config, const Clock& clock, Rng& rng);

  // A peer whose stream negotiated `protocol` (kMeshsubV12 or kMeshsubV11); `outbound` if we
  // dialled the connection. Sends it our subscriptions. False if kMaxPeers is reached.
  bool add_peer(const PeerId& peer, std::string_view protocol, bool outbound);
  void remove_peer(const PeerId& peer);
  // The IP `peer`'s connection comes from (P6 of the score).
  void set_peer_ip(const PeerId& peer, const std::string& ip) { score_.set_ip(peer, ip); }
  bool has_peer(const PeerId& peer) const { return peers_.contains(peer); }

  void subscribe(const std::string& topic);
  void unsubscribe(const std::string& topic);
  // A validator for `topic`; messages of topics without one are accepted.
  void set_validator(const std::string& topic, Validator validator);
  // The verdict on a message its validator deferred: accept delivers and forwards it, reject
  // penalises the peer it came from, ignore drops it. False if no such message is pending
  // (it timed out, was reported already, or never was deferred) or `result` is defer.
  bool report_validation(const MessageId& id, ValidationResult result);
  size_t pending_validations() const { return pending_.size(); }

  // Publishes `data` on `topic` under the topic's policy; an Error if it was published
  // already (same id) or there is no peer to send it to.
  Result<MessageId> publish(const std::string& topic, ByteSpan data);

  void handle_rpc(const PeerId& from, const pb::RPC& rpc);
  // Call every heartbeat_interval.
  void heartbeat();

  std::vector<OutgoingRpc> take_outgoing();
  std::vector<Delivery> take_deliveries();

  // Introspection for tests, metrics and the service.
  std::set<PeerId> mesh(const std::string& topic) const;
  std::set<PeerId> fanout(const std::string& topic) const;
  std::set<PeerId> topic_peers(const std::string& topic) const;
  double score(const PeerId& peer) const;
  bool in_backoff(const std::string& topic, const PeerId& peer) const;
  // The peers learned from PX since the last call, and forgets them.
  std::vector<PxCandidate> take_px_candidates();
  size_t mcache_size() const { return mcache_.size(); }
  size_t seen_size() const { return seen_.size(); }
  const std::map<std::string, TopicCounters>& topic_counters() const { return counters_; }
  // The encoded size of an RPC on the wire (without its length prefix).
  static size_t encoded_size(const pb::RPC& rpc) { return rpc.ByteSizeLong(); }

 private:
  struct PeerState {
    bool v12 = false;
    bool outbound = false;
    std::set<std::string> topics;
    std::map<MessageId, int64_t> dont_want;  // id -> expiry
    size_t ihaves_this_heartbeat = 0;
    size_t iwant_ids_this_heartbeat = 0;
    std::map<MessageId, size_t> iwant_served;  // retransmissions per id, reset with the mcache
  };
  struct CachedMessage {
    pb::Message message;
    std::string topic;
  };
  struct PendingValidation {
    pb::Message message;
    PeerId source;
    int64_t deadline = 0;
    size_t bytes = 0;  // of the data, as counted in pending_bytes_
  };

  int64_t now() const { return clock_.monotonic_nanos(); }
  pb::RPC& pending(const PeerId& peer) { return outgoing_[peer]; }
  void send_message(const PeerId& peer, const pb::Message& message);
  void send_graft(const PeerId& peer, const std::string& topic);
  void send_prune(const PeerId& peer, const std::string& topic, int64_t backoff_ns, bool px);
  void send_subscription(const PeerId& peer, const std::string& topic, bool subscribe);

  void handle_subscription(const PeerId& from, PeerState& state, const pb::RPC::SubOpts& sub);
  void handle_message(const PeerId& from, const pb::Message& message);
  // A validated message: delivered, cached for gossip and forwarded to the mesh.
  void accept_message(const MessageId& id, const pb::Message& message, const PeerId& source);
  // Ignores the deferred messages whose validation timed out.
  void expire_pending();
  void handle_ihave(PeerState& state, const pb::ControlIHave& ihave, pb::ControlIWant& iwant);
  void handle_iwant(const PeerId& from, PeerState& state, const pb::ControlIWant& iwant);
  void handle_graft(const PeerId& from, PeerState& state, const pb::ControlGraft& graft);
  void handle_prune(const PeerId& from, const pb::ControlPrune& prune);
  void handle_idontwant(PeerState& state, const pb::ControlIDontWant& idontwant);

  void forward(const MessageId& id, const pb::Message& message, const PeerId& source,
               const std::optional<PeerId>& author);
  void remember(const MessageId& id, const pb::Message& message);
  bool mark_seen(const MessageId& id);
  void graft_peer(const std::string& topic, const PeerId& peer);
  void set_backoff(const std::string& topic, const PeerId& peer, int64_t duration_ns);

  void maintain_mesh(const std::string& topic, std::set<PeerId>& mesh);
  void maintain_fanout();
  void emit_gossip();
  void expire();
  // Up to `count` peers of `topic` passing `accept`, in random order.
  std::vector<PeerId> pick_peers(const std::string& topic, size_t count,
                                 const std::function<bool(const PeerId&)>& accept);
  void shuffle(std::vector<PeerId>& peers);
  std::vector<OutgoingRpc> split(const PeerId& peer, pb::RPC rpc) const;

  const KeyPair& key_;
  PeerId self_;
  GossipsubConfig config_;
  const Clock& clock_;
  Rng& rng_;
  PeerScore score_;
  uint64_t next_seqno_;
  uint64_t heartbeat_ticks_ = 0;

  std::map<PeerId, PeerState> peers_;
  std::set<std::string> subscriptions_;
  std::map<std::string, Validator> validators_;
  std::map<std::string, std::set<PeerId>> mesh_;
  std::map<std::string, std::set<PeerId>> fanout_;
  std::map<std::string, int64_t> fanout_last_publish_;
  std::map<std::pair<std::string, PeerId>, int64_t> backoff_;  // -> expiry

  std::map<MessageId, CachedMessage> mcache_;
  std::deque<std::vector<MessageId>> mcache_windows_;  // newest first, mcache_len of them
  std::map<MessageId, int64_t> seen_;                  // id -> first seen
  std::deque<std::pair<int64_t, MessageId>> seen_order_;
  std::map<MessageId, std::pair<PeerId, int64_t>> promises_;  // IWANT id -> (peer, deadline)
  std::map<PeerId, std::vector<Multiaddr>> px_candidates_;
  std::map<MessageId, PendingValidation> pending_;  // deferred to asynchronous validation
  size_t pending_bytes_ = 0;                        // their data bytes
  std::map<std::string, TopicCounters> counters_;

  std::map<PeerId, pb::RPC> outgoing_;
  std::vector<Delivery> deliveries_;
};

}  // namespace cairn::net
