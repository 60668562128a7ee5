// The mempool: valid unconfirmed transactions waiting for a block, and the orphans waiting
// for their parents. Rules and limits in docs/mempool.md.
//
// A transaction is validated against the chain's coins (a CoinView passed to each call,
// the chain manager's UTXO cache) plus the outputs of transactions already in the pool,
// with signatures checked through the shared SignatureCache, so that connecting a block
// whose transactions came through the pool does not verify them again.
//
// Ordering is by ancestor package: a transaction counts with every unconfirmed ancestor it
// needs, so a high-fee child pays for its low-fee parent (child pays for parent). Block
// templates take packages best rate first; when full, the pool evicts the package of
// lowest descendant fee rate (the transaction and everything that spends it).
//
// Staking transactions (bond, unbond, withdraw, slash) are checked with the consensus stake
// rules against the stake state the next block's transactions would see, and counted with
// their stake flow; at most one per voting key is pending (docs/mempool.md "Staking").
//
// Time comes from the injected Clock. Thread-safe: every member function locks the pool,
// and calls the CoinView it is given with that lock held (lock order: pool, then view).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "chain/chain_manager.h"
#include "chain/coin_view.h"
#include "chain/fee_rate.h"
#include "chain/orphan_pool.h"
#include "chain/sig_cache.h"
#include "consensus/block_error.h"
#include "consensus/finality.h"
#include "consensus/lock_eval.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "primitives/block.h"
#include "util/clock.h"
#include "util/thread_annotations.h"

