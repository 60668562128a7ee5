#include "net/host.h"

#include <atomic>
#include <mutex>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include "net/host_support.h"
#include "net/ping.h"
#include "net/tcp_transport.h"
#include "util/clock.h"

namespace cairn::net {
namespace {

using asio::ip::tcp;
using testing::IoThread;
using testing::LogLines;
using testing::run;
using testing::wait_until;

const Multiaddr& loopback() {
  static const Multiaddr address = Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value();
  return address;
}

HostOptions quiet(HostOptions options = {}) {
  options.log = [](const std::string&) {};
  return options;
}

struct Node {
  Node(asio::io_context& io, HostOptions options = quiet())
      : host(Host::create(io, KeyPair::generate(), std::move(options))),
        address(host->listen(loopback()).value()) {}
  ~Node() { host->stop(); }
  Multiaddr dial_address() const { return address.with_peer_id(host->peer_id()).value(); }
  std::shared_ptr<Host> host;
  Multiaddr address;
};

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(Host, DialIdentifiesBothWaysAndPings) {
  IoThread thread;
  Node a(thread.io), b(thread.io);
  auto dialled = run(thread.io, a.host->dial(b.dial_address()));
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
  EXPECT_EQ(**dialled, b.host->peer_id());

  auto b_seen_by_a = run(thread.io, a.host->identify(b.host->peer_id()));
  ASSERT_TRUE(b_seen_by_a && b_seen_by_a->ok())
      << (b_seen_by_a ? b_seen_by_a->error().to_string() : "timeout");
  EXPECT_EQ((*b_seen_by_a)->agent_version, "cairn/0.1.0");
  EXPECT_EQ((*b_seen_by_a)->protocol_version, "ipfs/0.1.0");
  EXPECT_TRUE(contains((*b_seen_by_a)->protocols, kPingProtocolId));
  EXPECT_TRUE(contains((*b_seen_by_a)->protocols, kIdentifyPushProtocolId));
  EXPECT_EQ((*b_seen_by_a)->listen_addrs, std::vector<Multiaddr>{b.address});
  ASSERT_TRUE((*b_seen_by_a)->observed_addr);
  EXPECT_EQ((*b_seen_by_a)->observed_addr->components()[0], b.address.components()[0]);  // 127.0.0.1

  // B identifies A over the same connection: it saw A's outbound port, not A's listen port.
  auto a_seen_by_b = run(thread.io, b.host->identify(a.host->peer_id()));
  ASSERT_TRUE(a_seen_by_b && a_seen_by_b->ok())
      << (a_seen_by_b ? a_seen_by_b->error().to_string() : "timeout");
  EXPECT_EQ((*a_seen_by_b)->listen_addrs, std::vector<Multiaddr>{a.address});
  EXPECT_EQ((*a_seen_by_b)->public_key, a.host->public_key());
  ASSERT_TRUE((*a_seen_by_b)->observed_addr);
  EXPECT_EQ((*a_seen_by_b)->observed_addr->components()[0], b.address.components()[0]);

  auto rtt = run(thread.io, a.host->ping(b.host->peer_id()));
  ASSERT_TRUE(rtt && rtt->ok()) << (rtt ? rtt->error().to_string() : "timeout");
  EXPECT_GT(**rtt, Duration::zero());
  EXPECT_LT(**rtt, std::chrono::seconds(5));

  // Every protocol ran over the one connection each side has.
  EXPECT_EQ(a.host->connection_count(), 1u);
  EXPECT_EQ(b.host->connection_count(), 1u);
}

TEST(Host, NegotiatesTheMuxerWithMultistreamWithoutAnEarlyMuxer) {
  IoThread thread;
  HostOptions late = quiet();
  late.connection.early_muxer = false;
  Node a(thread.io, late), b(thread.io);
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  EXPECT_TRUE(run(thread.io, a.host->ping(b.host->peer_id())).value().ok());
  EXPECT_TRUE(run(thread.io, b.host->ping(a.host->peer_id())).value().ok());
}

TEST(Host, CustomProtocolEchoesOnAStream) {
  IoThread thread;
  Node a(thread.io), b(thread.io);
  b.host->set_handler("/test/echo/1.0.0", [](Stream stream) -> asio::awaitable<void> {
    for (;;) {
      auto bytes = co_await stream.read(kReadChunkSize);
      if (!bytes || bytes->empty()) co_return;
      if (!co_await stream.write(std::move(bytes).value())) co_return;
    }
  });
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());

