#include "chain/network_rules.h"

#include "consensus/block_rules.h"
#include "consensus/pow.h"

namespace cairn {

std::optional<BlockRejection> NetworkChainRules::check_header(const BlockHeader& header,
                                                              const ParentInfo& parent) const {
  return cairn::check_header(params_, header,
                             HeaderContext{parent.header, parent.median_time_past, parent.now});
}

ChainWork NetworkChainRules::block_work(const BlockHeader& header) const {
  return ChainWork::from_uint256(cairn::block_work(header.target));
}

std::optional<BlockRejection> NetworkChainRules::check_block(const Block& block) const {
  return cairn::check_block(params_, block);
}

Amount NetworkChainRules::block_subsidy(uint64_t height) const {
  return cairn::block_subsidy(params_, height);
}

}  // namespace cairn
