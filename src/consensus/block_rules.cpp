#include "consensus/block_rules.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "consensus/asert.h"
#include "consensus/contract_rules.h"
#include "consensus/pow.h"

namespace cairn {
namespace {

std::optional<BlockRejection> reject(BlockError reason, std::string message) {
  return BlockRejection{reason, std::move(message)};
}

std::string tx_at(size_t i) { return "transactions[" + std::to_string(i) + "]"; }

// Timestamps are u64 on the wire; ASERT works in signed seconds. Anything above 2^63 - 1
// is already refused as too new by any clock, so saturating loses nothing.
int64_t as_seconds(uint64_t t) {
  return static_cast<int64_t>(std::min<uint64_t>(t, std::numeric_limits<int64_t>::max()));
}

uint64_t satisfaction_signatures(const Satisfaction& s) {
  uint64_t n = 0;
  for (const auto& sig : s.signatures) n += sig.has_value() ? 1U : 0U;
  for (const auto& child : s.children) n += satisfaction_signatures(child);
  return n;
}

}  // namespace

uint32_t next_target(const ConsensusParams& params, const BlockHeader& parent) {
  return asert_next_target(params.asert(), params.asert_anchor(), parent.height,
                           as_seconds(parent.timestamp));
}

std::optional<BlockRejection> check_header(const ConsensusParams& params, const BlockHeader& header,
                                           const HeaderContext& context) {
  if (header.version != kHeaderVersion)
    return reject(BlockError::bad_version, "header version " + std::to_string(header.version));
  if (header.height != context.parent.height + 1)
    return reject(BlockError::bad_height, "not the parent's height + 1");
  if (header.timestamp <= context.median_time_past) {
    return reject(BlockError::time_too_old, "timestamp " + std::to_string(header.timestamp) +
                                                " <= median time past " +
                                                std::to_string(context.median_time_past));
  }
  if (header.timestamp > context.now && header.timestamp - context.now > params.max_future_drift) {
    return reject(BlockError::time_too_new, "timestamp " + std::to_string(header.timestamp) +
                                                " is more than " + std::to_string(params.max_future_drift) +
                                                " s ahead");
  }
  const uint32_t expected = next_target(params, context.parent);
  if (header.target != expected) {
    return reject(BlockError::bad_difficulty,
                  "target " + std::to_string(header.target) + ", expected " + std::to_string(expected));
  }
  if (!check_pow(header)) return reject(BlockError::bad_pow, "the header hash is above its target");
  // Weak subjectivity: no block at the checkpoint's height but the checkpoint, so no chain
  // without it can grow past that height.
  if (params.checkpoint && header.height == params.checkpoint->height &&
      block_hash(header) != params.checkpoint->hash) {
    return reject(
        BlockError::conflicts_with_checkpoint,
        "height " + std::to_string(header.height) + " must be block " + params.checkpoint->hash.hex());
  }
  return std::nullopt;
}

uint64_t signature_count(const Transaction& tx) {
  uint64_t n = 0;
  for (const TxIn& in : tx.inputs) {
    if (std::holds_alternative<KeySpend>(in.witness)) n += 1;
    if (const auto* spend = std::get_if<LockSpend>(&in.witness))
      n += satisfaction_signatures(spend->satisfaction);
  }
  return n;
}

uint64_t block_weight(const Block& block) {
  uint64_t signatures = 0;
  for (const Transaction& tx : block.transactions) signatures += signature_count(tx);
  // A decodable block has at most a few million signatures: no overflow in 64 bits.
  return encode(block).size() + kWeightPerSignature * signatures;
}

std::optional<BlockRejection> check_block(const ConsensusParams& params, const Block& block) {
  // Roots first: until they match, the body is not this header's (a peer may have swapped
  // it), and no verdict about the body may be recorded against the header.
  if (compute_tx_root(block) != block.header.tx_root) return reject(BlockError::mutated, "tx_root");
  if (compute_witness_root(block) != block.header.witness_root)
    return reject(BlockError::mutated, "witness_root");
  if (compute_vote_root(block) != block.header.vote_root) return reject(BlockError::mutated, "vote_root");

  const BlockLimits& limits = params.limits;
  const uint64_t size = encode(block).size();
  if (size > limits.max_bytes) return reject(BlockError::oversize, std::to_string(size) + " bytes");
  const auto& txs = block.transactions;
  if (txs.size() > limits.max_transactions) {
    return reject(BlockError::too_many_transactions, std::to_string(txs.size()) + " transactions");
  }
  if (block.votes.size() > limits.max_votes) {
    return reject(BlockError::too_many_votes, std::to_string(block.votes.size()) + " votes");
  }
  const uint64_t weight = block_weight(block);
  if (weight > limits.max_weight) return reject(BlockError::overweight, "weight " + std::to_string(weight));

  if (txs.empty() || !txs[0].is_coinbase())
    return reject(BlockError::bad_coinbase, "the first transaction is no coinbase");
  if (!txs[0].inputs.empty()) return reject(BlockError::bad_coinbase, "the coinbase has inputs");
  const auto body = decode_coinbase_body(txs[0].payload.body);
  if (!body || body->height != block.header.height) {
    return reject(BlockError::bad_coinbase, "the coinbase body must hold the block height");
  }
  uint64_t block_gas = 0;
  for (size_t i = 0; i < txs.size(); ++i) {
    const Transaction& tx = txs[i];
    if (i > 0 && tx.is_coinbase()) return reject(BlockError::bad_coinbase, tx_at(i) + ": a second coinbase");
    if (tx.payload.kind == PayloadKind::none && tx.inputs.empty()) {
      return reject(BlockError::bad_coinbase, tx_at(i) + ": no inputs");
    }
    if (tx.version != kTxVersion)
      return reject(BlockError::bad_version, tx_at(i) + ": version " + std::to_string(tx.version));
    const auto kind = static_cast<uint8_t>(tx.payload.kind);
    if (kind > kMaxPayloadKind)
      return reject(BlockError::bad_payload, tx_at(i) + ": payload kind " + std::to_string(kind));
    if (is_contract_payload(tx.payload.kind)) {
      if (auto refused = check_contract_tx(tx, limits))
        return reject(refused->reason, tx_at(i) + ": " + refused->message);
      // check_contract_tx bounds each limit by max_tx_gas, so the sum cannot overflow.
      block_gas += contract_terms(tx.payload)->gas.limit;
      if (block_gas > limits.max_block_gas)
        return reject(BlockError::too_much_gas,
                      "gas limits sum to more than " + std::to_string(limits.max_block_gas));
    }
  }

  std::vector<Txid> ids;
  ids.reserve(txs.size());
  for (const Transaction& tx : txs) ids.push_back(txid(tx));
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return reject(BlockError::duplicate_transaction, dup->hex());
  }
  return std::nullopt;
}

bool is_final(const Transaction& tx, uint64_t height, uint64_t median_time_past) {
  if (tx.lock_time == 0) return true;
  return tx.lock_time < (tx.lock_time < kLockTimeThreshold ? height : median_time_past);
}

std::optional<BlockRejection> check_final(const Block& block, uint64_t median_time_past) {
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    if (!is_final(block.transactions[i], block.header.height, median_time_past)) {
      return reject(BlockError::non_final,
                    tx_at(i) + ": lock_time " + std::to_string(block.transactions[i].lock_time));
    }
  }
  return std::nullopt;
}

Amount block_subsidy(const ConsensusParams& params, uint64_t height) {
  const uint64_t halvings = height / params.subsidy.halving_interval;
  if (halvings >= 64) return 0;
  return params.subsidy.initial >> halvings;
}

}  // namespace cairn
