#include "node/node.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <variant>

#include "chain/miner.h"
#include "consensus/block_rules.h"
#include "consensus/finality.h"
#include "node/logging.h"
#include "primitives/address.h"
#include "storage/rocksdb_store.h"
#include "storage/schema.h"

namespace cairn {
namespace {

// Nonces tried per round before the miner rebuilds its block with a fresh timestamp (and
// notices a new tip): a few seconds of one core at regtest's worst.
constexpr uint64_t kNoncesPerRound = uint64_t{1} << 22;
// Block bytes a template keeps free for the header and the coinbase (its extra data is at
// most kMaxCoinbaseExtraBytes): the rest is for transactions and votes.
constexpr uint64_t kTemplateReserveBytes = 10'000;
// Weight per byte a transaction can reach at most: a signature (64 bytes, more with its
// key and encoding) adds kWeightPerSignature (200) weight, so weight <= 3 x bytes. Budgeting
// bytes at max_weight / 3 keeps any selection under the weight limit.
constexpr uint64_t kMaxWeightPerByte = 3;

std::string short_hash(const BlockHash& h) { return h.hex().substr(0, 16); }

// The network's rules, with the configured weak-subjectivity checkpoint if any.
NetworkChainRules rules_for(const ResolvedNodeOptions& options) {
  ConsensusParams params = consensus_params(options.paths.network);
  if (options.checkpoint) params.checkpoint = options.checkpoint;
  return NetworkChainRules(std::move(params));
}

}  // namespace

Node::Node(const ResolvedNodeOptions& options)
    : options_(options), rules_(rules_for(options)), signature_cache_(rng_), checker_(signature_cache_) {}

// Runs the node's duties after every change of the best chain, whoever caused it.
class Node::TipListener final : public ChainListener {
 public:
  explicit TipListener(Node& node) : node_(node) {}
  void block_disconnected(const Block&, uint64_t) override {}
  void block_connected(const Block&, uint64_t) override {}
  void chain_updated() override { node_.tip_changed(); }

