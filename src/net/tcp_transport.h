// TCP addresses as libp2p writes them: conversions between multiaddrs and Asio endpoints.
// Pure functions, thread-safe.
#pragma once

#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/ip/tcp.hpp>

#include "net/multiaddr.h"
#include "util/result.h"

namespace cairn::net {

// The endpoint of a dial target. Only literal addresses (/ip4, /ip6) are dialled: name
// resolution is not done here yet, so /dns* targets are an Error that says so.
Result<boost::asio::ip::tcp::endpoint> tcp_endpoint(const TcpDialTarget& target);
// The endpoint of a listen address: exactly /ip4/<addr>/tcp/<port> or /ip6/<addr>/tcp/<port>,
// where port 0 asks the system for a free port.
Result<boost::asio::ip::tcp::endpoint> tcp_listen_endpoint(const Multiaddr& address);
// /ip4/<addr>/tcp/<port> (or /ip6); an IPv4-mapped IPv6 address is written as /ip4.
Multiaddr tcp_multiaddr(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace cairn::net
