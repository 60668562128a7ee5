#include "consensus/pow.h"

namespace cairn {
namespace {

constexpr uint32_t kMantissaMask = 0x007fffff;
constexpr uint32_t kSignBit = 0x00800000;

}  // namespace

std::optional<Uint256> decode_compact(uint32_t compact) {
  const unsigned exponent = compact >> 24;
  uint32_t mantissa = compact & kMantissaMask;
  if (mantissa != 0 && (compact & kSignBit) != 0) return std::nullopt;
  if (exponent <= 3) {
    mantissa >>= 8 * (3 - exponent);
    return Uint256::from_u64(mantissa);
  }
  // Bitcoin's overflow rule: the mantissa's top non-zero byte must land within 32 bytes.
  if (mantissa != 0 &&
      (exponent > 34 || (mantissa > 0xff && exponent > 33) || (mantissa > 0xffff && exponent > 32))) {
    return std::nullopt;
  }
  return Uint256::from_u64(mantissa).shl_truncating(8 * (exponent - 3));
}

uint32_t encode_compact(const Uint256& target) {
  unsigned size = (target.bit_length() + 7) / 8;
  uint32_t mantissa = size <= 3 ? static_cast<uint32_t>(target.low_u64() << (8 * (3 - size)))
                                : static_cast<uint32_t>(target.shr(8 * (size - 3)).low_u64());
  // The sign bit belongs to the encoding: a mantissa that would set it gives up its low byte.
  if ((mantissa & kSignBit) != 0) {
    mantissa >>= 8;
    ++size;
  }
  return mantissa | (static_cast<uint32_t>(size) << 24);
}

bool hash_meets_target(const BlockHash& hash, const Uint256& target) { return hash <= target.to_be_bytes(); }

bool check_pow(const BlockHeader& header) {
  const auto target = decode_compact(header.target);
  if (!target || target->is_zero()) return false;
  return hash_meets_target(block_hash(header), *target);
}

Uint256 block_work(uint32_t compact) {
  const auto target = decode_compact(compact);
  if (!target || target->is_zero()) return Uint256{};
  // 2^256 / (target + 1) = (2^256 - 1 - target) / (target + 1) + 1, which stays in 256 bits.
  // target + 1 cannot overflow: a compact target has at most 23 significant bits.
  const Uint256 divisor = *target->checked_add(Uint256::from_u64(1));
  return *(~*target).checked_div(divisor)->checked_add(Uint256::from_u64(1));
}

}  // namespace cairn
