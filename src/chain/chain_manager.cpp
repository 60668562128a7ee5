#include "chain/chain_manager.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <string>

#include "consensus/block_rules.h"
#include "consensus/contract_rules.h"
#include "contracts/wabt_engine.h"
#include "primitives/coin.h"
#include "primitives/contract.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "storage/keys.h"

namespace cairn {
namespace {

Error corrupt(const std::string& what) { return Error{ErrorCode::io, "chain state corrupt: " + what}; }

std::string at(size_t tx, size_t input) {
  return "transactions[" + std::to_string(tx) + "].inputs[" + std::to_string(input) + "]";
}

// A verdict against the block, in the shape the validation functions return.
std::optional<BlockRejection> rejection(BlockError reason, std::string message) {
  return BlockRejection{reason, std::move(message)};
}

// Verifies a block's transactions on a pool while the caller's sequential pass goes on:
// each kVerifyBatch transactions added go to a worker at once, so the signature checks
// overlap the UTXO work. The verdict is the failure at the lowest position, as a
// sequential loop gives it: a batch is skipped only when a failure below it is known.
// Without a pool, finish() verifies on the calling thread. One caller thread.
class PipelinedVerifier {
 public:
  // `capacity`: the most transactions that will be added.
  PipelinedVerifier(ThreadPool* pool, size_t capacity, const Hash256& genesis, SignatureChecker& checker)
      : genesis_(genesis), checker_(checker), failures_(capacity), first_failure_(capacity) {
    // Workers read jobs_ through this pointer while the caller appends: never reallocated.
    jobs_.reserve(capacity);
    jobs_data_ = jobs_.data();
    if (pool != nullptr) group_.emplace(*pool);
  }

  void add(TxVerifyJob job) {
    assert(jobs_.size() < jobs_.capacity());
    jobs_.push_back(std::move(job));
    if (group_ && jobs_.size() - submitted_ == kVerifyBatch) submit();
  }

  // The first failing input in the order added, or nullopt.
  std::optional<InputFailure> finish() {
    if (group_) {
      if (submitted_ < jobs_.size()) submit();
      group_->wait();
    } else {
      for (size_t k = 0; k < jobs_.size() && !failures_[k]; ++k) failures_[k] = verify(k);
    }
    for (size_t k = 0; k < jobs_.size(); ++k) {
      if (failures_[k]) return failures_[k];
    }
    return std::nullopt;
  }

 private:
  std::optional<InputFailure> verify(size_t k) const {
    const TxVerifyJob& job = jobs_data_[k];
    // One spent output per input (the caller's), the only way the digests can fail.
    const SighashDigests digests = compute_sighash_digests(*job.tx, job.spent).value();
    for (uint32_t j = 0; j < job.tx->inputs.size(); ++j) {
      const LockError e =
          verify_input(*job.tx, j, job.spent[j], digests, genesis_, job.contexts[j], checker_);
      if (e != LockError::ok) return InputFailure{k, j, e};
    }
    return std::nullopt;
  }

  void submit() {
    const size_t begin = submitted_;
    const size_t end = jobs_.size();
    submitted_ = end;
    group_->run([this, begin, end] {
      for (size_t k = begin; k < end; ++k) {
        if (k > first_failure_.load(std::memory_order_relaxed)) return;  // cannot change the verdict
        failures_[k] = verify(k);
        if (!failures_[k]) continue;
        size_t seen = first_failure_.load();
        while (k < seen && !first_failure_.compare_exchange_weak(seen, k)) {
        }
      }
    });
  }

  const Hash256& genesis_;
  SignatureChecker& checker_;
  std::vector<TxVerifyJob> jobs_;
  const TxVerifyJob* jobs_data_ = nullptr;
  std::vector<std::optional<InputFailure>> failures_;  // sized up front: workers write their own
  std::atomic<size_t> first_failure_;                  // the lowest failing job known
  size_t submitted_ = 0;                               // jobs handed to workers so far
  std::optional<TaskGroup> group_;                     // last: destroyed (waited for) first
};

// The checkpoints below a block on the tip: the best chain's blocks at epoch boundaries.
class BestChainCheckpoints final : public CheckpointLookup {
 public:
  BestChainCheckpoints(const std::vector<BlockNode*>& chain, uint64_t epoch_length)
      : chain_(chain), epoch_length_(epoch_length) {}
  BlockHash checkpoint_hash(uint64_t epoch) const override { return chain_.at(epoch * epoch_length_)->hash; }

