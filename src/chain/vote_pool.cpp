#include "chain/vote_pool.h"

#include <iterator>
#include <variant>

#include "consensus/finality.h"

namespace cairn {

const char* to_string(VoteReject r) {
  switch (r) {
    case VoteReject::none:
      return "none";
    case VoteReject::no_finality:
      return "no finality on this chain";
    case VoteReject::already_pending:
      return "already pending";
    case VoteReject::out_of_window:
      return "target epoch outside the inclusion window";
    case VoteReject::bad_epochs:
      return "source epoch not below target epoch";
    case VoteReject::target_not_checkpoint:
      return "target is not a checkpoint of the best chain";
    case VoteReject::source_not_justified:
      return "source is not justified";
    case VoteReject::source_not_checkpoint:
      return "source is not a checkpoint of the best chain";
    case VoteReject::not_a_validator:
      return "not a validator";
    case VoteReject::not_in_dynasty:
      return "validator in neither dynasty of the target epoch";
    case VoteReject::already_counted:
      return "already counted by the chain";
    case VoteReject::bad_signature:
      return "invalid signature";
    case VoteReject::pool_full:
      return "vote pool full";
  }
  return "unknown";
}

namespace {

// The epoch transition of an empty block looks up no checkpoint.
class NoCheckpoints final : public CheckpointLookup {
 public:
  BlockHash checkpoint_hash(uint64_t /*epoch*/) const override { return BlockHash{}; }
};

// The best chain's checkpoint of `epoch`, nullopt above the tip.
std::optional<BlockHash> checkpoint_of(const ChainManager& chain, const FinalityParams& params,
                                       uint64_t epoch) {
  const BlockNode* node = chain.at_height(epoch * params.epoch_length);
  if (node == nullptr) return std::nullopt;
  return node->hash;
}

}  // namespace

const StakeState& VotePool::next_state(const ChainManager& chain) {
  const BlockNode& tip = chain.tip();
  if (next_state_ && next_state_->first == tip.hash) return next_state_->second;
  // The next block's votes see the tip's state after that block's epoch transition (when it
  // is a checkpoint): apply an empty block at its height to a copy.
  StakeState state = chain.stake();
  Block empty;
  empty.header.height = tip.height() + 1;
  const NoCheckpoints none;
  const BlockContext ctx{params_, genesis_, BlockHash{}, none, {}};
  // An empty block's transition cannot be refused: it has no transactions or votes.
  (void)apply_block(state, empty, ctx);
  next_state_.emplace(tip.hash, std::move(state));
  return next_state_->second;
}

VoteReject VotePool::check(const Vote& v, const ChainManager& chain, const StakeState& next) const {
  const uint64_t block_epoch = epoch_of(params_, chain.tip().height() + 1);
  if (v.target_epoch > block_epoch || block_epoch - v.target_epoch > params_.inclusion_window_epochs)
    return VoteReject::out_of_window;
  const FinalityState& f = next.finality;
  auto tally = f.tallies.find(v.target_epoch);
  if (tally == f.tallies.end()) return VoteReject::out_of_window;
  if (v.source_epoch >= v.target_epoch) return VoteReject::bad_epochs;
  if (checkpoint_of(chain, params_, v.target_epoch) != v.target_hash)
    return VoteReject::target_not_checkpoint;
  if (!f.justified_epochs.contains(v.source_epoch)) return VoteReject::source_not_justified;
  if (checkpoint_of(chain, params_, v.source_epoch) != v.source_hash)
    return VoteReject::source_not_checkpoint;
  auto record = next.validators.find(v.validator);
  if (record == next.validators.end()) return VoteReject::not_a_validator;
  const uint64_t dynasty = tally->second.dynasty;
  if (!in_dynasty(record->second, dynasty) && !(dynasty > 0 && in_dynasty(record->second, dynasty - 1)))
    return VoteReject::not_in_dynasty;
  if (tally->second.voters.contains(v.validator)) return VoteReject::already_counted;
  return VoteReject::none;
}

VoteReject VotePool::add(const Vote& vote, const ChainManager& chain) {
  if (!chain.has_finality()) return VoteReject::no_finality;
  if (pending_.contains({vote.target_epoch, vote.validator})) return VoteReject::already_pending;
  if (const VoteReject r = check(vote, chain, next_state(chain)); r != VoteReject::none) return r;
  // Last: the expensive check.
  signature_verifications_.inc();
  if (!verify(vote.validator, vote_signing_message(vote, genesis_), vote.signature))
    return VoteReject::bad_signature;
  if (pending_.size() >= max_votes_) return VoteReject::pool_full;
  pending_.emplace(std::pair(vote.target_epoch, vote.validator), vote);
  return VoteReject::none;
}

void VotePool::update(const ChainManager& chain) {
  if (!chain.has_finality()) return;
  const StakeState& next = next_state(chain);
  // Signatures do not depend on the chain: only the chain rules are checked again.
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = check(it->second, chain, next) == VoteReject::none ? std::next(it) : pending_.erase(it);
  }
}

std::vector<Vote> VotePool::select_for_block(size_t max_votes, const std::set<PublicKey>& excluded) const {
  std::vector<Vote> out;
  for (const auto& [key, vote] : pending_) {
    if (out.size() >= max_votes) break;
    if (!excluded.contains(vote.validator)) out.push_back(vote);
  }
  return out;
}

bool VotePool::contains(const Vote& vote) const {
  auto it = pending_.find({vote.target_epoch, vote.validator});
  return it != pending_.end() && it->second == vote;
}

}  // namespace cairn
