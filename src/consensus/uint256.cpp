#include "consensus/uint256.h"

namespace cairn {
namespace {

__extension__ using u128 = unsigned __int128;  // GCC extension, for carries

}  // namespace

Uint256 Uint256::from_be_bytes(const FixedBytes<32>& bytes) {
  Uint256 out;
  for (size_t i = 0; i < 32; ++i) {
    const size_t limb = (31 - i) / 8;
    out.limbs_[limb] = (out.limbs_[limb] << 8) | bytes.bytes[i];
  }
  return out;
}

FixedBytes<32> Uint256::to_be_bytes() const {
  FixedBytes<32> out;
  for (size_t i = 0; i < 32; ++i) {
    const size_t byte_from_low = 31 - i;
    out.bytes[i] = static_cast<uint8_t>(limbs_[byte_from_low / 8] >> (8 * (byte_from_low % 8)));
  }
  return out;
}

unsigned Uint256::bit_length() const {
  for (size_t i = 4; i-- > 0;) {
    if (limbs_[i] != 0)
      return static_cast<unsigned>(64 * i) + 64 - static_cast<unsigned>(__builtin_clzll(limbs_[i]));
  }
  return 0;
}

std::optional<Uint256> Uint256::checked_add(const Uint256& other) const {
  Uint256 out;
  uint64_t carry = 0;
  for (size_t i = 0; i < 4; ++i) {
    const u128 s = static_cast<u128>(limbs_[i]) + other.limbs_[i] + carry;
    out.limbs_[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  if (carry != 0) return std::nullopt;
  return out;
}

std::optional<Uint256> Uint256::checked_sub(const Uint256& other) const {
  if (*this < other) return std::nullopt;
  return wrapping_sub(other);
}

Uint256 Uint256::wrapping_sub(const Uint256& other) const {
  Uint256 out;
  uint64_t borrow = 0;
  for (size_t i = 0; i < 4; ++i) {
    const uint64_t a = limbs_[i];
    const uint64_t b = other.limbs_[i];
    out.limbs_[i] = a - b - borrow;
    borrow = (a < b || (a == b && borrow != 0)) ? 1 : 0;
  }
  return out;
}

std::optional<Uint256> Uint256::checked_mul(uint64_t factor) const {
  Uint256 out;
  uint64_t carry = 0;
  for (size_t i = 0; i < 4; ++i) {
    const u128 p = static_cast<u128>(limbs_[i]) * factor + carry;
    out.limbs_[i] = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  if (carry != 0) return std::nullopt;
  return out;
}

std::optional<Uint256> Uint256::checked_shl(unsigned shift) const {
  if (is_zero()) return *this;
  if (shift >= kBits || bit_length() + shift > kBits) return std::nullopt;
  return shl_truncating(shift);
}

Uint256 Uint256::shl_truncating(unsigned shift) const {
  Uint256 out;
  if (shift >= kBits) return out;
  const unsigned limb_shift = shift / 64;
  const unsigned bit_shift = shift % 64;
  for (size_t i = 4; i-- > limb_shift;) {
    const size_t from = i - limb_shift;
    uint64_t v = limbs_[from] << bit_shift;
    if (bit_shift != 0 && from > 0) v |= limbs_[from - 1] >> (64 - bit_shift);
    out.limbs_[i] = v;
  }
  return out;
}

Uint256 Uint256::shr(unsigned shift) const {
  Uint256 out;
  if (shift >= kBits) return out;
  const unsigned limb_shift = shift / 64;
  const unsigned bit_shift = shift % 64;
  for (size_t i = 0; i + limb_shift < 4; ++i) {
    const size_t from = i + limb_shift;
    uint64_t v = limbs_[from] >> bit_shift;
    if (bit_shift != 0 && from + 1 < 4) v |= limbs_[from + 1] << (64 - bit_shift);
    out.limbs_[i] = v;
  }
  return out;
}

Uint256 Uint256::operator~() const {
  Uint256 out;
  for (size_t i = 0; i < 4; ++i) out.limbs_[i] = ~limbs_[i];
  return out;
}

// Schoolbook binary long division: at most 256 shift-and-subtract rounds. Only block work
// uses it (once per header), so clarity wins over speed.
std::optional<Uint256> Uint256::checked_div(const Uint256& divisor) const {
  if (divisor.is_zero()) return std::nullopt;
  Uint256 quotient;
  Uint256 remainder;
  for (unsigned bit = bit_length(); bit-- > 0;) {
    // A remainder with its top bit set exceeds every divisor once shifted; the shifted-out
    // bit is then cancelled by the subtraction, which wraps modulo 2^256.
    const bool carried = remainder.bit_length() == kBits;
    remainder = remainder.shl_truncating(1);
    remainder.limbs_[0] |= (limbs_[bit / 64] >> (bit % 64)) & 1;
    if (carried || remainder >= divisor) {
      remainder = remainder.wrapping_sub(divisor);
      quotient.limbs_[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  return quotient;
}

std::strong_ordering Uint256::operator<=>(const Uint256& other) const {
  for (size_t i = 4; i-- > 0;) {
    if (limbs_[i] != other.limbs_[i]) return limbs_[i] <=> other.limbs_[i];
  }
  return std::strong_ordering::equal;
}

}  // namespace cairn