 private:
  const std::vector<BlockNode*>& chain_;
  uint64_t epoch_length_;
};

}  // namespace

uint64_t median_time_past_after(const BlockNode& last) {
  std::vector<uint64_t> times;
  for (const BlockNode* p = &last; p != nullptr && times.size() < kMedianTimeSpan; p = p->parent) {
    times.push_back(p->header.timestamp);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

bool preferred(const BlockNode& a, const BlockNode& b) {
  if (a.justified_epoch != b.justified_epoch) return a.justified_epoch > b.justified_epoch;
  return a.work > b.work;
}

bool ChainManager::CandidateOrder::operator()(const BlockNode* a, const BlockNode* b) const {
  if (preferred(*a, *b)) return true;
  if (preferred(*b, *a)) return false;
  return a->sequence < b->sequence;
}

ChainManager::ChainManager(KvStore& store, const ChainRules& rules, SignatureChecker& checker,
                           const Clock& clock, const ChainManagerOptions& options)
    : store_(store),
      rules_(rules),
      checker_(checker),
      clock_(clock),
      prune_depth_(options.prune_depth),
      prune_limit_height_(options.prune_limit_height),
      verify_pool_(options.verify_pool),
      genesis_hash_(block_hash(rules.genesis().header)),
      coins_(store, options.utxo_cache_bytes),
      contract_store_(store),
      engine_(contracts::make_wabt_engine()),
      executor_(*engine_) {
  if (const FinalityParams* finality = rules.finality()) {
    finality_params_ = *finality;
    stake_ = StakeState::at_genesis(genesis_hash_);
  }
}

Result<std::unique_ptr<ChainManager>> ChainManager::open(KvStore& store, const ChainRules& rules,
                                                         SignatureChecker& checker, const Clock& clock,
                                                         const ChainManagerOptions& options) {
  std::unique_ptr<ChainManager> manager(new ChainManager(store, rules, checker, clock, options));
  CAIRN_TRY(auto tip, store.get(Column::meta, meta_key(kMetaBestTip)));
  if (tip) {
    CAIRN_TRY_STATUS(manager->load());
  } else {
    CAIRN_TRY_STATUS(manager->create_genesis());
  }
  if (options.prune_depth == 0 && manager->prune_height_ > 0) {
    return Error{ErrorCode::invalid_argument,
                 "this chain state was pruned: blocks below height " +
                     std::to_string(manager->prune_height_) +
                     " are gone, so it cannot be opened in archive mode; keep pruning (set a prune "
                     "depth) or resynchronise an archive node into an empty data directory"};
  }
  // A crash may have come between storing a better block and connecting it, or between
  // connecting one and pruning.
  CAIRN_TRY_STATUS(manager->activate_best_chain());
  CAIRN_TRY_STATUS(manager->prune());
  CAIRN_TRY_STATUS(manager->sync());
  manager->notify();  // no listener yet: this only forgets the changes of recovery
  return manager;
}

Status ChainManager::load() {
  // Parents before children: load in height order (hash order within a height).
  std::vector<std::pair<BlockHash, BlockIndexEntry>> entries;
  const Bytes prefix{static_cast<uint8_t>(BlockIndexTag::entry)};
  auto it = store_.iterator(Column::block_index, prefix);
  for (it->seek_to_first(); it->valid(); it->next()) {
    CAIRN_TRY(BlockHash hash, decode_block_index_key(it->key()));
    CAIRN_TRY(BlockIndexEntry entry, decode_block_index_entry(it->value()));
    entries.emplace_back(hash, std::move(entry));
  }
  CAIRN_TRY_STATUS(it->status());
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second.header.height < b.second.header.height;
  });
  for (const auto& [hash, entry] : entries) {
    BlockNode* parent = index_.find(entry.header.prev);
    if (parent == nullptr && hash != genesis_hash_) return corrupt("block " + hash.hex() + " has no parent");
    index_.insert(hash, entry.header, entry.status, ChainWork{entry.cumulative_work}, parent);
  }

  CAIRN_TRY(auto tip_bytes, store_.get(Column::meta, meta_key(kMetaBestTip)));
  CAIRN_TRY(BlockHash tip_hash, decode_hash_value(*tip_bytes));
  BlockNode* tip = index_.find(tip_hash);
  if (tip == nullptr) return corrupt("the best tip is not in the block index");
  chain_.assign(tip->height() + 1, nullptr);
  for (BlockNode* node = tip; node != nullptr; node = node->parent) chain_[node->height()] = node;
  if (chain_[0] == nullptr || chain_[0]->hash != genesis_hash_)
    return corrupt("the best chain has another genesis");

  CAIRN_TRY(auto lanes, store_.get(Column::meta, meta_key(kMetaStateLtHash)));
  if (!lanes) return corrupt("no state accumulator");
  CAIRN_TRY(state_, decode_lthash_value(*lanes));
  if (stake_) {
    CAIRN_TRY(auto finality, store_.get(Column::stake, stake_finality_key()));
    if (!finality) return corrupt("no finality state");
    CAIRN_TRY(stake_->finality, decode_finality_state(*finality));
    auto validators = store_.iterator(Column::stake, stake_validator_prefix());
    for (validators->seek_to_first(); validators->valid(); validators->next()) {
      CAIRN_TRY(ValidatorRecord record, decode_validator_record(validators->value()));
      stake_->validators.emplace(record.voting_key, record);
    }
    CAIRN_TRY_STATUS(validators->status());
  }
  if (committed_root(state_, *tip) != tip->header.state_root)
    return corrupt("the state accumulator does not match the tip");
  if (stake_) tip->justified_epoch = last_justified_epoch(*stake_);
  tip->justified_exact = true;

  CAIRN_TRY(auto pruned, store_.get(Column::meta, meta_key(kMetaPruneHeight)));
  if (pruned) {
    CAIRN_TRY(prune_height_, decode_u64_value(*pruned));
  }

  for (const auto& [hash, node] : index_.nodes()) {
    if ((node->status & kBlockHaveBody) != 0 && !node->failed() && preferred(*node, *tip)) {
      candidates_.insert(node.get());
    }
  }
  return {};
}

Status ChainManager::create_genesis() {
  const Block& genesis = rules_.genesis();
  if (auto verdict = rules_.check_block(genesis)) {
    return Error{ErrorCode::invalid_argument,
                 std::string("the genesis block is invalid: ") + verdict->message};
  }
  BlockNode* node = index_.insert(genesis_hash_, genesis.header, kBlockHaveBody,
                                  rules_.block_work(genesis.header), nullptr);
  WriteBatch batch;
  batch.put(Column::block_bodies, block_key(genesis_hash_), encode(genesis));
  batch.put(Column::block_index, block_index_key(genesis_hash_), encode(node->entry()));
  CAIRN_TRY_STATUS(write(batch));
  CAIRN_TRY(auto verdict, connect(*node));
  if (verdict)
    return Error{ErrorCode::invalid_argument, "the genesis block does not connect: " + verdict->message};
  return {};
}

const BlockNode* ChainManager::at_height(uint64_t height) const {
  return height < chain_.size() ? chain_[height] : nullptr;
}

bool ChainManager::in_best_chain(const BlockNode& node) const { return at_height(node.height()) == &node; }

uint64_t ChainManager::median_time_past(const BlockNode& node) const {
  return node.parent == nullptr ? node.header.timestamp : median_time_past_after(*node.parent);
}

const BlockNode& ChainManager::fork_point(const BlockNode& node) const {
  const BlockNode* fork = &node;
  while (!in_best_chain(*fork)) fork = fork->parent;
  return *fork;
}

uint64_t ChainManager::finalized_height() const {
  return stake_ ? last_finalized(*stake_).epoch * finality_params_.epoch_length : 0;
}

std::optional<BlockRejection> ChainManager::crosses_finalized(const BlockNode& node) const {
  const uint64_t fork = fork_point(node).height();
  if (fork >= finalized_height()) return std::nullopt;
  return rejection(BlockError::conflicts_with_finalized,
                   "the branch forks at height " + std::to_string(fork) +
                       ", below the finalized checkpoint at height " + std::to_string(finalized_height()));
}

std::optional<BlockRejection> ChainManager::reorg_refusal(const BlockNode& node) const {
  if (auto refusal = crosses_finalized(node)) return refusal;
  const uint64_t fork = fork_point(node).height();
  if (fork + 1 >= prune_height_) return std::nullopt;
  // Not invalid by content: the node cannot undo that far.
  return rejection(BlockError::reorg_too_deep,
                   "the branch forks at height " + std::to_string(fork) + ", below the pruned height " +
                       std::to_string(prune_height_) + ": the undo data to leave the best chain is gone");
}

Hash256 ChainManager::committed_root(const LtHash& state, const BlockNode& node) const {
  if (!stake_ || node.parent != nullptr) return state.root();
  LtHash genesis_stake;
  add_stake_elements(genesis_stake, StakeState::at_genesis(genesis_hash_));
  LtHash utxo_only = state;
  utxo_only.remove(genesis_stake);
  return utxo_only.root();
}

Result<Block> ChainManager::read_block(const BlockHash& hash) const {
  const BlockNode* node = index_.find(hash);
  if (node != nullptr && (node->status & kBlockHaveBody) == 0 && node->height() < prune_height_) {
    return Error{ErrorCode::not_found, "block " + hash.hex() + " at height " +
                                           std::to_string(node->height()) +
                                           " was pruned (this node keeps blocks from height " +
                                           std::to_string(prune_height_) + ")"};
  }
  CAIRN_TRY(auto bytes, store_.get(Column::block_bodies, block_key(hash)));
  if (!bytes) return Error{ErrorCode::not_found, "no body for block " + hash.hex()};
  return decode_block(*bytes);
}

Status ChainManager::prune() {
  if (prune_depth_ == 0 || tip().height() + 1 <= prune_depth_) return {};
  uint64_t target = tip().height() + 1 - prune_depth_;  // keep the data of heights >= target
  if (prune_limit_height_) target = std::min(target, prune_limit_height_());
  // Never above the finalized checkpoint: the blocks after it may still be reorganised.
  if (stake_) target = std::min(target, finalized_height());
  while (prune_height_ < target) {
    const uint64_t end = std::min(target, prune_height_ + kMaxPruneBlocksPerBatch);
    constexpr uint8_t kData = kBlockHaveBody | kBlockHaveUndo;
    WriteBatch batch;
    std::vector<BlockNode*> pruned;
    for (uint64_t h = prune_height_; h < end; ++h) {
      for (BlockNode* node : index_.at_height(h)) {
        if ((node->status & kData) == 0) continue;
        // Side branches too: below the window none of them can be connected any more.
        batch.erase(Column::block_bodies, block_key(node->hash));
        batch.erase(Column::undo, block_key(node->hash));
        batch.erase(Column::stake, stake_undo_key(node->hash));
        batch.erase(Column::contracts, contract_undo_key(node->hash));
        BlockIndexEntry entry = node->entry();
        entry.status = static_cast<uint8_t>(entry.status & ~kData);
        batch.put(Column::block_index, block_index_key(node->hash), encode(entry));
        pruned.push_back(node);
      }
    }
    batch.put(Column::meta, meta_key(kMetaPruneHeight), encode_u64_value(end));
    CAIRN_TRY_STATUS(write(batch));
    for (BlockNode* node : pruned) {
      node->status = static_cast<uint8_t>(node->status & ~kData);
      candidates_.erase(node);
    }
    prune_height_ = end;
  }
  return {};
}

void ChainManager::note_connected(Block block, uint64_t height) {
  // Reconnecting the old branch after an invalid block undoes its disconnection.
  if (!disconnected_.empty() && block_hash(disconnected_.back().first.header) == block_hash(block.header)) {
    disconnected_.pop_back();
    return;
  }
  connected_.emplace_back(std::move(block), height);
}

void ChainManager::note_disconnected(Block block, uint64_t height) {
  // Only the tip is disconnected, so a block connected in this update is the last one.
  if (!connected_.empty()) {
    assert(block_hash(connected_.back().first.header) == block_hash(block.header));
    connected_.pop_back();
    return;
  }
  disconnected_.emplace_back(std::move(block), height);
}

void ChainManager::notify() {
  metrics_.height.set(static_cast<int64_t>(tip().height()));
  metrics_.finalized_height.set(static_cast<int64_t>(finalized_height()));
  metrics_.justified_height.set(
      stake_ ? static_cast<int64_t>(last_justified_epoch(*stake_) * finality_params_.epoch_length) : 0);
  if (!disconnected_.empty() || !connected_.empty()) {
    for (ChainListener* l : listeners_) {
      for (const auto& [block, height] : disconnected_) l->block_disconnected(block, height);
      for (const auto& [block, height] : connected_) l->block_connected(block, height);
      l->chain_updated();
    }
  }
  disconnected_.clear();
  connected_.clear();
}

// Batches are written unsynced; submit_block() and open() sync once at the end, so a
// reorganisation costs one sync, not one per block.
Status ChainManager::write(const WriteBatch& batch) {
  if (auto s = store_.write(batch, false); !s) {
    failure_ = s.error();
    return s;
  }
  unsynced_ = true;
  return {};
}

Status ChainManager::sync() {
  if (!unsynced_) return {};
  if (auto s = store_.sync(); !s) {
    failure_ = s.error();
    return s;
  }
  unsynced_ = false;
  return {};
}

Result<std::optional<BlockRejection>> ChainManager::submit_block(const Block& block) {
  if (failure_) return *failure_;
  BlockNode* node = nullptr;
  CAIRN_TRY(auto verdict, accept(block, node));
  if (!verdict) {
    last_invalid_.reset();
    CAIRN_TRY_STATUS(activate_best_chain());
    CAIRN_TRY_STATUS(settle_justification(*node));
    if (last_invalid_ && last_invalid_->first == node) {
      verdict = last_invalid_->second;
    } else if (node->failed()) {
      verdict = rejection(BlockError::invalid_parent, "an ancestor is invalid");
    } else if (preferred(*node, tip())) {
      verdict = reorg_refusal(*node);
    }
    CAIRN_TRY_STATUS(prune());
  }
  CAIRN_TRY_STATUS(sync());
  notify();
  return verdict;
}

Result<std::optional<BlockRejection>> ChainManager::accept(const Block& block, BlockNode*& node) {
  const BlockHash hash = block_hash(block.header);
  if (BlockNode* known = index_.find(hash)) {
    node = known;
    if ((known->status & kBlockFailed) != 0) return rejection(BlockError::known_invalid, hash.hex());
    if (known->failed()) return rejection(BlockError::invalid_parent, "an ancestor is invalid");
    return std::optional<BlockRejection>{};
  }
  BlockNode* parent = index_.find(block.header.prev);
  if (parent == nullptr) return rejection(BlockError::unknown_parent, "parent " + block.header.prev.hex());
  if (parent->failed())
    return rejection(BlockError::invalid_parent, "parent " + parent->hash.hex() + " is invalid");
  // Not stored: no chain through it can ever be the best one.
  if (auto refusal = crosses_finalized(*parent)) return refusal;
  const uint64_t now = static_cast<uint64_t>(std::max<int64_t>(0, clock_.unix_seconds()));
  if (auto verdict = rules_.check_header(
          block.header, ParentInfo{parent->hash, parent->header, median_time_past_after(*parent), now})) {
    return verdict;
  }
  auto work = parent->work.checked_add(rules_.block_work(block.header));
  if (!work) return rejection(BlockError::work_overflow, "cumulative work overflows");

  auto verdict = rules_.check_block(block);
  // A mutated body is not this header's block: a peer may have swapped it (witnesses),
  // so nothing is recorded against the header.
  if (verdict && verdict->reason == BlockError::mutated) return verdict;
  WriteBatch batch;
  if (verdict) {
    node = index_.insert(hash, block.header, kBlockFailed, *work, parent);
  } else {
    node = index_.insert(hash, block.header, kBlockHaveBody, *work, parent);
    node->justified_exact = parent->justified_exact && block.votes.empty();
    batch.put(Column::block_bodies, block_key(hash), encode(block));
    if (preferred(*node, tip())) candidates_.insert(node);
  }
  batch.put(Column::block_index, block_index_key(hash), encode(node->entry()));
  CAIRN_TRY_STATUS(write(batch));
  return verdict;
}

Status ChainManager::activate_best_chain() {
  while (!candidates_.empty()) {
    BlockNode* best = *candidates_.begin();
    if (!preferred(*best, tip())) {
      // The tip only ever moves to a preferred block: none of them can win later.
      candidates_.clear();
      return {};
    }
    if (reorg_refusal(*best)) {
      // Kept (not failed): its content may be valid, this node just cannot undo that far.
      candidates_.erase(candidates_.begin());
      continue;
    }
    // The branch's justified epochs are lower bounds until it connects, and justification
    // never goes down along a chain: connected, it is at least as preferred as it looked.
    CAIRN_TRY_STATUS(reorganize_to(*best));
  }
  return {};
}

Status ChainManager::settle_justification(BlockNode& node) {
  if (!stake_ || node.justified_exact || node.failed() || in_best_chain(node) || reorg_refusal(node))
    return {};
  BlockNode& old_tip = *chain_.back();
  CAIRN_TRY(const bool reached, reorganize_to(node));
  if (!reached || preferred(tip(), old_tip)) return activate_best_chain();
  CAIRN_TRY(const bool back, reorganize_to(old_tip));
  if (!back) return corrupt("the old best chain no longer connects after trying " + node.hash.hex());
  return {};
}

Result<bool> ChainManager::reorganize_to(BlockNode& target) {
  // Every stored, unfailed node has its body and so have its ancestors (accept() requires
  // the parent), so the whole branch can be connected.
  std::vector<BlockNode*> branch;
  BlockNode* fork = &target;
  for (; !in_best_chain(*fork); fork = fork->parent) branch.push_back(fork);
  std::reverse(branch.begin(), branch.end());
  const std::vector<BlockNode*> old_branch(chain_.begin() + static_cast<std::ptrdiff_t>(fork->height()) + 1,
                                           chain_.end());

  while (&tip() != fork) CAIRN_TRY_STATUS(disconnect_tip());
  if (!old_branch.empty()) metrics_.reorgs.inc();
  for (BlockNode* node : branch) {
    CAIRN_TRY(auto verdict, connect(*node));
    if (!verdict) continue;
    last_invalid_.emplace(node, *verdict);
    CAIRN_TRY_STATUS(mark_invalid(*node));
    // Back to the old tip, intact: the old branch connected before, so it connects again.
    while (&tip() != fork) CAIRN_TRY_STATUS(disconnect_tip());
    for (BlockNode* old : old_branch) {
      CAIRN_TRY(auto again, connect(*old));
      if (again) return corrupt("a block of the old branch no longer connects: " + again->message);
    }
    return false;
  }
  return true;
}

Status ChainManager::mark_invalid(BlockNode& node) {
  WriteBatch batch;
  node.status |= kBlockFailed;
  std::vector<BlockNode*> todo{&node};
  while (!todo.empty()) {
    BlockNode* n = todo.back();
    todo.pop_back();
    if (n != &node) n->status |= kBlockFailedAncestor;
    candidates_.erase(n);
    batch.put(Column::block_index, block_index_key(n->hash), encode(n->entry()));
    todo.insert(todo.end(), n->children.begin(), n->children.end());
  }
  return write(batch);
}

Result<std::optional<BlockRejection>> ChainManager::connect(BlockNode& node) {
  assert(chain_.empty() ? node.parent == nullptr : node.parent == &tip());
  // Its justified epoch becomes exact below: it must not move inside the ordered set.
  candidates_.erase(&node);
  const auto started = std::chrono::steady_clock::now();
  CAIRN_TRY(Block block, read_block(node.hash));
  LtHash state = state_;
  BlockUndo undo;
  StakeUndo stake_undo;
  WriteBatch batch;
  auto verdict = evaluate(block, node, state, undo, stake_undo, batch);
  if (!verdict || *verdict) {
    coins_.discard_changes();
    if (!verdict) failure_ = verdict.error();
    return verdict;
  }
  if (const Hash256 root = committed_root(state, node); root != node.header.state_root) {
    coins_.discard_changes();
    if (stake_ && node.parent != nullptr) undo_block(*stake_, stake_undo);
    return rejection(BlockError::bad_state_root, "computed " + root.hex());
  }

  node.status |= kBlockValid | kBlockHaveUndo;
  batch.put(Column::undo, block_key(node.hash), encode(undo));
  batch.put(Column::block_index, block_index_key(node.hash), encode(node.entry()));
  batch.put(Column::block_index, best_height_key(node.height()), encode_hash_value(node.hash));
  batch.put(Column::meta, meta_key(kMetaBestTip), encode_hash_value(node.hash));
  batch.put(Column::meta, meta_key(kMetaStateLtHash), state.to_bytes());
  if (stake_) {
    write_stake(stake_undo, batch);
    if (node.parent != nullptr) batch.put(Column::stake, stake_undo_key(node.hash), encode(stake_undo));
  }
  coins_.flush_into(batch);
  CAIRN_TRY_STATUS(write(batch));
  coins_.mark_flushed();
  state_ = state;
  chain_.push_back(&node);
  if (stake_) node.justified_epoch = last_justified_epoch(*stake_);
  node.justified_exact = true;
  note_connected(std::move(block), node.height());
  if (node.parent != nullptr) {  // the genesis block is made, not validated
    metrics_.validation_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics_.blocks_connected.inc();
    metrics_.block_gas_used.observe(static_cast<double>(tally_.gas_used));
    metrics_.contract_traps.inc(tally_.traps);
    metrics_.contract_out_of_gas.inc(tally_.out_of_gas);
    metrics_.contract_rejected_deploys.inc(tally_.rejected_deploys);
  }
  return std::optional<BlockRejection>{};
}

Result<std::optional<BlockRejection>> ChainManager::evaluate(const Block& block, const BlockNode& node,
                                                             LtHash& state, BlockUndo& undo,
                                                             StakeUndo& stake_undo, WriteBatch& batch) {
  tally_ = {};
  if (auto verdict = check_final(block, median_time_past(node))) return verdict;
  BlockEffects effects;
  contracts::StateOverlay contract_state(contract_store_);
  CAIRN_TRY(auto verdict, connect_transactions(block, node, state, undo, batch, effects, contract_state));
  if (verdict) return verdict;
  CAIRN_TRY_STATUS(write_contract_changes(contract_state.changes(), node.hash, state, batch));

  Amount rewards = 0;
  if (stake_ && node.parent == nullptr) {
    *stake_ = StakeState::at_genesis(genesis_hash_);
    add_stake_elements(state, *stake_);
  } else if (stake_) {
    if (auto rejected = apply_stake(block, node, effects, state, stake_undo)) return rejected;
    rewards = includer_reward(finality_params_, block.votes.size());
  }
  const auto allowed =
      checked_sum(std::vector<Amount>{rules_.block_subsidy(node.height()), effects.fees, rewards});
  if (!allowed || effects.coinbase_value > *allowed) {
    if (stake_ && node.parent != nullptr) undo_block(*stake_, stake_undo);
    return rejection(BlockError::coinbase_overpays,
                     "coinbase claims " + std::to_string(effects.coinbase_value) + ", at most " +
                         (allowed ? std::to_string(*allowed) : std::string("out of range")));
  }
  coinbase_allowance_ = *allowed;
  return std::optional<BlockRejection>{};
}

std::optional<BlockRejection> ChainManager::apply_stake(const Block& block, const BlockNode& node,
                                                        BlockEffects& effects, LtHash& state,
                                                        StakeUndo& stake_undo) {
  const FinalityParams& params = finality_params_;
  const BestChainCheckpoints checkpoints(chain_, params.epoch_length);
  const BlockContext ctx{params, genesis_hash_, node.hash, checkpoints, effects.spent};
  auto applied = apply_block(*stake_, block, ctx);
  if (auto* rejected = std::get_if<BlockRejection>(&applied)) return *rejected;
  AppliedBlock& result = std::get<AppliedBlock>(applied);
  // apply_block checked inputs + released >= outputs + locked for each staking transaction.
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    if (!is_staking_payload(block.transactions[i].payload.kind)) continue;
    const StakeFlow& flow = result.flows[i];
    const auto in = checked_add(effects.spent[i].value, flow.released);
    const auto fees =
        in ? checked_add(effects.fees, *in - effects.output_sums[i] - flow.locked) : std::nullopt;
    if (!fees) {
      undo_block(*stake_, result.undo);
      return rejection(BlockError::bad_amount, "transactions[" + std::to_string(i) + "]: fees");
    }
    effects.fees = *fees;
  }
  apply_stake_delta(state, *stake_, result.undo);
  stake_undo = std::move(result.undo);
  return std::nullopt;
}

