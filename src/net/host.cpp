#include "net/host.h"

#include <algorithm>
#include <exception>
#include <iostream>

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "net/peer_record.h"
#include "net/ping.h"
#include "util/clock.h"

namespace cairn::net {
namespace {

using asio::ip::tcp;
using boost::system::error_code;

// Completion for detached coroutines: nothing in Cairn's network code throws on peer input,
// so an exception here is a bug worth a log line, but not worth the process.
bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void add_unique(std::vector<Multiaddr>& list, const Multiaddr& address) {
  if (std::find(list.begin(), list.end(), address) == list.end()) list.push_back(address);
}

auto log_exception(std::string what) {
  return [what = std::move(what)](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << "cairn net: " << what << " threw: " << e.what() << '\n';
    }
  };
}

}  // namespace

std::shared_ptr<Host> Host::create(asio::io_context& io, KeyPair identity, HostOptions options) {
  std::shared_ptr<Host> host(new Host(io, std::move(identity), std::move(options)));
  std::weak_ptr<Host> weak = host;
  host->set_handler(std::string(kIdentifyProtocolId), [weak](Stream stream) -> asio::awaitable<void> {
    auto self = weak.lock();
    if (!self) co_return;
    const IdentifyInfo ours = self->local_info(stream.connection());
    if (Status answered = co_await answer_identify(stream, ours); !answered) {
      self->log("identify to " + stream.connection().name() + ": " + answered.error().message);
    }
  });
  host->set_handler(std::string(kIdentifyPushProtocolId), [weak](Stream stream) -> asio::awaitable<void> {
    if (auto self = weak.lock()) co_await self->serve_identify_push(std::move(stream));
  });
  if (host->options_.autonat.serve) {
    host->set_handler(std::string(kAutonatProtocolId), [weak](Stream stream) -> asio::awaitable<void> {
      if (auto self = weak.lock()) co_await self->serve_autonat(std::move(stream));
    });
  }
  host->set_handler(std::string(kPingProtocolId), [weak](Stream stream) -> asio::awaitable<void> {
    Status answered = co_await answer_ping(stream);
    auto self = weak.lock();
    if (!answered && self)
      self->log("ping from " + stream.connection().name() + ": " + answered.error().message);
  });
  return host;
}

Host::Host(asio::io_context& io, KeyPair identity, HostOptions options)
    : io_(io),
      strand_(asio::make_strand(io)),
      identity_(std::make_shared<const KeyPair>(std::move(identity))),
      peer_id_(PeerId::from_public_key(identity_->public_key())),
      options_(std::move(options)),
      observed_(options_.observed_address_threshold),
      autonat_limiter_(options_.autonat.requests_per_peer, options_.autonat.requests_global,
                       options_.autonat.rate_window) {}

void Host::log(const std::string& message) const {
  if (options_.log) {
    options_.log(message);
  } else {
    std::cerr << "cairn net: " + message + "\n";
  }
}

void Host::set_handler(const std::string& protocol, StreamHandler handler) {
  bool added = false;
  {
    MutexLock lock(mutex_);
    added = handlers_.find(protocol) == handlers_.end();
    handlers_[protocol] = std::move(handler);
  }
  if (added) schedule_identify_push();
}

std::vector<std::string> Host::protocols() const {
  MutexLock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [protocol, handler] : handlers_) out.push_back(protocol);
  return out;
}

Result<Multiaddr> Host::listen(const Multiaddr& address) {
  CAIRN_TRY(tcp::endpoint endpoint, tcp_listen_endpoint(address));
  auto acceptor = std::make_shared<tcp::acceptor>(strand_);
  error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  const tcp::endpoint bound = ec ? tcp::endpoint{} : acceptor->local_endpoint(ec);
  if (ec) return Error{ErrorCode::io, "listen on " + address.to_string() + ": " + ec.message()};

  Multiaddr listening = tcp_multiaddr(bound);
  {
    MutexLock lock(mutex_);
    listen_addresses_.push_back(listening);
    acceptors_.push_back(acceptor);
  }
  asio::co_spawn(strand_, accept_loop(acceptor), log_exception("accept loop"));
  schedule_identify_push();
  return listening;
}

