#include "crypto/bech32m.h"

#include <algorithm>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn {
namespace {

using nlohmann::json;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// A valid string decodes, and encoding what it decoded to gives back its lower-case form.
void expect_valid(const std::string& text) {
  SCOPED_TRACE(text);
  auto decoded = bech32m_decode(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(bech32m_encode(decoded->hrp, decoded->data), lower(text));
}

// An invalid string is rejected, and for the rule the vector names.
void expect_invalid(const std::string& text, std::string_view message_part) {
  SCOPED_TRACE(text);
  auto decoded = bech32m_decode(text);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::decode);
  EXPECT_NE(decoded.error().message.find(message_part), std::string::npos)
      << "message \"" << decoded.error().message << "\" does not mention \"" << message_part << "\"";
}

// BIP-350's reasons, as spelled in ../shared/vectors/bech32m/vectors.json, mapped to the
// part of our error message that names the same rule.
const std::map<std::string, std::string, std::less<>> kReasonMessages = {
    {"hrp character out of range", "out of range [33, 126]"},
    {"overall max length exceeded", "more than the maximum of 90"},
    {"no separator character", "no separator"},
    {"empty hrp", "empty human-readable part"},
    {"invalid data character", "invalid data character"},
    {"too short checksum", "too short for the 6-character checksum"},
    {"invalid character in checksum", "invalid checksum character"},
    {"checksum calculated with uppercase form of hrp", "checksum mismatch"},
};

TEST(Bech32m, EmbeddedVectors) {
  // From BIP-350.
  expect_valid("A1LQFN3A");
  expect_valid("a1lqfn3a");
  expect_valid("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx");
  expect_valid("?1v759aa");
  expect_invalid("qyrz8wqd2c9m", "no separator");
  expect_invalid("1qyrz8wqd2c9m", "empty human-readable part");
  expect_invalid("in1muywd", "too short");
  expect_invalid("mm1crxm3i", "invalid checksum character 'i'");
  expect_invalid("M1VUXWEZ", "checksum mismatch");
  // Rules BIP-350's list does not isolate.
  expect_invalid("A1lqfn3a", "mixed upper and lower case");
  expect_invalid("a12uel5l", "checksum is Bech32 (BIP-173), not Bech32m");  // valid BIP-173 Bech32
  expect_invalid(std::string("a1\x80lqfn3a"), "invalid data character byte 0x80");
}

TEST(Bech32m, DecodedContent) {
  auto decoded = bech32m_decode("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->hrp, "abcdef");
  // The data part spells the charset backwards: values 31, 30, ..., 0.
  ASSERT_EQ(decoded->data.size(), 32u);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(decoded->data[i], static_cast<uint8_t>(31 - i));

  auto upper = bech32m_decode("A1LQFN3A");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->hrp, "a");
  EXPECT_TRUE(upper->data.empty());
}

TEST(Bech32m, LengthLimitBoundary) {
  // 90 characters is the longest valid string, 91 is rejected.
  const std::string hrp(83, 'a');
  EXPECT_EQ(bech32m_encode(hrp, {}).size(), kBech32MaxLength);
  expect_valid(bech32m_encode(hrp, {}));
  const std::string at_limit = bech32m_encode("x", Bytes(kBech32MaxLength - 8, 0));
  ASSERT_EQ(at_limit.size(), kBech32MaxLength);
  expect_valid(at_limit);
  expect_invalid(at_limit.substr(0, 2) + "q" + at_limit.substr(2), "more than the maximum of 90");
}

TEST(Bech32m, OfficialVectors) {
  CAIRN_REQUIRE_SHARED(path, "bech32m/vectors.json");
  const json vectors = json::parse(test::read_file(path));
  ASSERT_FALSE(vectors.at("valid").empty());
  ASSERT_FALSE(vectors.at("invalid").empty());
  for (const json& v : vectors.at("valid")) expect_valid(v.get<std::string>());
  for (const json& v : vectors.at("invalid")) {
    const std::string reason = lower(v.at("reason").get<std::string>());
    const auto it = kReasonMessages.find(reason);
    ASSERT_NE(it, kReasonMessages.end()) << "no error message mapped for reason \"" << reason << "\"";
    expect_invalid(v.at("string").get<std::string>(), it->second);
  }
}

TEST(Bech32m, ConvertBitsPadding) {
  // 8 -> 5 with padding: 0xff = 11111 111(00).
  auto five = convert_bits(Bytes{0xff}, 8, 5, true);
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(*five, (Bytes{31, 28}));
  // Back to 8 bits: the two zero padding bits are dropped.
  auto eight = convert_bits(*five, 5, 8, false);
  ASSERT_TRUE(eight.ok());
  EXPECT_EQ(*eight, (Bytes{0xff}));
  // Non-zero padding bits are rejected.
  auto nonzero = convert_bits(Bytes{31, 29}, 5, 8, false);
  ASSERT_FALSE(nonzero.ok());
  EXPECT_NE(nonzero.error().message.find("non-zero padding"), std::string::npos);
  // A leftover of 5 or more bits is a whole extra group, not padding.
  auto excess = convert_bits(Bytes{31, 28, 0}, 5, 8, false);
  ASSERT_FALSE(excess.ok());
  EXPECT_NE(excess.error().message.find("excess padding"), std::string::npos);
  // Without padding, 8 -> 5 of one byte leaves 3 bits that must be zero.
  EXPECT_TRUE(convert_bits(Bytes{0xf8}, 8, 5, false).ok());
  EXPECT_FALSE(convert_bits(Bytes{0xff}, 8, 5, false).ok());
  // Values wider than the input group are rejected.
  auto wide = convert_bits(Bytes{32}, 5, 8, false);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().message.find("does not fit in 5 bits"), std::string::npos);
  // Empty input converts to empty output either way.
  EXPECT_TRUE(convert_bits({}, 8, 5, true)->empty());
  EXPECT_TRUE(convert_bits({}, 5, 8, false)->empty());
}

// The address shape of docs/consensus.md §11: a kind symbol and a 32-byte hash as 52
// symbols, round-tripped through bech32m and convert_bits.
TEST(Bech32m, AddressShapedRoundTrip) {
  Bytes hash(32);
  for (size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<uint8_t>(i * 7 + 3);
  auto symbols = convert_bits(hash, 8, 5, true);
  ASSERT_TRUE(symbols.ok());
  ASSERT_EQ(symbols->size(), 52u);
  Bytes data{1};
  data.insert(data.end(), symbols->begin(), symbols->end());
  const std::string text = bech32m_encode("rcairn", data);
  EXPECT_EQ(text.size(), 6 + 1 + 53 + 6u);

  auto decoded = bech32m_decode(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->hrp, "rcairn");
  ASSERT_EQ(decoded->data, data);
  auto back = convert_bits(ByteSpan(decoded->data).subspan(1), 5, 8, false);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, hash);

  // Any single-character substitution breaks the checksum.
  std::string typo = text;
  typo[10] = typo[10] == 'q' ? 'p' : 'q';
  EXPECT_FALSE(bech32m_decode(typo).ok());
}

}  // namespace
}  // namespace cairn