namespace cairn {

// Relay policy limits (not consensus: a block may hold what the pool refuses).
inline constexpr size_t kMaxStandardTxBytes = 100'000;
inline constexpr size_t kDefaultMaxMempoolBytes = 300'000'000;
inline constexpr Amount kDefaultMinRelayFeePerKb = 1'000;
// Base units per gas: a call of 100,000 gas offers 0.001 CAIRN.
inline constexpr Amount kDefaultMinGasPrice = 1;
inline constexpr int64_t kMempoolExpirySeconds = 14 * 24 * 60 * 60;
// Counted including the transaction itself, as in Bitcoin Core.
inline constexpr size_t kMaxAncestors = 25;
inline constexpr size_t kMaxDescendants = 25;
// Transactions one replacement may evict: the conflicting ones and all their descendants.
inline constexpr size_t kMaxReplaced = 100;

struct MempoolOptions {
  Hash256 genesis;  // the network's, for sighashes
  size_t max_bytes = kDefaultMaxMempoolBytes;
  FeeRate min_relay_fee{kDefaultMinRelayFeePerKb};
  // Blocks a coinbase output waits before it may be spent: a consensus parameter of the
  // network, passed in because the pool only applies it.
  uint64_t coinbase_maturity = 100;
  // The network's staking and finality parameters; nullopt: a network without staking,
  // whose pool refuses staking transactions (staking_unsupported).
  std::optional<FinalityParams> finality;
  // The network's block limits, for contract transactions (gas limits, docs/contracts.md
  // §2); the default refuses every contract transaction (max_tx_gas 0).
  BlockLimits limits;
  // Base units per gas a contract transaction must offer at least.
  Amount min_gas_price = kDefaultMinGasPrice;
};

// The block a pool transaction would be included in: what lock times are checked against.
struct NextBlock {
  uint64_t height = 0;
  uint64_t median_time = 0;
  // Median time past of the best-chain block at a height below `height` (the creation
  // time of a spent coin, for relative time locks).
  std::function<uint64_t(uint64_t height)> median_time_at;
  // The tip's stake state (ChainManager::stake()), which staking transactions are checked
  // against after the next block's epoch transition; nullptr refuses them
  // (staking_unsupported). Read during the call only.
  const StakeState* stake = nullptr;
};

// Why a transaction was refused. DO NOT REORDER: reported to peers and logs.
enum class MempoolReject : uint8_t {
  none = 0,
  coinbase,  // a coinbase is only valid in a block
  no_inputs,
  no_outputs,
  too_large,        // over kMaxStandardTxBytes
  duplicate_input,  // two inputs spend the same outpoint
  bad_amount,       // a value or a sum outside the money range
  already_known,    // in the pool or the orphan pool (by txid)
  missing_input,    // spends an output index a known transaction does not have
  orphan_refused,   // parents unknown and the orphan pool would not keep it
  immature_coinbase,
  insufficient_funds,        // outputs exceed inputs
  fee_too_low,               // below the minimum relay fee rate
  non_final,                 // lock_time not reached by the next block
  replacement_rate_too_low,  // not a higher fee rate than every transaction it replaces
  replacement_fee_too_low,   // does not pay for the replaced fees plus its own relay
  replacement_spends_conflict,
  too_many_replaced,  // over kMaxReplaced
  too_many_ancestors,
  too_many_descendants,
  lock_failed,          // an input's witness does not satisfy its lock (see lock_error)
  pool_full,            // evicted at once: its package rate is the pool's lowest
  storage_error,        // the chain view failed
  staking_unsupported,  // a staking transaction, and no stake state or finality parameters
  stake_rejected,       // the consensus stake rules refuse it (see stake_error)
  stake_key_pending,    // another pending staking transaction concerns the same voting key
  contract_rejected,    // the stateless contract rules refuse it (see rule_error)
  gas_price_too_low,    // a contract transaction's gas price is below MempoolOptions::min_gas_price
};
const char* to_string(MempoolReject r);

enum class TxStatus : uint8_t { accepted, orphaned, rejected };

struct MempoolVerdict {
  TxStatus status = TxStatus::rejected;
  MempoolReject reason = MempoolReject::none;
  LockError lock_error = LockError::ok;      // for lock_failed
  uint32_t input = 0;                        // for lock_failed
  std::optional<BlockRejection> rule_error;  // for stake_rejected and contract_rejected
};

// The voting key a staking transaction concerns (bond, unbond, withdraw: the body's key;
// slash: the offender's); nullopt for other transactions and bodies that do not decode.
std::optional<PublicKey> staking_key(const Transaction& tx);

// What a block template may hold (consensus limits less the coinbase's room).
struct TemplateLimits {
  size_t max_bytes = 0;
  size_t max_transactions = 0;
  uint64_t max_gas = 0;  // Σ gas limits of contract transactions
};

// One pool transaction as the pool holds it (Mempool::entry, Mempool::entries): a copy,
// consistent at the moment it was taken.
struct MempoolEntryInfo {
  Txid txid;
  Transaction tx;
  size_t size = 0;   // bytes of the full encoding
  Amount fee = 0;    // the fee the pool counts (for a staking transaction: with its stake flow)
  int64_t time = 0;  // unix seconds (the pool's Clock) when it entered the pool
  // Fee and size of the transaction with all its pool ancestors (ancestor_package()).
  FeeAndSize ancestor_package;
};

class Mempool {
 public:
  // `clock` and `cache` must outlive the pool. `seed` drives random orphan eviction.
  Mempool(MempoolOptions options, const Clock& clock, SignatureCache& cache, uint64_t seed);

  // Validates `tx` and adds it (replacing what it conflicts with, if it pays enough), or
  // keeps it as an orphan when a parent is unknown. Orphans waiting for it are retried.
  MempoolVerdict accept(const Transaction& tx, const CoinView& chain, const NextBlock& next) EXCLUDES(mutex_);

  // One change of the best chain (docs/mempool.md, "Following the chain"): the blocks of
  // `disconnected` (old tip first) left it, then those of `connected` (in height order)
  // joined it; `chain` and `next` describe the new tip. Confirmed transactions and those
  // conflicting with them leave; then the disconnected blocks' transactions that the new
  // chain did not confirm return (without the fee minimum: they paid their way into a
  // block), validated against the new tip, and those that no longer validate are dropped
  // with every pool transaction spending them; pool transactions whose inputs or lock
  // times the new chain no longer satisfies leave too.
  void update_for_chain(std::span<const Block> disconnected, std::span<const Block> connected,
                        const CoinView& chain, const NextBlock& next) EXCLUDES(mutex_);
  // update_for_chain({}, {block}): `block` is now the tip, `chain` includes it.
  void block_connected(const Block& block, const CoinView& chain, const NextBlock& next) EXCLUDES(mutex_);
  // update_for_chain({block}, {}): `block` left the best chain, `chain` no longer has it.
  void block_disconnected(const Block& block, const CoinView& chain, const NextBlock& next) EXCLUDES(mutex_);

