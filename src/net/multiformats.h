// The multiformats building blocks libp2p is made of: unsigned varints, base58btc, base32,
// multibase and multihash (the multiformats specifications).
//
//   uvarint    LEB128, minimal form only, at most 9 bytes (63 bits) — the multiformats
//              unsigned-varint rule, stricter in size than Cairn's own codec (util/codec.h
//              allows 10 bytes but caps values at 2^32 - 1)
//   base58btc  Bitcoin's alphabet; each leading zero byte is one leading '1'
//   base32     RFC 4648 alphabet in lower case, no padding (multibase prefix 'b')
//   multihash  uvarint code ‖ uvarint digest length ‖ digest; Cairn knows identity (0x00)
//              and sha2-256 (0x12)
//
// Decoding is strict everywhere: a non-minimal varint, a character outside the alphabet,
// non-zero padding bits or trailing bytes are errors (ErrorCode::decode) that say what was
// wrong, so every value has exactly one encoding. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

// The multiformats unsigned-varint spec caps encodings at 9 bytes, that is 63 bits.
inline constexpr size_t kMaxUvarintBytes = 9;
inline constexpr uint64_t kMaxUvarintValue = (uint64_t{1} << 63) - 1;

// Appends the minimal encoding of `value`. REQUIRES: value <= kMaxUvarintValue.
void append_uvarint(Bytes& out, uint64_t value);
size_t uvarint_size(uint64_t value);

struct Uvarint {
  uint64_t value;
  size_t size;  // bytes the encoding took
};

// The uvarint at the start of `in`, or nullopt if `in` ends inside it (more bytes may
// complete it: the form a stream parser needs). Errors: non-minimal, or longer than 9 bytes.
Result<std::optional<Uvarint>> read_uvarint_prefix(ByteSpan in);
// The uvarint at the start of `in`; running out of bytes is an error too.
Result<Uvarint> read_uvarint(ByteSpan in);

// base58btc decoding is quadratic in the input length; nothing Cairn decodes comes close
// to this (a peer id is 46 to 59 characters).
inline constexpr size_t kMaxBase58Length = 256;

std::string base58_encode(ByteSpan data);
Result<Bytes> base58_decode(std::string_view text);

// RFC 4648 base32, lower case, no padding.
std::string base32_encode(ByteSpan data);
Result<Bytes> base32_decode(std::string_view text);

// Multibase: 'b' (base32 lower case, unpadded) is what Cairn writes; decoding also accepts
// 'z' (base58btc). Any other prefix is an error that names it.
std::string multibase_encode_base32(ByteSpan data);
Result<Bytes> multibase_decode(std::string_view text);

// DO NOT CHANGE THESE VALUES: multicodec table entries.
enum class MultihashCode : uint64_t { identity = 0x00, sha2_256 = 0x12 };

inline constexpr size_t kSha256DigestLength = 32;
// libp2p inlines a public key in an identity multihash only up to this length (peer-ids
// spec); longer digests are refused rather than carried around.
inline constexpr size_t kMaxIdentityDigestLength = 42;

struct Multihash {
  MultihashCode code;
  Bytes digest;
  bool operator==(const Multihash&) const = default;
};

// REQUIRES: the digest fits the code (identity: at most 42 bytes; sha2-256: 32 bytes).
Bytes encode_multihash(MultihashCode code, ByteSpan digest);
// The identity multihash of `data` (no hashing). REQUIRES: data.size() <= 42.
Bytes identity_multihash(ByteSpan data);
// The sha2-256 multihash of `data` (libsodium's SHA-256).
Bytes sha256_multihash(ByteSpan data);
// Decodes a whole multihash: a known code, a digest length that fits it, no bytes after.
Result<Multihash> decode_multihash(ByteSpan bytes);

}  // namespace cairn::net
