// The chain_*, tx_*, address_* and mempool_* JSON-RPC methods (notes/rpc-methods.md,
// docs/rpc.md): blocks and headers by height or hash, transactions with their location,
// receipts and Merkle proofs, raw transaction submission, a fee estimate, address balances,
// UTXOs and history from the address index, and the mempool's contents.
//
// The handlers read chain state (ChainManager, Mempool, the store) directly: they must run
// on the chain's thread, one at a time (the node serializes calls onto it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "chain/chain_manager.h"
#include "chain/fee_rate.h"
#include "chain/mempool.h"
#include "primitives/network.h"
#include "rpc/registry.h"
#include "storage/kv.h"

namespace cairn::rpc {

// tx_estimate_fee's target when the caller gives none, and the farthest it looks.
inline constexpr uint64_t kDefaultFeeTargetBlocks = 6;
inline constexpr uint64_t kMaxFeeTargetBlocks = 1'008;  // a week of mainnet blocks

// What the chain methods read and call. Everything referenced must outlive the Registry the
// methods are added to.
struct ChainServices {
  const ChainManager& chain;
  const Mempool& mempool;
  const KvReader& store;       // the KvStore the manager was opened on
  Network network;             // addresses are encoded and decoded for it
  uint64_t coinbase_maturity;  // ConsensusParams::coinbase_maturity of the network
  size_t mempool_max_bytes;    // MempoolOptions::max_bytes
  FeeRate min_relay_fee;       // MempoolOptions::min_relay_fee
  // Transaction bytes one block template holds (what tx_estimate_fee fills blocks with).
  size_t block_bytes;
  // Offers a transaction to the node's mempool (and relay): Node::submit_transaction.
  std::function<MempoolVerdict(const Transaction&)> submit_transaction;
};

// Adds every chain_*, tx_*, address_* and mempool_* method. `services` must outlive the
// registry. An Error only for a spec the registry refuses (a programming error).
Status register_chain_methods(Registry& registry, const ChainServices& services);

}  // namespace cairn::rpc
