#include "chain/mempool.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "consensus/contract_rules.h"
#include "primitives/contract.h"

namespace cairn {

const char* to_string(MempoolReject r) {
  switch (r) {
    case MempoolReject::none:
      return "none";
    case MempoolReject::coinbase:
      return "coinbase";
    case MempoolReject::no_inputs:
      return "no inputs";
    case MempoolReject::no_outputs:
      return "no outputs";
    case MempoolReject::too_large:
      return "too large";
    case MempoolReject::duplicate_input:
      return "duplicate input";
    case MempoolReject::bad_amount:
      return "amount out of range";
    case MempoolReject::already_known:
      return "already known";
    case MempoolReject::missing_input:
      return "missing input";
    case MempoolReject::orphan_refused:
      return "orphan refused";
    case MempoolReject::immature_coinbase:
      return "immature coinbase spend";
    case MempoolReject::insufficient_funds:
      return "outputs exceed inputs";
    case MempoolReject::fee_too_low:
      return "fee below minimum relay fee";
    case MempoolReject::non_final:
      return "lock time not reached";
    case MempoolReject::replacement_rate_too_low:
      return "replacement fee rate too low";
    case MempoolReject::replacement_fee_too_low:
      return "replacement fee too low";
    case MempoolReject::replacement_spends_conflict:
      return "replacement spends a replaced transaction";
    case MempoolReject::too_many_replaced:
      return "too many replaced transactions";
    case MempoolReject::too_many_ancestors:
      return "too many ancestors";
    case MempoolReject::too_many_descendants:
      return "too many descendants";
    case MempoolReject::lock_failed:
      return "lock failed";
    case MempoolReject::pool_full:
      return "mempool full";
    case MempoolReject::storage_error:
      return "storage error";
    case MempoolReject::staking_unsupported:
      return "staking not supported";
    case MempoolReject::stake_rejected:
      return "refused by the stake rules";
    case MempoolReject::stake_key_pending:
      return "a staking transaction for this voting key is pending";
    case MempoolReject::contract_rejected:
      return "refused by the contract rules";
    case MempoolReject::gas_price_too_low:
      return "gas price below the minimum";
  }
  return "unknown";
}

namespace {

MempoolVerdict reject(MempoolReject reason) {
  return MempoolVerdict{TxStatus::rejected, reason, LockError::ok, 0, std::nullopt};
}

// Whether the next block could include a transaction with this lock_time.
bool lock_time_reached(uint64_t lock_time, const NextBlock& next) {
  if (lock_time < kLockTimeThreshold) return lock_time <= next.height;
  return lock_time <= next.median_time;
}

// The gas limit a transaction takes of a block's: its own for a contract transaction (the
// pool admits only those whose body decodes), 0 for any other.
uint64_t gas_limit(const Transaction& tx) {
  return is_contract_payload(tx.payload.kind) ? contract_terms(tx.payload)->gas.limit : 0;
}

// Checks that need nothing but the transaction: the cheapest, so they come first.
// `out_sum` receives the sum of the outputs.
MempoolReject check_alone(const Transaction& tx, size_t size, bool reinstate, Amount& out_sum) {
  if (tx.is_coinbase()) return MempoolReject::coinbase;
  if (tx.inputs.empty()) return MempoolReject::no_inputs;
  // A contract transaction may spend everything on value and gas: its refund is an output.
  if (tx.outputs.empty() && !is_contract_payload(tx.payload.kind)) return MempoolReject::no_outputs;
  if (size > kMaxStandardTxBytes && !reinstate) return MempoolReject::too_large;
  std::set<OutPoint> prevouts;
  for (const auto& in : tx.inputs) {
    if (!prevouts.insert(in.prevout).second) return MempoolReject::duplicate_input;
  }
  std::vector<Amount> values;
  for (const auto& out : tx.outputs) values.push_back(out.value);
  const std::optional<Amount> sum = checked_sum(values);
  if (!sum) return MempoolReject::bad_amount;
  out_sum = *sum;
  return MempoolReject::none;
}

// Looks up no checkpoint: the epoch transition of an empty block never asks.
class NoCheckpoints final : public CheckpointLookup {
 public:
  BlockHash checkpoint_hash(uint64_t /*epoch*/) const override { return BlockHash{}; }
};

}  // namespace

std::optional<PublicKey> staking_key(const Transaction& tx) {
  switch (tx.payload.kind) {
    case kBondPayload:
      if (auto b = decode_bond_body(tx.payload.body)) return b->voting_key;
      return std::nullopt;
    case kUnbondPayload:
      if (auto b = decode_unbond_body(tx.payload.body)) return b->voting_key;
      return std::nullopt;
    case kWithdrawPayload:
      if (auto b = decode_withdraw_body(tx.payload.body)) return b->voting_key;
      return std::nullopt;
    case kSlashPayload:
      if (auto b = decode_slash_body(tx.payload.body)) return b->first.validator;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

Mempool::Mempool(MempoolOptions options, const Clock& clock, SignatureCache& cache, uint64_t seed)
    : options_(std::move(options)), clock_(clock), cache_(cache), orphans_(seed) {}

MempoolVerdict Mempool::accept(const Transaction& tx, const CoinView& chain, const NextBlock& next) {
  MutexLock lock(mutex_);
  expire_locked();
  const MempoolVerdict verdict = accept_one(tx, chain, next, false);
  if (verdict.status == TxStatus::accepted) adopt_orphans({txid(tx)}, chain, next);
  return verdict;
}

MempoolVerdict Mempool::accept_one(const Transaction& tx, const CoinView& chain, const NextBlock& next,
                                   bool reinstate) {
  const size_t size = encode(tx).size();
  Amount out_sum = 0;
  if (const auto r = check_alone(tx, size, reinstate, out_sum); r != MempoolReject::none) return reject(r);
  const Txid id = txid(tx);
  if (entries_.contains(id) || orphans_.contains(id)) return reject(MempoolReject::already_known);
  if (!lock_time_reached(tx.lock_time, next)) return reject(MempoolReject::non_final);

  Inputs inputs;
  if (const auto r = resolve_inputs(tx, chain, next, inputs); r != MempoolReject::none) return reject(r);
  if (inputs.missing) {
    // A transaction of a disconnected block whose input the new chain spent: dropped.
    if (reinstate) return reject(MempoolReject::missing_input);
    if (!orphans_.add(tx, size, clock_.unix_seconds())) return reject(MempoolReject::orphan_refused);
    return MempoolVerdict{TxStatus::orphaned, MempoolReject::none, LockError::ok, 0, std::nullopt};
  }

  std::vector<Amount> in_values;
  for (const auto& out : inputs.spent) in_values.push_back(out.value);
  const std::optional<Amount> in_sum = checked_sum(in_values);
  if (!in_sum) return reject(MempoolReject::bad_amount);
  Amount fee = 0;
  std::optional<PublicKey> stake_key;
  if (is_staking_payload(tx.payload.kind)) {
    // The stake rules check the balance with the flow: inputs + released >= outputs + locked.
    SpentInputs spent{*in_sum, {}};
    for (const auto& out : inputs.spent) spent.locks.push_back(out.lock);
    std::optional<StakeState> state = next_stake_state(next);
    if (!state) return reject(MempoolReject::staking_unsupported);
    StakeFlow flow;
    std::optional<BlockRejection> error;
    if (const auto r = check_stake(tx, spent, *state, next.height, flow, error); r != MempoolReject::none) {
      MempoolVerdict verdict = reject(r);
      verdict.rule_error = std::move(error);
      return verdict;
    }
    const std::optional<Amount> gross = checked_add(*in_sum, flow.released);
    if (!gross || *gross < out_sum || *gross - out_sum < flow.locked)
      return reject(MempoolReject::bad_amount);
    fee = *gross - out_sum - flow.locked;
    stake_key = staking_key(tx);  // decodes: the stake rules accepted the body
  } else if (is_contract_payload(tx.payload.kind)) {
    if (auto refused = check_contract_tx(tx, options_.limits)) {
      MempoolVerdict verdict = reject(MempoolReject::contract_rejected);
      verdict.rule_error = BlockRejection{refused->reason, refused->message};
      return verdict;
    }
    const ContractTerms terms = contract_terms(tx.payload).value();
    if (terms.gas.price < options_.min_gas_price) return reject(MempoolReject::gas_price_too_low);
    // The fee the transaction pays at least: its intrinsic gas is always used. The block's
    // coinbase claims the rest once execution has counted it (Node::checked_candidate).
    const Amount max_fee = max_gas_fee(terms.gas).value();
    const auto needed = checked_sum(std::vector<Amount>{out_sum, terms.value, max_fee});
    if (!needed) return reject(MempoolReject::bad_amount);
    if (*in_sum < *needed) return reject(MempoolReject::insufficient_funds);
    const uint64_t intrinsic = contract_intrinsic_gas(tx);
    fee = *in_sum - *needed + intrinsic * terms.gas.price;
  } else {
    if (*in_sum < out_sum) return reject(MempoolReject::insufficient_funds);
    fee = *in_sum - out_sum;
  }
  if (!reinstate && fee < options_.min_relay_fee.fee_for(size)) return reject(MempoolReject::fee_too_low);

  std::set<Txid> replaced;
  if (const auto r = check_replacement({fee, size}, inputs, replaced); r != MempoolReject::none)
    return reject(r);
  // One pending staking transaction per voting key, so that each is valid whatever else the
  // block holds; a replacement of that one transaction may take its place.
  if (stake_key) {
    if (auto pending = stake_keys_.find(*stake_key);
        pending != stake_keys_.end() && !replaced.contains(pending->second))
      return reject(MempoolReject::stake_key_pending);
  }
  if (const auto r = check_package_limits(inputs.parents); r != MempoolReject::none) return reject(r);

  // Signatures last: they are the expensive part, and a cache hit makes them free.
  const SighashDigests digests = compute_sighash_digests(tx, inputs.spent).value();
  CachingSignatureChecker checker(cache_);
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const LockError e =
        verify_input(tx, i, inputs.spent[i], digests, options_.genesis, inputs.contexts[i], checker);
    if (e != LockError::ok)
      return MempoolVerdict{TxStatus::rejected, MempoolReject::lock_failed, e, i, std::nullopt};
  }

  for (const auto& r : replaced) remove_entry(r);
  add_entry(id, Entry{tx, size, fee, clock_.unix_seconds(), std::move(inputs.parents), {}, stake_key});
  trim_locked();
  if (!entries_.contains(id)) return reject(MempoolReject::pool_full);
  return MempoolVerdict{TxStatus::accepted, MempoolReject::none, LockError::ok, 0, std::nullopt};
}

MempoolReject Mempool::resolve_inputs(const Transaction& tx, const CoinView& chain, const NextBlock& next,
                                      Inputs& out) const {
  for (const auto& in : tx.inputs) {
    if (auto s = spenders_.find(in.prevout); s != spenders_.end()) out.conflicts.insert(s->second);
    // A pool output is spent as if created in the next block: age zero.
    SpendContext context{next.height, next.median_time, next.height, next.median_time};
    if (auto parent = entries_.find(in.prevout.txid); parent != entries_.end()) {
      if (in.prevout.index >= parent->second.tx.outputs.size()) return MempoolReject::missing_input;
      out.spent.push_back(parent->second.tx.outputs[in.prevout.index]);
      out.parents.insert(in.prevout.txid);
    } else {
      const Result<std::optional<Coin>> coin = chain.get_coin(in.prevout);
      if (!coin) return MempoolReject::storage_error;
      if (!*coin) {
        out.missing = true;
        continue;
      }
      const Coin& c = **coin;
      if (c.coinbase && c.height + options_.coinbase_maturity > next.height)
        return MempoolReject::immature_coinbase;
      out.spent.push_back(c.output);
      context.coin_height = c.height;
      context.coin_time = next.median_time_at(c.height);
    }
    out.contexts.push_back(context);
  }
  return MempoolReject::none;
}

std::optional<StakeState> Mempool::next_stake_state(const NextBlock& next) const {
  if (!options_.finality || next.stake == nullptr) return std::nullopt;
  // Applying an empty block at the next height to a copy runs exactly that transition.
  StakeState state = *next.stake;
  Block empty;
  empty.header.height = next.height;
  const NoCheckpoints no_checkpoints;
  const BlockContext ctx{*options_.finality, options_.genesis, BlockHash{}, no_checkpoints, {}};
  // An empty block has no transaction or vote to refuse.
  (void)apply_block(state, empty, ctx);
  return state;
}

MempoolReject Mempool::check_stake(const Transaction& tx, const SpentInputs& spent, StakeState& state,
                                   uint64_t next_height, StakeFlow& flow,
                                   std::optional<BlockRejection>& error) const {
  const FinalityParams& params = *options_.finality;
  StakeUndo undo;
  undo.finality = state.finality;  // undo_block restores it (a slash changes the tallies)
  StakeEditor editor(state, undo);
  const StakeTxContext ctx{params, options_.genesis, epoch_of(params, next_height)};
  auto verdict = apply_stake_transaction(editor, tx, spent, ctx);
  // The state is shared by the checks of one pass: leave it as it was.
  undo_block(state, undo);
  if (auto* refused = std::get_if<BlockRejection>(&verdict)) {
    error = std::move(*refused);
    return MempoolReject::stake_rejected;
  }
  flow = std::get<StakeFlow>(verdict);
  return MempoolReject::none;
}

std::optional<SpentInputs> Mempool::spent_inputs(const Transaction& tx, const CoinView& chain) const {
  SpentInputs spent;
  for (const auto& in : tx.inputs) {
    std::optional<TxOut> out;
    if (auto parent = entries_.find(in.prevout.txid); parent != entries_.end()) {
      if (in.prevout.index < parent->second.tx.outputs.size())
        out = parent->second.tx.outputs[in.prevout.index];
    } else if (const Result<std::optional<Coin>> coin = chain.get_coin(in.prevout); coin && *coin) {
      out = (*coin)->output;
    }
    if (!out) return std::nullopt;
    const std::optional<Amount> sum = checked_add(spent.value, out->value);
    if (!sum) return std::nullopt;
    spent.value = *sum;
    spent.locks.push_back(out->lock);
  }
  return spent;
}

void Mempool::recheck_staking_locked(const CoinView& chain, const NextBlock& next) {
  std::vector<Txid> staking;
  for (const auto& [key, id] : stake_keys_) staking.push_back(id);
  if (staking.empty()) return;
  std::optional<StakeState> state = next_stake_state(next);
  for (const Txid& id : staking) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;  // left with an ancestor
    const Transaction& tx = it->second.tx;
    const std::optional<SpentInputs> spent = spent_inputs(tx, chain);
    StakeFlow flow;
    std::optional<BlockRejection> error;
    std::optional<Amount> fee;
    if (state && spent && check_stake(tx, *spent, *state, next.height, flow, error) == MempoolReject::none) {
      std::vector<Amount> outs;
      for (const auto& out : tx.outputs) outs.push_back(out.value);
      const std::optional<Amount> out_sum = checked_sum(outs);
      const std::optional<Amount> gross = checked_add(spent->value, flow.released);
      if (out_sum && gross && *gross >= *out_sum && *gross - *out_sum >= flow.locked)
        fee = *gross - *out_sum - flow.locked;
    }
    if (!fee) {
      remove_with_descendants(id);
      continue;
    }
    // A withdrawal releases the stake as it is now (rewards, leak): its fee follows.
    fees_ = fees_ - it->second.fee + *fee;
    it->second.fee = *fee;
  }
}

MempoolReject Mempool::check_replacement(const FeeAndSize& tx, const Inputs& inputs,
                                         std::set<Txid>& replaced) const {
  for (const auto& c : inputs.conflicts) {
    replaced.insert(c);
    const std::set<Txid> d = descendants(c);
    replaced.insert(d.begin(), d.end());
  }
  if (replaced.empty()) return MempoolReject::none;
  if (replaced.size() > kMaxReplaced) return MempoolReject::too_many_replaced;
  for (const auto& p : inputs.parents) {
    if (replaced.contains(p)) return MempoolReject::replacement_spends_conflict;
  }
  for (const auto& c : inputs.conflicts) {
    const Entry& e = entries_.at(c);
    if (compare_rate(tx, {e.fee, e.size}) <= 0) return MempoolReject::replacement_rate_too_low;
  }
  Amount replaced_fees = 0;
  for (const auto& r : replaced)
    replaced_fees += entries_.at(r).fee;  // <= kMaxReplaced * kMaxMoney: no overflow
  if (tx.fee < replaced_fees + options_.min_relay_fee.fee_for(tx.size))
    return MempoolReject::replacement_fee_too_low;
  return MempoolReject::none;
}

MempoolReject Mempool::check_package_limits(const std::set<Txid>& parents) const {
  std::set<Txid> all = parents;
  for (const auto& p : parents) {
    const std::set<Txid> a = ancestors(p);
    all.insert(a.begin(), a.end());
  }
  if (all.size() + 1 > kMaxAncestors) return MempoolReject::too_many_ancestors;
  for (const auto& a : all) {
    // a, its descendants, and the new transaction.
    if (descendants(a).size() + 2 > kMaxDescendants) return MempoolReject::too_many_descendants;
  }
  return MempoolReject::none;
}

void Mempool::adopt_orphans(std::vector<Txid> parents, const CoinView& chain, const NextBlock& next) {
  std::deque<Txid> queue(parents.begin(), parents.end());
  while (!queue.empty()) {
    const Txid parent = queue.front();
    queue.pop_front();
    for (const auto& orphan : orphans_.take_children(parent)) {
      // An orphan still missing another parent goes back to the orphan pool.
      if (accept_one(orphan, chain, next, false).status == TxStatus::accepted) queue.push_back(txid(orphan));
    }
  }
}

void Mempool::block_connected(const Block& block, const CoinView& chain, const NextBlock& next) {
  update_for_chain({}, std::span<const Block>(&block, 1), chain, next);
}

void Mempool::block_disconnected(const Block& block, const CoinView& chain, const NextBlock& next) {
  update_for_chain(std::span<const Block>(&block, 1), {}, chain, next);
}

// Bitcoin Core's removeForBlock, then MaybeUpdateMempoolForReorg.
void Mempool::update_for_chain(std::span<const Block> disconnected, std::span<const Block> connected,
                               const CoinView& chain, const NextBlock& next) {
  MutexLock lock(mutex_);
  std::vector<Txid> adoptable;  // parents whose orphans may now be accepted
  std::set<Txid> confirmed;
  for (const Block& block : connected) {
    for (const auto& tx : block.transactions) {
      const Txid id = txid(tx);
      confirmed.insert(id);
      adoptable.push_back(id);
      // Its pool children stay: what they spend is now a chain coin.
      if (entries_.contains(id)) remove_entry(id);
    }
    for (const auto& tx : block.transactions) {
      for (const auto& in : tx.inputs) {
        if (auto s = spenders_.find(in.prevout); s != spenders_.end()) remove_with_descendants(s->second);
      }
    }
    orphans_.remove_for_block(block);
  }
  // Oldest block first, each in block order: parents return before their children.
  for (auto block = disconnected.rbegin(); block != disconnected.rend(); ++block) {
    for (const auto& tx : block->transactions) {
      const Txid id = txid(tx);
      if (tx.is_coinbase() || confirmed.contains(id) || entries_.contains(id)) continue;
      if (accept_one(tx, chain, next, true).status == TxStatus::accepted) {
        adoptable.push_back(id);
        continue;
      }
      // Pool transactions spending its outputs have lost their inputs.
      for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
        if (auto s = spenders_.find(OutPoint{id, i}); s != spenders_.end())
          remove_with_descendants(s->second);
      }
    }
  }
  // What the old chain gave and the new one does not: coins (a disconnected coinbase's
  // outputs), coinbase maturity, a height or time a lock_time needed.
  if (!disconnected.empty()) remove_unspendable_locked(chain, next);
  // Any block may change the stake state (a finalization moves the dynasty, a vote pays a
  // reward, another route may have bonded the same key): re-check every staking transaction.
  recheck_staking_locked(chain, next);
  trim_locked();
  adopt_orphans(std::move(adoptable), chain, next);
}

