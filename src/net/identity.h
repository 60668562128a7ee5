// libp2p identities: Ed25519 keys in libp2p's protobuf key encoding, and peer ids
// (libp2p/specs peer-ids/peer-ids.md).
//
//   PublicKey protobuf  = { Type = 1 (Ed25519), Data = 32-byte key }, deterministic encoding:
//                         08 01 12 20 <key>  (36 bytes)
//   PrivateKey protobuf = { Type = 1 (Ed25519), Data = seed ‖ public key }:
//                         08 01 12 40 <seed> <key>  (68 bytes)
//   peer id             = identity multihash (code 0x00) of the PublicKey encoding (it is
//                         <= 42 bytes); keys that encode longer (RSA) are named by their
//                         sha2-256 multihash instead, and such ids are parsed too
//   text forms          = base58btc of the multihash ("12D3KooW..." for Ed25519), or CIDv1
//                         with codec libp2p-key (0x72) in multibase base32 ("bafz...")
//
// Cairn's own identities are Ed25519 only; decoding another key type is an Error that says
// so. Everything here is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

// DO NOT CHANGE THESE VALUES: libp2p's KeyType enum.
enum class KeyType : int { rsa = 0, ed25519 = 1, secp256k1 = 2, ecdsa = 3 };

// Sizes of the Ed25519 encodings above.
inline constexpr size_t kEd25519PublicKeyProtobufLength = 36;
inline constexpr size_t kEd25519PrivateKeyProtobufLength = 68;
// A PublicKey message longer than this is refused before parsing. The largest key a libp2p
// peer sends is RSA (a 4096-bit DER key is about 550 bytes); Cairn rejects those anyway,
// but with an error naming the key type rather than the size.
inline constexpr size_t kMaxPublicKeyProtobufLength = 1024;
// Text forms are refused above this length before decoding; the longest real peer id
// (a sha2-256 CID) is 59 characters.
inline constexpr size_t kMaxPeerIdTextLength = 128;
// libp2p's multicodec for a public key inside a CID.
inline constexpr uint64_t kLibp2pKeyCodec = 0x72;

// The deterministic protobuf encoding of an Ed25519 libp2p PublicKey.
Bytes encode_public_key(const PublicKey& key);
// Decodes a libp2p PublicKey protobuf; only Ed25519 keys are accepted.
Result<PublicKey> decode_public_key(ByteSpan protobuf);

// The deterministic protobuf encoding of an Ed25519 libp2p PrivateKey (the node key file).
// The caller owns the secret in the result and should wipe it (secure_zero) when done.
Bytes encode_private_key(const KeyPair& key);
// Decodes exactly the 68-byte encoding above, or the legacy 100-byte one whose Data repeats
// the public key (the spec asks readers to accept it); the public key(s) in Data must be
// the one the seed derives.
Result<KeyPair> decode_private_key(ByteSpan protobuf);

class PeerId {
 public:
  static PeerId from_public_key(const PublicKey& key);
  // Accepts the base58btc multihash form and the CIDv1 (multibase) form.
  static Result<PeerId> parse(std::string_view text);
  // From the binary multihash (as carried in /p2p/ multiaddr components).
  static Result<PeerId> from_multihash(ByteSpan multihash);

  const Bytes& multihash() const { return multihash_; }
  std::string to_base58() const;
  std::string to_cid() const;
  // The Ed25519 key an identity-multihash peer id embeds, if it does.
  Result<PublicKey> public_key() const;

  auto operator<=>(const PeerId&) const = default;

 private:
  explicit PeerId(Bytes multihash) : multihash_(std::move(multihash)) {}
  Bytes multihash_;
};

}  // namespace cairn::net
