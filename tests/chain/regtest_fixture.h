// A regtest node for chain tests: the real network rules (proof of work, ASERT, staking
// and finality) over a MemoryStore, a manual clock, and blocks assembled by the miner with
// the state root the manager computes.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_manager.h"
#include "chain/miner.h"
#include "chain/network_rules.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "storage/memory_store.h"
#include "support/keys.h"
#include "util/clock.h"

namespace cairn::test {

// Where the regtest test blocks' coinbases pay: test key 0.
inline const OutputLock& miner_lock() {
  static const OutputLock lock = key_hash_lock(test_key(0).public_key());
  return lock;
}

// Signs `tx`'s one input, which spends output 0 of `funding` (a coin of key 0), with key 0.
inline void sign_with_key0(Transaction& tx, const Transaction& funding, const BlockHash& genesis) {
  const auto digests = compute_sighash_digests(tx, funding.outputs).value();
  const auto all = static_cast<uint8_t>(SighashType::all);
  const Hash256 msg = signature_hash(tx, digests, 0, all, genesis).value();
  tx.inputs[0].witness = KeySpend{test_key(0).public_key(), TypedSignature{test_key(0).sign(msg), all}};
}

// A bond of `amount` for `voting_key`, owned by key 0 (miner_lock()) and paid from output 0
// of `funding` (a coin of key 0, e.g. a coinbase mined here), the change minus `fee` back
// to key 0, signed.
inline Transaction signed_bond(const Transaction& funding, const PublicKey& voting_key, Amount amount,
                               Amount fee, const BlockHash& genesis) {
  Transaction tx;
  tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
  tx.outputs = {TxOut{funding.outputs[0].value - amount - fee, miner_lock()}};
  tx.payload = Payload{PayloadKind::bond, encode_bond_body(BondBody{voting_key, miner_lock(), amount})};
  sign_with_key0(tx, funding, genesis);
  return tx;
}

// A transaction paying output 0 of `funding` (a coin of key 0) less `fee` to `to`, signed.
inline Transaction signed_spend(const Transaction& funding, const OutputLock& to, Amount fee,
                                const BlockHash& genesis) {
  Transaction tx;
  tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
  tx.outputs = {TxOut{funding.outputs[0].value - fee, to}};
  sign_with_key0(tx, funding, genesis);
  return tx;
}

class RegtestNode {
 public:
  RegtestNode()
      : rules_(NetworkChainRules::for_network(Network::regtest)),
        clock_(static_cast<int64_t>(rules_.genesis().header.timestamp) + 100'000) {
    auto opened = ChainManager::open(store_, rules_, checker_, clock_);
    EXPECT_TRUE(opened.ok()) << opened.error().to_string();
    manager_ = std::move(*opened);
  }

  const ConsensusParams& params() const { return rules_.params(); }

  // The next block on the tip, assembled and mined, with `txs` (their `fees` claimed by
  // the coinbase) and `votes`.
  Block next_block(std::vector<Transaction> txs = {}, Amount fees = 0, std::vector<Vote> votes = {}) {
    const BlockNode& tip = manager_->tip();
    BlockTemplate tmpl;
    tmpl.parent = tip.header;
    tmpl.parent_hash = tip.hash;
    tmpl.coinbase_lock = miner_lock();
    tmpl.coinbase_extra = coinbase_extra_;
    tmpl.transactions = std::move(txs);
    tmpl.votes = std::move(votes);
    tmpl.fees = fees;
    tmpl.timestamp = tip.header.timestamp + static_cast<uint64_t>(params().target_spacing);
    Block block = assemble_block(params(), tmpl).value();
    auto root = manager_->state_root_on_tip(block);
    EXPECT_TRUE(root.ok()) << root.error().to_string();
    if (root.ok()) {
      if (const auto* refused = std::get_if<BlockRejection>(&*root)) {
        ADD_FAILURE() << "template refused: " << to_string(refused->reason) << ": " << refused->message;
      } else {
        block.header.state_root = std::get<ChainManager::TemplateCheck>(*root).state_root;
      }
    }
    return remined(std::move(block));
  }

  // Re-mines `block` after its header was changed.
  static Block remined(Block block) {
    const std::atomic<bool> stop{false};
    block.header = mine_header(block.header, MineOptions{}, stop).value();
    return block;
  }

  // The rejection reason, or nullopt when accepted.
  std::optional<BlockError> submit(const Block& block) {
    auto verdict = manager_->submit_block(block);
    EXPECT_TRUE(verdict.ok()) << verdict.error().to_string();
    if (!verdict || !*verdict) return std::nullopt;
    return (*verdict)->reason;
  }

  // In every coinbase: nodes given different extras mine different blocks on one parent.
  Bytes coinbase_extra_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  NetworkChainRules rules_;
  ManualClock clock_;
  std::unique_ptr<ChainManager> manager_;
};

}  // namespace cairn::test
