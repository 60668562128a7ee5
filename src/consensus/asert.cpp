#include "consensus/asert.h"

#include <cassert>
#include <optional>

#include "consensus/pow.h"
#include "consensus/uint256.h"

namespace cairn {
namespace {

// GCC's 128-bit integers (__extension__: not ISO C++, but exact and available everywhere
// Cairn builds).
__extension__ using i128 = __int128;
__extension__ using u128 = unsigned __int128;

constexpr int64_t kRadix = 65536;  // the exponent's fixed point: 16 fractional bits

// 65536 * 2^(frac / 65536) for frac in [0, 65536), by aserti3-2d's cubic with its constants
// and rounding (the +2^47 before the shift by 48). The products fit 128 bits comfortably.
uint64_t fixed_point_pow2(uint64_t frac) {
  const u128 f = frac;
  const u128 poly =
      u128{195'766'423'245'049} * f + u128{971'821'376} * f * f + u128{5'127} * f * f * f + (u128{1} << 47);
  return static_cast<uint64_t>(poly >> 48) + static_cast<uint64_t>(kRadix);
}

// floor(target * factor * 2^(shifts - 16)) exactly, or nullopt when it reaches 2^256.
// target * factor may need 273 bits, so it is split as A * 2^32 + B with
// A = (target >> 32) * factor (< 2^241) and B = (target mod 2^32) * factor (< 2^49).
std::optional<Uint256> scale(const Uint256& target, uint64_t factor, i128 shifts) {
  const Uint256 a = *target.shr(32).checked_mul(factor);
  const uint64_t b = (target.low_u64() & 0xffff'ffffULL) * factor;
  const i128 exponent = shifts - 16;
  if (exponent >= 0) {
    if (exponent > 256) return target.is_zero() ? std::optional<Uint256>(Uint256{}) : std::nullopt;
    auto high = a.checked_shl(32);
    if (!high) return std::nullopt;
    auto sum = high->checked_add(Uint256::from_u64(b));
    if (!sum) return std::nullopt;
    return sum->checked_shl(static_cast<unsigned>(exponent));
  }
  const i128 right = -exponent;
  if (right <= 32) {
    // (A * 2^32 + B) / 2^right = A * 2^(32 - right) + B / 2^right, the first term exact.
    auto high = a.checked_shl(static_cast<unsigned>(32 - right));
    if (!high) return std::nullopt;
    return high->checked_add(Uint256::from_u64(b >> right));
  }
  // floor((A + B / 2^32) / 2^(right - 32)) = floor((A + floor(B / 2^32)) / 2^(right - 32)).
  const Uint256 merged = *a.checked_add(Uint256::from_u64(b >> 32));
  if (right - 32 >= 256) return Uint256{};
  return merged.shr(static_cast<unsigned>(right - 32));
}

}  // namespace

uint32_t asert_next_target(const AsertParams& params, const AsertAnchor& anchor, uint64_t height,
                           int64_t time) {
  assert(params.target_spacing > 0 && params.half_life > 0 && height >= anchor.height);
  const Uint256 limit = *decode_compact(params.pow_limit);
  const Uint256 anchor_target = decode_compact(anchor.target).value_or(limit);

  // 128-bit intermediates: with 64-bit inputs none of these can overflow.
  const i128 time_delta = i128{time} - i128{anchor.parent_time};
  const i128 height_delta = static_cast<i128>(height - anchor.height);
  const i128 numerator = (time_delta - i128{params.target_spacing} * (height_delta + 1)) * kRadix;
  const i128 exponent = numerator / params.half_life;  // C++ division truncates towards zero
  // Arithmetic shift: floor(exponent / 65536), so frac below is in [0, 65536).
  const i128 shifts = exponent >= 0 ? exponent / kRadix : -((-exponent + kRadix - 1) / kRadix);
  const auto frac = static_cast<uint64_t>(exponent - shifts * kRadix);

  const auto next = scale(anchor_target, fixed_point_pow2(frac), shifts);
  if (!next || *next > limit) return params.pow_limit;
  if (next->is_zero()) return encode_compact(Uint256::from_u64(1));
  return encode_compact(*next);
}

}  // namespace cairn