void ChainManager::write_stake(const StakeUndo& stake_undo, WriteBatch& batch) const {
  for (const auto& [key, prior] : stake_undo.validators) {
    auto now = stake_->validators.find(key);
    if (now == stake_->validators.end()) {
      batch.erase(Column::stake, stake_validator_key(key));
    } else {
      batch.put(Column::stake, stake_validator_key(key), encode(now->second));
    }
  }
  batch.put(Column::stake, stake_finality_key(), encode(stake_->finality));
}

Result<std::variant<ChainManager::TemplateCheck, BlockRejection>> ChainManager::state_root_on_tip(
    const Block& block) {
  if (failure_) return *failure_;
  BlockNode trial;
  trial.hash = block_hash(block.header);
  trial.header = block.header;
  trial.parent = chain_.back();
  LtHash state = state_;
  BlockUndo undo;
  StakeUndo stake_undo;
  WriteBatch batch;
  auto verdict = evaluate(block, trial, state, undo, stake_undo, batch);
  coins_.discard_changes();
  if (!verdict) return verdict.error();
  using Verdict = std::variant<TemplateCheck, BlockRejection>;
  if (*verdict) return Verdict{**verdict};
  if (stake_) undo_block(*stake_, stake_undo);
  return Verdict{TemplateCheck{committed_root(state, trial), coinbase_allowance_}};
}

