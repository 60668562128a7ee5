// TCP addresses as libp2p writes them: conversions between multiaddrs and Asio endpoints, and
// the name resolution of /dns, /dns4 and /dns6 dial targets.
// The conversions are pure functions; resolve_tcp() may be awaited from any executor.
#pragma once

#include <chrono>
#include <optional>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "net/coro.h"
#include "net/multiaddr.h"
#include "util/result.h"

namespace cairn::net {

// How long resolving one /dns* name may take before the dial fails.
inline constexpr std::chrono::steady_clock::duration kDefaultResolveTimeout = std::chrono::seconds(5);
// Resolved endpoints a dial tries at most, in the resolver's order.
inline constexpr size_t kMaxResolvedEndpoints = 8;

// The endpoint of a literal dial target (/ip4, /ip6). A /dns* target is an Error: those go
// through resolve_tcp().
Result<boost::asio::ip::tcp::endpoint> tcp_endpoint(const TcpDialTarget& target);
// The endpoints to try for `target`, in order: a literal address is its one endpoint; a
// /dns name is resolved with Asio's resolver (system resolver, run on Asio's resolver
// thread), /dns4 keeping IPv4 results only, /dns6 IPv6 only, /dns both; at most
// kMaxResolvedEndpoints. Fails if the name does not resolve (to that family) within
// `timeout`.
asio::awaitable<Result<std::vector<boost::asio::ip::tcp::endpoint>>> resolve_tcp(
    asio::io_context& io, TcpDialTarget target,
    std::chrono::steady_clock::duration timeout = kDefaultResolveTimeout);
// The endpoint of a listen address: exactly /ip4/<addr>/tcp/<port> or /ip6/<addr>/tcp/<port>,
// where port 0 asks the system for a free port.
Result<boost::asio::ip::tcp::endpoint> tcp_listen_endpoint(const Multiaddr& address);
// Whether `address` may be reachable from the Internet: not loopback, unspecified,
// multicast, private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10),
// link-local (169.254/16, fe80::/10) or in 0/8. IPv4-mapped IPv6 is judged as IPv4.
bool is_public_address(const boost::asio::ip::address& address);
// The IP of a /ip4|ip6/<addr>/... multiaddr, if it starts so.
std::optional<boost::asio::ip::address> multiaddr_ip(const Multiaddr& address);
// /ip4/<addr>/tcp/<port> (or /ip6); an IPv4-mapped IPv6 address is written as /ip4.
Multiaddr tcp_multiaddr(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace cairn::net
