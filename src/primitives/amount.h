// Amounts of the native coin, in base units (1 CAIRN = 10^8 units).
//
// Arithmetic never wraps: add and subtract return nullopt on overflow or when the result
// leaves the money range [0, kMaxMoney]. Consensus checks every output value and every sum
// with these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/result.h"

namespace cairn {

using Amount = uint64_t;

inline constexpr Amount kCoin = 100'000'000;
// No amount, and no sum of amounts in one transaction or block, may exceed this.
inline constexpr Amount kMaxMoney = 21'000'000 * kCoin;

constexpr bool money_range(Amount a) { return a <= kMaxMoney; }
std::optional<Amount> checked_add(Amount a, Amount b);  // nullopt if > kMaxMoney
std::optional<Amount> checked_sub(Amount a, Amount b);  // nullopt if b > a
// Sum of all values; nullopt if any value or a partial sum leaves the money range.
std::optional<Amount> checked_sum(std::span<const Amount> values);

// "12.34500000" style, exact (no floating point).
std::string format_amount(Amount a);
// Parses "12", "12.5", "0.00000001"; at most 8 decimals; refuses anything outside money range.
Result<Amount> parse_amount(std::string_view text);

}  // namespace cairn