void Mempool::remove_unspendable_locked(const CoinView& chain, const NextBlock& next) {
  std::vector<Txid> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  for (const Txid& id : ids) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;  // left with an ancestor
    const Transaction& tx = it->second.tx;
    bool spendable = lock_time_reached(tx.lock_time, next);
    for (size_t i = 0; spendable && i < tx.inputs.size(); ++i) {
      const OutPoint& prevout = tx.inputs[i].prevout;
      if (auto parent = entries_.find(prevout.txid); parent != entries_.end()) {
        spendable = prevout.index < parent->second.tx.outputs.size();
        continue;
      }
      const Result<std::optional<Coin>> coin = chain.get_coin(prevout);
      // A storage failure keeps it: the next block's validation decides.
      if (!coin) continue;
      spendable = coin->has_value() &&
                  (!(*coin)->coinbase || (*coin)->height + options_.coinbase_maturity <= next.height);
    }
    if (!spendable) remove_with_descendants(id);
  }
}

NextBlock next_block(const ChainManager& chain) {
  NextBlock next;
  next.height = chain.tip().height() + 1;
  next.median_time = median_time_past_after(chain.tip());
  next.median_time_at = [&chain](uint64_t height) {
    const BlockNode* node = chain.at_height(height);
    return node == nullptr ? median_time_past_after(chain.tip()) : chain.median_time_past(*node);
  };
  if (chain.has_finality()) next.stake = &chain.stake();
  return next;
}

