#include "crypto/hash.h"

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn {
namespace {

using nlohmann::json;

constexpr std::string_view kVectorKey = "whats the Elvish word for friend";
constexpr std::string_view kVectorContext = "BLAKE3 2019-12-27 16:29:52 test vectors context";

// The input of BLAKE3's official vectors: 0, 1, ..., 250, 0, 1, ... repeated.
Bytes vector_input(size_t length) {
  Bytes out(length);
  for (size_t i = 0; i < length; ++i) out[i] = static_cast<uint8_t>(i % 251);
  return out;
}

Hash256 vector_key() { return *Hash256::from_span(as_bytes(kVectorKey)); }

std::string xof_hex(const Hasher& hasher, size_t length, uint64_t seek = 0) {
  Bytes out(length);
  hasher.finalize_xof(out, seek);
  return to_hex(out);
}

// Checks one case in all three modes: the full extended output, its first 32 bytes as the
// default-length digest, the one-shot helpers, and reading the stream from an offset.
void check_case(size_t input_len, const std::string& hash_hex, const std::string& keyed_hex,
                const std::string& derive_hex) {
  SCOPED_TRACE("input_len " + std::to_string(input_len));
  const Bytes input = vector_input(input_len);
  const struct {
    const char* mode;
    Hasher hasher;
    const std::string& expected;
  } modes[] = {
      {"hash", Hasher::plain().update(input), hash_hex},
      {"keyed_hash", Hasher::keyed(vector_key()).update(input), keyed_hex},
      {"derive_key", Hasher::derive_key(kVectorContext).update(input), derive_hex},
  };
  for (const auto& m : modes) {
    SCOPED_TRACE(m.mode);
    const size_t length = m.expected.size() / 2;
    EXPECT_EQ(xof_hex(m.hasher, length), m.expected);
    EXPECT_EQ(m.hasher.finalize().hex(), m.expected.substr(0, 64));
    EXPECT_EQ(xof_hex(m.hasher, length - 7, 7), m.expected.substr(14));
  }
  EXPECT_EQ(blake3(input).hex(), hash_hex.substr(0, 64));
  EXPECT_EQ(derive_key(kVectorContext, input).hex(), derive_hex.substr(0, 64));
}

// Feeding the input in uneven pieces must give the same digest as one update.
TEST(Hash, IncrementalUpdatesMatchOneShot) {
  const Bytes input = vector_input(5000);
  Hasher pieces = Hasher::plain();
  for (size_t at = 0, step = 1; at < input.size(); at += step, step = step * 3 + 1) {
    pieces.update(ByteSpan(input).subspan(at, std::min(step, input.size() - at)));
  }
  EXPECT_EQ(pieces.finalize(), blake3(input));
}

// A few cases of ../shared/vectors/blake3/test_vectors.json, so a bare clone checks them.
TEST(Hash, EmbeddedOfficialVectors) {
  check_case(
      0,
      "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050338d"
      "dfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e"
      "159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d",
      "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26b18171a2f22a4b94822c701f107153dba249"
      "18c4bae4d2945c20ece13387627d3b73cbf97b797d5e59948c7ef788f54372df45e45e4293c7dc18c1d41144a9758be58960"
      "856be1eabbe22c2653190de560ca3b2ac4aa692a9210694254c371e851bc8f",
      "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d905630c8be290dfcf3e6842f13bddd573c09"
      "8c3f17361f1f206b8cad9d088aa4a3f746752c6b0ce6a83b0da81d59649257cdf8eb3e9f7d4998e41021fac119deefb89622"
      "4ac99f860011f73609e6e0e4540f93b273e56547dfd3aa1a035ba6689d89a0");
  check_case(
      1025,
      "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255de600"
      "35742ec71bd08ac275a1b51cc6bfe332b0ef84b409108cda080e6269ed4b3e2c3f7d722aa4cdc98d16deb554e5627be8f955"
      "c98e1d5f9565a9194cad0c4285f93700062d9595adb992ae68ff12800ab67a",
      "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69362396b77fdc0d2634a552970843722066c3"
      "c15902ae5097e00ff53f1e116f1cd5352720113a837ab2452cafbde4d54085d9cf5d21ca613071551b25d52e69d6c8112387"
      "2b6f19cd3bc1333edf0c52b94de23ba772cf82636cff4542540a7738d5b930",
      "effaa245f065fbf82ac186839a249707c3bddf6d3fdda22d1b95a3c970379bcb5d31013a167509e9066273ab6e2123bc835b"
      "408b067d88f96addb550d96b6852dad38e320b9d940f86db74d398c770f462118b35d2724efa13da97194491d96dd37c3c09"
      "cbef665953f2ee85ec83d88b88d11547a6f911c8217cca46defa2751e7f3ad");
}

TEST(Hash, OfficialVectors) {
  CAIRN_REQUIRE_SHARED(path, "blake3/test_vectors.json");
  const json vectors = json::parse(test::read_file(path));
  ASSERT_EQ(vectors.at("key").get<std::string>(), kVectorKey);
  ASSERT_EQ(vectors.at("context_string").get<std::string>(), kVectorContext);
  ASSERT_FALSE(vectors.at("cases").empty());
  for (const json& c : vectors.at("cases")) {
    check_case(c.at("input_len").get<size_t>(), c.at("hash").get<std::string>(),
               c.at("keyed_hash").get<std::string>(), c.at("derive_key").get<std::string>());
  }
}

// The context table against docs/consensus.md §2 as computed by an independent BLAKE3
// (tests/tools/lthash_vectors.mjs on @noble/hashes): same strings, same order, same keys.
TEST(Hash, ContextKeysMatchIndependentImplementation) {
  const json vectors = json::parse(test::read_file(test::test_data("lthash_vectors.json")));
  const json& contexts = vectors.at("contexts");
  ASSERT_EQ(contexts.size(), kHashContexts.size())
      << "docs/consensus.md §2 and kHashContexts differ in length";
  for (size_t i = 0; i < kHashContexts.size(); ++i) {
    const auto ctx = static_cast<HashContext>(i);
    SCOPED_TRACE(std::string(context_string(ctx)));
    EXPECT_EQ(contexts[i].at("context").get<std::string>(), context_string(ctx));
    EXPECT_EQ(context_key(ctx).hex(), contexts[i].at("key").get<std::string>());
    // The cached key is BLAKE3 derive_key with empty key material.
    EXPECT_EQ(context_key(ctx), derive_key(context_string(ctx), {}));
  }
}

TEST(Hash, ContextTableFollowsEnumOrder) {
  for (size_t i = 0; i < kHashContexts.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kHashContexts[i].id), i) << kHashContexts[i].context;
  }
  // Spot checks that pin the enum values themselves (they are consensus).
  EXPECT_EQ(context_string(HashContext::header), "cairn v1 header");
  EXPECT_EQ(context_string(HashContext::lthash_element), "cairn v1 lthash element");
  EXPECT_EQ(context_string(HashContext::vote_sign), "cairn v1 vote sign");
  EXPECT_EQ(static_cast<size_t>(HashContext::kCount), kHashContexts.size());
}

TEST(Hash, ContextsAreDistinct) {
  std::set<std::string_view> strings;
  std::set<Hash256> keys;
  std::set<Hash256> digests;
  for (const auto& info : kHashContexts) {
    EXPECT_TRUE(strings.insert(info.context).second) << "duplicate context " << info.context;
    EXPECT_TRUE(keys.insert(context_key(info.id)).second) << "duplicate key for " << info.context;
    EXPECT_TRUE(digests.insert(hash(info.id, as_bytes("same data"))).second) << info.context;
  }
}

TEST(Hash, KeyedHashUsesContextKey) {
  const Bytes data = vector_input(100);
  EXPECT_EQ(hash(HashContext::txid, data),
            Hasher::keyed(context_key(HashContext::txid)).update(data).finalize());
  EXPECT_NE(hash(HashContext::txid, data), blake3(data));
}

}  // namespace
}  // namespace cairn
