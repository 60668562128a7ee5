#include "net/address_group.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace cairn::net {

namespace {

static_assert(kIpv4GroupBits % 8 == 0 && kIpv4GroupBits <= 32, "whole bytes of an IPv4 address");
static_assert(kIpv6GroupBits % 8 == 0 && kIpv6GroupBits <= 128, "whole bytes of an IPv6 address");

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

bool is_local_v4(const address_v4& a) {
  const auto b = a.to_bytes();
  return b[0] == 10 ||                            // 10/8
         b[0] == 127 ||                           // 127/8 loopback
         (b[0] == 172 && (b[1] & 0xf0) == 16) ||  // 172.16/12
         (b[0] == 192 && b[1] == 168) ||          // 192.168/16
         (b[0] == 169 && b[1] == 254);            // 169.254/16 link-local
}

bool is_local_v6(const address_v6& a) {
  const auto b = a.to_bytes();
  return a.is_loopback() ||                        // ::1
         (b[0] & 0xfe) == 0xfc ||                  // fc00::/7 unique local
         (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);  // fe80::/10 link-local
}

std::string group_v4(const address_v4& a) {
  if (is_local_v4(a)) return a.to_string() + "/32";
  auto b = a.to_bytes();
  std::fill(b.begin() + kIpv4GroupBits / 8, b.end(), uint8_t{0});
  return address_v4(b).to_string() + "/16";
}

std::string group_v6(const address_v6& a) {
  if (a.is_v4_mapped()) return group_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a));
  if (is_local_v6(a)) return address_v6(a.to_bytes()).to_string() + "/128";  // without a scope id
  auto b = a.to_bytes();
  std::fill(b.begin() + kIpv6GroupBits / 8, b.end(), uint8_t{0});
  return address_v6(b).to_string() + "/32";
}

}  // namespace

bool is_local_address(const address& a) {
  if (a.is_v4()) return is_local_v4(a.to_v4());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return is_local_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  return is_local_v6(v6);
}

std::string address_group(const address& a) { return a.is_v4() ? group_v4(a.to_v4()) : group_v6(a.to_v6()); }

std::optional<std::string> address_group(const Multiaddr& multiaddr) {
  for (const auto& c : multiaddr.components()) {
    switch (c.protocol) {
      case MultiaddrProtocol::ip4: {
        address_v4::bytes_type b{};
        if (c.value.size() != b.size()) return std::nullopt;  // Multiaddr validates; belt and braces
        std::copy(c.value.begin(), c.value.end(), b.begin());
        return group_v4(address_v4(b));
      }
      case MultiaddrProtocol::ip6: {
        address_v6::bytes_type b{};
        if (c.value.size() != b.size()) return std::nullopt;
        std::copy(c.value.begin(), c.value.end(), b.begin());
        return group_v6(address_v6(b));
      }
      case MultiaddrProtocol::dns:
      case MultiaddrProtocol::dns4:
      case MultiaddrProtocol::dns6: {
        // DNS names are case-insensitive, and one name is one operator whatever it resolves to.
        std::string group = "dns:";
        for (uint8_t ch : c.value)
          group.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch));
        if (group.size() > 4 && group.back() == '.') group.pop_back();
        return group;
      }
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace cairn::net