void MempoolChainListener::block_disconnected(const Block& block, uint64_t /*height*/) {
  disconnected_.push_back(block);
}

void MempoolChainListener::block_connected(const Block& block, uint64_t /*height*/) {
  connected_.push_back(block);
}

void MempoolChainListener::chain_updated() {
  pool_.update_for_chain(disconnected_, connected_, chain_.coins(), next_block(chain_));
  disconnected_.clear();
  connected_.clear();
}

void Mempool::expire() {
  MutexLock lock(mutex_);
  expire_locked();
}

void Mempool::expire_locked() {
  const int64_t now = clock_.unix_seconds();
  // Oldest first, so this costs nothing when nothing has expired (accept() calls it).
  while (!by_time_.empty() && by_time_.begin()->first + kMempoolExpirySeconds <= now) {
    remove_with_descendants(by_time_.begin()->second);
  }
  orphans_.expire(now);
}

void Mempool::trim_locked() {
  while (bytes_ > options_.max_bytes) {
    // The package of lowest descendant fee rate: evicting it frees the most room for the
    // least fee. Ties go to the larger txid, so the choice is deterministic.
    std::optional<std::pair<FeeAndSize, Txid>> worst;
    for (const auto& [id, entry] : entries_) {
      const FeeAndSize p = package(id, descendants(id));
      if (!worst || compare_rate(p, worst->first) <= 0) worst = {p, id};
    }
    remove_with_descendants(worst->second);
  }
}

