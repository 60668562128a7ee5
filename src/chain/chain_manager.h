// The chain manager: the block index, the best chain and the UTXO state on top of a
// KvStore. It accepts blocks (stores the body and an index entry), connects and
// disconnects them (validating against the UTXO set, writing undo data, the LtHash state
// root and the tx and address indexes), and reorganises to the preferred branch: the highest
// justified checkpoint, then the most cumulative work (preferred()). Batches, validation
// order and durability are described in docs/chain.md.
//
// Every connect and every disconnect is ONE atomic WriteBatch holding the UTXO changes,
// the undo data, the indexes, the LtHash lanes and the best tip, so the store is always
// at a block boundary. submit_block() syncs before it returns: a tip it reports is durable.
//
// After an I/O error from the store the manager refuses everything with that error
// (kv.h: the store must be closed and reopened); open() on the reopened store recovers.
//
// Pruning (ChainManagerOptions::prune_depth) deletes the bodies and undo data of blocks
// far enough below the tip, each step one batch; index entries are kept for every block.
//
// Not thread-safe: one thread (the chain's) owns it; listeners are called on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <variant>
#include <vector>

#include "chain/block_index.h"
#include "chain/chain_rules.h"
#include "chain/contract_store.h"
#include "chain/parallel_verify.h"
#include "chain/utxo_cache.h"
#include "consensus/finality.h"
#include "consensus/lock_eval.h"
#include "consensus/staking.h"
#include "contracts/engine.h"
#include "contracts/executor.h"
#include "crypto/lthash.h"
#include "storage/kv.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/thread_pool.h"