 private:
  Node& node_;
};

Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::open(const ResolvedNodeOptions& options,
                                         std::optional<ValidatorConfig> validator) {
  std::unique_ptr<Node> node(new Node(options));
  const ConsensusParams& params = node->rules_.params();
  if (validator && node->rules_.finality() == nullptr)
    return Error{ErrorCode::invalid_argument, "this network has no finality: nothing to validate"};
  const auto dir = options.paths.network_datadir / "chain";
  CAIRN_TRY(node->store_, open_rocksdb_store(dir));
  CAIRN_TRY_STATUS(init_or_check_schema(*node->store_, options.paths.network));

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  node->verify_pool_ = std::make_unique<ThreadPool>("verify", cores);
  ChainManagerOptions chain_options;
  chain_options.prune_depth = options.prune_depth;
  chain_options.verify_pool = node->verify_pool_.get();
  CAIRN_TRY(node->chain_,
            ChainManager::open(*node->store_, node->rules_, node->checker_, node->clock_, chain_options));

  // A stored chain that passed the checkpoint's height on another block cannot be kept.
  if (const auto& checkpoint = params.checkpoint) {
    const BlockNode* at = node->chain_->at_height(checkpoint->height);
    if (at != nullptr && at->hash != checkpoint->hash) {
      return Error{ErrorCode::invalid_argument, "the stored chain has block " + at->hash.hex() +
                                                    " at height " + std::to_string(checkpoint->height) +
                                                    ", not the checkpoint " + checkpoint->hash.hex() +
                                                    ": move " + dir.string() + " away and resynchronise"};
    }
  }

  MempoolOptions pool_options;
  pool_options.genesis = params.genesis_hash;
  pool_options.coinbase_maturity = node->rules_.coinbase_maturity();
  pool_options.limits = params.limits;
  if (const FinalityParams* finality = node->rules_.finality()) pool_options.finality = *finality;
  node->mempool_ =
      std::make_unique<Mempool>(pool_options, node->clock_, node->signature_cache_, node->rng_.next_u64());
  node->vote_pool_ = std::make_unique<VotePool>(params.finality, params.genesis_hash);
  node->mempool_listener_ = std::make_unique<MempoolChainListener>(*node->mempool_, *node->chain_);
  node->vote_pool_listener_ = std::make_unique<VotePoolChainListener>(*node->vote_pool_, *node->chain_);
  node->chain_->add_listener(*node->mempool_listener_);
  node->chain_->add_listener(*node->vote_pool_listener_);
  node->tip_listener_ = std::make_unique<TipListener>(*node);
  node->chain_->add_listener(*node->tip_listener_);
  node->finalized_height_ = node->chain_->finalized_height();

  if (validator) {
    CAIRN_TRY(auto protection, SlashingProtection::open(validator->protection_file, params.genesis_hash));
    node->protection_ = std::make_unique<SlashingProtection>(std::move(protection));
    node->validator_ =
        std::make_unique<Validator>(std::move(validator->key), *node->protection_, params.genesis_hash);
    log_info(LogComponent::validator, "validator key loaded",
             {kv("key", node->validator_->voting_key().hex()),
              kv("protection", validator->protection_file.string())});
  }

  const BlockNode& tip = node->chain_->tip();
  log_info(LogComponent::chain, "chain opened",
           {kv("network", network_name(options.paths.network)), kv("datadir", dir.string()),
            kv("height", tip.height()), kv("tip", short_hash(tip.hash)),
            kv("mode", options.prune_depth == 0 ? "archive"
                                                : "pruned(" + std::to_string(options.prune_depth) + ")")});
  node->tip_changed();
  return node;
}

Result<ChainAudit> Node::audit(bool replay) const {
  CAIRN_TRY(ChainAudit audit, audit_chain_state(*store_, *chain_));
  if (replay) CAIRN_TRY_STATUS(audit_by_replay(*store_, *chain_, rules_, audit));
  return audit;
}

uint64_t Node::next_timestamp() const {
  const uint64_t now = static_cast<uint64_t>(std::max<int64_t>(0, clock_.unix_seconds()));
  return std::max(now, median_time_past_after(chain_->tip()) + 1);
}

Result<std::optional<Block>> Node::new_candidate(const OutputLock& to) {
  const ConsensusParams& params = rules_.params();
  const uint64_t timestamp = next_timestamp();
  // Blocks found faster than the clock advances push timestamps ahead of it (each must
  // pass the median time past); stay well inside the drift peers accept.
  const auto now = static_cast<uint64_t>(std::max<int64_t>(0, clock_.unix_seconds()));
  if (timestamp > now + params.max_future_drift / 2) return std::optional<Block>();

  BlockTemplate tmpl = block_template(timestamp, to);
  ++extra_nonce_;
  CAIRN_TRY(auto checked, checked_candidate(tmpl));
  if (auto* refused = std::get_if<BlockRejection>(&checked)) {
    // The pools admit only what the next block may include, so this is a bug (or a rule
    // the pools do not model). Say so loudly and mine an empty block rather than none.
    log_error(LogComponent::miner, "block template refused; mining an empty block",
              {kv("reason", to_string(refused->reason)), kv("message", refused->message)});
    tmpl.transactions.clear();
    tmpl.votes.clear();
    tmpl.fees = 0;
    CAIRN_TRY(checked, checked_candidate(tmpl));
    if (auto* again = std::get_if<BlockRejection>(&checked)) {
      log_error(LogComponent::miner, "empty block template refused",
                {kv("reason", to_string(again->reason)), kv("message", again->message)});
      return std::optional<Block>();
    }
  }
  return std::optional<Block>(std::get<Block>(std::move(checked)));
}

Result<std::variant<Block, BlockRejection>> Node::checked_candidate(BlockTemplate& tmpl) {
  const ConsensusParams& params = rules_.params();
  using Checked = std::variant<Block, BlockRejection>;
  using Trial = std::pair<Block, std::variant<ChainManager::TemplateCheck, BlockRejection>>;
  auto trial = [&]() -> Result<Trial> {
    auto block = assemble_block(params, tmpl);
    if (!block) return Error{ErrorCode::invalid_argument, "the block template leaves the money range"};
    CAIRN_TRY(auto root, chain_->state_root_on_tip(*block));
    return Trial{std::move(*block), std::move(root)};
  };
  CAIRN_TRY(Trial tried, trial());
  if (auto* refused = std::get_if<BlockRejection>(&tried.second)) return Checked{std::move(*refused)};
  // Contract fees depend on the gas the execution uses, so the pool knows only a lower
  // bound: the trial says what the coinbase may claim, and the block is built again.
  const Amount claimed = block_subsidy(params, tried.first.header.height) + tmpl.fees;
  const Amount allowance = std::get<ChainManager::TemplateCheck>(tried.second).coinbase_allowance;
  if (allowance > claimed) {
    tmpl.fees += allowance - claimed;
    CAIRN_TRY(tried, trial());
    if (auto* refused = std::get_if<BlockRejection>(&tried.second)) return Checked{std::move(*refused)};
  }
  tried.first.header.state_root = std::get<ChainManager::TemplateCheck>(tried.second).state_root;
  return Checked{std::move(tried.first)};
}

Result<Node::Slice> Node::mine_slice(std::optional<Candidate>& candidate, const OutputLock& to,
                                     BlockHash* mined) {
  if (!candidate || candidate->block.header.prev != chain_->tip().hash ||
      candidate->next_nonce >= kNoncesPerRound) {
    candidate.reset();
    CAIRN_TRY(auto block, new_candidate(to));
    if (!block) return Slice::wait;
    candidate = Candidate{std::move(*block), 0};
  }
  MineOptions mine;
  mine.threads = options_.mine_threads;
  mine.first_nonce = candidate->next_nonce;
  mine.nonce_count = kNoncesPerSlice;
  candidate->next_nonce += kNoncesPerSlice;
  auto solved = mine_header(candidate->block.header, mine, stop_requested_);
  if (!solved) return Slice::searching;
  Block block = std::move(candidate->block);
  candidate.reset();
  block.header = *solved;

  CAIRN_TRY(auto verdict, chain_->submit_block(block));
  if (verdict) {
    // Our own template refused: a bug, not a peer's fault. Say so loudly and go on.
    log_error(LogComponent::miner, "mined block refused",
              {kv("reason", to_string(verdict->reason)), kv("message", verdict->message)});
    return Slice::searching;
  }
  const BlockHash hash = block_hash(block.header);
  log_info(
      LogComponent::miner, "mined block",
      {kv("height", block.header.height), kv("hash", short_hash(hash)), kv("time", block.header.timestamp),
       kv("transactions", block.transactions.size() - 1), kv("votes", block.votes.size())});
  if (mined != nullptr) *mined = hash;
  return Slice::mined;
}

BlockTemplate Node::block_template(uint64_t timestamp, const OutputLock& to) const {
  const BlockNode& tip = chain_->tip();
  const ConsensusParams& params = rules_.params();
  BlockTemplate tmpl;
  tmpl.parent = tip.header;
  tmpl.parent_hash = tip.hash;
  tmpl.coinbase_lock = to;
  const uint64_t extra = extra_nonce_;
  for (size_t i = 0; i < 8; ++i) tmpl.coinbase_extra.push_back(static_cast<uint8_t>(extra >> (8 * i)));
  tmpl.timestamp = timestamp;

  // Room for the votes first (they are small and pay the includer), the rest for
  // transactions; the coinbase's room stays free.
  const uint64_t vote_room = std::min<uint64_t>(vote_pool_->size(), params.limits.max_votes) * kVoteBytes;
  TemplateLimits limits;
  limits.max_bytes = template_transaction_bytes() - std::min<size_t>(template_transaction_bytes(), vote_room);
  limits.max_transactions = static_cast<size_t>(params.limits.max_transactions - 1);  // the coinbase
  limits.max_gas = params.limits.max_block_gas;
  tmpl.transactions = mempool_->select_for_block(limits);
  std::set<PublicKey> slashed;  // their votes would be invalid after the slash in this block
  for (const Transaction& tx : tmpl.transactions) {
    tmpl.fees += mempool_->fee(txid(tx)).value_or(0);  // pool fees: within the money range
    if (tx.payload.kind == kSlashPayload) {
      if (auto key = staking_key(tx)) slashed.insert(*key);
    }
  }
  if (chain_->has_finality()) {
    tmpl.votes = vote_pool_->select_for_block(params.limits.max_votes, slashed);
    tmpl.fees += includer_reward(params.finality, tmpl.votes.size());
  }
  return tmpl;
}

size_t Node::template_transaction_bytes() const {
  const ConsensusParams& params = rules_.params();
  const uint64_t bytes = std::min(params.limits.max_bytes, params.limits.max_weight / kMaxWeightPerByte);
  return static_cast<size_t>(bytes - std::min(bytes, kTemplateReserveBytes));
}

void Node::tip_changed() {
  validator_duty();
  const uint64_t finalized = chain_->finalized_height();
  if (finalized != finalized_height_) {
    finalized_height_ = finalized;
    const BlockNode* node = chain_->at_height(finalized);
    log_info(LogComponent::chain, "finalized",
             {kv("height", finalized), kv("hash", node ? short_hash(node->hash) : "?"),
              kv("tip", chain_->tip().height())});
  }
}

void Node::validator_duty() {
  if (!validator_ || !chain_->has_finality()) return;
  const FinalityParams& params = rules_.params().finality;
  const uint64_t epoch = epoch_of(params, chain_->tip().height());
  if (duty_epoch_ && *duty_epoch_ >= epoch) return;
  duty_epoch_ = epoch;
  // After a restart the record may show this epoch signed already: never sign it again.
  if (auto signed_votes = protection_->find(validator_->voting_key());
      signed_votes && signed_votes->max_target_epoch >= epoch) {
    log_info(LogComponent::validator, "already signed (slashing protection record)", {kv("epoch", epoch)});
    return;
  }
  const BlockNode* checkpoint = chain_->at_height(epoch * params.epoch_length);
  auto vote = validator_->vote(chain_->stake(), epoch, checkpoint->hash);
  if (!vote) {
    // Not (yet) a validator, or nothing to vote for: the normal state before a bond takes
    // effect. A failed protection record write is the one real failure.
    if (vote.error().code == ErrorCode::io) {
      log_error(LogComponent::validator, "cannot vote",
                {kv("epoch", epoch), kv("error", vote.error().message)});
    } else {
      log_info(LogComponent::validator, "not voting",
               {kv("epoch", epoch), kv("reason", vote.error().message)});
    }
    return;
  }
  ++votes_cast_;
  const VoteReject admitted = vote_pool_->add(*vote, *chain_);
  log_info(LogComponent::validator, "voted",
           {kv("epoch", vote->target_epoch), kv("target", short_hash(vote->target_hash)),
            kv("source_epoch", vote->source_epoch), kv("source", short_hash(vote->source_hash)),
            kv("pool", admitted == VoteReject::none ? "added" : to_string(admitted))});
  if (admitted == VoteReject::none) {
    for (const auto& observer : vote_observers_) observer(*vote);
  }
}

Result<uint64_t> Node::mine_blocks(uint64_t count, const std::atomic<bool>& stop) {
  uint64_t mined = 0;
  std::optional<Candidate> candidate;
  while (mined < count && !stop.load(std::memory_order_relaxed) && !stop_requested_.load()) {
    CAIRN_TRY(const Slice slice, mine_slice(candidate, options_.mine_to));
    if (slice == Slice::mined) ++mined;
    if (slice == Slice::wait) std::this_thread::sleep_for(kStopPollInterval);
  }
  return mined;
}

MempoolVerdict Node::submit_transaction(const Transaction& tx) {
  MempoolVerdict verdict = mempool_->accept(tx, chain_->coins(), next_block(*chain_));
  if (verdict.status == TxStatus::accepted) {
    for (const auto& observer : transaction_observers_) observer(tx);
  }
  return verdict;
}

VoteReject Node::submit_vote(const Vote& vote) { return vote_pool_->add(vote, *chain_); }

struct Node::GenerateJob {
  uint64_t count = 0;
  OutputLock to;
  std::optional<Candidate> candidate;
  std::vector<BlockHash> hashes;
  std::promise<Result<std::vector<BlockHash>>> done;
};

Result<std::vector<BlockHash>> Node::generate(uint64_t count, const OutputLock& to) {
  auto job = std::make_shared<GenerateJob>();
  job->count = count;
  job->to = to;
  if (io_.get_executor().running_in_this_thread()) {
    // Already on the chain thread (a handler posted there): mine here, or it would wait on
    // itself.
    while (job->hashes.size() < count && !stopping()) {
      BlockHash hash;
      CAIRN_TRY(const Slice slice, mine_slice(job->candidate, to, &hash));
      if (slice == Slice::mined) job->hashes.push_back(hash);
      if (slice == Slice::wait) std::this_thread::sleep_for(kStopPollInterval);
    }
    return std::move(job->hashes);
  }
  auto done = job->done.get_future();
  if (!post([this, job] { generate_step(job); })) return Error{ErrorCode::io, kNodeStoppingMessage};
  try {
    return done.get();
  } catch (const std::future_error&) {
    return Error{ErrorCode::io, kNodeStoppingMessage};
  }
}

void Node::generate_step(std::shared_ptr<GenerateJob> job) {
  // One slice per handler; a stopping node answers with what was mined so far.
  if (job->hashes.size() < job->count && !stopping()) {
    BlockHash hash;
    auto slice = mine_slice(job->candidate, job->to, &hash);
    if (!slice) {
      failure_ = slice.error();
      io_.stop();
      job->done.set_value(slice.error());
      return;
    }
    if (*slice == Slice::mined) job->hashes.push_back(hash);
    if (*slice == Slice::wait) std::this_thread::sleep_for(kStopPollInterval);
    if (job->hashes.size() < job->count && post([this, job] { generate_step(job); })) return;
  }
  job->done.set_value(std::move(job->hashes));
}

bool Node::stopping() const {
  return stop_requested_.load() || draining_ ||
         (run_stop_ != nullptr && run_stop_->load(std::memory_order_relaxed));
}

void Node::request_stop() {
  stop_requested_.store(true);
  // Through the queue, so that a stop landing while run() drains cannot cut the drain short.
  post([this] {
    if (!draining_) io_.stop();
  });
}

void Node::watch_stop() {
  if (stopping()) {
    io_.stop();
    return;
  }
  stop_timer_.expires_after(kStopPollInterval);
  stop_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) watch_stop();
  });
}

