// A libp2p host: listens and dials over TCP, upgrades every connection (connection.h), keeps
// one connection per peer for every protocol, and dispatches inbound streams to the handler
// registered for the protocol multistream-select agrees on. It speaks identify, identify
// push, ping and AutoNAT v1 itself (identify.h, ping.h, autonat.h).
//
//   limits    inbound and outbound connections (handshaking ones included) are capped, and
//             inbound ones per remote IP too; an inbound connection over a cap is closed as
//             soon as it is accepted (one log line with the reason), a dial over the
//             outbound cap fails at once. With the inbound cap reached, the owner may name an
//             upgraded inbound connection to evict instead (select_inbound_to_evict)
//   admission an accepted connection's address is checked (admit_inbound) before the
//             handshake; every connection's peer id (admit_peer) after it
//   events    on_connected / on_disconnected for every registered connection; connections()
//             lists them; protocol_traffic() counts bytes and streams per protocol
//   dialling  /ip4, /ip6 and /dns, /dns4, /dns6 TCP addresses; a name is resolved (bounded
//             by resolve_timeout) and its endpoints are tried in the resolver's order
//   identify  every new connection is identified from our side; peer_info() keeps the
//             result. The addresses we announce (listen, external, confirmed observed) and
//             our protocols are pushed (/ipfs/id/push/1.0.0) to every connected peer that
//             supports it whenever they change, a burst of changes coalesced into one push
//   reachability  peers' observedAddr reports are kept (ObservedAddressTable); an address
//             reported by enough distinct observers is confirmed, and announced if public.
//             check_reachability() runs the AutoNAT client; the service side answers
//             other peers' DIAL requests (HostOptions::autonat)
//
// Thread-safety: all methods may be called from any thread; coroutines may be awaited from
// any executor of the io_context. The host's own state is behind one mutex held only for
// short map updates; each connection lives on its own strand.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "crypto/ed25519.h"
#include "net/autonat.h"
#include "net/connection.h"
#include "net/identify.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "net/tcp_transport.h"
#include "util/thread_annotations.h"

namespace cairn::net {

inline constexpr std::string_view kCairnAgentVersion = "cairn/0.1.0";
// Defaults of HostOptions.
inline constexpr size_t kDefaultMaxInboundConnections = 64;
inline constexpr size_t kDefaultMaxOutboundConnections = 32;
// Inbound connections from one IP address: a few nodes behind one NAT fit, one address
// cannot take the whole inbound budget.
inline constexpr size_t kDefaultMaxInboundPerIp = 8;
// How long an identify push waits for more changes to send them together.
inline constexpr Duration kDefaultIdentifyPushDelay = std::chrono::milliseconds(100);
// How long stop() lets open streams finish after Yamux GoAway before closing.
inline constexpr Duration kDefaultShutdownGrace = std::chrono::seconds(1);
// How long the accept loop waits after a failed accept (no descriptors left, say).
inline constexpr Duration kAcceptRetryDelay = std::chrono::milliseconds(100);

// One upgraded connection as the host reports it (connection events, connections()).
struct ConnectionInfo {
  PeerId peer;
  Direction direction = Direction::inbound;
  Multiaddr remote;  // /ip4|ip6/<address>/tcp/<port> of the other end
  asio::ip::address remote_ip;
  // When the upgrade finished, in monotonic nanoseconds (SystemClock::monotonic_nanos()).
  int64_t connected_ns = 0;
};

struct HostOptions {
  std::string agent_version{kCairnAgentVersion};
  size_t max_inbound = kDefaultMaxInboundConnections;
  size_t max_outbound = kDefaultMaxOutboundConnections;
  size_t max_inbound_per_ip = kDefaultMaxInboundPerIp;
  // Exempts loopback peers (127.0.0.0/8, ::1) from max_inbound_per_ip, e.g. for a local
  // test network; they are limited like any other address by default.
  bool exempt_loopback_per_ip = false;
  Duration resolve_timeout = kDefaultResolveTimeout;
  Duration identify_push_delay = kDefaultIdentifyPushDelay;
  // Distinct observers (observer_key()) before an observed address counts as confirmed.
  size_t observed_address_threshold = kDefaultObservedAddressThreshold;
  AutonatOptions autonat;
  Duration shutdown_grace = kDefaultShutdownGrace;
  ConnectionOptions connection;
  // Where connection failures and other events are reported; stderr if empty.
  std::function<void(const std::string&)> log;

