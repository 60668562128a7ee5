// Parameters of staking and finality, one value per network. The network table
// (consensus/params.h) embeds these; docs/consensus.md gives the reason for each value.
#pragma once

#include <cstdint>

#include "primitives/amount.h"

namespace cairn {

struct FinalityParams {
  uint64_t epoch_length = 0;  // blocks per epoch; a checkpoint every epoch_length-th block
  Amount min_stake = 0;       // the smallest bond
};

inline constexpr FinalityParams kMainnetFinality{.epoch_length = 50, .min_stake = 1'000 * kCoin};
inline constexpr FinalityParams kTestnetFinality{.epoch_length = 50, .min_stake = 100 * kCoin};
inline constexpr FinalityParams kRegtestFinality{.epoch_length = 5, .min_stake = 1 * kCoin};

}  // namespace cairn
