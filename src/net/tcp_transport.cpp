#include "net/tcp_transport.h"

#include <cassert>
#include <string>

namespace cairn::net {

namespace ip = boost::asio::ip;

Result<ip::tcp::endpoint> tcp_endpoint(const TcpDialTarget& target) {
  if (target.host_protocol != MultiaddrProtocol::ip4 && target.host_protocol != MultiaddrProtocol::ip6) {
    return Error{ErrorCode::invalid_argument, "tcp: cannot dial /" +
                                                  std::string(protocol_name(target.host_protocol)) +
                                                  " addresses: name resolution is not supported yet"};
  }
  boost::system::error_code ec;
  const ip::address address = ip::make_address(target.host, ec);
  if (ec) return Error{ErrorCode::invalid_argument, "tcp: bad address " + target.host};
  return ip::tcp::endpoint(address, target.port);
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