  // Connection events: called once per registered (upgraded, not duplicate) connection, from
  // any thread, never under the host's lock; they must not block. A connection's
  // on_disconnected follows its on_connected, with the reason it closed.
  std::function<void(const ConnectionInfo&)> on_connected;
  std::function<void(const ConnectionInfo&, const std::string& reason)> on_disconnected;
  // Inbound admission by address, asked as soon as a connection is accepted, before any
  // handshake (a banned address never costs us a Noise handshake): a reason refuses it.
  std::function<std::optional<std::string>(const asio::ip::address&)> admit_inbound;
  // Admission by peer id, asked after the handshake of every connection (either direction)
  // before it is registered: a reason closes it (a dial then fails with that reason).
  std::function<std::optional<std::string>(const PeerId&, const asio::ip::address&)> admit_peer;
  // With max_inbound reached, asked which upgraded inbound connection to close to make room
  // for the one just accepted (`inbound` lists them all); nullopt refuses the new one. Unset,
  // the new one is refused.
  std::function<std::optional<PeerId>(std::vector<ConnectionInfo> inbound)> select_inbound_to_evict;
  // The local address outbound sockets are bound to before connecting (port chosen by the
  // system); endpoints of the other IP family cannot be dialled then.
  std::optional<asio::ip::address> outbound_bind_address;
};

// Serves one inbound stream whose protocol has been negotiated; the host closes the stream
// after it returns.
using StreamHandler = std::function<asio::awaitable<void>(Stream)>;

class Host : public std::enable_shared_from_this<Host> {
 public:
  static std::shared_ptr<Host> create(asio::io_context& io, KeyPair identity, HostOptions options = {});

  const PeerId& peer_id() const { return peer_id_; }
  const PublicKey& public_key() const { return identity_->public_key(); }

  // Serves inbound streams of `protocol` (a valid multistream protocol id) with `handler`,
  // replacing any earlier handler for it.
  void set_handler(const std::string& protocol, StreamHandler handler);
  std::vector<std::string> protocols() const;

  // Binds `address` (/ip4|ip6/<addr>/tcp/<port>, port 0 for any free one) and accepts
  // connections on it; returns the bound address.
  Result<Multiaddr> listen(const Multiaddr& address);
  std::vector<Multiaddr> listen_addresses() const;

  // Addresses others can reach us at that we do not listen on (a NAT's port mapping, a
  // configured public address): announced in identify, changes pushed to peers.
  void add_external_address(const Multiaddr& address);
  void remove_external_address(const Multiaddr& address);
  std::vector<Multiaddr> external_addresses() const;
  // What identify's listenAddrs carries: the listen addresses, the external ones, and the
  // confirmed observed or AutoNAT-reached addresses with a public IP (unless AutoNAT found
  // us private), without duplicates.
  std::vector<Multiaddr> announced_addresses() const;

  // Our addresses as peers reported them (identify observedAddr), most observed first.
  std::vector<ObservedAddress> observed_addresses() const;
  // AutoNAT's last conclusive verdict; without one, public if a confirmed observed address
  // has a public IP; else unknown.
  Reachability reachability() const;
  // The AutoNAT client: asks up to autonat.servers_per_check connected peers that support
  // /libp2p/autonat/1.0.0 (per identify) to dial us back, one after the other, and
  // concludes once autonat.threshold agree; an inconclusive check keeps the earlier
  // verdict. Error if no connected peer supports AutoNAT.
  asio::awaitable<Result<Reachability>> check_reachability();

  // Connects to `address` (/ip4|ip6/<addr>/tcp/<port>[/p2p/<id>]) unless a connection to
  // the peer it names exists, and returns the peer's id. The id in the address, if any, is
  // what the handshake must authenticate.
  asio::awaitable<Result<PeerId>> dial(Multiaddr address);
  // Connects to `address` over a new connection, upgrades it, checks that it authenticates
  // `peer`, and closes it, without registering it or identifying (AutoNAT's dial-back).
  // Counts against the outbound limit while it lasts; bounded by autonat.dial_timeout.
  asio::awaitable<Status> probe_dial(Multiaddr address, PeerId peer);
  // A stream to `peer` (connected already) for the first of `protocols` it supports.
  asio::awaitable<Result<Stream>> new_stream(PeerId peer, std::vector<std::string> protocols);
  // Runs identify with `peer` and records the answer for peer_info().
  asio::awaitable<Result<IdentifyInfo>> identify(PeerId peer);
  // One ping round trip to `peer` on a new stream.
  asio::awaitable<Result<Duration>> ping(PeerId peer);

  std::optional<IdentifyInfo> peer_info(const PeerId& peer) const;
  // The signed peer record `peer` sent in identify, if it sent a valid one (gossipsub PX
  // passes it on). Ours is in every identify message we send.
  std::optional<Bytes> peer_record(const PeerId& peer) const;
  bool connected(const PeerId& peer) const;
  size_t connection_count() const;
  // The registered connections, one per peer.
  std::vector<ConnectionInfo> connections() const;
  // Closes the connection to `peer` gracefully (GoAway, then shutdown_grace for open
  // streams), logging `reason`, which on_disconnected also gets. False if not connected.
  // Returns at once; the connection closes on its own strand.
  bool disconnect(const PeerId& peer, std::string reason);
  // Bytes and streams per negotiated protocol since the host started.
  std::map<std::string, ProtocolTraffic> protocol_traffic() const;

  // Closes the listeners and shuts every connection down (GoAway, then shutdown_grace for
  // open streams to finish). The io_context may be stopped at any time afterwards.
  void stop();

 private:
  Host(asio::io_context& io, KeyPair identity, HostOptions options);

