#include "net/tcp_transport.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cairn::net {

namespace ip = boost::asio::ip;

namespace {

bool is_dns(MultiaddrProtocol protocol) {
  return protocol == MultiaddrProtocol::dns || protocol == MultiaddrProtocol::dns4 ||
         protocol == MultiaddrProtocol::dns6;
}

// Runs on `strand`, which the resolver, the timer and their handlers share.
asio::awaitable<Result<std::vector<ip::tcp::endpoint>>> resolve_on(
    Strand strand, TcpDialTarget target, std::chrono::steady_clock::duration timeout) {
  auto resolver = std::make_shared<ip::tcp::resolver>(strand);
  auto timer = std::make_shared<asio::steady_timer>(strand, timeout);
  auto timed_out = std::make_shared<bool>(false);
  timer->async_wait([resolver, timed_out](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the resolver answered first
    *timed_out = true;
    resolver->cancel();
  });
  boost::system::error_code ec;
  const std::string service = std::to_string(target.port);
  ip::tcp::resolver::results_type results;
  if (target.host_protocol == MultiaddrProtocol::dns4) {
    results = co_await resolver->async_resolve(ip::tcp::v4(), target.host, service,
                                               ip::resolver_base::numeric_service,
                                               asio::redirect_error(asio::use_awaitable, ec));
  } else if (target.host_protocol == MultiaddrProtocol::dns6) {
    results = co_await resolver->async_resolve(ip::tcp::v6(), target.host, service,
                                               ip::resolver_base::numeric_service,
                                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    results = co_await resolver->async_resolve(target.host, service, ip::resolver_base::numeric_service,
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
  timer->cancel();
  const std::string what =
      "tcp: resolving /" + std::string(protocol_name(target.host_protocol)) + "/" + target.host;
  if (*timed_out) co_return Error{ErrorCode::io, what + ": timed out"};
  if (ec == asio::error::host_not_found) co_return Error{ErrorCode::not_found, what + ": " + ec.message()};
  if (ec) co_return Error{ErrorCode::io, what + ": " + ec.message()};
  std::vector<ip::tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    const ip::tcp::endpoint endpoint = entry.endpoint();
    // The family hint is only a hint to some resolvers: enforce it.
    if (target.host_protocol == MultiaddrProtocol::dns4 && !endpoint.address().is_v4()) continue;
    if (target.host_protocol == MultiaddrProtocol::dns6 && !endpoint.address().is_v6()) continue;
    if (std::find(endpoints.begin(), endpoints.end(), endpoint) != endpoints.end()) continue;
    endpoints.push_back(endpoint);
    if (endpoints.size() == kMaxResolvedEndpoints) break;
  }
  if (endpoints.empty()) co_return Error{ErrorCode::not_found, what + ": no address of that family"};
  co_return endpoints;
}

}  // namespace

Result<ip::tcp::endpoint> tcp_endpoint(const TcpDialTarget& target) {
  if (target.host_protocol != MultiaddrProtocol::ip4 && target.host_protocol != MultiaddrProtocol::ip6) {
    return Error{ErrorCode::invalid_argument, "tcp: /" + std::string(protocol_name(target.host_protocol)) +
                                                  " is not a literal address: resolve it with resolve_tcp()"};
  }
  boost::system::error_code ec;
  const ip::address address = ip::make_address(target.host, ec);
  if (ec) return Error{ErrorCode::invalid_argument, "tcp: bad address " + target.host};
  return ip::tcp::endpoint(address, target.port);
}

asio::awaitable<Result<std::vector<ip::tcp::endpoint>>> resolve_tcp(
    asio::io_context& io, TcpDialTarget target, std::chrono::steady_clock::duration timeout) {
  if (!is_dns(target.host_protocol)) {
    CAIRN_CO_TRY(ip::tcp::endpoint endpoint, tcp_endpoint(target));
    co_return std::vector<ip::tcp::endpoint>{endpoint};
  }
  Strand strand = asio::make_strand(io);
  co_return co_await run_on(strand, resolve_on(strand, std::move(target), timeout));
}

Result<ip::tcp::endpoint> tcp_listen_endpoint(const Multiaddr& address) {
  const auto& parts = address.components();
  const bool shape_ok =
      parts.size() == 2 &&
      (parts[0].protocol == MultiaddrProtocol::ip4 || parts[0].protocol == MultiaddrProtocol::ip6) &&
      parts[1].protocol == MultiaddrProtocol::tcp;
  if (!shape_ok) {
    return Error{ErrorCode::invalid_argument,
                 "tcp: listen address must be /ip4|ip6/<addr>/tcp/<port>, not " + address.to_string()};
  }
  const Bytes& host = parts[0].value;
  ip::address ip_address;
  if (parts[0].protocol == MultiaddrProtocol::ip4) {
    ip::address_v4::bytes_type bytes{};
    std::copy(host.begin(), host.end(), bytes.begin());
    ip_address = ip::address_v4(bytes);
  } else {
    ip::address_v6::bytes_type bytes{};
    std::copy(host.begin(), host.end(), bytes.begin());
    ip_address = ip::address_v6(bytes);
  }
  const Bytes& port = parts[1].value;  // 2 bytes, big-endian (multiaddr.h)
  return ip::tcp::endpoint(ip_address, static_cast<uint16_t>((port[0] << 8) | port[1]));
}

bool is_public_address(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return is_public_address(ip::make_address_v4(ip::v4_mapped, address.to_v6()));
  }
  if (address.is_unspecified() || address.is_loopback() || address.is_multicast()) return false;
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    const bool special = b[0] == 0 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
                         (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
                         (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 240;
    return !special;
  }
  const auto b = address.to_v6().to_bytes();
  const bool unique_local = (b[0] & 0xfe) == 0xfc;
  const bool link_local = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  return !unique_local && !link_local;
}

std::optional<ip::address> multiaddr_ip(const Multiaddr& address) {
  const auto& parts = address.components();
  if (parts.empty()) return std::nullopt;
  const Bytes& host = parts[0].value;
  if (parts[0].protocol == MultiaddrProtocol::ip4 && host.size() == 4) {
    ip::address_v4::bytes_type bytes{};
    std::copy(host.begin(), host.end(), bytes.begin());
    return ip::address(ip::address_v4(bytes));
  }
  if (parts[0].protocol == MultiaddrProtocol::ip6 && host.size() == 16) {
    ip::address_v6::bytes_type bytes{};
    std::copy(host.begin(), host.end(), bytes.begin());
    return ip::address(ip::address_v6(bytes));
  }
  return std::nullopt;
}

Multiaddr tcp_multiaddr(const ip::tcp::endpoint& endpoint) {
  ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  const std::string text = std::string(address.is_v4() ? "/ip4/" : "/ip6/") + address.to_string() + "/tcp/" +
                           std::to_string(endpoint.port());
  auto parsed = Multiaddr::parse(text);
  assert(parsed.ok());  // Asio prints canonical addresses, which the parser accepts
  return std::move(parsed).value();
}

}  // namespace cairn::net
