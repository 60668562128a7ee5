// Why a block is refused: one reason code per rule, reported to peers (ban scores, [E]),
// logs and the API. The consensus layer decides the reason; callers only report it.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

// DO NOT REORDER OR RENUMBER: the numbers are reported to peers and logs. New reasons are
// appended.
enum class BlockError : uint8_t {
  bad_header,         // the rules refused the header given its parent
  unknown_parent,     // the parent is not in the block index
  invalid_parent,     // the parent or an ancestor is invalid
  work_overflow,      // cumulative work does not fit in 256 bits
  mutated,            // tx, witness or vote root differ: the body is not this header's
  bad_coinbase,       // no coinbase first, a second coinbase, or a malformed one
  missing_input,      // an input spends an outpoint that is absent or already spent
  duplicate_output,   // an output would overwrite an unspent coin
  bad_amount,         // a value or a sum leaves the money range
  overspend,          // a transaction's outputs exceed its inputs
  immature_coinbase,  // a coinbase output spent before maturity
  coinbase_overpays,  // the coinbase claims more than subsidy + fees + rewards
  bad_lock,           // an input's witness does not satisfy its lock (see `lock`)
  bad_state_root,     // the header's state root differs from the computed one
  known_invalid,      // the block was already found invalid
  bad_pow,            // the header hash is above its target
  bad_difficulty,     // the target is not the one ASERT gives after the parent
  time_too_old,       // the timestamp is not above the median time past
  time_too_new,       // the timestamp is too far ahead of the node's clock
  bad_height,         // the height is not the parent's + 1
  bad_version,        // an unknown header or transaction version
  oversize,           // the encoded block exceeds the size limit
  overweight,         // the block's weight exceeds the weight limit
  too_many_transactions,
  too_many_votes,
  duplicate_transaction,      // a txid appears twice in the block
  non_final,                  // a transaction's lock time has not passed
  bad_vote,                   // a vote is malformed, unsigned, from a non-validator, or repeated
  vote_out_of_window,         // a vote's target is outside the inclusion window
  bad_stake,                  // a bond, unbond or withdrawal is not valid in this state
  bad_evidence,               // slashing evidence does not prove an offence
  conflicts_with_finalized,   // the block forks below the finalized checkpoint
  conflicts_with_checkpoint,  // the block's chain misses the compiled-in checkpoint
  reorg_too_deep,             // the fork point is below the pruned blocks' undo data
  bad_payload,                // an unknown payload kind or a malformed payload body
  too_much_gas,               // the contract transactions' gas limits exceed the block's
};

const char* to_string(BlockError e);

// Whether `e` is a fact about the block itself, so that a peer sending it misbehaves —
// not about where it lands in this node's view: its parent unknown or failed, its branch
// forking below this node's finalized checkpoint or pruned undo data (an honest peer that
// has not seen the finalizing votes yet builds there), its time ahead of this clock.
bool shows_block_invalid(BlockError e);

// A verdict against a block, with a message naming the transaction and input.
struct BlockRejection {
  BlockError reason;
  std::string message;
};

}  // namespace cairn
