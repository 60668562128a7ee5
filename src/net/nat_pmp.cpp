#include "net/nat_pmp.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace cairn::net {

namespace {

void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
uint16_t get_u16(ByteSpan in, size_t at) { return static_cast<uint16_t>((in[at] << 8) | in[at + 1]); }
uint32_t get_u32(ByteSpan in, size_t at) {
  return (uint32_t{in[at]} << 24) | (uint32_t{in[at + 1]} << 16) | (uint32_t{in[at + 2]} << 8) |
         uint32_t{in[at + 3]};
}
// ::ffff:a.b.c.d (RFC 6887 §5: IPv4 addresses are carried as IPv4-mapped IPv6 addresses).
void put_mapped(Bytes& out, const Ipv4Bytes& address) {
  for (int i = 0; i < 10; ++i) out.push_back(0);
  out.push_back(0xff);
  out.push_back(0xff);
  for (uint8_t b : address) out.push_back(b);
}
Error decode_error(std::string message) { return Error(ErrorCode::decode, std::move(message)); }

}  // namespace

std::string_view to_string(NatProtocol protocol) { return protocol == NatProtocol::pcp ? "PCP" : "NAT-PMP"; }

std::string natpmp_result_message(uint16_t code) {
  // RFC 6886 §3.5.
  static constexpr std::array<std::string_view, 6> kMessages = {
      "success",         "unsupported version", "not authorized/refused",
      "network failure", "out of resources",    "unsupported opcode"};
  const std::string text = code < kMessages.size() ? std::string(kMessages[code]) : "unknown result code";
  return std::to_string(code) + " (" + text + ")";
}

std::string pcp_result_message(uint8_t code) {
  // RFC 6887 §7.4.
  static constexpr std::array<std::string_view, 14> kMessages = {
      "SUCCESS",          "UNSUPP_VERSION",        "NOT_AUTHORIZED",   "MALFORMED_REQUEST",
      "UNSUPP_OPCODE",    "UNSUPP_OPTION",         "MALFORMED_OPTION", "NETWORK_FAILURE",
      "NO_RESOURCES",     "UNSUPP_PROTOCOL",       "USER_EX_QUOTA",    "CANNOT_PROVIDE_EXTERNAL",
      "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS"};
  const std::string text = code < kMessages.size() ? std::string(kMessages[code]) : "unknown result code";
  return std::to_string(code) + " (" + text + ")";
}

Bytes encode_natpmp_external_address_request() { return Bytes{kNatPmpVersion, kNatPmpOpExternalAddress}; }

Bytes encode_natpmp_map_request(uint16_t internal_port, uint16_t suggested_external_port,
                                uint32_t lifetime_seconds) {
  Bytes out{kNatPmpVersion, kNatPmpOpMapTcp};
  out.reserve(kNatPmpMapRequestSize);
  put_u16(out, 0);  // reserved
  put_u16(out, internal_port);
  put_u16(out, suggested_external_port);
  put_u32(out, lifetime_seconds);
  assert(out.size() == kNatPmpMapRequestSize);
  return out;
}

Bytes encode_pcp_map_request(const PcpMapRequest& request) {
  Bytes out{kPcpVersion, kPcpOpMap};
  out.reserve(kPcpMapMessageSize);
  put_u16(out, 0);  // reserved
  put_u32(out, request.lifetime_seconds);
  put_mapped(out, request.client_address);
  for (uint8_t b : request.nonce) out.push_back(b);
  out.push_back(kIpProtocolTcp);
  for (int i = 0; i < 3; ++i) out.push_back(0);  // reserved
  put_u16(out, request.internal_port);
  put_u16(out, request.suggested_external_port);
  put_mapped(out, request.suggested_external_address);
  assert(out.size() == kPcpMapMessageSize);
  return out;
}

