// Lock evaluation on hostile witnesses. The input is
//
//   witness Witness ‖ spent OutputLock ‖ lock_time, spend_height, spend_time,
//   coin_height, coin_time (u64 each) ‖ commit u8
//
// and, when `commit` is odd, the spent output's hash is replaced by the witness's own key
// or lock hash, so that inputs get past the commitment check to the evaluator. The witness
// is spent by input 0 of a one-input transaction whose lock_time is lock_time.
//
// Contract: never crash; never check more signatures than kMaxLockEvalSteps; a witness
// accepted with real signature checks is accepted when every signature passes, and its
// lock is well formed; the witness re-encodes to exactly the bytes it was decoded from.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "consensus/lock_eval.h"
#include "fuzz.h"

namespace cairn {
namespace {

// Counts the checks it is asked to make. With `accept_all`, every signature passes, so
// evaluation also reaches what lies behind signatures no fuzzer can forge.
class CountingChecker final : public SignatureChecker {
 public:
  explicit CountingChecker(bool accept_all) : accept_all_(accept_all) {}
  bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) override {
    ++calls;
    return accept_all_ || direct_.verify(message, key, signature);
  }
  size_t calls = 0;

 private:
  bool accept_all_;
  DirectSignatureChecker direct_;
};

// The output hash a witness would satisfy; `fallback` for an unsigned input.
Hash256 commitment(const Witness& witness, const Hash256& fallback) {
  if (const auto* key = std::get_if<KeySpend>(&witness)) return key_hash(key->key);
  if (const auto* lock = std::get_if<LockSpend>(&witness)) return lock_hash(lock->lock);
  return fallback;
}

void check_round_trip(const Witness& witness, ByteSpan encoded) {
  Writer w;
  encode(w, witness);
  FUZZ_CHECK(w.data() == Bytes(encoded.begin(), encoded.end()));
  Reader again(w.data());
  const Witness decoded = decode_witness(again);
  FUZZ_CHECK(again.finish().ok());
  FUZZ_CHECK(decoded == witness);
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  Reader r(ByteSpan(data, size));
  const Witness witness = decode_witness(r);
  const size_t witness_size = r.position();
  OutputLock lock = decode_output_lock(r);
  SpendContext context;
  const uint64_t lock_time = r.u64("lock_time");
  context.spend_height = r.u64("spend_height");
  context.spend_time = r.u64("spend_time");
  context.coin_height = r.u64("coin_height");
  context.coin_time = r.u64("coin_time");
  const uint8_t commit = r.u8("commit");
  if (!r.ok()) return 0;

  check_round_trip(witness, ByteSpan(data, witness_size));
  if (commit & 1) lock.hash = commitment(witness, lock.hash);

  Transaction tx;
  tx.lock_time = lock_time;
  tx.inputs.push_back(TxIn{OutPoint{}, witness});
  const TxOut spent{kCoin, lock};
  const auto digests = compute_sighash_digests(tx, std::span(&spent, 1));
  FUZZ_CHECK(digests.ok());
  const Hash256 genesis;

  CountingChecker strict(false);
  CountingChecker lenient(true);
  const LockError strict_verdict = verify_input(tx, 0, spent, *digests, genesis, context, strict);
  const LockError lenient_verdict = verify_input(tx, 0, spent, *digests, genesis, context, lenient);
  FUZZ_CHECK(strict.calls <= kMaxLockEvalSteps && lenient.calls <= kMaxLockEvalSteps);
  FUZZ_CHECK(strict_verdict != LockError::ok || lenient_verdict == LockError::ok);
  // What decoding admits (≤ 64 nodes, and ≤ 63 keys in 2,048 bytes) stays below the step
  // limit, which binds only locks built in memory. Should the decoder's limits grow past
  // that, this says so.
  FUZZ_CHECK(lenient_verdict != LockError::too_many_steps);

  if (const auto* spend = std::get_if<LockSpend>(&witness)) {
    const LockError structure = check_lock(spend->lock);
    FUZZ_CHECK(structure == LockError::ok || lenient_verdict != LockError::ok);
    FUZZ_CHECK(structure != LockError::keyless_path || !lock_requires_signature(spend->lock.root));
  }
  if (lenient_verdict == LockError::ok) FUZZ_CHECK(!std::holds_alternative<std::monostate>(witness));
  return 0;
}