void Mempool::add_entry(const Txid& id, Entry entry) {
  for (const auto& p : entry.parents) entries_.at(p).children.insert(id);
  for (const auto& in : entry.tx.inputs) spenders_[in.prevout] = id;
  if (entry.stake_key) stake_keys_[*entry.stake_key] = id;
  // A transaction returning from a disconnected block may already have pool children.
  for (uint32_t i = 0; i < entry.tx.outputs.size(); ++i) {
    if (auto s = spenders_.find(OutPoint{id, i}); s != spenders_.end()) {
      entry.children.insert(s->second);
      entries_.at(s->second).parents.insert(id);
    }
  }
  bytes_ += entry.size;
  fees_ += entry.fee;
  by_time_.emplace(entry.time, id);
  entries_.emplace(id, std::move(entry));
}

void Mempool::remove_entry(Txid id) {
  auto it = entries_.find(id);
  const Entry& entry = it->second;
  for (const auto& p : entry.parents) entries_.at(p).children.erase(id);
  for (const auto& c : entry.children) entries_.at(c).parents.erase(id);
  for (const auto& in : entry.tx.inputs) spenders_.erase(in.prevout);
  if (entry.stake_key) stake_keys_.erase(*entry.stake_key);
  bytes_ -= entry.size;
  fees_ -= entry.fee;
  by_time_.erase({entry.time, id});
  entries_.erase(it);
}

