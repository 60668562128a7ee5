// Signature verification of a block: raw Ed25519 throughput against verify_parallel over
// 5,000 signed 1-in/2-out transactions (sighash digests, lock evaluation, scheduling), with
// the same number of worker threads. The goal is a ratio of at least 0.8: the
// signatures, not our code, should be the cost. Also mempool acceptance of the same
// transactions. Needs cairn::chain (bench/CMakeLists.txt).
//
// The parallel ones measure wall time (UseRealTime): the work happens on the pool's threads.
#include <atomic>
#include <cstdint>
#include <map>
#include <vector>

#include <benchmark/benchmark.h>

#include "chain/mempool.h"
#include "chain/parallel_verify.h"
#include "chain/sig_cache.h"
#include "crypto/ed25519.h"

namespace {

constexpr size_t kTransactions = 5'000;
constexpr uint8_t kAll = static_cast<uint8_t>(cairn::SighashType::all);

struct Block {
  cairn::Hash256 genesis = cairn::blake3(cairn::as_bytes("verify bench"));
  std::vector<cairn::Transaction> txs;
  std::vector<cairn::TxVerifyJob> jobs;
  // The (message, key, signature) of each transaction's one input, for the raw baseline.
  std::vector<cairn::Hash256> messages;
  std::vector<cairn::PublicKey> keys;
  std::vector<cairn::Signature> signatures;
};

const Block& block() {
  static const Block b = [] {
    Block out;
    std::vector<cairn::KeyPair> keys;
    for (uint8_t i = 0; i < 16; ++i) {
      cairn::Seed seed;
      seed.bytes.fill(static_cast<uint8_t>(i + 1));
      keys.push_back(cairn::KeyPair::from_seed(seed));
    }
    out.txs.resize(kTransactions);
    for (size_t i = 0; i < kTransactions; ++i) {
      const cairn::KeyPair& k = keys[i % keys.size()];
      cairn::Writer w;
      w.u64(i);
      cairn::Transaction& tx = out.txs[i];
      tx.inputs = {cairn::TxIn{cairn::OutPoint{cairn::blake3(w.data()), 0}, {}}};
      tx.outputs = {
          cairn::TxOut{cairn::kCoin, cairn::key_hash_lock(keys[(i + 1) % keys.size()].public_key())},
          cairn::TxOut{cairn::kCoin, cairn::key_hash_lock(k.public_key())}};
      std::vector<cairn::TxOut> spent{cairn::TxOut{3 * cairn::kCoin, cairn::key_hash_lock(k.public_key())}};
      const cairn::SighashDigests d = cairn::compute_sighash_digests(tx, spent).value();
      const cairn::Hash256 message = cairn::signature_hash(tx, d, 0, kAll, out.genesis).value();
      const cairn::Signature signature = k.sign(message);
      tx.inputs[0].witness = cairn::KeySpend{k.public_key(), cairn::TypedSignature{signature, kAll}};
      out.messages.push_back(message);
      out.keys.push_back(k.public_key());
      out.signatures.push_back(signature);
      out.jobs.push_back(cairn::TxVerifyJob{nullptr, std::move(spent), {cairn::SpendContext{}}});
    }
    for (size_t i = 0; i < kTransactions; ++i) out.jobs[i].tx = &out.txs[i];
    return out;
  }();
  return b;
}

// Raw libsodium verification of the same 5,000 signatures, spread over the pool the way
// verify_parallel spreads transactions.
void BM_RawEd25519Verify(benchmark::State& state) {
  const Block& b = block();
  cairn::ThreadPool pool("bench", static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::atomic<size_t> next{0};
    std::atomic<size_t> valid{0};
    cairn::TaskGroup group(pool);
    for (size_t w = 0; w < pool.threads(); ++w) {
      group.run([&] {
        for (size_t i; (i = next.fetch_add(1)) < kTransactions;) {
          if (cairn::verify(b.keys[i], b.messages[i], b.signatures[i])) ++valid;
        }
      });
    }
    group.wait();
    if (valid != kTransactions) state.SkipWithError("a signature did not verify");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kTransactions));
  state.SetLabel("signatures");
}
BENCHMARK(BM_RawEd25519Verify)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// verify_parallel with a cold cache (every signature verified): what connecting a block of
// transactions never seen before costs.
void BM_ParallelVerifyBlock(benchmark::State& state) {
  const Block& b = block();
  cairn::ThreadPool pool("bench", static_cast<size_t>(state.range(0)));
  cairn::DirectSignatureChecker checker;
  for (auto _ : state) {
    if (cairn::verify_parallel(b.jobs, b.genesis, checker, pool))
      state.SkipWithError("the block did not verify");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kTransactions));
  state.SetLabel("transactions");
}
BENCHMARK(BM_ParallelVerifyBlock)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same block with every signature already in the cache (verified at mempool entry).
void BM_ParallelVerifyBlockWarmCache(benchmark::State& state) {
  const Block& b = block();
  cairn::ThreadPool pool("bench", static_cast<size_t>(state.range(0)));
  cairn::DeterministicRng rng(1);
  cairn::SignatureCache cache(rng);
  cairn::CachingSignatureChecker checker(cache);
  if (cairn::verify_parallel(b.jobs, b.genesis, checker, pool))
    state.SkipWithError("the block did not verify");
  for (auto _ : state) {
    if (cairn::verify_parallel(b.jobs, b.genesis, checker, pool))
      state.SkipWithError("the block did not verify");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kTransactions));
  state.SetLabel("transactions");
}
BENCHMARK(BM_ParallelVerifyBlockWarmCache)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

class MapCoinView final : public cairn::CoinView {
 public:
  cairn::Result<std::optional<cairn::Coin>> get_coin(const cairn::OutPoint& outpoint) const override {
    auto it = coins.find(outpoint);
    if (it == coins.end()) return std::optional<cairn::Coin>{};
    return std::optional<cairn::Coin>{it->second};
  }
  std::map<cairn::OutPoint, cairn::Coin> coins;
};

// Full mempool acceptance (lookups, fee and limit checks, one signature each) of the
// 5,000 transactions into an empty pool with an empty signature cache, on one thread.
void BM_MempoolAccept(benchmark::State& state) {
  const Block& b = block();
  MapCoinView view;
  for (const auto& job : b.jobs) view.coins[job.tx->inputs[0].prevout] = cairn::Coin{job.spent[0], 1, false};
  cairn::MempoolOptions options;
  options.genesis = b.genesis;
  cairn::NextBlock next{2, 0, [](uint64_t) -> uint64_t { return 0; }};
  cairn::ManualClock clock;
  for (auto _ : state) {
    state.PauseTiming();
    cairn::DeterministicRng rng(1);
    cairn::SignatureCache cache(rng);
    cairn::Mempool pool(options, clock, cache, 1);
    state.ResumeTiming();
    for (const auto& tx : b.txs) {
      if (pool.accept(tx, view, next).status != cairn::TxStatus::accepted) state.SkipWithError("refused");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kTransactions));
  state.SetLabel("transactions");
}
BENCHMARK(BM_MempoolAccept)->Unit(benchmark::kMillisecond);

}  // namespace
