// Genesis blocks, built in code from a few fixed facts per network. docs/consensus.md
// "Network parameters". Pure functions, thread-safe.
//
// A genesis block holds one transaction: a coinbase at height 0 with the network's message
// as its extra data and no outputs (no premine, and nothing for a later rule to special-
// case). So the state after genesis is empty and its state root is the root of the empty
// LtHash; the three Merkle roots are computed as for any block; prev is zero; the target
// is the network's proof-of-work limit and the nonce was searched once, offline, so that
// the header meets it.
#pragma once

#include <cstdint>
#include <string_view>

#include "primitives/block.h"

namespace cairn {

struct GenesisSpec {
  uint64_t timestamp = 0;    // Unix seconds
  uint32_t target = 0;       // compact; the network's pow limit
  uint64_t nonce = 0;        // makes the header meet `target`
  std::string_view message;  // the coinbase's extra data, at most kMaxCoinbaseExtraBytes
};

Block build_genesis(const GenesisSpec& spec);

}  // namespace cairn