void Mempool::remove_with_descendants(Txid id) {
  for (const auto& d : descendants(id)) remove_entry(d);
  remove_entry(id);
}

std::set<Txid> Mempool::ancestors(const Txid& id) const {
  std::set<Txid> out;
  std::vector<Txid> stack(entries_.at(id).parents.begin(), entries_.at(id).parents.end());
  while (!stack.empty()) {
    const Txid t = stack.back();
    stack.pop_back();
    if (!out.insert(t).second) continue;
    for (const auto& p : entries_.at(t).parents) stack.push_back(p);
  }
  return out;
}

std::set<Txid> Mempool::descendants(const Txid& id) const {
  std::set<Txid> out;
  std::vector<Txid> stack(entries_.at(id).children.begin(), entries_.at(id).children.end());
  while (!stack.empty()) {
    const Txid t = stack.back();
    stack.pop_back();
    if (!out.insert(t).second) continue;
    for (const auto& c : entries_.at(t).children) stack.push_back(c);
  }
  return out;
}

FeeAndSize Mempool::package(const Txid& id, const std::set<Txid>& others) const {
  const Entry& e = entries_.at(id);
  FeeAndSize out{e.fee, e.size};
  for (const auto& o : others) {
    out.fee += entries_.at(o).fee;
    out.size += entries_.at(o).size;
  }
  return out;
}

