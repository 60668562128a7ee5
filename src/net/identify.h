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
// The functions are pure or run a single stream; thread-safety is that of Stream.
#pragma once

#include <optional>
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

}  // namespace cairn::net