std::vector<Multiaddr> Host::listen_addresses() const {
  MutexLock lock(mutex_);
  return listen_addresses_;
}

void Host::add_external_address(const Multiaddr& address) {
  {
    MutexLock lock(mutex_);
    if (std::find(external_addresses_.begin(), external_addresses_.end(), address) !=
        external_addresses_.end())
      return;
    external_addresses_.push_back(address);
  }
  schedule_identify_push();
}

void Host::remove_external_address(const Multiaddr& address) {
  {
    MutexLock lock(mutex_);
    const auto it = std::find(external_addresses_.begin(), external_addresses_.end(), address);
    if (it == external_addresses_.end()) return;
    external_addresses_.erase(it);
  }
  schedule_identify_push();
}

std::vector<Multiaddr> Host::external_addresses() const {
  MutexLock lock(mutex_);
  return external_addresses_;
}

std::vector<Multiaddr> Host::announced_addresses() const {
  MutexLock lock(mutex_);
  return announced_addresses_locked();
}

std::vector<Multiaddr> Host::announced_addresses_locked() const {
  std::vector<Multiaddr> out;
  for (const auto& address : listen_addresses_) add_unique(out, address);
  for (const auto& address : external_addresses_) add_unique(out, address);
  if (autonat_reachability_ != Reachability::is_private) {
    auto add_if_public = [&out](const Multiaddr& address) {
      const auto ip = multiaddr_ip(address);
      if (ip && is_public_address(*ip)) add_unique(out, address);
    };
    for (const auto& address : observed_.confirmed()) add_if_public(address);
    for (const auto& address : autonat_reached_) add_if_public(address);
  }
  return out;
}

std::vector<ObservedAddress> Host::observed_addresses() const {
  MutexLock lock(mutex_);
  return observed_.addresses();
}

Reachability Host::reachability() const {
  MutexLock lock(mutex_);
  if (autonat_reachability_ != Reachability::unknown) return autonat_reachability_;
  for (const auto& address : observed_.confirmed()) {
    const auto ip = multiaddr_ip(address);
    if (ip && is_public_address(*ip)) return Reachability::is_public;
  }
  return Reachability::unknown;
}

asio::awaitable<void> Host::accept_loop(std::shared_ptr<tcp::acceptor> acceptor) {
  auto self = shared_from_this();
  while (!stopped_) {
    Strand strand = asio::make_strand(io_);
    error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of descriptors or memory, typically: pause instead of spinning on the error.
      log("accept: " + ec.message());
      asio::steady_timer pause(strand_, kAcceptRetryDelay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) {  // reset before we got to it
      socket.close(ec);
      continue;
    }
    std::optional<std::string> refused;
    if (options_.admit_inbound) refused = options_.admit_inbound(remote.address());
    if (!refused) {
      bool full = false;
      {
        MutexLock lock(mutex_);
        refused = inbound_over_limit(remote.address(), full);
      }
      // Only a full inbound budget can be helped by evicting someone; the per-IP one cannot.
      if (refused && full && evict_inbound()) refused.reset();
      if (!refused) refused = reserve_inbound(remote.address());
    }
    if (refused) {
      log("inbound connection from " + tcp_multiaddr(remote).to_string() + " refused: " + *refused);
      socket.close(ec);
      continue;
    }
    auto connection =
        make_connection(strand, std::move(socket), Direction::inbound, options_.connection, remote.address());
    asio::co_spawn(strand, run_connection(connection, std::nullopt, std::nullopt),
                   [](std::exception_ptr, Status) {});  // failures are logged by the connection
  }
}

asio::awaitable<Result<PeerId>> Host::dial(Multiaddr address) {
  CAIRN_CO_TRY(TcpDialTarget target, address.tcp_dial_target());
  if (target.peer && connected(*target.peer)) co_return *target.peer;
  CAIRN_CO_TRY(std::vector<tcp::endpoint> endpoints,
               co_await resolve_tcp(io_, target, options_.resolve_timeout));
  std::optional<Error> failure;
  for (const tcp::endpoint& endpoint : endpoints) {
    if (!reserve(Direction::outbound)) {
      co_return Error{ErrorCode::limit,
                      "outbound connection limit of " + std::to_string(options_.max_outbound) + " reached"};
    }
    Strand strand = asio::make_strand(io_);
    Result<tcp::socket> socket = outbound_socket(strand, endpoint);
    if (!socket) {
      release_outbound();
      failure = socket.error();
      continue;
    }
    auto connection =
        make_connection(strand, std::move(socket).value(), Direction::outbound, options_.connection);
    Status connected = co_await run_on(strand, run_connection(connection, endpoint, target.peer));
    if (connected) co_return connection->remote_peer();
    failure = connected.error();
  }
  co_return *failure;  // resolve_tcp() returns at least one endpoint
}

