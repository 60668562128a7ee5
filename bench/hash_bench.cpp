// Hashing benchmarks: raw BLAKE3 (plain and keyed under a context), the block-header hash
// (the proof-of-work inner loop) and one LtHash add (the state-commitment cost of one UTXO).
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/hash.h"
#include "crypto/lthash.h"
#include "primitives/block.h"
#include "util/bytes.h"
#include "util/rng.h"

namespace {

using cairn::Bytes;

Bytes random_bytes(size_t n, uint64_t seed) {
  cairn::DeterministicRng rng(seed);
  Bytes out(n);
  rng.fill(out);
  return out;
}

cairn::Hash256 random_hash(cairn::Rng& rng) {
  cairn::Hash256 h;
  rng.fill(h.span());
  return h;
}

// Plain BLAKE3-256 of one message of state.range(0) bytes.
void BM_Blake3(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  const Bytes data = random_bytes(size, 1);
  for (auto _ : state) {
    auto digest = cairn::blake3(data);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel("hashes");
}
BENCHMARK(BM_Blake3)->Arg(64)->Arg(1024)->Arg(1 << 20);

// Keyed BLAKE3-256 under a consensus context (what every id and digest in Cairn costs).
void BM_HashKeyed(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  const Bytes data = random_bytes(size, 2);
  for (auto _ : state) {
    auto digest = cairn::hash(cairn::HashContext::txid, data);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel("hashes");
}
BENCHMARK(BM_HashKeyed)->Arg(64)->Arg(1024)->Arg(1 << 20);

// block_hash of a 192-byte header, bumping the nonce each time like a miner does.
void BM_BlockHash(benchmark::State& state) {
  cairn::DeterministicRng rng(3);
  cairn::BlockHeader header;
  header.height = 123'456;
  header.prev = random_hash(rng);
  header.tx_root = random_hash(rng);
  header.witness_root = random_hash(rng);
  header.state_root = random_hash(rng);
  header.vote_root = random_hash(rng);
  header.timestamp = 1'700'000'000;
  header.target = 0x1d00ffff;
  for (auto _ : state) {
    ++header.nonce;
    auto digest = cairn::block_hash(header);
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("headers");
}
BENCHMARK(BM_BlockHash);

// One LtHash add of an 80-byte element (about the size of an encoded UTXO): a 2048-byte
// BLAKE3-XOF expansion and 1024 lane additions. Cycles through distinct elements.
void BM_LtHashAdd(benchmark::State& state) {
  constexpr size_t kElements = 256;  // a power of two, for the index mask
  constexpr size_t kElementBytes = 80;
  const Bytes pool = random_bytes(kElements * kElementBytes, 4);
  const cairn::ByteSpan all(pool);
  cairn::LtHash acc;
  size_t i = 0;
  for (auto _ : state) {
    acc.add(all.subspan((i++ & (kElements - 1)) * kElementBytes, kElementBytes));
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("elements");
}
BENCHMARK(BM_LtHashAdd);

}  // namespace
