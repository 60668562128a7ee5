#include "chain/chain_rules.h"

#include <string>

namespace cairn {

std::optional<ChainWork> ChainWork::checked_add(const ChainWork& other) const {
  auto sum = to_uint256().checked_add(other.to_uint256());
  if (!sum) return std::nullopt;
  return from_uint256(*sum);
}

std::optional<BlockRejection> TestChainRules::check_header(const BlockHeader& header,
                                                           const ParentInfo& parent) const {
  if (header.version != kHeaderVersion)
    return BlockRejection{BlockError::bad_header, "unknown header version"};
  if (header.height != parent.header.height + 1) {
    return BlockRejection{BlockError::bad_header, "height is not the parent's + 1"};
  }
  return std::nullopt;
}

ChainWork TestChainRules::block_work(const BlockHeader& header) const {
  return ChainWork::from_u64(header.target == 0 ? 1 : header.target);
}

std::optional<BlockRejection> TestChainRules::check_block(const Block& block) const {
  if (compute_tx_root(block) != block.header.tx_root) return BlockRejection{BlockError::mutated, "tx_root"};
  if (compute_witness_root(block) != block.header.witness_root) {
    return BlockRejection{BlockError::mutated, "witness_root"};
  }
  if (compute_vote_root(block) != block.header.vote_root)
    return BlockRejection{BlockError::mutated, "vote_root"};
  const auto& txs = block.transactions;
  if (txs.empty() || !txs[0].is_coinbase() || !txs[0].inputs.empty()) {
    return BlockRejection{BlockError::bad_coinbase,
                          "the first transaction must be a coinbase without inputs"};
  }
  auto body = decode_coinbase_body(txs[0].payload.body);
  if (!body || body->height != block.header.height) {
    return BlockRejection{BlockError::bad_coinbase, "the coinbase body must hold the block height"};
  }
  for (size_t i = 1; i < txs.size(); ++i) {
    if (txs[i].is_coinbase() || txs[i].inputs.empty()) {
      return BlockRejection{BlockError::bad_coinbase,
                            "transactions[" + std::to_string(i) + "]: a second coinbase or no inputs"};
    }
  }
  return std::nullopt;
}

}  // namespace cairn
