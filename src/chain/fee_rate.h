// Fee rates: base units per 1000 bytes of encoded transaction (witnesses included, since
// they take the same space in a block and on the wire).
//
// Comparisons of (fee, size) pairs cross-multiply in 128 bits, so no rounding ever
// decides an order: fees are at most kMaxMoney (< 2^51) and sizes far below 2^64.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

#include "primitives/amount.h"

namespace cairn {

struct FeeRate {
  Amount per_kb = 0;
  // The fee this rate asks of `size` bytes, rounded up so that paying it always meets the rate.
  Amount fee_for(size_t size) const;
  auto operator<=>(const FeeRate&) const = default;
};

// A fee paid for a number of bytes (a transaction or a package of them).
struct FeeAndSize {
  Amount fee = 0;
  uint64_t size = 0;
};

// Orders by fee / size. REQUIRES: both sizes > 0.
std::strong_ordering compare_rate(const FeeAndSize& a, const FeeAndSize& b);

}  // namespace cairn
