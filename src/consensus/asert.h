// ASERT difficulty: the integer algorithm of Bitcoin Cash's aserti3-2d, parameterised by
// the target spacing, the half-life and the proof-of-work limit. One core function serves
// the BCH test vectors (600 s, 172,800 s, 0x1d00ffff) and Cairn's networks (their own
// values from consensus/params.h). docs/consensus.md "Difficulty (ASERT)".
// Pure functions, thread-safe.
#pragma once

#include <cstdint>

namespace cairn {

struct AsertParams {
  int64_t target_spacing = 0;  // seconds per block, > 0
  int64_t half_life = 0;       // seconds ahead of schedule that halve the target, > 0
  uint32_t pow_limit = 0;      // compact form of the easiest target; decodes to non-zero
};

// The block the schedule is anchored to.
struct AsertAnchor {
  uint64_t height = 0;      // the anchor block's height
  int64_t parent_time = 0;  // the timestamp of the anchor block's parent
  uint32_t target = 0;      // the anchor block's compact target, at most the pow limit
                            // (one that does not decode counts as the pow limit)
};

// The compact target of the block after the one at (`height`, `time`):
//   exponent = ((time - anchor.parent_time) - spacing * (height - anchor.height + 1)) * 65536
//              / half_life                                   (truncated towards zero)
//   target   = anchor target * 2^(exponent / 65536), with 2^frac by the cubic of aserti3-2d
// clamped to [1, pow limit]. REQUIRES: height >= anchor.height; params as documented.
uint32_t asert_next_target(const AsertParams& params, const AsertAnchor& anchor, uint64_t height,
                           int64_t time);

}  // namespace cairn
