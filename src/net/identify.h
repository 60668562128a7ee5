// libp2p identify (libp2p/specs identify/README.md): peers tell each other who they are.
//
//   /ipfs/id/1.0.0       the dialer of the stream reads the other side's Identify message;
//                        the answering side writes it and closes its side (js-libp2p waits
//                        for that close before it reads the message)
//   /ipfs/id/push/1.0.0  the opener writes its updated Identify message; the receiver takes
//                        the fields present as the sender's new values
//   framing              uvarint length ‖ Identify protobuf (proto/identify.proto), at most
//                        kMaxIdentifyMessageSize bytes
//
// A message's publicKey must be present and name the peer the connection authenticated;
// addresses this build cannot parse (/ws, /quic-v1, /p2p-circuit...) are skipped, not fatal.
// ObservedAddressTable keeps what peers report as our address (observedAddr); an address
// is confirmed once enough distinct observers reported it.
// The functions are pure or run a single stream; thread-safety is that of Stream.
// ObservedAddressTable is thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.h"
#include "net/identity.h"
#include "net/multiaddr.h"

namespace cairn::net {

inline constexpr std::string_view kIdentifyProtocolId = "/ipfs/id/1.0.0";
inline constexpr std::string_view kIdentifyPushProtocolId = "/ipfs/id/push/1.0.0";
inline constexpr std::string_view kLibp2pProtocolVersion = "ipfs/0.1.0";
// js-libp2p's limit too; a message with a hundred protocols and addresses is far smaller.
inline constexpr size_t kMaxIdentifyMessageSize = 8192;

struct IdentifyInfo {
  std::string protocol_version;
  std::string agent_version;
  PublicKey public_key;
  std::vector<Multiaddr> listen_addrs;
  std::optional<Multiaddr> observed_addr;
  std::vector<std::string> protocols;
  // The sender's signed peer record (peer_record.h envelope bytes): kept only when it
  // verifies and names the sender.
  std::optional<Bytes> signed_peer_record;
};

// The length-prefixed message for `info`.
Bytes encode_identify(const IdentifyInfo& info);
// Decodes an Identify protobuf (without its length prefix) from `peer`.
Result<IdentifyInfo> decode_identify(ByteSpan message, const PeerId& peer);
// Applies an identify push from `peer` to what we knew (`known`, if anything).
Result<IdentifyInfo> apply_identify_push(ByteSpan message, const PeerId& peer,
                                         std::optional<IdentifyInfo> known);

// Reads one uvarint-length-prefixed message of at most `max_size` bytes.
asio::awaitable<Result<Bytes>> read_length_prefixed(Stream& stream, size_t max_size);

// The dialer's side of /ipfs/id/1.0.0 on a negotiated stream.
asio::awaitable<Result<IdentifyInfo>> request_identify(Stream stream, PeerId peer);
// The answering side: writes `ours`; the caller then closes the stream.
asio::awaitable<Status> answer_identify(Stream stream, IdentifyInfo ours);

// Observations before an observed address counts as confirmed (go-libp2p's ActivationThresh).
inline constexpr size_t kDefaultObservedAddressThreshold = 4;
// Bounds of ObservedAddressTable: addresses kept, and observers remembered per address (a
// threshold above it could never be reached, so it is clamped to it).
inline constexpr size_t kMaxObservedAddresses = 16;
inline constexpr size_t kMaxObserversPerAddress = 16;

struct ObservedAddress {
  Multiaddr address;
  size_t observers = 0;
  bool confirmed = false;
  bool operator==(const ObservedAddress&) const = default;
};

// Our addresses as peers observe them. Only TCP addresses (/ip4|ip6/<addr>/tcp/<port>) are
// kept. When the table is full, a new address evicts the one with the fewest observers
// (the oldest among equals), so a flood of one-off reports cannot push out a confirmed
// address that more observers have seen.
class ObservedAddressTable {
 public:
  explicit ObservedAddressTable(size_t threshold = kDefaultObservedAddressThreshold);

  // `observer` names who reported `observed` (see observer_key()). Returns true if this
  // report confirmed the address.
  bool record(const Multiaddr& observed, const std::string& observer);
  // Every address kept, the most observed first.
  std::vector<ObservedAddress> addresses() const;
  std::vector<Multiaddr> confirmed() const;
  size_t threshold() const { return threshold_; }

 private:
  struct Entry {
    Multiaddr address;
    std::set<std::string> observers;
    uint64_t first_seen = 0;  // insertion counter, for eviction order
  };
  size_t threshold_;
  uint64_t counter_ = 0;
  std::map<Bytes, Entry> entries_;  // by binary address
};

// Who an observation counts as: a public observer by its IP group (/16 of IPv4, /48 of
// IPv6, as go-libp2p groups them), so many peers on one network count once; an observer on
// a loopback or private address by its peer id, since it can only be a local peer.
std::string observer_key(const boost::asio::ip::address& observer_ip, const PeerId& observer);

}  // namespace cairn::net
