// Builds signed test chains for the chain tests: a genesis block, TestChainRules over it,
// and blocks on any parent with correct roots and state root, computed from a model of
// the UTXO set kept per block (so branches can be built before any manager sees them).
//
// Every output pays to a test key (support/keys.h); spends are signed by the owning key.
// Blocks may be deliberately invalid (double spends, overspends...): the model applies
// what it can, and the header still gets the state root the model computes.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_manager.h"
#include "chain/chain_rules.h"
#include "consensus/lock_eval.h"
#include "crypto/lthash.h"
#include "primitives/coin.h"
#include "primitives/sighash.h"
#include "storage/keys.h"
#include "storage/memory_store.h"
#include "support/keys.h"
#include "util/clock.h"

namespace cairn::test {

inline constexpr uint64_t kGenesisTime = 1'700'000'000;
inline constexpr uint64_t kBlockSpacing = 600;
inline constexpr uint8_t kSighashAll = static_cast<uint8_t>(SighashType::all);

// The UTXO set after a block, as the fixture models it.
struct ModelState {
  std::map<OutPoint, Coin> utxo;
  LtHash lthash;
  uint64_t height = 0;
  uint64_t timestamp = 0;

  void spend(const OutPoint& outpoint) {
    auto it = utxo.find(outpoint);
    if (it == utxo.end()) return;
    lthash.remove(utxo_state_element(outpoint, it->second));
    utxo.erase(it);
  }
  void create(const OutPoint& outpoint, const Coin& coin) {
    if (!utxo.emplace(outpoint, coin).second) return;
    lthash.add(utxo_state_element(outpoint, coin));
  }
  void apply(const Transaction& tx, uint64_t h) {
    for (const TxIn& in : tx.inputs) spend(in.prevout);
    const Txid id = txid(tx);
    for (size_t k = 0; k < tx.outputs.size(); ++k) {
      create(OutPoint{id, static_cast<uint32_t>(k)}, Coin{tx.outputs[k], h, tx.is_coinbase()});
    }
  }
};

inline OutputLock pay_to(size_t key) { return key_hash_lock(test_key(key).public_key()); }

class TestChain;

// One block under construction on top of a parent; transactions see the outputs of the
// ones added before them.
class BlockBuilder {
 public:
  BlockBuilder(TestChain& chain, const BlockHash& parent);

  // A transaction spending `inputs` (coins in the working state, else signed as if worth
  // nothing) into `outputs`, signed by the owners; added to the block and returned.
  Transaction spend(const std::vector<OutPoint>& inputs, const std::vector<TxOut>& outputs);
  // Adds a transaction as it is.
  void add(const Transaction& tx);
  // The coinbase claims subsidy + fees + `coinbase_bonus`. `work` is the header's target
  // field: TestChainRules' work, 0 meaning 1.
  Block build(uint32_t work = 0, Amount coinbase_bonus = 0);

  const ModelState& state() const { return state_; }

 private:
  TestChain& chain_;
  BlockHash parent_;
  ModelState state_;
  std::vector<Transaction> txs_;
  Amount fees_ = 0;
};

class TestChain {
 public:
  TestChain() : genesis_(make_genesis()), rules_(genesis_) {
    states_[block_hash(genesis_.header)] = genesis_state_;
  }

  const Block& genesis() const { return genesis_; }
  BlockHash genesis_hash() const { return block_hash(genesis_.header); }
  const TestChainRules& rules() const { return rules_; }
  const ModelState& state(const BlockHash& block) const { return states_.at(block); }

  BlockBuilder builder(const BlockHash& parent) { return BlockBuilder(*this, parent); }
  // An empty block (coinbase only) on `parent`.
  Block empty_block(const BlockHash& parent, uint32_t work = 0) { return builder(parent).build(work); }
  // `count` empty blocks in a line on `parent`.
  std::vector<Block> line(const BlockHash& parent, size_t count, uint32_t work = 0) {
    std::vector<Block> out;
    BlockHash at = parent;
    for (size_t i = 0; i < count; ++i) {
      out.push_back(empty_block(at, work));
      at = block_hash(out.back().header);
    }
    return out;
  }

  // The coinbase output of `block` (paid to key 0).
  static OutPoint coinbase_outpoint(const Block& block) { return OutPoint{txid(block.transactions[0]), 0}; }

  // Signs every input whose spent output pays to a test key.
  Transaction sign(Transaction tx, const std::vector<TxOut>& spent) const {
    const SighashDigests digests = compute_sighash_digests(tx, spent).value();
    for (size_t j = 0; j < tx.inputs.size(); ++j) {
      for (size_t k = 0; k < kTestKeys; ++k) {
        if (spent[j].lock != pay_to(k)) continue;
        const Hash256 msg =
            signature_hash(tx, digests, static_cast<uint32_t>(j), kSighashAll, genesis_hash()).value();
        tx.inputs[j].witness =
            KeySpend{test_key(k).public_key(), TypedSignature{test_key(k).sign(msg), kSighashAll}};
      }
    }
    return tx;
  }

