#include "consensus/block_error.h"

namespace cairn {

const char* to_string(BlockError e) {
  switch (e) {
    case BlockError::bad_header:
      return "bad-header";
    case BlockError::unknown_parent:
      return "unknown-parent";
    case BlockError::invalid_parent:
      return "invalid-parent";
    case BlockError::work_overflow:
      return "work-overflow";
    case BlockError::mutated:
      return "mutated";
    case BlockError::bad_coinbase:
      return "bad-coinbase";
    case BlockError::missing_input:
      return "missing-input";
    case BlockError::duplicate_output:
      return "duplicate-output";
    case BlockError::bad_amount:
      return "bad-amount";
    case BlockError::overspend:
      return "overspend";
    case BlockError::immature_coinbase:
      return "immature-coinbase";
    case BlockError::coinbase_overpays:
      return "coinbase-overpays";
    case BlockError::bad_lock:
      return "bad-lock";
    case BlockError::bad_state_root:
      return "bad-state-root";
    case BlockError::known_invalid:
      return "known-invalid";
    case BlockError::bad_pow:
      return "bad-pow";
    case BlockError::bad_difficulty:
      return "bad-difficulty";
    case BlockError::time_too_old:
      return "time-too-old";
    case BlockError::time_too_new:
      return "time-too-new";
    case BlockError::bad_height:
      return "bad-height";
    case BlockError::bad_version:
      return "bad-version";
    case BlockError::oversize:
      return "oversize";
    case BlockError::overweight:
      return "overweight";
    case BlockError::too_many_transactions:
      return "too-many-transactions";
    case BlockError::too_many_votes:
      return "too-many-votes";
    case BlockError::duplicate_transaction:
      return "duplicate-transaction";
    case BlockError::non_final:
      return "non-final";
    case BlockError::bad_vote:
      return "bad-vote";
    case BlockError::vote_out_of_window:
      return "vote-out-of-window";
    case BlockError::bad_stake:
      return "bad-stake";
    case BlockError::bad_evidence:
      return "bad-evidence";
    case BlockError::conflicts_with_finalized:
      return "conflicts-with-finalized";
    case BlockError::conflicts_with_checkpoint:
      return "conflicts-with-checkpoint";
    case BlockError::reorg_too_deep:
      return "reorg-too-deep";
    case BlockError::bad_payload:
      return "bad-payload";
    case BlockError::too_much_gas:
      return "too-much-gas";
  }
  return "unknown";
}

bool shows_block_invalid(BlockError e) {
  switch (e) {
    case BlockError::unknown_parent:
    case BlockError::invalid_parent:
    case BlockError::conflicts_with_finalized:
    case BlockError::reorg_too_deep:
    case BlockError::time_too_new:
      return false;
    default:
      return true;
  }
}

}  // namespace cairn
