#include "net/gossipsub_service.h"

#include <iostream>

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>

#include "net/identify.h"
#include "net/multiformats.h"

namespace cairn::net {
namespace {

// Stream reads time out after ConnectionOptions::stream_timeout; on a gossipsub stream that
// only means the peer had nothing to say.
bool is_timeout(const Error& error) {
  return error.code == ErrorCode::io && error.message.find("timed out") != std::string::npos;
}

Bytes frame(const pb::RPC& rpc) {
  const std::string body = rpc.SerializeAsString();
  Bytes out;
  append_uvarint(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The IP a connection comes from, for the router's IP colocation score.
std::string ip_of(const Connection& connection) {
  const auto target = connection.remote_address().tcp_dial_target();
  return target ? target->host : std::string{};
}

// PX hands out the records peers sent us in identify unless the owner supplies its own.
GossipsubConfig with_host_records(GossipsubConfig config, const std::shared_ptr<Host>& host) {
  if (!config.peer_record) {
    config.peer_record = [weak = std::weak_ptr<Host>(host)](const PeerId& peer) -> std::optional<Bytes> {
      auto strong = weak.lock();
      return strong ? strong->peer_record(peer) : std::nullopt;
    };
  }
  return config;
}

}  // namespace

Result<std::shared_ptr<GossipsubService>> GossipsubService::create(asio::io_context& io,
                                                                   std::shared_ptr<Host> host, KeyPair key,
                                                                   GossipsubServiceOptions options) {
  if (PeerId::from_public_key(key.public_key()) != host->peer_id()) {
    return Error{ErrorCode::invalid_argument, "gossipsub: the key is not the host's identity"};
  }
  std::shared_ptr<GossipsubService> service(
      new GossipsubService(io, std::move(host), std::move(key), std::move(options)));
  std::weak_ptr<GossipsubService> weak = service;
  auto handler = [weak](Stream stream) -> asio::awaitable<void> {
    if (auto self = weak.lock()) co_await self->serve_inbound(std::move(stream));
  };
  service->host_->set_handler(std::string(kMeshsubV12), handler);
  service->host_->set_handler(std::string(kMeshsubV11), handler);
  asio::co_spawn(service->strand_, service->heartbeat_loop(), asio::detached);
  return service;
}

GossipsubService::GossipsubService(asio::io_context& io, std::shared_ptr<Host> host, KeyPair key,
                                   GossipsubServiceOptions options)
    : io_(io),
      strand_(asio::make_strand(io)),
      host_(std::move(host)),
      key_(std::move(key)),
      options_(std::move(options)),
      router_(key_, with_host_records(options_.router, host_), clock_, rng_),
      heartbeat_timer_(strand_) {}

void GossipsubService::log(const std::string& message) const {
  if (options_.log) {
    options_.log("gossipsub: " + message);
  } else {
    std::cerr << "gossipsub: " << message << '\n';
  }
}

// ---- public API: each call hops onto the strand ---------------------------------------------

asio::awaitable<Status> GossipsubService::add_peer(PeerId peer) {
  if (!host_->connected(peer))
    co_return Error{ErrorCode::not_found, "gossipsub: not connected to " + peer.to_base58()};
  auto self = shared_from_this();
  co_await run_on(strand_, [](std::shared_ptr<GossipsubService> s, PeerId p) -> asio::awaitable<bool> {
    s->ensure_link(p);
    co_return true;
  }(self, std::move(peer)));
  co_return Status{};
}

asio::awaitable<bool> GossipsubService::subscribe(std::string topic) {
  co_return co_await run_on(strand_,
                            [](std::shared_ptr<GossipsubService> s, std::string t) -> asio::awaitable<bool> {
                              s->router_.subscribe(t);
                              s->flush();
                              co_return true;
                            }(shared_from_this(), std::move(topic)));
}

asio::awaitable<bool> GossipsubService::unsubscribe(std::string topic) {
  co_return co_await run_on(strand_,
                            [](std::shared_ptr<GossipsubService> s, std::string t) -> asio::awaitable<bool> {
                              s->router_.unsubscribe(t);
                              s->flush();
                              co_return true;
                            }(shared_from_this(), std::move(topic)));
}

asio::awaitable<bool> GossipsubService::set_validator(std::string topic, Validator validator) {
  co_return co_await run_on(
      strand_, [](std::shared_ptr<GossipsubService> s, std::string t, Validator v) -> asio::awaitable<bool> {
        s->router_.set_validator(t, std::move(v));
        co_return true;
      }(shared_from_this(), std::move(topic), std::move(validator)));
}

void GossipsubService::report_validation(MessageId id, ValidationResult result) {
  asio::post(strand_, [self = shared_from_this(), id = std::move(id), result] {
    if (self->stopped_) return;
    self->router_.report_validation(id, result);
    self->flush();
  });
}

std::map<std::string, TopicCounters> GossipsubService::topic_counters() const {
  MutexLock lock(counters_mutex_);
  return counters_;
}

asio::awaitable<Result<MessageId>> GossipsubService::publish(std::string topic, Bytes data) {
  co_return co_await run_on(
      strand_,
      [](std::shared_ptr<GossipsubService> s, std::string t, Bytes d) -> asio::awaitable<Result<MessageId>> {
        Result<MessageId> id = s->router_.publish(t, d);
        s->flush();
        co_return id;
      }(shared_from_this(), std::move(topic), std::move(data)));
}

asio::awaitable<std::set<PeerId>> GossipsubService::mesh(std::string topic) {
  co_return co_await run_on(
      strand_, [](std::shared_ptr<GossipsubService> s, std::string t) -> asio::awaitable<std::set<PeerId>> {
        co_return s->router_.mesh(t);
      }(shared_from_this(), std::move(topic)));
}

asio::awaitable<std::set<PeerId>> GossipsubService::topic_peers(std::string topic) {
  co_return co_await run_on(
      strand_, [](std::shared_ptr<GossipsubService> s, std::string t) -> asio::awaitable<std::set<PeerId>> {
        co_return s->router_.topic_peers(t);
      }(shared_from_this(), std::move(topic)));
}

void GossipsubService::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] {
    self->heartbeat_timer_.cancel();
    for (auto& [peer, link] : self->links_) {
      link->closed = true;
      link->signal.cancel();
    }
    self->links_.clear();
  });
}

