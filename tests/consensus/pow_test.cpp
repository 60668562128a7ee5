#include "consensus/pow.h"

#include <string>

#include <gtest/gtest.h>

namespace cairn {
namespace {

Uint256 from_hex(const std::string& hex) {
  return Uint256::from_be_bytes(FixedBytes<32>::from_hex(hex).value());
}

TEST(Compact, DecodesBitcoinExamples) {
  // Bitcoin's genesis target and the arith_uint256 SetCompact cases.
  EXPECT_EQ(decode_compact(0x1d00ffff)->hex(),
            "00000000ffff0000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(decode_compact(0x01003456), Uint256{});
  EXPECT_EQ(decode_compact(0x01123456), Uint256::from_u64(0x12));
  EXPECT_EQ(decode_compact(0x02123456), Uint256::from_u64(0x1234));
  EXPECT_EQ(decode_compact(0x03123456), Uint256::from_u64(0x123456));
  EXPECT_EQ(decode_compact(0x04123456), Uint256::from_u64(0x12345600));
  EXPECT_EQ(decode_compact(0x05009234), Uint256::from_u64(0x92340000));
  EXPECT_EQ(decode_compact(0x20123456)->hex(),
            "1234560000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(decode_compact(0x00000000), Uint256{});
}

TEST(Compact, RefusesNegativeAndOverflow) {
  EXPECT_FALSE(decode_compact(0x04923456));  // sign bit with a non-zero mantissa
  EXPECT_FALSE(decode_compact(0x01fedcba));
  EXPECT_EQ(decode_compact(0x04800000), Uint256{});  // sign bit, zero mantissa: zero
  EXPECT_FALSE(decode_compact(0xff123456));
  // The boundaries of the overflow rule: the top byte must stay within 32 bytes.
  EXPECT_TRUE(decode_compact(0x220000ff));
  EXPECT_FALSE(decode_compact(0x230000ff));
  EXPECT_TRUE(decode_compact(0x2100ffff));
  EXPECT_FALSE(decode_compact(0x2200ffff));
  EXPECT_TRUE(decode_compact(0x207fffff));
  EXPECT_FALSE(decode_compact(0x21010000));
}

TEST(Compact, EncodesCanonically) {
  EXPECT_EQ(encode_compact(Uint256{}), 0x00000000U);
  EXPECT_EQ(encode_compact(Uint256::from_u64(0x12)), 0x01120000U);
  EXPECT_EQ(encode_compact(Uint256::from_u64(0x80)), 0x02008000U);  // sign bit avoided
  EXPECT_EQ(encode_compact(Uint256::from_u64(0x12345600)), 0x04123456U);
  EXPECT_EQ(encode_compact(Uint256::from_u64(0x92340000)), 0x05009234U);
  EXPECT_EQ(encode_compact(*decode_compact(0x1d00ffff)), 0x1d00ffffU);
  EXPECT_EQ(encode_compact(*decode_compact(0x207fffff)), 0x207fffffU);
  // Below the top three bytes the encoding is lossy.
  EXPECT_EQ(encode_compact(Uint256::from_u64(0x123456789)), 0x05012345U);
}

TEST(Pow, HashMeetsTargetIsInclusive) {
  const Uint256 target = from_hex("00000000ffff0000000000000000000000000000000000000000000000000000");
  EXPECT_TRUE(hash_meets_target(target.to_be_bytes(), target));
  EXPECT_FALSE(hash_meets_target(target.checked_add(Uint256::from_u64(1))->to_be_bytes(), target));
  EXPECT_TRUE(hash_meets_target(BlockHash{}, target));
}

BlockHeader header_with(uint32_t target) {
  BlockHeader h;
  h.height = 7;
  h.timestamp = 1'800'000'000;
  h.target = target;
  return h;
}

TEST(Pow, CheckPowSearchesAndRefuses) {
  BlockHeader h = header_with(0x2000ffff);  // about one hash in 2^8 meets it
  while (!hash_meets_target(block_hash(h), *decode_compact(h.target))) ++h.nonce;
  EXPECT_TRUE(check_pow(h));
  h.target = 0x01010000;  // target 1: no hash meets it in practice
  EXPECT_FALSE(check_pow(h));
  h.target = 0;  // zero target
  EXPECT_FALSE(check_pow(h));
  h.target = 0x04923456;  // negative
  EXPECT_FALSE(check_pow(h));
}

TEST(Pow, BlockWork) {
  EXPECT_EQ(block_work(0x1d00ffff), Uint256::from_u64(0x100010001ULL));  // Bitcoin's 4295032833
  EXPECT_EQ(block_work(0x207fffff), Uint256::from_u64(2));
  EXPECT_EQ(block_work(0x01010000),
            from_hex("8000000000000000000000000000000000000000000000000000000000000000"));  // 2^256 / 2
  EXPECT_EQ(block_work(0), Uint256{});
  EXPECT_EQ(block_work(0x04923456), Uint256{});
}

TEST(HeaderHash, ArrayEncodingMatchesTheCodec) {
  BlockHeader h = header_with(0x1d00ffff);
  for (size_t i = 0; i < 32; ++i) {
    h.prev.bytes[i] = static_cast<uint8_t>(i);
    h.state_root.bytes[i] = static_cast<uint8_t>(0xff - i);
  }
  h.nonce = 0x0102030405060708ULL;
  const HeaderBytes fast = encode_header_bytes(h);
  const Bytes slow = encode(h);
  EXPECT_EQ(Bytes(fast.begin(), fast.end()), slow);
  EXPECT_EQ(block_hash(h), hash(HashContext::header, slow));
}

}  // namespace
}  // namespace cairn
