#include "net/pnet.h"

#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::net {
namespace {

const std::string kHexKey = "dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d";

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes key_bytes() { return from_hex(kHexKey).value(); }

Result<Psk> parse(std::string_view contents) { return Psk::parse_file(text(contents)); }

// The pieces joined (a stream: GCC 12 warns spuriously about string concatenation here).
std::string join(std::initializer_list<std::string_view> parts) {
  std::ostringstream out;
  for (std::string_view part : parts) out << part;
  return out.str();
}

std::string hex_file(std::string_view key, std::string_view eol = "\n") {
  return join({kPskV1Header, eol, "/base16/", eol, key});
}

// A file with the v1 header and `rest` after it.
std::string v1(std::string_view rest) { return join({kPskV1Header, "\n", rest}); }

void expect_key(const Result<Psk>& psk) {
  ASSERT_TRUE(psk) << psk.error().message;
  EXPECT_EQ(Bytes(psk->key().begin(), psk->key().end()), key_bytes());
}

void expect_malformed(std::string_view contents, std::string_view why) {
  const auto psk = parse(contents);
  ASSERT_FALSE(psk) << "accepted: " << contents;
  EXPECT_EQ(psk.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(psk.error().message.find(why), std::string::npos) << psk.error().message;
}

TEST(PskFile, ParsesBase16AsJsLibp2pWritesIt) {
  expect_key(parse(hex_file(kHexKey)));  // generateKey(): no final newline
  expect_key(parse(join({hex_file(kHexKey), "\n"})));
  expect_key(parse(join({hex_file(kHexKey, "\r\n"), "\r\n"})));
  std::string upper = kHexKey;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  expect_key(parse(join({hex_file(upper), " \t\n\n"})));
}

TEST(PskFile, ParsesBase64AndBin) {
  expect_key(parse(v1("/base64/\n3/t+MTU5mosWErKqyhw2o6isLNDMpRzuss7YfTCMrG0=\n")));
  const Bytes key = key_bytes();
  expect_key(
      parse(v1(join({"/bin/\n", std::string_view(reinterpret_cast<const char*>(key.data()), key.size())}))));
}

TEST(PskFile, RefusesEachMalformation) {
  expect_malformed("", "no header line");
  expect_malformed(join({"/key/swarm/psk/2.0.0/\n/base16/\n", kHexKey}), "unsupported header");
  expect_malformed(std::string(kPskV1Header), "no header line");
  expect_malformed(v1("/base16/"), "");  // no key at all
  expect_malformed(v1(kHexKey), "no encoding line");
  expect_malformed(v1(join({"/base32/\n", kHexKey})), "unknown encoding");
  expect_malformed(hex_file(kHexKey.substr(0, 62)), "31 bytes, not 32");
  expect_malformed(hex_file(join({kHexKey, "00"})), "longer than 32");
  expect_malformed(hex_file(kHexKey.substr(0, 63)), "not valid base16");  // odd digit count
  expect_malformed(hex_file(join({"zz", std::string_view(kHexKey).substr(2)})), "not valid base16");
  expect_malformed(hex_file(join({kHexKey, "\nmore"})), "after the key line");
  expect_malformed(v1("/base64/\n3/t+MTU5mosWErKqyhw2o6isLNDMpRzu\n"), "24 bytes");
  expect_malformed(v1("/base64/\n3/t+MTU5mosWErKqyhw2o6isLNDMpRzuss7YfTCMrG0\n"),
                   "not valid base64");  // padding missing
  expect_malformed(v1("/bin/\n0123456789012345678901234567890"), "found 31");
  expect_malformed(v1("/bin/\n012345678901234567890123456789012"), "found 33");
  EXPECT_FALSE(Psk::from_bytes(Bytes(31, 1)));
  EXPECT_TRUE(Psk::from_bytes(Bytes(32, 1)));
}

TEST(PskFile, SizeLimitIsKMaxPskFileSize) {
  const std::string file = join({hex_file(kHexKey), "\n"});
  const std::string padded = join({file, std::string(kMaxPskFileSize - file.size(), ' ')});
  ASSERT_EQ(padded.size(), kMaxPskFileSize);
  expect_key(parse(padded));
  const auto psk = parse(join({padded, " "}));
  ASSERT_FALSE(psk);
  EXPECT_EQ(psk.error().code, ErrorCode::limit);
}

TEST(PskFile, LoadsAPrivateFileOnly) {
  const auto path = std::filesystem::temp_directory_path() / ("cairn_pnet_test_" + std::to_string(getpid()));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << hex_file(kHexKey) << '\n';
  }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  expect_key(Psk::load(path));
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_FALSE(Psk::load(path));
  std::filesystem::remove(path);
  const auto missing = Psk::load(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(path.string()), std::string::npos);
}

// Key 00 01 … 1f, nonce 80 81 … 97: computed with the `xsalsa20` npm package (its own
// implementation, not libsodium), fed in chunks of 7, 93 and 50 bytes.
const std::string kKeystream150 =
    "ee08d05b23f943b2857c7ecd10759bff94d2fe14bc4d0e7d3e6e36d5c2fcd9652493b740e0b9090cdca88ee3a193de1d"
    "3d46e04ea8adccef066b22a27788ac3b1bbdf5f49150f041c4f94ea993c0b5c63d1865e594cb8624ca0d9092b68b111a"
    "d0b6dc40f69e2b1e9979e07841889e37191d2c0f68249901e2cbf3dc68d604c56d1469e81e8589aec058507c58f84a66"
    "8e636469bc26";

Psk counting_key() {
  Bytes key(kPskLength);
  std::iota(key.begin(), key.end(), uint8_t{0});
  return Psk::from_bytes(key).value();
}

PnetNonce counting_nonce(uint8_t first) {
  PnetNonce nonce{};
  std::iota(nonce.begin(), nonce.end(), first);
  return nonce;
}

TEST(XSalsa20Stream, MatchesAnIndependentImplementation) {
  XSalsa20Stream stream(counting_key(), counting_nonce(0x80));
  Bytes zeros(150);
  stream.apply(zeros);
  EXPECT_EQ(to_hex(zeros), kKeystream150);
  EXPECT_EQ(stream.position(), 150u);

  XSalsa20Stream again(counting_key(), counting_nonce(0x80));
  Bytes hello = text("/multistream/1.0.0\n");
  again.apply(hello);
  EXPECT_EQ(to_hex(hello), "c165a537579030c6f7191fa03f44b5cfbae2f4");
}

TEST(XSalsa20Stream, ChunkBoundariesDoNotMatter) {
  Bytes whole(1000);
  std::iota(whole.begin(), whole.end(), uint8_t{3});
  Bytes expected = whole;
  XSalsa20Stream reference(counting_key(), counting_nonce(1));
  reference.apply(expected);
  // Chunks of every size from 1 to 130, straddling block boundaries in every way.
  for (size_t chunk = 1; chunk <= 130; ++chunk) {
    Bytes data = whole;
    XSalsa20Stream stream(counting_key(), counting_nonce(1));
    for (size_t at = 0; at < data.size(); at += chunk) {
      stream.apply(std::span<uint8_t>(data).subspan(at, std::min(chunk, data.size() - at)));
    }
    ASSERT_EQ(data, expected) << "chunk " << chunk;
  }
  XSalsa20Stream stream(counting_key(), counting_nonce(1));
  stream.apply({});
  EXPECT_EQ(stream.position(), 0u);
}

TEST(PnetSession, SameKeyRoundTripsAndTheNonceMaySplit) {
  PnetSession a(counting_key(), counting_nonce(10));
  PnetSession b(counting_key(), counting_nonce(50));
  const Bytes message = text("/multistream/1.0.0\n/noise\n");
  Bytes wire(a.local_nonce().begin(), a.local_nonce().end());
  Bytes sealed = message;
  a.seal(sealed);
  EXPECT_NE(sealed, message);
  wire.insert(wire.end(), sealed.begin(), sealed.end());

  // The nonce in three pieces, the last one sharing a read with the first ciphertext.
  EXPECT_TRUE(b.receive(ByteSpan(wire).first(5)).empty());
  EXPECT_FALSE(b.ready());
  EXPECT_TRUE(b.receive(ByteSpan(wire).subspan(5, 18)).empty());
  Bytes got = b.receive(ByteSpan(wire).subspan(23, 4));
  EXPECT_TRUE(b.ready());
  const Bytes rest = b.receive(ByteSpan(wire).subspan(27));
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, message);
  EXPECT_EQ(wire.size(), kPnetNonceLength + message.size());
}

TEST(PnetSession, AnotherKeyYieldsGarbage) {
  PnetSession a(counting_key(), counting_nonce(10));
  PnetSession b(Psk::from_bytes(Bytes(kPskLength, 7)).value(), counting_nonce(50));
  const Bytes message = text("/multistream/1.0.0\n");
  Bytes wire(a.local_nonce().begin(), a.local_nonce().end());
  Bytes sealed = message;
  a.seal(sealed);
  wire.insert(wire.end(), sealed.begin(), sealed.end());
  EXPECT_NE(b.receive(wire), message);
}

}  // namespace
}  // namespace cairn::net
