#include "net/kademlia_service.h"

#include <iostream>

#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>

#include "net/identify.h"

namespace cairn::net {

namespace {

// `address` without its trailing /p2p/<id>, the form peers exchange in kad messages.
Result<Multiaddr> without_peer_id(const Multiaddr& address) {
  if (!address.peer_id()) return address;
  const std::string text = address.to_string();
  return Multiaddr::parse(std::string_view(text).substr(0, text.rfind("/p2p/")));
}

}  // namespace

// The state of one lookup while it runs: the sans-I/O lookup and the timer its driver
// sleeps on, woken by each answer. Touched only on the service's strand.
struct KademliaService::LookupRun {
  LookupRun(FindNodeLookup l, const Strand& strand) : lookup(std::move(l)), signal(strand) {}
  FindNodeLookup lookup;
  asio::steady_timer signal;
};

Result<std::shared_ptr<KademliaService>> KademliaService::create(asio::io_context& io,
                                                                 std::shared_ptr<Host> host,
                                                                 KademliaServiceOptions options) {
  if (options.protocol.empty() || options.protocol.front() != '/') {
    return Error{ErrorCode::invalid_argument, "kad: protocol id must start with '/'"};
  }
  if (options.max_inbound_per_peer == 0) {
    return Error{ErrorCode::invalid_argument, "kad: max_inbound_per_peer must be positive"};
  }
  std::shared_ptr<KademliaService> service(new KademliaService(io, std::move(host), std::move(options)));
  if (service->options_.server_mode) {
    std::weak_ptr<KademliaService> weak = service;
    service->host_->set_handler(service->options_.protocol, [weak](Stream stream) -> asio::awaitable<void> {
      if (auto self = weak.lock()) co_await self->serve_inbound(std::move(stream));
    });
  }
  asio::co_spawn(service->strand_, service->refresh_loop(), asio::detached);
  return service;
}

KademliaService::KademliaService(asio::io_context& io, std::shared_ptr<Host> host,
                                 KademliaServiceOptions options)
    : strand_(asio::make_strand(io)),
      host_(std::move(host)),
      options_(std::move(options)),
      table_(host_->peer_id(), options_.lookup.k),
      refresh_timer_(strand_) {}

void KademliaService::log(const std::string& message) const {
  if (options_.log) {
    options_.log("kad: " + message);
  } else {
    std::cerr << "kad: " << message << '\n';
  }
}

void KademliaService::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] { self->refresh_timer_.cancel(); });
}

// ---- requests -------------------------------------------------------------------------------

asio::awaitable<Result<kadpb::Message>> KademliaService::request(KadPeer peer, kadpb::Message message) {
  if (peer.id == host_->peer_id())
    co_return Error{ErrorCode::invalid_argument, std::string("kad: a request to ourselves")};
  if (!host_->connected(peer.id)) {
    std::optional<Error> last;
    bool dialled = false;
    for (const Multiaddr& addr : peer.addrs) {
      Result<Multiaddr> full = addr.peer_id() ? Result<Multiaddr>(addr) : addr.with_peer_id(peer.id);
      if (!full) continue;
      Result<PeerId> connected = co_await host_->dial(*full);
      if (connected) {
        dialled = true;
        break;
      }
      last = connected.error();
    }
    if (!dialled)
      co_return last.value_or(Error{ErrorCode::not_found, "kad: no address for " + peer.id.to_base58()});
  }
  // (No braced lists inside co_await expressions: GCC 12 rejects their initializer_list.)
  std::vector<std::string> protocols(1, options_.protocol);
  CAIRN_CO_TRY(Stream stream, co_await host_->new_stream(peer.id, std::move(protocols)));
  const bool answered = message.type() != kadpb::Message::ADD_PROVIDER;
  if (Status written = co_await stream.write(frame_kad_message(message)); !written) {
    co_await stream.reset();
    co_return written.error();
  }
  if (!answered) {
    if (Status closed = co_await stream.close(); !closed) co_return closed.error();
    co_return kadpb::Message{};
  }
  Result<Bytes> body = co_await read_length_prefixed(stream, kMaxKadMessageSize);
  // With the answer in hand a failed close changes nothing (the remote may reset the
  // stream once it has answered).
  static_cast<void>(co_await stream.close());
  if (!body) co_return body.error();
  CAIRN_CO_TRY(kadpb::Message reply, decode_kad_message(*body));
  if (reply.type() != message.type())
    co_return Error{ErrorCode::decode, std::string("kad: answer of another type")};
  co_return reply;
}

// ---- public API -----------------------------------------------------------------------------

