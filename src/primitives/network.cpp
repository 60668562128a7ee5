#include "primitives/network.h"

#include <array>
#include <cassert>

namespace cairn {
namespace {

struct NetworkInfo {
  Network net;
  std::string_view name;
  std::string_view hrp;
};

// Indexed by the enum value; network_name() and address_hrp() rely on that order.
constexpr std::array<NetworkInfo, 3> kNetworks{{
    {Network::mainnet, "mainnet", "cairn"},
    {Network::testnet, "testnet", "tcairn"},
    {Network::regtest, "regtest", "rcairn"},
}};

const NetworkInfo& info(Network net) {
  const auto i = static_cast<size_t>(net);
  assert(i < kNetworks.size() && kNetworks[i].net == net);
  return kNetworks[i];
}

}  // namespace

std::string_view network_name(Network net) { return info(net).name; }

std::optional<Network> network_from_name(std::string_view name) {
  for (const auto& n : kNetworks) {
    if (n.name == name) return n.net;
  }
  return std::nullopt;
}

std::string_view address_hrp(Network net) { return info(net).hrp; }

}  // namespace cairn