Result<NatPmpResponse> decode_natpmp_response(ByteSpan datagram) {
  if (datagram.size() < kNatPmpErrorResponseSize) return decode_error("NAT-PMP response: truncated");
  if (datagram[0] != kNatPmpVersion) {
    return decode_error("NAT-PMP response: version " + std::to_string(datagram[0]));
  }
  if ((datagram[1] & kNatPmpResponseBit) == 0) return decode_error("NAT-PMP response: not a response");
  NatPmpResponse response;
  response.opcode = static_cast<uint8_t>(datagram[1] & ~kNatPmpResponseBit);
  response.result = get_u16(datagram, 2);
  response.epoch = get_u32(datagram, 4);
  size_t full_size = 0;
  switch (response.opcode) {
    case kNatPmpOpExternalAddress:
      full_size = kNatPmpExternalAddressResponseSize;
      break;
    case kNatPmpOpMapUdp:
    case kNatPmpOpMapTcp:
      full_size = kNatPmpMapResponseSize;
      break;
    default:
      // An answer to an opcode we never send; only its error header is meaningful.
      full_size = kNatPmpErrorResponseSize;
  }
  const bool header_only =
      datagram.size() == kNatPmpErrorResponseSize && response.result != kNatPmpResultSuccess;
  if (datagram.size() != full_size && !header_only) {
    return decode_error("NAT-PMP response: " + std::to_string(datagram.size()) + " bytes for opcode " +
                        std::to_string(response.opcode));
  }
  if (header_only || full_size == kNatPmpErrorResponseSize) return response;
  if (response.opcode == kNatPmpOpExternalAddress) {
    response.external_address = Ipv4Bytes{datagram[8], datagram[9], datagram[10], datagram[11]};
  } else {
    response.internal_port = get_u16(datagram, 8);
    response.external_port = get_u16(datagram, 10);
    response.lifetime_seconds = get_u32(datagram, 12);
  }
  return response;
}

Result<PcpResponse> decode_pcp_response(ByteSpan datagram) {
  // RFC 6887 §8.3: shorter than the header, longer than 1100 bytes or not a multiple of 4 is
  // not a PCP response.
  if (datagram.size() < kPcpHeaderSize) return decode_error("PCP response: truncated");
  if (datagram.size() > kPcpMaxMessageSize) return decode_error("PCP response: over 1100 bytes");
  if (datagram.size() % 4 != 0) return decode_error("PCP response: length not a multiple of 4");
  if ((datagram[1] & kPcpResponseBit) == 0) return decode_error("PCP response: not a response");
  PcpResponse response;
  response.version = datagram[0];
  response.opcode = static_cast<uint8_t>(datagram[1] & ~kPcpResponseBit);
  response.result = datagram[3];
  response.lifetime_seconds = get_u32(datagram, 4);
  response.epoch = get_u32(datagram, 8);
  // A server that does not speak our version answers in its own (RFC 6887 §9); only the
  // result code of such an answer is read.
  if (response.version != kPcpVersion) {
    if (response.result != kPcpResultUnsuppVersion) {
      return decode_error("PCP response: version " + std::to_string(response.version));
    }
    return response;
  }
  size_t options_at = kPcpHeaderSize;
  if (response.opcode == kPcpOpMap) {
    if (datagram.size() < kPcpMapMessageSize) {
      if (response.result == kPcpResultSuccess) return decode_error("PCP MAP response: truncated");
      return response;
    }
    PcpMapPayload map;
    std::copy_n(datagram.begin() + kPcpHeaderSize, map.nonce.size(), map.nonce.begin());
    map.protocol = datagram[kPcpHeaderSize + 12];
    map.internal_port = get_u16(datagram, kPcpHeaderSize + 16);
    map.external_port = get_u16(datagram, kPcpHeaderSize + 18);
    std::copy_n(datagram.begin() + kPcpHeaderSize + 20, map.external_address.size(),
                map.external_address.begin());
    response.map = map;
    options_at = kPcpMapMessageSize;
  }
  // Options (RFC 6887 §7.3): code, reserved, 16-bit length, data padded to 4 bytes. None is
  // used; their framing must still hold.
  while (options_at < datagram.size()) {
    if (datagram.size() - options_at < 4) return decode_error("PCP response: truncated option");
    const size_t length = get_u16(datagram, options_at + 2);
    const size_t padded = (length + 3) / 4 * 4;
    if (datagram.size() - options_at - 4 < padded) return decode_error("PCP response: option overruns");
    options_at += 4 + padded;
  }
  return response;
}

