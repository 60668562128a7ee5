// The signature message of one input, in the style of BIP-341: linear in transaction size,
// committing to every input's prevout, spent value and spent lock, to all outputs, the
// payload, the version and lock time, the network's genesis hash and the input's index.
//
//   sighash = H("cairn v1 sighash",
//               type (u8) ‖ genesis hash (32) ‖ version (u32) ‖ lock_time (u64) ‖
//               prevouts digest ‖ values digest ‖ locks digest ‖ outputs digest ‖
//               payload digest ‖ input index (u32))
//
// The five digests are computed once per transaction (SighashDigests) and shared by all
// inputs. Only SighashType::all is defined; any other type byte is an Error.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/hash.h"
#include "primitives/transaction.h"

namespace cairn {

struct SighashDigests {
  Hash256 prevouts;  // H("cairn v1 sighash prevouts", every input's outpoint)
  Hash256 values;    // H("cairn v1 sighash values", every spent value, u64)
  Hash256 locks;     // H("cairn v1 sighash locks", every spent OutputLock)
  Hash256 outputs;   // H("cairn v1 sighash outputs", every output)
  Hash256 payload;   // H("cairn v1 sighash payload", the encoded payload)
};

// `spent[i]` is the output that input i spends; sizes must match (an Error otherwise).
Result<SighashDigests> compute_sighash_digests(const Transaction& tx, std::span<const TxOut> spent);

Result<Hash256> signature_hash(const Transaction& tx, const SighashDigests& digests, uint32_t input_index,
                               uint8_t sighash_type, const Hash256& genesis);

}  // namespace cairn
