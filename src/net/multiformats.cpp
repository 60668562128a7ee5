#include "net/multiformats.h"

#include <array>
#include <cassert>

#include <sodium.h>

#include "crypto/ed25519.h"

namespace cairn::net {
namespace {

constexpr std::string_view kBase58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

// The value of each character in an alphabet, or -1.
template <size_t N>
constexpr std::array<int8_t, 256> reverse_alphabet(std::string_view alphabet) {
  std::array<int8_t, 256> rev{};
  rev.fill(-1);
  for (size_t i = 0; i < N; ++i) rev[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return rev;
}
constexpr auto kBase58Rev = reverse_alphabet<58>(kBase58Alphabet);
constexpr auto kBase32Rev = reverse_alphabet<32>(kBase32Alphabet);

Error decode_error(std::string message) { return Error{ErrorCode::decode, std::move(message)}; }

// A character for an error message: printable ASCII quoted, anything else as a hex byte
// (the input may be arbitrary bytes from a peer).
std::string describe(char c) {
  const auto u = static_cast<uint8_t>(c);
  if (u >= 0x21 && u <= 0x7e) return std::string("'") + c + "'";
  return "byte 0x" + to_hex(std::array<uint8_t, 1>{u});
}

std::string hex_code(uint64_t code) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[code & 0xf]);
    code >>= 4;
  } while (code != 0);
  return "0x" + out;
}

}  // namespace

void append_uvarint(Bytes& out, uint64_t value) {
  assert(value <= kMaxUvarintValue && "append_uvarint: multiformats varints hold 63 bits");
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

size_t uvarint_size(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

Result<std::optional<Uvarint>> read_uvarint_prefix(ByteSpan in) {
  uint64_t value = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (i == kMaxUvarintBytes) break;
    const uint8_t byte = in[i];
    value |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      // A last byte of zero (after the first) adds nothing: a shorter encoding exists.
      if (byte == 0 && i > 0) return decode_error("uvarint: not minimally encoded");
      return std::optional<Uvarint>(Uvarint{value, i + 1});
    }
  }
  if (in.size() >= kMaxUvarintBytes) {
    return decode_error("uvarint: longer than " + std::to_string(kMaxUvarintBytes) + " bytes");
  }
  return std::optional<Uvarint>();
}

Result<Uvarint> read_uvarint(ByteSpan in) {
  CAIRN_TRY(auto prefix, read_uvarint_prefix(in));
  if (!prefix) return decode_error("uvarint: truncated");
  return *prefix;
}

std::string base58_encode(ByteSpan data) {
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // Base-58 digits, least significant first: log(256)/log(58) < 1.37 digits per byte.
  std::vector<uint8_t> digits;
  digits.reserve((data.size() - zeros) * 137 / 100 + 1);
  for (size_t i = zeros; i < data.size(); ++i) {
    uint32_t carry = data[i];
    for (uint8_t& d : digits) {
      carry += uint32_t{d} << 8;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry != 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kBase58Alphabet[*it]);
  return out;
}

Result<Bytes> base58_decode(std::string_view text) {
  if (text.size() > kMaxBase58Length) {
    return Error{ErrorCode::limit, "base58btc: " + std::to_string(text.size()) +
                                       " characters, more than the maximum of " +
                                       std::to_string(kMaxBase58Length)};
  }
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // Base-256 bytes, least significant first.
  Bytes bytes;
  for (size_t i = ones; i < text.size(); ++i) {
    const int8_t value = kBase58Rev[static_cast<uint8_t>(text[i])];
    if (value < 0) {
      return decode_error("base58btc: invalid character " + describe(text[i]) + " at position " +
                          std::to_string(i));
    }
    auto carry = static_cast<uint32_t>(value);
    for (uint8_t& b : bytes) {
      carry += uint32_t{b} * 58;
      b = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
    while (carry != 0) {
      bytes.push_back(static_cast<uint8_t>(carry));
      carry >>= 8;
    }
  }
  Bytes out(ones, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

std::string base32_encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 31]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  // Unpadded RFC 4648: a final group of 1, 3 or 6 characters cannot come from whole bytes.
  const size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return decode_error("base32: " + std::to_string(text.size()) +
                        " characters is not a possible unpadded length");
  }
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int8_t value = kBase32Rev[static_cast<uint8_t>(text[i])];
    if (value < 0) {
      return decode_error("base32: invalid character " + describe(text[i]) + " at position " +
                          std::to_string(i) + " (lower-case RFC 4648 alphabet, no padding)");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  // The bits left over pad the last character; non-zero ones would give a second
  // spelling of the same bytes.
  if (buffer != 0) return decode_error("base32: non-zero padding bits in the last character");
  return out;
}

std::string multibase_encode_base32(ByteSpan data) { return "b" + base32_encode(data); }

Result<Bytes> multibase_decode(std::string_view text) {
  if (text.empty()) return decode_error("multibase: empty string");
  switch (text[0]) {
    case 'b':
      return base32_decode(text.substr(1));
    case 'z':
      return base58_decode(text.substr(1));
    default:
      return decode_error("multibase: unsupported prefix " + describe(text[0]) +
                          " (Cairn reads 'b' base32 and 'z' base58btc)");
  }
}

Bytes encode_multihash(MultihashCode code, ByteSpan digest) {
  assert((code == MultihashCode::identity && digest.size() <= kMaxIdentityDigestLength) ||
         (code == MultihashCode::sha2_256 && digest.size() == kSha256DigestLength));
  Bytes out;
  out.reserve(2 + digest.size());
  append_uvarint(out, static_cast<uint64_t>(code));
  append_uvarint(out, digest.size());
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

Bytes identity_multihash(ByteSpan data) { return encode_multihash(MultihashCode::identity, data); }

Bytes sha256_multihash(ByteSpan data) {
  static_assert(crypto_hash_sha256_BYTES == kSha256DigestLength);
  ensure_sodium_initialised();
  std::array<uint8_t, kSha256DigestLength> digest{};
  crypto_hash_sha256(digest.data(), data.data(), data.size());
  return encode_multihash(MultihashCode::sha2_256, digest);
}

Result<Multihash> decode_multihash(ByteSpan bytes) {
  auto code = read_uvarint(bytes);
  if (!code) return decode_error("multihash code: " + code.error().message);
  auto length = read_uvarint(bytes.subspan(code->size));
  if (!length) return decode_error("multihash length: " + length.error().message);
  const ByteSpan digest = bytes.subspan(code->size + length->size);

  Multihash out{MultihashCode::identity, {}};
  if (code->value == static_cast<uint64_t>(MultihashCode::identity)) {
    if (length->value > kMaxIdentityDigestLength) {
      return Error{ErrorCode::limit, "multihash: identity digest of " + std::to_string(length->value) +
                                         " bytes, more than the maximum of " +
                                         std::to_string(kMaxIdentityDigestLength)};
    }
  } else if (code->value == static_cast<uint64_t>(MultihashCode::sha2_256)) {
    if (length->value != kSha256DigestLength) {
      return decode_error("multihash: sha2-256 digest length " + std::to_string(length->value) +
                          ", expected 32");
    }
    out.code = MultihashCode::sha2_256;
  } else {
    return decode_error("multihash: unsupported hash code " + hex_code(code->value));
  }
  if (digest.size() != length->value) {
    return decode_error("multihash: digest length " + std::to_string(length->value) + " but " +
                        std::to_string(digest.size()) + " bytes follow");
  }
  out.digest.assign(digest.begin(), digest.end());
  return out;
}

}  // namespace cairn::net