namespace cairn {

// Blocks one prune batch deletes at most: switching a large archive store to pruning
// deletes its history in bounded batches, each recording how far it got.
inline constexpr uint64_t kMaxPruneBlocksPerBatch = 1'000;

struct ChainManagerOptions {
  size_t utxo_cache_bytes = UtxoCache::kDefaultMaxBytes;
  // 0: archive mode, every body and undo record is kept. N > 0: keep the bodies and undo
  // data of the tip and the N - 1 blocks below it; older ones are deleted, so no
  // reorganisation may disconnect more than N blocks (BlockError::reorg_too_deep).
  // A store once pruned cannot be opened in archive mode again (its data is gone).
  uint64_t prune_depth = 0;
  // When set, pruning never deletes the data of blocks at or above the height it returns
  // (called at each prune step). Meant for the last finalized checkpoint (issue [C]): data
  // the finality rule may still need to reorganise across is never pruned.
  std::function<uint64_t()> prune_limit_height;
  // Signature checks of a block's inputs run on this pool when set (the checker must then
  // be thread-safe), on the calling thread otherwise. Must outlive the manager and must
  // not be a pool whose workers call the manager.
  ThreadPool* verify_pool = nullptr;
};

// Told what happened to the best chain, after it is durable, on the chain's thread. Each
// submit_block() that moved the tip gives the net change: the blocks that left the best
// chain (block_disconnected, old tip first), then the ones that joined it
// (block_connected, in height order), then chain_updated(). A branch that was tried and
// abandoned (an invalid block in it) is not reported. Implementations must not call back
// into the manager except through its const accessors.
class ChainListener {
 public:
  virtual ~ChainListener() = default;
  virtual void block_disconnected(const Block& block, uint64_t height) = 0;
  virtual void block_connected(const Block& block, uint64_t height) = 0;
  // The notifications of one update are over; the manager is at its new tip.
  virtual void chain_updated() = 0;
};

// What a chain manager counts for /metrics (docs/metrics.md). Updated on the chain's
// thread; lock-free, so a scrape reads it from any thread without touching the chain state.
struct ChainMetrics {
  // Of the durable best chain, updated after each change reached the listeners.
  metrics::Gauge height;
  metrics::Gauge justified_height;  // last justified checkpoint (0 without finality)
  metrics::Gauge finalized_height;  // last finalized checkpoint (0 without finality)
  metrics::Counter blocks_connected;
  // Moves of the best chain to another branch (at least one block disconnected).
  metrics::Counter reorgs;
  // connect() of one block to the tip: read, validate, execute, write (not synced).
  metrics::Histogram validation_seconds{metrics::default_seconds_buckets()};
  // Gas the contract transactions of each connected block used (0 for blocks without).
  metrics::Histogram block_gas_used{metrics::exponential_buckets(1'000, 4, 12)};
  // Contract transactions of connected blocks by outcome: trapped; ran out of gas; a
  // deploy refused (its module invalid or its address taken).
  metrics::Counter contract_traps;
  metrics::Counter contract_out_of_gas;
  metrics::Counter contract_rejected_deploys;
};

// Blocks whose median timestamp is a block's "median time past" (BIP-113).
inline constexpr size_t kMedianTimeSpan = 11;

// The median time past of a child of `last`: the median of the timestamps of `last` and
// up to kMedianTimeSpan - 1 of its ancestors (a new block's timestamp must exceed it).
uint64_t median_time_past_after(const BlockNode& last);

// Fork choice (DESIGN.md): whether the chain ending at `a` is preferred to the one ending
// at `b` — the higher justified epoch (BlockNode::justified_epoch), then the more work.
bool preferred(const BlockNode& a, const BlockNode& b);

class ChainManager {
 public:
  // Loads the block index, the tip and the state accumulator from `store`; an empty store
  // gets the rules' genesis block connected. Schema checks (storage/schema.h) are the
  // caller's, before this. `clock` gives ParentInfo::now for header checks. Refused
  // (invalid_argument) in archive mode on a store that was pruned. REQUIRES: store,
  // rules, checker and clock outlive the manager.
  static Result<std::unique_ptr<ChainManager>> open(KvStore& store, const ChainRules& rules,
                                                    SignatureChecker& checker, const Clock& clock,
                                                    const ChainManagerOptions& options = {});

  // Adds a listener for later changes of the best chain. REQUIRES: it outlives the
  // manager (or the manager stops being used first).
  void add_listener(ChainListener& listener) { listeners_.push_back(&listener); }

  // Accepts `block` and moves to the best chain. nullopt: the block is stored (or was
  // already) and valid as far as it was connected; the chain state is durable. A
  // rejection: the block is refused or was found invalid (then it and its descendants
  // are marked failed). An Error: the store failed.
  Result<std::optional<BlockRejection>> submit_block(const Block& block);

  const BlockNode& tip() const { return *chain_.back(); }
  // The best chain's block at `height`, or nullptr above the tip.
  const BlockNode* at_height(uint64_t height) const;
  const BlockNode* find(const BlockHash& hash) const { return index_.find(hash); }
  const LtHash& state() const { return state_; }
  const CoinView& coins() const { return coins_; }
  // not_found for an unknown block, or (with a message saying so) a pruned one.
  Result<Block> read_block(const BlockHash& hash) const;
  // Bodies and undo data of blocks below this height have been deleted (0: none).
  uint64_t prune_height() const { return prune_height_; }
  // Median of the timestamps of the up to kMedianTimeSpan blocks before `node`; the
  // genesis block's own timestamp for genesis.
  uint64_t median_time_past(const BlockNode& node) const;

  // Whether the rules have staking and finality (and the manager a stake state).
  bool has_finality() const { return stake_.has_value(); }
  // The tip's stake state: validators, dynasties, justified and finalized checkpoints.
  // REQUIRES: has_finality().
  const StakeState& stake() const { return *stake_; }
  // Height of the last finalized checkpoint (0 without finality). No block below it is
  // ever disconnected, and a block forking below it is refused (conflicts_with_finalized).
  uint64_t finalized_height() const;

  // The root `node`'s header commits to when the accumulator is `state`: the genesis
  // header cannot commit to the stake state (it holds the genesis hash), so its root
  // leaves the genesis stake elements out.
  Hash256 committed_root(const LtHash& state, const BlockNode& node) const;

  // What connecting a template on the tip found.
  struct TemplateCheck {
    Hash256 state_root;
    // Subsidy + fees + rewards: the most its coinbase may claim. Contract fees depend on the
    // gas the execution uses, so a template whose coinbase claimed less may claim this.
    Amount coinbase_allowance = 0;
  };
  // For block templates: the state root `block` (a child of the tip) commits to, found by
  // connecting it without storing anything; or the rejection connecting it meets. Its
  // header's state root, proof of work and header rules are not checked.
  Result<std::variant<TemplateCheck, BlockRejection>> state_root_on_tip(const Block& block);

  // Counters and gauges for /metrics; the reference may be read from any thread.
  const ChainMetrics& metrics() const { return metrics_; }

  // The contract state of the tip (records, storage, code), for queries and the API.
  const contracts::ContractStore& contract_state() const { return contract_store_; }
  // Runs a read-only call against the tip's contract state (nothing is kept), in the
  // context of a block after the tip at `time`.
  Result<contracts::Execution> query_contract(const ContractId& contract, std::string_view method,
                                              ByteSpan args, const Account& caller, uint64_t gas,
                                              uint64_t time);
  // Runs contract transaction `tx` from `caller` on the tip's contract state as the next
  // block at `time` would, keeping nothing: gas estimates and dry runs. Its inputs and
  // signatures are not looked at. REQUIRES: check_contract_tx accepts it.
  Result<contracts::Execution> trial_contract_tx(const Transaction& tx, const Account& caller, uint64_t time);

 private:
  ChainManager(KvStore& store, const ChainRules& rules, SignatureChecker& checker, const Clock& clock,
               const ChainManagerOptions& options);

  // Most work first; ties to the block seen first.
  struct CandidateOrder {
    bool operator()(const BlockNode* a, const BlockNode* b) const;
  };

  Status load();
  Status create_genesis();
  // Validates and stores a block; the new (or existing) node in `node`.
  Result<std::optional<BlockRejection>> accept(const Block& block, BlockNode*& node);
  Status activate_best_chain();
  // A block whose justified epoch is unknown (its branch carries votes not yet counted)
  // may be preferred once connected although its lower bound says otherwise: moves to it
  // to count them, and back unless it won. Without this a node could stay on a branch
  // that justified a checkpoint first while the network builds on one that did so a
  // block later (DESIGN.md: highest justified checkpoint, then most work).
  Status settle_justification(BlockNode& node);
  // Moves the best chain to end at `target`, whose branch must be stored and unfailed.
  // false: a block of the branch is invalid by its content; it and its descendants are
  // marked failed (last_invalid_) and the old best chain is back.
  Result<bool> reorganize_to(BlockNode& target);
  // Connects `node` on top of the tip. REQUIRES: node.parent is the tip (or both are none).
  Result<std::optional<BlockRejection>> connect(BlockNode& node);
  // What connecting a block's transactions found, for the rules applied after them.
  struct BlockEffects {
    Amount fees = 0;  // of the non-staking transactions (staking fees need the stake rules)
    Amount coinbase_value = 0;
    std::vector<Amount> output_sums;  // per transaction
    std::vector<SpentInputs> spent;   // per transaction
  };
  // Every consensus check of `block` on top of the tip but the state root: transactions,
  // lock times, stake rules and votes, the coinbase's claim. Puts the UTXO and index
  // changes in `batch` and updates `state`; with finality, applies the block to stake_ in
  // place (undo in `stake_undo`) — the caller undoes it if it does not keep the block.
  // On a rejection nothing of stake_ changed; the coin cache changes are the caller's to
  // discard either way.
  Result<std::optional<BlockRejection>> evaluate(const Block& block, const BlockNode& node, LtHash& state,
                                                 BlockUndo& undo, StakeUndo& stake_undo, WriteBatch& batch);
  Result<std::optional<BlockRejection>> connect_transactions(const Block& block, const BlockNode& node,
                                                             LtHash& state, BlockUndo& undo,
                                                             WriteBatch& batch, BlockEffects& effects,
                                                             contracts::StateOverlay& contract_state);
  // Runs contract transaction `tx` (position `position`, txid `id`) whose inputs are spent:
  // checks that its inputs cover outputs + value + maximum gas fee, executes it, adds its
  // created outputs and its receipt and events to `batch`, and its fee to `fees`.
  Result<std::optional<BlockRejection>> run_contract_tx(const Transaction& tx, const Txid& id,
                                                        size_t position, const BlockNode& node, Amount in_sum,
                                                        Amount out_sum, const OutputLock& caller,
                                                        LtHash& state, WriteBatch& batch, Amount& fees,
                                                        contracts::StateOverlay& contract_state);
  // Adds a coin made by this block at `outpoint` to the view, the state and the address index.
  Status add_new_coin(const OutPoint& outpoint, const Coin& coin, LtHash& state, WriteBatch& batch);
  // The contract state changes of a connected block: state elements, column and undo data.
  Status write_contract_changes(const contracts::StateChanges& changes, const BlockHash& block, LtHash& state,
                                WriteBatch& batch) const;
  // Undoes the contract side of the tip `node` (its transactions are `block`'s): created
  // outputs, receipts, events, and the state its ContractUndo records.
  Status disconnect_contracts(const BlockNode& node, const Block& block, LtHash& state, WriteBatch& batch);
  // Staking fees, rewards and votes: applies `block` to stake_ and `state`.
  std::optional<BlockRejection> apply_stake(const Block& block, const BlockNode& node, BlockEffects& effects,
                                            LtHash& state, StakeUndo& stake_undo);
  // The stake column changes of a connect (after apply) or a disconnect (after undo).
  void write_stake(const StakeUndo& stake_undo, WriteBatch& batch) const;

  Status disconnect_tip();
  Status mark_invalid(BlockNode& node);
  bool in_best_chain(const BlockNode& node) const;
  // The first ancestor of `node` (or itself) on the best chain.
  const BlockNode& fork_point(const BlockNode& node) const;
  // conflicts_with_finalized when `node`'s branch forks below the finalized checkpoint.
  std::optional<BlockRejection> crosses_finalized(const BlockNode& node) const;
  // Why moving to `node` is impossible: it would disconnect a block below the finalized
  // checkpoint, or one whose undo data was pruned.
  std::optional<BlockRejection> reorg_refusal(const BlockNode& node) const;
  // Prunes below the target of prune_depth (and prune_limit_height), in batches.
  Status prune();
  // Records a durable connect or disconnect for the listeners (net change only).
  void note_connected(Block block, uint64_t height);
  void note_disconnected(Block block, uint64_t height);
  // Delivers the net change to the listeners and forgets it; updates the tip gauges.
  void notify();
  // Both fail the manager on error (kv.h: the store must be reopened).
  Status write(const WriteBatch& batch);
  Status sync();

  KvStore& store_;
  const ChainRules& rules_;
  SignatureChecker& checker_;
  const Clock& clock_;
  const uint64_t prune_depth_;
  const std::function<uint64_t()> prune_limit_height_;
  ThreadPool* const verify_pool_;
  uint64_t prune_height_ = 0;
  BlockHash genesis_hash_;
  BlockIndex index_;
  std::vector<BlockNode*> chain_;  // the best chain by height; never empty once open
  // Stored, not failed, preferred to the tip: where activate_best_chain() looks.
  std::set<BlockNode*, CandidateOrder> candidates_;
  UtxoCache coins_;
  LtHash state_;                     // of the tip
  std::optional<StakeState> stake_;  // of the tip, when the rules have finality
  FinalityParams finality_params_;   // the rules' (meaningful only with stake_)
  KvContractStore contract_store_;
  std::unique_ptr<contracts::Engine> engine_;
  contracts::Executor executor_;   // uses engine_
  Amount coinbase_allowance_ = 0;  // found by the last evaluate() that accepted its block
  std::optional<Error> failure_;
  bool unsynced_ = false;
  // The last block found invalid while connecting, for submit_block's verdict.
  std::optional<std::pair<const BlockNode*, BlockRejection>> last_invalid_;
  std::vector<ChainListener*> listeners_;
  // The net change since the last notify(): blocks of the old best chain that left it
  // (old tip first) and blocks that joined it (in height order), with their heights.
  std::vector<std::pair<Block, uint64_t>> disconnected_;
  std::vector<std::pair<Block, uint64_t>> connected_;
  // What the block being evaluated did, counted into metrics_ only once it is connected
  // (templates and refused blocks are evaluated too).
  struct BlockTally {
    uint64_t gas_used = 0;
    uint64_t traps = 0;
    uint64_t out_of_gas = 0;
    uint64_t rejected_deploys = 0;
  };
  BlockTally tally_;
  ChainMetrics metrics_;
};

}  // namespace cairn
