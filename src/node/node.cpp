#include "node/node.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <variant>

#include <spdlog/spdlog.h>

#include "chain/miner.h"
#include "primitives/address.h"
#include "storage/rocksdb_store.h"
#include "storage/schema.h"

namespace cairn {
namespace {

// Nonces tried per round before the miner rebuilds its block with a fresh timestamp (and
// notices a new tip): a few seconds of one core at regtest's worst.
constexpr uint64_t kNoncesPerRound = uint64_t{1} << 22;
// How long a waiting node sleeps between looks at the stop flag.
constexpr auto kStopPollInterval = std::chrono::milliseconds(100);

std::string short_hash(const BlockHash& h) { return h.hex().substr(0, 16); }

}  // namespace

Node::Node(const ResolvedNodeOptions& options)
    : options_(options),
      rules_(NetworkChainRules::for_network(options.paths.network)),
      signature_cache_(rng_),
      checker_(signature_cache_) {}

Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::open(const ResolvedNodeOptions& options) {
  std::unique_ptr<Node> node(new Node(options));
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

  const BlockNode& tip = node->chain_->tip();
  spdlog::info("chain opened network={} datadir={} height={} tip={} mode={}",
               network_name(options.paths.network), dir.string(), tip.height(), short_hash(tip.hash),
               options.prune_depth == 0 ? "archive" : "pruned(" + std::to_string(options.prune_depth) + ")");
  return node;
}

Result<ChainAudit> Node::audit() const { return audit_chain_state(*store_, *chain_); }

uint64_t Node::next_timestamp() const {
  const uint64_t now = static_cast<uint64_t>(std::max<int64_t>(0, clock_.unix_seconds()));
  return std::max(now, median_time_past_after(chain_->tip()) + 1);
}

Result<bool> Node::mine_one(const std::atomic<bool>& stop) {
  const BlockNode& tip = chain_->tip();
  const ConsensusParams& params = rules_.params();
  const uint64_t timestamp = next_timestamp();
  // Blocks found faster than the clock advances push timestamps ahead of it (each must
  // pass the median time past); stay well inside the drift peers accept.
  const auto now = static_cast<uint64_t>(std::max<int64_t>(0, clock_.unix_seconds()));
  if (timestamp > now + params.max_future_drift / 2) {
    std::this_thread::sleep_for(kStopPollInterval);
    return false;
  }

  BlockTemplate tmpl;
  tmpl.parent = tip.header;
  tmpl.parent_hash = tip.hash;
  tmpl.coinbase_lock = options_.mine_to;
  const uint64_t extra = extra_nonce_++;
  for (size_t i = 0; i < 8; ++i) tmpl.coinbase_extra.push_back(static_cast<uint8_t>(extra >> (8 * i)));
  tmpl.timestamp = timestamp;
  auto block = assemble_block(params, tmpl);
  if (!block) return Error{ErrorCode::invalid_argument, "the block template leaves the money range"};
  CAIRN_TRY(auto root, chain_->state_root_on_tip(*block));
  if (auto* refused = std::get_if<BlockRejection>(&root)) {
    // Our own template refused: a bug, not a peer's fault. Say so loudly and go on.
    spdlog::error("block template refused reason={} message={}", to_string(refused->reason),
                  refused->message);
    return false;
  }
  block->header.state_root = std::get<Hash256>(root);

  MineOptions mine;
  mine.threads = options_.mine_threads;
  mine.nonce_count = kNoncesPerRound;
  auto solved = mine_header(block->header, mine, stop);
  if (!solved) return false;
  block->header = *solved;

  CAIRN_TRY(auto verdict, chain_->submit_block(*block));
  if (verdict) {
    // Our own template refused: a bug, not a peer's fault. Say so loudly and go on.
    spdlog::error("mined block refused reason={} message={}", to_string(verdict->reason), verdict->message);
    return false;
  }
  spdlog::info("mined block height={} hash={} time={}", block->header.height,
               short_hash(block_hash(block->header)), block->header.timestamp);
  return true;
}

Status Node::run(const std::atomic<bool>& stop) {
  if (options_.mine) {
    spdlog::info("mining threads={} to={}", options_.mine_threads,
                 options_.mine_to == kBurnLock ? "burn (regtest default; set --mine-to)"
                                               : encode_address(options_.paths.network, options_.mine_to));
  }
  while (!stop.load(std::memory_order_relaxed)) {
    if (options_.mine) {
      if (auto mined = mine_one(stop); !mined) return mined.error();
    } else {
      std::this_thread::sleep_for(kStopPollInterval);
    }
  }
  spdlog::info("stopping height={} tip={}", chain_->tip().height(), short_hash(chain_->tip().hash));
  return {};
}

}  // namespace cairn
