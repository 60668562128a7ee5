#include "net/address_group.h"

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

std::string group(const char* ip) { return address_group(boost::asio::ip::make_address(ip)); }

std::optional<std::string> group_of(const char* multiaddr) {
  auto address = Multiaddr::parse(multiaddr);
  EXPECT_TRUE(address.ok()) << multiaddr;
  return address_group(*address);
}

TEST(AddressGroup, PublicIpv4IsItsSlash16) {
  EXPECT_EQ(group("203.0.113.7"), "203.0.0.0/16");
  EXPECT_EQ(group("203.0.255.255"), group("203.0.0.1"));
  EXPECT_NE(group("203.0.0.1"), group("203.1.0.1"));  // the boundary: the second byte counts
}

TEST(AddressGroup, PublicIpv6IsItsSlash32) {
  EXPECT_EQ(group("2001:db8:1:2::3"), "2001:db8::/32");
  EXPECT_EQ(group("2001:db8:ffff::1"), group("2001:db8::1"));
  EXPECT_NE(group("2001:db8::1"), group("2001:db9::1"));
}

TEST(AddressGroup, Ipv4MappedIpv6IsTheIpv4Group) {
  EXPECT_EQ(group("::ffff:203.0.113.7"), "203.0.0.0/16");
  EXPECT_EQ(group("::ffff:127.0.0.2"), "127.0.0.2/32");
}

TEST(AddressGroup, LocalAddressesAreTheirOwnGroups) {
  EXPECT_EQ(group("127.0.0.1"), "127.0.0.1/32");
  EXPECT_NE(group("127.0.0.1"), group("127.0.0.2"));  // a local test network has distinct groups
  EXPECT_EQ(group("10.1.2.3"), "10.1.2.3/32");
  EXPECT_EQ(group("192.168.1.1"), "192.168.1.1/32");
  EXPECT_EQ(group("169.254.0.9"), "169.254.0.9/32");
  EXPECT_EQ(group("::1"), "::1/128");
  EXPECT_EQ(group("fd00::1"), "fd00::1/128");
  EXPECT_EQ(group("fe80::1"), "fe80::1/128");
}

TEST(AddressGroup, PrivateRangeBoundaries) {
  EXPECT_TRUE(is_local_address(boost::asio::ip::make_address("172.16.0.1")));
  EXPECT_TRUE(is_local_address(boost::asio::ip::make_address("172.31.255.255")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("172.32.0.1")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("172.15.255.255")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("11.0.0.1")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("192.169.0.1")));
  EXPECT_TRUE(is_local_address(boost::asio::ip::make_address("fc00::1")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("fe00::1")));
  EXPECT_FALSE(is_local_address(boost::asio::ip::make_address("2001:db8::1")));
  EXPECT_TRUE(is_local_address(boost::asio::ip::make_address("::ffff:10.0.0.1")));
  EXPECT_EQ(group("172.32.0.1"), "172.32.0.0/16");
}

TEST(AddressGroup, FromMultiaddr) {
  EXPECT_EQ(group_of("/ip4/203.0.113.7/tcp/9000"), "203.0.0.0/16");
  EXPECT_EQ(group_of("/ip6/2001:db8::1/tcp/9000"), "2001:db8::/32");
  EXPECT_EQ(group_of("/ip4/127.0.0.3/tcp/1"), "127.0.0.3/32");
  EXPECT_EQ(group_of("/dns4/Seed.Example.org./tcp/9000"), "dns:seed.example.org");
  EXPECT_EQ(group_of("/dns/seed.example.org/tcp/9000"), group_of("/dns6/SEED.example.org/tcp/1"));
  EXPECT_EQ(group_of("/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"), std::nullopt);
}

}  // namespace
}  // namespace cairn::net
