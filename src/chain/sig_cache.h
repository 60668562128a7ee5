// A cache of signature checks that succeeded, so that a transaction verified when it
// entered the mempool is not verified again when its block connects.
//
// An entry is the salted hash of everything the verdict depends on — the message (the
// input's sighash), the public key and the signature — never a txid: the txid does not
// commit to witnesses, so keying by it would let a peer reuse an honest transaction's
// cached verdict for a changed, invalid witness. The salt is secret and per process, so
// no one can aim entries at chosen hash-table buckets. Only successes are cached: a
// failure is cheap to find again and caching it would let anyone fill the cache.
//
// Bounded: at max_entries, a random entry is evicted (cheap, and an attacker cannot
// predict which entry to refill). Thread-safe.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "consensus/lock_eval.h"
#include "crypto/hash.h"
#include "util/metrics.h"
#include "util/rng.h"
#include "util/thread_annotations.h"

namespace cairn {

class SignatureCache {
 public:
  // 32 bytes of key plus about as much again of table overhead each: ~16 MiB.
  static constexpr size_t kDefaultMaxEntries = 1u << 18;

  // Draws the salt and the eviction seed from `rng`.
  explicit SignatureCache(Rng& rng, size_t max_entries = kDefaultMaxEntries);

  bool contains(const Hash256& message, const PublicKey& key, const Signature& signature) const
      EXCLUDES(mutex_);
  void insert(const Hash256& message, const PublicKey& key, const Signature& signature) EXCLUDES(mutex_);
  size_t size() const EXCLUDES(mutex_);
  size_t max_entries() const { return max_entries_; }
  // Ed25519 verifications the CachingSignatureCheckers over this cache ran (the checks the
  // cache could not answer), for /metrics.
  uint64_t verifications() const { return verifications_.value(); }

 private:
  friend class CachingSignatureChecker;

  Hash256 entry(const Hash256& message, const PublicKey& key, const Signature& signature) const;

  struct EntryHash {
    // Entries are already uniform (salted BLAKE3), so their first bytes are a fine hash.
    size_t operator()(const Hash256& h) const;
  };

  const size_t max_entries_;
  Hash256 salt_;
  mutable Mutex mutex_;
  DeterministicRng evict_rng_ GUARDED_BY(mutex_);
  // entries_[i] is the entry whose index_ value is i: random eviction picks an index.
  std::vector<Hash256> entries_ GUARDED_BY(mutex_);
  std::unordered_map<Hash256, size_t, EntryHash> index_ GUARDED_BY(mutex_);
  metrics::Counter verifications_;
};

// Checks signatures through a SignatureCache: a cached triple passes without verifying;
// a triple that verifies is inserted. Safe to share across threads (the cache is).
class CachingSignatureChecker final : public SignatureChecker {
 public:
  explicit CachingSignatureChecker(SignatureCache& cache) : cache_(cache) {}
  bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) override;

 private:
  SignatureCache& cache_;
};

}  // namespace cairn