// ---- on the strand --------------------------------------------------------------------------

void GossipsubService::ensure_link(const PeerId& peer) {
  if (stopped_ || links_.contains(peer)) return;
  auto link = std::make_shared<Link>(strand_);
  links_.emplace(peer, link);
  asio::co_spawn(strand_, run_writer(peer, link), asio::detached);
}

void GossipsubService::drop_peer(const PeerId& peer, const std::string& reason) {
  auto it = links_.find(peer);
  if (it != links_.end()) {
    it->second->closed = true;
    it->second->signal.cancel();
    links_.erase(it);
  }
  if (router_.has_peer(peer)) {
    log("dropping " + peer.to_base58() + ": " + reason);
    router_.remove_peer(peer);
  }
}

void GossipsubService::flush() {
  for (OutgoingRpc& out : router_.take_outgoing()) {
    auto it = links_.find(out.peer);
    if (it == links_.end()) continue;
    Link& link = *it->second;
    if (link.queue.size() >= options_.max_queued_rpcs) {
      ++dropped_rpcs_;
      continue;
    }
    link.queue.push_back(frame(out.rpc));
    link.signal.cancel();
  }
  for (const Delivery& delivery : router_.take_deliveries()) {
    if (options_.on_message) options_.on_message(delivery);
  }
  MutexLock lock(counters_mutex_);
  counters_ = router_.topic_counters();
}

