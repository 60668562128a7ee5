#include "chain/miner.h"

#include <algorithm>
#include <thread>

#include "consensus/block_rules.h"
#include "consensus/pow.h"
#include "primitives/coin.h"
#include "util/thread_annotations.h"

namespace cairn {
namespace {

// The nonce is the header's last field (docs/consensus.md §8): workers patch these bytes.
constexpr size_t kNonceOffset = kHeaderBytes - 8;

void put_nonce(HeaderBytes& bytes, uint64_t nonce) {
  for (size_t i = 0; i < 8; ++i) bytes[kNonceOffset + i] = static_cast<uint8_t>(nonce >> (8 * i));
}

// What the workers of one search share: the caller's stop flag, and the first solution.
class SharedSearch {
 public:
  explicit SharedSearch(const std::atomic<bool>& stop) : stop_(stop) {}

  bool should_stop() const {
    return stop_.load(std::memory_order_relaxed) || found_.load(std::memory_order_relaxed);
  }
  void solved(uint64_t nonce) {
    MutexLock lock(mutex_);
    if (!nonce_) nonce_ = nonce;
    found_.store(true, std::memory_order_relaxed);
  }
  std::optional<uint64_t> nonce() {
    MutexLock lock(mutex_);
    return nonce_;
  }

 private:
  const std::atomic<bool>& stop_;
  std::atomic<bool> found_{false};
  Mutex mutex_;
  std::optional<uint64_t> nonce_ GUARDED_BY(mutex_);
};

void search_range(const BlockHeader& header, const Uint256& target, uint64_t first, uint64_t count,
                  SharedSearch& shared) {
  HeaderBytes bytes = encode_header_bytes(header);
  const FixedBytes<32> limit = target.to_be_bytes();
  for (uint64_t done = 0; done < count; ++done) {
    if (done % kMineCheckInterval == 0 && shared.should_stop()) return;
    const uint64_t nonce = first + done;
    put_nonce(bytes, nonce);
    if (hash(HashContext::header, bytes) <= limit) {
      shared.solved(nonce);
      return;
    }
  }
}

}  // namespace

std::optional<BlockHeader> mine_header(BlockHeader header, const MineOptions& options,
                                       const std::atomic<bool>& stop) {
  const auto target = decode_compact(header.target);
  if (!target || target->is_zero()) return std::nullopt;
  const unsigned threads = std::max(1U, options.threads);
  const uint64_t total =
      std::min(options.nonce_count, std::numeric_limits<uint64_t>::max() - options.first_nonce);
  const uint64_t share = total / threads;

  SharedSearch shared(stop);
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    const uint64_t first = options.first_nonce + share * i;
    const uint64_t count = i + 1 == threads ? total - share * i : share;  // the last takes the rest
    workers.emplace_back([&, first, count] { search_range(header, *target, first, count, shared); });
  }
  for (auto& w : workers) w.join();
  const auto nonce = shared.nonce();
  if (!nonce) return std::nullopt;
  header.nonce = *nonce;
  return header;
}

std::optional<Block> assemble_block(const ConsensusParams& params, const BlockTemplate& tmpl) {
  const uint64_t height = tmpl.parent.height + 1;
  const auto value = checked_add(block_subsidy(params, height), tmpl.fees);
  if (!value) return std::nullopt;
  Transaction coinbase;
  coinbase.payload =
      Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{height, tmpl.coinbase_extra})};
  coinbase.outputs = {TxOut{*value, tmpl.coinbase_lock}};

  Block block;
  block.transactions.reserve(tmpl.transactions.size() + 1);
  block.transactions.push_back(std::move(coinbase));
  for (const Transaction& tx : tmpl.transactions) block.transactions.push_back(tx);
  block.votes = tmpl.votes;
  BlockHeader& h = block.header;
  h.height = height;
  h.prev = tmpl.parent_hash;
  h.timestamp = tmpl.timestamp;
  h.target = next_target(params, tmpl.parent);
  h.tx_root = compute_tx_root(block);
  h.witness_root = compute_witness_root(block);
  h.vote_root = compute_vote_root(block);
  return block;
}

}  // namespace cairn