  // Drops transactions older than kMempoolExpirySeconds (with their descendants) and
  // expired orphans. accept() calls it too.
  void expire() EXCLUDES(mutex_);

  // The best transactions for a block by ancestor package fee rate, parents before
  // children, within `limits`.
  std::vector<Transaction> select_for_block(const TemplateLimits& limits) const EXCLUDES(mutex_);

  bool contains(const Txid& txid) const EXCLUDES(mutex_);
  bool contains_orphan(const Txid& txid) const EXCLUDES(mutex_);
  // The fee the pool counts for a transaction (for a staking one: with its stake flow).
  std::optional<Amount> fee(const Txid& txid) const EXCLUDES(mutex_);
  // The pending staking transaction concerning `voting_key`, if any.
  std::optional<Txid> pending_staking(const PublicKey& voting_key) const EXCLUDES(mutex_);
  // Fee and size of the transaction with all its pool ancestors.
  std::optional<FeeAndSize> ancestor_package(const Txid& txid) const EXCLUDES(mutex_);
  size_t size() const EXCLUDES(mutex_);
  size_t orphan_count() const EXCLUDES(mutex_);
  // Sum of the encoded sizes of the pool's transactions (orphans not included).
  size_t bytes() const EXCLUDES(mutex_);
  // The cache its signature checks go through (shared with the chain manager's checker);
  // thread-safe.
  const SignatureCache& signature_cache() const { return cache_; }
  // Sum of the fees the pool counts for its transactions (a running total, O(1)).
  Amount total_fees() const EXCLUDES(mutex_);

  // One pool transaction with its fee, size, entry time and ancestor package; nullopt when
  // it is not in the pool (orphans are not). O(log n + ancestors).
  std::optional<MempoolEntryInfo> entry(const Txid& txid) const EXCLUDES(mutex_);
  // A page of the pool in txid order (ascending bytes): the first `limit` entries whose
  // txid is greater than `after` (from the start when nullopt). The order does not depend
  // on fees, time or arrival, so a caller pages through with the last txid it got as the
  // next `after`; transactions that arrive or leave between pages are seen or missed
  // according to their txid only. O(log n + limit · ancestors).
  std::vector<MempoolEntryInfo> entries(const std::optional<Txid>& after, size_t limit) const
      EXCLUDES(mutex_);
  // Output `outpoint.index` of pool transaction `outpoint.txid` (what a pool child spends);
  // nullopt when that transaction is not in the pool or has no such output.
  std::optional<TxOut> output(const OutPoint& outpoint) const EXCLUDES(mutex_);

 private:
  struct Entry {
    Transaction tx;
    size_t size = 0;
    Amount fee = 0;
    int64_t time = 0;
    std::set<Txid> parents;              // pool transactions whose outputs it spends
    std::set<Txid> children;             // pool transactions that spend its outputs
    std::optional<PublicKey> stake_key;  // staking_key(tx) of a staking transaction
  };

  // What a transaction's inputs spend, found by resolve_inputs.
  struct Inputs {
    std::vector<TxOut> spent;            // per input (until the first missing one)
    std::vector<SpendContext> contexts;  // per input
    std::set<Txid> parents;              // pool transactions it spends from
    std::set<Txid> conflicts;            // pool transactions spending the same outpoints
    bool missing = false;                // some input's coin is unknown: an orphan
  };