asio::awaitable<size_t> KademliaService::bootstrap(std::vector<Multiaddr> peers) {
  auto self = shared_from_this();
  size_t answered = 0;
  const kadpb::Message ask = make_find_node(host_->peer_id().multihash());
  for (const Multiaddr& addr : peers) {
    std::optional<PeerId> id = addr.peer_id();
    if (!id) {
      log("bootstrap address without /p2p: " + addr.to_string());
      continue;
    }
    KadPeer bootstrap_peer{*id, std::vector<Multiaddr>(1, addr)};
    Result<kadpb::Message> reply = co_await request(std::move(bootstrap_peer), ask);
    if (!reply) {
      log("bootstrap peer " + addr.to_string() + " failed: " + reply.error().message);
      continue;
    }
    ++answered;
    std::vector<Multiaddr> addrs;
    if (Result<Multiaddr> bare = without_peer_id(addr)) addrs.push_back(std::move(*bare));
    // (A local, not a braced temporary in the co_await expression: GCC 12 destroys those
    // twice.)
    KadPeer answered_peer{*id, std::move(addrs)};
    co_await run_on(strand_, record_on_strand(std::move(answered_peer)));
  }
  co_return answered;
}

asio::awaitable<size_t> KademliaService::refresh() {
  auto self = shared_from_this();
  co_return co_await run_on(strand_, [](std::shared_ptr<KademliaService> s) -> asio::awaitable<size_t> {
    co_await s->run_lookup(s->host_->peer_id().multihash(), std::nullopt);
    co_return s->table_.size();
  }(self));
}

asio::awaitable<Result<KadPeer>> KademliaService::find_peer(PeerId peer) {
  auto self = shared_from_this();
  co_return co_await run_on(
      strand_, [](std::shared_ptr<KademliaService> s, PeerId target) -> asio::awaitable<Result<KadPeer>> {
        if (std::optional<KadPeer> known = s->table_.find(target)) co_return std::move(*known);
        FindNodeLookup done = co_await s->run_lookup(target.multihash(), target);
        std::optional<KadPeer> seen = done.seen(target);
        if (!seen || seen->addrs.empty()) {
          co_return Error{ErrorCode::not_found, "kad: " + target.to_base58() + " not found"};
        }
        co_return std::move(*seen);
      }(self, std::move(peer)));
}

asio::awaitable<std::vector<KadPeer>> KademliaService::closest_peers(Bytes key) {
  auto self = shared_from_this();
  co_return co_await run_on(
      strand_, [](std::shared_ptr<KademliaService> s, Bytes k) -> asio::awaitable<std::vector<KadPeer>> {
        FindNodeLookup done = co_await s->run_lookup(std::move(k), std::nullopt);
        co_return done.closest_answered();
      }(self, std::move(key)));
}

asio::awaitable<size_t> KademliaService::table_size() {
  co_return co_await run_on(strand_, [](std::shared_ptr<KademliaService> s) -> asio::awaitable<size_t> {
    co_return s->table_.size();
  }(shared_from_this()));
}

asio::awaitable<bool> KademliaService::in_table(PeerId peer) {
  co_return co_await run_on(strand_,
                            [](std::shared_ptr<KademliaService> s, PeerId p) -> asio::awaitable<bool> {
                              co_return s->table_.contains(p);
                            }(shared_from_this(), std::move(peer)));
}

// ---- on the strand --------------------------------------------------------------------------

asio::awaitable<FindNodeLookup> KademliaService::run_lookup(Bytes key, std::optional<PeerId> stop_at) {
  auto self = shared_from_this();
  const KadKey target = KadKey::of_bytes(key);
  auto run =
      std::make_shared<LookupRun>(FindNodeLookup(std::move(key), host_->peer_id(),
                                                 table_.closest(target, options_.lookup.k), options_.lookup),
                                  strand_);
  for (;;) {
    run->lookup.expire(now());
    if (stop_at) {
      std::optional<KadPeer> seen = run->lookup.seen(*stop_at);
      if (seen && !seen->addrs.empty()) break;
    }
    if (run->lookup.done() || stopped_) break;
    for (KadPeer& peer : run->lookup.next_queries(now())) {
      asio::co_spawn(strand_, query(run, std::move(peer)), asio::detached);
    }
    // Nothing in flight after next_queries() means no one is left to ask.
    const std::optional<int64_t> deadline = run->lookup.next_deadline();
    if (!deadline) break;
    run->signal.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, *deadline - now())));
    boost::system::error_code ignored;
    co_await run->signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return std::move(run->lookup);
}

asio::awaitable<void> KademliaService::query(std::shared_ptr<LookupRun> run, KadPeer peer) {
  auto self = shared_from_this();
  Result<kadpb::Message> reply = co_await request(peer, make_find_node(run->lookup.key()));
  if (reply) {
    record_answer(peer);
    run->lookup.on_response(peer.id, decode_closer_peers(*reply));
  } else {
    run->lookup.on_failure(peer.id);
    table_.remove(peer.id);
  }
  run->signal.cancel();
}