asio::awaitable<Status> Host::probe_dial(Multiaddr address, PeerId peer) {
  CAIRN_CO_TRY(TcpDialTarget target, address.tcp_dial_target());
  if (target.peer && *target.peer != peer) {
    co_return Error{ErrorCode::invalid_argument,
                    "probe dial: " + address.to_string() + " names another peer"};
  }
  const auto deadline = SteadyClock::now() + options_.autonat.dial_timeout;
  CAIRN_CO_TRY(
      std::vector<tcp::endpoint> endpoints,
      co_await resolve_tcp(io_, target, std::min(options_.resolve_timeout, options_.autonat.dial_timeout)));
  std::optional<Error> failure;
  for (const tcp::endpoint& endpoint : endpoints) {
    const Duration left = deadline - SteadyClock::now();
    if (left <= Duration::zero()) co_return Error{ErrorCode::io, "probe dial: timed out"};
    if (!reserve(Direction::outbound)) {
      co_return Error{ErrorCode::limit,
                      "outbound connection limit of " + std::to_string(options_.max_outbound) + " reached"};
    }
    ConnectionOptions bounded = options_.connection;
    bounded.handshake_timeout = std::min(bounded.handshake_timeout, left);
    Strand strand = asio::make_strand(io_);
    Result<tcp::socket> socket = outbound_socket(strand, endpoint);
    if (!socket) {
      release_outbound();
      failure = socket.error();
      continue;
    }
    auto connection = make_connection(strand, std::move(socket).value(), Direction::outbound, bounded);
    Status reached = co_await run_on(strand, probe_connection(connection, endpoint, peer));
    if (reached) co_return reached;
    failure = reached.error();
  }
  co_return *failure;
}

asio::awaitable<Status> Host::probe_connection(std::shared_ptr<Connection> connection, tcp::endpoint endpoint,
                                               PeerId peer) {
  CAIRN_CO_TRY_STATUS(co_await connection->establish(endpoint, std::move(peer)));
  connection->close("dial-back probe done");
  co_return Status{};
}

asio::awaitable<Status> Host::run_connection(std::shared_ptr<Connection> connection,
                                             std::optional<tcp::endpoint> dial_to,
                                             std::optional<PeerId> expected) {
  CAIRN_CO_TRY_STATUS(co_await connection->establish(dial_to, std::move(expected)));
  const PeerId peer = connection->remote_peer();
  if (auto refused = refuse_peer(*connection)) {
    const std::string reason = "refused: " + *refused;
    connection->close(reason);
    co_return Error{ErrorCode::io, "connection closed: " + reason};
  }
  ConnectionInfo info{peer, connection->direction(), connection->remote_address(),
                      multiaddr_ip(connection->remote_address()).value_or(asio::ip::address{}),
                      SystemClock{}.monotonic_nanos()};
  bool duplicate = false;
  {
    MutexLock lock(mutex_);
    auto [it, inserted] = by_peer_.emplace(peer, connection);
    duplicate = !inserted && !it->second->closed();
    if (!inserted && !duplicate) it->second = connection;
    if (!duplicate) registered_.emplace(connection.get(), info);
  }
  if (duplicate) {
    // One connection per peer: the one established first stays.
    connection->close("already connected to this peer");
    co_return Status{};
  }
  log("connected to " + peer.to_base58() + " at " + connection->remote_address().to_string());
  // On the connection's strand, before serve(): its on_disconnected cannot come first.
  if (options_.on_connected) options_.on_connected(info);
  asio::co_spawn(connection->strand(), connection->serve(), log_exception("connection"));
  asio::co_spawn(io_, identify_on_connect(peer), log_exception("identify"));
  co_return Status{};
}

