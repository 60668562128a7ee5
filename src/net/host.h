// A libp2p host: listens and dials over TCP, upgrades every connection (connection.h), keeps
// one connection per peer for every protocol, and dispatches inbound streams to the handler
// registered for the protocol multistream-select agrees on. It speaks identify, identify
// push and ping itself (identify.h, ping.h).
//
//   limits    inbound and outbound connections (handshaking ones included) are capped; an
//             inbound connection over the cap is closed as soon as it is accepted, a dial
//             over it fails at once
//   identify  every new connection is identified from our side; peer_info() keeps the result
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
#include <string>
#include <string_view>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "crypto/ed25519.h"
#include "net/connection.h"
#include "net/identify.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/thread_annotations.h"

namespace cairn::net {

inline constexpr std::string_view kCairnAgentVersion = "cairn/0.1.0";
// Defaults of HostOptions.
inline constexpr size_t kDefaultMaxInboundConnections = 64;
inline constexpr size_t kDefaultMaxOutboundConnections = 32;
// How long the accept loop waits after a failed accept (no descriptors left, say).
inline constexpr Duration kAcceptRetryDelay = std::chrono::milliseconds(100);

struct HostOptions {
  std::string agent_version{kCairnAgentVersion};
  size_t max_inbound = kDefaultMaxInboundConnections;
  size_t max_outbound = kDefaultMaxOutboundConnections;
  ConnectionOptions connection;
  // Where connection failures and other events are reported; stderr if empty.
  std::function<void(const std::string&)> log;
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

  // Connects to `address` (/ip4|ip6/<addr>/tcp/<port>[/p2p/<id>]) unless a connection to
  // the peer it names exists, and returns the peer's id. The id in the address, if any, is
  // what the handshake must authenticate.
  asio::awaitable<Result<PeerId>> dial(Multiaddr address);
  // A stream to `peer` (connected already) for the first of `protocols` it supports.
  asio::awaitable<Result<Stream>> new_stream(PeerId peer, std::vector<std::string> protocols);
  // Runs identify with `peer` and records the answer for peer_info().
  asio::awaitable<Result<IdentifyInfo>> identify(PeerId peer);
  // One ping round trip to `peer` on a new stream.
  asio::awaitable<Result<Duration>> ping(PeerId peer);

  std::optional<IdentifyInfo> peer_info(const PeerId& peer) const;
  bool connected(const PeerId& peer) const;
  size_t connection_count() const;

  // Closes the listeners and every connection. The io_context may be stopped afterwards.
  void stop();

 private:
  Host(asio::io_context& io, KeyPair identity, HostOptions options);

  void log(const std::string& message) const;
  std::shared_ptr<Connection> make_connection(Strand strand, asio::ip::tcp::socket socket,
                                              Direction direction);
  bool reserve(Direction direction);
  void on_closed(Connection& connection);
  std::shared_ptr<Connection> find(const PeerId& peer) const;
  IdentifyInfo local_info(const Connection& connection) const;
  void record_info(const PeerId& peer, IdentifyInfo info);

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
};

}  // namespace cairn::net
