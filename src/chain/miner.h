// The miner: a multi-threaded nonce search over a block header, and the assembly of a
// block (coinbase, transactions, roots, target) on a parent. Tests and tools mine regtest
// blocks with these directly; cairnd's --mine drives them from the chain's tip.
//
// mine_header() blocks its caller and runs its own worker threads, which it joins before
// returning. The other functions are pure.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "consensus/params.h"
#include "primitives/block.h"

namespace cairn {

struct MineOptions {
  unsigned threads = 1;  // at least 1
  // The nonces tried: [first_nonce, first_nonce + nonce_count), cut into one contiguous
  // range per thread. nonce_count is capped so the range does not wrap past 2^64 - 1.
  uint64_t first_nonce = 0;
  uint64_t nonce_count = std::numeric_limits<uint64_t>::max();
};

// How often (in hashes) each worker looks at the stop flag and at the other workers.
inline constexpr uint64_t kMineCheckInterval = 4096;

// Searches a nonce that makes `header` meet its own target. The solved header, or nullopt
// when `stop` was raised, the range was exhausted, or the target does not decode.
// `stop` may be raised from any thread; workers notice within kMineCheckInterval hashes.
std::optional<BlockHeader> mine_header(BlockHeader header, const MineOptions& options,
                                       const std::atomic<bool>& stop);

// What a block on `parent` is made of. The coinbase pays subsidy + `fees` to
// `coinbase_lock`; `fees` is the caller's sum over `transactions` (the mempool knows it).
struct BlockTemplate {
  BlockHeader parent;
  BlockHash parent_hash;
  OutputLock coinbase_lock;
  Bytes coinbase_extra;                   // at most kMaxCoinbaseExtraBytes
  std::vector<Transaction> transactions;  // in block order, e.g. Mempool::select_for_block
  std::vector<Vote> votes;
  Amount fees = 0;
  uint64_t timestamp = 0;  // must exceed the median time past and be near the clock
};

// The block with its coinbase, roots and ASERT target set and nonce 0. Its state_root is
// left zero: it needs the chain state, so the caller sets it before mining
// (ChainManager::state_root_on_tip). nullopt when subsidy + fees leaves the money range.
std::optional<Block> assemble_block(const ConsensusParams& params, const BlockTemplate& tmpl);

}  // namespace cairn
