// NetworkService: lifecycle, connections and handshakes, the peer policy (dials, feelers,
// eviction, discovery), bans and the thread-safe queries. The chain protocols, the block
// download and gossip relay are in chain_relay.cpp.
#include "node/network_service.h"

#include <algorithm>
#include <future>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>

#include "net/address_group.h"
#include "net/coro.h"  // first: its pragmas must precede Asio's coroutine code
#include "net/identify.h"
#include "net/multiformats.h"
#include "net/node_key.h"
#include "node/logging.h"
#include "node/network_state.h"

namespace cairn {

namespace {

// The network's seed nodes. None are deployed yet: a node joins through --bootstrap (or
// mDNS on a local network) until seeds are listed here (docs/network.md "Bootstrap").
std::vector<net::Multiaddr> seed_addresses(Network) { return {}; }

std::string direction_name(net::Direction direction) {
  return direction == net::Direction::inbound ? "inbound" : "outbound";
}

std::string short_id(const net::PeerId& peer) {
  const std::string text = peer.to_base58();
  return text.size() > 12 ? text.substr(text.size() - 8) : text;
}

}  // namespace

NetworkService::State::State(Node& node_, P2pOptions options_)
    : node(node_),
      options(std::move(options_)),
      network(node_.options().paths.network),
      params(node_.params()),
      peer_store_path(node_.options().paths.network_datadir / net::kPeerStoreFileName),
      status_id(net::status_protocol(network)),
      headers_id(net::headers_protocol(network)),
      blocks_id(net::blocks_protocol(network)),
      blocktxn_id(net::blocktxn_protocol(network)),
      tx_topic(net::tx_topic(network)),
      block_topic(net::block_topic(network)),
      vote_topic(net::vote_topic(network)) {}

void NetworkService::State::log(const std::string& message) const { log_info(LogComponent::net, message); }

Status NetworkService::State::open() {
  const std::filesystem::path dir = node.options().paths.network_datadir;
  CAIRN_TRY(KeyPair key, net::load_or_create_node_key(dir / net::kNodeKeyFileName));

  auto loaded = net::PeerStore::load(peer_store_path);
  if (loaded) {
    const MutexLock lock(mutex);
    store = std::move(*loaded);
    for (const net::Ban& ban : store.bans()) bans.ban(ban.target, ban.reason, ban.until, now_unix());
  } else {
    log_warn(LogComponent::net, "peer store unreadable, starting with an empty one",
             {kv("error", loaded.error().message)});
  }

  std::vector<net::Multiaddr> bootstrap;
  for (const std::string& text : options.bootstrap) {
    auto address = net::Multiaddr::parse(text);
    if (!address)
      return Error{ErrorCode::invalid_argument, "--bootstrap " + text + ": " + address.error().message};
    bootstrap.push_back(*address);
  }
  {
    const MutexLock lock(mutex);
    net::PeerManagerOptions manager_options;
    manager_options.max_outbound = options.max_outbound;
    manager_options.bootstrap = bootstrap;
    manager_options.seeds = seed_addresses(network);
    manager = std::make_unique<net::PeerManager>(store, bans, std::move(manager_options));
  }

  net::HostOptions host_options;
  host_options.max_inbound = options.max_inbound;
  // Room for feelers, Kademlia's and gossipsub's own dials above the full-relay target.
  host_options.max_outbound = options.max_outbound * 2 + 4;
  host_options.log = [](const std::string& message) {
    log_debug(LogComponent::net, message, {kv("from", "host")});
  };
  std::weak_ptr<State> weak = weak_from_this();
  host_options.on_connected = [weak](const net::ConnectionInfo& info) {
    if (auto self = weak.lock()) self->on_connected(info);
  };
  host_options.on_disconnected = [weak](const net::ConnectionInfo& info, const std::string& reason) {
    if (auto self = weak.lock()) self->on_disconnected(info, reason);
  };
  host_options.admit_inbound = [weak](const asio::ip::address& ip) -> std::optional<std::string> {
    if (auto self = weak.lock()) return self->admit_inbound(ip);
    return "shutting down";
  };
  host_options.admit_peer = [weak](const net::PeerId& peer,
                                   const asio::ip::address& ip) -> std::optional<std::string> {
    if (auto self = weak.lock()) return self->admit_peer(peer, ip);
    return "shutting down";
  };
  host_options.select_inbound_to_evict = [weak](std::vector<net::ConnectionInfo> inbound) {
    std::optional<net::PeerId> victim;
    if (auto self = weak.lock()) victim = self->select_inbound_to_evict(std::move(inbound));
    return victim;
  };
  // The gossip router signs StrictSign messages with the host's identity: a second copy.
  Seed seed = key.seed();
  KeyPair gossip_key = KeyPair::from_seed(seed);
  secure_zero(seed.data(), seed.size());
  host = net::Host::create(io, std::move(key), std::move(host_options));

  for (const std::string& text : options.listen) {
    auto address = net::Multiaddr::parse(text);
    if (!address)
      return Error{ErrorCode::invalid_argument, "--p2p-listen " + text + ": " + address.error().message};
    auto bound = host->listen(*address);
    if (!bound) return Error{bound.error().code, "--p2p-listen " + text + ": " + bound.error().message};
    log_info(LogComponent::net, "listening",
             {kv("address", bound->to_string() + "/p2p/" + host->peer_id().to_base58())});
  }

  register_protocols();

  net::GossipsubServiceOptions gossip_options;
  // Loopback peers are this machine's own nodes (a devnet, tests): not a Sybil colocation.
  gossip_options.router.score.ip_colocation_factor_whitelist = {"127.0.0.1", "::1"};
  gossip_options.router.peer_record = [weak](const net::PeerId& peer) -> std::optional<Bytes> {
    if (auto self = weak.lock()) return self->host->peer_record(peer);
    return std::nullopt;
  };
  gossip_options.log = [](const std::string& message) {
    log_debug(LogComponent::net, message, {kv("from", "gossip")});
  };
  CAIRN_TRY(gossip,
            net::GossipsubService::create(io, host, std::move(gossip_key), std::move(gossip_options)));

  net::KademliaServiceOptions kad_options;
  kad_options.protocol = "/cairn/" + std::string(network_name(network)) + "/kad/1.0.0";
  kad_options.log = [](const std::string& message) {
    log_debug(LogComponent::net, message, {kv("from", "kad")});
  };
  CAIRN_TRY(kad, net::KademliaService::create(io, host, std::move(kad_options)));

  if (options.mdns) {
    auto created = net::MdnsService::create(
        io, host->peer_id(),
        [weak] {
          std::vector<net::Multiaddr> addresses;
          if (auto self = weak.lock()) addresses = self->host->listen_addresses();
          return addresses;
        },
        [weak](const net::MdnsDiscovery& found) {
          if (auto self = weak.lock())
            self->learn_addresses(found.peer, found.addrs, net::PeerSource::discovery);
        });
    if (created) {
      mdns = std::move(*created);
    } else {
      log_warn(LogComponent::net, "mDNS unavailable", {kv("error", created.error().message)});
    }
  }

  attach_to_chain();
  work.emplace(io.get_executor());
  for (size_t i = 0; i < kNetworkThreads; ++i) threads.emplace_back([this] { io.run(); });

  auto self = shared_from_this();
  // Every --bootstrap peer at once (the operator chose them all); later the peer manager
  // keeps the outbound slots filled from what discovery finds.
  for (const net::Multiaddr& address : bootstrap) {
    auto group = net::address_group(address);
    if (!group) continue;
    net::DialCandidate candidate{address.peer_id(), address, *group, false, true};
    asio::co_spawn(
        io, [self, candidate]() -> asio::awaitable<void> { (void)co_await self->dial(candidate); },
        asio::detached);
  }
  asio::co_spawn(
      io, [self]() -> asio::awaitable<void> { co_await self->peer_loop(); }, asio::detached);
  std::promise<Status> gossip_started;
  std::future<Status> gossip_ready = gossip_started.get_future();
  asio::co_spawn(
      io,
      [self, &gossip_started]() -> asio::awaitable<void> {
        Status started = co_await self->start_gossip();
        gossip_started.set_value(std::move(started));
      },
      asio::detached);
  return gossip_ready.get();
}

void NetworkService::State::shut_down() {
  if (stopping.exchange(true)) return;
  if (mdns) mdns->stop();
  if (kad) kad->stop();
  if (gossip) gossip->stop();
  if (host) host->stop();
  save_peer_store();
  // Let the connections close (GoAway, the shutdown grace) before the threads go.
  work.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  io.stop();
  for (std::thread& thread : threads) thread.join();
  threads.clear();
  // Everything bound to the io_context goes before it (the peers' handshake timers, the
  // services); destroying it then destroys the handlers still queued, and with them the
  // last references to the host.
  {
    const MutexLock lock(mutex);
    peers.clear();
  }
  mdns.reset();
  kad.reset();
  gossip.reset();
  host.reset();
  io_owner.reset();
}

net::StatusMessage NetworkService::State::our_status() const {
  net::StatusMessage status;
  status.network = network;
  status.genesis = params.genesis_hash;
  status.user_agent = std::string(net::kCairnAgentVersion);
  const MutexLock lock(mutex);
  status.best_hash = chain_snapshot.best_hash;
  status.best_height = chain_snapshot.best_height;
  status.best_work = chain_snapshot.best_work;
  status.finalized_hash = chain_snapshot.finalized_hash;
  status.finalized_height = chain_snapshot.finalized_height;
  return status;
}

// ---- connections and the status handshake -------------------------------------------------

void NetworkService::State::on_connected(const net::ConnectionInfo& info) {
  auto done = std::make_shared<asio::steady_timer>(io, std::chrono::steady_clock::time_point::max());
  {
    const MutexLock lock(mutex);
    peers.insert_or_assign(info.peer, PeerEntry(info, net::address_group(info.remote_ip), done));
  }
  log_debug(LogComponent::net, "connected",
            {kv("peer", info.peer.to_base58()), kv("direction", direction_name(info.direction)),
             kv("remote", info.remote.to_string())});
  auto self = shared_from_this();
  const net::PeerId peer = info.peer;
  asio::co_spawn(
      io, [self, peer, done]() -> asio::awaitable<void> { co_await self->watch_handshake(peer, done); },
      asio::detached);
  // The dialler speaks first (docs/chain-protocols.md).
  if (info.direction == net::Direction::outbound) {
    asio::co_spawn(
        io, [self, peer]() -> asio::awaitable<void> { co_await self->handshake_outbound(peer); },
        asio::detached);
  }
}

void NetworkService::State::on_disconnected(const net::ConnectionInfo& info, const std::string& reason) {
  bool was_ready = false;
  {
    const MutexLock lock(mutex);
    auto it = peers.find(info.peer);
    if (it == peers.end() || it->second.connection.connected_ns != info.connected_ns) return;
    was_ready = it->second.status.has_value();
    if (it->second.handshake_done) it->second.handshake_done->cancel();
    peers.erase(it);
  }
  limits.remove_peer(info.peer);
  log_info(LogComponent::net, "peer disconnected", {kv("peer", short_id(info.peer)), kv("reason", reason)});
  if (was_ready) sync_peer_removed(info.peer);
}

std::optional<std::string> NetworkService::State::admit_inbound(const asio::ip::address& ip) {
  const std::string group = net::address_group(ip);
  const MutexLock lock(mutex);
  if (bans.is_group_banned(group, now_unix())) return "address group " + group + " is banned";
  return std::nullopt;
}

std::optional<std::string> NetworkService::State::admit_peer(const net::PeerId& peer,
                                                             const asio::ip::address& ip) {
  const std::string group = net::address_group(ip);
  const MutexLock lock(mutex);
  const int64_t now = now_unix();
  if (bans.is_banned(peer, now)) return "peer " + peer.to_base58() + " is banned";
  if (bans.is_group_banned(group, now)) return "address group " + group + " is banned";
  return std::nullopt;
}

std::optional<net::PeerId> NetworkService::State::select_inbound_to_evict(
    std::vector<net::ConnectionInfo> inbound) {
  std::vector<net::InboundCandidate> candidates;
  const MutexLock lock(mutex);
  const int64_t now = now_unix();
  for (const net::ConnectionInfo& info : inbound) {
    net::InboundCandidate candidate{.peer = info.peer,
                                    .group = net::address_group(info.remote_ip),
                                    .connected_since = info.connected_ns,
                                    .ban_score = bans.score(info.peer, now)};
    if (auto it = peers.find(info.peer); it != peers.end()) {
      candidate.min_ping_ns = it->second.ping_ns.value_or(INT64_MAX);
      candidate.last_block_time = it->second.last_block_time;
      candidate.last_transaction_time = it->second.last_transaction_time;
    }
    candidates.push_back(std::move(candidate));
  }
  return net::select_inbound_to_evict(std::move(candidates));
}

asio::awaitable<Status> write_frame(net::Stream& stream, const Bytes& message) {
  Bytes frame;
  frame.reserve(message.size() + 10);
  net::append_uvarint(frame, message.size());
  frame.insert(frame.end(), message.begin(), message.end());
  co_return co_await stream.write(std::move(frame));
}

asio::awaitable<void> finish_stream(net::Stream& stream) {
  // The exchange is over either way: a close that fails changes nothing for it.
  const Status closed = co_await stream.close();
  if (!closed) log_debug(LogComponent::net, "stream close failed", {kv("error", closed.error().message)});
}

asio::awaitable<Result<net::StatusMessage>> NetworkService::State::exchange_status(net::PeerId peer) {
  auto reply = co_await request_one(peer, status_id, net::encode(our_status()), net::kMaxStatusFrameBytes);
  if (!reply) co_return Error{reply.error().code, "status exchange failed: " + reply.error().message};
  auto status = net::decode_status(*reply);
  if (!status) {
    misbehaved(peer, net::Misbehavior::malformed_message, "status: " + status.error().message);
    co_return Error{status.error().code, "malformed status"};
  }
  co_return *status;
}

asio::awaitable<void> NetworkService::State::handshake_outbound(net::PeerId peer) {
  auto status = co_await exchange_status(peer);
  if (!status) {
    handshake_failed(peer, status.error().message);
    co_return;
  }
  handshake_completed(peer, *status);
}

asio::awaitable<void> NetworkService::State::refresh_status(net::PeerId peer) {
  auto status = co_await exchange_status(peer);
  if (!status) {
    // The connection stays: its gossip still flows, and the next refresh tries again.
    log_debug(LogComponent::net, "status refresh failed",
              {kv("peer", short_id(peer)), kv("error", status.error().message)});
    co_return;
  }
  handshake_completed(peer, *status);
}

asio::awaitable<void> NetworkService::State::serve_status(net::Stream stream) {
  const net::PeerId peer = stream.connection().remote_peer();
  if (!co_await pace(peer, net::ProtocolKind::status)) co_return;
  auto frame = co_await net::read_length_prefixed(stream, net::kMaxStatusFrameBytes);
  if (!frame) co_return;
  count_message(status_id, true);
  auto status = net::decode_status(*frame);
  if (!status) {
    misbehaved(peer, net::Misbehavior::malformed_message, "status: " + status.error().message);
    co_return;
  }
  const Bytes ours = net::encode(our_status());
  if (auto written = co_await write_frame(stream, ours); !written) co_return;
  count_message(status_id, false);
  handshake_completed(peer, *status);
}

bool NetworkService::State::handshake_completed(const net::PeerId& peer, const net::StatusMessage& status) {
  const net::StatusMessage ours = our_status();
  if (auto reason = net::incompatibility(ours, status)) {
    // Not misbehaviour: another network or version is an honest peer we cannot use.
    log_info(LogComponent::net, "incompatible peer", {kv("peer", peer.to_base58()), kv("reason", *reason)});
    handshake_failed(peer, "incompatible: " + *reason);
    return false;
  }
  bool feeler = false;
  bool repeated = false;
  bool contradicted = false;
  bool refreshed = false;
  std::string address;
  {
    const MutexLock lock(mutex);
    auto it = peers.find(peer);
    if (it == peers.end()) return false;  // gone meanwhile
    if (it->second.status) {
      repeated = true;
      // A later status may move the chain fields (docs/chain-protocols.md); the rest is
      // the peer's identity for this connection.
      net::StatusMessage& known = *it->second.status;
      if (known.protocol_version != status.protocol_version || known.user_agent != status.user_agent) {
        contradicted = true;
      } else {
        refreshed = known != status;
        known = status;
      }
    } else {
      it->second.status = status;
      feeler = it->second.feeler;
      address = it->second.connection.remote.to_string();
      if (it->second.handshake_done) it->second.handshake_done->cancel();
      if (it->second.connection.direction == net::Direction::outbound) store.mark_success(peer, now_unix());
    }
  }
  if (contradicted) {
    misbehaved(peer, net::Misbehavior::incompatible_handshake,
               "a later status with another version or agent");
    return false;
  }
  if (repeated) {
    if (refreshed) sync_peer_status(peer, status);
    return true;
  }
  log_info(LogComponent::net, "peer ready",
           {kv("peer", short_id(peer)), kv("address", address), kv("agent", status.user_agent.substr(0, 64)),
            kv("height", status.best_height), kv("feeler", feeler)});
  if (feeler) {
    host->disconnect(peer, "feeler connection done");
    return true;
  }
  sync_peer_status(peer, status);
  auto self = shared_from_this();
  asio::co_spawn(
      io,
      [self, peer]() -> asio::awaitable<void> {
        if (auto added = co_await self->gossip->add_peer(peer); !added) {
          log_debug(LogComponent::net, "gossip add_peer failed",
                    {kv("peer", peer.to_base58()), kv("error", added.error().message)});
        }
        if (auto info = self->host->peer_info(peer)) {
          self->learn_addresses(peer, info->listen_addrs, net::PeerSource::discovery);
        }
      },
      asio::detached);
  return true;
}

void NetworkService::State::handshake_failed(const net::PeerId& peer, const std::string& reason) {
  {
    const MutexLock lock(mutex);
    auto it = peers.find(peer);
    if (it != peers.end() && it->second.handshake_done) it->second.handshake_done->cancel();
  }
  host->disconnect(peer, reason);
}

asio::awaitable<void> NetworkService::State::watch_handshake(net::PeerId peer,
                                                             std::shared_ptr<asio::steady_timer> done) {
  asio::steady_timer deadline(io, kHandshakeTimeout);
  {
    boost::system::error_code ignored;
    co_await deadline.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  bool ready = false;
  bool same_connection = false;
  {
    const MutexLock lock(mutex);
    auto it = peers.find(peer);
    same_connection = it != peers.end() && it->second.handshake_done == done;
    ready = same_connection && it->second.status.has_value();
  }
  if (same_connection && !ready) handshake_failed(peer, "no status handshake within the timeout");
}

asio::awaitable<bool> NetworkService::State::await_handshake(net::PeerId peer) {
  std::shared_ptr<asio::steady_timer> done;
  {
    const MutexLock lock(mutex);
    auto it = peers.find(peer);
    if (it == peers.end()) co_return false;
    if (it->second.status) co_return true;
    done = it->second.handshake_done;
  }
  // handshake_done never expires by itself: it is cancelled on completion or failure, and
  // the connection's watch_handshake fails it after kHandshakeTimeout.
  auto bound = std::make_shared<asio::steady_timer>(io, kHandshakeTimeout + std::chrono::seconds(1));
  asio::co_spawn(
      io,
      [done, bound]() -> asio::awaitable<void> {
        boost::system::error_code ignored;
        co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        bound->cancel();
      },
      asio::detached);
  {
    boost::system::error_code ignored;
    co_await bound->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  const MutexLock lock(mutex);
  auto it = peers.find(peer);
  co_return it != peers.end() && it->second.status.has_value();
}

// ---- dialling and the peer loop -----------------------------------------------------------

asio::awaitable<Result<net::PeerId>> NetworkService::State::dial(net::DialCandidate candidate) {
  {
    const MutexLock lock(mutex);
    manager->on_dial_started(candidate, now_unix());
    if (candidate.peer) {
      dialling.insert(*candidate.peer);
      store.mark_attempt(*candidate.peer, now_unix());
    }
    dialling_groups.insert(candidate.group);
  }
  auto dialled = co_await host->dial(candidate.address);
  {
    const MutexLock lock(mutex);
    // find + erase(iterator): GCC 12 warns wrongly (-Wstringop-overread) on erase(key).
    if (candidate.peer) {
      if (auto it = dialling.find(*candidate.peer); it != dialling.end()) dialling.erase(it);
    }
    dialling_groups.erase(candidate.group);
    if (!dialled) {
      manager->on_dial_failed(candidate, now_unix());
      if (candidate.peer) store.mark_failure(*candidate.peer, now_unix());
    } else {
      manager->on_dial_succeeded(candidate, *dialled, now_unix());
      if (auto it = peers.find(*dialled); it != peers.end()) it->second.feeler = candidate.feeler;
    }
  }
  if (!dialled) {
    log_debug(LogComponent::net, "dial failed",
              {kv("address", candidate.address.to_string()), kv("error", dialled.error().message)});
    co_return dialled.error();
  }
  const net::PeerId peer = *dialled;
  // A feeler whose handshake completed before the flag was set is closed here.
  bool close_feeler = false;
  {
    const MutexLock lock(mutex);
    auto it = peers.find(peer);
    close_feeler = candidate.feeler && it != peers.end() && it->second.status.has_value();
  }
  if (close_feeler) host->disconnect(peer, "feeler connection done");
  co_return peer;
}

asio::awaitable<void> NetworkService::State::peer_loop() {
  asio::steady_timer timer(io);
  auto last_ping = std::chrono::steady_clock::now();
  auto last_save = last_ping;
  auto last_discovery = last_ping - kDiscoveryInterval + std::chrono::seconds(5);
  auto last_status_refresh = last_ping;
  BlockHash refreshed_finalized = our_status().finalized_hash;
  while (!stopping.load()) {
    peer_loop_step();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ping >= kPingInterval) {
      last_ping = now;
      co_await ping_peers();
    }
    if (now - last_status_refresh >= kStatusRefreshInterval) {
      last_status_refresh = now;
      // A peer learns our finalized checkpoint at the handshake; one that moved since is
      // told, so that a peer on a branch without it comes to fetch ours (docs/sync.md).
      if (const BlockHash finalized = our_status().finalized_hash; finalized != refreshed_finalized) {
        refreshed_finalized = finalized;
        refresh_statuses();
      }
    }
    if (now - last_discovery >= kDiscoveryInterval) {
      last_discovery = now;
      auto self = shared_from_this();
      asio::co_spawn(
          io, [self]() -> asio::awaitable<void> { co_await self->discover(); }, asio::detached);
    }
    bool dirty = false;
    {
      const MutexLock lock(mutex);
      dirty = store_dirty;
    }
    if (dirty || now - last_save >= kPeerStoreSaveInterval) {
      last_save = now;
      save_peer_store();
    }
    timer.expires_after(kPeerLoopInterval);
    {
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
}

void NetworkService::State::peer_loop_step() {
  std::vector<net::DialCandidate> to_dial;
  {
    const MutexLock lock(mutex);
    const int64_t now = now_unix();
    bans.expire(now);
    std::set<std::string> used_groups = dialling_groups;
    std::set<net::PeerId> busy = dialling;
    size_t outbound = 0;
    for (const auto& [peer, entry] : peers) {
      busy.insert(peer);
      if (entry.connection.direction == net::Direction::outbound && !entry.feeler) {
        ++outbound;
        used_groups.insert(entry.group);
      }
    }
    const size_t wanted = manager->outbound_wanted(outbound + dialling.size());
    for (size_t i = 0; i < wanted; ++i) {
      auto candidate = manager->select_outbound(used_groups, busy, now, rng);
      if (!candidate) break;
      used_groups.insert(candidate->group);
      if (candidate->peer) busy.insert(*candidate->peer);
      to_dial.push_back(std::move(*candidate));
    }
    if (auto feeler = manager->select_feeler(used_groups, busy, now, rng))
      to_dial.push_back(std::move(*feeler));
  }
  auto self = shared_from_this();
  for (net::DialCandidate& candidate : to_dial) {
    asio::co_spawn(
        io,
        [self, candidate = std::move(candidate)]() -> asio::awaitable<void> {
          auto dialled = co_await self->dial(candidate);
          (void)dialled;
        },
        asio::detached);
  }
  node.post([self] { self->sync_tick(); });
}

std::vector<net::PeerId> NetworkService::State::ready_peers() const {
  std::vector<net::PeerId> ready;
  const MutexLock lock(mutex);
  for (const auto& [peer, entry] : peers) {
    if (entry.status) ready.push_back(peer);
  }
  return ready;
}

void NetworkService::State::refresh_statuses() {
  auto self = shared_from_this();
  for (const net::PeerId& peer : ready_peers()) {
    asio::co_spawn(
        io, [self, peer]() -> asio::awaitable<void> { co_await self->refresh_status(peer); }, asio::detached);
  }
}

asio::awaitable<void> NetworkService::State::ping_peers() {
  for (const net::PeerId& peer : ready_peers()) {
    auto rtt = co_await host->ping(peer);
    if (!rtt) continue;
    const MutexLock lock(mutex);
    if (auto it = peers.find(peer); it != peers.end()) {
      it->second.ping_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*rtt).count();
    }
  }
}

asio::awaitable<void> NetworkService::State::discover() {
  std::vector<net::Multiaddr> bootstrap;
  for (const std::string& text : options.bootstrap) {
    auto address = net::Multiaddr::parse(text);
    if (address && address->peer_id()) bootstrap.push_back(*address);
  }
  if (!bootstrap.empty() && co_await kad->table_size() == 0) co_await kad->bootstrap(bootstrap);
  // A lookup of our own id fills the table near us and tells us about peers to dial.
  const Bytes self_key = host->peer_id().multihash();
  const std::vector<net::KadPeer> found = co_await kad->closest_peers(self_key);
  for (const net::KadPeer& peer : found) {
    if (peer.id != host->peer_id()) learn_addresses(peer.id, peer.addrs, net::PeerSource::discovery);
  }
}

void NetworkService::State::learn_addresses(const net::PeerId& peer,
                                            const std::vector<net::Multiaddr>& addresses,
                                            net::PeerSource source) {
  if (peer == host->peer_id() || addresses.empty()) return;
  const MutexLock lock(mutex);
  if (store.add(peer, addresses, source, now_unix())) store_dirty = true;
}

void NetworkService::State::save_peer_store() {
  net::PeerStore copy;
  {
    const MutexLock lock(mutex);
    store.set_bans(bans.bans(now_unix()));
    copy = store;
    store_dirty = false;
  }
  if (auto saved = copy.save(peer_store_path); !saved) {
    log_warn(LogComponent::net, "cannot save the peer store",
             {kv("file", peer_store_path.string()), kv("error", saved.error().message)});
  }
}

// ---- misbehaviour and rate limits ---------------------------------------------------------

void NetworkService::State::misbehaved(const net::PeerId& peer, net::Misbehavior reason,
                                       const std::string& detail) {
  net::BanScores::Verdict verdict;
  std::string group;
  {
    const MutexLock lock(mutex);
    if (auto it = peers.find(peer); it != peers.end()) group = it->second.group;
    // A banned peer's connection is closing; what it still sends changes nothing.
    const int64_t now = now_unix();
    if (bans.is_banned(peer, now) || (!group.empty() && bans.is_group_banned(group, now))) return;
    verdict = bans.add(peer, group, reason, now);
    ++misbehavior_counts[std::string(net::to_string(reason))];
    if (verdict.banned) {
      ++bans_imposed;
      store_dirty = true;
    }
  }
  log_warn(LogComponent::net, "misbehaviour",
           {kv("peer", peer.to_base58()), kv("group", group), kv("reason", net::to_string(reason)),
            kv("detail", detail.substr(0, 200)), kv("score", verdict.score), kv("banned", verdict.banned)});
  if (verdict.banned) host->disconnect(peer, "banned: " + std::string(net::to_string(reason)));
}

bool NetworkService::State::admit_gossip(const net::PeerId& peer, net::ProtocolKind kind) {
  if (limits.admit(peer, kind, now_ns())) return true;
  log_debug(LogComponent::net, "rate limit: message dropped",
            {kv("kind", net::to_string(kind)), kv("peer", peer.to_base58())});
  return false;
}

asio::awaitable<bool> NetworkService::State::pace(net::PeerId peer, net::ProtocolKind kind, uint32_t cost) {
  const int64_t deadline = now_ns() + std::chrono::nanoseconds(kMaxRequestDelay).count();
  asio::steady_timer timer(io);
  for (;;) {
    const int64_t now = now_ns();
    const int64_t wait = limits.pace(peer, kind, now, cost);
    if (wait == 0) co_return true;
    if (wait > 0 && now + wait <= deadline) {
      timer.expires_after(std::chrono::nanoseconds(wait));
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    if (wait > 0) limits.count_drop(kind);
    misbehaved(peer, net::Misbehavior::rate_limit_exceeded, std::string(net::to_string(kind)));
    co_return false;
  }
}

void NetworkService::State::count_message(const std::string& protocol, bool inbound) {
  const MutexLock lock(mutex);
  TrafficView& view = messages[protocol];
  ++(inbound ? view.messages_in : view.messages_out);
}

// ---- NetworkService -----------------------------------------------------------------------

Result<std::unique_ptr<NetworkService>> NetworkService::start(Node& node, const P2pOptions& options) {
  auto state = std::make_shared<State>(node, options);
  if (auto opened = state->open(); !opened) {
    state->shut_down();
    return opened.error();
  }
  return std::unique_ptr<NetworkService>(new NetworkService(std::move(state)));
}

NetworkService::NetworkService(std::shared_ptr<State> state) : state_(std::move(state)) {}
NetworkService::~NetworkService() { stop(); }
void NetworkService::stop() { state_->shut_down(); }

std::string NetworkService::peer_id() const {
  return state_->host ? state_->host->peer_id().to_base58() : std::string();
}

std::vector<std::string> NetworkService::listen_addresses() const {
  std::vector<std::string> out;
  if (!state_->host) return out;
  for (const net::Multiaddr& address : state_->host->listen_addresses()) {
    out.push_back(address.to_string() + "/p2p/" + peer_id());
  }
  return out;
}

std::vector<PeerView> NetworkService::peers() const {
  std::vector<PeerView> out;
  const MutexLock lock(state_->mutex);
  const int64_t now_ns = state_->now_ns();
  const int64_t now_unix = state_->now_unix();
  for (const auto& [peer, entry] : state_->peers) {
    PeerView view;
    view.peer_id = peer.to_base58();
    view.address = entry.connection.remote.to_string();
    view.direction = direction_name(entry.connection.direction);
    view.handshaken = entry.status.has_value();
    if (entry.status) {
      view.user_agent = entry.status->user_agent;
      view.best_height = entry.status->best_height;
      view.best_hash = entry.status->best_hash.hex();
    }
    view.connected_seconds = std::max<int64_t>(0, (now_ns - entry.connection.connected_ns) / 1'000'000'000);
    if (entry.ping_ns) view.ping_micros = *entry.ping_ns / 1000;
    view.ban_score = state_->bans.score(peer, now_unix);
    if (auto it = state_->sync_progress.blocks_delivered.find(peer);
        it != state_->sync_progress.blocks_delivered.end()) {
      view.blocks_delivered = it->second;
    }
    view.transactions_received = entry.transactions_received;
    out.push_back(std::move(view));
  }
  return out;
}

size_t NetworkService::peer_count() const {
  const MutexLock lock(state_->mutex);
  return static_cast<size_t>(std::count_if(state_->peers.begin(), state_->peers.end(),
                                           [](const auto& item) { return item.second.status.has_value(); }));
}

std::vector<BanView> NetworkService::bans() const {
  std::vector<BanView> out;
  const MutexLock lock(state_->mutex);
  for (const net::Ban& ban : state_->bans.bans(state_->now_unix())) {
    BanView view;
    view.target = ban.target.key;
    view.kind = ban.target.kind == net::BanTarget::Kind::peer ? "peer" : "group";
    view.reason = ban.reason;
    view.expires_unix = ban.until;
    view.banned_at_unix = ban.until - net::kBanDurationSeconds;
    out.push_back(std::move(view));
  }
  return out;
}

NetworkStats NetworkService::stats() const {
  NetworkStats out;
  if (state_->stopping.load()) return out;
  for (const auto& [protocol, traffic] : state_->host->protocol_traffic()) {
    TrafficView& view = out.protocols[protocol];
    view.bytes_in = traffic.bytes_in;
    view.bytes_out = traffic.bytes_out;
  }
  for (const auto& [topic, counters] : state_->gossip->topic_counters()) {
    TrafficView& view = out.protocols[topic];
    view.bytes_in = counters.bytes_in;
    view.bytes_out = counters.bytes_out;
    view.messages_in = counters.messages_in;
    view.messages_out = counters.messages_out;
  }
  const auto drops = state_->limits.drops();
  for (size_t i = 0; i < drops.size(); ++i) {
    if (drops[i] != 0)
      out.rate_limited[std::string(net::to_string(static_cast<net::ProtocolKind>(i)))] = drops[i];
  }
  out.compact_blocks_received = state_->compact_received.load();
  out.compact_blocks_reconstructed = state_->compact_reconstructed.load();
  out.compact_blocks_with_blocktxn = state_->compact_with_blocktxn.load();
  out.compact_blocks_full_fallback = state_->compact_full_fallback.load();
  out.blocktxn_requests = state_->blocktxn_requests.load();
  out.blocks_relayed = state_->blocks_relayed.load();
  const MutexLock lock(state_->mutex);
  for (const auto& [protocol, counted] : state_->messages) {
    TrafficView& view = out.protocols[protocol];
    view.messages_in = counted.messages_in;
    view.messages_out = counted.messages_out;
  }
  for (const auto& [peer, entry] : state_->peers) {
    if (!entry.status) continue;
    ++(entry.connection.direction == net::Direction::inbound ? out.peers_inbound : out.peers_outbound);
  }
  out.misbehavior = state_->misbehavior_counts;
  out.bans = state_->bans_imposed;
  out.last_block_propagation_micros = state_->last_propagation_micros;
  return out;
}

NetworkSyncStatus NetworkService::sync_status() const {
  const MutexLock lock(state_->mutex);
  NetworkSyncStatus out;
  out.height = state_->sync_progress.tip_height;
  out.best_header_height =
      std::max(state_->sync_progress.best_header_height, state_->sync_progress.tip_height);
  out.syncing = state_->sync_progress.syncing;
  out.blocks_per_second = state_->sync_progress.blocks_per_second;
  out.eta_seconds = state_->sync_progress.eta_seconds;
  return out;
}

Result<std::string> NetworkService::connect(const std::string& address) {
  if (state_->stopping.load()) return Error{ErrorCode::io, "the network is shutting down"};
  auto parsed = net::Multiaddr::parse(address);
  if (!parsed) return Error{ErrorCode::invalid_argument, "address: " + parsed.error().message};
  auto peer = parsed->peer_id();
  if (!peer) return Error{ErrorCode::invalid_argument, "address: it must end in /p2p/<peer id>"};
  auto group = net::address_group(*parsed);
  if (!group) return Error{ErrorCode::invalid_argument, "address: it names no host"};
  net::DialCandidate candidate{*peer, *parsed, *group, false, false};
  auto state = state_;
  std::promise<Result<net::PeerId>> done;
  std::future<Result<net::PeerId>> result = done.get_future();
  asio::co_spawn(
      state->io,
      [state, candidate, &done]() -> asio::awaitable<void> {
        auto dialled = co_await state->dial(candidate);
        if (dialled && !co_await state->await_handshake(*dialled)) {
          dialled = Error{ErrorCode::io, "the peer did not complete the status handshake"};
        }
        done.set_value(std::move(dialled));
      },
      asio::detached);
  // Every step the coroutine takes is bounded (the dial, the handshake), and it holds `done`.
  auto dialled = result.get();
  if (!dialled) return dialled.error();
  {
    const MutexLock lock(state->mutex);
    state->store.add(*dialled, {*parsed}, net::PeerSource::manual, state->now_unix());
    state->store_dirty = true;
  }
  return dialled->to_base58();
}

Status NetworkService::disconnect(const std::string& peer_id) {
  if (state_->stopping.load()) return Error{ErrorCode::io, "the network is shutting down"};
  auto peer = net::PeerId::parse(peer_id);
  if (!peer) return Error{ErrorCode::invalid_argument, "peer_id: " + peer.error().message};
  if (!state_->host->disconnect(*peer, "disconnected by the operator")) {
    return Error{ErrorCode::not_found, "not connected to " + peer_id};
  }
  return {};
}

Status NetworkService::ban(const std::string& target, const std::string& reason) {
  std::optional<net::BanTarget> ban_target;
  if (auto peer = net::PeerId::parse(target)) {
    ban_target = net::BanTarget::of(*peer);
  } else {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(target, ec);
    if (ec)
      return Error{ErrorCode::invalid_argument, "target: neither a peer id nor an IP address: " + target};
    ban_target = net::BanTarget::of_group(net::address_group(ip));
  }
  std::vector<net::PeerId> to_close;
  {
    const MutexLock lock(state_->mutex);
    const int64_t now = state_->now_unix();
    state_->bans.ban(*ban_target, reason, now + net::kBanDurationSeconds, now);
    ++state_->bans_imposed;
    state_->store_dirty = true;
    for (const auto& [peer, entry] : state_->peers) {
      const bool matches = ban_target->kind == net::BanTarget::Kind::peer
                               ? peer.to_base58() == ban_target->key
                               : entry.group == ban_target->key;
      if (matches) to_close.push_back(peer);
    }
  }
  log_warn(LogComponent::net, "banned by the operator",
           {kv("target", ban_target->key), kv("reason", reason)});
  if (state_->stopping.load()) return {};
  for (const net::PeerId& peer : to_close)
    state_->host->disconnect(peer, "banned by the operator: " + reason);
  return {};
}

Status NetworkService::unban(const std::string& target) {
  std::vector<net::BanTarget> candidates;
  if (auto peer = net::PeerId::parse(target)) candidates.push_back(net::BanTarget::of(*peer));
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(target, ec);
  if (!ec) candidates.push_back(net::BanTarget::of_group(net::address_group(ip)));
  candidates.push_back(net::BanTarget::of_group(target));
  bool lifted = false;
  {
    const MutexLock lock(state_->mutex);
    for (const net::BanTarget& candidate : candidates) lifted = state_->bans.unban(candidate) || lifted;
    if (lifted) state_->store_dirty = true;
  }
  if (!lifted) return Error{ErrorCode::not_found, "no ban of " + target};
  log_info(LogComponent::net, "unbanned", {kv("target", target)});
  return {};
}

}  // namespace cairn