  void log(const std::string& message) const;
  std::shared_ptr<Connection> make_connection(Strand strand, asio::ip::tcp::socket socket,
                                              Direction direction,
                                              const ConnectionOptions& connection_options,
                                              std::optional<asio::ip::address> inbound_ip = std::nullopt);
  bool reserve(Direction direction);
  // Gives back an outbound slot reserve() took for a dial that never got a connection.
  void release_outbound();
  // Why one more inbound connection from `ip` would be over a limit, if it would; `full` is
  // set if the reason is max_inbound (which evicting a connection can make room under).
  std::optional<std::string> inbound_over_limit(const asio::ip::address& ip, bool& full) const
      REQUIRES(mutex_);
  // Counts an accepted connection from `ip` against the inbound limits; the reason if over.
  std::optional<std::string> reserve_inbound(const asio::ip::address& ip);
  // Asks select_inbound_to_evict for a victim and closes it, releasing its inbound slot at
  // once; whether one was evicted.
  bool evict_inbound();
  // A socket for a dial to `endpoint`, bound to outbound_bind_address if one is set.
  Result<asio::ip::tcp::socket> outbound_socket(const Strand& strand,
                                                const asio::ip::tcp::endpoint& endpoint);
  // The admission check after the handshake (admit_peer); the reason to refuse, if any.
  std::optional<std::string> refuse_peer(const Connection& connection) const;
  void on_closed(Connection& connection);
  std::shared_ptr<Connection> find(const PeerId& peer) const;
  IdentifyInfo local_info(const Connection& connection) const;
  void record_info(const PeerId& peer, IdentifyInfo info);
  void record_observed(const Connection& connection, const Multiaddr& observed);
  std::vector<Multiaddr> announced_addresses_locked() const REQUIRES(mutex_);
  // Pushes identify to the peers after options_.identify_push_delay, unless one is pending.
  void schedule_identify_push();
  static asio::awaitable<void> push_after_delay(std::weak_ptr<Host> weak, Duration delay);
  asio::awaitable<void> push_identify(PeerId peer);
  asio::awaitable<void> serve_autonat(Stream stream);
  asio::awaitable<AutonatDialResponse> answer_autonat(Result<Bytes> message, PeerId requester,
                                                      std::optional<asio::ip::address> observed_ip);
  asio::awaitable<Result<AutonatDialResponse>> ask_autonat(PeerId server, std::vector<Multiaddr> addrs);
  // One dial-back attempt of probe_dial(), on the connection's strand.
  static asio::awaitable<Status> probe_connection(std::shared_ptr<Connection> connection,
                                                  asio::ip::tcp::endpoint endpoint, PeerId peer);

  asio::awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  asio::awaitable<Status> run_connection(std::shared_ptr<Connection> connection,
                                         std::optional<asio::ip::tcp::endpoint> dial_to,
                                         std::optional<PeerId> expected);
  asio::awaitable<void> identify_on_connect(PeerId peer);
  asio::awaitable<void> serve_stream(Stream stream);
  asio::awaitable<void> serve_identify_push(Stream stream);

  asio::io_context& io_;
  Strand strand_;  // the acceptors'
  std::shared_ptr<const KeyPair> identity_;
  PeerId peer_id_;
  HostOptions options_;
  std::atomic<bool> stopped_ = false;

  mutable Mutex mutex_;
  std::map<std::string, StreamHandler> handlers_ GUARDED_BY(mutex_);
  std::vector<Multiaddr> listen_addresses_ GUARDED_BY(mutex_);
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_ GUARDED_BY(mutex_);
  // Every live connection, handshaking or not, for stop(); the upgraded ones by peer.
  std::map<Connection*, std::weak_ptr<Connection>> live_ GUARDED_BY(mutex_);
  std::map<PeerId, std::shared_ptr<Connection>> by_peer_ GUARDED_BY(mutex_);
  std::map<PeerId, IdentifyInfo> peer_info_ GUARDED_BY(mutex_);
  size_t inbound_ GUARDED_BY(mutex_) = 0;
  size_t outbound_ GUARDED_BY(mutex_) = 0;
  std::map<asio::ip::address, size_t> inbound_by_ip_ GUARDED_BY(mutex_);
  std::map<Connection*, asio::ip::address> inbound_ip_ GUARDED_BY(mutex_);
  // Evicted connections still closing: their inbound slot is free already.
  std::set<Connection*> released_ GUARDED_BY(mutex_);
  // The registered connections (on_connected was called for them).
  std::map<Connection*, ConnectionInfo> registered_ GUARDED_BY(mutex_);
  const std::shared_ptr<TrafficMeter> traffic_ = std::make_shared<TrafficMeter>();
  std::vector<Multiaddr> external_addresses_ GUARDED_BY(mutex_);
  ObservedAddressTable observed_ GUARDED_BY(mutex_);
  Reachability autonat_reachability_ GUARDED_BY(mutex_) = Reachability::unknown;
  std::vector<Multiaddr> autonat_reached_ GUARDED_BY(mutex_);
  AutonatRateLimiter autonat_limiter_ GUARDED_BY(mutex_);
  bool push_scheduled_ GUARDED_BY(mutex_) = false;
};

}  // namespace cairn::net
