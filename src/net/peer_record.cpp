#include "net/peer_record.h"

#include <algorithm>

#include "envelope.pb.h"
#include "net/multiformats.h"

namespace cairn::net {
namespace {

Error record_error(ErrorCode code, const std::string& what) { return Error{code, "peer record: " + what}; }

void append_prefixed(Bytes& out, ByteSpan data) {
  append_uvarint(out, data.size());
  out.insert(out.end(), data.begin(), data.end());
}

Bytes signed_content(ByteSpan payload_type, ByteSpan payload) {
  Bytes content;
  append_prefixed(content, as_bytes(kPeerRecordDomain));
  append_prefixed(content, payload_type);
  append_prefixed(content, payload);
  return content;
}

}  // namespace

Bytes seal_peer_record(const KeyPair& key, uint64_t seq, const std::vector<Multiaddr>& addresses) {
  pb::PeerRecord record;
  const PeerId peer = PeerId::from_public_key(key.public_key());
  record.set_peer_id(peer.multihash().data(), peer.multihash().size());
  record.set_seq(seq);
  for (const Multiaddr& address : addresses) {
    const Bytes bytes = address.to_bytes();
    record.add_addresses()->set_multiaddr(bytes.data(), bytes.size());
  }
  const std::string payload = record.SerializeAsString();

  pb::Envelope envelope;
  const Bytes public_key = encode_public_key(key.public_key());
  envelope.set_public_key(public_key.data(), public_key.size());
  envelope.set_payload_type(kPeerRecordPayloadType.data(), kPeerRecordPayloadType.size());
  envelope.set_payload(payload);
  const Signature signature = key.sign(signed_content(kPeerRecordPayloadType, as_bytes(payload)));
  envelope.set_signature(signature.bytes.data(), signature.bytes.size());
  const std::string encoded = envelope.SerializeAsString();
  return Bytes(encoded.begin(), encoded.end());
}

Result<PeerRecord> open_peer_record(ByteSpan bytes) {
  if (bytes.size() > kMaxSignedPeerRecordSize) return record_error(ErrorCode::limit, "envelope too large");
  pb::Envelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return record_error(ErrorCode::decode, "not an Envelope protobuf");
  if (!std::ranges::equal(as_bytes(envelope.payload_type()), kPeerRecordPayloadType))
    return record_error(ErrorCode::decode, "the envelope does not hold a peer record");
  CAIRN_TRY(PublicKey key, decode_public_key(as_bytes(envelope.public_key())));
  CAIRN_TRY(Signature signature, Signature::from_span(as_bytes(envelope.signature())));
  if (!verify(key, signed_content(kPeerRecordPayloadType, as_bytes(envelope.payload())), signature))
    return record_error(ErrorCode::verify, "bad envelope signature");

  pb::PeerRecord record;
  if (!record.ParseFromString(envelope.payload()))
    return record_error(ErrorCode::decode, "not a PeerRecord protobuf");
  CAIRN_TRY(PeerId peer, PeerId::from_multihash(as_bytes(record.peer_id())));
  if (peer != PeerId::from_public_key(key))
    return record_error(ErrorCode::verify, "the record names " + peer.to_base58() + ", not its signer");
  PeerRecord out{std::move(peer), record.seq(), {}};
  for (const auto& info : record.addresses()) {
    if (out.addresses.size() == kMaxPeerRecordAddresses) break;
    auto address = Multiaddr::from_bytes(as_bytes(info.multiaddr()));
    if (address) out.addresses.push_back(std::move(address).value());
  }
  return out;
}

}  // namespace cairn::net