  void record(const BlockHash& hash, ModelState state) { states_[hash] = std::move(state); }
  uint64_t next_nonce() { return nonce_++; }

 private:
  Block make_genesis() {
    Block g;
    Transaction cb;
    cb.payload = Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{0, {}})};
    cb.outputs = {TxOut{TestChainRules::kSubsidy, pay_to(0)}};
    g.transactions = {cb};
    g.header.timestamp = kGenesisTime;
    genesis_state_.timestamp = kGenesisTime;
    genesis_state_.apply(cb, 0);
    g.header.tx_root = compute_tx_root(g);
    g.header.witness_root = compute_witness_root(g);
    g.header.vote_root = compute_vote_root(g);
    g.header.state_root = genesis_state_.lthash.root();
    return g;
  }

  ModelState genesis_state_;
  Block genesis_;
  TestChainRules rules_;
  std::map<BlockHash, ModelState> states_;
  uint64_t nonce_ = 1;
};

inline BlockBuilder::BlockBuilder(TestChain& chain, const BlockHash& parent)
    : chain_(chain), parent_(parent), state_(chain.state(parent)) {
  state_.height += 1;
  state_.timestamp += kBlockSpacing;
}

inline Transaction BlockBuilder::spend(const std::vector<OutPoint>& inputs,
                                       const std::vector<TxOut>& outputs) {
  Transaction tx;
  std::vector<TxOut> spent;
  Amount in = 0;
  for (const OutPoint& o : inputs) {
    tx.inputs.push_back(TxIn{o, {}});
    auto it = state_.utxo.find(o);
    spent.push_back(it == state_.utxo.end() ? TxOut{} : it->second.output);
    in += spent.back().value;
  }
  tx.outputs = outputs;
  Amount out = 0;
  for (const TxOut& o : outputs) out += o.value;
  if (in > out) fees_ += in - out;
  tx = chain_.sign(std::move(tx), spent);
  add(tx);
  return tx;
}

inline void BlockBuilder::add(const Transaction& tx) {
  state_.apply(tx, state_.height);
  txs_.push_back(tx);
}

inline Block BlockBuilder::build(uint32_t work, Amount coinbase_bonus) {
  Block b;
  Transaction cb;
  const uint64_t nonce = chain_.next_nonce();
  Bytes extra(8);
  for (size_t i = 0; i < 8; ++i) extra[i] = static_cast<uint8_t>(nonce >> (8 * i));
  cb.payload = Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{state_.height, extra})};
  cb.outputs = {TxOut{TestChainRules::kSubsidy + fees_ + coinbase_bonus, pay_to(0)}};
  ModelState after = state_;
  after.apply(cb, state_.height);
  b.transactions.push_back(cb);
  b.transactions.insert(b.transactions.end(), txs_.begin(), txs_.end());
  b.header.height = state_.height;
  b.header.prev = parent_;
  b.header.timestamp = state_.timestamp;
  b.header.target = work;
  b.header.nonce = nonce;
  b.header.tx_root = compute_tx_root(b);
  b.header.witness_root = compute_witness_root(b);
  b.header.vote_root = compute_vote_root(b);
  b.header.state_root = after.lthash.root();
  chain_.record(block_hash(b.header), std::move(after));
  return b;
}

// Submits `block` and expects it to be accepted.
inline void submit_ok(ChainManager& manager, const Block& block) {
  auto verdict = manager.submit_block(block);
  ASSERT_TRUE(verdict.ok()) << verdict.error().to_string();
  ASSERT_FALSE(*verdict) << to_string((*verdict)->reason) << ": " << (*verdict)->message;
}

// Submits `block` and returns the rejection reason (nullopt when accepted).
inline std::optional<BlockError> submit_reason(ChainManager& manager, const Block& block) {
  auto verdict = manager.submit_block(block);
  EXPECT_TRUE(verdict.ok()) << verdict.error().to_string();
  if (!verdict || !*verdict) return std::nullopt;
  return (*verdict)->reason;
}

// The clock every test manager reads: fixed, well after the fixture's block timestamps.
inline const Clock& fixed_clock() {
  static const ManualClock clock(static_cast<int64_t>(kGenesisTime + uint64_t{100} * 365 * 24 * 3600));
  return clock;
}

inline std::unique_ptr<ChainManager> open_or_fail(KvStore& store, const ChainRules& rules,
                                                  SignatureChecker& checker,
                                                  const ChainManagerOptions& options = {}) {
  auto manager = ChainManager::open(store, rules, checker, fixed_clock(), options);
  EXPECT_TRUE(manager.ok()) << manager.error().to_string();
  return manager ? std::move(*manager) : nullptr;
}

