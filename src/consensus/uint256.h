// An unsigned 256-bit integer for consensus arithmetic: proof-of-work targets, block work
// and cumulative chain work. Plain value type, thread-compatible.
//
// Every operation that can lose bits says so: the checked_* functions return nullopt when
// the exact result does not fit in 256 bits; the shifts drop bits by definition (as C++
// shifts do) and say so in their names. Bytes in and out are 32-byte big-endian, the order
// in which hashes compare (docs/consensus.md §2).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "util/bytes.h"

namespace cairn {

class Uint256 {
 public:
  static constexpr unsigned kBits = 256;

  constexpr Uint256() = default;
  static constexpr Uint256 from_u64(uint64_t v) {
    Uint256 out;
    out.limbs_[0] = v;
    return out;
  }
  static Uint256 from_be_bytes(const FixedBytes<32>& bytes);
  FixedBytes<32> to_be_bytes() const;
  std::string hex() const { return to_be_bytes().hex(); }

  bool is_zero() const { return (limbs_[0] | limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  // The number of significant bits: 0 for zero, 256 when the top bit is set.
  unsigned bit_length() const;
  // The low 64 bits.
  uint64_t low_u64() const { return limbs_[0]; }

  std::optional<Uint256> checked_add(const Uint256& other) const;
  std::optional<Uint256> checked_sub(const Uint256& other) const;
  std::optional<Uint256> checked_mul(uint64_t factor) const;
  // this << shift; nullopt when a set bit would be shifted out.
  std::optional<Uint256> checked_shl(unsigned shift) const;
  // this << shift and this >> shift, dropping the bits that leave the 256-bit range.
  Uint256 shl_truncating(unsigned shift) const;
  Uint256 shr(unsigned shift) const;
  // Bitwise complement: 2^256 - 1 - this.
  Uint256 operator~() const;
  // Floor division; nullopt when divisor is zero.
  std::optional<Uint256> checked_div(const Uint256& divisor) const;

  std::strong_ordering operator<=>(const Uint256& other) const;
  bool operator==(const Uint256& other) const = default;

 private:
  // this - other modulo 2^256.
  Uint256 wrapping_sub(const Uint256& other) const;

  std::array<uint64_t, 4> limbs_{};  // little-endian limbs: limbs_[0] least significant
};

}  // namespace cairn
