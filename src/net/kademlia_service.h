// The Kademlia DHT on a libp2p Host: the Asio glue around the sans-I/O table and lookup of
// kademlia.h, for peer discovery.
//
//   protocol   one configurable id (Cairn: /cairn/<network>/kad/1.0.0; js and go default to
//              /ipfs/kad/1.0.0); in server mode it is registered on the host and answered,
//              in client mode we only ask
//   streams    one request and its answer per stream, each uvarint-length-prefixed and at
//              most kMaxKadMessageSize bytes; every read is bounded by the connection's
//              stream timeout and every lookup request by LookupOptions::query_timeout_ns
//   inbound    at most max_inbound_per_peer requests of one peer are served at a time; a
//              stream beyond that is reset unanswered
//   table      a peer enters the routing table only after it has answered one of our
//              requests (a peer that asks us is sent a PING first, and is added with the
//              listen addresses identify reported); a peer whose request failed leaves it;
//              a full bucket's oldest peer is pinged to decide whether a newcomer replaces it
//   refresh    every refresh_interval a lookup of our own id and one of a random key
//
// Thread-safety: every method may be called from any thread; the table and the lookups
// live on one strand.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "net/host.h"
#include "net/kademlia.h"
#include "util/clock.h"

namespace cairn::net {

inline constexpr std::string_view kDefaultKadProtocol = "/ipfs/kad/1.0.0";
inline constexpr size_t kMaxKadInboundRequestsPerPeer = 4;
inline constexpr Duration kDefaultKadRefreshInterval = std::chrono::minutes(10);
// How long an inbound requester may take to be identified before we give up adding it.
inline constexpr Duration kKadIdentifyWait = std::chrono::seconds(5);

struct KademliaServiceOptions {
  std::string protocol{kDefaultKadProtocol};
  bool server_mode = true;
  LookupOptions lookup;
  size_t max_inbound_per_peer = kMaxKadInboundRequestsPerPeer;
  Duration refresh_interval = kDefaultKadRefreshInterval;
  std::function<void(const std::string&)> log;  // stderr if empty
};

class KademliaService : public std::enable_shared_from_this<KademliaService> {
 public:
  // Registers the protocol on `host` (server mode) and starts the refresh timer.
  static Result<std::shared_ptr<KademliaService>> create(asio::io_context& io, std::shared_ptr<Host> host,
                                                         KademliaServiceOptions options = {});

  // Dials each of `peers` (addresses ending in /p2p/<id>) and asks it for the peers closest
  // to us; those that answer enter the table. Returns how many answered.
  asio::awaitable<size_t> bootstrap(std::vector<Multiaddr> peers);
  // A lookup of our own id, filling the table (what bootstrapping continues with).
  asio::awaitable<size_t> refresh();
  // The addresses of `peer`: from the table, or from a lookup that stops as soon as a peer
  // names it with addresses (the peer itself is not dialled).
  asio::awaitable<Result<KadPeer>> find_peer(PeerId peer);
  // The (at most k) peers closest to `key` that answered a lookup for it.
  asio::awaitable<std::vector<KadPeer>> closest_peers(Bytes key);

  asio::awaitable<size_t> table_size();
  asio::awaitable<bool> in_table(PeerId peer);
  const std::string& protocol() const { return options_.protocol; }

  // Stops the refresh timer and stops answering. Idempotent.
  void stop();

 private:
  struct LookupRun;

  KademliaService(asio::io_context& io, std::shared_ptr<Host> host, KademliaServiceOptions options);
  void log(const std::string& message) const;
  int64_t now() const { return clock_.monotonic_nanos(); }

  // One request on a new stream to `peer` (dialled first if not connected); the answer,
  // or nullopt for a request that has none.
  asio::awaitable<Result<kadpb::Message>> request(KadPeer peer, kadpb::Message message);

  // On strand_.
  asio::awaitable<FindNodeLookup> run_lookup(Bytes key, std::optional<PeerId> stop_at);
  asio::awaitable<void> query(std::shared_ptr<LookupRun> run, KadPeer peer);
  void record_answer(const KadPeer& peer);
  asio::awaitable<bool> record_on_strand(KadPeer peer);
  asio::awaitable<void> check_liveness(PeerId oldest);
  asio::awaitable<void> admit_requester(PeerId peer);
  asio::awaitable<void> refresh_loop();

  // Runs on the inbound stream's connection.
  asio::awaitable<void> serve_inbound(Stream stream);
  asio::awaitable<bool> enter_inbound(PeerId peer);
  asio::awaitable<bool> leave_inbound(PeerId peer);
  asio::awaitable<Result<std::optional<kadpb::Message>>> answer(PeerId peer,
                                                                std::shared_ptr<kadpb::Message> request);

  Strand strand_;
  std::shared_ptr<Host> host_;
  KademliaServiceOptions options_;
  SystemClock clock_;
  OsRng rng_;
  RoutingTable table_;
  std::map<PeerId, size_t> inbound_;  // requests being served, per peer
  std::set<PeerId> admitting_;        // requesters being pinged before admission
  asio::steady_timer refresh_timer_;
  std::atomic<bool> stopped_ = false;
};

}  // namespace cairn::net