std::shared_ptr<Connection> Host::make_connection(Strand strand, tcp::socket socket, Direction direction,
                                                  const ConnectionOptions& connection_options,
                                                  std::optional<asio::ip::address> inbound_ip) {
  std::weak_ptr<Host> weak = weak_from_this();
  Connection::Callbacks callbacks{[weak](Stream stream) {
                                    if (auto self = weak.lock()) {
                                      const Strand strand_of_stream = stream.connection().strand();
                                      asio::co_spawn(strand_of_stream, self->serve_stream(std::move(stream)),
                                                     log_exception("stream handler"));
                                    }
                                  },
                                  [weak](Connection& closed) {
                                    if (auto self = weak.lock()) self->on_closed(closed);
                                  },
                                  [weak](const std::string& message) {
                                    if (auto self = weak.lock()) self->log(message);
                                  },
                                  traffic_};
  auto connection = std::make_shared<Connection>(std::move(strand), std::move(socket), direction, identity_,
                                                 connection_options, std::move(callbacks));
  MutexLock lock(mutex_);
  live_[connection.get()] = connection;
  if (inbound_ip) inbound_ip_.emplace(connection.get(), *inbound_ip);
  return connection;
}

bool Host::reserve(Direction direction) {
  MutexLock lock(mutex_);
  size_t& count = direction == Direction::inbound ? inbound_ : outbound_;
  const size_t limit = direction == Direction::inbound ? options_.max_inbound : options_.max_outbound;
  if (count >= limit) return false;
  ++count;
  return true;
}

void Host::release_outbound() {
  MutexLock lock(mutex_);
  --outbound_;
}

std::optional<std::string> Host::inbound_over_limit(const asio::ip::address& ip, bool& full) const {
  full = false;
  const auto from_ip = inbound_by_ip_.find(ip);
  const bool exempt = options_.exempt_loopback_per_ip && ip.is_loopback();
  if (!exempt && from_ip != inbound_by_ip_.end() && from_ip->second >= options_.max_inbound_per_ip) {
    return "the limit of " + std::to_string(options_.max_inbound_per_ip) + " inbound connections from " +
           ip.to_string() + " is reached";
  }
  if (inbound_ >= options_.max_inbound) {
    full = true;
    return "the inbound limit of " + std::to_string(options_.max_inbound) + " is reached";
  }
  return std::nullopt;
}

std::optional<std::string> Host::reserve_inbound(const asio::ip::address& ip) {
  MutexLock lock(mutex_);
  bool full = false;
  if (auto refused = inbound_over_limit(ip, full)) return refused;
  ++inbound_by_ip_[ip];
  ++inbound_;
  return std::nullopt;
}

bool Host::evict_inbound() {
  if (!options_.select_inbound_to_evict) return false;
  std::vector<ConnectionInfo> inbound;
  {
    MutexLock lock(mutex_);
    for (const auto& [connection, info] : registered_) {
      if (info.direction == Direction::inbound && !released_.contains(connection)) inbound.push_back(info);
    }
  }
  if (inbound.empty()) return false;
  // Asked without the lock: the owner's policy may call back into the host.
  const std::optional<PeerId> victim = options_.select_inbound_to_evict(std::move(inbound));
  if (!victim) return false;
  std::shared_ptr<Connection> connection;
  {
    MutexLock lock(mutex_);
    const auto it = by_peer_.find(*victim);
    if (it == by_peer_.end() || it->second->direction() != Direction::inbound ||
        released_.contains(it->second.get()))
      return false;
    connection = it->second;
    // Its slot is free from now on, so the new connection fits while it closes.
    --inbound_;
    if (auto ip = inbound_ip_.find(connection.get()); ip != inbound_ip_.end()) {
      auto count = inbound_by_ip_.find(ip->second);
      if (count != inbound_by_ip_.end() && --count->second == 0) inbound_by_ip_.erase(count);
      inbound_ip_.erase(ip);
    }
    released_.insert(connection.get());
  }
  log("evicting inbound peer " + victim->to_base58() + " to admit a new inbound connection");
  asio::post(connection->strand(),
             [connection] { connection->close("evicted for a new inbound connection"); });
  return true;
}