  // `reinstate`: returning from a disconnected block (no fee minimum or size limit).
  MempoolVerdict accept_one(const Transaction& tx, const CoinView& chain, const NextBlock& next,
                            bool reinstate) REQUIRES(mutex_);
  MempoolReject resolve_inputs(const Transaction& tx, const CoinView& chain, const NextBlock& next,
                               Inputs& out) const REQUIRES(mutex_);
  // The replacement rule (docs/mempool.md); `replaced` receives what the transaction evicts.
  MempoolReject check_replacement(const FeeAndSize& tx, const Inputs& inputs, std::set<Txid>& replaced) const
      REQUIRES(mutex_);
  // The stake state the next block's transactions see: `next.stake` after the next block's
  // epoch transition (when it is a checkpoint). nullopt without finality or a stake state.
  std::optional<StakeState> next_stake_state(const NextBlock& next) const REQUIRES(mutex_);
  // Applies staking transaction `tx` to `state` (a next_stake_state) and undoes it: its
  // flow on success, else the reason (and the rules' rejection in `error`).
  MempoolReject check_stake(const Transaction& tx, const SpentInputs& spent, StakeState& state,
                            uint64_t next_height, StakeFlow& flow, std::optional<BlockRejection>& error) const
      REQUIRES(mutex_);
  // What `tx`'s inputs spend, from the pool and `chain`; nullopt when a coin is missing.
  std::optional<SpentInputs> spent_inputs(const Transaction& tx, const CoinView& chain) const
      REQUIRES(mutex_);
  // Re-checks every pending staking transaction against the new tip (the chain moved):
  // drops, with their descendants, those the stake rules now refuse; updates the others' fees.
  void recheck_staking_locked(const CoinView& chain, const NextBlock& next) REQUIRES(mutex_);
  MempoolReject check_package_limits(const std::set<Txid>& parents) const REQUIRES(mutex_);
  // Accepts the orphans waiting for each of `parents`, and theirs in turn.
  void adopt_orphans(std::vector<Txid> parents, const CoinView& chain, const NextBlock& next)
      REQUIRES(mutex_);
  void expire_locked() REQUIRES(mutex_);
  // Removes (with descendants) pool transactions that spend a coin neither the pool nor
  // `chain` has, an immature coinbase, or whose lock_time `next` does not reach.
  void remove_unspendable_locked(const CoinView& chain, const NextBlock& next) REQUIRES(mutex_);
  void trim_locked() REQUIRES(mutex_);
  void add_entry(const Txid& txid, Entry entry) REQUIRES(mutex_);
  // By value: callers pass ids that live in the structures these functions erase from.
  void remove_entry(Txid txid) REQUIRES(mutex_);
  void remove_with_descendants(Txid txid) REQUIRES(mutex_);
  std::set<Txid> ancestors(const Txid& txid) const REQUIRES(mutex_);
  std::set<Txid> descendants(const Txid& txid) const REQUIRES(mutex_);
  FeeAndSize package(const Txid& txid, const std::set<Txid>& others) const REQUIRES(mutex_);
  MempoolEntryInfo entry_info(const Txid& txid, const Entry& entry) const REQUIRES(mutex_);

  const MempoolOptions options_;
  const Clock& clock_;
  SignatureCache& cache_;
  mutable Mutex mutex_;
  std::map<Txid, Entry> entries_ GUARDED_BY(mutex_);
  std::map<OutPoint, Txid> spenders_ GUARDED_BY(mutex_);           // outpoint -> the pool tx spending it
  std::set<std::pair<int64_t, Txid>> by_time_ GUARDED_BY(mutex_);  // (entry time, txid), for expiry
  size_t bytes_ GUARDED_BY(mutex_) = 0;
  // Sum of entries_' fees. Each fee is at most what its inputs (and released stake) hold,
  // all distinct money: the sum stays within kMaxMoney.
  Amount fees_ GUARDED_BY(mutex_) = 0;
  std::map<PublicKey, Txid> stake_keys_ GUARDED_BY(mutex_);  // voting key -> its pending staking tx
  OrphanPool orphans_ GUARDED_BY(mutex_);
};

// The NextBlock of a block on top of `chain`'s tip (with its stake state when it has
// finality). The returned median_time_at and stake read `chain`: use them on the chain's
// thread, while the tip does not move.
NextBlock next_block(const ChainManager& chain);

// Keeps a Mempool in step with a ChainManager (ChainManager::add_listener): collects one
// update's blocks and applies them with Mempool::update_for_chain at chain_updated(),
// against the manager's coins at its new tip. Called on the chain's thread, like the
// manager; `pool` and `chain` must outlive it.
class MempoolChainListener final : public ChainListener {
 public:
  MempoolChainListener(Mempool& pool, const ChainManager& chain) : pool_(pool), chain_(chain) {}
  void block_disconnected(const Block& block, uint64_t height) override;
  void block_connected(const Block& block, uint64_t height) override;
  void chain_updated() override;

 private:
  Mempool& pool_;
  const ChainManager& chain_;
  std::vector<Block> disconnected_;
  std::vector<Block> connected_;
};

}  // namespace cairn
