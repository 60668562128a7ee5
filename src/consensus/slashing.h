// Slashing evidence: when two signed votes prove a double vote or a surround vote, and
// what slashing pays. Pure functions: thread-safe.
#pragma once

#include <optional>
#include <variant>

#include "consensus/block_error.h"
#include "consensus/finality_params.h"
#include "primitives/block.h"

namespace cairn {

enum class Offence : uint8_t {
  double_vote,    // two distinct votes with the same target epoch
  surround_vote,  // s1 < s2 < t2 < t1 (either vote may be the outer one)
};

// The offence two votes prove by their content alone (no signatures checked), or nullopt:
// different validators, the same vote twice (signature aside), or no conflict.
std::optional<Offence> offence_of(const Vote& a, const Vote& b);

// Checks evidence fully: an offence, and both signatures valid under `genesis`.
// Returns the offence, or a rejection with BlockError::bad_evidence.
std::variant<Offence, BlockRejection> check_evidence(const Vote& a, const Vote& b, const BlockHash& genesis);

// What the reporter of a slashed validator with `stake` receives; the rest of the stake burns.
Amount slash_reporter_reward(const FinalityParams& params, Amount stake);

}  // namespace cairn
