#include "crypto/bech32m.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>

namespace cairn {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr size_t kChecksumLength = 6;
constexpr size_t kMaxHrpLength = 83;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;
// Bech32 (BIP-173) uses 1 instead; a match there earns a more helpful error message.
constexpr uint32_t kBech32Constant = 1;

// The value of each charset character (lower case), or -1.
constexpr std::array<int8_t, 128> kCharsetRev = [] {
  std::array<int8_t, 128> rev{};
  rev.fill(-1);
  for (size_t i = 0; i < kCharset.size(); ++i) {
    rev[static_cast<uint8_t>(kCharset[i])] = static_cast<int8_t>(i);
  }
  return rev;
}();

// One step of the BCH checksum of BIP-173: multiply by x and add `value` in GF(32)[x]
// modulo the generator.
uint32_t polymod_step(uint32_t chk, uint8_t value) {
  static constexpr std::array<uint32_t, 5> kGenerator{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                      0x2a1462b3};
  const uint32_t top = chk >> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ value;
  for (size_t i = 0; i < kGenerator.size(); ++i) {
    if ((top >> i) & 1) chk ^= kGenerator[i];
  }
  return chk;
}

// The checksum state after the expanded HRP: high bits of each character, 0, low bits.
// `hrp` must already be lower case (the checksum is defined over the lower-case form).
uint32_t hrp_checksum_state(std::string_view hrp) {
  uint32_t chk = 1;
  for (char c : hrp) chk = polymod_step(chk, static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  chk = polymod_step(chk, 0);
  for (char c : hrp) chk = polymod_step(chk, static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  return chk;
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool in_hrp_range(char c) { return static_cast<uint8_t>(c) >= 33 && static_cast<uint8_t>(c) <= 126; }

[[maybe_unused]] bool is_lower_hrp(std::string_view hrp) {
  if (hrp.empty() || hrp.size() > kMaxHrpLength) return false;
  return std::all_of(hrp.begin(), hrp.end(), [](char c) { return in_hrp_range(c) && to_lower(c) == c; });
}

// A character for an error message: printable ASCII quoted, anything else as a hex byte
// (the input may be arbitrary bytes).
std::string describe(char c) {
  if (in_hrp_range(c)) return std::string("'") + c + "'";
  return "byte 0x" + to_hex(std::array<uint8_t, 1>{static_cast<uint8_t>(c)});
}

Error decode_error(std::string message) { return Error{ErrorCode::decode, "bech32m: " + std::move(message)}; }

}  // namespace

std::string bech32m_encode(std::string_view hrp, ByteSpan data5) {
  assert(is_lower_hrp(hrp) && "bech32m_encode: HRP must be 1..83 lower-case characters in [33, 126]");
  assert(hrp.size() + 1 + data5.size() + kChecksumLength <= kBech32MaxLength &&
         "bech32m_encode: result would exceed 90 characters");
  std::string out;
  out.reserve(hrp.size() + 1 + data5.size() + kChecksumLength);
  out.append(hrp);
  out.push_back('1');
  uint32_t chk = hrp_checksum_state(hrp);
  for (uint8_t value : data5) {
    assert(value < 32 && "bech32m_encode: data values are 5-bit");
    chk = polymod_step(chk, value);
    out.push_back(kCharset[value]);
  }
  for (size_t i = 0; i < kChecksumLength; ++i) chk = polymod_step(chk, 0);
  chk ^= kBech32mConstant;
  for (size_t i = 0; i < kChecksumLength; ++i) {
    out.push_back(kCharset[(chk >> (5 * (kChecksumLength - 1 - i))) & 31]);
  }
  return out;
}

Result<Bech32mString> bech32m_decode(std::string_view text) {
  // The rules are checked in a fixed order, and the error names the first one broken (the
  // order under which each of BIP-350's invalid vectors fails for its stated reason).
  if (text.size() > kBech32MaxLength) {
    return decode_error("string has " + std::to_string(text.size()) +
                        " characters, more than the maximum of " + std::to_string(kBech32MaxLength));
  }
  const size_t separator = text.rfind('1');
  if (separator == std::string_view::npos) return decode_error("no separator '1'");
  if (separator == 0) return decode_error("empty human-readable part");
  const std::string_view hrp = text.substr(0, separator);
  const std::string_view data = text.substr(separator + 1);
  if (data.size() < kChecksumLength) {
    return decode_error("data part has " + std::to_string(data.size()) + " characters, too short for the " +
                        std::to_string(kChecksumLength) + "-character checksum");
  }
  // With at most 90 characters and at least 7 after the HRP, the HRP has at most 83
  // characters, so BIP-173's HRP length rule needs no check of its own.
  static_assert(kBech32MaxLength - 1 - kChecksumLength == kMaxHrpLength);
  for (size_t i = 0; i < hrp.size(); ++i) {
    if (!in_hrp_range(hrp[i])) {
      return decode_error("human-readable part character " + describe(hrp[i]) + " at position " +
                          std::to_string(i) + " is out of range [33, 126]");
    }
  }
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    has_lower = has_lower || (c >= 'a' && c <= 'z');
    has_upper = has_upper || (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper) return decode_error("mixed upper and lower case");

  Bech32mString out;
  out.hrp.reserve(hrp.size());
  for (char c : hrp) out.hrp.push_back(to_lower(c));
  uint32_t chk = hrp_checksum_state(out.hrp);
  out.data.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    const auto c = static_cast<uint8_t>(to_lower(data[i]));
    const int value = c < kCharsetRev.size() ? kCharsetRev[c] : -1;
    if (value < 0) {
      const bool in_checksum = i >= data.size() - kChecksumLength;
      return decode_error(
          std::string(in_checksum ? "invalid checksum character " : "invalid data character ") +
          describe(data[i]) + " at position " + std::to_string(separator + 1 + i));
    }
    chk = polymod_step(chk, static_cast<uint8_t>(value));
    out.data.push_back(static_cast<uint8_t>(value));
  }
  if (chk != kBech32mConstant) {
    if (chk == kBech32Constant) return decode_error("checksum is Bech32 (BIP-173), not Bech32m (BIP-350)");
    return decode_error("checksum mismatch");
  }
  out.data.resize(out.data.size() - kChecksumLength);
  return out;
}

Result<Bytes> convert_bits(ByteSpan in, int from_bits, int to_bits, bool pad) {
  assert(from_bits >= 1 && from_bits <= 8 && to_bits >= 1 && to_bits <= 8 &&
         "convert_bits: groups of 1..8 bits");
  const auto from = static_cast<unsigned>(from_bits);
  const auto to = static_cast<unsigned>(to_bits);
  const uint32_t out_mask = (1u << to) - 1;
  // Only the last from + to - 1 bits matter; masking keeps the accumulator from overflowing.
  const uint32_t acc_mask = (1u << (from + to - 1)) - 1;
  uint32_t acc = 0;
  unsigned bits = 0;
  Bytes out;
  out.reserve((in.size() * from + to - 1) / to);
  for (size_t i = 0; i < in.size(); ++i) {
    if ((in[i] >> from) != 0) {
      return Error{ErrorCode::invalid_argument, "convert_bits: value " + std::to_string(in[i]) +
                                                    " at position " + std::to_string(i) +
                                                    " does not fit in " + std::to_string(from) + " bits"};
    }
    acc = ((acc << from) | in[i]) & acc_mask;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<uint8_t>((acc >> bits) & out_mask));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (to - bits)) & out_mask));
  } else if (bits >= from) {
    return Error{ErrorCode::decode, "convert_bits: " + std::to_string(bits) +
                                        " leftover bits make a whole input group (excess padding)"};
  } else if (((acc << (to - bits)) & out_mask) != 0) {
    return Error{ErrorCode::decode, "convert_bits: non-zero padding bits"};
  }
  return out;
}

}  // namespace cairn
