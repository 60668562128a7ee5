// Multiaddrs (the multiformats/multiaddr specification): self-describing network addresses, such as
// /ip4/192.0.2.42/tcp/443/p2p/12D3KooW... .
//
//   text    (/<protocol name>/<value>)+
//   binary  (<uvarint protocol code><value>)+ ; fixed-size values raw, variable-size values
//           as a uvarint length and the bytes
//
//   name   code  value (binary)            value (text)
//   ip4    4     4 bytes                   dotted quad, no leading zeros
//   tcp    6     2 bytes big-endian        decimal port 0..65535, no leading zeros
//   ip6    41    16 bytes                  RFC 4291 on input, RFC 5952 canonical on output
//   dns    53    length-prefixed name      letters, digits, '-', '_', dot-separated labels
//   dns4   54      "                        of 1..63 characters, at most 255 in all,
//   dns6   55      "                        optionally one trailing '.'
//   udp    273   2 bytes big-endian        as tcp
//   p2p    421   length-prefixed multihash a peer id (net/identity.h); /ipfs is read as
//                                          /p2p, peer ids print in base58btc
//
// Other protocols are errors that name them. Parsing is strict so that each address has
// one text and one binary form: text -> binary -> text gives the canonical text back.
// Immutable value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/identity.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

// Limits on addresses from peers and users. The longest useful address Cairn handles
// (/dns/<255-byte name>/tcp/<port>/p2p/<id>) is about 310 bytes.
inline constexpr size_t kMaxMultiaddrLength = 512;       // binary form, bytes
inline constexpr size_t kMaxMultiaddrTextLength = 1024;  // text form, characters
inline constexpr size_t kMaxMultiaddrComponents = 8;
inline constexpr size_t kMaxDnsNameLength = 255;
inline constexpr size_t kMaxDnsLabelLength = 63;

// DO NOT CHANGE THESE VALUES: the multiaddr protocol table (protocols.csv).
enum class MultiaddrProtocol : uint32_t {
  ip4 = 4,
  tcp = 6,
  ip6 = 41,
  dns = 53,
  dns4 = 54,
  dns6 = 55,
  udp = 273,
  p2p = 421,
};

std::string_view protocol_name(MultiaddrProtocol protocol);

struct MultiaddrComponent {
  MultiaddrProtocol protocol;
  Bytes value;  // the binary value, without a length prefix
  bool operator==(const MultiaddrComponent&) const = default;
};

// What a TCP transport needs to dial: /<ip4|ip6|dns|dns4|dns6>/<host>/tcp/<port>[/p2p/<id>].
struct TcpDialTarget {
  MultiaddrProtocol host_protocol;  // ip4 and ip6 need no resolution; dns4/dns6 restrict it
  std::string host;                 // an address in canonical text, or a DNS name
  uint16_t port;
  std::optional<PeerId> peer;
};

class Multiaddr {
 public:
  static Result<Multiaddr> parse(std::string_view text);
  static Result<Multiaddr> from_bytes(ByteSpan bytes);

  std::string to_string() const;
  Bytes to_bytes() const;
  const std::vector<MultiaddrComponent>& components() const { return components_; }

  // The peer id of the last component, if it is /p2p.
  std::optional<PeerId> peer_id() const;
  // This address followed by /p2p/<peer>. Errors if it already ends in /p2p or the result
  // would exceed a limit.
  Result<Multiaddr> with_peer_id(const PeerId& peer) const;
  // The host, port and optional peer of a TCP address; an Error explains why any other
  // shape (UDP, a bare IP, two hosts...) cannot be dialled over TCP.
  Result<TcpDialTarget> tcp_dial_target() const;

  bool operator==(const Multiaddr&) const = default;

 private:
  explicit Multiaddr(std::vector<MultiaddrComponent> components) : components_(std::move(components)) {}
  std::vector<MultiaddrComponent> components_;  // 1..kMaxMultiaddrComponents, each valid
};

}  // namespace cairn::net
