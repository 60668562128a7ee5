#include "consensus/uint256.h"

#include <string>

#include <gtest/gtest.h>

namespace cairn {
namespace {

Uint256 from_hex(const std::string& hex) {
  return Uint256::from_be_bytes(FixedBytes<32>::from_hex(hex).value());
}

TEST(Uint256, BigEndianBytesRoundTrip) {
  const std::string hex = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
  const Uint256 v = from_hex(hex);
  EXPECT_EQ(v.hex(), hex);
  EXPECT_EQ(v.low_u64(), 0x191a1b1c1d1e1f20ULL);
  EXPECT_EQ(Uint256::from_u64(0x1234).hex(),
            "0000000000000000000000000000000000000000000000000000000000001234");
}

TEST(Uint256, ComparesAsNumbers) {
  EXPECT_LT(Uint256::from_u64(1), Uint256::from_u64(2));
  EXPECT_LT(Uint256::from_u64(~0ULL), Uint256::from_u64(1).shl_truncating(64));
  EXPECT_GT(from_hex("8000000000000000000000000000000000000000000000000000000000000000"),
            from_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
  EXPECT_EQ(from_hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), ~Uint256{});
}

TEST(Uint256, BitLength) {
  EXPECT_EQ(Uint256{}.bit_length(), 0U);
  EXPECT_EQ(Uint256::from_u64(1).bit_length(), 1U);
  EXPECT_EQ(Uint256::from_u64(1).shl_truncating(200).bit_length(), 201U);
  EXPECT_EQ((~Uint256{}).bit_length(), 256U);
}

TEST(Uint256, AddCarriesAcrossLimbsAndRefusesOverflow) {
  const auto sum = Uint256::from_u64(~0ULL).checked_add(Uint256::from_u64(1));
  ASSERT_TRUE(sum);
  EXPECT_EQ(*sum, Uint256::from_u64(1).shl_truncating(64));
  EXPECT_FALSE((~Uint256{}).checked_add(Uint256::from_u64(1)));
  EXPECT_EQ((~Uint256{}).checked_add(Uint256{}), ~Uint256{});  // the boundary itself fits
}

TEST(Uint256, SubBorrowsAndRefusesUnderflow) {
  const auto diff = Uint256::from_u64(1).shl_truncating(128).checked_sub(Uint256::from_u64(1));
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->hex(), "00000000000000000000000000000000ffffffffffffffffffffffffffffffff");
  EXPECT_FALSE(Uint256::from_u64(1).checked_sub(Uint256::from_u64(2)));
  EXPECT_EQ(Uint256::from_u64(2).checked_sub(Uint256::from_u64(2)), Uint256{});
}

TEST(Uint256, MulByU64) {
  const auto p = Uint256::from_u64(~0ULL).checked_mul(~0ULL);  // (2^64-1)^2 = 2^128 - 2^65 + 1
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hex(), "00000000000000000000000000000000fffffffffffffffe0000000000000001");
  EXPECT_FALSE(Uint256::from_u64(1).shl_truncating(255).checked_mul(2));
  EXPECT_EQ(Uint256::from_u64(1).shl_truncating(254).checked_mul(2),
            Uint256::from_u64(1).shl_truncating(255));
}

TEST(Uint256, Shifts) {
  const Uint256 v = from_hex("8000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(v.shr(255), Uint256::from_u64(1));
  EXPECT_EQ(v.shr(256), Uint256{});
  EXPECT_EQ(v.shl_truncating(1), Uint256::from_u64(2));
  EXPECT_FALSE(v.checked_shl(1));
  EXPECT_EQ(Uint256::from_u64(3).checked_shl(254),
            from_hex("c000000000000000000000000000000000000000000000000000000000000000"));
  EXPECT_FALSE(Uint256::from_u64(3).checked_shl(255));
  EXPECT_EQ(Uint256{}.checked_shl(1000), Uint256{});
  EXPECT_EQ(from_hex("00000000000000000000000000000000000000000000000000000000000000ff")
                .shl_truncating(100)
                .shr(100),
            Uint256::from_u64(0xff));
}

TEST(Uint256, Division) {
  EXPECT_FALSE(Uint256::from_u64(1).checked_div(Uint256{}));
  EXPECT_EQ(Uint256::from_u64(100).checked_div(Uint256::from_u64(7)), Uint256::from_u64(14));
  // (2^256 - 1) / (2^128 + 1) = 2^128 - 1 exactly.
  EXPECT_EQ(
      (~Uint256{}).checked_div(*Uint256::from_u64(1).shl_truncating(128).checked_add(Uint256::from_u64(1))),
      *Uint256::from_u64(1).shl_truncating(128).checked_sub(Uint256::from_u64(1)));
  // A divisor above 2^255 exercises the remainder's carried top bit.
  const Uint256 big = from_hex("f000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ((~Uint256{}).checked_div(big), Uint256::from_u64(1));
  EXPECT_EQ(big.checked_div(~Uint256{}), Uint256{});
}

}  // namespace
}  // namespace cairn