Result<tcp::socket> Host::outbound_socket(const Strand& strand, const tcp::endpoint& endpoint) {
  tcp::socket socket(strand);
  if (!options_.outbound_bind_address) return socket;
  const asio::ip::address& local = *options_.outbound_bind_address;
  if (local.is_v4() != endpoint.address().is_v4()) {
    return Error{ErrorCode::invalid_argument, "cannot dial " + endpoint.address().to_string() +
                                                  " from the outbound bind address " + local.to_string()};
  }
  error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.bind(tcp::endpoint(local, 0), ec);
  if (ec) return Error{ErrorCode::io, "bind to " + local.to_string() + ": " + ec.message()};
  return socket;
}

std::optional<std::string> Host::refuse_peer(const Connection& connection) const {
  if (!options_.admit_peer) return std::nullopt;
  const auto ip = multiaddr_ip(connection.remote_address());
  return options_.admit_peer(connection.remote_peer(), ip.value_or(asio::ip::address{}));
}

void Host::on_closed(Connection& connection) {
  std::optional<ConnectionInfo> registered;
  {
    MutexLock lock(mutex_);
    // An evicted connection gave its inbound slot back already.
    const bool released = released_.erase(&connection) > 0;
    if (!released) --(connection.direction() == Direction::inbound ? inbound_ : outbound_);
    live_.erase(&connection);
    if (auto it = inbound_ip_.find(&connection); it != inbound_ip_.end()) {
      auto count = inbound_by_ip_.find(it->second);
      if (count != inbound_by_ip_.end() && --count->second == 0) inbound_by_ip_.erase(count);
      inbound_ip_.erase(it);
    }
    for (auto it = by_peer_.begin(); it != by_peer_.end(); ++it) {
      if (it->second.get() == &connection) {
        by_peer_.erase(it);
        break;
      }
    }
    if (auto it = registered_.find(&connection); it != registered_.end()) {
      registered = std::move(it->second);
      registered_.erase(it);
    }
  }
  if (registered && options_.on_disconnected)
    options_.on_disconnected(*registered, connection.close_reason());
}

std::shared_ptr<Connection> Host::find(const PeerId& peer) const {
  MutexLock lock(mutex_);
  const auto it = by_peer_.find(peer);
  return it == by_peer_.end() ? nullptr : it->second;
}

bool Host::connected(const PeerId& peer) const { return find(peer) != nullptr; }

size_t Host::connection_count() const {
  MutexLock lock(mutex_);
  return by_peer_.size();
}

std::vector<ConnectionInfo> Host::connections() const {
  MutexLock lock(mutex_);
  std::vector<ConnectionInfo> out;
  out.reserve(registered_.size());
  for (const auto& [connection, info] : registered_) out.push_back(info);
  return out;
}

bool Host::disconnect(const PeerId& peer, std::string reason) {
  auto connection = find(peer);
  if (!connection) return false;
  log("disconnecting " + peer.to_base58() + ": " + reason);
  // The lambda owns the connection until shut_down() has run.
  asio::co_spawn(
      connection->strand(),
      [connection, grace = options_.shutdown_grace, reason = std::move(reason)]() -> asio::awaitable<void> {
        co_await connection->shut_down(grace, reason);
      },
      log_exception("disconnect"));
  return true;
}

std::map<std::string, ProtocolTraffic> Host::protocol_traffic() const { return traffic_->snapshot(); }

std::optional<IdentifyInfo> Host::peer_info(const PeerId& peer) const {
  MutexLock lock(mutex_);
  const auto it = peer_info_.find(peer);
  if (it == peer_info_.end()) return std::nullopt;
  return it->second;
}

IdentifyInfo Host::local_info(const Connection& connection) const {
  std::vector<Multiaddr> addresses = announced_addresses();
  // The record's sequence number only has to grow when the addresses change: the time in
  // milliseconds does that across restarts too, as js-libp2p does.
  const auto seq = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  Bytes record = seal_peer_record(*identity_, seq, addresses);
  return IdentifyInfo{std::string(kLibp2pProtocolVersion),
                      options_.agent_version,
                      identity_->public_key(),
                      std::move(addresses),
                      connection.remote_address(),
                      protocols(),
                      std::move(record)};
}

