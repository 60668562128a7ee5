#include "consensus/lock_eval.h"

#include <algorithm>
#include <optional>
#include <variant>

namespace cairn {
namespace {

// --- Structure (check_lock) -------------------------------------------------------------
//
// Every function below reads only the fields the encoding of its tag carries, so a verdict
// depends on the encoded lock and witness alone, never on leftovers in unused fields.

// `after` compares against a transaction lock_time, whose kind is fixed by the threshold,
// so its value must lie in its kind's range or it could never (or always) be met. `older`
// heights are kept below the threshold too; `older` seconds take any value.
bool valid_time(LockTag tag, const LockTime& time) {
  switch (time.kind) {
    case TimeKind::height:
      return time.value < kLockTimeThreshold;
    case TimeKind::seconds:
      return tag == LockTag::older || time.value >= kLockTimeThreshold;
  }
  return false;  // a kind no version defines
}

// `depth` counts the ALL/ANY nodes above `node`; `nodes` counts the nodes seen so far.
// Counts are checked before recursing, so a hostile in-memory tree costs at most
// kMaxLockNodes + 1 visits and kMaxLockDepth + 1 frames.
bool valid_node(const LockNode& node, size_t depth, size_t& nodes) {
  if (++nodes > kMaxLockNodes) return false;
  switch (node.tag) {
    case LockTag::key:
      return node.keys.size() == 1;
    case LockTag::multi:
      return node.threshold >= 1 && node.threshold <= node.keys.size() &&
             node.keys.size() <= kMaxMultisigKeys;
    case LockTag::hash:
      return true;
    case LockTag::after:
    case LockTag::older:
      return valid_time(node.tag, node.time);
    case LockTag::all:
    case LockTag::any:
      if (depth + 1 > kMaxLockDepth) return false;
      if (node.children.empty() || node.children.size() > kMaxLockChildren) return false;
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const LockNode& child) { return valid_node(child, depth + 1, nodes); });
  }
  return false;  // a tag no version defines
}

// --- Shape (step 3 of docs/consensus.md §5) ---------------------------------------------

// The satisfaction mirrors the lock: same tags, one signature slot per key, one child per
// ALL child, exactly one child for ANY on a branch that exists. Checked for the whole tree
// before any signature is verified, so a malformed witness costs no Ed25519 work.
// Recursion follows the lock, whose depth check_lock has bounded.
bool mirrors(const LockNode& lock, const Satisfaction& sat) {
  if (sat.tag != lock.tag) return false;
  switch (lock.tag) {
    case LockTag::key:
      return sat.signatures.size() == 1;
    case LockTag::multi:
      return sat.signatures.size() == lock.keys.size();
    case LockTag::hash:
    case LockTag::after:
    case LockTag::older:
      return true;
    case LockTag::all:
      return sat.children.size() == lock.children.size() &&
             std::equal(lock.children.begin(), lock.children.end(), sat.children.begin(), mirrors);
    case LockTag::any:
      return sat.children.size() == 1 && sat.branch < lock.children.size() &&
             mirrors(lock.children[sat.branch], sat.children.front());
  }
  return false;
}

// --- Evaluation ---------------------------------------------------------------------------

// Checks one signature of input `input_index` against the sighash of its own type byte.
// signature_hash is the single place that knows which types are defined: it refuses the
// others, and the input index was range-checked by verify_input, so its only failure here
// is an undefined type.
LockError check_signature(const Transaction& tx, uint32_t input_index, const SighashDigests& digests,
                          const Hash256& genesis, SignatureChecker& checker, const PublicKey& key,
                          const TypedSignature& sig) {
  const auto message = signature_hash(tx, digests, input_index, sig.type, genesis);
  if (!message) return LockError::bad_sighash_type;
  return checker.verify(*message, key, sig.signature) ? LockError::ok : LockError::bad_signature;
}

// `later - earlier >= needed`, without wrapping when `later` is before `earlier` (a coin
// from a block with a later median time than the spending block's is simply not old enough).
bool elapsed_at_least(uint64_t earlier, uint64_t later, uint64_t needed) {
  return later >= earlier && later - earlier >= needed;
}

