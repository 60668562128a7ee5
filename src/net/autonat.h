// libp2p AutoNAT v1 (libp2p/specs autonat/autonat-v1.md, /libp2p/autonat/1.0.0): a node
// asks peers to dial it back to learn whether it is reachable from outside.
//
//   framing   uvarint length ‖ Message protobuf (proto/autonat.proto), at most
//             kMaxAutonatMessageSize bytes; the client writes one DIAL, the server answers
//             one DIAL_RESPONSE on the same stream
//   server    dials back only addresses whose IP is the IP it observes the requester at
//             (the spec's defence against using servers to flood a third party), over a new
//             connection, and answers OK with the address that worked, E_DIAL_ERROR if none
//             did, E_DIAL_REFUSED if nothing may be dialled (or it is rate limited),
//             E_BAD_REQUEST for a malformed request
//   client    asks several peers and decides public or private once `threshold` of them
//             agree (AutonatVerdict)
//
// This file holds the codec and the sans-I/O decisions; Host (host.h) runs the protocol.
// The functions are pure; AutonatRateLimiter and AutonatVerdict are thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr std::string_view kAutonatProtocolId = "/libp2p/autonat/1.0.0";
// js-libp2p's limit too (its autonat MAX_INBOUND/OUTBOUND message size is 4096 bytes).
inline constexpr size_t kMaxAutonatMessageSize = 4096;
// Addresses of one request the server considers, and how many of them it dials back.
inline constexpr size_t kMaxAutonatRequestAddresses = 16;
inline constexpr size_t kMaxAutonatDialBacks = 4;
// Defaults of AutonatOptions.
inline constexpr std::chrono::steady_clock::duration kDefaultAutonatDialTimeout = std::chrono::seconds(15);
inline constexpr std::chrono::steady_clock::duration kDefaultAutonatRateWindow = std::chrono::seconds(60);
// go-libp2p's service defaults: 3 requests per peer and 30 in all per window.
inline constexpr size_t kDefaultAutonatRequestsPerPeer = 3;
inline constexpr size_t kDefaultAutonatRequestsGlobal = 30;
// The client asks at most this many connected peers per check and decides once this many
// agree (the spec says "more than 3 peers"; one check asks 4, so 3 of 4 agreeing decides).
inline constexpr size_t kDefaultAutonatServersPerCheck = 4;
inline constexpr size_t kDefaultAutonatThreshold = 3;

// What the node has learned about being reachable from the Internet.
enum class Reachability : uint8_t {
  unknown,
  is_public,   // peers could dial us back / reached us at a public address
  is_private,  // peers could not dial us back: behind a NAT or a firewall
};
std::string_view to_string(Reachability reachability);

// DO NOT CHANGE THESE VALUES: the spec's ResponseStatus.
enum class AutonatStatus : uint16_t {
  ok = 0,
  dial_error = 100,
  dial_refused = 101,
  bad_request = 200,
  internal_error = 300,
};

struct AutonatOptions {
  // Answer other peers' DIAL requests.
  bool serve = true;
  // Dial back loopback and private addresses too. For tests and private networks only: on
  // the Internet a peer's private address names some other machine.
  bool allow_private_dial_back = false;
  // One dial-back attempt (connect + upgrade) and the client's wait for an answer
  // (kMaxAutonatDialBacks attempts and this much again).
  std::chrono::steady_clock::duration dial_timeout = kDefaultAutonatDialTimeout;
  size_t requests_per_peer = kDefaultAutonatRequestsPerPeer;
  size_t requests_global = kDefaultAutonatRequestsGlobal;
  std::chrono::steady_clock::duration rate_window = kDefaultAutonatRateWindow;
  size_t servers_per_check = kDefaultAutonatServersPerCheck;
  size_t threshold = kDefaultAutonatThreshold;
};

struct AutonatDialRequest {
  PeerId peer;
  std::vector<Multiaddr> addrs;  // the ones that parse, at most kMaxAutonatRequestAddresses
};

struct AutonatDialResponse {
  AutonatStatus status = AutonatStatus::internal_error;
  std::string status_text;
  std::optional<Multiaddr> addr;
};

// Framed (length-prefixed) messages.
Bytes encode_autonat_dial(const PeerId& peer, const std::vector<Multiaddr>& addrs);
Bytes encode_autonat_response(const AutonatDialResponse& response);
// Decode one message without its length prefix. A DIAL must carry a peer with a valid id;
// unparsable addresses are skipped. A DIAL_RESPONSE must carry a known status.
Result<AutonatDialRequest> decode_autonat_dial(ByteSpan message);
Result<AutonatDialResponse> decode_autonat_response(ByteSpan message);

// The server's decision on a request from `requester`, observed at `observed_ip`: either a
// refusal to send as is, or the addresses to dial back, in the request's order.
struct DialBackPlan {
  std::optional<AutonatDialResponse> refusal;
  std::vector<Multiaddr> addrs;  // at most kMaxAutonatDialBacks
};
DialBackPlan plan_dial_back(const AutonatDialRequest& request, const PeerId& requester,
                            const boost::asio::ip::address& observed_ip, bool allow_private);

// Sliding-window limits on the DIAL requests a server serves: per peer and in all.
class AutonatRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  AutonatRateLimiter(size_t per_peer, size_t global, std::chrono::steady_clock::duration window);
  // Counts a request at `now` if it is within both limits.
  bool allow(const PeerId& peer, TimePoint now);

 private:
  void expire(TimePoint now);
  size_t per_peer_;
  size_t global_;
  std::chrono::steady_clock::duration window_;
  std::deque<std::pair<TimePoint, PeerId>> served_;  // oldest first
  std::map<PeerId, size_t> per_peer_count_;
};

// The client's tally of one check's answers.
class AutonatVerdict {
 public:
  explicit AutonatVerdict(size_t threshold) : threshold_(threshold == 0 ? 1 : threshold) {}
  // OK counts for public, E_DIAL_ERROR for private; refusals and errors say nothing.
  void add(const AutonatDialResponse& response);
  Reachability verdict() const;
  // The addresses servers reached, in answer order, without duplicates.
  const std::vector<Multiaddr>& reached() const { return reached_; }

 private:
  size_t threshold_;
  size_t successes_ = 0;
  size_t failures_ = 0;
  std::vector<Multiaddr> reached_;
};

}  // namespace cairn::net
