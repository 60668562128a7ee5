#include "net/multiaddr.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <arpa/inet.h>

#include "net/multiformats.h"

namespace cairn::net {
namespace {

constexpr size_t kVariableSize = 0;

struct ProtocolInfo {
  MultiaddrProtocol protocol;
  std::string_view name;
  size_t size;  // value bytes, or kVariableSize for a length-prefixed value
};

constexpr std::array<ProtocolInfo, 8> kProtocols{{
    {MultiaddrProtocol::ip4, "ip4", 4},
    {MultiaddrProtocol::tcp, "tcp", 2},
    {MultiaddrProtocol::ip6, "ip6", 16},
    {MultiaddrProtocol::dns, "dns", kVariableSize},
    {MultiaddrProtocol::dns4, "dns4", kVariableSize},
    {MultiaddrProtocol::dns6, "dns6", kVariableSize},
    {MultiaddrProtocol::udp, "udp", 2},
    {MultiaddrProtocol::p2p, "p2p", kVariableSize},
}};

const ProtocolInfo& info(MultiaddrProtocol protocol) {
  // Cannot fail: every enumerator is in the table.
  return *std::find_if(kProtocols.begin(), kProtocols.end(),
                       [&](const ProtocolInfo& p) { return p.protocol == protocol; });
}

const ProtocolInfo* find_by_code(uint64_t code) {
  auto it = std::find_if(kProtocols.begin(), kProtocols.end(),
                         [&](const ProtocolInfo& p) { return static_cast<uint64_t>(p.protocol) == code; });
  return it == kProtocols.end() ? nullptr : &*it;
}

const ProtocolInfo* find_by_name(std::string_view name) {
  // The old name of /p2p, still written by some software; Cairn prints /p2p.
  if (name == "ipfs") name = "p2p";
  auto it = std::find_if(kProtocols.begin(), kProtocols.end(),
                         [&](const ProtocolInfo& p) { return p.name == name; });
  return it == kProtocols.end() ? nullptr : &*it;
}

Error error(const std::string& message) { return Error{ErrorCode::decode, "multiaddr: " + message}; }
Error limit_error(const std::string& message) { return Error{ErrorCode::limit, "multiaddr: " + message}; }

// For error messages: at most 64 characters of untrusted text, non-printable bytes as '?'.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (text.size() > 64 ? "...\"" : "\"");
}

Status check_dns_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDnsNameLength) {
    return error("DNS name of " + std::to_string(name.size()) + " bytes; it must have 1 to " +
                 std::to_string(kMaxDnsNameLength));
  }
  // One trailing dot marks a fully qualified name; it is not an empty label.
  std::string_view rest = name.ends_with('.') ? name.substr(0, name.size() - 1) : name;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > kMaxDnsLabelLength) {
      return error("DNS name " + quote(name) + " has a label of " + std::to_string(label.size()) +
                   " characters; labels have 1 to " + std::to_string(kMaxDnsLabelLength));
    }
    for (char c : label) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok)
        return error("DNS name " + quote(name) +
                     " contains a character other than letters, digits, '-' and '_'");
    }
    if (dot == std::string_view::npos) return {};
    rest = rest.substr(dot + 1);
  }
}

Result<Bytes> parse_ip(int family, std::string_view text, std::string_view allowed) {
  // inet_pton reads a C string: anything outside the address alphabet (a NUL in
  // particular) is refused first, so what it parses is exactly `text`.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN ||
      text.find_first_not_of(allowed) != std::string_view::npos) {
    return error("invalid " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address " + quote(text));
  }
  Bytes out(family == AF_INET ? 4 : 16);
  if (inet_pton(family, std::string(text).c_str(), out.data()) != 1) {
    return error("invalid " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address " + quote(text));
  }
  return out;
}

Result<Bytes> parse_port(std::string_view text) {
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  // Only plain decimal without leading zeros, so each port has one spelling.
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      (text.size() > 1 && text[0] == '0') || text[0] == '+' || text[0] == '-') {
    return error("invalid port " + quote(text) + " (a decimal number from 0 to 65535)");
  }
  return Bytes{static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
}

uint16_t port_of(const Bytes& value) { return static_cast<uint16_t>((value[0] << 8) | value[1]); }

std::string format_ip4(ByteSpan b) {
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
         std::to_string(b[3]);
}

// RFC 5952 section 4: lower-case hex without leading zeros, "::" for the longest run of two
// or more zero groups (the first of equal runs), and section 5's dotted quad for
// IPv4-mapped addresses.
std::string format_ip6(ByteSpan b) {
  std::array<uint16_t, 8> groups{};
  for (size_t i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>((b[2 * i] << 8) | b[2 * i + 1]);
  if (std::all_of(groups.begin(), groups.begin() + 5, [](uint16_t g) { return g == 0; }) &&
      groups[5] == 0xffff) {
    return "::ffff:" + format_ip4(b.subspan(12));
  }
  size_t best_start = 8, best_len = 0;
  for (size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = 8;

  std::string out;
  for (size_t i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && !out.ends_with(':')) out += ':';
    std::array<char, 4> digits{};
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), groups[i], 16);
    out.append(digits.data(), end);
  }
  return out;
}

