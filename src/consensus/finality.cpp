#include "consensus/finality.h"

#include <cassert>
#include <string>

namespace cairn {
namespace {

Amount saturating_add(Amount a, Amount b) { return checked_add(a, b).value_or(kMaxMoney); }

BlockRejection vote_error(const std::string& what) { return {BlockError::bad_vote, what}; }

// The block applied and what it may look up.
struct BlockFacts {
  const BlockContext& ctx;
  uint64_t height;
  uint64_t epoch;

  BlockHash checkpoint(uint64_t e) const {
    return e * ctx.params.epoch_length == height ? ctx.hash : ctx.checkpoints.checkpoint_hash(e);
  }
};

// Validators in the set of dynasty d or d - 1 that have no vote in the tally lose
// stake / leak_divisor (integer division: small stakes stop leaking below the divisor).
void leak(StakeEditor& editor, const FinalityParams& params, const EpochTally& tally) {
  std::vector<ValidatorRecord> leaking;
  for (const auto& [key, v] : editor.state().validators) {
    const bool active =
        in_dynasty(v, tally.dynasty) || (tally.dynasty > 0 && in_dynasty(v, tally.dynasty - 1));
    if (active && !tally.voters.contains(key)) leaking.push_back(v);
  }
  for (auto& v : leaking) {
    v.stake -= v.stake / params.leak_divisor;
    editor.put(v);
  }
}

// The transition at the checkpoint block that opens `epoch`.
void start_epoch(StakeEditor& editor, const FinalityParams& params, uint64_t epoch) {
  FinalityState& f = editor.finality();
  const StakeState& state = editor.state();
  // With no stake in either dynasty nobody can finalize, so the dynasty advances anyway:
  // this is how the first bonds become active (and how the chain recovers if all leave).
  const bool no_validators =
      dynasty_stake(state, f.dynasty) == 0 && (f.dynasty == 0 || dynasty_stake(state, f.dynasty - 1) == 0);
  if (f.last_finalized.epoch >= f.dynasty_start_epoch || no_validators) {
    f.dynasty += 1;
    f.dynasty_start_epoch = epoch;
    std::vector<ValidatorRecord> left;
    for (const auto& [key, v] : state.validators) {
      // In dynasty D a validator is in the previous set while D - 1 < end: it has left
      // both sets from D = end + 1 on.
      if (v.end_dynasty != kUnset && v.end_dynasty + 1 == f.dynasty && v.end_epoch == kUnset)
        left.push_back(v);
    }
    for (auto& v : left) {
      v.end_epoch = epoch;
      editor.put(v);
    }
  }
  // Close the epochs that leave the inclusion window: their votes are final, so the leak
  // can judge who did not vote.
  while (!f.tallies.empty() && f.tallies.begin()->first + params.inclusion_window_epochs < epoch) {
    const uint64_t closed = f.tallies.begin()->first;
    if (closed > f.last_finalized.epoch && closed - f.last_finalized.epoch > params.leak_delay_epochs) {
      leak(editor, params, f.tallies.begin()->second);
    }
    f.tallies.erase(f.tallies.begin());
  }
  f.tallies[epoch] = EpochTally{.dynasty = f.dynasty, .links = {}, .voters = {}};
}

bool supermajority(const StakeState& state, const EpochTally& tally, const LinkTally& link) {
  const Amount current_total = dynasty_stake(state, tally.dynasty);
  const Amount previous_total = tally.dynasty == 0 ? 0 : dynasty_stake(state, tally.dynasty - 1);
  if (current_total == 0 && previous_total == 0) return false;
  // Tallies and totals saturate at kMaxMoney (< 2^51), so three times them fits in 64 bits.
  static_assert(kMaxMoney <= UINT64_MAX / 3);
  return link.current * 3 >= current_total * 2 && link.previous * 3 >= previous_total * 2;
}

// After a link gained stake: justify its target, and finalize its source when the target is
// the source's direct child.
void update_checkpoints(FinalityState& f, const StakeState& state, const Vote& v) {
  const EpochTally& tally = f.tallies.at(v.target_epoch);
  if (!supermajority(state, tally, tally.links.at(v.source_epoch))) return;
  f.justified_epochs.insert(v.target_epoch);
  if (v.target_epoch > f.last_justified.epoch) f.last_justified = {v.target_epoch, v.target_hash};
  if (v.target_epoch == v.source_epoch + 1 && v.source_epoch > f.last_finalized.epoch) {
    f.last_finalized = {v.source_epoch, v.source_hash};
    // Sources below the finalized checkpoint are never accepted again.
    f.justified_epochs.erase(f.justified_epochs.begin(), f.justified_epochs.lower_bound(v.source_epoch));
  }
}

std::optional<BlockRejection> apply_vote(StakeEditor& editor, const Vote& v, const BlockFacts& block) {
  const FinalityParams& params = block.ctx.params;
  FinalityState& f = editor.finality();
  if (v.target_epoch > block.epoch || block.epoch - v.target_epoch > params.inclusion_window_epochs) {
    return BlockRejection{BlockError::vote_out_of_window, "target epoch " + std::to_string(v.target_epoch) +
                                                              " is outside the window of epoch " +
                                                              std::to_string(block.epoch)};
  }
  auto tally_it = f.tallies.find(v.target_epoch);
  if (tally_it == f.tallies.end()) return BlockRejection{BlockError::vote_out_of_window, "no open tally"};
  EpochTally& tally = tally_it->second;
  if (v.source_epoch >= v.target_epoch) return vote_error("source epoch is not below the target epoch");
  if (!f.justified_epochs.contains(v.source_epoch))
    return vote_error("source is not justified in this chain");
  if (v.source_hash != block.checkpoint(v.source_epoch))
    return vote_error("source is not this chain's checkpoint");
  if (v.target_hash != block.checkpoint(v.target_epoch))
    return vote_error("target is not this chain's checkpoint");
  const ValidatorRecord* found = editor.find(v.validator);
  if (found == nullptr) return vote_error("not a validator");
  const bool in_current = in_dynasty(*found, tally.dynasty);
  const bool in_previous = tally.dynasty > 0 && in_dynasty(*found, tally.dynasty - 1);
  if (!in_current && !in_previous) return vote_error("validator is in neither dynasty of the target epoch");
  if (tally.voters.contains(v.validator)) return vote_error("validator already voted for this target epoch");
  if (!verify(v.validator, vote_signing_message(v, block.ctx.genesis), v.signature)) {
    return vote_error("invalid signature");
  }
  tally.voters[v.validator] = CountedVote{.source_epoch = v.source_epoch, .stake = found->stake};
  LinkTally& link = tally.links[v.source_epoch];
  if (in_current) link.current = saturating_add(link.current, found->stake);
  if (in_previous) link.previous = saturating_add(link.previous, found->stake);
  ValidatorRecord rewarded = *found;
  rewarded.stake = saturating_add(rewarded.stake, params.vote_reward);
  editor.put(rewarded);
  update_checkpoints(f, editor.state(), v);
  return std::nullopt;
}

BlockRejection at(const char* what, size_t index, const BlockRejection& r) {
  return {r.reason, std::string(what) + "[" + std::to_string(index) + "]: " + r.message};
}

}  // namespace

uint64_t epoch_of(const FinalityParams& params, uint64_t height) { return height / params.epoch_length; }

bool is_checkpoint_height(const FinalityParams& params, uint64_t height) {
  return height % params.epoch_length == 0;
}

std::variant<AppliedBlock, BlockRejection> apply_block(StakeState& state, const Block& block,
                                                       const BlockContext& ctx) {
  assert(ctx.spent.size() == block.transactions.size());
  AppliedBlock applied;
  applied.undo.finality = state.finality;
  StakeEditor editor(state, applied.undo);
  const BlockFacts facts{ctx, block.header.height, epoch_of(ctx.params, block.header.height)};
  if (facts.height > 0 && is_checkpoint_height(ctx.params, facts.height))
    start_epoch(editor, ctx.params, facts.epoch);

  const StakeTxContext tx_ctx{ctx.params, ctx.genesis, facts.epoch};
  applied.flows.reserve(block.transactions.size());
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    auto verdict = apply_stake_transaction(editor, block.transactions[i], ctx.spent[i], tx_ctx);
    if (auto* rejection = std::get_if<BlockRejection>(&verdict)) {
      undo_block(state, applied.undo);
      return at("transactions", i, *rejection);
    }
    applied.flows.push_back(std::get<StakeFlow>(verdict));
  }
  for (size_t i = 0; i < block.votes.size(); ++i) {
    if (auto rejection = apply_vote(editor, block.votes[i], facts)) {
      undo_block(state, applied.undo);
      return at("votes", i, *rejection);
    }
  }
  return applied;
}

void undo_block(StakeState& state, const StakeUndo& undo) {
  state.finality = undo.finality;
  for (const auto& [key, prior] : undo.validators) {
    if (prior) {
      state.validators[key] = *prior;
    } else {
      state.validators.erase(key);
    }
  }
}

Amount includer_reward(const FinalityParams& params, uint64_t votes) {
  // votes <= kMaxBlockVotes in any decodable block, so this cannot overflow in practice;
  // saturate anyway rather than wrap.
  if (params.includer_reward != 0 && votes > kMaxMoney / params.includer_reward) return kMaxMoney;
  return params.includer_reward * votes;
}

uint64_t last_justified_epoch(const StakeState& state) { return state.finality.last_justified.epoch; }

FinalityCheckpoint last_finalized(const StakeState& state) { return state.finality.last_finalized; }

Vote honest_vote(const StakeState& state, const PublicKey& validator, uint64_t target_epoch,
                 const BlockHash& target_hash) {
  Vote v;
  v.validator = validator;
  v.source_hash = state.finality.last_justified.hash;
  v.source_epoch = state.finality.last_justified.epoch;
  v.target_hash = target_hash;
  v.target_epoch = target_epoch;
  return v;
}

}  // namespace cairn
