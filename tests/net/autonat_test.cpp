#include "net/autonat.h"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "autonat.pb.h"
#include "net/host.h"
#include "net/host_support.h"

namespace cairn::net {
namespace {

namespace ip = boost::asio::ip;
using testing::IoThread;
using testing::run;
using testing::wait_until;

PeerId new_peer() { return PeerId::from_public_key(KeyPair::generate().public_key()); }
Multiaddr addr(const std::string& text) { return Multiaddr::parse(text).value(); }
// Strips the uvarint length prefix (one byte for these small messages).
ByteSpan body(const Bytes& framed) { return ByteSpan(framed).subspan(1); }

TEST(Autonat, DialRoundTrips) {
  const PeerId peer = new_peer();
  const std::vector<Multiaddr> addrs{addr("/ip4/203.0.113.9/tcp/4001"), addr("/ip6/2001:db8::1/tcp/4001")};
  const Bytes framed = encode_autonat_dial(peer, addrs);
  ASSERT_EQ(framed[0], framed.size() - 1);
  auto decoded = decode_autonat_dial(body(framed));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->peer, peer);
  EXPECT_EQ(decoded->addrs, addrs);
}

TEST(Autonat, ResponseMatchesTheSpecsFieldNumbers) {
  // type = DIAL_RESPONSE (field 1 = 1), dialResponse (field 3) { status (field 1) = 100 }.
  const Bytes framed = encode_autonat_response({AutonatStatus::dial_error, "", std::nullopt});
  EXPECT_EQ(framed, (Bytes{0x06, 0x08, 0x01, 0x1a, 0x02, 0x08, 0x64}));
  const AutonatDialResponse ok{AutonatStatus::ok, "fine", addr("/ip4/203.0.113.9/tcp/4001")};
  auto decoded = decode_autonat_response(body(encode_autonat_response(ok)));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->status, AutonatStatus::ok);
  EXPECT_EQ(decoded->status_text, "fine");
  EXPECT_EQ(decoded->addr, ok.addr);
}

TEST(Autonat, DecodeRefusesBadInput) {
  const Bytes garbage{0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_autonat_dial(garbage).ok());
  EXPECT_FALSE(decode_autonat_response(garbage).ok());
  // A response where a request belongs, and the reverse.
  const Bytes response = encode_autonat_response({AutonatStatus::ok, "", std::nullopt});
  EXPECT_FALSE(decode_autonat_dial(body(response)).ok());
  EXPECT_FALSE(decode_autonat_response(body(encode_autonat_dial(new_peer(), {}))).ok());
  // A DIAL without a peer, and one with an id that is no multihash.
  autonatpb::Message message;
  message.set_type(autonatpb::Message::DIAL);
  message.mutable_dial();
  std::string bytes = message.SerializeAsString();
  EXPECT_FALSE(decode_autonat_dial(as_bytes(bytes)).ok());
  message.mutable_dial()->mutable_peer()->set_id("not a multihash");
  bytes = message.SerializeAsString();
  EXPECT_FALSE(decode_autonat_dial(as_bytes(bytes)).ok());
  // A response without a status, and one whose status is not the spec's.
  autonatpb::Message answer;
  answer.set_type(autonatpb::Message::DIAL_RESPONSE);
  answer.mutable_dialresponse()->set_statustext("?");
  bytes = answer.SerializeAsString();
  EXPECT_FALSE(decode_autonat_response(as_bytes(bytes)).ok());
  const Bytes unknown_status{0x08, 0x01, 0x1a, 0x02, 0x08, 0x07};  // status 7
  EXPECT_FALSE(decode_autonat_response(unknown_status).ok());
  // Over the size limit.
  EXPECT_EQ(decode_autonat_dial(Bytes(kMaxAutonatMessageSize + 1, 0)).error().code, ErrorCode::limit);
}

TEST(Autonat, DialKeepsAtMostTheRequestAddressLimit) {
  std::vector<Multiaddr> addrs;
  for (size_t i = 0; i <= kMaxAutonatRequestAddresses; ++i)
    addrs.push_back(addr("/ip4/203.0.113.9/tcp/" + std::to_string(1000 + i)));
  const Bytes framed = encode_autonat_dial(new_peer(), addrs);
  // The length prefix is two bytes here.
  auto decoded = decode_autonat_dial(ByteSpan(framed).subspan(2));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->addrs.size(), kMaxAutonatRequestAddresses);
}

