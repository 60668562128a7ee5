// A running Cairn node: the chain state of one network on RocksDB (<network datadir>/chain)
// under that network's consensus rules, its mempool and vote pool (kept in step with the
// chain through listeners), the miner when asked to mine (blocks carry the mempool's best
// transactions and the pending votes), and the validator duty when given a voting key: one
// vote per epoch, guarded by the slashing-protection record. The peer-to-peer network
// joins with its issue; JSON-RPC methods reach the chain state through the executor.
//
// Lifecycle: open() takes the data directory (RocksDB's lock refuses a second process;
// cairnd takes <network datadir>/cairnd.lock before that), checks the schema and recovers
// the chain state (a crash leaves it at a block boundary; see docs/chain.md "Durability");
// run() serves until `stop` is raised or request_stop() is called, then returns with
// everything acknowledged durable. Logs go to the components' loggers (node/logging.h).
//
// Threading: the chain state (ChainManager, Mempool, VotePool, the miner) belongs to the
// chain thread, the one that calls run(). run() drives a boost::asio::io_context: the miner
// is a handler that searches nonces in bounded slices (kNoncesPerSlice) and re-posts
// itself, so work posted from other threads runs between slices. post(), call() and
// generate() are THE way other threads (RPC handlers, the network) touch chain state; they
// are thread-safe, as are request_stop() and executor(). Everything else is for the chain
// thread only: code posted through those, or the thread that opened the node while run()
// is not running (tests and tools call mine_blocks() directly that way).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "chain/chain_audit.h"
#include "chain/chain_manager.h"
#include "chain/mempool.h"
#include "chain/miner.h"
#include "chain/network_rules.h"
#include "chain/sig_cache.h"
#include "chain/slashing_protection.h"
#include "chain/validator.h"
#include "chain/vote_pool.h"
#include "crypto/ed25519.h"
#include "node/options.h"
#include "storage/kv.h"
#include "util/clock.h"
#include "util/thread_pool.h"

namespace cairn {

// A validator's duty: its voting key and the slashing-protection record guarding it
// (docs/consensus.md "Staking and finality"; a missing file is an empty record).
struct ValidatorConfig {
  KeyPair key;
  std::filesystem::path protection_file;
};

// The message of the Error that call() and generate() return once the node stopped serving.
inline constexpr const char* kNodeStoppingMessage = "the node is shutting down";

// Nonces one miner slice tries before it yields to other work on the chain thread: about
// 15 ms of one core hashing headers (about a million per second, measured on the build
// machine), so posted work waits at most that long behind the miner.
inline constexpr uint64_t kNoncesPerSlice = uint64_t{1} << 14;

class Node {
 public:
  using Executor = boost::asio::io_context::executor_type;

  // With `validator`, the node votes on networks with finality (refused on others).
  static Result<std::unique_ptr<Node>> open(const ResolvedNodeOptions& options,
                                            std::optional<ValidatorConfig> validator = std::nullopt);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves on the calling thread (which becomes the chain thread) until `stop` is raised
  // (looked at every kStopPollInterval) or request_stop() is called: runs what other
  // threads post, and mines on the best chain's tip with --mine. Before returning it runs
  // what was posted already and refuses later posts, so no caller of call() waits forever.
  // An Error when the store fails (the chain state stays at its last durable block).
  Status run(const std::atomic<bool>& stop);
  // Makes run() return promptly (after the handler running now). Thread-safe, final.
  void request_stop();
  bool stop_requested() const { return stop_requested_.load(); }

  // The chain thread's executor. Prefer post()/call(): they refuse work once run() ended.
  Executor executor() { return io_.get_executor(); }

  // Runs `fn` on the chain thread. False (and `fn` dropped) once run() has ended.
  template <class F>
  bool post(F&& fn);

  // Runs `fn()` on the chain thread and returns its value: directly when called there,
  // else the caller blocks until run() gets to it (never call it from the chain thread's
  // own handlers through another thread: that would deadlock). An Error when the node
  // stopped first.
  template <class F>
  auto call(F fn) -> Result<std::invoke_result_t<F&>>;

