#include "chain/sig_cache.h"

#include <cassert>
#include <cstring>

#include "crypto/ed25519.h"

namespace cairn {

SignatureCache::SignatureCache(Rng& rng, size_t max_entries)
    : max_entries_(max_entries), evict_rng_(rng.next_u64()) {
  assert(max_entries >= 1);
  rng.fill(salt_.span());
}

size_t SignatureCache::EntryHash::operator()(const Hash256& h) const {
  size_t out;
  std::memcpy(&out, h.data(), sizeof out);
  return out;
}

Hash256 SignatureCache::entry(const Hash256& message, const PublicKey& key,
                              const Signature& signature) const {
  // Fixed-size fields, so the concatenation is unambiguous.
  return Hasher::keyed(salt_).update(message).update(key).update(signature).finalize();
}

bool SignatureCache::contains(const Hash256& message, const PublicKey& key,
                              const Signature& signature) const {
  const Hash256 e = entry(message, key, signature);
  MutexLock lock(mutex_);
  return index_.contains(e);
}

void SignatureCache::insert(const Hash256& message, const PublicKey& key, const Signature& signature) {
  const Hash256 e = entry(message, key, signature);
  MutexLock lock(mutex_);
  if (index_.contains(e)) return;
  if (entries_.size() >= max_entries_) {
    const size_t victim = static_cast<size_t>(evict_rng_.uniform(entries_.size()));
    index_.erase(entries_[victim]);
    entries_[victim] = entries_.back();
    entries_.pop_back();
    if (victim < entries_.size()) index_[entries_[victim]] = victim;
  }
  index_.emplace(e, entries_.size());
  entries_.push_back(e);
}

size_t SignatureCache::size() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

bool CachingSignatureChecker::verify(const Hash256& message, const PublicKey& key,
                                     const Signature& signature) {
  if (cache_.contains(message, key, signature)) return true;
  cache_.verifications_.inc();
  if (!cairn::verify(key, message, signature)) return false;
  cache_.insert(message, key, signature);
  return true;
}

}  // namespace cairn
