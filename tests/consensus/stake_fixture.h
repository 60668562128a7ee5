// A simulated chain for stake-state tests: block hashes and the StakeState of its tip, with
// no proof of work and no coins. Staking transactions carry the SpentInputs the chain
// manager would supply. Blocks apply through the real apply_block / undo_block.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "consensus/finality.h"
#include "consensus/staking.h"
#include "primitives/staking.h"
#include "support/keys.h"

namespace cairn::test {

struct StakeTx {
  Transaction tx;
  SpentInputs spent;
};

inline constexpr Amount kFee = 1'000;

class StakeChain final : public CheckpointLookup {
 public:
  explicit StakeChain(const FinalityParams& params = kRegtestFinality) : params_(params) {
    BlockHeader genesis;
    genesis.nonce = 0xc0ffee;
    hashes_.push_back(block_hash(genesis));
    state_ = StakeState::at_genesis(hashes_[0]);
  }

  const FinalityParams& params() const { return params_; }
  const BlockHash& genesis() const { return hashes_[0]; }
  uint64_t height() const { return hashes_.size() - 1; }
  uint64_t epoch() const { return epoch_of(params_, height()); }
  const StakeState& state() const { return state_; }
  StakeState& mutable_state() { return state_; }
  const BlockHash& hash_at(uint64_t height) const { return hashes_.at(height); }
  BlockHash checkpoint_hash(uint64_t epoch) const override {
    return hashes_.at(epoch * params_.epoch_length);
  }

  // Builds and applies the next block; on rejection nothing changes. `fork_nonce` makes a
  // block of another branch at the same height.
  std::optional<BlockRejection> add_block(const std::vector<StakeTx>& txs = {},
                                          const std::vector<Vote>& votes = {}, uint64_t fork_nonce = 0) {
    Block block;
    block.header.height = height() + 1;
    block.header.prev = hashes_.back();
    block.header.nonce = fork_nonce;
    std::vector<SpentInputs> spent;
    for (const auto& t : txs) {
      block.transactions.push_back(t.tx);
      spent.push_back(t.spent);
    }
    block.votes = votes;
    const BlockHash hash = block_hash(block.header);
    const BlockContext ctx{params_, genesis(), hash, *this, spent};
    auto verdict = apply_block(state_, block, ctx);
    if (auto* rejection = std::get_if<BlockRejection>(&verdict)) return *rejection;
    auto& applied = std::get<AppliedBlock>(verdict);
    hashes_.push_back(hash);
    undos_.push_back(std::move(applied.undo));
    last_flows_ = std::move(applied.flows);
    return std::nullopt;
  }

  void pop_block() {
    undo_block(state_, undos_.back());
    undos_.pop_back();
    hashes_.pop_back();
  }

  const StakeUndo& last_undo() const { return undos_.back(); }
  const std::vector<StakeFlow>& last_flows() const { return last_flows_; }

  // Signed vote of `key` for source -> target given explicitly.
  Vote vote(const KeyPair& key, uint64_t source_epoch, uint64_t target_epoch) const {
    Vote v;
    v.validator = key.public_key();
    v.source_epoch = source_epoch;
    v.source_hash = checkpoint_hash(source_epoch);
    v.target_epoch = target_epoch;
    v.target_hash = checkpoint_hash(target_epoch);
    v.signature = key.sign(vote_signing_message(v, genesis()));
    return v;
  }

  // The honest vote of `key` at the tip (source last justified, target the tip's epoch), if
  // it has not voted for that epoch yet and there is something to vote for.
  std::optional<Vote> honest(const KeyPair& key) const {
    const uint64_t target = epoch();
    auto tally = state_.finality.tallies.find(target);
    if (tally == state_.finality.tallies.end() || tally->second.voters.contains(key.public_key()))
      return std::nullopt;
    if (target <= last_justified_epoch(state_)) return std::nullopt;
    return vote(key, last_justified_epoch(state_), target);
  }

  // Adds `n` blocks, each carrying the honest votes of `voters` not yet counted.
  void run(uint64_t n, const std::vector<size_t>& voters) {
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<Vote> votes;
      for (size_t k : voters) {
        if (auto v = honest(test_key(k))) votes.push_back(*v);
      }
      if (auto r = add_block({}, votes)) throw std::runtime_error(r->message);
    }
  }

 private:
  FinalityParams params_;
  std::vector<BlockHash> hashes_;
  std::vector<StakeUndo> undos_;
  std::vector<StakeFlow> last_flows_;
  StakeState state_;
};

// A transaction with one (fictitious) input worth `input_value`, spending a coin locked by
// `input_lock`, and the given payload and outputs.
inline StakeTx stake_tx(PayloadKind kind, Bytes body, Amount input_value, std::vector<TxOut> outputs = {},
                        std::optional<OutputLock> input_lock = std::nullopt) {
  static uint32_t counter = 0;
  StakeTx t;
  TxIn in;
  in.prevout.index = ++counter;  // distinct txids
  t.tx.inputs.push_back(in);
  t.tx.outputs = std::move(outputs);
  t.tx.payload = {kind, std::move(body)};
  t.spent.value = input_value;
  t.spent.locks = {input_lock.value_or(key_hash_lock(test_key(31).public_key()))};
  return t;
}

inline OutputLock owner_of(size_t k) { return key_hash_lock(test_key(k + 16).public_key()); }

inline StakeTx bond_tx(size_t k, Amount amount) {
  return stake_tx(kBondPayload, encode_bond_body({test_key(k).public_key(), owner_of(k), amount}),
                  amount + kFee);
}

inline StakeTx unbond_signed_tx(size_t k, const Txid& bond_id, const BlockHash& genesis) {
  const PublicKey key = test_key(k).public_key();
  const Signature sig = test_key(k).sign(unbond_signing_message(genesis, key, bond_id));
  return stake_tx(kUnbondPayload, encode_unbond_body({key, sig}), kFee);
}

inline StakeTx withdraw_tx(size_t k, Amount amount, const OutputLock& to) {
  return stake_tx(kWithdrawPayload, encode_withdraw_body({test_key(k).public_key()}), kFee,
                  {TxOut{amount, to}});
}

// Bonds validators `keys` with `stake` each in the next block and runs the chain until they
// are active (the dynasty their bonds start in).
inline void bootstrap(StakeChain& chain, const std::vector<size_t>& keys, Amount stake) {
  std::vector<StakeTx> bonds;
  for (size_t k : keys) bonds.push_back(bond_tx(k, stake));
  if (auto r = chain.add_block(bonds)) throw std::runtime_error(r->message);
  const uint64_t start = chain.state().validators.at(test_key(keys[0]).public_key()).start_dynasty;
  while (chain.state().finality.dynasty < start) chain.run(1, {});
}

}  // namespace cairn::test