  // Larger than a Yamux window, so flow control has to work both ways.
  Bytes message(600 * 1024);
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<uint8_t>(i * 7);
  auto echo = [&]() -> asio::awaitable<Result<Bytes>> {
    std::vector<std::string> protocols{"/test/nope/1.0.0", "/test/echo/1.0.0"};
    CAIRN_CO_TRY(Stream stream, co_await a.host->new_stream(b.host->peer_id(), std::move(protocols)));
    if (stream.protocol() != "/test/echo/1.0.0") co_return Error{ErrorCode::decode, "wrong protocol"};
    CAIRN_CO_TRY_STATUS(co_await stream.write(message));
    CAIRN_CO_TRY_STATUS(co_await stream.close());
    CAIRN_CO_TRY(Bytes received, co_await stream.read_exact(message.size()));
    co_return received;
  };
  auto received = run(thread.io, echo());
  ASSERT_TRUE(received && received->ok()) << (received ? received->error().to_string() : "timeout");
  EXPECT_EQ(**received, message);
}

TEST(Host, UnsupportedProtocolFailsTheStreamNotTheConnection) {
  IoThread thread;
  Node a(thread.io), b(thread.io);
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  std::vector<std::string> protocols{"/test/nope/1.0.0"};
  auto stream = run(thread.io, a.host->new_stream(b.host->peer_id(), protocols));
  ASSERT_TRUE(stream);
  ASSERT_FALSE(stream->ok());
  EXPECT_EQ(stream->error().code, ErrorCode::not_found);
  EXPECT_TRUE(run(thread.io, a.host->ping(b.host->peer_id())).value().ok());
}

TEST(Host, InboundLimitRefusesTheConnectionOverIt) {
  IoThread thread;
  HostOptions limited = quiet();
  limited.max_inbound = 1;
  Node server(thread.io, limited), first(thread.io), second(thread.io);
  ASSERT_TRUE(run(thread.io, first.host->dial(server.dial_address())).value().ok());
  auto refused = run(thread.io, second.host->dial(server.dial_address()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok());
  EXPECT_EQ(server.host->connection_count(), 1u);
}

TEST(Host, OutboundLimitFailsTheDialAtOnce) {
  IoThread thread;
  HostOptions limited = quiet();
  limited.max_outbound = 1;
  Node client(thread.io, limited), first(thread.io), second(thread.io);
  ASSERT_TRUE(run(thread.io, client.host->dial(first.dial_address())).value().ok());
  auto refused = run(thread.io, client.host->dial(second.dial_address()));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().code, ErrorCode::limit);
}

TEST(Host, DialingTheWrongPeerIdFails) {
  IoThread thread;
  Node a(thread.io), b(thread.io), c(thread.io);
  const Multiaddr wrong = b.address.with_peer_id(c.host->peer_id()).value();
  auto dialled = run(thread.io, a.host->dial(wrong));
  ASSERT_TRUE(dialled);
  EXPECT_FALSE(dialled->ok());
  EXPECT_FALSE(a.host->connected(b.host->peer_id()));
}

TEST(Host, StalledInboundHandshakeIsClosed) {
  IoThread thread;
  HostOptions fast = quiet();
  fast.connection.handshake_timeout = std::chrono::milliseconds(300);
  Node server(thread.io, fast);
  const TcpDialTarget target = server.address.tcp_dial_target().value();
  // A client that connects and then says nothing: the server must hang up on it.
  auto silent = [&]() -> asio::awaitable<boost::system::error_code> {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(tcp::endpoint(asio::ip::make_address(target.host), target.port),
                                  asio::use_awaitable);
    Bytes buffer(256);
    boost::system::error_code ec;
    while (!ec)
      co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  };
  const auto start = SteadyClock::now();
  auto ended = run(thread.io, silent(), std::chrono::seconds(5));
  ASSERT_TRUE(ended) << "the server kept a silent connection open";
  EXPECT_EQ(*ended, asio::error::eof);
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(3));
}

