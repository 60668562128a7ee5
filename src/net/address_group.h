// Address groups: the unit of network diversity and of bans (DESIGN.md "Network"). Peers
// in one group are assumed to be one operator, so outbound connections go to distinct
// groups and a ban covers the whole group (a new key is free; a new /16 is not).
//
//   public IPv4                    its /16          "203.0.0.0/16" (for 203.0.113.7)
//   public IPv6                    its /32          "2001:db8::/32"
//   IPv4-mapped IPv6 (::ffff:a.b.c.d)  as the IPv4 address
//   loopback, private, link-local  the address itself ("127.0.0.2/32", "fd00::1/128")
//   DNS multiaddr                  the name, lower case, no trailing dot  "dns:seed.example.org"
//
// Loopback and private addresses (10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, ::1,
// fc00::/7, fe80::/10) are their own groups so that a local test network on 127.0.0.x or a
// LAN behaves like distinct operators; on the public internet no peer reaches us from them.
// Groups are text so that they can be shown (listbanned) and persisted as they are.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/ip/address.hpp>

#include "net/multiaddr.h"

namespace cairn::net {

// Prefix lengths of a public address's group.
inline constexpr int kIpv4GroupBits = 16;
inline constexpr int kIpv6GroupBits = 32;

std::string address_group(const boost::asio::ip::address& address);

// The group of a multiaddr's first /ip4, /ip6 or /dns* component; nullopt when it names no
// host (e.g. /p2p/<id> alone).
std::optional<std::string> address_group(const Multiaddr& address);

// True for the loopback, private and link-local ranges listed above (IPv4-mapped included).
bool is_local_address(const boost::asio::ip::address& address);

}  // namespace cairn::net