std::vector<Transaction> Mempool::select_for_block(const TemplateLimits& limits) const {
  MutexLock lock(mutex_);
  // Bitcoin Core's algorithm: take the package (a transaction and its ancestors not yet
  // taken) of highest fee rate; when a package is taken, the packages of its
  // descendants shrink and are re-ranked.
  struct Candidate {
    FeeAndSize package;
    Txid txid;
    bool operator<(const Candidate& o) const {
      const auto c = compare_rate(package, o.package);
      if (c != 0) return c > 0;  // higher rate first
      return txid < o.txid;
    }
  };
  std::map<Txid, std::set<Txid>> pending;  // txid -> its ancestors not yet taken
  std::map<Txid, FeeAndSize> packages;
  std::set<Candidate> queue;
  for (const auto& [id, entry] : entries_) {
    pending[id] = ancestors(id);
    packages[id] = package(id, pending[id]);
    queue.insert({packages[id], id});
  }
  std::set<Txid> taken;
  std::vector<Transaction> out;
  size_t bytes = 0;
  uint64_t gas = 0;
  while (!queue.empty()) {
    const Candidate best = *queue.begin();
    queue.erase(queue.begin());
    std::vector<Txid> members(pending[best.txid].begin(), pending[best.txid].end());
    members.push_back(best.txid);
    uint64_t package_gas = 0;
    for (const auto& m : members) package_gas += gas_limit(entries_.at(m).tx);  // each ≤ max_tx_gas
    if (bytes + best.package.size > limits.max_bytes ||
        out.size() + members.size() > limits.max_transactions || gas + package_gas > limits.max_gas) {
      continue;  // a smaller package may still fit
    }
    // Parents before children: a transaction has more ancestors than any of its parents.
    std::sort(members.begin(), members.end(), [&](const Txid& a, const Txid& b) {
      return std::pair(pending[a].size(), a) < std::pair(pending[b].size(), b);
    });
    for (const auto& m : members) {
      out.push_back(entries_.at(m).tx);
      taken.insert(m);
      queue.erase({packages[m], m});
    }
    bytes += best.package.size;
    gas += package_gas;
    for (const auto& m : members) {
      const Entry& e = entries_.at(m);
      for (const auto& d : descendants(m)) {
        if (taken.contains(d)) continue;
        queue.erase({packages[d], d});
        pending[d].erase(m);
        packages[d].fee -= e.fee;
        packages[d].size -= e.size;
        queue.insert({packages[d], d});
      }
    }
  }
  return out;
}

