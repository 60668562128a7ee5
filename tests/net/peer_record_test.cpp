#include "net/peer_record.h"

#include <gtest/gtest.h>

#include "envelope.pb.h"

namespace cairn::net {
namespace {

KeyPair key_from_counting_seed() {
  Seed seed;
  for (size_t i = 0; i < seed.size(); ++i) seed.data()[i] = static_cast<uint8_t>(i + 1);
  return KeyPair::from_seed(seed);
}

Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }

// Written by js-libp2p 3.2.0 (@libp2p/peer-record RecordEnvelope.seal) for the key with seed
// 01 02 .. 20, sequence number 1795498940917 and two addresses.
constexpr std::string_view kJsEnvelope =
    "0a240801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664120203011a530a2600240801"
    "122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966410f5b3cee0a0341a0a0a08047f000001"
    "060fa11a160a142900000000000000000000000000000001060fa22a40724f8f2f54bad7e5b6ccd37b52db200b156303c0cc"
    "e7618a4d65f35b1b7aa4dfce9bf11a5c1a2a0bfed17ec583b21bb77fd7b88c1369c92ca714bd4e8d257609";
constexpr uint64_t kJsSeq = 1795498940917;

TEST(PeerRecord, OpensWhatJsLibp2pSeals) {
  const auto record = open_peer_record(from_hex(kJsEnvelope).value());
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->peer.to_base58(), "12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf");
  EXPECT_EQ(record->seq, kJsSeq);
  EXPECT_EQ(record->addresses, (std::vector{addr("/ip4/127.0.0.1/tcp/4001"), addr("/ip6/::1/tcp/4002")}));
}

TEST(PeerRecord, SealsTheSameBytesAsJsLibp2p) {
  // Ed25519 signatures are deterministic, so the whole envelope must match byte for byte.
  const Bytes sealed = seal_peer_record(key_from_counting_seed(), kJsSeq,
                                        {addr("/ip4/127.0.0.1/tcp/4001"), addr("/ip6/::1/tcp/4002")});
  EXPECT_EQ(to_hex(sealed), kJsEnvelope);
}

pb::Envelope parse(const Bytes& bytes) {
  pb::Envelope envelope;
  EXPECT_TRUE(envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  return envelope;
}

Bytes serialize(const pb::Envelope& envelope) {
  const std::string out = envelope.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

TEST(PeerRecord, RefusesATamperedEnvelope) {
  const KeyPair key = KeyPair::generate();
  pb::Envelope envelope = parse(seal_peer_record(key, 1, {addr("/ip4/10.0.0.1/tcp/1")}));

  pb::Envelope changed_payload = envelope;
  changed_payload.mutable_payload()->back() ^= 1;
  EXPECT_EQ(open_peer_record(serialize(changed_payload)).error().code, ErrorCode::verify);

  pb::Envelope other_type = envelope;
  other_type.set_payload_type("\x03\x02");
  EXPECT_EQ(open_peer_record(serialize(other_type)).error().code, ErrorCode::decode);

  pb::Envelope short_signature = envelope;
  short_signature.mutable_signature()->pop_back();
  EXPECT_FALSE(open_peer_record(serialize(short_signature)));

  EXPECT_EQ(open_peer_record(from_hex("ffff").value()).error().code, ErrorCode::decode);
}

TEST(PeerRecord, RefusesARecordThatNamesAnotherPeer) {
  // A validly signed envelope whose record names someone else: a peer cannot vouch for the
  // addresses of another.
  const KeyPair signer = KeyPair::generate();
  const KeyPair victim = KeyPair::generate();
  pb::Envelope envelope = parse(seal_peer_record(signer, 1, {}));
  pb::PeerRecord record;
  ASSERT_TRUE(record.ParseFromString(envelope.payload()));
  const Bytes victim_id = PeerId::from_public_key(victim.public_key()).multihash();
  record.set_peer_id(victim_id.data(), victim_id.size());
  // Re-signed correctly by the signer, so only the name check can catch it.
  const Bytes resealed_with_victim = [&] {
    pb::Envelope out = envelope;
    out.set_payload(record.SerializeAsString());
    Bytes content;
    for (ByteSpan part :
         {as_bytes(kPeerRecordDomain), ByteSpan(kPeerRecordPayloadType), as_bytes(out.payload())}) {
      content.push_back(static_cast<uint8_t>(part.size()));  // every part is < 128 bytes here
      content.insert(content.end(), part.begin(), part.end());
    }
    const Signature signature = signer.sign(content);
    out.set_signature(signature.bytes.data(), signature.bytes.size());
    return serialize(out);
  }();
  const auto opened = open_peer_record(resealed_with_victim);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::verify);
}

TEST(PeerRecord, EnforcesItsLimits) {
  const KeyPair key = KeyPair::generate();
  std::vector<Multiaddr> many;
  for (size_t i = 0; i <= kMaxPeerRecordAddresses; ++i)
    many.push_back(addr("/ip4/10.0.0.1/tcp/" + std::to_string(i + 1)));
  const auto record = open_peer_record(seal_peer_record(key, 2, many));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->addresses.size(), kMaxPeerRecordAddresses);

  Bytes padded = seal_peer_record(key, 2, {});
  padded.resize(kMaxSignedPeerRecordSize, 0);  // trailing zero bytes are a protobuf error anyway
  EXPECT_NE(open_peer_record(padded).error().code, ErrorCode::limit);
  padded.push_back(0);
  EXPECT_EQ(open_peer_record(padded).error().code, ErrorCode::limit);
}

}  // namespace
}  // namespace cairn::net
