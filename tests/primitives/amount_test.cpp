#include "primitives/amount.h"

#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "primitives/samples.h"

namespace cairn {
namespace {

constexpr Amount kU64Max = std::numeric_limits<uint64_t>::max();

TEST(Amount, MoneyRangeBoundary) {
  EXPECT_EQ(kMaxMoney, 2'100'000'000'000'000u);
  EXPECT_TRUE(money_range(0));
  EXPECT_TRUE(money_range(kMaxMoney));
  EXPECT_FALSE(money_range(kMaxMoney + 1));
  EXPECT_FALSE(money_range(kU64Max));
}

TEST(Amount, CheckedAddStaysInRange) {
  EXPECT_EQ(checked_add(kMaxMoney - 1, 1), kMaxMoney);
  EXPECT_EQ(checked_add(kMaxMoney, 1), std::nullopt);
  EXPECT_EQ(checked_add(0, kMaxMoney + 1), std::nullopt);
  // Operands that would wrap a u64 are refused, not wrapped into range.
  EXPECT_EQ(checked_add(kU64Max, 2), std::nullopt);
  EXPECT_EQ(checked_add(2, kU64Max), std::nullopt);
}

TEST(Amount, CheckedSubRefusesNegativeAndOutOfRange) {
  EXPECT_EQ(checked_sub(5, 5), 0u);
  EXPECT_EQ(checked_sub(kMaxMoney, 1), kMaxMoney - 1);
  EXPECT_EQ(checked_sub(4, 5), std::nullopt);
  EXPECT_EQ(checked_sub(kMaxMoney + 2, 1), std::nullopt);
  EXPECT_EQ(checked_sub(kMaxMoney + 2, 2), kMaxMoney);
}

TEST(Amount, CheckedSumChecksEveryPartialSum) {
  EXPECT_EQ(checked_sum({}), 0u);
  const std::vector<Amount> exact{kMaxMoney - 10, 4, 6};
  EXPECT_EQ(checked_sum(exact), kMaxMoney);
  const std::vector<Amount> over{kMaxMoney - 10, 4, 7};
  EXPECT_EQ(checked_sum(over), std::nullopt);
  // Wrapping sums: kU64Max + 2 would wrap to 1.
  const std::vector<Amount> wrapping{kU64Max, 2};
  EXPECT_EQ(checked_sum(wrapping), std::nullopt);
}

TEST(Amount, FormatIsExactWithEightDecimals) {
  EXPECT_EQ(format_amount(0), "0.00000000");
  EXPECT_EQ(format_amount(1), "0.00000001");
  EXPECT_EQ(format_amount(kCoin), "1.00000000");
  EXPECT_EQ(format_amount(1'234'500'000), "12.34500000");
  EXPECT_EQ(format_amount(kMaxMoney), "21000000.00000000");
  EXPECT_EQ(format_amount(kU64Max), "184467440737.09551615");
}

TEST(Amount, ParseAcceptsWholeAndFractionalForms) {
  EXPECT_EQ(test::ok(parse_amount("12")), 12 * kCoin);
  EXPECT_EQ(test::ok(parse_amount("12.5")), 1'250'000'000u);
  EXPECT_EQ(test::ok(parse_amount("0.00000001")), 1u);
  EXPECT_EQ(test::ok(parse_amount("0")), 0u);
  EXPECT_EQ(test::ok(parse_amount("007.10")), 710'000'000u);
  EXPECT_EQ(test::ok(parse_amount("21000000")), kMaxMoney);
  EXPECT_EQ(test::ok(parse_amount("21000000.00000000")), kMaxMoney);
}

TEST(Amount, ParseRoundTripsFormat) {
  for (Amount a : {Amount{0}, Amount{1}, Amount{99'999'999}, kCoin, Amount{1'234'567'891}, kMaxMoney}) {
    EXPECT_EQ(test::ok(parse_amount(format_amount(a))), a);
  }
}

TEST(Amount, ParseRefusesMalformedText) {
  for (const char* text :
       {"", ".", "1.", ".5", "-1", "+1", " 1", "1 ", "1e8", "1,5", "1.2.3", "0x10", "１"}) {
    auto r = parse_amount(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().message.rfind("amount '" + std::string(text) + "': ", 0), 0u) << r.error().message;
  }
}

TEST(Amount, ParseRefusesMoreThanEightDecimals) {
  auto r = parse_amount("0.000000001");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "amount '0.000000001': more than 8 decimal places");
}

TEST(Amount, ParseRefusesAmountsOutsideTheMoneyRange) {
  for (const char* text :
       {"21000000.00000001", "21000001", "184467440737.09551616", "99999999999999999999999999"}) {
    auto r = parse_amount(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message,
              "amount '" + std::string(text) + "': exceeds the maximum of 21000000.00000000");
  }
}

}  // namespace
}  // namespace cairn
