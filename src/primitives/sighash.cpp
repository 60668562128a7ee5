#include "primitives/sighash.h"

#include <string>

namespace cairn {

Result<SighashDigests> compute_sighash_digests(const Transaction& tx, std::span<const TxOut> spent) {
  if (spent.size() != tx.inputs.size()) {
    return Error{ErrorCode::invalid_argument, "spent outputs: " + std::to_string(spent.size()) +
                                                  " given for " + std::to_string(tx.inputs.size()) +
                                                  " inputs"};
  }
  // Each digest hashes the canonical encodings of its elements, written by the same
  // encoders as the transaction itself so that the two cannot drift apart.
  Writer prevouts, values, locks, outputs, payload;
  for (const auto& in : tx.inputs) encode(prevouts, in.prevout);
  for (const auto& out : spent) {
    values.u64(out.value);
    encode(locks, out.lock);
  }
  for (const auto& out : tx.outputs) encode(outputs, out);
  encode(payload, tx.payload);
  return SighashDigests{
      .prevouts = hash(HashContext::sighash_prevouts, prevouts.data()),
      .values = hash(HashContext::sighash_values, values.data()),
      .locks = hash(HashContext::sighash_locks, locks.data()),
      .outputs = hash(HashContext::sighash_outputs, outputs.data()),
      .payload = hash(HashContext::sighash_payload, payload.data()),
  };
}

Result<Hash256> signature_hash(const Transaction& tx, const SighashDigests& digests, uint32_t input_index,
                               uint8_t sighash_type, const Hash256& genesis) {
  if (sighash_type != static_cast<uint8_t>(SighashType::all)) {
    return Error{ErrorCode::invalid_argument, "sighash_type: unknown type " + std::to_string(sighash_type)};
  }
  if (input_index >= tx.inputs.size()) {
    return Error{ErrorCode::invalid_argument, "input_index: " + std::to_string(input_index) +
                                                  " is out of range for " + std::to_string(tx.inputs.size()) +
                                                  " inputs"};
  }
  Writer w;
  w.u8(sighash_type);
  w.raw(genesis);
  w.u32(tx.version);
  w.u64(tx.lock_time);
  w.raw(digests.prevouts);
  w.raw(digests.values);
  w.raw(digests.locks);
  w.raw(digests.outputs);
  w.raw(digests.payload);
  w.u32(input_index);
  return hash(HashContext::sighash, w.data());
}

}  // namespace cairn
