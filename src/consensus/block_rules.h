// Block validity rules that need no chain state: the header against its parent (version,
// height, timestamps, difficulty, proof of work) and the block on its own (roots, limits,
// coinbase shape, duplicates, versions, payload kinds), plus transaction finality and the
// subsidy schedule. Each rule has its own BlockError. docs/consensus.md "Block rules".
//
// The rules that need the UTXO set (inputs, amounts, maturity, locks) are the chain
// manager's. Pure functions of their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "consensus/block_error.h"
#include "consensus/params.h"
#include "primitives/block.h"

namespace cairn {

// Weight charged per signature a block's witnesses carry, on top of its encoded bytes:
// verifying an Ed25519 signature costs about as much as hashing this many bytes ~100 times
// over, and it bounds a block's verification time by its weight limit.
inline constexpr uint64_t kWeightPerSignature = 200;

// What a header is checked against: its parent, the median time past of the parent and
// its ancestors (BIP-113, params.median_time_span blocks), and the node's clock.
struct HeaderContext {
  BlockHeader parent;
  uint64_t median_time_past = 0;
  uint64_t now = 0;  // Unix seconds
};

// The compact target of the block after `parent` on this network: ASERT anchored at genesis.
uint32_t next_target(const ConsensusParams& params, const BlockHeader& parent);

// In order: bad_version, bad_height (parent + 1), time_too_old (timestamp <= median time
// past), time_too_new (timestamp > now + max_future_drift), bad_difficulty (target !=
// next_target(parent)), bad_pow (hash > target).
std::optional<BlockRejection> check_header(const ConsensusParams& params, const BlockHeader& header,
                                           const HeaderContext& context);

// Signatures carried by a transaction's witnesses (each is verified when connected).
uint64_t signature_count(const Transaction& tx);
// Encoded size + kWeightPerSignature * signatures.
uint64_t block_weight(const Block& block);

// In order: mutated (tx, witness or vote root), oversize, too_many_transactions,
// too_many_votes, overweight, bad_coinbase (first and only coinbase, no inputs, body
// height = header height; an ordinary transaction without inputs), bad_version (a
// transaction version), bad_payload (kind > kMaxPayloadKind; a contract transaction
// check_contract_tx refuses, or bad_amount), too_much_gas (Σ contract gas limits),
// duplicate_transaction.
std::optional<BlockRejection> check_block(const ConsensusParams& params, const Block& block);

// Whether `tx` may be in the block at `height` whose median time past is `median_time_past`:
// lock_time 0, or lock_time < height when lock_time < kLockTimeThreshold, else
// lock_time < median_time_past. Strict, as Bitcoin's IsFinalTx.
bool is_final(const Transaction& tx, uint64_t height, uint64_t median_time_past);
// non_final naming the first transaction of `block` that is_final refuses.
std::optional<BlockRejection> check_final(const Block& block, uint64_t median_time_past);

// New coins the coinbase at `height` may claim: initial >> (height / halving_interval).
Amount block_subsidy(const ConsensusParams& params, uint64_t height);

}  // namespace cairn