Result<Bytes> value_from_text(const ProtocolInfo& p, std::string_view text) {
  switch (p.protocol) {
    case MultiaddrProtocol::ip4:
      return parse_ip(AF_INET, text, "0123456789.");
    case MultiaddrProtocol::ip6:
      return parse_ip(AF_INET6, text, "0123456789abcdefABCDEF:.");
    case MultiaddrProtocol::tcp:
    case MultiaddrProtocol::udp:
      return parse_port(text);
    case MultiaddrProtocol::dns:
    case MultiaddrProtocol::dns4:
    case MultiaddrProtocol::dns6: {
      CAIRN_TRY_STATUS(check_dns_name(text));
      return Bytes(text.begin(), text.end());
    }
    case MultiaddrProtocol::p2p: {
      auto peer = PeerId::parse(text);
      if (!peer) return Error{peer.error().code, "multiaddr: /p2p: " + peer.error().message};
      return peer->multihash();
    }
  }
  return error("unreachable");
}

// Checks a variable-size binary value (fixed-size ones are valid whatever their bytes).
Status check_binary_value(const ProtocolInfo& p, ByteSpan value) {
  if (p.protocol == MultiaddrProtocol::p2p) {
    auto peer = PeerId::from_multihash(value);
    if (!peer) return Error{peer.error().code, "multiaddr: /p2p: " + peer.error().message};
    return {};
  }
  return check_dns_name(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

std::string value_to_text(const MultiaddrComponent& c) {
  switch (c.protocol) {
    case MultiaddrProtocol::ip4:
      return format_ip4(c.value);
    case MultiaddrProtocol::ip6:
      return format_ip6(c.value);
    case MultiaddrProtocol::tcp:
    case MultiaddrProtocol::udp:
      return std::to_string(port_of(c.value));
    case MultiaddrProtocol::dns:
    case MultiaddrProtocol::dns4:
    case MultiaddrProtocol::dns6:
      return std::string(c.value.begin(), c.value.end());
    // Cannot fail: components are validated when built.
    case MultiaddrProtocol::p2p:
      return PeerId::from_multihash(c.value).value().to_base58();
  }
  return {};
}

size_t encoded_size(const MultiaddrComponent& c) {
  const size_t prefix = info(c.protocol).size == kVariableSize ? uvarint_size(c.value.size()) : 0;
  return uvarint_size(static_cast<uint64_t>(c.protocol)) + prefix + c.value.size();
}

Status check_limits(const std::vector<MultiaddrComponent>& components) {
  if (components.size() > kMaxMultiaddrComponents) {
    return limit_error("more than " + std::to_string(kMaxMultiaddrComponents) + " components");
  }
  size_t total = 0;
  for (const auto& c : components) total += encoded_size(c);
  if (total > kMaxMultiaddrLength) {
    return limit_error(std::to_string(total) + " bytes in binary form, more than the maximum of " +
                       std::to_string(kMaxMultiaddrLength));
  }
  return {};
}

}  // namespace

std::string_view protocol_name(MultiaddrProtocol protocol) { return info(protocol).name; }

Result<Multiaddr> Multiaddr::parse(std::string_view text) {
  if (text.size() > kMaxMultiaddrTextLength) {
    return limit_error(std::to_string(text.size()) + " characters, more than the maximum of " +
                       std::to_string(kMaxMultiaddrTextLength));
  }
  if (text.empty() || text[0] != '/') return error(quote(text) + " does not start with '/'");
  // The '/'-separated tokens after the leading '/', one at a time; an empty token ("//",
  // a trailing '/') is returned as such and refused below.
  size_t pos = 1;
  auto next_token = [&text, &pos]() -> std::optional<std::string_view> {
    if (pos > text.size()) return std::nullopt;
    const size_t slash = std::min(text.find('/', pos), text.size());
    const std::string_view token = text.substr(pos, slash - pos);
    pos = slash + 1;
    return token;
  };
  std::vector<MultiaddrComponent> components;
  while (auto name = next_token()) {
    if (name->empty()) return error(quote(text) + " has an empty component (\"//\" or a trailing '/')");
    const ProtocolInfo* p = find_by_name(*name);
    if (!p) return error("unsupported protocol " + quote(*name));
    const auto value = next_token();
    if (!value || value->empty()) return error("/" + std::string(p->name) + " needs a value");
    if (components.size() == kMaxMultiaddrComponents) {
      return limit_error("more than " + std::to_string(kMaxMultiaddrComponents) + " components");
    }
    CAIRN_TRY(Bytes bytes, value_from_text(*p, *value));
    components.push_back({p->protocol, std::move(bytes)});
  }
  CAIRN_TRY_STATUS(check_limits(components));
  return Multiaddr(std::move(components));
}

Result<Multiaddr> Multiaddr::from_bytes(ByteSpan bytes) {
  if (bytes.size() > kMaxMultiaddrLength) {
    return limit_error(std::to_string(bytes.size()) + " bytes, more than the maximum of " +
                       std::to_string(kMaxMultiaddrLength));
  }
  if (bytes.empty()) return error("empty");
  std::vector<MultiaddrComponent> components;
  while (!bytes.empty()) {
    if (components.size() == kMaxMultiaddrComponents) {
      return limit_error("more than " + std::to_string(kMaxMultiaddrComponents) + " components");
    }
    auto code = read_uvarint(bytes);
    if (!code) return error("protocol code: " + code.error().message);
    const ProtocolInfo* p = find_by_code(code->value);
    if (!p) return error("unsupported protocol code " + std::to_string(code->value));
    bytes = bytes.subspan(code->size);
    size_t size = p->size;
    if (size == kVariableSize) {
      auto length = read_uvarint(bytes);
      if (!length) return error("/" + std::string(p->name) + " length: " + length.error().message);
      bytes = bytes.subspan(length->size);
      if (length->value > bytes.size()) {
        return error("/" + std::string(p->name) + " value of " + std::to_string(length->value) +
                     " bytes but " + std::to_string(bytes.size()) + " remain");
      }
      size = static_cast<size_t>(length->value);
    } else if (size > bytes.size()) {
      return error("/" + std::string(p->name) + " value truncated (need " + std::to_string(size) +
                   " bytes, " + std::to_string(bytes.size()) + " remain)");
    }
    const ByteSpan value = bytes.first(size);
    if (p->size == kVariableSize) CAIRN_TRY_STATUS(check_binary_value(*p, value));
    components.push_back({p->protocol, Bytes(value.begin(), value.end())});
    bytes = bytes.subspan(size);
  }
  return Multiaddr(std::move(components));
}

std::string Multiaddr::to_string() const {
  std::string out;
  for (const auto& c : components_) {
    out += '/';
    out += protocol_name(c.protocol);
    out += '/';
    out += value_to_text(c);
  }
  return out;
}

Bytes Multiaddr::to_bytes() const {
  Bytes out;
  for (const auto& c : components_) {
    append_uvarint(out, static_cast<uint64_t>(c.protocol));
    if (info(c.protocol).size == kVariableSize) append_uvarint(out, c.value.size());
    out.insert(out.end(), c.value.begin(), c.value.end());
  }
  return out;
}

std::optional<PeerId> Multiaddr::peer_id() const {
  if (components_.back().protocol != MultiaddrProtocol::p2p) return std::nullopt;
  // Cannot fail: components are validated when built.
  return PeerId::from_multihash(components_.back().value).value();
}

Result<Multiaddr> Multiaddr::with_peer_id(const PeerId& peer) const {
  if (peer_id())
    return Error{ErrorCode::invalid_argument, "multiaddr: " + to_string() + " already names a peer"};
  std::vector<MultiaddrComponent> components = components_;
  components.push_back({MultiaddrProtocol::p2p, peer.multihash()});
  CAIRN_TRY_STATUS(check_limits(components));
  return Multiaddr(std::move(components));
}

Result<TcpDialTarget> Multiaddr::tcp_dial_target() const {
  auto fail = [this](const std::string& why) {
    return Error{ErrorCode::invalid_argument, "multiaddr: cannot dial " + to_string() + " over TCP: " + why};
  };
  const size_t n = components_.size() - (peer_id() ? 1 : 0);
  if (n != 2) return fail("expected /<ip4|ip6|dns|dns4|dns6>/<host>/tcp/<port>[/p2p/<peer id>]");
  const MultiaddrComponent& host = components_[0];
  const MultiaddrComponent& transport = components_[1];
  if (host.protocol == MultiaddrProtocol::tcp || host.protocol == MultiaddrProtocol::udp ||
      host.protocol == MultiaddrProtocol::p2p) {
    return fail("the first component must be a host");
  }
  if (transport.protocol != MultiaddrProtocol::tcp) {
    return fail("the transport is /" + std::string(protocol_name(transport.protocol)) + ", not /tcp");
  }
  const uint16_t port = port_of(transport.value);
  if (port == 0) return fail("port 0 is only for listening");
  return TcpDialTarget{host.protocol, value_to_text(host), port, peer_id()};
}

}  // namespace cairn::net