TEST(Autonat, DialBackOnlyAtTheObservedIp) {
  const PeerId requester = new_peer();
  const auto observed = ip::make_address("203.0.113.9");
  AutonatDialRequest request{
      requester,
      {addr("/ip4/198.51.100.1/tcp/4001"),  // someone else: never dialled
       addr("/ip4/203.0.113.9/tcp/4001"), addr("/ip4/203.0.113.9/udp/4001"),
       addr("/dns4/example.com/tcp/4001"), addr("/ip4/203.0.113.9/tcp/4002").with_peer_id(new_peer()).value(),
       addr("/ip4/203.0.113.9/tcp/4003").with_peer_id(requester).value(), addr("/ip4/203.0.113.9/tcp/4001")}};
  const DialBackPlan plan = plan_dial_back(request, requester, observed, false);
  EXPECT_FALSE(plan.refusal);
  EXPECT_EQ(plan.addrs,
            (std::vector<Multiaddr>{addr("/ip4/203.0.113.9/tcp/4001"),
                                    addr("/ip4/203.0.113.9/tcp/4003").with_peer_id(requester).value()}));
}

TEST(Autonat, DialBackRefusals) {
  const PeerId requester = new_peer();
  const auto observed = ip::make_address("203.0.113.9");
  AutonatDialRequest request{requester, {addr("/ip4/198.51.100.1/tcp/4001")}};
  auto plan = plan_dial_back(request, requester, observed, false);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->status, AutonatStatus::dial_refused);

  request.peer = new_peer();  // asking for someone else
  plan = plan_dial_back(request, requester, observed, false);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->status, AutonatStatus::bad_request);

  // Loopback and private requesters only when allowed.
  AutonatDialRequest local{requester, {addr("/ip4/127.0.0.1/tcp/4001")}};
  plan = plan_dial_back(local, requester, ip::make_address("127.0.0.1"), false);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->status, AutonatStatus::dial_refused);
  plan = plan_dial_back(local, requester, ip::make_address("127.0.0.1"), true);
  EXPECT_FALSE(plan.refusal);
  EXPECT_EQ(plan.addrs, local.addrs);
}

TEST(Autonat, DialBackIsBounded) {
  const PeerId requester = new_peer();
  AutonatDialRequest request{requester, {}};
  for (size_t i = 0; i <= kMaxAutonatDialBacks; ++i)
    request.addrs.push_back(addr("/ip4/203.0.113.9/tcp/" + std::to_string(1000 + i)));
  EXPECT_EQ(plan_dial_back(request, requester, ip::make_address("203.0.113.9"), false).addrs.size(),
            kMaxAutonatDialBacks);
}

TEST(AutonatRateLimiter, LimitsPerPeerAndInAllWithinTheWindow) {
  AutonatRateLimiter limiter(2, 3, std::chrono::seconds(60));
  const PeerId a = new_peer(), b = new_peer();
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_FALSE(limiter.allow(a, t0));  // per peer
  EXPECT_TRUE(limiter.allow(b, t0));
  EXPECT_FALSE(limiter.allow(new_peer(), t0));  // in all
  EXPECT_FALSE(limiter.allow(b, t0 + std::chrono::seconds(59)));
  EXPECT_TRUE(limiter.allow(a, t0 + std::chrono::seconds(60)));  // the window has passed
}

TEST(AutonatVerdict, DecidesAtTheThreshold) {
  AutonatVerdict verdict(2);
  const Multiaddr reached = addr("/ip4/203.0.113.9/tcp/4001");
  verdict.add({AutonatStatus::ok, "", reached});
  verdict.add({AutonatStatus::dial_refused, "", std::nullopt});
  verdict.add({AutonatStatus::internal_error, "", std::nullopt});
  EXPECT_EQ(verdict.verdict(), Reachability::unknown);
  verdict.add({AutonatStatus::ok, "", reached});
  EXPECT_EQ(verdict.verdict(), Reachability::is_public);
  EXPECT_EQ(verdict.reached(), std::vector<Multiaddr>{reached});

  AutonatVerdict failing(2);
  failing.add({AutonatStatus::dial_error, "", std::nullopt});
  EXPECT_EQ(failing.verdict(), Reachability::unknown);
  failing.add({AutonatStatus::dial_error, "", std::nullopt});
  EXPECT_EQ(failing.verdict(), Reachability::is_private);
}

// Hosts on 127.0.0.1: the servers must be allowed to dial back loopback addresses.
HostOptions options(bool allow_private_dial_back, size_t threshold = 1) {
  HostOptions out;
  out.log = [](const std::string&) {};
  out.autonat.allow_private_dial_back = allow_private_dial_back;
  out.autonat.threshold = threshold;
  out.autonat.dial_timeout = std::chrono::seconds(3);
  return out;
}