asio::awaitable<bool> KademliaService::record_on_strand(KadPeer peer) {
  record_answer(peer);
  co_return true;
}

void KademliaService::record_answer(const KadPeer& peer) {
  if (table_.add(peer, now()) != RoutingTable::AddOutcome::pending) return;
  if (std::optional<PeerId> oldest = table_.check_liveness(peer.id)) {
    asio::co_spawn(strand_, check_liveness(std::move(*oldest)), asio::detached);
  }
}

asio::awaitable<void> KademliaService::check_liveness(PeerId oldest) {
  auto self = shared_from_this();
  std::optional<KadPeer> known = table_.find(oldest);
  if (!known) co_return;
  Result<kadpb::Message> pong = co_await request(*known, make_kad_ping());
  table_.liveness_result(oldest, pong.ok(), now());
}

asio::awaitable<void> KademliaService::admit_requester(PeerId peer) {
  auto self = shared_from_this();
  if (table_.contains(peer) || admitting_.contains(peer)) co_return;
  admitting_.insert(peer);
  KadPeer requester{peer, std::vector<Multiaddr>()};
  Result<kadpb::Message> pong = co_await request(std::move(requester), make_kad_ping());
  // The host identifies every connection itself; its answer carries the listen addresses.
  std::optional<IdentifyInfo> info = host_->peer_info(peer);
  asio::steady_timer wait(strand_);
  for (auto waited = Duration::zero(); pong && !info && waited < kKadIdentifyWait && !stopped_;
       waited += std::chrono::milliseconds(100)) {
    wait.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ignored;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    info = host_->peer_info(peer);
  }
  // Erase by iterator: erase(key) trips GCC 12's -Wstringop-overread in PeerId's <=>.
  if (auto it = admitting_.find(peer); it != admitting_.end()) admitting_.erase(it);
  if (!pong || !info || info->listen_addrs.empty()) co_return;
  record_answer(KadPeer{peer, info->listen_addrs});
}

asio::awaitable<void> KademliaService::refresh_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    refresh_timer_.expires_after(options_.refresh_interval);
    boost::system::error_code ec;
    co_await refresh_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    co_await run_lookup(host_->peer_id().multihash(), std::nullopt);
    const KadKey random = KadKey::random(rng_);
    co_await run_lookup(Bytes(random.bytes.begin(), random.bytes.end()), std::nullopt);
  }
}

// ---- inbound --------------------------------------------------------------------------------

asio::awaitable<bool> KademliaService::enter_inbound(PeerId peer) {
  if (stopped_) co_return false;
  auto it = inbound_.try_emplace(peer, 0).first;
  if (it->second >= options_.max_inbound_per_peer) co_return false;
  ++it->second;
  co_return true;
}

asio::awaitable<bool> KademliaService::leave_inbound(PeerId peer) {
  auto it = inbound_.find(peer);
  if (it != inbound_.end() && --it->second == 0) inbound_.erase(it);
  co_return true;
}

asio::awaitable<Result<std::optional<kadpb::Message>>> KademliaService::answer(
    PeerId peer, std::shared_ptr<kadpb::Message> request) {
  std::vector<Multiaddr> ours = host_->listen_addresses();
  Result<std::optional<kadpb::Message>> reply =
      answer_kad_request(*request, KadAnswerContext{table_, std::move(ours), peer});
  if (reply && !table_.contains(peer)) asio::co_spawn(strand_, admit_requester(peer), asio::detached);
  co_return reply;
}

asio::awaitable<void> KademliaService::serve_inbound(Stream stream) {
  auto self = shared_from_this();
  const PeerId peer = stream.connection().remote_peer();
  if (!co_await run_on(strand_, enter_inbound(peer))) {
    log("too many requests from " + peer.to_base58());
    co_await stream.reset();
    co_return;
  }
  Result<Bytes> body = co_await read_length_prefixed(stream, kMaxKadMessageSize);
  Result<kadpb::Message> request = body ? decode_kad_message(*body) : Result<kadpb::Message>(body.error());
  if (!request) {
    log("bad request from " + peer.to_base58() + ": " + request.error().message);
    co_await stream.reset();
  } else {
    auto shared = std::make_shared<kadpb::Message>(std::move(*request));
    Result<std::optional<kadpb::Message>> reply = co_await run_on(strand_, answer(peer, shared));
    if (!reply) {
      log("bad request from " + peer.to_base58() + ": " + reply.error().message);
      co_await stream.reset();
    } else if (*reply) {
      if (Status written = co_await stream.write(frame_kad_message(**reply)); written) {
        if (Status closed = co_await stream.close(); !closed)
          log("closing an answer to " + peer.to_base58() + ": " + closed.error().message);
      }
    }
  }
  co_await run_on(strand_, leave_inbound(peer));
}

}  // namespace cairn::net
