#include "net/kademlia_service.h"

#include <gtest/gtest.h>

#include "net/host_support.h"
#include "net/identify.h"

namespace cairn::net {
namespace {

using testing::IoThread;
using testing::run;

const std::string kProtocol = "/cairn/regtest/kad/1.0.0";

bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

struct Node {
  explicit Node(asio::io_context& io, size_t max_inbound = kMaxKadInboundRequestsPerPeer) {
    HostOptions host_options;
    host_options.log = [](const std::string&) {};
    host = Host::create(io, KeyPair::generate(), host_options);
    address = host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
    KademliaServiceOptions options;
    options.protocol = kProtocol;
    options.max_inbound_per_peer = max_inbound;
    options.lookup.query_timeout_ns = 2'000'000'000;
    options.log = [](const std::string&) {};
    kad = KademliaService::create(io, host, options).value();
  }
  ~Node() {
    kad->stop();
    host->stop();
  }
  Multiaddr full_address() const { return address.with_peer_id(host->peer_id()).value(); }
  std::shared_ptr<Host> host;
  Multiaddr address = Multiaddr::parse("/ip4/127.0.0.1/tcp/1").value();
  std::shared_ptr<KademliaService> kad;
};

TEST(KademliaService, FindsAPeerThroughAnotherWithoutDiallingIt) {
  IoThread io;
  Node a(io.io), b(io.io), c(io.io);
  // B knows C: C answered B's bootstrap request.
  ASSERT_EQ(run(io.io, b.kad->bootstrap({c.full_address()})), 1u);
  EXPECT_TRUE(run(io.io, b.kad->in_table(c.host->peer_id())).value());
  // C adds B only after B answered C's ping.
  EXPECT_TRUE(wait_until([&] { return run(io.io, c.kad->in_table(b.host->peer_id())).value(); }));
  // A knows B.
  ASSERT_EQ(run(io.io, a.kad->bootstrap({b.full_address()})), 1u);
  EXPECT_FALSE(a.host->connected(c.host->peer_id()));

  std::optional<Result<KadPeer>> found = run(io.io, a.kad->find_peer(c.host->peer_id()));
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found) << found->error().message;
  EXPECT_EQ((*found)->id, c.host->peer_id());
  EXPECT_EQ((*found)->addrs, std::vector<Multiaddr>{c.address});
  EXPECT_FALSE(a.host->connected(c.host->peer_id()));

  // The address works: A reaches C through it.
  std::optional<Result<PeerId>> dialled = run(io.io, a.host->dial(c.full_address()));
  ASSERT_TRUE(dialled && *dialled);

  // A lookup of a key converges on the peers that answered.
  std::optional<std::vector<KadPeer>> closest =
      run(io.io, a.kad->closest_peers(c.host->peer_id().multihash()));
  ASSERT_TRUE(closest);
  ASSERT_FALSE(closest->empty());
  EXPECT_EQ(closest->front().id, c.host->peer_id());
}

TEST(KademliaService, UnknownPeerIsNotFound) {
  IoThread io;
  Node a(io.io), b(io.io);
  ASSERT_EQ(run(io.io, a.kad->bootstrap({b.full_address()})), 1u);
  KeyPair stranger = KeyPair::generate();
  std::optional<Result<KadPeer>> found =
      run(io.io, a.kad->find_peer(PeerId::from_public_key(stranger.public_key())));
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
}

// Reads one length-prefixed answer on a raw stream of the kad protocol.
asio::awaitable<Result<kadpb::Message>> exchange(Stream stream, kadpb::Message request) {
  CAIRN_CO_TRY_STATUS(co_await stream.write(frame_kad_message(request)));
  CAIRN_CO_TRY(Bytes body, co_await read_length_prefixed(stream, kMaxKadMessageSize));
  co_return decode_kad_message(body);
}

TEST(KademliaService, ServesAtMostTheInboundLimitPerPeer) {
  IoThread io;
  Node server(io.io, /*max_inbound=*/1);
  Node client(io.io);
  ASSERT_TRUE(run(io.io, client.host->dial(server.full_address())).value());
  const PeerId server_id = server.host->peer_id();
  // The first stream stays open, unanswered, and holds the one slot.
  std::optional<Result<Stream>> first = run(io.io, client.host->new_stream(server_id, {kProtocol}));
  ASSERT_TRUE(first && *first);
  // Let the server take the first stream before opening the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::optional<Result<Stream>> second = run(io.io, client.host->new_stream(server_id, {kProtocol}));
  ASSERT_TRUE(second && *second);
  std::optional<Result<kadpb::Message>> refused = run(io.io, exchange(**second, make_kad_ping()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
  // The first is answered; after it the slot is free again.
  std::optional<Result<kadpb::Message>> pong = run(io.io, exchange(**first, make_kad_ping()));
  ASSERT_TRUE(pong && *pong);
  EXPECT_EQ((*pong)->type(), kadpb::Message::PING);
  EXPECT_TRUE(wait_until([&] {
    std::optional<Result<Stream>> next = run(io.io, client.host->new_stream(server_id, {kProtocol}));
    if (!next || !*next) return false;
    std::optional<Result<kadpb::Message>> again = run(io.io, exchange(**next, make_kad_ping()));
    return again && *again;
  }));
}

TEST(KademliaService, OversizedRequestIsRefused) {
  IoThread io;
  Node server(io.io);
  Node client(io.io);
  ASSERT_TRUE(run(io.io, client.host->dial(server.full_address())).value());
  std::optional<Result<Stream>> stream =
      run(io.io, client.host->new_stream(server.host->peer_id(), {kProtocol}));
  ASSERT_TRUE(stream && *stream);
  // Over the limit (the exact boundary is KadMessages.SizeLimitAtTheBoundary).
  kadpb::Message big = make_find_node(Bytes(kMaxKadMessageSize, 1));
  std::optional<Result<kadpb::Message>> answer = run(io.io, exchange(**stream, big));
  ASSERT_TRUE(answer);
  EXPECT_FALSE(*answer);
}

TEST(KademliaService, RejectsBadOptions) {
  IoThread io;
  auto host = Host::create(io.io, KeyPair::generate());
  KademliaServiceOptions options;
  options.protocol = "kad";
  EXPECT_FALSE(KademliaService::create(io.io, host, options));
  options.protocol = kProtocol;
  options.max_inbound_per_peer = 0;
  EXPECT_FALSE(KademliaService::create(io.io, host, options));
  host->stop();
}

}  // namespace
}  // namespace cairn::net