// Evaluates a well-formed lock against a satisfaction that mirrors it, counting one step
// per node visited and one per signature checked.
class Evaluator {
 public:
  Evaluator(const Transaction& tx, uint32_t input_index, const SighashDigests& digests,
            const Hash256& genesis, const SpendContext& context, SignatureChecker& checker)
      : tx_(tx),
        input_index_(input_index),
        digests_(digests),
        genesis_(genesis),
        context_(context),
        checker_(checker) {}

  LockError eval(const LockNode& lock, const Satisfaction& sat) {
    if (!step()) return LockError::too_many_steps;
    switch (lock.tag) {
      case LockTag::key:
        return eval_key(lock.keys.front(), sat.signatures.front());
      case LockTag::multi:
        return eval_multi(lock, sat);
      case LockTag::hash:
        return eval_hash(lock.digest, sat.preimage);
      case LockTag::after:
        return eval_after(lock.time);
      case LockTag::older:
        return eval_older(lock.time);
      case LockTag::all:
        for (size_t i = 0; i < lock.children.size(); ++i) {
          if (auto e = eval(lock.children[i], sat.children[i]); e != LockError::ok) return e;
        }
        return LockError::ok;
      case LockTag::any:
        return eval(lock.children[sat.branch], sat.children.front());
    }
    return LockError::invalid_lock;  // unreachable: check_lock admits only defined tags
  }

 private:
  bool step() { return ++steps_ <= kMaxLockEvalSteps; }

  LockError signature(const PublicKey& key, const TypedSignature& sig) {
    if (!step()) return LockError::too_many_steps;
    return check_signature(tx_, input_index_, digests_, genesis_, checker_, key, sig);
  }

  LockError eval_key(const PublicKey& key, const std::optional<TypedSignature>& sig) {
    if (!sig) return LockError::missing_signature;
    return signature(key, *sig);
  }

  // Every present signature must verify, not only `threshold` of them: otherwise anyone
  // relaying the transaction could pad the witness with garbage (changing its wtxid).
  LockError eval_multi(const LockNode& lock, const Satisfaction& sat) {
    const auto present = std::count_if(sat.signatures.begin(), sat.signatures.end(),
                                       [](const auto& sig) { return sig.has_value(); });
    if (static_cast<size_t>(present) < lock.threshold) return LockError::missing_signature;
    for (size_t i = 0; i < lock.keys.size(); ++i) {
      if (!sat.signatures[i]) continue;
      if (auto e = signature(lock.keys[i], *sat.signatures[i]); e != LockError::ok) return e;
    }
    return LockError::ok;
  }

  // A preimage longer than decoding admits is refused too, so a witness built in memory
  // gets the verdict it would get after a round trip through the wire.
  static LockError eval_hash(const Hash256& digest, const Bytes& preimage) {
    const bool met = preimage.size() <= kMaxPreimageBytes && blake3(preimage) == digest;
    return met ? LockError::ok : LockError::hash_preimage_mismatch;
  }

  // The transaction's lock_time must be of the lock's kind: a height never satisfies a
  // time in seconds, nor the reverse.
  LockError eval_after(const LockTime& time) const {
    const uint64_t lock_time = tx_.lock_time;
    const TimeKind kind = lock_time < kLockTimeThreshold ? TimeKind::height : TimeKind::seconds;
    return kind == time.kind && lock_time >= time.value ? LockError::ok : LockError::lock_time_unmet;
  }

  LockError eval_older(const LockTime& time) const {
    const bool met = time.kind == TimeKind::height
                         ? elapsed_at_least(context_.coin_height, context_.spend_height, time.value)
                         : elapsed_at_least(context_.coin_time, context_.spend_time, time.value);
    return met ? LockError::ok : LockError::relative_time_unmet;
  }

  const Transaction& tx_;
  uint32_t input_index_;
  const SighashDigests& digests_;
  const Hash256& genesis_;
  const SpendContext& context_;
  SignatureChecker& checker_;
  uint32_t steps_ = 0;
};

LockError verify_key_spend(const Transaction& tx, uint32_t input_index, const KeySpend& spend,
                           const OutputLock& spent, const SighashDigests& digests, const Hash256& genesis,
                           SignatureChecker& checker) {
  if (spent.kind != OutputLockKind::key_hash) return LockError::witness_kind_mismatch;
  if (key_hash(spend.key) != spent.hash) return LockError::key_hash_mismatch;
  return check_signature(tx, input_index, digests, genesis, checker, spend.key, spend.signature);
}

