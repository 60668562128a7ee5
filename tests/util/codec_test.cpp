#include "util/codec.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

Bytes varint_bytes(uint64_t v) {
  Writer w;
  w.varint(v);
  return w.take();
}

TEST(Codec, FixedWidthIntegersAreLittleEndian) {
  Writer w;
  w.u8(0x01);
  w.u16(0x0302);
  w.u32(0x07060504);
  w.u64(0x0f0e0d0c0b0a0908);
  EXPECT_EQ(to_hex(w.data()), "0102030405060708090a0b0c0d0e0f");
  Reader r(w.data());
  EXPECT_EQ(r.u8("a"), 0x01);
  EXPECT_EQ(r.u16("b"), 0x0302);
  EXPECT_EQ(r.u32("c"), 0x07060504u);
  EXPECT_EQ(r.u64("d"), 0x0f0e0d0c0b0a0908u);
  EXPECT_TRUE(r.finish().ok());
}

TEST(Codec, VarintKnownEncodings) {
  EXPECT_EQ(to_hex(varint_bytes(0)), "00");
  EXPECT_EQ(to_hex(varint_bytes(127)), "7f");
  EXPECT_EQ(to_hex(varint_bytes(128)), "8001");
  EXPECT_EQ(to_hex(varint_bytes(300)), "ac02");
  EXPECT_EQ(to_hex(varint_bytes(UINT64_MAX)), "ffffffffffffffffff01");
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                     uint64_t{0xffffffff}, UINT64_MAX}) {
    const Bytes b = varint_bytes(v);
    EXPECT_EQ(b.size(), varint_size(v));
    Reader r(b);
    EXPECT_EQ(r.varint("v"), v);
    EXPECT_TRUE(r.finish().ok());
  }
}

TEST(Codec, VarintRejectsNonCanonicalForms) {
  for (const char* hex : {"8000", "ff00", "808000", "ff8000"}) {
    auto raw = from_hex(hex);
    Reader r(*raw);
    r.varint("len");
    ASSERT_FALSE(r.ok()) << hex;
    EXPECT_EQ(r.error().code, ErrorCode::decode);
    EXPECT_NE(r.error().message.find("non-canonical"), std::string::npos) << r.error().message;
  }
}

TEST(Codec, VarintRejectsOverflowAndOverlength) {
  {
    auto raw = from_hex("ffffffffffffffffff02");  // 10th byte carries more than bit 63
    Reader r(*raw);
    r.varint("v");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("overflows"), std::string::npos);
  }
  {
    auto raw = from_hex("ffffffffffffffffff8101");  // 11 bytes
    Reader r(*raw);
    r.varint("v");
    ASSERT_FALSE(r.ok());
  }
  {
    auto raw = from_hex("80");  // truncated continuation
    Reader r(*raw);
    r.varint("v");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  }
}

TEST(Codec, CountLimitIsInclusive) {
  const Bytes at = varint_bytes(10);
  Reader ok(at);
  EXPECT_EQ(ok.count("items", 10), 10u);
  EXPECT_TRUE(ok.ok());
  const Bytes over = varint_bytes(11);
  Reader bad(over);
  EXPECT_EQ(bad.count("items", 10), 0u);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
  EXPECT_EQ(bad.error().message, "items: 11 exceeds the limit of 10");
}

TEST(Codec, CountAboveFourGigIsRefusedEvenWithHugeLimit) {
  const Bytes b = varint_bytes(uint64_t{1} << 32);
  Reader r(b);
  r.count("n", SIZE_MAX);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, BytesRoundTripAndLengthLimit) {
  Writer w;
  const Bytes payload{1, 2, 3};
  w.bytes(payload);
  Reader r(w.data());
  EXPECT_EQ(r.bytes("payload", 3), payload);
  EXPECT_TRUE(r.finish().ok());
  Reader small(w.data());
  small.bytes("payload", 2);
  EXPECT_FALSE(small.ok());
}

TEST(Codec, TrailingBytesAreAnError) {
  const Bytes b{0x01, 0x02};
  Reader r(b);
  r.u8("a");
  auto s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("1 trailing byte"), std::string::npos);
}

TEST(Codec, FirstErrorStaysAndLaterReadsReturnZero) {
  const Bytes b{0x05};
  Reader r(b);
  EXPECT_EQ(r.u32("first"), 0u);
  EXPECT_EQ(r.u8("second"), 0u);  // would have succeeded, but the reader already failed
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("first"), std::string::npos);
  EXPECT_EQ(r.error().message.find("second"), std::string::npos);
}

TEST(Codec, ScopesNameTheFailingField) {
  const Bytes b{0x00, 0x00};
  Reader r(b);
  {
    auto tx = r.scope("inputs", 2);
    auto prevout = r.scope("prevout");
    r.u32("index");
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "inputs[2].prevout.index: truncated (need 4 bytes, 2 left)");
}

void read_nested(Reader& r, int depth) {
  if (depth == Reader::kMaxScopeDepth + 4) {
    r.u8("x");
    return;
  }
  auto guard = r.scope("n", depth);
  read_nested(r, depth + 1);
}

TEST(Codec, ScopesDeeperThanTheLimitAreNotNamedButStillSafe) {
  Reader r(ByteSpan{});
  read_nested(r, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("n[15]"), std::string::npos);
  EXPECT_EQ(r.error().message.find("n[16]"), std::string::npos);
}

TEST(Codec, FixedArrays) {
  const Bytes b{1, 2, 3, 4};
  Reader r(b);
  auto f = r.fixed<4>("tag");
  EXPECT_EQ(to_hex(f), "01020304");
  EXPECT_TRUE(r.finish().ok());
  Reader shortr(ByteSpan(b).first(3));
  shortr.fixed<4>("tag");
  EXPECT_FALSE(shortr.ok());
}

}  // namespace
}  // namespace cairn