Result<contracts::Execution> ChainManager::query_contract(const ContractId& contract, std::string_view method,
                                                          ByteSpan args, const Account& caller, uint64_t gas,
                                                          uint64_t time) {
  if (failure_) return *failure_;
  contracts::StateOverlay overlay(contract_store_);
  return executor_.query(contract, method, args, caller, gas, contracts::BlockEnv{tip().height() + 1, time},
                         overlay);
}

Result<contracts::Execution> ChainManager::trial_contract_tx(const Transaction& tx, const Account& caller,
                                                             uint64_t time) {
  if (failure_) return *failure_;
  contracts::StateOverlay overlay(contract_store_);
  return executor_.execute(tx, caller, contracts::BlockEnv{tip().height() + 1, time}, overlay);
}

// Validation in block order (docs/chain.md): each transaction's inputs are spent from the
// view before its outputs are created, so a transaction may spend an earlier one's
// outputs in the same block, and a second spend of any coin finds it missing.
//
// Signatures are checked after the sequential pass, all at once (across the verify pool),
// but the verdict is the one a single in-order pass gives: the sequential pass stops at
// the first other failure, and only the transactions whose signature checks come before
// it in that order are verified; a signature failure among them wins.
Result<std::optional<BlockRejection>> ChainManager::connect_transactions(
    const Block& block, const BlockNode& node, LtHash& state, BlockUndo& undo, WriteBatch& batch,
    BlockEffects& effects, contracts::StateOverlay& contract_state) {
  const uint64_t height = node.height();
  const uint64_t spend_time = median_time_past(node);
  Amount& fees = effects.fees;
  effects.output_sums.assign(block.transactions.size(), 0);
  effects.spent.assign(block.transactions.size(), SpentInputs{});
  PipelinedVerifier signatures(verify_pool_, block.transactions.size(), genesis_hash_, checker_);
  std::vector<size_t> positions;  // positions[k]: the block position of the k-th verified transaction
  // The verdict when the sequential pass stops at `other`: a signature failure before it wins.
  auto first_failure = [&](std::optional<BlockRejection> other) -> std::optional<BlockRejection> {
    if (auto failure = signatures.finish()) {
      return rejection(BlockError::bad_lock, at(positions[failure->tx_index], failure->input_index) + ": " +
                                                 to_string(failure->error));
    }
    return other;
  };
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    const Txid id = txid(tx);
    std::vector<Amount> out_values;
    for (const TxOut& out : tx.outputs) out_values.push_back(out.value);
    const auto out_sum = checked_sum(out_values);
    if (!out_sum)
      return first_failure(
          rejection(BlockError::bad_amount, "transactions[" + std::to_string(i) + "]: outputs"));

    effects.output_sums[i] = *out_sum;
    std::optional<OutputLock> caller;  // of a contract transaction: check_block saw it has inputs
    if (tx.is_coinbase()) {
      effects.coinbase_value = *out_sum;
    } else {
      std::vector<Coin> spent;
      std::vector<TxOut> spent_outputs;
      Amount in_sum = 0;
      for (size_t j = 0; j < tx.inputs.size(); ++j) {
        CAIRN_TRY(auto coin, coins_.spend_coin(tx.inputs[j].prevout));
        if (!coin) return first_failure(rejection(BlockError::missing_input, at(i, j) + ": absent or spent"));
        if (coin->coinbase && height < coin->height + rules_.coinbase_maturity()) {
          return first_failure(rejection(BlockError::immature_coinbase, at(i, j)));
        }
        const auto sum = checked_add(in_sum, coin->output.value);
        if (!sum) return first_failure(rejection(BlockError::bad_amount, at(i, j) + ": input sum"));
        in_sum = *sum;
        spent_outputs.push_back(coin->output);
        spent.push_back(std::move(*coin));
      }
      effects.spent[i].value = in_sum;
      for (const TxOut& out : spent_outputs) effects.spent[i].locks.push_back(out.lock);
      // A staking transaction moves value between coins and stake: the stake rules check
      // its balance and count its fee (apply_stake). A contract transaction's fee depends on
      // its execution (run_contract_tx).
      if (!(stake_ && is_staking_payload(tx.payload.kind)) && !is_contract_payload(tx.payload.kind)) {
        if (*out_sum > in_sum)
          return first_failure(rejection(BlockError::overspend, "transactions[" + std::to_string(i) + "]"));
        const auto total_fees = checked_add(fees, in_sum - *out_sum);
        if (!total_fees) return first_failure(rejection(BlockError::bad_amount, "fees"));
        fees = *total_fees;
      }

      if (!spent_outputs.empty()) caller = spent_outputs.front().lock;
      TxVerifyJob job{&tx, {}, {}};
      for (size_t j = 0; j < tx.inputs.size(); ++j) {
        const uint64_t coin_height = spent[j].height;
        const BlockNode& coin_block = coin_height == height ? node : *chain_[coin_height];
        job.contexts.push_back(SpendContext{height, spend_time, coin_height, median_time_past(coin_block)});
      }
      job.spent = std::move(spent_outputs);
      signatures.add(std::move(job));
      positions.push_back(i);
      for (size_t j = 0; j < tx.inputs.size(); ++j) {
        const OutPoint& prevout = tx.inputs[j].prevout;
        const Coin& coin = spent[j];
        state.remove(utxo_state_element(prevout, coin));
        batch.put(Column::address_index, address_key(AddressKey{coin.output.lock, coin.height, prevout}),
                  encode(AddressEntry{coin.output.value, coin.coinbase,
                                      SpentBy{id, static_cast<uint32_t>(j), height}}));
        undo.spent.push_back(coin);
      }
    }

    for (size_t k = 0; k < tx.outputs.size(); ++k) {
      const OutPoint outpoint{id, static_cast<uint32_t>(k)};
      if (auto s = add_new_coin(outpoint, Coin{tx.outputs[k], height, tx.is_coinbase()}, state, batch); !s) {
        if (s.error().code != ErrorCode::invalid_argument) return s.error();
        // This transaction's signature checks come before its outputs: they were added.
        return first_failure(rejection(BlockError::duplicate_output, s.error().message));
      }
    }
    if (is_contract_payload(tx.payload.kind)) {
      CAIRN_TRY(auto verdict, run_contract_tx(tx, id, i, node, effects.spent[i].value, *out_sum, *caller,
                                              state, batch, fees, contract_state));
      if (verdict) return first_failure(std::move(verdict));
    }
    batch.put(Column::tx_index, tx_index_key(id), encode(TxLocation{node.hash, static_cast<uint32_t>(i)}));
  }

  if (auto failure = first_failure(std::nullopt)) return failure;
  return std::optional<BlockRejection>{};
}