std::optional<Bytes> Host::peer_record(const PeerId& peer) const {
  MutexLock lock(mutex_);
  const auto it = peer_info_.find(peer);
  if (it == peer_info_.end()) return std::nullopt;
  return it->second.signed_peer_record;
}

asio::awaitable<Result<Stream>> Host::new_stream(PeerId peer, std::vector<std::string> protocols) {
  auto connection = find(peer);
  if (!connection) co_return Error{ErrorCode::not_found, "not connected to " + peer.to_base58()};
  CAIRN_CO_TRY(Stream stream, co_await run_on(connection->strand(), connection->open_stream()));
  auto selected = co_await stream.negotiate(MultistreamSelect::dialer(std::move(protocols)));
  if (!selected) {
    co_await stream.reset();
    co_return selected.error();
  }
  co_return stream;
}

asio::awaitable<Result<IdentifyInfo>> Host::identify(PeerId peer) {
  // A named vector: GCC 12 miscompiles an initializer list inside a co_await expression.
  std::vector<std::string> protocol{std::string(kIdentifyProtocolId)};
  Result<Stream> stream = co_await new_stream(peer, std::move(protocol));
  if (!stream) co_return stream.error();
  Result<IdentifyInfo> info = co_await request_identify(*stream, peer);
  if (!info) {
    co_await stream->reset();
    co_return info.error();
  }
  record_info(peer, *info);
  if (info->observed_addr) record_observed(stream->connection(), *info->observed_addr);
  // The answering side has closed already; closing ours ends the stream.
  Status closed = co_await stream->close();
  if (!closed) log("identify " + peer.to_base58() + ": " + closed.error().message);
  co_return info;
}

asio::awaitable<Result<Duration>> Host::ping(PeerId peer) {
  std::vector<std::string> protocol{std::string(kPingProtocolId)};
  Result<Stream> stream = co_await new_stream(peer, std::move(protocol));
  if (!stream) co_return stream.error();
  Result<Duration> rtt = co_await ping_once(*stream);
  if (Status closed = co_await stream->close(); !closed)
    log("ping " + peer.to_base58() + ": " + closed.error().message);
  co_return std::move(rtt);
}

asio::awaitable<void> Host::identify_on_connect(PeerId peer) {
  auto self = shared_from_this();
  Result<IdentifyInfo> info = co_await identify(peer);
  if (!info) log("identify " + peer.to_base58() + ": " + info.error().message);
}

asio::awaitable<void> Host::serve_stream(Stream stream) {
  auto self = shared_from_this();
  auto selected = co_await stream.negotiate(MultistreamSelect::listener(protocols()));
  if (!selected) {
    log("stream from " + stream.connection().name() + ": " + selected.error().message);
    co_await stream.reset();
    co_return;
  }
  StreamHandler handler;
  {
    MutexLock lock(mutex_);
    handler = handlers_.at(*selected);  // negotiation only agrees on registered protocols
  }
  co_await handler(stream);
  if (Status closed = co_await stream.close(); !closed)
    log("stream " + *selected + ": " + closed.error().message);
}

asio::awaitable<void> Host::serve_identify_push(Stream stream) {
  const PeerId peer = stream.connection().remote_peer();
  auto message = co_await read_length_prefixed(stream, kMaxIdentifyMessageSize);
  auto info =
      message ? apply_identify_push(*message, peer, peer_info(peer)) : Result<IdentifyInfo>(message.error());
  if (!info) {
    log("identify push from " + peer.to_base58() + ": " + info.error().message);
    co_return;
  }
  record_info(peer, std::move(info).value());
}

void Host::record_info(const PeerId& peer, IdentifyInfo info) {
  MutexLock lock(mutex_);
  peer_info_[peer] = std::move(info);
}

void Host::record_observed(const Connection& connection, const Multiaddr& observed) {
  const auto observer_ip = multiaddr_ip(connection.remote_address());
  if (!observer_ip) return;
  bool announce = false;
  {
    MutexLock lock(mutex_);
    const std::vector<Multiaddr> before = announced_addresses_locked();
    observed_.record(observed, observer_key(*observer_ip, connection.remote_peer()));
    announce = announced_addresses_locked() != before;
  }
  if (announce) {
    log("observed address " + observed.to_string() + " confirmed; announcing it");
    schedule_identify_push();
  }
}