// The contents of one column, in key order.
inline std::vector<std::pair<Bytes, Bytes>> column(const KvReader& store, Column c) {
  std::vector<std::pair<Bytes, Bytes>> out;
  auto it = store.iterator(c);
  for (it->seek_to_first(); it->valid(); it->next()) {
    out.emplace_back(Bytes(it->key().begin(), it->key().end()),
                     Bytes(it->value().begin(), it->value().end()));
  }
  EXPECT_TRUE(it->status().ok());
  return out;
}

// What must agree between two stores at the same tip: the UTXO set, the tx and address
// indexes, the meta facts (tip, state accumulator; not the prune height, which depends on
// the history and the prune depth, not on the tip) and the best chain's height keys.
inline std::vector<std::vector<std::pair<Bytes, Bytes>>> chain_state(const KvReader& store) {
  std::vector<std::vector<std::pair<Bytes, Bytes>>> out;
  for (Column c : {Column::utxo, Column::tx_index, Column::address_index, Column::meta})
    out.push_back(column(store, c));
  const ByteSpan prune_key = meta_key(kMetaPruneHeight);
  std::erase_if(out[3], [&](const auto& kv) {
    return std::equal(kv.first.begin(), kv.first.end(), prune_key.begin(), prune_key.end());
  });
  std::vector<std::pair<Bytes, Bytes>> best;
  auto it = store.iterator(Column::block_index, best_height_prefix());
  for (it->seek_to_first(); it->valid(); it->next()) {
    best.emplace_back(Bytes(it->key().begin(), it->key().end()),
                      Bytes(it->value().begin(), it->value().end()));
  }
  out.push_back(std::move(best));
  return out;
}

// The best chain of `manager` above genesis, read back from its store.
inline std::vector<Block> best_chain_blocks(const ChainManager& manager) {
  std::vector<Block> out;
  for (uint64_t h = 1; h <= manager.tip().height(); ++h) {
    auto block = manager.read_block(manager.at_height(h)->hash);
    EXPECT_TRUE(block.ok());
    if (block) out.push_back(std::move(*block));
  }
  return out;
}

// Sum of the value sizes of one column: what the store holds for it.
inline size_t column_bytes(const KvReader& store, Column c) {
  size_t total = 0;
  auto it = store.iterator(c);
  for (it->seek_to_first(); it->valid(); it->next()) total += it->value().size();
  EXPECT_TRUE(it->status().ok());
  return total;
}

// The index's have-body and have-undo bits agree with the block_bodies and undo columns,
// every best-chain block from the prune height up has both, and nothing below it does.
inline void expect_prune_consistent(const KvReader& store, const ChainManager& manager) {
  std::set<Bytes> bodies, undo;
  for (const auto& [k, v] : column(store, Column::block_bodies)) bodies.insert(k);
  for (const auto& [k, v] : column(store, Column::undo)) undo.insert(k);
  size_t flagged_bodies = 0, flagged_undo = 0;
  for (uint64_t h = 0; h <= manager.tip().height(); ++h) {
    const BlockNode& node = *manager.at_height(h);
    const bool kept = h >= manager.prune_height();
    EXPECT_EQ((node.status & kBlockHaveBody) != 0, kept) << "height " << h;
    EXPECT_EQ((node.status & kBlockHaveUndo) != 0, kept) << "height " << h;
  }
  auto it = store.iterator(Column::block_index, Bytes{static_cast<uint8_t>(BlockIndexTag::entry)});
  for (it->seek_to_first(); it->valid(); it->next()) {
    const BlockHash hash = decode_block_index_key(it->key()).value();
    const BlockIndexEntry entry = decode_block_index_entry(it->value()).value();
    const BlockNode* node = manager.find(hash);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->status, entry.status) << "the stored status is the one in memory";
    const bool has_body = bodies.contains(block_key(hash));
    const bool has_undo = undo.contains(block_key(hash));
    EXPECT_EQ((entry.status & kBlockHaveBody) != 0, has_body) << hash.hex();
    EXPECT_EQ((entry.status & kBlockHaveUndo) != 0, has_undo) << hash.hex();
    flagged_bodies += has_body ? 1 : 0;
    flagged_undo += has_undo ? 1 : 0;
  }
  EXPECT_EQ(flagged_bodies, bodies.size()) << "a body without an index entry";
  EXPECT_EQ(flagged_undo, undo.size()) << "undo data without an index entry";
}

// chain_state() of a fresh MemoryStore that was given only `blocks`, in order.
inline std::vector<std::vector<std::pair<Bytes, Bytes>>> replayed_state(const TestChain& chain,
                                                                        const std::vector<Block>& blocks) {
  MemoryStore fresh;
  DirectSignatureChecker checker;
  auto manager = open_or_fail(fresh, chain.rules(), checker);
  for (const Block& b : blocks) submit_ok(*manager, b);
  return chain_state(fresh);
}

}  // namespace cairn::test
