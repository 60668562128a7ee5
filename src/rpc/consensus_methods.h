// The finality_* and staking_* JSON-RPC methods (notes/rpc-methods.md, docs/rpc.md): the
// finality status of the best chain's tip and its validator set, from ChainManager::stake().
//
// The handlers read the chain manager directly: they must run on the chain's thread, one at
// a time (the node serializes calls onto it).
#pragma once

#include "chain/chain_manager.h"
#include "consensus/finality_params.h"
#include "primitives/network.h"
#include "rpc/registry.h"

namespace cairn::rpc {

// Validators per staking_get_validators page when the caller does not say, and at most.
inline constexpr size_t kDefaultValidatorPageLimit = 100;
inline constexpr size_t kMaxValidatorPageLimit = 1'000;

// What the consensus methods read. Everything referenced must outlive the Registry.
struct ConsensusServices {
  const ChainManager& chain;
  Network network;          // owner addresses are encoded for it
  FinalityParams finality;  // ConsensusParams::finality of the network
};

// Adds finality_get_status, staking_get_validators and staking_get_validator. On a chain
// without finality (ChainManager::has_finality() false) they answer error_code::unavailable.
// An Error only for a spec the registry refuses (a programming error).
Status register_consensus_methods(Registry& registry, const ConsensusServices& services);

}  // namespace cairn::rpc
