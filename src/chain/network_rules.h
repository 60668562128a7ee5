// The real consensus rules of a network, behind the ChainRules interface the chain
// manager uses: proof of work and ASERT difficulty anchored at the network's genesis,
// timestamps, the stateless block checks, the subsidy schedule and coinbase maturity,
// all from one ConsensusParams (consensus/params.h).
//
// Immutable after construction; thread-safe.
#pragma once

#include <utility>

#include "chain/chain_rules.h"
#include "consensus/params.h"

namespace cairn {

class NetworkChainRules final : public ChainRules {
 public:
  // Holds a copy of `params`, genesis (the ASERT anchor) included.
  explicit NetworkChainRules(ConsensusParams params) : params_(std::move(params)) {}
  static NetworkChainRules for_network(Network network) {
    return NetworkChainRules(consensus_params(network));
  }

  const ConsensusParams& params() const { return params_; }

  const Block& genesis() const override { return params_.genesis; }
  // block_rules.h check_header with the parent's header, its median time past and `now`:
  // the caller must fill ParentInfo::now from its clock (a zero `now` refuses every
  // timestamp more than max_future_drift after 1970).
  std::optional<BlockRejection> check_header(const BlockHeader& header,
                                             const ParentInfo& parent) const override;
  // floor(2^256 / (target + 1)); zero for an invalid target (check_header refuses it first).
  ChainWork block_work(const BlockHeader& header) const override;
  std::optional<BlockRejection> check_block(const Block& block) const override;
  Amount block_subsidy(uint64_t height) const override;
  uint64_t coinbase_maturity() const override { return params_.coinbase_maturity; }
  const FinalityParams* finality() const override { return &params_.finality; }

 private:
  ConsensusParams params_;
};

}  // namespace cairn
