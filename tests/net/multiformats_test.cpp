#include "net/multiformats.h"

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

void expect_error(const Error& e, ErrorCode code, std::string_view part) {
  EXPECT_EQ(e.code, code) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos) << "\"" << e.message << "\" lacks \"" << part << "\"";
}

TEST(Uvarint, SpecExamples) {
  // multiformats/unsigned-varint README.
  const std::pair<uint64_t, std::string_view> cases[] = {{1, "01"},     {127, "7f"},   {128, "8001"},
                                                         {255, "ff01"}, {300, "ac02"}, {16384, "808001"}};
  for (auto [value, encoding] : cases) {
    Bytes out;
    append_uvarint(out, value);
    EXPECT_EQ(to_hex(out), encoding);
    EXPECT_EQ(uvarint_size(value), out.size());
    auto back = read_uvarint(out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->value, value);
    EXPECT_EQ(back->size, out.size());
  }
}

TEST(Uvarint, NineByteBoundary) {
  Bytes max;
  append_uvarint(max, kMaxUvarintValue);
  EXPECT_EQ(max.size(), kMaxUvarintBytes);
  EXPECT_EQ(read_uvarint(max)->value, kMaxUvarintValue);
  // A tenth byte is never allowed, even though LEB128 could carry 64 bits in it.
  expect_error(read_uvarint(hex("ffffffffffffffffff01")).error(), ErrorCode::decode, "longer than 9 bytes");
  expect_error(read_uvarint(hex("808080808080808080")).error(), ErrorCode::decode, "longer than 9 bytes");
}

TEST(Uvarint, RejectsNonMinimalAndTruncated) {
  expect_error(read_uvarint(hex("8000")).error(), ErrorCode::decode, "not minimally encoded");
  expect_error(read_uvarint(hex("ff00")).error(), ErrorCode::decode, "not minimally encoded");
  expect_error(read_uvarint(hex("80")).error(), ErrorCode::decode, "truncated");
  expect_error(read_uvarint({}).error(), ErrorCode::decode, "truncated");
  EXPECT_EQ(read_uvarint(hex("00"))->value, 0u);  // zero itself is one zero byte
}

TEST(Uvarint, PrefixWaitsForMoreBytes) {
  auto partial = read_uvarint_prefix(hex("ac"));
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  auto whole = read_uvarint_prefix(hex("ac02ff"));
  ASSERT_TRUE(whole.ok() && whole->has_value());
  EXPECT_EQ((*whole)->value, 300u);
  EXPECT_EQ((*whole)->size, 2u);
  EXPECT_FALSE(read_uvarint_prefix(hex("8080808080808080")).value().has_value());  // 8 bytes: may complete
  EXPECT_FALSE(read_uvarint_prefix(hex("808080808080808080")).ok());               // 9 continuing: never
}

TEST(Base58, Vectors) {
  // From the Bitcoin Core base58 test vectors.
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"00000000000000000000", "1111111111"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"572e4794", "3EFU7m"},
  };
  for (auto [h, text] : cases) {
    EXPECT_EQ(base58_encode(hex(h)), text);
    EXPECT_EQ(to_hex(base58_decode(text).value()), h);
  }
}

TEST(Base58, RejectsBadInput) {
  expect_error(base58_decode("3EFU0m").error(), ErrorCode::decode, "invalid character '0' at position 4");
  expect_error(base58_decode("3EFUIm").error(), ErrorCode::decode, "'I'");
  expect_error(base58_decode(std::string_view("ab\0c", 4)).error(), ErrorCode::decode, "byte 0x00");
  EXPECT_TRUE(base58_decode(std::string(kMaxBase58Length, '2')).ok());
  expect_error(base58_decode(std::string(kMaxBase58Length + 1, '2')).error(), ErrorCode::limit,
               "maximum of 256");
}

