// Parameters of staking and finality (Casper FFG with EIP-1011 dynasties), one value per
// network. The network table (consensus/params.h) embeds these by value; docs/consensus.md
// "Staking and finality" gives the reason for each value. Plain constants: thread-safe.
#pragma once

#include <cstdint>

#include "primitives/amount.h"

namespace cairn {

struct FinalityParams {
  uint64_t epoch_length = 0;  // blocks per epoch; a checkpoint every epoch_length-th block
  Amount min_stake = 0;       // the smallest bond
  // A block may include votes whose target is its own epoch or up to this many before it.
  uint64_t inclusion_window_epochs = 1;
  // An unbond in dynasty d ends the validator at dynasty d + logout_delay_dynasties.
  uint64_t logout_delay_dynasties = 2;
  // Slashing evidence is accepted until epoch max(target epochs) + evidence_window_epochs.
  uint64_t evidence_window_epochs = 0;
  // Withdrawal waits this many epochs after the validator left both dynasties; it must
  // exceed the evidence window (checked by static_assert below).
  uint64_t withdrawal_delay_epochs = 0;
  Amount vote_reward = 0;      // added to the voter's stake for each included vote
  Amount includer_reward = 0;  // the coinbase may claim this per included vote
  // The slashed validator loses all its stake; the reporter gets stake / this, the rest burns.
  uint64_t slash_reward_divisor = 25;
  // Inactivity leak: once the last finalized epoch is more than leak_delay_epochs behind an
  // epoch, each active validator that did not vote in that epoch loses stake / leak_divisor.
  uint64_t leak_delay_epochs = 4;
  uint64_t leak_divisor = 8;
};

inline constexpr FinalityParams kMainnetFinality{.epoch_length = 50,
                                                 .min_stake = 1'000 * kCoin,
                                                 .inclusion_window_epochs = 1,
                                                 .logout_delay_dynasties = 2,
                                                 .evidence_window_epochs = 1'000,
                                                 .withdrawal_delay_epochs = 2'000,
                                                 .vote_reward = kCoin / 1'000,
                                                 .includer_reward = kCoin / 10'000,
                                                 .slash_reward_divisor = 25,
                                                 .leak_delay_epochs = 4,
                                                 .leak_divisor = 64};
inline constexpr FinalityParams kTestnetFinality{.epoch_length = 50,
                                                 .min_stake = 100 * kCoin,
                                                 .inclusion_window_epochs = 1,
                                                 .logout_delay_dynasties = 2,
                                                 .evidence_window_epochs = 100,
                                                 .withdrawal_delay_epochs = 200,
                                                 .vote_reward = kCoin / 1'000,
                                                 .includer_reward = kCoin / 10'000,
                                                 .slash_reward_divisor = 25,
                                                 .leak_delay_epochs = 4,
                                                 .leak_divisor = 64};
inline constexpr FinalityParams kRegtestFinality{.epoch_length = 5,
                                                 .min_stake = 1 * kCoin,
                                                 .inclusion_window_epochs = 1,
                                                 .logout_delay_dynasties = 2,
                                                 .evidence_window_epochs = 4,
                                                 .withdrawal_delay_epochs = 8,
                                                 .vote_reward = kCoin / 1'000,
                                                 .includer_reward = kCoin / 10'000,
                                                 .slash_reward_divisor = 25,
                                                 .leak_delay_epochs = 4,
                                                 .leak_divisor = 8};

// The parameter invariants every network must meet (checked for the three tables below).
constexpr bool valid_finality_params(const FinalityParams& p) {
  return p.epoch_length > 0 && p.min_stake > 0 && p.inclusion_window_epochs >= 1 &&
         p.logout_delay_dynasties >= 1 &&
         // evidence against the last votes a leaving validator could cast (up to the inclusion
         // window after it left) must still be accepted while its stake is locked
         p.withdrawal_delay_epochs > p.evidence_window_epochs + p.inclusion_window_epochs &&
         p.slash_reward_divisor >= 2 && p.leak_divisor >= 2;
}
static_assert(valid_finality_params(kMainnetFinality));
static_assert(valid_finality_params(kTestnetFinality));
static_assert(valid_finality_params(kRegtestFinality));

}  // namespace cairn