Status ChainManager::add_new_coin(const OutPoint& outpoint, const Coin& coin, LtHash& state,
                                  WriteBatch& batch) {
  CAIRN_TRY_STATUS(coins_.add_coin(outpoint, coin));
  state.add(utxo_state_element(outpoint, coin));
  batch.put(Column::address_index, address_key(AddressKey{coin.output.lock, coin.height, outpoint}),
            encode(AddressEntry{coin.output.value, coin.coinbase, std::nullopt}));
  return {};
}

// docs/contracts.md §2 (value flow, created outputs) and §8 (receipts).
Result<std::optional<BlockRejection>> ChainManager::run_contract_tx(const Transaction& tx, const Txid& id,
                                                                    size_t position, const BlockNode& node,
                                                                    Amount in_sum, Amount out_sum,
                                                                    const OutputLock& caller, LtHash& state,
                                                                    WriteBatch& batch, Amount& fees,
                                                                    contracts::StateOverlay& contract_state) {
  const std::string where = "transactions[" + std::to_string(position) + "]";
  // check_block decoded the body and bounded the maximum fee and the value.
  const ContractTerms terms = contract_terms(tx.payload).value();
  const auto needed = checked_sum(std::vector<Amount>{out_sum, terms.value, max_gas_fee(terms.gas).value()});
  if (!needed) return rejection(BlockError::bad_amount, where + ": outputs + value + maximum gas fee");
  if (*needed > in_sum)
    return rejection(BlockError::overspend, where + ": inputs below outputs + value + gas limit × gas price");

  const contracts::BlockEnv env{node.height(), node.header.timestamp};
  CAIRN_TRY(contracts::Execution run, executor_.execute(tx, account_of(caller), env, contract_state));
  if (run.gas_used > terms.gas.limit) {
    return Error{ErrorCode::invalid_argument, "executor bug: " + where + " used " +
                                                  std::to_string(run.gas_used) + " gas of " +
                                                  std::to_string(terms.gas.limit)};
  }
  tally_.gas_used += run.gas_used;
  if (run.status == ExecStatus::trapped) ++tally_.traps;
  if (run.status == ExecStatus::out_of_gas) ++tally_.out_of_gas;
  if (run.status == ExecStatus::invalid_module || run.status == ExecStatus::address_taken)
    ++tally_.rejected_deploys;
  const ContractSettlement settlement =
      settle_contract_tx(in_sum, out_sum, terms, run.gas_used, run.status == ExecStatus::success);
  const auto total_fees = checked_add(fees, settlement.fee);
  if (!total_fees) return rejection(BlockError::bad_amount, "fees");
  fees = *total_fees;

  std::vector<TxOut> created;
  if (settlement.refund > 0) created.push_back(TxOut{settlement.refund, caller});
  created.insert(created.end(), run.transfers.begin(), run.transfers.end());
  for (size_t k = 0; k < created.size(); ++k) {
    const OutPoint outpoint{id, static_cast<uint32_t>(tx.outputs.size() + k)};
    if (auto s = add_new_coin(outpoint, Coin{created[k], node.height(), false}, state, batch); !s) {
      if (s.error().code != ErrorCode::invalid_argument) return s.error();
      return rejection(BlockError::duplicate_output, s.error().message);
    }
  }
  const Receipt receipt{run.status,
                        run.gas_used,
                        run.contract,
                        run.return_data,
                        run.message,
                        run.events,
                        static_cast<uint32_t>(created.size())};
  for (size_t e = 0; e < receipt.events.size(); ++e) {
    const Event& event = receipt.events[e];
    const EventKey key{event.contract, node.height(), static_cast<uint32_t>(position),
                       static_cast<uint32_t>(e)};
    batch.put(Column::contracts, contract_event_key(key), encode_event_entry(id, event));
  }
  batch.put(Column::contracts, contract_receipt_key(id), encode(receipt));
  return std::optional<BlockRejection>{};
}