void Node::mine_step() {
  if (stopping()) return;
  auto slice = mine_slice(background_, options_.mine_to);
  if (!slice) {
    failure_ = slice.error();
    io_.stop();
    return;
  }
  // After a block, --mine-interval's pause (a devnet's pace); after timestamps ran ahead of
  // the clock, a short one.
  const auto pause = *slice == Slice::wait ? kStopPollInterval
                     : *slice == Slice::mined && options_.mine_interval_ms
                         ? std::chrono::milliseconds(options_.mine_interval_ms)
                         : std::chrono::milliseconds(0);
  if (pause.count() > 0) {
    mine_timer_.expires_after(pause);
    mine_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) mine_step();
    });
    return;
  }
  boost::asio::post(io_, [this] { mine_step(); });
}

Status Node::run(const std::atomic<bool>& stop) {
  if (options_.mine) {
    log_info(
        LogComponent::miner, "mining",
        {kv("threads", options_.mine_threads),
         kv("to", options_.mine_to == kBurnLock ? "burn (regtest default; set --mine-to)"
                                                : encode_address(options_.paths.network, options_.mine_to))});
  }
  {
    const std::lock_guard lock(post_mutex_);
    closed_ = false;
  }
  run_stop_ = &stop;
  failure_.reset();
  io_.restart();
  watch_stop();
  if (options_.mine) boost::asio::post(io_, [this] { mine_step(); });
  if (!stopping()) io_.run();

  // Refuse new work, cancel the timers and run what was posted already (each sees
  // stopping() and finishes at once), so that nobody waits on a handler that never runs.
  {
    const std::lock_guard lock(post_mutex_);
    closed_ = true;
  }
  draining_ = true;
  stop_timer_.cancel();
  mine_timer_.cancel();
  io_.restart();
  io_.poll();
  draining_ = false;
  run_stop_ = nullptr;
  log_info(LogComponent::node, "stopping",
           {kv("height", chain_->tip().height()), kv("tip", short_hash(chain_->tip().hash))});
  if (failure_) return *failure_;
  return {};
}

}  // namespace cairn
