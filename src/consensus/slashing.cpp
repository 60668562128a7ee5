#include "consensus/slashing.h"

namespace cairn {
namespace {

// Votes equal in everything the validator signs.
bool same_signed_content(const Vote& a, const Vote& b) {
  return a.version == b.version && a.validator == b.validator && a.source_hash == b.source_hash &&
         a.source_epoch == b.source_epoch && a.target_hash == b.target_hash &&
         a.target_epoch == b.target_epoch;
}

bool surrounds(const Vote& outer, const Vote& inner) {
  return outer.source_epoch < inner.source_epoch && inner.target_epoch < outer.target_epoch;
}

}  // namespace

std::optional<Offence> offence_of(const Vote& a, const Vote& b) {
  if (a.validator != b.validator || same_signed_content(a, b)) return std::nullopt;
  if (a.target_epoch == b.target_epoch) return Offence::double_vote;
  // A vote has source < target (votes that do not are never includable, but the signature
  // still commits the key, so the order of the four epochs alone decides).
  if (surrounds(a, b) || surrounds(b, a)) return Offence::surround_vote;
  return std::nullopt;
}

std::variant<Offence, BlockRejection> check_evidence(const Vote& a, const Vote& b, const BlockHash& genesis) {
  const auto offence = offence_of(a, b);
  if (!offence) {
    return BlockRejection{BlockError::bad_evidence,
                          "the votes are from different validators, identical, or do not conflict"};
  }
  if (!verify(a.validator, vote_signing_message(a, genesis), a.signature) ||
      !verify(b.validator, vote_signing_message(b, genesis), b.signature)) {
    return BlockRejection{BlockError::bad_evidence, "a vote of the evidence has an invalid signature"};
  }
  return *offence;
}

Amount slash_reporter_reward(const FinalityParams& params, Amount stake) {
  return stake / params.slash_reward_divisor;
}

}  // namespace cairn