asio::awaitable<void> GossipsubService::run_writer(PeerId peer, std::shared_ptr<Link> link) {
  auto self = shared_from_this();  // alive while the writer runs
  std::vector<std::string> protocols{std::string(kMeshsubV12), std::string(kMeshsubV11)};
  Result<Stream> stream = co_await host_->new_stream(peer, std::move(protocols));
  if (!stream) {
    if (!link->closed) drop_peer(peer, "no gossipsub stream: " + stream.error().message);
    co_return;
  }
  if (!link->closed && !router_.has_peer(peer)) {
    if (router_.add_peer(peer, stream->protocol(), stream->connection().direction() == Direction::outbound)) {
      router_.set_peer_ip(peer, ip_of(stream->connection()));
    } else {
      drop_peer(peer, "peer limit reached");
    }
    flush();
  }
  while (!link->closed) {
    if (!link->queue.empty()) {
      Bytes next = std::move(link->queue.front());
      link->queue.pop_front();
      if (Status written = co_await stream->write(std::move(next)); !written) {
        if (!link->closed) drop_peer(peer, "write failed: " + written.error().message);
        break;
      }
      continue;
    }
    link->signal.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ignored;
    co_await link->signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_await stream->reset();
}

asio::awaitable<void> GossipsubService::heartbeat_loop() {
  auto self = shared_from_this();
  const auto interval = std::chrono::nanoseconds(options_.router.heartbeat_interval_ns);
  while (!stopped_) {
    heartbeat_timer_.expires_after(interval);
    boost::system::error_code ec;
    co_await heartbeat_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    router_.heartbeat();
    flush();
    dial_px_candidates();
  }
}

void GossipsubService::dial_px_candidates() {
  size_t dials = 0;
  for (PxCandidate& candidate : router_.take_px_candidates()) {
    if (dials == options_.max_px_dials_per_heartbeat) break;
    if (candidate.addresses.empty() || host_->connected(candidate.peer)) continue;
    ++dials;
    asio::co_spawn(io_, dial_px(std::move(candidate)), asio::detached);
  }
}

asio::awaitable<void> GossipsubService::dial_px(PxCandidate candidate) {
  auto self = shared_from_this();
  for (const Multiaddr& address : candidate.addresses) {
    auto target = address.peer_id() ? Result<Multiaddr>(address) : address.with_peer_id(candidate.peer);
    if (!target) continue;
    Result<PeerId> dialled = co_await host_->dial(std::move(target).value());
    if (!dialled) continue;
    co_await run_on(strand_, [](std::shared_ptr<GossipsubService> s, PeerId p) -> asio::awaitable<bool> {
      if (!s->stopped_) s->ensure_link(p);
      co_return true;
    }(self, candidate.peer));
    co_return;
  }
  log("peer exchange: could not dial " + candidate.peer.to_base58());
}

asio::awaitable<bool> GossipsubService::on_inbound(PeerId peer, std::string protocol, bool outbound,
                                                   std::string ip) {
  if (stopped_) co_return false;
  if (!router_.has_peer(peer)) {
    if (!router_.add_peer(peer, protocol, outbound)) co_return false;
    router_.set_peer_ip(peer, ip);
  }
  ++inbound_streams_[peer];
  ensure_link(peer);
  flush();
  co_return true;
}

asio::awaitable<bool> GossipsubService::on_rpc(PeerId peer, std::shared_ptr<const pb::RPC> rpc) {
  router_.handle_rpc(peer, *rpc);
  flush();
  co_return router_.has_peer(peer);
}

asio::awaitable<bool> GossipsubService::on_inbound_closed(PeerId peer, std::string reason) {
  auto open = inbound_streams_.find(peer);
  if (open != inbound_streams_.end() && --open->second > 0) co_return true;
  if (open != inbound_streams_.end()) inbound_streams_.erase(open);
  drop_peer(peer, reason);
  co_return true;
}

// ---- inbound streams ------------------------------------------------------------------------

asio::awaitable<void> GossipsubService::serve_inbound(Stream stream) {
  auto self = shared_from_this();
  const PeerId peer = stream.connection().remote_peer();
  const bool outbound = stream.connection().direction() == Direction::outbound;
  if (!co_await run_on(strand_, on_inbound(peer, stream.protocol(), outbound, ip_of(stream.connection()))))
    co_return;
  std::string reason = "inbound stream closed";
  while (!stopped_) {
    Result<Bytes> body = co_await read_length_prefixed(stream, kMaxRpcSize);
    if (!body) {
      if (is_timeout(body.error())) continue;
      reason = body.error().message;
      break;
    }
    auto rpc = std::make_shared<pb::RPC>();
    if (!rpc->ParseFromArray(body->data(), static_cast<int>(body->size()))) {
      reason = "malformed RPC";
      break;
    }
    if (!co_await run_on(strand_, on_rpc(peer, std::move(rpc)))) {
      reason = "no longer a gossipsub peer";
      break;
    }
  }
  co_await run_on(strand_, on_inbound_closed(peer, reason));
}

}  // namespace cairn::net
