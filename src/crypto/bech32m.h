// Bech32m (BIP-350) strings: human-readable part, separator '1', 5-bit data, checksum.
//
// Decoding follows BIP-173/350 exactly: total length <= 90, HRP of 1..83 characters in
// [33, 126], no mixed case, at least 6 checksum characters, only charset characters, and
// the Bech32m checksum constant 0x2bc830a3. Errors say which rule failed.
#pragma once

#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn {

inline constexpr size_t kBech32MaxLength = 90;

struct Bech32mString {
  std::string hrp;  // lower case
  Bytes data;       // 5-bit values (0..31), checksum removed
};

// `hrp` must be valid lower-case HRP, every data value < 32 and the result at most 90
// characters (asserted: programmer error).
std::string bech32m_encode(std::string_view hrp, ByteSpan data5);
Result<Bech32mString> bech32m_decode(std::string_view text);

// Regroups bits (8 -> 5 with pad = true when encoding; 5 -> 8 with pad = false when
// decoding, which rejects non-zero padding and incomplete groups as BIP-173 requires).
Result<Bytes> convert_bits(ByteSpan in, int from_bits, int to_bits, bool pad);

}  // namespace cairn