Status ChainManager::write_contract_changes(const contracts::StateChanges& changes, const BlockHash& block,
                                            LtHash& state, WriteBatch& batch) const {
  ContractUndo undo;
  for (const contracts::RecordChange& change : changes.records) {
    if (change.before) state.remove(contract_state_element(change.id, *change.before));
    if (change.after) {
      state.add(contract_state_element(change.id, *change.after));
      batch.put(Column::contracts, contract_record_key(change.id), encode(*change.after));
    } else {
      batch.erase(Column::contracts, contract_record_key(change.id));
    }
    undo.records.push_back({change.id, change.before});
  }
  for (const contracts::StorageChange& change : changes.storage) {
    if (change.before) state.remove(storage_state_element(change.id, change.key, *change.before));
    if (change.after) {
      state.add(storage_state_element(change.id, change.key, *change.after));
      batch.put(Column::contracts, contract_storage_key(change.id, change.key), *change.after);
    } else {
      batch.erase(Column::contracts, contract_storage_key(change.id, change.key));
    }
    undo.storage.push_back({change.id, change.key, change.before});
  }
  for (const auto& [code_hash, code] : changes.codes) {
    CAIRN_TRY(const auto stored, store_.get(Column::contracts, contract_code_key(code_hash)));
    if (stored) continue;
    batch.put(Column::contracts, contract_code_key(code_hash), code);
    undo.codes.push_back(code_hash);
  }
  if (!undo.empty()) batch.put(Column::contracts, contract_undo_key(block), encode(undo));
  return {};
}

