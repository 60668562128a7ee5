#include "chain/validator.h"

#include <string>

namespace cairn {

Result<Vote> Validator::vote(const StakeState& state, uint64_t target_epoch, const BlockHash& target_hash) {
  const auto record = state.validators.find(voting_key());
  const auto tally = state.finality.tallies.find(target_epoch);
  if (record == state.validators.end() || tally == state.finality.tallies.end() ||
      !(in_dynasty(record->second, tally->second.dynasty) ||
        (tally->second.dynasty > 0 && in_dynasty(record->second, tally->second.dynasty - 1)))) {
    return Error{ErrorCode::invalid_argument, "not a validator of epoch " + std::to_string(target_epoch)};
  }
  if (target_epoch <= last_justified_epoch(state)) {
    return Error{ErrorCode::invalid_argument, "nothing to vote for: epoch " + std::to_string(target_epoch) +
                                                  " is not above the justified epoch"};
  }
  Vote vote = honest_vote(state, voting_key(), target_epoch, target_hash);
  const Hash256 message = vote_signing_message(vote, genesis_);
  CAIRN_TRY_STATUS(protection_.check_and_record(vote, message));
  vote.signature = key_.sign(message);
  return vote;
}

}  // namespace cairn
