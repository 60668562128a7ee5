// The Merkle root of a block's txids (RFC 6962 shape: n leaf hashes + n − 1 node hashes).
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "util/rng.h"

namespace {

void BM_MerkleRoot(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  cairn::DeterministicRng rng(21);
  std::vector<cairn::Hash256> txids(n);
  for (auto& id : txids) rng.fill(id.span());
  for (auto _ : state) {
    auto root = cairn::merkle_root(txids);
    benchmark::DoNotOptimize(root);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("leaves");
}
BENCHMARK(BM_MerkleRoot)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace
