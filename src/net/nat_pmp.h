// NAT port mapping with NAT-PMP (RFC 6886) and PCP (RFC 6887), sans-I/O: the message codecs
// and PortMappingClient, the state machine that maps one TCP port on the gateway, renews the
// mapping at half its granted lifetime and deletes it on stop(). Time comes in as arguments,
// datagrams, a deadline and events go out; the core opens no socket and reads no clock (the
// Asio driver is port_mapper.h). UPnP is deliberately not spoken.
//
//   order      PCP MAP first; a gateway that answers with UNSUPP_VERSION (in PCP's format or
//              NAT-PMP's version-0 one) is spoken to in NAT-PMP instead (RFC 6887 §9): an
//              external address request, then the TCP map request
//   retries    NAT-PMP: 250 ms, doubling, 9 tries (RFC 6886 §3.1); PCP: 3 s, doubling up to
//              1024 s (RFC 6887 §8.1.1), bounded here to kPcpMaxAttempts tries. Silence after
//              the last try means there is no gateway that speaks either protocol
//   decoding   strict: exact lengths (NAT-PMP), PCP's size and alignment rules, the version,
//              the response bit, the opcode, and the nonce, protocol and port of our request
//
// Thread-safety: the codecs are pure functions; a PortMappingClient is not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

using NatClock = std::chrono::steady_clock;
using NatTime = NatClock::time_point;
using NatDuration = NatClock::duration;
using Ipv4Bytes = std::array<uint8_t, 4>;
using PcpNonce = std::array<uint8_t, 12>;

// The gateway's port for both protocols (RFC 6886 §3, RFC 6887 §19.1).
inline constexpr uint16_t kNatPmpPort = 5351;
inline constexpr uint8_t kNatPmpVersion = 0;
inline constexpr uint8_t kPcpVersion = 2;

// NAT-PMP opcodes (requests; a response carries opcode | kNatPmpResponseBit).
inline constexpr uint8_t kNatPmpOpExternalAddress = 0;
inline constexpr uint8_t kNatPmpOpMapUdp = 1;
inline constexpr uint8_t kNatPmpOpMapTcp = 2;
inline constexpr uint8_t kNatPmpResponseBit = 0x80;
// PCP opcodes (RFC 6887 §19.2) and the response bit of the R|opcode byte.
inline constexpr uint8_t kPcpOpMap = 1;
inline constexpr uint8_t kPcpResponseBit = 0x80;
inline constexpr uint8_t kIpProtocolTcp = 6;

// Message sizes. A NAT-PMP error answer may be only the 8-byte header (RFC 6886 §3.5).
inline constexpr size_t kNatPmpExternalAddressRequestSize = 2;
inline constexpr size_t kNatPmpMapRequestSize = 12;
inline constexpr size_t kNatPmpErrorResponseSize = 8;
inline constexpr size_t kNatPmpExternalAddressResponseSize = 12;
inline constexpr size_t kNatPmpMapResponseSize = 16;
inline constexpr size_t kPcpHeaderSize = 24;
inline constexpr size_t kPcpMapPayloadSize = 36;
inline constexpr size_t kPcpMapMessageSize = kPcpHeaderSize + kPcpMapPayloadSize;
// Largest PCP message (RFC 6887 §7): longer datagrams are not PCP.
inline constexpr size_t kPcpMaxMessageSize = 1100;

// Retransmission (RFC 6886 §3.1; RFC 6887 §8.1.1 IRT and MRT). PCP's retries are unbounded in
// the RFC; Cairn stops after kPcpMaxAttempts (3 + 6 + 12 + 24 s = 45 s of silence).
inline constexpr NatDuration kNatPmpInitialTimeout = std::chrono::milliseconds(250);
inline constexpr int kNatPmpMaxAttempts = 9;
inline constexpr NatDuration kPcpInitialTimeout = std::chrono::seconds(3);
inline constexpr NatDuration kPcpMaxTimeout = std::chrono::seconds(1024);
inline constexpr int kPcpMaxAttempts = 4;
// The lifetime asked for (RFC 6886 §3.3 recommends two hours) and the shortest wait before a
// renewal, whatever lifetime the gateway grants (renewal is at half the lifetime).
inline constexpr uint32_t kDefaultMappingLifetimeSeconds = 7200;
inline constexpr NatDuration kMinRenewDelay = std::chrono::seconds(1);

enum class NatProtocol : uint8_t { pcp, nat_pmp };
std::string_view to_string(NatProtocol protocol);

// Result codes. Unknown values are kept as numbers and described as such.
inline constexpr uint16_t kNatPmpResultSuccess = 0;
inline constexpr uint16_t kNatPmpResultUnsupportedVersion = 1;
inline constexpr uint8_t kPcpResultSuccess = 0;
inline constexpr uint8_t kPcpResultUnsuppVersion = 1;
// A readable message for a result code ("2 (not authorized/refused)").
std::string natpmp_result_message(uint16_t code);
std::string pcp_result_message(uint8_t code);

// ---- Codecs -------------------------------------------------------------------------------

Bytes encode_natpmp_external_address_request();
// A TCP map request; lifetime 0 with suggested port 0 deletes the mapping (RFC 6886 §3.4).
Bytes encode_natpmp_map_request(uint16_t internal_port, uint16_t suggested_external_port,
                                uint32_t lifetime_seconds);

