#include "primitives/amount.h"

#include <string_view>

namespace cairn {
namespace {

constexpr size_t kDecimals = 8;
static_assert(kCoin == 100'000'000, "kDecimals must match kCoin");

Error amount_error(std::string_view text, const std::string& what) {
  return Error{ErrorCode::invalid_argument, "amount '" + std::string(text) + "': " + what};
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<Amount> checked_add(Amount a, Amount b) {
  // Both operands in range keeps a + b far below 2^64, so the sum cannot wrap.
  if (!money_range(a) || !money_range(b) || !money_range(a + b)) return std::nullopt;
  return a + b;
}

std::optional<Amount> checked_sub(Amount a, Amount b) {
  if (b > a || !money_range(a - b)) return std::nullopt;
  return a - b;
}

std::optional<Amount> checked_sum(std::span<const Amount> values) {
  Amount total = 0;
  for (Amount v : values) {
    auto next = checked_add(total, v);
    if (!next) return std::nullopt;
    total = *next;
  }
  return total;
}

std::string format_amount(Amount a) {
  std::string frac = std::to_string(a % kCoin);
  return std::to_string(a / kCoin) + "." + std::string(kDecimals - frac.size(), '0') + frac;
}

Result<Amount> parse_amount(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || !all_digits(whole)) {
    return amount_error(text, "expected digits before the optional decimal point");
  }
  if (dot != std::string_view::npos && (frac.empty() || !all_digits(frac))) {
    return amount_error(text, "expected digits after the decimal point");
  }
  if (frac.size() > kDecimals) return amount_error(text, "more than 8 decimal places");

  auto too_large = [&] { return amount_error(text, "exceeds the maximum of " + format_amount(kMaxMoney)); };
  Amount coins = 0;
  for (char c : whole) {
    coins = coins * 10 + static_cast<Amount>(c - '0');
    // Stopping as soon as the whole part is out of range keeps the multiplication exact.
    if (coins > kMaxMoney / kCoin) return too_large();
  }
  Amount units = 0;
  for (size_t i = 0; i < kDecimals; ++i) {
    units = units * 10 + (i < frac.size() ? static_cast<Amount>(frac[i] - '0') : 0);
  }
  const Amount total = coins * kCoin + units;
  if (!money_range(total)) return too_large();
  return total;
}

}  // namespace cairn
