// Gossipsub on a libp2p Host: the Asio glue around the sans-I/O router (gossipsub.h).
//
//   protocols  /meshsub/1.2.0 and /meshsub/1.1.0 are registered on the host; our outbound
//              streams offer 1.2.0 first
//   streams    one long-lived outbound stream per peer carries everything we send (the
//              spec's rule); each inbound stream is read as uvarint-length-prefixed RPCs of
//              at most kMaxRpcSize bytes. A read that times out on an idle stream is simply
//              retried; a malformed or oversize RPC, or any other stream failure, ends that
//              stream, and the peer leaves the router when its last inbound stream has ended
//              or our outbound stream fails (the connection itself stays the host's business)
//   peers      a peer joins when its inbound gossipsub stream arrives or add_peer() is called
//              for a connected peer; PX candidates are recorded by the router but not dialled
//   queues     at most max_queued_rpcs RPCs wait per peer; beyond that, new RPCs to it are
//              dropped and counted (gossip repairs what is lost)
//   heartbeat  a timer calls the router every heartbeat_interval
//   validation validators run on the strand; one that answers defer hands the message id to
//              other work, which reports the verdict later with report_validation() from any
//              thread; an accepted message is then delivered (on_message) and forwarded
//
// Thread-safety: every method may be called from any thread; the router and the per-peer
// queues live on one strand, and the delivery callback is called on it (it must not block).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/steady_timer.hpp>

#include "net/gossipsub.h"
#include "net/host.h"
#include "util/clock.h"
#include "util/thread_annotations.h"

namespace cairn::net {

inline constexpr size_t kDefaultMaxQueuedRpcsPerPeer = 256;
// Peers learned from peer exchange that are dialled per heartbeat (go-libp2p dials at most
// prune_peers per PRUNE; a steady trickle is kinder to the connection limits).
inline constexpr size_t kDefaultMaxPxDialsPerHeartbeat = 4;

struct GossipsubServiceOptions {
  GossipsubConfig router;
  size_t max_queued_rpcs = kDefaultMaxQueuedRpcsPerPeer;
  // PX peers with addresses from their signed records are dialled, at most this many per
  // heartbeat; 0 turns PX dialling off.
  size_t max_px_dials_per_heartbeat = kDefaultMaxPxDialsPerHeartbeat;
  // Called on the service's strand for every message delivered to us.
  std::function<void(const Delivery&)> on_message;
  std::function<void(const std::string&)> log;  // stderr if empty
};

class GossipsubService : public std::enable_shared_from_this<GossipsubService> {
 public:
  // `key` must be the host's identity (it signs StrictSign messages). Registers the
  // protocols on `host` and starts the heartbeat.
  static Result<std::shared_ptr<GossipsubService>> create(asio::io_context& io, std::shared_ptr<Host> host,
                                                          KeyPair key, GossipsubServiceOptions options = {});

  // Starts gossiping with `peer`, which must be connected (Host::dial).
  asio::awaitable<Status> add_peer(PeerId peer);
  asio::awaitable<bool> subscribe(std::string topic);
  asio::awaitable<bool> unsubscribe(std::string topic);
  asio::awaitable<bool> set_validator(std::string topic, Validator validator);
  // The verdict on a message whose validator answered defer (Gossipsub::report_validation);
  // callable from any thread, it returns at once and takes effect on the strand.
  void report_validation(MessageId id, ValidationResult result);
  asio::awaitable<Result<MessageId>> publish(std::string topic, Bytes data);

  asio::awaitable<std::set<PeerId>> mesh(std::string topic);
  asio::awaitable<std::set<PeerId>> topic_peers(std::string topic);
  size_t dropped_rpcs() const { return dropped_rpcs_; }
  // The router's per-topic counters as of its last step (any thread).
  std::map<std::string, TopicCounters> topic_counters() const;

  // Stops the heartbeat and closes our streams. Idempotent.
  void stop();

 private:
  struct Link {
    explicit Link(const Strand& strand) : signal(strand) {}
    std::deque<Bytes> queue;
    asio::steady_timer signal;
    bool closed = false;
  };

  GossipsubService(asio::io_context& io, std::shared_ptr<Host> host, KeyPair key,
                   GossipsubServiceOptions options);
  void log(const std::string& message) const;

  // All of these run on strand_.
  void ensure_link(const PeerId& peer);
  void drop_peer(const PeerId& peer, const std::string& reason);
  void flush();
  asio::awaitable<void> run_writer(PeerId peer, std::shared_ptr<Link> link);
  asio::awaitable<void> heartbeat_loop();
  void dial_px_candidates();
  asio::awaitable<void> dial_px(PxCandidate candidate);
  asio::awaitable<bool> on_inbound(PeerId peer, std::string protocol, bool outbound, std::string ip);
  asio::awaitable<bool> on_rpc(PeerId peer, std::shared_ptr<const pb::RPC> rpc);
  asio::awaitable<bool> on_inbound_closed(PeerId peer, std::string reason);

  // Runs on the inbound stream's connection.
  asio::awaitable<void> serve_inbound(Stream stream);

  asio::io_context& io_;
  Strand strand_;
  std::shared_ptr<Host> host_;
  KeyPair key_;
  GossipsubServiceOptions options_;
  SystemClock clock_;
  OsRng rng_;
  Gossipsub router_;
  std::map<PeerId, std::shared_ptr<Link>> links_;
  // Open inbound streams per peer: the peer leaves when the last one ends (js may replace
  // its stream, and the old one's end must not drop the peer).
  std::map<PeerId, size_t> inbound_streams_;
  asio::steady_timer heartbeat_timer_;
  std::atomic<bool> stopped_ = false;
  std::atomic<size_t> dropped_rpcs_ = 0;
  mutable Mutex counters_mutex_;
  std::map<std::string, TopicCounters> counters_ GUARDED_BY(counters_mutex_);  // copied by flush()
};

}  // namespace cairn::net
