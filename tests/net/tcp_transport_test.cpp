#include "net/tcp_transport.h"

#include <gtest/gtest.h>

#include "net/host_support.h"

namespace cairn::net {
namespace {

namespace ip = boost::asio::ip;
using testing::IoThread;
using testing::run;

TcpDialTarget target_of(const std::string& text) {
  return Multiaddr::parse(text).value().tcp_dial_target().value();
}

TEST(TcpTransport, LiteralAddressIsItsOneEndpoint) {
  IoThread thread;
  auto endpoints = run(thread.io, resolve_tcp(thread.io, target_of("/ip6/::1/tcp/4001")));
  ASSERT_TRUE(endpoints && endpoints->ok());
  EXPECT_EQ(**endpoints, std::vector<ip::tcp::endpoint>{ip::tcp::endpoint(ip::make_address("::1"), 4001)});
}

TEST(TcpTransport, Dns4ResolvesToIpv4Only) {
  IoThread thread;
  auto endpoints = run(thread.io, resolve_tcp(thread.io, target_of("/dns4/localhost/tcp/4001")));
  ASSERT_TRUE(endpoints && endpoints->ok()) << (endpoints ? endpoints->error().to_string() : "timeout");
  ASSERT_FALSE((*endpoints)->empty());
  EXPECT_LE((*endpoints)->size(), kMaxResolvedEndpoints);
  for (const auto& endpoint : **endpoints) {
    EXPECT_TRUE(endpoint.address().is_v4()) << endpoint.address().to_string();
    EXPECT_EQ(endpoint.port(), 4001);
  }
  const ip::tcp::endpoint loopback(ip::make_address("127.0.0.1"), 4001);
  EXPECT_NE(std::find((*endpoints)->begin(), (*endpoints)->end(), loopback), (*endpoints)->end());
}

TEST(TcpTransport, Dns6KeepsIpv6Only) {
  IoThread thread;
  auto endpoints = run(thread.io, resolve_tcp(thread.io, target_of("/dns6/localhost/tcp/4001")));
  ASSERT_TRUE(endpoints);
  // Whether localhost has an IPv6 address depends on the machine; no IPv4 one may come back.
  if (endpoints->ok()) {
    for (const auto& endpoint : **endpoints) EXPECT_TRUE(endpoint.address().is_v6());
  } else {
    EXPECT_EQ(endpoints->error().code, ErrorCode::not_found) << endpoints->error().to_string();
  }
}

TEST(TcpTransport, LiteralConversionRefusesNames) {
  auto endpoint = tcp_endpoint(target_of("/dns/localhost/tcp/4001"));
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().code, ErrorCode::invalid_argument);
}

TEST(TcpTransport, PublicAddresses) {
  for (const char* text :
       {"8.8.8.8", "203.0.113.9", "172.32.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"}) {
    EXPECT_TRUE(is_public_address(ip::make_address(text))) << text;
  }
  for (const char* text :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.1.1", "100.64.0.1",
        "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
        "fc00::1", "fd12::1", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(is_public_address(ip::make_address(text))) << text;
  }
}

TEST(TcpTransport, MultiaddrIp) {
  EXPECT_EQ(multiaddr_ip(Multiaddr::parse("/ip4/1.2.3.4/tcp/1").value()), ip::make_address("1.2.3.4"));
  EXPECT_EQ(multiaddr_ip(Multiaddr::parse("/ip6/::1/tcp/1").value()), ip::make_address("::1"));
  EXPECT_EQ(multiaddr_ip(Multiaddr::parse("/dns/example.com/tcp/1").value()), std::nullopt);
}

}  // namespace
}  // namespace cairn::net
