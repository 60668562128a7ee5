// Byte strings, fixed-size byte arrays and hex.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace cairn {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

std::string to_hex(ByteSpan bytes);
// Accepts lower- or upper-case hex of even length; anything else is an Error.
Result<Bytes> from_hex(std::string_view hex);

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fixed-size byte array: hashes, keys, signatures. Compares as a big-endian unsigned
// integer (byte 0 most significant), which is plain lexicographic byte order.
template <size_t N>
struct FixedBytes {
  static constexpr size_t kSize = N;
  std::array<uint8_t, N> bytes{};

  uint8_t* data() { return bytes.data(); }
  const uint8_t* data() const { return bytes.data(); }
  static constexpr size_t size() { return N; }
  auto begin() const { return bytes.begin(); }
  auto end() const { return bytes.end(); }
  operator ByteSpan() const { return bytes; }  // NOLINT(google-explicit-constructor)
  std::span<uint8_t, N> span() { return bytes; }

  bool is_zero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
  }
  std::string hex() const { return to_hex(bytes); }

  // Copies exactly N bytes; anything else is an Error.
  static Result<FixedBytes> from_span(ByteSpan in) {
    if (in.size() != N) {
      return Error{ErrorCode::invalid_argument,
                   "expected " + std::to_string(N) + " bytes, got " + std::to_string(in.size())};
    }
    FixedBytes out;
    std::copy(in.begin(), in.end(), out.bytes.begin());
    return out;
  }
  static Result<FixedBytes> from_hex(std::string_view hex) {
    auto raw = cairn::from_hex(hex);
    if (!raw) return raw.error();
    return from_span(*raw);
  }

  auto operator<=>(const FixedBytes&) const = default;
  bool operator==(const FixedBytes&) const = default;
};

// Overwrites memory that held a secret; the compiler may not elide it.
void secure_zero(void* data, size_t size);

}  // namespace cairn