void Host::schedule_identify_push() {
  if (stopped_) return;
  {
    MutexLock lock(mutex_);
    // Nobody to tell yet: a peer that connects later identifies us afresh.
    if (push_scheduled_ || by_peer_.empty()) return;
    push_scheduled_ = true;
  }
  asio::co_spawn(strand_, push_after_delay(weak_from_this(), options_.identify_push_delay),
                 log_exception("identify push"));
}

asio::awaitable<void> Host::push_after_delay(std::weak_ptr<Host> weak, Duration delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  auto self = weak.lock();
  if (!self || self->stopped_) co_return;
  std::vector<PeerId> peers;
  {
    MutexLock lock(self->mutex_);
    // Cleared before the message is built: a change from now on schedules another push.
    self->push_scheduled_ = false;
    for (const auto& [peer, connection] : self->by_peer_) {
      const auto info = self->peer_info_.find(peer);
      if (info != self->peer_info_.end() && contains(info->second.protocols, kIdentifyPushProtocolId))
        peers.push_back(peer);
    }
  }
  if (peers.empty()) co_return;
  self->log("identify push to " + std::to_string(peers.size()) + " peer(s)");
  for (const PeerId& peer : peers) {
    asio::co_spawn(self->io_, self->push_identify(peer), log_exception("identify push"));
  }
}

asio::awaitable<void> Host::push_identify(PeerId peer) {
  auto self = shared_from_this();
  std::vector<std::string> protocol{std::string(kIdentifyPushProtocolId)};
  Result<Stream> stream = co_await new_stream(peer, std::move(protocol));
  if (!stream) {
    log("identify push to " + peer.to_base58() + ": " + stream.error().message);
    co_return;
  }
  Status sent = co_await stream->write(encode_identify(local_info(stream->connection())));
  if (sent) {
    Status closed = co_await stream->close();
    sent = std::move(closed);
  }
  if (!sent) {
    log("identify push to " + peer.to_base58() + ": " + sent.error().message);
    co_await stream->reset();
  }
}

asio::awaitable<void> Host::serve_autonat(Stream stream) {
  const PeerId requester = stream.connection().remote_peer();
  const auto observed_ip = multiaddr_ip(stream.connection().remote_address());
  Result<Bytes> message = co_await read_length_prefixed(stream, kMaxAutonatMessageSize);
  const AutonatDialResponse response = co_await answer_autonat(std::move(message), requester, observed_ip);
  if (Status sent = co_await stream.write(encode_autonat_response(response)); !sent)
    log("autonat answer to " + requester.to_base58() + ": " + sent.error().message);
}

asio::awaitable<AutonatDialResponse> Host::answer_autonat(Result<Bytes> message, PeerId requester,
                                                          std::optional<asio::ip::address> observed_ip) {
  {
    MutexLock lock(mutex_);
    if (!autonat_limiter_.allow(requester, SteadyClock::now()))
      co_return AutonatDialResponse{AutonatStatus::dial_refused, "too many dial requests", std::nullopt};
  }
  if (!message)
    co_return AutonatDialResponse{AutonatStatus::bad_request, message.error().message, std::nullopt};
  Result<AutonatDialRequest> request = decode_autonat_dial(*message);
  if (!request)
    co_return AutonatDialResponse{AutonatStatus::bad_request, request.error().message, std::nullopt};
  if (!observed_ip) {
    co_return AutonatDialResponse{AutonatStatus::internal_error, "no observed IP for the requester",
                                  std::nullopt};
  }
  DialBackPlan plan =
      plan_dial_back(*request, requester, *observed_ip, options_.autonat.allow_private_dial_back);
  if (plan.refusal) co_return std::move(*plan.refusal);
  std::string failures;
  for (const Multiaddr& address : plan.addrs) {
    Status reached = co_await probe_dial(address, requester);
    if (reached) co_return AutonatDialResponse{AutonatStatus::ok, "", address};
    // Our own outbound limit says nothing about the requester's reachability.
    if (reached.error().code == ErrorCode::limit)
      co_return AutonatDialResponse{AutonatStatus::dial_refused, reached.error().message, std::nullopt};
    if (!failures.empty()) failures += "; ";
    failures += reached.error().message;
  }
  co_return AutonatDialResponse{AutonatStatus::dial_error, std::move(failures), std::nullopt};
}