TEST(Host, StalledOutboundHandshakeTimesOut) {
  IoThread thread;
  HostOptions fast = quiet();
  fast.connection.handshake_timeout = std::chrono::milliseconds(300);
  Node client(thread.io, fast);
  // A server that accepts and never answers.
  tcp::acceptor mute(thread.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket accepted(thread.io);
  mute.async_accept(accepted, [](boost::system::error_code) {});
  const auto address =
      Multiaddr::parse("/ip4/127.0.0.1/tcp/" + std::to_string(mute.local_endpoint().port())).value();
  auto dialled = run(thread.io, client.host->dial(address), std::chrono::seconds(5));
  ASSERT_TRUE(dialled) << "the dial did not time out";
  ASSERT_FALSE(dialled->ok());
  EXPECT_NE(dialled->error().message.find("handshake timed out"), std::string::npos)
      << dialled->error().message;
  // Close both on the io thread and wait: they are destroyed right after this, while the
  // io thread still runs (posting the close without waiting raced with the destruction).
  auto closed = run(thread.io, [&]() -> asio::awaitable<bool> {
    boost::system::error_code ignored;
    mute.close(ignored);
    accepted.close(ignored);
    co_return true;
  }());
  ASSERT_TRUE(closed);
}

TEST(Host, PerIpLimitRefusesTheConnectionOverItAndFreesSlotsOnClose) {
  LogLines logs;  // outlives the io thread, which may still log
  IoThread thread;
  HostOptions limited;
  limited.max_inbound_per_ip = 2;
  limited.log = logs.sink();
  Node server(thread.io, limited), third(thread.io);
  auto first = std::make_unique<Node>(thread.io);
  Node second(thread.io);
  // At the limit: both connections from 127.0.0.1 are accepted.
  ASSERT_TRUE(run(thread.io, first->host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(run(thread.io, second.host->dial(server.dial_address())).value().ok());
  // Over it: refused, with one log line naming the reason.
  auto refused = run(thread.io, third.host->dial(server.dial_address()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok());
  EXPECT_TRUE(wait_until([&] { return logs.count("inbound connections from 127.0.0.1 is reached") == 1; }));
  EXPECT_TRUE(wait_until([&] { return server.host->connection_count() == 2; }));

  first.reset();  // closes its connection: the slot is free again
  ASSERT_TRUE(wait_until([&] { return server.host->connection_count() == 1; }));
  EXPECT_TRUE(run(thread.io, third.host->dial(server.dial_address())).value().ok());
}

TEST(Host, LoopbackIsExemptFromThePerIpLimitOnlyWhenConfigured) {
  IoThread thread;
  HostOptions exempt = quiet();
  exempt.max_inbound_per_ip = 1;
  exempt.exempt_loopback_per_ip = true;
  Node server(thread.io, exempt), first(thread.io), second(thread.io);
  ASSERT_TRUE(run(thread.io, first.host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(run(thread.io, second.host->dial(server.dial_address())).value().ok());
  EXPECT_TRUE(wait_until([&] { return server.host->connection_count() == 2; }));
}

TEST(Host, DialsDnsAddresses) {
  IoThread thread;
  Node a(thread.io), b(thread.io), c(thread.io);
  const std::string port = std::to_string(b.address.tcp_dial_target().value().port);
  // /dns4 resolves to 127.0.0.1 only.
  const auto dns4 =
      Multiaddr::parse("/dns4/localhost/tcp/" + port).value().with_peer_id(b.host->peer_id()).value();
  auto dialled = run(thread.io, a.host->dial(dns4));
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
  EXPECT_EQ(**dialled, b.host->peer_id());
  // /dns may resolve to ::1 first, where nothing listens: the next endpoint is tried.
  const auto dns =
      Multiaddr::parse("/dns/localhost/tcp/" + port).value().with_peer_id(b.host->peer_id()).value();
  auto again = run(thread.io, c.host->dial(dns));
  ASSERT_TRUE(again && again->ok()) << (again ? again->error().to_string() : "timeout");
}

TEST(Host, UnresolvableNameFailsTheDial) {
  IoThread thread;
  HostOptions fast = quiet();
  fast.resolve_timeout = std::chrono::seconds(2);
  Node a(thread.io, fast);
  auto dialled =
      run(thread.io, a.host->dial(Multiaddr::parse("/dns4/no-such-host.invalid/tcp/4001").value()));
  ASSERT_TRUE(dialled) << "the resolver was not bounded";
  EXPECT_FALSE(dialled->ok());
}

std::optional<IdentifyInfo> info_of(const Node& of, const Node& seen_by) {
  return seen_by.host->peer_info(of.host->peer_id());
}

bool lists(const std::optional<IdentifyInfo>& info, const Multiaddr& address) {
  return info &&
         std::find(info->listen_addrs.begin(), info->listen_addrs.end(), address) != info->listen_addrs.end();
}

TEST(Host, PushesIdentifyWhenAddressesOrProtocolsChange) {
  LogLines logs;  // outlives the io thread, which may still log
  IoThread thread;
  HostOptions pushing;
  pushing.log = logs.sink();
  pushing.identify_push_delay = std::chrono::milliseconds(200);
  Node a(thread.io), b(thread.io, pushing);
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  // Both sides identified each other, so B knows A takes pushes.
  ASSERT_TRUE(wait_until([&] { return info_of(b, a) && info_of(a, b); }));

  const Multiaddr external = Multiaddr::parse("/ip4/203.0.113.7/tcp/4001").value();
  // A burst of changes: one push carries them all.
  b.host->add_external_address(external);
  b.host->set_handler("/test/new/1.0.0", [](Stream) -> asio::awaitable<void> { co_return; });
  b.host->add_external_address(external);  // no change
  EXPECT_EQ(b.host->announced_addresses(), (std::vector<Multiaddr>{b.address, external}));
  ASSERT_TRUE(wait_until([&] {
    auto info = info_of(b, a);
    return lists(info, external) && contains(info->protocols, "/test/new/1.0.0");
  }));
  EXPECT_EQ(logs.count("identify push to 1 peer"), 1u);

  b.host->remove_external_address(external);
  ASSERT_TRUE(wait_until([&] { return !lists(info_of(b, a), external); }));
  EXPECT_TRUE(lists(info_of(b, a), b.address));
  EXPECT_EQ(logs.count("identify push to 1 peer"), 2u);
}

TEST(Host, ObservedAddressIsConfirmedByEnoughDistinctObservers) {
  IoThread thread;
  HostOptions two = quiet();
  two.observed_address_threshold = 2;
  Node server(thread.io, two), first(thread.io), second(thread.io);
  ASSERT_TRUE(run(thread.io, first.host->dial(server.dial_address())).value().ok());
  // The dialler reports the address it reached the server at: its listen address.
  ASSERT_TRUE(wait_until([&] { return server.host->observed_addresses().size() == 1; }));
  EXPECT_EQ(server.host->observed_addresses()[0], (ObservedAddress{server.address, 1, false}));

  ASSERT_TRUE(run(thread.io, second.host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(wait_until([&] { return server.host->observed_addresses()[0].observers == 2; }));
  EXPECT_TRUE(server.host->observed_addresses()[0].confirmed);
  // 127.0.0.1 is no public address: confirmed, but it says nothing about the Internet.
  EXPECT_EQ(server.host->reachability(), Reachability::unknown);
  EXPECT_EQ(server.host->announced_addresses(), std::vector<Multiaddr>{server.address});
}

TEST(Host, ProbeDialChecksThePeerAndKeepsNoConnection) {
  IoThread thread;
  Node a(thread.io), b(thread.io), c(thread.io);
  auto probed = run(thread.io, a.host->probe_dial(b.address, b.host->peer_id()));
  ASSERT_TRUE(probed && probed->ok()) << (probed ? probed->error().to_string() : "timeout");
  EXPECT_FALSE(a.host->connected(b.host->peer_id()));
  EXPECT_EQ(a.host->connection_count(), 0u);
  auto wrong = run(thread.io, a.host->probe_dial(b.address, c.host->peer_id()));
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(wrong->ok());
}

// Records connection events from any thread; declared before the io thread so it outlives it.
struct Events {
  void attach(HostOptions& options) {
    options.on_connected = [this](const ConnectionInfo& info) {
      std::lock_guard lock(mutex);
      connected.push_back(info);
    };
    options.on_disconnected = [this](const ConnectionInfo& info, const std::string& reason) {
      std::lock_guard lock(mutex);
      disconnected.emplace_back(info, reason);
    };
  }
  size_t connects() {
    std::lock_guard lock(mutex);
    return connected.size();
  }
  size_t disconnects() {
    std::lock_guard lock(mutex);
    return disconnected.size();
  }
  std::mutex mutex;
  std::vector<ConnectionInfo> connected;
  std::vector<std::pair<ConnectionInfo, std::string>> disconnected;
};

TEST(Host, ConnectionEventsComeOncePerConnectionAndDisconnectGivesTheReason) {
  Events a_events, b_events;
  IoThread thread;
  HostOptions a_options = quiet(), b_options = quiet();
  a_events.attach(a_options);
  b_events.attach(b_options);
  Node a(thread.io, a_options), b(thread.io, b_options);
  const int64_t before = SystemClock{}.monotonic_nanos();
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  ASSERT_TRUE(wait_until([&] { return a_events.connects() == 1 && b_events.connects() == 1; }));
  {
    std::lock_guard lock(a_events.mutex);
    const ConnectionInfo& info = a_events.connected[0];
    EXPECT_EQ(info.peer, b.host->peer_id());
    EXPECT_EQ(info.direction, Direction::outbound);
    EXPECT_EQ(info.remote, b.address);
    EXPECT_EQ(info.remote_ip, asio::ip::make_address("127.0.0.1"));
    EXPECT_GE(info.connected_ns, before);
    EXPECT_LE(info.connected_ns, SystemClock{}.monotonic_nanos());
  }
  {
    std::lock_guard lock(b_events.mutex);
    EXPECT_EQ(b_events.connected[0].peer, a.host->peer_id());
    EXPECT_EQ(b_events.connected[0].direction, Direction::inbound);
  }
  const auto listed = b.host->connections();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].peer, a.host->peer_id());
  EXPECT_EQ(listed[0].direction, Direction::inbound);

  // Dialling again reuses the connection: no second event.
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  EXPECT_TRUE(a.host->disconnect(b.host->peer_id(), "test is over"));
  ASSERT_TRUE(wait_until([&] { return a_events.disconnects() == 1 && b_events.disconnects() == 1; }));
  {
    std::lock_guard lock(a_events.mutex);
    EXPECT_EQ(a_events.disconnected[0].first.peer, b.host->peer_id());
    // The reason, perhaps followed by a note about streams still open after the grace period.
    EXPECT_EQ(a_events.disconnected[0].second.rfind("test is over", 0), 0u)
        << a_events.disconnected[0].second;
  }
  EXPECT_TRUE(a.host->connections().empty());
  EXPECT_TRUE(wait_until([&] { return b.host->connections().empty(); }));
  EXPECT_FALSE(a.host->disconnect(b.host->peer_id(), "again"));
  EXPECT_EQ(a_events.connects(), 1u);
  EXPECT_EQ(a_events.disconnects(), 1u);
  EXPECT_EQ(b_events.disconnects(), 1u);
}

TEST(Host, AdmitInboundRefusesAnAddressBeforeTheHandshake) {
  LogLines logs;
  Events events;
  std::atomic<int> asked = 0;
  IoThread thread;
  HostOptions guarded;
  guarded.log = logs.sink();
  events.attach(guarded);
  guarded.admit_inbound = [&asked](const asio::ip::address& ip) -> std::optional<std::string> {
    ++asked;
    if (ip == asio::ip::make_address("127.0.0.1")) return "address banned";
    return std::nullopt;
  };
  Node server(thread.io, guarded), client(thread.io);
  auto refused = run(thread.io, client.host->dial(server.dial_address()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok());
  EXPECT_TRUE(wait_until([&] { return logs.count("refused: address banned") == 1; }));
  EXPECT_EQ(asked.load(), 1);
  // No handshake ran: the server never saw the peer, and no connection was upgraded.
  EXPECT_EQ(logs.count("upgrade failed"), 0u);
  EXPECT_EQ(events.connects(), 0u);
  EXPECT_EQ(server.host->connection_count(), 0u);
}

TEST(Host, AdmitPeerRefusesAPeerIdAfterTheHandshakeInBothDirections) {
  Events events;
  IoThread thread;
  KeyPair banned_key = KeyPair::generate();
  const PeerId banned = PeerId::from_public_key(banned_key.public_key());
  HostOptions guarded = quiet();
  events.attach(guarded);
  std::mutex mutex;
  std::vector<asio::ip::address> seen_ips;
  guarded.admit_peer = [&, banned](const PeerId& peer,
                                   const asio::ip::address& ip) -> std::optional<std::string> {
    {
      std::lock_guard lock(mutex);
      seen_ips.push_back(ip);
    }
    if (peer == banned) return "peer banned";
    return std::nullopt;
  };
  Node server(thread.io, guarded), good(thread.io);
  auto bad_host = Host::create(thread.io, std::move(banned_key), quiet());
  const Multiaddr bad_address = bad_host->listen(loopback()).value().with_peer_id(banned).value();

  // The dialler finishes its side of the handshake before the server knows who it is, so
  // its dial may succeed; the server closes the connection at once either way.
  ASSERT_TRUE(run(thread.io, bad_host->dial(server.dial_address())));
  EXPECT_TRUE(wait_until([&] { return !bad_host->connected(server.host->peer_id()); }));
  ASSERT_TRUE(run(thread.io, good.host->dial(server.dial_address())).value().ok());
  EXPECT_TRUE(wait_until([&] { return server.host->connected(good.host->peer_id()); }));
  EXPECT_FALSE(server.host->connected(banned));

  // Outbound too: the dial fails with the reason.
  auto dial_out = run(thread.io, server.host->dial(bad_address));
  ASSERT_TRUE(dial_out);
  ASSERT_FALSE(dial_out->ok());
  EXPECT_NE(dial_out->error().message.find("peer banned"), std::string::npos) << dial_out->error().message;
  EXPECT_FALSE(server.host->connected(banned));
  EXPECT_EQ(events.connects(), 1u);  // the good peer only
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen_ips.size(), 3u);
    for (const auto& ip : seen_ips) EXPECT_EQ(ip, asio::ip::make_address("127.0.0.1"));
  }
  bad_host->stop();
}

TEST(Host, FullInboundEvictsTheConnectionThePolicyNames) {
  Events events;
  IoThread thread;
  std::atomic<bool> evict = true;
  std::mutex mutex;
  std::vector<std::vector<ConnectionInfo>> asked;
  HostOptions limited = quiet();
  limited.max_inbound = 1;
  events.attach(limited);
  limited.select_inbound_to_evict = [&](std::vector<ConnectionInfo> inbound) -> std::optional<PeerId> {
    std::lock_guard lock(mutex);
    asked.push_back(inbound);
    if (!evict || inbound.empty()) return std::nullopt;
    return inbound.front().peer;
  };
  Node server(thread.io, limited), first(thread.io), second(thread.io), third(thread.io);
  ASSERT_TRUE(run(thread.io, first.host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(wait_until([&] { return server.host->connected(first.host->peer_id()); }));

  // The policy names the first connection: it goes, the second comes in.
  ASSERT_TRUE(run(thread.io, second.host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(wait_until([&] { return server.host->connected(second.host->peer_id()); }));
  EXPECT_TRUE(wait_until([&] { return !server.host->connected(first.host->peer_id()); }));
  ASSERT_TRUE(wait_until([&] { return events.disconnects() == 1; }));
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(asked.size(), 1u);
    ASSERT_EQ(asked[0].size(), 1u);
    EXPECT_EQ(asked[0][0].peer, first.host->peer_id());
    EXPECT_EQ(asked[0][0].direction, Direction::inbound);
  }
  {
    std::lock_guard lock(events.mutex);
    EXPECT_EQ(events.disconnected[0].first.peer, first.host->peer_id());
    EXPECT_NE(events.disconnected[0].second.find("evicted"), std::string::npos);
  }

  // The evicted connection's slot was counted once: with no victim named, the limit of one
  // inbound connection holds.
  evict = false;
  auto refused = run(thread.io, third.host->dial(server.dial_address()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok());
  EXPECT_TRUE(server.host->connected(second.host->peer_id()));
  EXPECT_EQ(server.host->connection_count(), 1u);
}

TEST(Host, OutboundSocketsBindToTheConfiguredSourceAddress) {
  IoThread thread;
  std::mutex mutex;
  std::vector<asio::ip::address> admitted;
  HostOptions watching = quiet();
  watching.admit_inbound = [&](const asio::ip::address& ip) -> std::optional<std::string> {
    std::lock_guard lock(mutex);
    admitted.push_back(ip);
    return std::nullopt;
  };
  HostOptions bound = quiet();
  bound.outbound_bind_address = asio::ip::make_address("127.0.0.2");
  bound.max_outbound = 2;
  Node server(thread.io, watching), other(thread.io), client(thread.io, bound);
  ASSERT_TRUE(run(thread.io, client.host->dial(server.dial_address())).value().ok());
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(admitted.size(), 1u);
    EXPECT_EQ(admitted[0], asio::ip::make_address("127.0.0.2"));
  }
  ASSERT_TRUE(wait_until([&] { return server.host->connections().size() == 1; }));
  EXPECT_EQ(server.host->connections()[0].remote_ip, asio::ip::make_address("127.0.0.2"));

  // An IPv6 endpoint cannot be reached from an IPv4 source address.
  auto other_family = run(thread.io, client.host->dial(Multiaddr::parse("/ip6/::1/tcp/4001").value()));
  ASSERT_TRUE(other_family);
  ASSERT_FALSE(other_family->ok());
  EXPECT_EQ(other_family->error().code, ErrorCode::invalid_argument);
  // The failed dial gave its outbound slot back: the second of two fits.
  EXPECT_TRUE(run(thread.io, client.host->dial(other.dial_address())).value().ok());
}

TEST(Host, CountsBytesAndStreamsPerProtocol) {
  IoThread thread;
  Node a(thread.io), b(thread.io);
  const std::string echo_protocol = "/test/echo/1.0.0";
  b.host->set_handler(echo_protocol, [](Stream stream) -> asio::awaitable<void> {
    for (;;) {
      auto bytes = co_await stream.read(kReadChunkSize);
      if (!bytes || bytes->empty()) co_return;
      if (!co_await stream.write(std::move(bytes).value())) co_return;
    }
  });
  ASSERT_TRUE(run(thread.io, a.host->dial(b.dial_address())).value().ok());
  constexpr size_t kSize = 100'000;
  const Bytes message(kSize, 0x5a);
  auto echo = [&]() -> asio::awaitable<Result<Bytes>> {
    std::vector<std::string> protocols{echo_protocol};
    CAIRN_CO_TRY(Stream stream, co_await a.host->new_stream(b.host->peer_id(), std::move(protocols)));
    CAIRN_CO_TRY_STATUS(co_await stream.write(message));
    CAIRN_CO_TRY_STATUS(co_await stream.close());
    CAIRN_CO_TRY(Bytes received, co_await stream.read_exact(message.size()));
    co_return received;
  };
  auto received = run(thread.io, echo());
  ASSERT_TRUE(received && received->ok()) << (received ? received->error().to_string() : "timeout");
  const ProtocolTraffic expected{kSize, kSize, 1};
  EXPECT_EQ(a.host->protocol_traffic()[echo_protocol], expected);
  ASSERT_TRUE(wait_until([&] { return b.host->protocol_traffic()[echo_protocol] == expected; }));
  // Identify runs over its own streams: A asked B (bytes in) and answered B (bytes out).
  EXPECT_TRUE(wait_until([&] {
    const ProtocolTraffic identify = a.host->protocol_traffic()[std::string(kIdentifyProtocolId)];
    return identify.streams == 2 && identify.bytes_in > 0 && identify.bytes_out > 0;
  }));
}

}  // namespace
}  // namespace cairn::net