bool Mempool::contains(const Txid& id) const {
  MutexLock lock(mutex_);
  return entries_.contains(id);
}

bool Mempool::contains_orphan(const Txid& id) const {
  MutexLock lock(mutex_);
  return orphans_.contains(id);
}

std::optional<FeeAndSize> Mempool::ancestor_package(const Txid& id) const {
  MutexLock lock(mutex_);
  if (!entries_.contains(id)) return std::nullopt;
  return package(id, ancestors(id));
}

std::optional<Amount> Mempool::fee(const Txid& id) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.fee;
}

std::optional<Txid> Mempool::pending_staking(const PublicKey& voting_key) const {
  MutexLock lock(mutex_);
  auto it = stake_keys_.find(voting_key);
  if (it == stake_keys_.end()) return std::nullopt;
  return it->second;
}

size_t Mempool::size() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

size_t Mempool::orphan_count() const {
  MutexLock lock(mutex_);
  return orphans_.size();
}

size_t Mempool::bytes() const {
  MutexLock lock(mutex_);
  return bytes_;
}

Amount Mempool::total_fees() const {
  MutexLock lock(mutex_);
  return fees_;
}

MempoolEntryInfo Mempool::entry_info(const Txid& id, const Entry& entry) const {
  return MempoolEntryInfo{id, entry.tx, entry.size, entry.fee, entry.time, package(id, ancestors(id))};
}

std::optional<MempoolEntryInfo> Mempool::entry(const Txid& id) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return entry_info(it->first, it->second);
}

std::vector<MempoolEntryInfo> Mempool::entries(const std::optional<Txid>& after, size_t limit) const {
  MutexLock lock(mutex_);
  std::vector<MempoolEntryInfo> out;
  for (auto it = after ? entries_.upper_bound(*after) : entries_.begin();
       it != entries_.end() && out.size() < limit; ++it) {
    out.push_back(entry_info(it->first, it->second));
  }
  return out;
}

std::optional<TxOut> Mempool::output(const OutPoint& outpoint) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(outpoint.txid);
  if (it == entries_.end() || outpoint.index >= it->second.tx.outputs.size()) return std::nullopt;
  return it->second.tx.outputs[outpoint.index];
}

}  // namespace cairn
