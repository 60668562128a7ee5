// Proof-of-work benchmarks: the miner's header hash (the 192-byte header encoded into a
// fixed array, no allocation, then keyed BLAKE3) one nonce at a time, and a whole
// single-thread mine_header() search over a nonce range with an unreachable target, both
// reported as header hashes per second (items/s).
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <atomic>
#include <cstdint>

#include <benchmark/benchmark.h>

#include "chain/miner.h"
#include "consensus/params.h"
#include "primitives/block.h"

namespace {

cairn::BlockHeader sample_header() {
  cairn::BlockHeader h = cairn::consensus_params(cairn::Network::mainnet).genesis.header;
  h.target = 0x01010000;  // target 1: the search never stops early
  return h;
}

void BM_MinerHeaderHash(benchmark::State& state) {
  cairn::BlockHeader h = sample_header();
  for (auto _ : state) {
    ++h.nonce;
    benchmark::DoNotOptimize(cairn::block_hash(h));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MinerHeaderHash);

void BM_MineHeaderOneThread(benchmark::State& state) {
  const cairn::BlockHeader h = sample_header();
  const std::atomic<bool> stop{false};
  constexpr uint64_t kNonces = 1 << 16;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        cairn::mine_header(h, cairn::MineOptions{.threads = 1, .nonce_count = kNonces}, stop));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kNonces));
}
// Wall time: the hashing happens on the worker thread mine_header() starts.
BENCHMARK(BM_MineHeaderOneThread)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