// Checks run from cheap to expensive: output kind, structure, commitment, shape, then
// evaluation. The structure comes before the lock hash because hashing encodes the lock,
// and the encoder may assume what check_lock establishes (one key per key node, a
// threshold that fits a byte); a decoded lock already meets those, so for locks from the
// wire only the reason reported for a lock both malformed and uncommitted depends on it.
LockError verify_lock_spend(const Transaction& tx, uint32_t input_index, const LockSpend& spend,
                            const OutputLock& spent, const SighashDigests& digests, const Hash256& genesis,
                            const SpendContext& context, SignatureChecker& checker) {
  if (spent.kind != OutputLockKind::lock_hash) return LockError::witness_kind_mismatch;
  if (auto e = check_lock(spend.lock); e != LockError::ok) return e;
  if (lock_hash(spend.lock) != spent.hash) return LockError::lock_hash_mismatch;
  if (!mirrors(spend.lock.root, spend.satisfaction)) return LockError::shape_mismatch;
  return Evaluator(tx, input_index, digests, genesis, context, checker)
      .eval(spend.lock.root, spend.satisfaction);
}

}  // namespace

const char* to_string(LockError e) {
  switch (e) {
    case LockError::ok:
      return "ok";
    case LockError::missing_witness:
      return "missing witness";
    case LockError::witness_kind_mismatch:
      return "witness kind does not match the output lock";
    case LockError::key_hash_mismatch:
      return "key does not match the output's key hash";
    case LockError::lock_hash_mismatch:
      return "lock does not match the output's lock hash";
    case LockError::bad_lock_version:
      return "unknown lock version";
    case LockError::invalid_lock:
      return "malformed lock";
    case LockError::keyless_path:
      return "lock has a spend path without a signature";
    case LockError::shape_mismatch:
      return "satisfaction does not mirror the lock";
    case LockError::missing_signature:
      return "required signature missing";
    case LockError::bad_sighash_type:
      return "undefined sighash type";
    case LockError::bad_signature:
      return "signature does not verify";
    case LockError::hash_preimage_mismatch:
      return "hash-lock preimage does not match";
    case LockError::lock_time_unmet:
      return "absolute time-lock not met";
    case LockError::relative_time_unmet:
      return "relative time-lock not met";
    case LockError::too_many_steps:
      return "lock evaluation exceeds the step limit";
  }
  return "unknown lock error";
}

bool DirectSignatureChecker::verify(const Hash256& message, const PublicKey& key,
                                    const Signature& signature) {
  return cairn::verify(key, message, signature);
}

bool lock_requires_signature(const LockNode& node) {
  const auto& children = node.children;
  switch (node.tag) {
    case LockTag::key:
    case LockTag::multi:
      return true;
    case LockTag::hash:
    case LockTag::after:
    case LockTag::older:
      return false;
    // ALL holds only if every child does, so one signing child signs every path through it.
    case LockTag::all:
      return std::any_of(children.begin(), children.end(), lock_requires_signature);
    // ANY lets the spender pick the child, so each one must sign.
    case LockTag::any:
      return std::all_of(children.begin(), children.end(), lock_requires_signature);
  }
  return false;
}

LockError check_lock(const Lock& lock) {
  if (lock.version != kLockVersion) return LockError::bad_lock_version;
  size_t nodes = 0;
  if (!valid_node(lock.root, 0, nodes)) return LockError::invalid_lock;
  if (!lock_requires_signature(lock.root)) return LockError::keyless_path;
  return LockError::ok;
}

LockError verify_input(const Transaction& tx, uint32_t input_index, const TxOut& spent,
                       const SighashDigests& digests, const Hash256& genesis, const SpendContext& context,
                       SignatureChecker& checker) {
  // An index past the inputs is a caller's mistake; fail closed rather than read past the end.
  if (input_index >= tx.inputs.size()) return LockError::missing_witness;
  const Witness& witness = tx.inputs[input_index].witness;
  if (const auto* key = std::get_if<KeySpend>(&witness)) {
    return verify_key_spend(tx, input_index, *key, spent.lock, digests, genesis, checker);
  }
  if (const auto* lock = std::get_if<LockSpend>(&witness)) {
    return verify_lock_spend(tx, input_index, *lock, spent.lock, digests, genesis, context, checker);
  }
  return LockError::missing_witness;
}

}  // namespace cairn