std::optional<Ipv4Bytes> ipv4_from_mapped(const std::array<uint8_t, 16>& address) {
  for (size_t i = 0; i < 10; ++i) {
    if (address[i] != 0) return std::nullopt;
  }
  if (address[10] != 0xff || address[11] != 0xff) return std::nullopt;
  return Ipv4Bytes{address[12], address[13], address[14], address[15]};
}

NatDuration RetrySchedule::timeout(int attempt) const {
  NatDuration timeout = initial_timeout;
  for (int i = 1; i < attempt && timeout < max_timeout; ++i) timeout *= 2;
  return std::min(timeout, max_timeout);
}

// ---- PortMappingClient ---------------------------------------------------------------------

PortMappingClient::PortMappingClient(PortMappingConfig config)
    : config_(config), protocol_(config.try_pcp ? NatProtocol::pcp : NatProtocol::nat_pmp) {
  assert(config_.pcp.max_attempts > 0 && config_.nat_pmp.max_attempts > 0);
}

void PortMappingClient::start(NatTime now) {
  assert(state_ == State::idle);
  state_ = protocol_ == NatProtocol::pcp ? State::requesting_pcp : State::requesting_address;
  send_request(now, true);
}

const RetrySchedule& PortMappingClient::schedule() const {
  return protocol_ == NatProtocol::pcp ? config_.pcp : config_.nat_pmp;
}

Bytes PortMappingClient::current_request() const {
  const bool deleting = state_ == State::deleting;
  const uint32_t lifetime = deleting ? 0 : config_.lifetime_seconds;
  // Ask for the internal port outside too; once mapped, keep asking for the port we got.
  const uint16_t suggested = deleting ? 0 : (external_port_ != 0 ? external_port_ : config_.internal_port);
  if (protocol_ == NatProtocol::pcp) {
    PcpMapRequest request;
    request.nonce = config_.nonce;
    request.client_address = config_.client_address;
    request.internal_port = config_.internal_port;
    request.suggested_external_port = suggested;
    if (!deleting && external_address_) request.suggested_external_address = *external_address_;
    request.lifetime_seconds = lifetime;
    return encode_pcp_map_request(request);
  }
  if (state_ == State::requesting_address) return encode_natpmp_external_address_request();
  return encode_natpmp_map_request(config_.internal_port, suggested, lifetime);
}

void PortMappingClient::send_request(NatTime now, bool first_attempt) {
  attempt_ = first_attempt ? 1 : attempt_ + 1;
  outbox_.push_back(current_request());
  deadline_ = now + schedule().timeout(attempt_);
}

void PortMappingClient::on_timer(NatTime now) {
  if (!deadline_ || now < *deadline_) return;
  if (state_ == State::mapped) {  // time to renew
    state_ = State::renewing;
    send_request(now, true);
    return;
  }
  if (attempt_ < schedule().max_attempts) {
    send_request(now, false);
    return;
  }
  deadline_.reset();
  const std::string tries = std::to_string(attempt_) + " tries";
  switch (state_) {
    case State::deleting:
      state_ = State::stopped;
      events_.emplace_back(PortMappingRemoved{false});
      break;
    case State::renewing:
      fail(std::string(to_string(protocol_)) + " gateway stopped answering renewals after " + tries);
      break;
    default:
      fail("no NAT-PMP or PCP answer after " + tries);
  }
}

void PortMappingClient::stop(NatTime now) {
  switch (state_) {
    case State::requesting_pcp:
    case State::requesting_map:
    case State::mapped:
    case State::renewing:
      // The gateway may hold a mapping even if its answer has not arrived yet.
      state_ = State::deleting;
      send_request(now, true);
      break;
    case State::deleting:
      break;
    default:
      state_ = State::stopped;
      deadline_.reset();
  }
}

void PortMappingClient::switch_to_natpmp(NatTime now) {
  protocol_ = NatProtocol::nat_pmp;
  state_ = State::requesting_address;
  send_request(now, true);
}

void PortMappingClient::fail(std::string reason) {
  state_ = State::failed;
  deadline_.reset();
  events_.emplace_back(PortMappingFailed{std::move(reason), answered_});
}