TEST(Base32, Rfc4648VectorsLowerCaseUnpadded) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""},
      {"f", "my"},
      {"fo", "mzxq"},
      {"foo", "mzxw6"},
      {"foob", "mzxw6yq"},
      {"fooba", "mzxw6ytb"},
      {"foobar", "mzxw6ytboi"},
  };
  for (auto [plain, text] : cases) {
    EXPECT_EQ(base32_encode(as_bytes(plain)), text);
    auto back = base32_decode(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(std::string(back->begin(), back->end()), plain);
  }
}

TEST(Base32, StrictDecoding) {
  expect_error(base32_decode("MZXW6").error(), ErrorCode::decode, "invalid character 'M'");
  expect_error(base32_decode("my======").error(), ErrorCode::decode, "invalid character '='");
  expect_error(base32_decode("mzx").error(), ErrorCode::decode, "not a possible unpadded length");
  expect_error(base32_decode("m").error(), ErrorCode::decode, "not a possible unpadded length");
  // "mz" has 10 bits for one byte; the last two must be zero ("my" is the canonical "f").
  expect_error(base32_decode("mz").error(), ErrorCode::decode, "non-zero padding bits");
  expect_error(base32_decode("m1").error(), ErrorCode::decode, "'1'");
}

TEST(Multibase, PrefixesAndErrors) {
  EXPECT_EQ(multibase_encode_base32(as_bytes("foobar")), "bmzxw6ytboi");
  EXPECT_EQ(multibase_decode("bmzxw6ytboi").value(),
            Bytes(as_bytes("foobar").begin(), as_bytes("foobar").end()));
  EXPECT_EQ(multibase_decode("z3EFU7m").value(), hex("572e4794"));
  expect_error(multibase_decode("").error(), ErrorCode::decode, "empty");
  expect_error(multibase_decode("Bmzxw6ytboi").error(), ErrorCode::decode, "unsupported prefix 'B'");
  expect_error(multibase_decode("k51qzi5uqu5").error(), ErrorCode::decode, "unsupported prefix 'k'");
}

TEST(Multihash, Sha256AndIdentity) {
  // sha2-256 of the empty string, as a multihash.
  EXPECT_EQ(to_hex(sha256_multihash({})),
            "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(identity_multihash(as_bytes("hi"))), "00026869");
  auto decoded = decode_multihash(hex("00026869"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->code, MultihashCode::identity);
  EXPECT_EQ(decoded->digest, hex("6869"));
  auto sha = decode_multihash(sha256_multihash(as_bytes("x")));
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha->code, MultihashCode::sha2_256);
  EXPECT_EQ(sha->digest.size(), kSha256DigestLength);
}

TEST(Multihash, StrictDecoding) {
  expect_error(decode_multihash({}).error(), ErrorCode::decode, "code: uvarint: truncated");
  expect_error(decode_multihash(hex("00")).error(), ErrorCode::decode, "length: uvarint: truncated");
  expect_error(decode_multihash(hex("0003aabb")).error(), ErrorCode::decode,
               "digest length 3 but 2 bytes follow");
  expect_error(decode_multihash(hex("0001aabb")).error(), ErrorCode::decode,
               "digest length 1 but 2 bytes follow");
  expect_error(decode_multihash(hex("1202aabb")).error(), ErrorCode::decode, "sha2-256 digest length 2");
  expect_error(decode_multihash(hex("1302aabb")).error(), ErrorCode::decode, "unsupported hash code 0x13");
  expect_error(decode_multihash(hex("800002aabb")).error(), ErrorCode::decode, "not minimally encoded");
  // The identity limit, at its boundary.
  Bytes at_limit = identity_multihash(Bytes(kMaxIdentityDigestLength, 7));
  EXPECT_TRUE(decode_multihash(at_limit).ok());
  Bytes over{0x00, static_cast<uint8_t>(kMaxIdentityDigestLength + 1)};
  over.resize(over.size() + kMaxIdentityDigestLength + 1, 7);
  expect_error(decode_multihash(over).error(), ErrorCode::limit, "maximum of 42");
}

}  // namespace
}  // namespace cairn::net
