// RocksDB chain-state benchmarks: one atomic batch of 10,000 UTXO entries (the shape of a
// block connect's coin writes), and random point reads of coins in a store of 100,000
// (the shape of input lookups), both through the KvStore interface in a temporary datadir.
//
// Wall time, not CPU time: RocksDB does part of the work (WAL, flushes, compactions) in
// its own threads and in the kernel.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "primitives/coin.h"
#include "storage/keys.h"
#include "storage/rocksdb_store.h"
#include "util/rng.h"

namespace {

constexpr size_t kBatchEntries = 10'000;
constexpr size_t kReadSetEntries = 100'000;

// A datadir under the system temp dir, removed afterwards.
class TempDatadir {
 public:
  explicit TempDatadir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("cairn-bench-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
  }
  TempDatadir(const TempDatadir&) = delete;
  TempDatadir& operator=(const TempDatadir&) = delete;
  ~TempDatadir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

cairn::OutPoint outpoint(uint64_t n) {
  cairn::OutPoint o;
  o.txid = cairn::hash(cairn::HashContext::txid, cairn::as_bytes(std::to_string(n / 2)));
  o.index = static_cast<uint32_t>(n % 2);  // 1-in/2-out payments: two outputs per txid
  return o;
}

cairn::Coin coin(uint64_t n) {
  cairn::Coin c;
  c.output.value = 1000 + n;
  c.output.lock.hash = cairn::hash(cairn::HashContext::key_hash, cairn::as_bytes(std::to_string(n)));
  c.height = n / 1000;
  return c;
}

cairn::WriteBatch utxo_batch(uint64_t first, size_t count) {
  cairn::WriteBatch batch;
  for (uint64_t n = first; n < first + count; ++n) {
    batch.put(cairn::Column::utxo, cairn::utxo_key(outpoint(n)), cairn::encode_coin_value(coin(n)));
  }
  return batch;
}

void BM_RocksDbUtxoBatchWrite(benchmark::State& state) {
  TempDatadir dir("write");
  auto store = cairn::open_rocksdb_store(dir.path());
  if (!store) return state.SkipWithError(store.error().message.c_str());
  uint64_t next = 0;
  const bool sync = state.range(0) != 0;
  for (auto _ : state) {
    state.PauseTiming();
    const cairn::WriteBatch batch = utxo_batch(next, kBatchEntries);  // building it is not storage
    next += kBatchEntries;
    state.ResumeTiming();
    if (auto s = (*store)->write(batch, sync); !s) return state.SkipWithError(s.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kBatchEntries));
  state.SetLabel(sync ? "synced" : "unsynced");
}
BENCHMARK(BM_RocksDbUtxoBatchWrite)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RocksDbUtxoRandomRead(benchmark::State& state) {
  TempDatadir dir("read");
  auto store = cairn::open_rocksdb_store(dir.path());
  if (!store) return state.SkipWithError(store.error().message.c_str());
  for (uint64_t first = 0; first < kReadSetEntries; first += kBatchEntries) {
    if (auto s = (*store)->write(utxo_batch(first, kBatchEntries), false); !s) {
      return state.SkipWithError(s.error().message.c_str());
    }
  }
  cairn::DeterministicRng rng(7);
  for (auto _ : state) {
    const uint64_t n = rng.uniform(kReadSetEntries);
    auto value = (*store)->get(cairn::Column::utxo, cairn::utxo_key(outpoint(n)));
    if (!value || !*value) return state.SkipWithError("a written coin is missing");
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RocksDbUtxoRandomRead)->UseRealTime();

}  // namespace