const Multiaddr& loopback() {
  static const Multiaddr address = addr("/ip4/127.0.0.1/tcp/0");
  return address;
}

struct Peer {
  Peer(asio::io_context& io, HostOptions host_options, bool listen = true)
      : host(Host::create(io, KeyPair::generate(), std::move(host_options))) {
    if (listen) address = host->listen(loopback()).value();
  }
  ~Peer() { host->stop(); }
  Multiaddr dial_address() const { return address->with_peer_id(host->peer_id()).value(); }
  std::shared_ptr<Host> host;
  std::optional<Multiaddr> address;
};

// Connects `client` to each server and waits until it knows they speak AutoNAT.
void connect(asio::io_context& io, Peer& client, const std::vector<Peer*>& servers) {
  for (Peer* server : servers) {
    ASSERT_TRUE(run(io, client.host->dial(server->dial_address())).value().ok());
    ASSERT_TRUE(wait_until([&] {
      auto info = client.host->peer_info(server->host->peer_id());
      return info && std::find(info->protocols.begin(), info->protocols.end(), kAutonatProtocolId) !=
                         info->protocols.end();
    }));
  }
}

TEST(AutonatService, ServersDialBackOnANewConnection) {
  IoThread thread;
  Peer server1(thread.io, options(true)), server2(thread.io, options(true));
  Peer client(thread.io, options(false, 2));
  connect(thread.io, client, {&server1, &server2});
  EXPECT_EQ(client.host->reachability(), Reachability::unknown);

  auto result = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(result && result->ok()) << (result ? result->error().to_string() : "timeout");
  EXPECT_EQ(**result, Reachability::is_public);
  EXPECT_EQ(client.host->reachability(), Reachability::is_public);
  // The dial-back connections came and went: each server still has just the client's.
  EXPECT_TRUE(wait_until([&] { return client.host->connection_count() == 2; }));
  EXPECT_EQ(server1.host->connection_count(), 1u);
  EXPECT_EQ(server2.host->connection_count(), 1u);
}

TEST(AutonatService, UnreachableAddressMakesTheClientPrivate) {
  IoThread thread;
  Peer server(thread.io, options(true));
  Peer client(thread.io, options(false), /*listen=*/false);
  // A port nothing listens on any more.
  uint16_t closed_port = 0;
  {
    ip::tcp::acceptor probe(thread.io, ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  client.host->add_external_address(addr("/ip4/127.0.0.1/tcp/" + std::to_string(closed_port)));
  connect(thread.io, client, {&server});
  auto result = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(result && result->ok()) << (result ? result->error().to_string() : "timeout");
  EXPECT_EQ(**result, Reachability::is_private);
  EXPECT_EQ(client.host->reachability(), Reachability::is_private);
}

TEST(AutonatService, LoopbackDialBackIsRefusedByDefault) {
  IoThread thread;
  Peer server(thread.io, options(false));
  Peer client(thread.io, options(false));
  connect(thread.io, client, {&server});
  auto result = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(result && result->ok()) << (result ? result->error().to_string() : "timeout");
  EXPECT_EQ(**result, Reachability::unknown);  // a refusal says nothing
}

TEST(AutonatService, ServersAreRateLimited) {
  IoThread thread;
  HostOptions limited = options(true);
  limited.autonat.requests_per_peer = 1;
  Peer server(thread.io, limited);
  Peer client(thread.io, options(false));
  connect(thread.io, client, {&server});
  auto first = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(first && first->ok());
  EXPECT_EQ(**first, Reachability::is_public);
  // The second request within the window is refused: inconclusive, the verdict stays.
  auto second = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(second && second->ok());
  EXPECT_EQ(**second, Reachability::unknown);
  EXPECT_EQ(client.host->reachability(), Reachability::is_public);
}

TEST(AutonatService, NeedsAPeerThatSupportsIt) {
  IoThread thread;
  HostOptions no_service = options(false);
  no_service.autonat.serve = false;
  Peer server(thread.io, no_service);
  Peer client(thread.io, options(false));
  ASSERT_TRUE(run(thread.io, client.host->dial(server.dial_address())).value().ok());
  ASSERT_TRUE(wait_until([&] { return client.host->peer_info(server.host->peer_id()).has_value(); }));
  auto result = run(thread.io, client.host->check_reachability());
  ASSERT_TRUE(result);
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace cairn::net
