#include "chain/sig_cache.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/keys.h"

namespace cairn {
namespace {

struct Triple {
  Hash256 message;
  PublicKey key;
  Signature signature;
};

Triple signed_triple(uint64_t n) {
  Writer w;
  w.u64(n);
  const Hash256 message = blake3(w.data());
  const KeyPair& k = test::test_key(n % test::kTestKeys);
  return {message, k.public_key(), k.sign(message)};
}

TEST(SignatureCache, RemembersInsertedTriplesOnly) {
  DeterministicRng rng(1);
  SignatureCache cache(rng, 16);
  const Triple t = signed_triple(1);
  EXPECT_FALSE(cache.contains(t.message, t.key, t.signature));
  cache.insert(t.message, t.key, t.signature);
  EXPECT_TRUE(cache.contains(t.message, t.key, t.signature));
  cache.insert(t.message, t.key, t.signature);
  EXPECT_EQ(cache.size(), 1u);

  // Any change to any of the three is another entry.
  Triple other = t;
  other.message.bytes[0] ^= 1;
  EXPECT_FALSE(cache.contains(other.message, other.key, other.signature));
  other = t;
  other.key = test::test_key(7).public_key();
  EXPECT_FALSE(cache.contains(other.message, other.key, other.signature));
  other = t;
  other.signature.bytes[63] ^= 1;
  EXPECT_FALSE(cache.contains(other.message, other.key, other.signature));
}

TEST(SignatureCache, BoundedWithEviction) {
  DeterministicRng rng(2);
  constexpr size_t kMax = 8;
  SignatureCache cache(rng, kMax);
  std::vector<Triple> triples;
  for (uint64_t i = 0; i < kMax; ++i) {
    triples.push_back(signed_triple(i));
    cache.insert(triples.back().message, triples.back().key, triples.back().signature);
  }
  EXPECT_EQ(cache.size(), kMax);  // at the bound, nothing evicted
  for (const auto& t : triples) EXPECT_TRUE(cache.contains(t.message, t.key, t.signature));

  const Triple extra = signed_triple(100);
  cache.insert(extra.message, extra.key, extra.signature);
  EXPECT_EQ(cache.size(), kMax);  // one past the bound evicts one
  EXPECT_TRUE(cache.contains(extra.message, extra.key, extra.signature));
  size_t kept = 0;
  for (const auto& t : triples) kept += cache.contains(t.message, t.key, t.signature) ? 1u : 0u;
  EXPECT_EQ(kept, kMax - 1);
}

TEST(SignatureCache, SaltDiffersPerCache) {
  // Two caches from different randomness: the same triple must not be predictable
  // across processes, but each cache is consistent with itself.
  DeterministicRng a(3), b(4);
  SignatureCache first(a, 4), second(b, 4);
  const Triple t = signed_triple(5);
  first.insert(t.message, t.key, t.signature);
  EXPECT_TRUE(first.contains(t.message, t.key, t.signature));
  EXPECT_FALSE(second.contains(t.message, t.key, t.signature));
}

TEST(CachingSignatureChecker, CachesSuccessesNotFailures) {
  DeterministicRng rng(5);
  SignatureCache cache(rng, 16);
  CachingSignatureChecker checker(cache);
  const Triple good = signed_triple(9);
  Triple bad = good;
  bad.signature.bytes[0] ^= 1;

  EXPECT_FALSE(checker.verify(bad.message, bad.key, bad.signature));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(checker.verify(good.message, good.key, good.signature));
  EXPECT_TRUE(cache.contains(good.message, good.key, good.signature));
  // A changed signature over the same message and key is verified, not looked up.
  EXPECT_FALSE(checker.verify(bad.message, bad.key, bad.signature));
}

TEST(CachingSignatureChecker, ConsultsTheCacheBeforeVerifying) {
  DeterministicRng rng(6);
  SignatureCache cache(rng, 16);
  CachingSignatureChecker checker(cache);
  Triple t = signed_triple(11);
  t.signature.bytes[5] ^= 1;  // invalid, but planted in the cache
  cache.insert(t.message, t.key, t.signature);
  EXPECT_TRUE(checker.verify(t.message, t.key, t.signature));
}

TEST(SignatureCache, ConcurrentUse) {
  DeterministicRng rng(7);
  SignatureCache cache(rng, 64);
  CachingSignatureChecker checker(cache);
  std::vector<Triple> triples;
  for (uint64_t i = 0; i < 32; ++i) triples.push_back(signed_triple(i));
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&] {
      for (const auto& t : triples) EXPECT_TRUE(checker.verify(t.message, t.key, t.signature));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(cache.size(), 32u);
}

}  // namespace
}  // namespace cairn