void PortMappingClient::granted(uint16_t external_port, uint32_t lifetime_seconds, NatTime now) {
  if (lifetime_seconds == 0 || external_port == 0) {
    fail(std::string(to_string(protocol_)) + " gateway granted no mapping");
    return;
  }
  assert(external_address_);
  external_port_ = external_port;
  state_ = State::mapped;
  const NatDuration half = NatDuration(std::chrono::seconds(lifetime_seconds)) / 2;
  deadline_ = now + std::max(half, kMinRenewDelay);
  events_.emplace_back(PortMapped{protocol_, *external_address_, external_port, lifetime_seconds});
}

void PortMappingClient::on_datagram(ByteSpan datagram, NatTime now) {
  if (state_ == State::idle || state_ == State::failed || state_ == State::stopped || datagram.empty()) {
    return;
  }
  // The first byte is the version in both protocols: 0 is NAT-PMP, anything else is read as
  // PCP (whose decoder accepts another version only in an UNSUPP_VERSION answer).
  if (datagram[0] == kNatPmpVersion) {
    if (auto response = decode_natpmp_response(datagram)) on_natpmp(*response, now);
  } else if (auto response = decode_pcp_response(datagram)) {
    on_pcp(*response, now);
  }
}

void PortMappingClient::on_natpmp(const NatPmpResponse& response, NatTime now) {
  if (protocol_ == NatProtocol::pcp) {
    // A NAT-PMP-only gateway answers our PCP request in its own version (RFC 6887 §9).
    if (state_ == State::requesting_pcp && response.result == kNatPmpResultUnsupportedVersion) {
      answered_ = true;
      switch_to_natpmp(now);
    }
    return;
  }
  const bool want_address = state_ == State::requesting_address;
  const bool want_map =
      state_ == State::requesting_map || state_ == State::renewing || state_ == State::deleting;
  if (want_address ? response.opcode != kNatPmpOpExternalAddress
                   : (!want_map || response.opcode != kNatPmpOpMapTcp)) {
    return;
  }
  if (want_map && response.result == kNatPmpResultSuccess &&
      response.internal_port != config_.internal_port) {
    return;
  }
  answered_ = true;
  if (response.result != kNatPmpResultSuccess) {
    if (state_ == State::deleting) {
      state_ = State::stopped;
      deadline_.reset();
      events_.emplace_back(PortMappingRemoved{false});
      return;
    }
    fail("NAT-PMP gateway refused: " + natpmp_result_message(response.result));
    return;
  }
  switch (state_) {
    case State::requesting_address:
      external_address_ = response.external_address;
      state_ = State::requesting_map;
      send_request(now, true);
      break;
    case State::deleting:
      state_ = State::stopped;
      deadline_.reset();
      events_.emplace_back(PortMappingRemoved{true});
      break;
    default:
      granted(response.external_port, response.lifetime_seconds, now);
  }
}

void PortMappingClient::on_pcp(const PcpResponse& response, NatTime now) {
  if (protocol_ != NatProtocol::pcp || response.opcode != kPcpOpMap) return;
  if (response.result == kPcpResultUnsuppVersion) {
    if (state_ == State::requesting_pcp) {
      answered_ = true;
      switch_to_natpmp(now);
    }
    return;
  }
  if (response.version != kPcpVersion) return;
  // A MAP answer is ours only if it repeats our nonce, protocol and internal port (§11.4);
  // an error answer without the payload cannot be matched and is taken as ours.
  if (response.map) {
    if (response.map->nonce != config_.nonce || response.map->protocol != kIpProtocolTcp ||
        response.map->internal_port != config_.internal_port) {
      return;
    }
  }
  answered_ = true;
  if (state_ == State::deleting) {
    state_ = State::stopped;
    deadline_.reset();
    events_.emplace_back(PortMappingRemoved{response.result == kPcpResultSuccess});
    return;
  }
  if (response.result != kPcpResultSuccess) {
    fail("PCP gateway refused: " + pcp_result_message(response.result));
    return;
  }
  auto external = ipv4_from_mapped(response.map->external_address);
  if (!external) {
    fail("PCP gateway mapped to a non-IPv4 external address");
    return;
  }
  external_address_ = *external;
  granted(response.map->external_port, response.lifetime_seconds, now);
}

std::vector<Bytes> PortMappingClient::take_datagrams() { return std::exchange(outbox_, {}); }

std::vector<PortMappingEvent> PortMappingClient::take_events() { return std::exchange(events_, {}); }

}  // namespace cairn::net
