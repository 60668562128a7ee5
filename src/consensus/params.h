// The consensus parameters of each network: one table in code (params.cpp), mirrored in
// docs/consensus.md "Network parameters" with the reason for each value
// (tests/consensus/params_test.cpp compares the two).
//
// consensus_params() returns an immutable table entry built on first use; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "consensus/asert.h"
#include "consensus/finality_params.h"
#include "primitives/amount.h"
#include "primitives/block.h"
#include "primitives/network.h"

namespace cairn {

// Block size limits (docs/consensus.md "Block rules"). Weight = encoded bytes +
// kWeightPerSignature (consensus/block_rules.h) per signature carried in the witnesses.
struct BlockLimits {
  uint64_t max_bytes = 0;  // the encoded block, header included
  uint64_t max_weight = 0;
  uint64_t max_transactions = 0;  // coinbase included
  uint64_t max_votes = 0;
  // Contracts (docs/contracts.md §2): the gas limit of one transaction, and the sum of the
  // gas limits of a block's contract transactions.
  uint64_t max_tx_gas = 0;
  uint64_t max_block_gas = 0;
};

// The coinbase may claim initial >> (height / halving_interval) besides fees; zero once
// the shift reaches 64.
struct SubsidyParams {
  Amount initial = 0;
  uint64_t halving_interval = 0;
};

// A block every chain must contain (weak subjectivity): DESIGN.md "Fork choice".
struct WeakSubjectivityCheckpoint {
  uint64_t height = 0;
  BlockHash hash;
};

struct ConsensusParams {
  Network network = Network::regtest;
  uint32_t pow_limit = 0;         // compact form of the easiest target, canonical
  int64_t target_spacing = 0;     // seconds per block ASERT aims for
  int64_t asert_half_life = 0;    // seconds ahead of (behind) schedule that halve (double) the target
  uint64_t max_future_drift = 0;  // seconds a timestamp may be ahead of the node's clock
  size_t median_time_span = 0;    // blocks in the median time past (BIP-113)
  SubsidyParams subsidy;
  uint64_t coinbase_maturity = 0;  // a coinbase output is spendable at height >= its height + this
  BlockLimits limits;
  Block genesis;
  BlockHash genesis_hash;
  std::optional<WeakSubjectivityCheckpoint> checkpoint;
  FinalityParams finality;

  AsertParams asert() const {
    return AsertParams{
        .target_spacing = target_spacing, .half_life = asert_half_life, .pow_limit = pow_limit};
  }
  // Cairn's ASERT anchor is the genesis block, with a virtual parent one target spacing
  // before it: so block h is on schedule at genesis time + h * spacing.
  AsertAnchor asert_anchor() const;
};

const ConsensusParams& consensus_params(Network network);

}  // namespace cairn
