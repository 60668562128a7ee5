// Transactions whose inputs spend outputs nobody here knows yet (their parents have not
// arrived), held for a while so that they can be accepted when a parent arrives.
//
// Orphans are unvalidated data from peers, so the pool is small and every limit is hard:
// at most kMaxOrphans transactions of at most kMaxOrphanTxBytes each, each kept at most
// kOrphanExpirySeconds. When full, a random orphan makes room (an attacker cannot choose
// which honest orphan to push out). Not thread-safe: the mempool owns it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "primitives/block.h"
#include "primitives/transaction.h"
#include "util/rng.h"

namespace cairn {

inline constexpr size_t kMaxOrphans = 100;
// Below the mempool's kMaxStandardTxBytes: orphans are unvalidated, and ordinary transactions are small.
inline constexpr size_t kMaxOrphanTxBytes = 20'000;
inline constexpr int64_t kOrphanExpirySeconds = 20 * 60;

class OrphanPool {
 public:
  explicit OrphanPool(uint64_t seed) : rng_(seed) {}

  // Keeps `tx` (of encoded size `size`) until `now + kOrphanExpirySeconds`. False, and
  // nothing kept, if it is too large or already held.
  bool add(const Transaction& tx, size_t size, int64_t now);
  // Removes and returns, oldest first, the orphans that spend an output of `parent`.
  std::vector<Transaction> take_children(const Txid& parent);
  // Drops orphans whose time is up.
  void expire(int64_t now);
  // Drops orphans included in `block` or spending what its transactions spend.
  void remove_for_block(const Block& block);

  bool contains(const Txid& txid) const { return orphans_.contains(txid); }
  size_t size() const { return orphans_.size(); }

 private:
  struct Orphan {
    Transaction tx;
    int64_t expires = 0;
    uint64_t sequence = 0;  // arrival order, so that retries are deterministic
  };
  void erase(Txid txid);  // by value: callers pass keys of the maps it erases from

  DeterministicRng rng_;
  uint64_t next_sequence_ = 0;
  std::map<Txid, Orphan> orphans_;
  // (parent txid, orphan txid) for every input, so children are found without a scan.
  std::multimap<Txid, Txid> by_parent_;
};

}  // namespace cairn