Status ChainManager::disconnect_contracts(const BlockNode& node, const Block& block, LtHash& state,
                                          WriteBatch& batch) {
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    if (!is_contract_payload(tx.payload.kind)) continue;
    const Txid id = txid(tx);
    CAIRN_TRY(const auto raw, store_.get(Column::contracts, contract_receipt_key(id)));
    if (!raw) return corrupt("no receipt for contract transaction " + id.hex());
    CAIRN_TRY(const Receipt receipt, decode_receipt(*raw));
    for (uint32_t k = receipt.created_outputs; k-- > 0;) {
      const OutPoint outpoint{id, static_cast<uint32_t>(tx.outputs.size() + k)};
      CAIRN_TRY(const auto coin, coins_.spend_coin(outpoint));
      if (!coin) return corrupt("a created output of " + id.hex() + " is not unspent");
      state.remove(utxo_state_element(outpoint, *coin));
      batch.erase(Column::address_index, address_key(AddressKey{coin->output.lock, node.height(), outpoint}));
    }
    for (size_t e = 0; e < receipt.events.size(); ++e) {
      const EventKey key{receipt.events[e].contract, node.height(), static_cast<uint32_t>(i),
                         static_cast<uint32_t>(e)};
      batch.erase(Column::contracts, contract_event_key(key));
    }
    batch.erase(Column::contracts, contract_receipt_key(id));
  }

  CAIRN_TRY(const auto raw_undo, store_.get(Column::contracts, contract_undo_key(node.hash)));
  if (!raw_undo) return {};  // the block changed no contract state
  CAIRN_TRY(const ContractUndo undo, decode_contract_undo(*raw_undo));
  for (const ContractUndo::Record& record : undo.records) {
    CAIRN_TRY(const auto now, contract_store_.record(record.id));
    if (now) state.remove(contract_state_element(record.id, *now));
    if (record.before) {
      state.add(contract_state_element(record.id, *record.before));
      batch.put(Column::contracts, contract_record_key(record.id), encode(*record.before));
    } else {
      batch.erase(Column::contracts, contract_record_key(record.id));
    }
  }
  for (const ContractUndo::Entry& entry : undo.storage) {
    CAIRN_TRY(const auto now, contract_store_.storage(entry.id, entry.key));
    if (now) state.remove(storage_state_element(entry.id, entry.key, *now));
    if (entry.before) {
      state.add(storage_state_element(entry.id, entry.key, *entry.before));
      batch.put(Column::contracts, contract_storage_key(entry.id, entry.key), *entry.before);
    } else {
      batch.erase(Column::contracts, contract_storage_key(entry.id, entry.key));
    }
  }
  for (const Hash256& code_hash : undo.codes) batch.erase(Column::contracts, contract_code_key(code_hash));
  batch.erase(Column::contracts, contract_undo_key(node.hash));
  return {};
}

