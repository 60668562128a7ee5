// The networks Cairn runs and the names and prefixes that keep them apart.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn {

// DO NOT CHANGE THESE VALUES: they are stored and sent.
enum class Network : uint8_t { mainnet = 0, testnet = 1, regtest = 2 };
inline constexpr std::array<Network, 3> kAllNetworks{Network::mainnet, Network::testnet, Network::regtest};

std::string_view network_name(Network net);  // "mainnet", ...
std::optional<Network> network_from_name(std::string_view name);
// Bech32m human-readable part of addresses: "cairn", "tcairn", "rcairn".
std::string_view address_hrp(Network net);

}  // namespace cairn
