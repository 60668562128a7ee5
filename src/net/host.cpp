#include "net/host.h"

#include <exception>
#include <iostream>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/ping.h"
#include "net/tcp_transport.h"

namespace cairn::net {
namespace {

using asio::ip::tcp;
using boost::system::error_code;

// Completion for detached coroutines: nothing in Cairn's network code throws on peer input,
// so an exception here is a bug worth a log line, but not worth the process.
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
      options_(std::move(options)) {}

void Host::log(const std::string& message) const {
  if (options_.log) {
    options_.log(message);
  } else {
    std::cerr << "cairn net: " + message + "\n";
  }
}

void Host::set_handler(const std::string& protocol, StreamHandler handler) {
  MutexLock lock(mutex_);
  handlers_[protocol] = std::move(handler);
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
  return listening;
}

std::vector<Multiaddr> Host::listen_addresses() const {
  MutexLock lock(mutex_);
  return listen_addresses_;
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
    if (!reserve(Direction::inbound)) {
      log("inbound connection from " + tcp_multiaddr(socket.remote_endpoint(ec)).to_string() +
          " refused: the limit of " + std::to_string(options_.max_inbound) + " is reached");
      socket.close(ec);
      continue;
    }
    auto connection = make_connection(strand, std::move(socket), Direction::inbound);
    asio::co_spawn(strand, run_connection(connection, std::nullopt, std::nullopt),
                   [](std::exception_ptr, Status) {});  // failures are logged by the connection
  }
}

asio::awaitable<Result<PeerId>> Host::dial(Multiaddr address) {
  CAIRN_CO_TRY(TcpDialTarget target, address.tcp_dial_target());
  if (target.peer && connected(*target.peer)) co_return *target.peer;
  CAIRN_CO_TRY(tcp::endpoint endpoint, tcp_endpoint(target));
  if (!reserve(Direction::outbound)) {
    co_return Error{ErrorCode::limit,
                    "outbound connection limit of " + std::to_string(options_.max_outbound) + " reached"};
  }
  Strand strand = asio::make_strand(io_);
  auto connection = make_connection(strand, tcp::socket(strand), Direction::outbound);
  CAIRN_CO_TRY_STATUS(co_await run_on(strand, run_connection(connection, endpoint, target.peer)));
  co_return connection->remote_peer();
}

asio::awaitable<Status> Host::run_connection(std::shared_ptr<Connection> connection,
                                             std::optional<tcp::endpoint> dial_to,
                                             std::optional<PeerId> expected) {
  CAIRN_CO_TRY_STATUS(co_await connection->establish(dial_to, std::move(expected)));
  const PeerId peer = connection->remote_peer();
  bool duplicate = false;
  {
    MutexLock lock(mutex_);
    auto [it, inserted] = by_peer_.emplace(peer, connection);
    duplicate = !inserted && !it->second->closed();
    if (!inserted && !duplicate) it->second = connection;
  }
  if (duplicate) {
    // One connection per peer: the one established first stays.
    connection->close("already connected to this peer");
    co_return Status{};
  }
  log("connected to " + peer.to_base58() + " at " + connection->remote_address().to_string());
  asio::co_spawn(connection->strand(), connection->serve(), log_exception("connection"));
  asio::co_spawn(io_, identify_on_connect(peer), log_exception("identify"));
  co_return Status{};
}

std::shared_ptr<Connection> Host::make_connection(Strand strand, tcp::socket socket, Direction direction) {
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
                                  }};
  auto connection = std::make_shared<Connection>(std::move(strand), std::move(socket), direction, identity_,
                                                 options_.connection, std::move(callbacks));
  MutexLock lock(mutex_);
  live_[connection.get()] = connection;
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

void Host::on_closed(Connection& connection) {
  MutexLock lock(mutex_);
  --(connection.direction() == Direction::inbound ? inbound_ : outbound_);
  live_.erase(&connection);
  for (auto it = by_peer_.begin(); it != by_peer_.end(); ++it) {
    if (it->second.get() == &connection) {
      by_peer_.erase(it);
      break;
    }
  }
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

std::optional<IdentifyInfo> Host::peer_info(const PeerId& peer) const {
  MutexLock lock(mutex_);
  const auto it = peer_info_.find(peer);
  if (it == peer_info_.end()) return std::nullopt;
  return it->second;
}

IdentifyInfo Host::local_info(const Connection& connection) const {
  return IdentifyInfo{std::string(kLibp2pProtocolVersion),
                      options_.agent_version,
                      identity_->public_key(),
                      listen_addresses(),
                      connection.remote_address(),
                      protocols()};
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
  // The answering side has closed already; closing ours ends the stream.
  if (Status closed = co_await stream->close(); !closed)
    log("identify " + peer.to_base58() + ": " + closed.error().message);
  co_return std::move(info);
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
  for (auto& connection : connections) {
    asio::post(connection->strand(), [connection] { connection->close("host stopped"); });
  }
}

}  // namespace cairn::net