  // Mines blocks on the tip until `count` were mined or `stop` is raised (what run() does
  // with --mine); the number mined. Each new tip gets the validator duty. An Error when the
  // store fails. Chain thread only; blocks it until done.
  Result<uint64_t> mine_blocks(uint64_t count, const std::atomic<bool>& stop);

  // Mines `count` blocks paying `to` on the chain thread, one block per handler so that
  // other posted work interleaves, and returns their hashes (what regtest's miner_generate
  // does). Thread-safe; blocks the caller (on the chain thread it mines inline). Fewer
  // hashes when the node stops first.
  Result<std::vector<BlockHash>> generate(uint64_t count, const OutputLock& to);

  // Offers a transaction to the mempool (what RPC and relay call): the pool's verdict.
  // Accepted transactions go to the transaction observers.
  MempoolVerdict submit_transaction(const Transaction& tx);
  // Called on the chain thread with every transaction submit_transaction() accepted into
  // the pool (the RPC service's mempool subscriptions). Chain thread only, before run().
  void add_transaction_observer(std::function<void(const Transaction&)> observer) {
    transaction_observers_.push_back(std::move(observer));
  }
  // Adds a listener to the chain manager (the RPC service's head and finality
  // subscriptions); it must outlive the node. Chain thread only, before run().
  void add_chain_listener(ChainListener& listener) { chain_->add_listener(listener); }
  // The transaction bytes one block template holds besides the coinbase and votes' room
  // (what fee estimates fill blocks with).
  size_t template_transaction_bytes() const;
  // Offers a finality vote to the vote pool (what gossip calls): why it was refused.
  VoteReject submit_vote(const Vote& vote);
  // Called on the chain thread with every vote this node's validator signed and its pool
  // admitted (the network publishes them). Chain thread only, before run().
  void add_vote_observer(std::function<void(const Vote&)> observer) {
    vote_observers_.push_back(std::move(observer));
  }
  // The chain manager itself, for the network's block download (net/block_sync.h), which
  // submits blocks through it; the node notices every tip change through its listener.
  // Chain thread only.
  ChainManager& chain_manager() { return *chain_; }

  const Mempool& mempool() const { return *mempool_; }
  const VotePool& vote_pool() const { return *vote_pool_; }
  // Votes this node's validator signed since it was opened.
  uint64_t votes_cast() const { return votes_cast_; }

  // audit_chain_state() of this node's store at its tip; with `replay`, audit_by_replay()
  // too (every stored block connected again into a fresh in-memory state and compared).
  Result<ChainAudit> audit(bool replay) const;

  const ChainManager& chain() const { return *chain_; }
  const ConsensusParams& params() const { return rules_.params(); }
  const ChainRules& rules() const { return rules_; }
  // The store the chain manager reads (what the RPC chain methods query).
  const KvStore& store() const { return *store_; }
  const ResolvedNodeOptions& options() const { return options_; }
  // Nonce-search threads the background miner uses, 0 when it is off.
  unsigned mining_threads() const { return options_.mine ? options_.mine_threads : 0; }
  // When the node was opened (for uptime).
  std::chrono::steady_clock::time_point opened_at() const { return opened_at_; }

  // How often run() looks at the stop flag, and how long a miner whose timestamps ran
  // ahead of the clock waits.
  static constexpr std::chrono::milliseconds kStopPollInterval{50};

 private:
  explicit Node(const ResolvedNodeOptions& options);