asio::awaitable<Result<AutonatDialResponse>> Host::ask_autonat(PeerId server, std::vector<Multiaddr> addrs) {
  std::vector<std::string> protocol{std::string(kAutonatProtocolId)};
  CAIRN_CO_TRY(Stream stream, co_await new_stream(server, std::move(protocol)));
  // No co_await inside a conditional expression: GCC 12 miscompiles it.
  Status sent = co_await stream.write(encode_autonat_dial(peer_id_, addrs));
  if (!sent) {
    co_await stream.reset();
    co_return sent.error();
  }
  Result<Bytes> answer = co_await read_length_prefixed(stream, kMaxAutonatMessageSize);
  if (!answer) {
    co_await stream.reset();
    co_return answer.error();
  }
  Result<AutonatDialResponse> response = decode_autonat_response(*answer);
  if (!response) {
    co_await stream.reset();
    co_return response.error();
  }
  if (Status closed = co_await stream.close(); !closed)
    log("autonat " + server.to_base58() + ": " + closed.error().message);
  co_return response;
}

asio::awaitable<Result<Reachability>> Host::check_reachability() {
  auto self = shared_from_this();
  std::vector<PeerId> servers;
  std::vector<Multiaddr> addrs;
  {
    MutexLock lock(mutex_);
    for (const auto& [peer, connection] : by_peer_) {
      const auto info = peer_info_.find(peer);
      if (info == peer_info_.end() || !contains(info->second.protocols, kAutonatProtocolId)) continue;
      servers.push_back(peer);
      if (servers.size() == options_.autonat.servers_per_check) break;
    }
    // The server dials only what is at the IP it sees us at, so every candidate goes: even
    // an unconfirmed observed address may be the one that works.
    addrs = announced_addresses_locked();
    for (const ObservedAddress& observed : observed_.addresses()) add_unique(addrs, observed.address);
  }
  if (servers.empty()) co_return Error{ErrorCode::not_found, "autonat: no connected peer supports AutoNAT"};
  if (addrs.size() > kMaxAutonatRequestAddresses)
    addrs.erase(addrs.begin() + kMaxAutonatRequestAddresses, addrs.end());

  AutonatVerdict verdict(options_.autonat.threshold);
  for (const PeerId& server : servers) {
    Result<AutonatDialResponse> response = co_await ask_autonat(server, addrs);
    if (!response) {
      log("autonat " + server.to_base58() + ": " + response.error().message);
      continue;
    }
    verdict.add(*response);
    if (verdict.verdict() != Reachability::unknown) break;
  }
  const Reachability result = verdict.verdict();
  if (result == Reachability::unknown) co_return result;
  bool announce = false;
  {
    MutexLock lock(mutex_);
    const std::vector<Multiaddr> before = announced_addresses_locked();
    autonat_reachability_ = result;
    autonat_reached_ = verdict.reached();
    announce = announced_addresses_locked() != before;
  }
  log("autonat: reachability is " + std::string(to_string(result)));
  if (announce) schedule_identify_push();
  co_return result;
}

void Host::stop() {
  stopped_ = true;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::vector<std::shared_ptr<Connection>> connections;
  {
    MutexLock lock(mutex_);
    acceptors = acceptors_;
    for (const auto& [pointer, weak] : live_) {
      if (auto connection = weak.lock()) connections.push_back(std::move(connection));
    }
  }
  asio::post(strand_, [acceptors] {
    error_code ignored;
    for (const auto& acceptor : acceptors) acceptor->close(ignored);
  });
  // Gracefully: GoAway, then the open streams get shutdown_grace to finish.
  for (auto& connection : connections) {
    asio::co_spawn(
        connection->strand(),
        [connection, grace = options_.shutdown_grace]() -> asio::awaitable<void> {
          co_await connection->shut_down(grace);
        },
        asio::detached);
  }
}

}  // namespace cairn::net
