#include "net/multiaddr.h"

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

constexpr std::string_view kPeer = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

void expect_error(const Error& e, ErrorCode code, std::string_view part) {
  EXPECT_EQ(e.code, code) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos) << "\"" << e.message << "\" lacks \"" << part << "\"";
}

// Parses `text`, checks it prints as `canonical`, and that binary -> text round-trips.
void expect_canonical(std::string_view text, std::string_view canonical) {
  SCOPED_TRACE(text);
  auto addr = Multiaddr::parse(text);
  ASSERT_TRUE(addr.ok()) << addr.error().message;
  EXPECT_EQ(addr->to_string(), canonical);
  auto back = Multiaddr::from_bytes(addr->to_bytes());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *addr);
}

TEST(Multiaddr, SpecExamples) {
  // multiformats/multiaddr test/multiaddr.feature and README.
  auto a = Multiaddr::parse("/ip4/192.0.2.42/tcp/443").value();
  EXPECT_EQ(to_hex(a.to_bytes()), "04c000022a0601bb");
  EXPECT_EQ(Multiaddr::from_bytes(from_hex("04c000022a0601bb").value())->to_string(),
            "/ip4/192.0.2.42/tcp/443");
  auto b = Multiaddr::parse("/ip4/127.0.0.1/udp/1234").value();
  EXPECT_EQ(to_hex(b.to_bytes()), "047f000001910204d2");
  ASSERT_EQ(b.components().size(), 2u);
  EXPECT_EQ(b.components()[1].protocol, MultiaddrProtocol::udp);
}

TEST(Multiaddr, RoundTrips) {
  expect_canonical("/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/tcp/0");
  expect_canonical("/ip6/::1/tcp/4001", "/ip6/::1/tcp/4001");
  expect_canonical("/dns/example.com/tcp/65535", "/dns/example.com/tcp/65535");
  expect_canonical("/dns4/boot.cairn.example./tcp/1", "/dns4/boot.cairn.example./tcp/1");
  expect_canonical("/dns6/_dnsaddr.x-y.example/udp/53", "/dns6/_dnsaddr.x-y.example/udp/53");
  expect_canonical("/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kPeer),
                   "/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kPeer));
  // The legacy /ipfs name and the CID form of a peer id are read, and printed as /p2p base58.
  expect_canonical("/ip4/1.2.3.4/tcp/4001/ipfs/" + std::string(kPeer),
                   "/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kPeer));
  expect_canonical("/p2p/bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6",
                   "/p2p/" + std::string(kPeer));
  expect_canonical("/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
                   "/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
}

TEST(Multiaddr, Ip6PrintsPerRfc5952) {
  // RFC 5952 sections 4 and 5.
  expect_canonical("/ip6/2001:0DB8:0000:0000:0000:0000:0000:0001/tcp/1", "/ip6/2001:db8::1/tcp/1");
  expect_canonical("/ip6/2001:db8:0:0:1:0:0:1/tcp/1", "/ip6/2001:db8::1:0:0:1/tcp/1");  // first of equal runs
  expect_canonical("/ip6/2001:db8:0:1:1:1:1:1/tcp/1",
                   "/ip6/2001:db8:0:1:1:1:1:1/tcp/1");                            // one zero: no "::"
  expect_canonical("/ip6/2001:0:0:1:0:0:0:1/tcp/1", "/ip6/2001:0:0:1::1/tcp/1");  // the longest run
  expect_canonical("/ip6/::/tcp/1", "/ip6/::/tcp/1");
  expect_canonical("/ip6/fe80::/tcp/1", "/ip6/fe80::/tcp/1");
  expect_canonical("/ip6/::ffff:192.0.2.1/tcp/1", "/ip6/::ffff:192.0.2.1/tcp/1");
  expect_canonical("/ip6/::ffff:c000:201/tcp/1", "/ip6/::ffff:192.0.2.1/tcp/1");
}

TEST(Multiaddr, ComponentValidation) {
  expect_error(Multiaddr::parse("/ip4/256.0.0.1").error(), ErrorCode::decode, "invalid IPv4 address");
  expect_error(Multiaddr::parse("/ip4/01.2.3.4").error(), ErrorCode::decode, "invalid IPv4 address");
  expect_error(Multiaddr::parse("/ip4/1.2.3").error(), ErrorCode::decode, "invalid IPv4 address");
  expect_error(Multiaddr::parse("/ip4/::1").error(), ErrorCode::decode, "invalid IPv4 address");
  expect_error(Multiaddr::parse("/ip6/1.2.3.4").error(), ErrorCode::decode, "invalid IPv6 address");
  expect_error(Multiaddr::parse("/ip6/1::2::3").error(), ErrorCode::decode, "invalid IPv6 address");
  expect_error(Multiaddr::parse("/ip6/fe80::1%eth0").error(), ErrorCode::decode, "invalid IPv6 address");
  expect_error(Multiaddr::parse(std::string("/ip4/1.2.3.4\0x", 14)).error(), ErrorCode::decode,
               "invalid IPv4");
  // Ports: 0 and 65535 are the boundaries.
  EXPECT_TRUE(Multiaddr::parse("/ip4/1.2.3.4/tcp/65535").ok());
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/tcp/65536").error(), ErrorCode::decode,
               "invalid port \"65536\"");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/tcp/-1").error(), ErrorCode::decode, "invalid port");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/tcp/+1").error(), ErrorCode::decode, "invalid port");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/tcp/080").error(), ErrorCode::decode, "invalid port");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/udp/1x").error(), ErrorCode::decode, "invalid port");
  // DNS names: 255 bytes in all, 63 per label.
  std::string name;
  while (name.size() + 64 <= kMaxDnsNameLength) {
    name.append(kMaxDnsLabelLength, 'a');
    name += '.';
  }
  name += std::string(kMaxDnsNameLength - name.size(), 'b');
  ASSERT_EQ(name.size(), kMaxDnsNameLength);
  EXPECT_TRUE(Multiaddr::parse("/dns/" + name).ok());
  expect_error(Multiaddr::parse("/dns/" + name + "b").error(), ErrorCode::decode, "256 bytes");
  expect_error(Multiaddr::parse("/dns/" + std::string(kMaxDnsLabelLength + 1, 'a')).error(),
               ErrorCode::decode, "label of 64");
  expect_error(Multiaddr::parse("/dns/a..b").error(), ErrorCode::decode, "label of 0");
  expect_error(Multiaddr::parse("/dns4/.").error(), ErrorCode::decode, "label of 0");
  expect_error(Multiaddr::parse("/dns6/ex ample.com").error(), ErrorCode::decode, "contains a character");
  expect_error(Multiaddr::parse("/p2p/12D3KooWnotapeerid").error(), ErrorCode::limit,
               "/p2p: peer id: multihash");
}

