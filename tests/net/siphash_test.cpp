#include "net/siphash.h"

#include <array>
#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

// The reference implementation's vectors (github.com/veorq/SipHash, vectors.h,
// vectors_sip64): SipHash-2-4 under the key 00 01 .. 0f of the messages 00 01 .. (n-1) for
// n = 0..63, each output as its 8 little-endian bytes.
constexpr std::array<std::string_view, 64> kReferenceVectors{
    "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785", "b7877127e09427cf",
    "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab", "6224939a79f5f593", "b0e4a90bdf82009e",
    "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4", "fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7",
    "e545be4961ca29a1", "db9bc2577fcc2a3f", "9447be2cf5e99a69", "9cd38d96f0b3c14b", "bd6179a71dc96dbb",
    "98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8", "94af49f6c650adb8",
    "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f", "a5c91da7acaa4dde", "716595876650a2a6",
    "28ef495c53a387ad", "42c341d8fa92d832", "ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012",
    "ae97a10fd434e015", "b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a",
    "d0a704536ba93e0e", "925958fcd6420cad", "a915c29bc8067318", "952b79f3bc0aa6d4", "f21df2e41d4535f9",
    "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0", "51a9cb9ecba312e6", "96afadfc2ce666c7",
    "72fe52975a4364ee", "5a1645b276d592a1", "b274cb8ebf87870a", "6f9bb4203de7b381", "eaecb2a30b22a87f",
    "9924a43cc1315724", "bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
    "e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
};

FixedBytes<16> counting_key() {
  FixedBytes<16> key;
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<uint8_t>(i);
  return key;
}

uint64_t from_le_hex(std::string_view hex) {
  const Bytes bytes = from_hex(hex).value();
  uint64_t v = 0;
  for (size_t i = bytes.size(); i-- > 0;) v = (v << 8) | bytes[i];
  return v;
}

TEST(SipHash, KeyWordsAreLittleEndian) {
  const SipHashKey key = siphash_key(counting_key());
  EXPECT_EQ(key.k0, 0x0706050403020100u);
  EXPECT_EQ(key.k1, 0x0f0e0d0c0b0a0908u);
}

// Every length 0..63 crosses each tail size (0..7 bytes after full words) eight times.
TEST(SipHash, MatchesReferenceVectors) {
  const SipHashKey key = siphash_key(counting_key());
  std::array<uint8_t, 64> message{};
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n < kReferenceVectors.size(); ++n) {
    EXPECT_EQ(siphash24(key, ByteSpan(message.data(), n)), from_le_hex(kReferenceVectors[n]))
        << "length " << n;
  }
}

// The length byte is part of the last word: messages that differ only by trailing zeros
// hash differently.
TEST(SipHash, TrailingZerosChangeTheHash) {
  const SipHashKey key = siphash_key(counting_key());
  const std::array<uint8_t, 9> zeros{};
  EXPECT_NE(siphash24(key, ByteSpan(zeros.data(), 8)), siphash24(key, ByteSpan(zeros.data(), 9)));
  EXPECT_NE(siphash24(key, ByteSpan(zeros.data(), 0)), siphash24(key, ByteSpan(zeros.data(), 1)));
}

TEST(SipHash, KeyChangesTheHash) {
  const std::array<uint8_t, 3> message{1, 2, 3};
  EXPECT_NE(siphash24(SipHashKey{.k0 = 1, .k1 = 2}, message),
            siphash24(SipHashKey{.k0 = 2, .k1 = 1}, message));
}

}  // namespace
}  // namespace cairn::net
