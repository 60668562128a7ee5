#include "net/identity.h"

#include <algorithm>
#include <array>

#include "keys.pb.h"
#include "net/multiformats.h"

namespace cairn::net {
namespace {

// Both messages are written by hand rather than with the generated SerializeToString: the
// peers-ids spec leaves field order and unknown fields to the encoder, and a peer id is
// the hash of these bytes, so the encoding must be fixed by construction. It is the one
// protobuf gives too (fields in number order, no others), which the tests check.
//
//   0x08 = field 1 (Type), varint;  0x12 = field 2 (Data), length-delimited
constexpr uint8_t kTypeTag = 0x08;
constexpr uint8_t kDataTag = 0x12;
constexpr size_t kSeedLength = Seed::kSize;
// The legacy PrivateKey Data: seed ‖ public key ‖ public key.
constexpr size_t kLegacyPrivateDataLength = kSeedLength + 2 * PublicKey::kSize;

Bytes key_message(ByteSpan data) {
  Bytes out;
  out.reserve(4 + data.size());
  out.push_back(kTypeTag);
  out.push_back(static_cast<uint8_t>(KeyType::ed25519));
  out.push_back(kDataTag);
  out.push_back(static_cast<uint8_t>(data.size()));  // < 128: a one-byte varint
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

const char* key_type_name(int type) {
  switch (static_cast<KeyType>(type)) {
    case KeyType::rsa:
      return "RSA";
    case KeyType::ed25519:
      return "Ed25519";
    case KeyType::secp256k1:
      return "Secp256k1";
    case KeyType::ecdsa:
      return "ECDSA";
  }
  return "unknown";
}

Error unsupported_key_type(int type) {
  return Error{ErrorCode::crypto, std::string("key type ") + key_type_name(type) + " (" +
                                      std::to_string(type) +
                                      ") is not supported: Cairn accepts Ed25519 keys only"};
}

bool has_prefix(ByteSpan bytes, std::initializer_list<uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

Error peer_id_error(const Error& e) { return Error{e.code, "peer id: " + e.message}; }

}  // namespace

Bytes encode_public_key(const PublicKey& key) { return key_message(key); }

Result<PublicKey> decode_public_key(ByteSpan protobuf) {
  if (protobuf.size() > kMaxPublicKeyProtobufLength) {
    return Error{ErrorCode::limit, "PublicKey: " + std::to_string(protobuf.size()) +
                                       " bytes, more than the maximum of " +
                                       std::to_string(kMaxPublicKeyProtobufLength)};
  }
  // Peers' keys go through the generated parser, which reads any valid protobuf encoding as
  // other libp2p implementations do; the peer id is always computed from our own
  // re-encoding, so a peer gains nothing by encoding its key differently.
  // ParsePartial + IsInitialized rather than ParseFromArray, which logs every message with
  // a missing required field: a peer must not be able to write to our log.
  pb::PublicKey message;
  if (!message.ParsePartialFromArray(protobuf.data(), static_cast<int>(protobuf.size())) ||
      !message.IsInitialized()) {
    return Error{ErrorCode::decode,
                 "PublicKey: not a protobuf message with the required Type and Data fields"};
  }
  // The spec forbids extending the message: unknown fields would make the encoding ambiguous.
  if (!message.unknown_fields().empty()) return Error{ErrorCode::decode, "PublicKey: unknown fields"};
  if (message.type() != pb::Ed25519) return unsupported_key_type(message.type());
  const std::string& data = message.data();
  if (data.size() != PublicKey::kSize) {
    return Error{ErrorCode::crypto,
                 "PublicKey: Ed25519 key of " + std::to_string(data.size()) + " bytes, expected 32"};
  }
  return PublicKey::from_span(as_bytes(data)).value();
}

Bytes encode_private_key(const KeyPair& key) {
  std::array<uint8_t, kSeedLength + PublicKey::kSize> data{};
  Seed seed = key.seed();
  std::copy(seed.begin(), seed.end(), data.begin());
  std::copy(key.public_key().begin(), key.public_key().end(), data.begin() + kSeedLength);
  Bytes out = key_message(data);
  secure_zero(seed.data(), seed.size());
  secure_zero(data.data(), data.size());
  return out;
}

Result<KeyPair> decode_private_key(ByteSpan protobuf) {
  // By hand, not with the generated parser: it would copy the secret into heap strings
  // that nothing wipes. Only the exact encodings libp2p writes are accepted.
  if (protobuf.size() >= 2 && protobuf[0] == kTypeTag &&
      protobuf[1] != static_cast<uint8_t>(KeyType::ed25519) && protobuf[1] < 0x80) {
    return unsupported_key_type(protobuf[1]);
  }
  const bool modern = protobuf.size() == kEd25519PrivateKeyProtobufLength &&
                      has_prefix(protobuf, {kTypeTag, 0x01, kDataTag, kSeedLength + PublicKey::kSize});
  const bool legacy = protobuf.size() == 4 + kLegacyPrivateDataLength &&
                      has_prefix(protobuf, {kTypeTag, 0x01, kDataTag, kLegacyPrivateDataLength});
  if (!modern && !legacy) {
    return Error{ErrorCode::decode,
                 "PrivateKey: " + std::to_string(protobuf.size()) +
                     " bytes that are not the Ed25519 encoding (68 bytes: 08 01 12 40, seed, "
                     "public key)"};
  }
  const ByteSpan data = protobuf.subspan(4);
  Seed seed = Seed::from_span(data.first(kSeedLength)).value();
  KeyPair pair = KeyPair::from_seed(seed);
  secure_zero(seed.data(), seed.size());
  const ByteSpan stored = data.subspan(kSeedLength, PublicKey::kSize);
  if (!std::equal(stored.begin(), stored.end(), pair.public_key().begin()) ||
      (legacy &&
       !std::equal(stored.begin(), stored.end(), data.subspan(kSeedLength + PublicKey::kSize).begin()))) {
    return Error{ErrorCode::crypto, "PrivateKey: the public key stored with the seed is not the seed's key"};
  }
  return pair;
}

PeerId PeerId::from_public_key(const PublicKey& key) {
  static_assert(kEd25519PublicKeyProtobufLength <= kMaxIdentityDigestLength,
                "Ed25519 keys are inlined in an identity multihash");
  return PeerId(identity_multihash(encode_public_key(key)));
}

Result<PeerId> PeerId::from_multihash(ByteSpan multihash) {
  auto decoded = decode_multihash(multihash);
  if (!decoded) return peer_id_error(decoded.error());
  if (decoded->digest.empty())
    return Error{ErrorCode::decode, "peer id: empty identity multihash names no key"};
  return PeerId(Bytes(multihash.begin(), multihash.end()));
}

Result<PeerId> PeerId::parse(std::string_view text) {
  if (text.empty()) return Error{ErrorCode::decode, "peer id: empty string"};
  if (text.size() > kMaxPeerIdTextLength) {
    return Error{ErrorCode::limit, "peer id: " + std::to_string(text.size()) +
                                       " characters, more than the maximum of " +
                                       std::to_string(kMaxPeerIdTextLength)};
  }
  // The spec's rule: "1..." (identity) and "Qm..." (sha2-256) are bare base58btc
  // multihashes; anything else is a multibase-encoded CID.
  if (text.starts_with('1') || text.starts_with("Qm")) {
    auto bytes = base58_decode(text);
    if (!bytes) return peer_id_error(bytes.error());
    return from_multihash(*bytes);
  }
  auto cid = multibase_decode(text);
  if (!cid) return peer_id_error(cid.error());
  auto version = read_uvarint(*cid);
  if (!version) return peer_id_error(version.error());
  if (version->value != 1) {
    return Error{ErrorCode::decode,
                 "peer id: CID version " + std::to_string(version->value) + ", expected 1"};
  }
  const ByteSpan rest = ByteSpan(*cid).subspan(version->size);
  auto codec = read_uvarint(rest);
  if (!codec) return peer_id_error(codec.error());
  if (codec->value != kLibp2pKeyCodec) {
    return Error{ErrorCode::decode,
                 "peer id: CID codec " + std::to_string(codec->value) + " is not libp2p-key (0x72 = 114)"};
  }
  return from_multihash(rest.subspan(codec->size));
}

std::string PeerId::to_base58() const { return base58_encode(multihash_); }

std::string PeerId::to_cid() const {
  Bytes cid;
  append_uvarint(cid, 1);
  append_uvarint(cid, kLibp2pKeyCodec);
  cid.insert(cid.end(), multihash_.begin(), multihash_.end());
  return multibase_encode_base32(cid);
}

Result<PublicKey> PeerId::public_key() const {
  // Cannot fail: every PeerId holds a multihash that decoded.
  const Multihash decoded = decode_multihash(multihash_).value();
  if (decoded.code != MultihashCode::identity) {
    return Error{ErrorCode::not_found,
                 "peer id " + to_base58() + " is a sha2-256 hash and does not embed its key"};
  }
  return decode_public_key(decoded.digest);
}

}  // namespace cairn::net