Status ChainManager::disconnect_tip() {
  BlockNode& node = *chain_.back();
  assert(node.parent != nullptr);  // genesis is never disconnected
  auto done = [&](Error e) {
    coins_.discard_changes();
    failure_ = e;
    return e;
  };
  auto block = read_block(node.hash);
  if (!block) return done(block.error());
  auto undo_bytes = store_.get(Column::undo, block_key(node.hash));
  if (!undo_bytes) return done(undo_bytes.error());
  if (!*undo_bytes) return done(corrupt("no undo data for " + node.hash.hex()));
  auto undo = decode_block_undo(**undo_bytes);
  if (!undo) return done(undo.error());

  LtHash state = state_;
  WriteBatch batch;
  if (auto s = disconnect_contracts(node, *block, state, batch); !s) return done(s.error());
  size_t next_undo = undo->spent.size();
  for (size_t i = block->transactions.size(); i-- > 0;) {
    const Transaction& tx = block->transactions[i];
    const Txid id = txid(tx);
    for (size_t k = tx.outputs.size(); k-- > 0;) {
      const OutPoint outpoint{id, static_cast<uint32_t>(k)};
      auto coin = coins_.spend_coin(outpoint);
      if (!coin) return done(coin.error());
      if (!*coin) return done(corrupt("an output of " + node.hash.hex() + " is not unspent"));
      state.remove(utxo_state_element(outpoint, **coin));
      batch.erase(Column::address_index,
                  address_key(AddressKey{(*coin)->output.lock, node.height(), outpoint}));
    }
    batch.erase(Column::tx_index, tx_index_key(id));
    for (size_t j = tx.inputs.size(); j-- > 0;) {
      if (next_undo == 0) return done(corrupt("undo data of " + node.hash.hex() + " is short"));
      const Coin& coin = undo->spent[--next_undo];
      const OutPoint& prevout = tx.inputs[j].prevout;
      if (auto s = coins_.add_coin(prevout, coin); !s) return done(s.error());
      state.add(utxo_state_element(prevout, coin));
      batch.put(Column::address_index, address_key(AddressKey{coin.output.lock, coin.height, prevout}),
                encode(AddressEntry{coin.output.value, coin.coinbase, std::nullopt}));
    }
  }
  if (next_undo != 0) return done(corrupt("undo data of " + node.hash.hex() + " is long"));
  if (stake_) {
    auto raw = store_.get(Column::stake, stake_undo_key(node.hash));
    if (!raw) return done(raw.error());
    if (!*raw) return done(corrupt("no stake undo data for " + node.hash.hex()));
    auto stake_undo = decode_stake_undo(**raw);
    if (!stake_undo) return done(stake_undo.error());
    revert_stake_delta(state, *stake_, *stake_undo);
    undo_block(*stake_, *stake_undo);
    write_stake(*stake_undo, batch);
    batch.erase(Column::stake, stake_undo_key(node.hash));
  }
  if (committed_root(state, *node.parent) != node.parent->header.state_root)
    return done(corrupt("state root after disconnect"));

  batch.erase(Column::block_index, best_height_key(node.height()));
  batch.put(Column::meta, meta_key(kMetaBestTip), encode_hash_value(node.parent->hash));
  batch.put(Column::meta, meta_key(kMetaStateLtHash), state.to_bytes());
  coins_.flush_into(batch);
  CAIRN_TRY_STATUS(write(batch));
  coins_.mark_flushed();
  state_ = state;
  chain_.pop_back();
  note_disconnected(std::move(*block), node.height());
  candidates_.insert(&node);  // it has more work than its parent, the new tip
  return {};
}

}  // namespace cairn
