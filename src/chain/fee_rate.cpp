#include "chain/fee_rate.h"

#include <cassert>

namespace cairn {

__extension__ using U128 = unsigned __int128;

Amount FeeRate::fee_for(size_t size) const {
  const U128 product = static_cast<U128>(per_kb) * size;
  return static_cast<Amount>((product + 999) / 1000);
}

std::strong_ordering compare_rate(const FeeAndSize& a, const FeeAndSize& b) {
  assert(a.size > 0 && b.size > 0);
  // a.fee / a.size <=> b.fee / b.size, without division.
  return static_cast<U128>(a.fee) * b.size <=> static_cast<U128>(b.fee) * a.size;
}

}  // namespace cairn