  // A block being solved: its header's nonce range advances one slice at a time.
  struct Candidate {
    Block block;
    uint64_t next_nonce = 0;
  };
  enum class Slice { mined, searching, wait };
  // One slice of mining on the tip paying `to`: a fresh candidate when the tip moved or its
  // nonce round ran out, then kNoncesPerSlice nonces; a solved block is submitted (its hash
  // in `mined`). `wait` when the timestamps ran too far ahead of the clock.
  Result<Slice> mine_slice(std::optional<Candidate>& candidate, const OutputLock& to,
                           BlockHash* mined = nullptr);
  // The block to mine on the tip paying `to`; nullopt when none should be mined now.
  Result<std::optional<Block>> new_candidate(const OutputLock& to);
  // `tmpl` assembled and connected on the tip without storing: the block with its state
  // root and a coinbase claiming all its fees (`tmpl.fees` is raised to them), or the
  // rejection the template meets.
  Result<std::variant<Block, BlockRejection>> checked_candidate(BlockTemplate& tmpl);
  // run()'s handlers: the background miner, the stop watch and generate()'s steps.
  void mine_step();
  void watch_stop();
  struct GenerateJob;
  void generate_step(std::shared_ptr<GenerateJob> job);
  bool stopping() const;
  // The timestamp of a block on the tip: the clock, but above the median time past.
  uint64_t next_timestamp() const;
  // The block template on the tip: the mempool's best transactions within the consensus
  // limits and the pending votes, with the coinbase claiming their fees and rewards.
  BlockTemplate block_template(uint64_t timestamp, const OutputLock& to) const;
  // After the tip moved (whoever submitted the block: the miner, RPC or the network): the
  // validator duty, and the finalization log.
  void tip_changed();
  class TipListener;
  // Votes for the tip's epoch checkpoint unless that epoch was handled already.
  void validator_duty();

  ResolvedNodeOptions options_;
  NetworkChainRules rules_;
  SystemClock clock_;
  OsRng rng_;
  SignatureCache signature_cache_;
  CachingSignatureChecker checker_;
  std::unique_ptr<ThreadPool> verify_pool_;
  std::unique_ptr<KvStore> store_;
  // Declared before chain_ so that they outlive it (the manager calls the listeners).
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<VotePool> vote_pool_;
  std::unique_ptr<MempoolChainListener> mempool_listener_;
  std::unique_ptr<VotePoolChainListener> vote_pool_listener_;
  std::unique_ptr<TipListener> tip_listener_;
  std::unique_ptr<ChainManager> chain_;
  std::unique_ptr<SlashingProtection> protection_;
  std::unique_ptr<Validator> validator_;
  // The last epoch whose checkpoint the validator duty handled (voted or was refused).
  std::optional<uint64_t> duty_epoch_;
  std::vector<std::function<void(const Transaction&)>> transaction_observers_;
  std::vector<std::function<void(const Vote&)>> vote_observers_;
  uint64_t votes_cast_ = 0;
  uint64_t finalized_height_ = 0;  // last logged
  uint64_t extra_nonce_ = 0;
  std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();

  // The event loop. Declared last: its pending handlers (which point at this node) are
  // destroyed first.
  std::atomic<bool> stop_requested_{false};
  const std::atomic<bool>* run_stop_ = nullptr;  // run()'s flag while it runs
  bool draining_ = false;                        // run() is finishing what was posted
  std::optional<Error> failure_;                 // a store failure that ends run()
  std::optional<Candidate> background_;          // the --mine candidate
  std::mutex post_mutex_;
  bool closed_ = false;  // GUARDED_BY(post_mutex_): run() ended, posts are refused
  boost::asio::io_context io_{1};
  boost::asio::steady_timer stop_timer_{io_};
  boost::asio::steady_timer mine_timer_{io_};
};

template <class F>
bool Node::post(F&& fn) {
  const std::lock_guard lock(post_mutex_);
  if (closed_) return false;
  boost::asio::post(io_, std::forward<F>(fn));
  return true;
}

template <class F>
auto Node::call(F fn) -> Result<std::invoke_result_t<F&>> {
  using T = std::invoke_result_t<F&>;
  if (io_.get_executor().running_in_this_thread()) return fn();
  // Shared: a handler dropped unrun (the node destroyed first) breaks the promise.
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> done = promise->get_future();
  if (!post([promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); })) {
    return Error{ErrorCode::io, kNodeStoppingMessage};
  }
  try {
    return done.get();
  } catch (const std::future_error&) {
    return Error{ErrorCode::io, kNodeStoppingMessage};
  }
}

}  // namespace cairn
