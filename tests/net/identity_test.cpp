#include "net/identity.h"

#include <gtest/gtest.h>

#include "keys.pb.h"
#include "net/multiformats.h"

namespace cairn::net {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// libp2p/specs peer-ids/peer-ids.md, "Test vectors": an Ed25519 key pair as protobufs.
constexpr std::string_view kSpecPrivateKey =
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3"
    "b34b"
    "871c3cacf6010f0e42d474fce27e";
constexpr std::string_view kSpecPublicKey =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
// The peer id of that key, as go-, js- and rust-libp2p print it, and its CIDv1 form
// (both recomputed independently with Python's base64 and a base58 encoder).
constexpr std::string_view kSpecPeerId = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr std::string_view kSpecPeerCid = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
// The spec's example sha2-256 (RSA) peer id.
constexpr std::string_view kSpecSha256PeerId = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

void expect_error(const Error& e, ErrorCode code, std::string_view part) {
  EXPECT_EQ(e.code, code) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos) << "\"" << e.message << "\" lacks \"" << part << "\"";
}

TEST(Identity, SpecKeyVectors) {
  auto pair = decode_private_key(hex(kSpecPrivateKey));
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  EXPECT_EQ(to_hex(encode_public_key(pair->public_key())), kSpecPublicKey);
  EXPECT_EQ(to_hex(encode_private_key(*pair)), kSpecPrivateKey);
  EXPECT_EQ(encode_public_key(pair->public_key()).size(), kEd25519PublicKeyProtobufLength);
  auto decoded = decode_public_key(hex(kSpecPublicKey));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, pair->public_key());
}

TEST(Identity, HandEncodingMatchesProtobuf) {
  const KeyPair pair = KeyPair::from_seed(Seed::from_hex(std::string(64, 'a')).value());
  pb::PublicKey pub;
  pub.set_type(pb::Ed25519);
  pub.set_data(std::string(pair.public_key().begin(), pair.public_key().end()));
  const std::string pub_bytes = pub.SerializeAsString();
  EXPECT_EQ(encode_public_key(pair.public_key()), Bytes(pub_bytes.begin(), pub_bytes.end()));

  const Bytes ours = encode_private_key(pair);
  pb::PrivateKey priv;
  ASSERT_TRUE(priv.ParseFromArray(ours.data(), static_cast<int>(ours.size())));
  const std::string priv_bytes = priv.SerializeAsString();
  EXPECT_EQ(ours, Bytes(priv_bytes.begin(), priv_bytes.end()));
  EXPECT_EQ(ours.size(), kEd25519PrivateKeyProtobufLength);
}

TEST(Identity, DecodePublicKeyErrors) {
  // Fields in the other order are valid protobuf: accepted, as other implementations do.
  auto reordered =
      decode_public_key(hex("12201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e0801"));
  ASSERT_TRUE(reordered.ok());
  EXPECT_EQ(to_hex(encode_public_key(*reordered)), kSpecPublicKey);

  expect_error(decode_public_key(hex("0801")).error(), ErrorCode::decode, "required Type and Data");
  expect_error(decode_public_key({}).error(), ErrorCode::decode, "required Type and Data");
  expect_error(decode_public_key(hex("ffff")).error(), ErrorCode::decode, "not a protobuf");
  // The spec's secp256k1 public key: a real key, of a type Cairn does not take.
  expect_error(
      decode_public_key(hex("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99"))
          .error(),
      ErrorCode::crypto, "Secp256k1");
  expect_error(decode_public_key(hex("0801121f" + std::string(62, '1'))).error(), ErrorCode::crypto,
               "31 bytes");
  Bytes extended = hex(kSpecPublicKey);
  extended.insert(extended.end(), {0x18, 0x01});  // field 3: not in the message
  expect_error(decode_public_key(extended).error(), ErrorCode::decode, "unknown fields");
  // The size limit, at its boundary: one byte over is refused before parsing.
  Bytes big = hex("0800");
  big.push_back(0x12);
  append_uvarint(big, kMaxPublicKeyProtobufLength - big.size() - 2);
  big.resize(kMaxPublicKeyProtobufLength, 0);
  expect_error(decode_public_key(big).error(), ErrorCode::crypto, "RSA");
  big.push_back(0);
  expect_error(decode_public_key(big).error(), ErrorCode::limit, "maximum of 1024");
}

