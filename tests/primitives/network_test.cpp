#include "primitives/network.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(Network, NamesAndPrefixesRoundTrip) {
  EXPECT_EQ(network_name(Network::mainnet), "mainnet");
  EXPECT_EQ(network_name(Network::testnet), "testnet");
  EXPECT_EQ(network_name(Network::regtest), "regtest");
  EXPECT_EQ(address_hrp(Network::mainnet), "cairn");
  EXPECT_EQ(address_hrp(Network::testnet), "tcairn");
  EXPECT_EQ(address_hrp(Network::regtest), "rcairn");
  for (Network net : kAllNetworks) EXPECT_EQ(network_from_name(network_name(net)), net);
}

TEST(Network, UnknownNamesAreRefused) {
  EXPECT_EQ(network_from_name("Mainnet"), std::nullopt);
  EXPECT_EQ(network_from_name(""), std::nullopt);
  EXPECT_EQ(network_from_name("signet"), std::nullopt);
}

}  // namespace
}  // namespace cairn
