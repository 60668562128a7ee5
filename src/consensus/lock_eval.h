// Evaluation of locks: does an input's witness satisfy the output it spends?
//
// One evaluator for every kind of lock, with hard limits: the revealed lock is bounded by
// primitives/lock.h (size, depth, nodes) and evaluation by kMaxLockEvalSteps, counting one
// step per node visited and one per signature checked. Every spend path of a lock must
// require at least one signature (lock_requires_signature); a lock with a keyless path is
// invalid, so no one can replay a spend with other outputs.
//
// Pure functions of their inputs: no clock, no I/O. Signature checks go through a
// SignatureChecker so the chain can add a cache and a worker pool.
#pragma once

#include <cstdint>

#include "crypto/ed25519.h"
#include "primitives/lock.h"
#include "primitives/sighash.h"
#include "primitives/transaction.h"

namespace cairn {

inline constexpr uint32_t kMaxLockEvalSteps = 256;

// Why an input failed. DO NOT REORDER: reasons are reported to peers and logs.
enum class LockError : uint8_t {
  ok = 0,
  missing_witness,        // the input is unsigned
  witness_kind_mismatch,  // key spend for a lock-hash output or the reverse
  key_hash_mismatch,      // the revealed key does not hash to the output's key hash
  lock_hash_mismatch,     // the revealed lock does not hash to the output's lock hash
  bad_lock_version,
  invalid_lock,       // malformed tree (counts, thresholds, time ranges)
  keyless_path,       // some path of the lock needs no signature
  shape_mismatch,     // the satisfaction does not mirror the lock
  missing_signature,  // a required signature is absent
  bad_sighash_type,   // a signature's type byte is not defined
  bad_signature,      // a signature does not verify
  hash_preimage_mismatch,
  lock_time_unmet,      // `after`: the transaction's lock_time is too low or of the other kind
  relative_time_unmet,  // `older`: the coin is not old enough
  too_many_steps,       // evaluation exceeded kMaxLockEvalSteps
};

const char* to_string(LockError e);

// Where the spend happens: what relative time-locks are checked against. (`after` reads
// the transaction's own lock_time, which every signature commits to.)
struct SpendContext {
  uint64_t spend_height = 0;  // height of the block that includes the spend
  uint64_t spend_time = 0;    // its median time past
  uint64_t coin_height = 0;   // height of the block that created the spent coin
  uint64_t coin_time = 0;     // that block's median time past
};

// Verifies one Ed25519 signature over a 32-byte message. The chain's implementation adds
// a signature cache keyed by (message, key, signature) and parallel verification.
class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;
  virtual bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) = 0;
};

// Plain libsodium verification, no cache.
class DirectSignatureChecker final : public SignatureChecker {
 public:
  bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) override;
};

// Structural validity of a lock (version, counts, thresholds, time values, depth/node
// limits) and that every path requires a signature.
LockError check_lock(const Lock& lock);
bool lock_requires_signature(const LockNode& node);

// Verifies that tx.inputs[input_index].witness satisfies `spent.lock`. The sighash of each
// signature is computed from `digests` and `genesis` with the signature's own type byte.
LockError verify_input(const Transaction& tx, uint32_t input_index, const TxOut& spent,
                       const SighashDigests& digests, const Hash256& genesis, const SpendContext& context,
                       SignatureChecker& checker);

}  // namespace cairn