TEST(Identity, DecodePrivateKeyForms) {
  const Bytes spec = hex(kSpecPrivateKey);
  // The legacy 96-byte Data: seed, public key, public key again.
  Bytes legacy = {0x08, 0x01, 0x12, 0x60};
  legacy.insert(legacy.end(), spec.begin() + 4, spec.end());
  legacy.insert(legacy.end(), spec.end() - 32, spec.end());
  auto pair = decode_private_key(legacy);
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  EXPECT_EQ(to_hex(encode_public_key(pair->public_key())), kSpecPublicKey);

  Bytes mismatched_copy = legacy;
  mismatched_copy.back() ^= 1;
  expect_error(decode_private_key(mismatched_copy).error(), ErrorCode::crypto, "not the seed's key");
  Bytes wrong_public = spec;
  wrong_public.back() ^= 1;
  expect_error(decode_private_key(wrong_public).error(), ErrorCode::crypto, "not the seed's key");
  expect_error(decode_private_key(Bytes(spec.begin(), spec.end() - 1)).error(), ErrorCode::decode,
               "67 bytes");
  expect_error(decode_private_key({}).error(), ErrorCode::decode, "0 bytes");
  expect_error(
      decode_private_key(hex("0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb"))
          .error(),
      ErrorCode::crypto, "Secp256k1");
}

TEST(PeerId, SpecVector) {
  const PublicKey key = decode_public_key(hex(kSpecPublicKey)).value();
  const PeerId id = PeerId::from_public_key(key);
  EXPECT_EQ(to_hex(id.multihash()), "0024" + std::string(kSpecPublicKey));
  EXPECT_EQ(id.to_base58(), kSpecPeerId);
  EXPECT_EQ(id.to_cid(), kSpecPeerCid);
  EXPECT_EQ(PeerId::parse(kSpecPeerId).value(), id);
  EXPECT_EQ(PeerId::parse(kSpecPeerCid).value(), id);
  EXPECT_EQ(id.public_key().value(), key);
}

TEST(PeerId, GeneratedKeysStartWith12D3KooW) {
  for (int i = 0; i < 8; ++i) {
    const KeyPair pair = KeyPair::generate();
    const PeerId id = PeerId::from_public_key(pair.public_key());
    EXPECT_TRUE(id.to_base58().starts_with("12D3KooW")) << id.to_base58();
    EXPECT_TRUE(id.to_cid().starts_with("bafz")) << id.to_cid();
    EXPECT_EQ(PeerId::parse(id.to_cid()).value(), id);
    EXPECT_EQ(PeerId::from_multihash(id.multihash()).value(), id);
  }
}

TEST(PeerId, Sha256Ids) {
  auto id = PeerId::parse(kSpecSha256PeerId);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->to_base58(), kSpecSha256PeerId);
  EXPECT_EQ(PeerId::parse(id->to_cid()).value(), *id);
  expect_error(id->public_key().error(), ErrorCode::not_found, "does not embed its key");
}

TEST(PeerId, ParseErrors) {
  expect_error(PeerId::parse("").error(), ErrorCode::decode, "empty");
  expect_error(PeerId::parse(std::string(kMaxPeerIdTextLength + 1, '1')).error(), ErrorCode::limit,
               "maximum of 128");
  // Exactly at the limit it is decoded (and then fails as a multihash, not on length).
  expect_error(PeerId::parse(std::string(kMaxPeerIdTextLength, '1')).error(), ErrorCode::decode, "multihash");
  expect_error(PeerId::parse("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p0").error(),
               ErrorCode::decode, "invalid character '0'");
  Bytes truncated = PeerId::parse(kSpecPeerId)->multihash();
  truncated.pop_back();
  expect_error(PeerId::parse(base58_encode(truncated)).error(), ErrorCode::decode, "36 but 35 bytes follow");
  // Dropping a character instead changes the whole number: here into an over-long digest.
  expect_error(PeerId::parse(kSpecPeerId.substr(0, kSpecPeerId.size() - 1)).error(), ErrorCode::limit,
               "maximum of 42");
  expect_error(PeerId::parse("k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8").error(),
               ErrorCode::decode, "unsupported prefix 'k'");
  // A CIDv1 with the raw codec (0x55) instead of libp2p-key.
  Bytes raw_cid = {0x01, 0x55};
  const Bytes mh = identity_multihash(hex(kSpecPublicKey));
  raw_cid.insert(raw_cid.end(), mh.begin(), mh.end());
  expect_error(PeerId::parse(multibase_encode_base32(raw_cid)).error(), ErrorCode::decode, "not libp2p-key");
  Bytes v2 = raw_cid;
  v2[0] = 0x02;
  expect_error(PeerId::parse(multibase_encode_base32(v2)).error(), ErrorCode::decode, "CID version 2");
  expect_error(PeerId::from_multihash(hex("0000")).error(), ErrorCode::decode, "names no key");
  expect_error(PeerId::from_multihash(hex("1302aabb")).error(), ErrorCode::decode, "unsupported hash code");
}

}  // namespace
}  // namespace cairn::net
