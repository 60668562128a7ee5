// libp2p signed peer records: a peer's listen addresses, signed by its identity key, inside
// a signed envelope (libp2p/specs RFC/0002-signed-envelopes.md, RFC/0003-routing-records.md).
// Gossipsub peer exchange carries them in PRUNE and identify in signedPeerRecord, so a peer
// can be dialled on addresses that its own key vouches for, not on a third party's word.
//
//   envelope   Envelope protobuf (proto/envelope.proto): public_key, payload_type = 0x03 0x01,
//              payload = PeerRecord protobuf, signature
//   signature  Ed25519 over uvarint(len(domain)) ‖ "libp2p-peer-record" ‖
//              uvarint(len(payload_type)) ‖ payload_type ‖ uvarint(len(payload)) ‖ payload
//
// Only Ed25519 signers are accepted (as everywhere in Cairn); addresses this build cannot
// parse are skipped. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr std::string_view kPeerRecordDomain = "libp2p-peer-record";
// The multicodec "libp2p-peer-record" (0x0301) as go- and js-libp2p write it: two raw bytes.
inline constexpr std::array<uint8_t, 2> kPeerRecordPayloadType = {0x03, 0x01};
// An envelope longer than this is refused before parsing; identify's whole message is 8 KiB.
inline constexpr size_t kMaxSignedPeerRecordSize = 4096;
// Addresses read from one record; the rest are ignored.
inline constexpr size_t kMaxPeerRecordAddresses = 32;

struct PeerRecord {
  PeerId peer;
  uint64_t seq = 0;
  std::vector<Multiaddr> addresses;
};

// The envelope bytes of `addresses` signed by `key` with sequence number `seq`.
Bytes seal_peer_record(const KeyPair& key, uint64_t seq, const std::vector<Multiaddr>& addresses);
// Checks an envelope's signature and payload type and returns the record inside; its peer
// id must be the signer's.
Result<PeerRecord> open_peer_record(ByteSpan envelope);

}  // namespace cairn::net