TEST(Multiaddr, TextSyntaxErrors) {
  expect_error(Multiaddr::parse("").error(), ErrorCode::decode, "does not start with '/'");
  expect_error(Multiaddr::parse("ip4/1.2.3.4").error(), ErrorCode::decode, "does not start with '/'");
  expect_error(Multiaddr::parse("/").error(), ErrorCode::decode, "empty component");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/").error(), ErrorCode::decode, "empty component");
  expect_error(Multiaddr::parse("//ip4/1.2.3.4").error(), ErrorCode::decode, "empty component");
  expect_error(Multiaddr::parse("/ip4").error(), ErrorCode::decode, "/ip4 needs a value");
  expect_error(Multiaddr::parse("/ip4//tcp/1").error(), ErrorCode::decode, "/ip4 needs a value");
  expect_error(Multiaddr::parse("/quic-v1/x").error(), ErrorCode::decode, "unsupported protocol \"quic-v1\"");
  expect_error(Multiaddr::parse("/IP4/1.2.3.4").error(), ErrorCode::decode, "unsupported protocol");
}

TEST(Multiaddr, BinaryErrors) {
  auto bin = [](std::string_view h) { return Multiaddr::from_bytes(from_hex(h).value()); };
  expect_error(bin("").error(), ErrorCode::decode, "empty");
  expect_error(bin("04c00002").error(), ErrorCode::decode, "/ip4 value truncated");
  expect_error(bin("0601").error(), ErrorCode::decode, "/tcp value truncated");
  expect_error(bin("8000").error(), ErrorCode::decode, "not minimally encoded");
  expect_error(bin("84").error(), ErrorCode::decode, "truncated");
  expect_error(bin("cc03").error(), ErrorCode::decode, "unsupported protocol code 460");
  expect_error(bin("3505616263").error(), ErrorCode::decode, "value of 5 bytes but 3 remain");
  expect_error(bin("3503612e2e").error(), ErrorCode::decode, "label of 0");
  expect_error(bin("350361ff62").error(), ErrorCode::decode, "contains a character");
  expect_error(bin("a503020000").error(), ErrorCode::decode, "/p2p");
}

