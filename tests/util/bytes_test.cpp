#include "util/bytes.h"

#include <gtest/gtest.h>

#include "util/result.h"
#include "util/rng.h"

namespace cairn {
namespace {

TEST(Hex, RoundTripAndCase) {
  const Bytes b{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(b), "007f80ff");
  EXPECT_EQ(*from_hex("007F80fF"), b);
  EXPECT_TRUE(from_hex("").ok());
}

TEST(Hex, RejectsOddLengthAndNonDigits) {
  EXPECT_NE(from_hex("abc").error().message.find("odd"), std::string::npos);
  EXPECT_NE(from_hex("zz").error().message.find("position 0"), std::string::npos);
  EXPECT_NE(from_hex("0g").error().message.find("position 1"), std::string::npos);
}

TEST(FixedBytes, ComparesAsBigEndianIntegers) {
  auto small = FixedBytes<2>::from_hex("00ff");
  auto big = FixedBytes<2>::from_hex("0100");
  ASSERT_TRUE(small.ok() && big.ok());
  EXPECT_LT(*small, *big);
  EXPECT_FALSE(FixedBytes<2>::from_hex("00").ok());
  EXPECT_TRUE(FixedBytes<2>{}.is_zero());
}

TEST(SecureZero, ClearsMemory) {
  uint8_t secret[16];
  for (auto& b : secret) b = 0xaa;
  secure_zero(secret, sizeof secret);
  for (auto b : secret) EXPECT_EQ(b, 0);
}

TEST(Result, CarriesValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Error{ErrorCode::limit, "too many"};
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().to_string(), "limit exceeded: too many");
  Status s;
  EXPECT_TRUE(s.ok());
}

Result<int> doubled(Result<int> in) {
  CAIRN_TRY(int v, std::move(in));
  return v * 2;
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(*doubled(21), 42);
  EXPECT_EQ(doubled(Error{ErrorCode::decode, "x"}).error().code, ErrorCode::decode);
}

TEST(DeterministicRng, ReproducibleAndUniformBounded) {
  DeterministicRng a(42), b(42), c(43);
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  for (int i = 0; i < 1000; ++i) EXPECT_LT(a.uniform(7), 7u);
}

}  // namespace
}  // namespace cairn