struct PcpMapRequest {
  PcpNonce nonce{};
  Ipv4Bytes client_address{};  // written as an IPv4-mapped IPv6 address
  uint16_t internal_port = 0;
  uint16_t suggested_external_port = 0;
  Ipv4Bytes suggested_external_address{};  // 0.0.0.0: no preference (written as ::ffff:0:0)
  uint32_t lifetime_seconds = 0;           // 0 deletes (RFC 6887 §15)
};
Bytes encode_pcp_map_request(const PcpMapRequest& request);

// A NAT-PMP response. Only the fields its opcode carries are set; on a non-success result the
// 8-byte form is accepted and the rest is empty.
struct NatPmpResponse {
  uint8_t opcode = 0;  // without the response bit
  uint16_t result = 0;
  uint32_t epoch = 0;
  std::optional<Ipv4Bytes> external_address;  // opcode 0
  uint16_t internal_port = 0;                 // opcodes 1, 2
  uint16_t external_port = 0;
  uint32_t lifetime_seconds = 0;
};
Result<NatPmpResponse> decode_natpmp_response(ByteSpan datagram);

// A PCP response: the header, and the MAP payload when the opcode is MAP and the message is
// long enough to carry it (error answers may stop after the header, RFC 6887 §8.3).
struct PcpMapPayload {
  PcpNonce nonce{};
  uint8_t protocol = 0;
  uint16_t internal_port = 0;
  uint16_t external_port = 0;
  std::array<uint8_t, 16> external_address{};
};
struct PcpResponse {
  uint8_t version = 0;
  uint8_t opcode = 0;  // without the response bit
  uint8_t result = 0;
  uint32_t lifetime_seconds = 0;
  uint32_t epoch = 0;
  std::optional<PcpMapPayload> map;
};
Result<PcpResponse> decode_pcp_response(ByteSpan datagram);

// The IPv4 address in an IPv4-mapped IPv6 address, or nullopt if it is not one.
std::optional<Ipv4Bytes> ipv4_from_mapped(const std::array<uint8_t, 16>& address);

// ---- The client ----------------------------------------------------------------------------

struct RetrySchedule {
  NatDuration initial_timeout{};
  NatDuration max_timeout{};
  int max_attempts = 0;

  // How long to wait for an answer to attempt `attempt` (1-based): the initial timeout
  // doubled per earlier attempt, capped at max_timeout.
  NatDuration timeout(int attempt) const;
};
inline constexpr RetrySchedule kNatPmpSchedule{kNatPmpInitialTimeout, kNatPmpInitialTimeout * 256,
                                               kNatPmpMaxAttempts};
inline constexpr RetrySchedule kPcpSchedule{kPcpInitialTimeout, kPcpMaxTimeout, kPcpMaxAttempts};

struct PortMappingConfig {
  uint16_t internal_port = 0;
  Ipv4Bytes client_address{};  // our address towards the gateway (PCP checks it)
  PcpNonce nonce{};            // random, from the driver
  uint32_t lifetime_seconds = kDefaultMappingLifetimeSeconds;
  bool try_pcp = true;  // false: NAT-PMP only
  RetrySchedule pcp = kPcpSchedule;
  RetrySchedule nat_pmp = kNatPmpSchedule;
};

struct PortMapped {
  NatProtocol protocol;
  Ipv4Bytes external_address;
  uint16_t external_port;
  uint32_t lifetime_seconds;
};
// The mapping could not be made or kept; `answered` is false when the gateway never answered.
struct PortMappingFailed {
  std::string reason;
  bool answered;
};
struct PortMappingRemoved {
  bool confirmed;  // false: the gateway did not confirm the deletion
};
using PortMappingEvent = std::variant<PortMapped, PortMappingFailed, PortMappingRemoved>;

class PortMappingClient {
 public:
  enum class State : uint8_t {
    idle,
    requesting_pcp,      // PCP MAP sent
    requesting_address,  // NAT-PMP external address request sent
    requesting_map,      // NAT-PMP map request sent
    mapped,              // waiting for the renewal time
    renewing,            // renewal sent (either protocol)
    deleting,            // deletion sent
    failed,              // terminal
    stopped,             // terminal
  };

  explicit PortMappingClient(PortMappingConfig config);

  void start(NatTime now);
  // A datagram from the gateway; anything that does not answer the outstanding request is
  // ignored.
  void on_datagram(ByteSpan datagram, NatTime now);
  // Call when `now` has reached deadline().
  void on_timer(NatTime now);
  // Deletes the mapping if one may exist (sent, or being requested), else stops at once.
  void stop(NatTime now);

  State state() const { return state_; }
  NatProtocol protocol() const { return protocol_; }
  // When on_timer() wants to be called; nullopt when nothing is pending.
  std::optional<NatTime> deadline() const { return deadline_; }
  std::vector<Bytes> take_datagrams();
  std::vector<PortMappingEvent> take_events();

 private:
  void send_request(NatTime now, bool first_attempt);
  Bytes current_request() const;
  const RetrySchedule& schedule() const;
  void switch_to_natpmp(NatTime now);
  void fail(std::string reason);
  void granted(uint16_t external_port, uint32_t lifetime_seconds, NatTime now);
  void on_natpmp(const NatPmpResponse& response, NatTime now);
  void on_pcp(const PcpResponse& response, NatTime now);

  PortMappingConfig config_;
  State state_ = State::idle;
  NatProtocol protocol_ = NatProtocol::pcp;
  int attempt_ = 0;
  bool answered_ = false;  // the gateway has answered at least once
  std::optional<Ipv4Bytes> external_address_;
  uint16_t external_port_ = 0;
  std::optional<NatTime> deadline_;
  std::vector<Bytes> outbox_;
  std::vector<PortMappingEvent> events_;
};

}  // namespace cairn::net