TEST(Multiaddr, Limits) {
  // Components: kMaxMultiaddrComponents pass, one more is refused, in both forms.
  std::string text;
  for (size_t i = 0; i < kMaxMultiaddrComponents; ++i) text += "/tcp/1";
  auto at_limit = Multiaddr::parse(text);
  ASSERT_TRUE(at_limit.ok());
  expect_error(Multiaddr::parse(text + "/tcp/1").error(), ErrorCode::limit, "more than 8 components");
  Bytes bytes = at_limit->to_bytes();
  bytes.insert(bytes.end(), {0x06, 0x00, 0x01});
  expect_error(Multiaddr::from_bytes(bytes).error(), ErrorCode::limit, "more than 8 components");

  // Binary length: two 255-byte names make 516 bytes.
  const std::string name(kMaxDnsLabelLength, 'a');
  const std::string long_name = name + "." + name + "." + name + "." + name.substr(0, 63);
  ASSERT_EQ(long_name.size(), kMaxDnsNameLength);
  auto big = Multiaddr::parse("/dns/" + long_name + "/dns/" + long_name);
  expect_error(big.error(), ErrorCode::limit, "516 bytes in binary form, more than the maximum of 512");
  Bytes raw(kMaxMultiaddrLength + 1, 0x06);
  expect_error(Multiaddr::from_bytes(raw).error(), ErrorCode::limit,
               "513 bytes, more than the maximum of 512");
  expect_error(Multiaddr::parse("/" + std::string(kMaxMultiaddrTextLength, 'a')).error(), ErrorCode::limit,
               "1025 characters");
}

TEST(Multiaddr, DialTargets) {
  auto target = Multiaddr::parse("/ip4/10.0.0.1/tcp/4001/p2p/" + std::string(kPeer))->tcp_dial_target();
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(target->host_protocol, MultiaddrProtocol::ip4);
  EXPECT_EQ(target->host, "10.0.0.1");
  EXPECT_EQ(target->port, 4001);
  ASSERT_TRUE(target->peer.has_value());
  EXPECT_EQ(target->peer->to_base58(), kPeer);

  auto v6 = Multiaddr::parse("/ip6/2001:db8::1/tcp/1")->tcp_dial_target();
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_FALSE(v6->peer.has_value());
  auto dns = Multiaddr::parse("/dns4/example.com/tcp/443")->tcp_dial_target();
  ASSERT_TRUE(dns.ok());
  EXPECT_EQ(dns->host_protocol, MultiaddrProtocol::dns4);
  EXPECT_EQ(dns->host, "example.com");

  expect_error(Multiaddr::parse("/ip4/1.2.3.4/udp/1")->tcp_dial_target().error(), ErrorCode::invalid_argument,
               "the transport is /udp");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4/tcp/0")->tcp_dial_target().error(), ErrorCode::invalid_argument,
               "port 0");
  expect_error(Multiaddr::parse("/ip4/1.2.3.4")->tcp_dial_target().error(), ErrorCode::invalid_argument,
               "expected");
  expect_error(Multiaddr::parse("/tcp/1/tcp/2")->tcp_dial_target().error(), ErrorCode::invalid_argument,
               "must be a host");
  expect_error(Multiaddr::parse("/p2p/" + std::string(kPeer))->tcp_dial_target().error(),
               ErrorCode::invalid_argument, "expected");
}

TEST(Multiaddr, PeerIds) {
  auto plain = Multiaddr::parse("/ip4/1.2.3.4/tcp/1").value();
  EXPECT_FALSE(plain.peer_id().has_value());
  const PeerId peer = PeerId::parse(kPeer).value();
  auto with = plain.with_peer_id(peer);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->to_string(), "/ip4/1.2.3.4/tcp/1/p2p/" + std::string(kPeer));
  EXPECT_EQ(with->peer_id(), peer);
  expect_error(with->with_peer_id(peer).error(), ErrorCode::invalid_argument, "already names a peer");
  std::string full;
  for (size_t i = 0; i < kMaxMultiaddrComponents; ++i) full += "/tcp/1";
  expect_error(Multiaddr::parse(full)->with_peer_id(peer).error(), ErrorCode::limit,
               "more than 8 components");
}

}  // namespace
}  // namespace cairn::net
