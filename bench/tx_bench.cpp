// Transaction benchmarks on a realistic payment — 2 inputs with key-spend witnesses (really
// signed), 2 key-hash outputs — and the sighash of a 100-input transaction, to show that
// signature hashing is linear in transaction size (BIP-341 style, not BIP-143's quadratic).
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "primitives/amount.h"
#include "primitives/lock.h"
#include "primitives/sighash.h"
#include "primitives/transaction.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace {

constexpr uint8_t kSighashAll = static_cast<uint8_t>(cairn::SighashType::all);

struct TxFixture {
  cairn::Transaction tx;
  std::vector<cairn::TxOut> spent;  // spent[i] is the output input i spends
  cairn::Hash256 genesis;
};

cairn::Hash256 random_hash(cairn::Rng& rng) {
  cairn::Hash256 h;
  rng.fill(h.span());
  return h;
}

cairn::KeyPair random_key(cairn::Rng& rng) {
  cairn::Seed seed;
  rng.fill(seed.span());
  return cairn::KeyPair::from_seed(seed);
}

// A signed transaction spending `n_inputs` key-hash coins to `n_outputs` key-hash outputs.
cairn::Result<TxFixture> make_tx(uint32_t n_inputs, uint32_t n_outputs) {
  cairn::DeterministicRng rng(31 + n_inputs);
  TxFixture fx;
  fx.genesis = random_hash(rng);
  std::vector<cairn::KeyPair> keys;
  for (uint32_t i = 0; i < n_inputs; ++i) {
    keys.push_back(random_key(rng));
    cairn::TxIn in;
    in.prevout = cairn::OutPoint{random_hash(rng), i % 3};
    fx.tx.inputs.push_back(in);
    fx.spent.push_back(cairn::TxOut{2 * cairn::kCoin + i, cairn::key_hash_lock(keys.back().public_key())});
  }
  for (uint32_t i = 0; i < n_outputs; ++i) {
    const cairn::KeyPair payee = random_key(rng);
    fx.tx.outputs.push_back(cairn::TxOut{cairn::kCoin + i, cairn::key_hash_lock(payee.public_key())});
  }
  CAIRN_TRY(const cairn::SighashDigests digests, cairn::compute_sighash_digests(fx.tx, fx.spent));
  for (uint32_t i = 0; i < n_inputs; ++i) {
    CAIRN_TRY(const cairn::Hash256 message,
              cairn::signature_hash(fx.tx, digests, i, kSighashAll, fx.genesis));
    fx.tx.inputs[i].witness =
        cairn::KeySpend{keys[i].public_key(), cairn::TypedSignature{keys[i].sign(message), kSighashAll}};
  }
  return fx;
}

// Builds the fixture or marks the benchmark as failed (the caller then returns).
bool setup(benchmark::State& state, uint32_t n_inputs, uint32_t n_outputs, TxFixture& out) {
  auto fx = make_tx(n_inputs, n_outputs);
  if (!fx) {
    state.SkipWithError(("building the transaction failed: " + fx.error().to_string()).c_str());
    return false;
  }
  out = std::move(*fx);
  return true;
}

void BM_TxEncode(benchmark::State& state) {
  TxFixture fx;
  if (!setup(state, 2, 2, fx)) return;
  for (auto _ : state) {
    cairn::Bytes bytes = cairn::encode(fx.tx);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("txs");
  state.counters["tx_bytes"] = static_cast<double>(cairn::encode(fx.tx).size());
}
BENCHMARK(BM_TxEncode);

void BM_TxDecode(benchmark::State& state) {
  TxFixture fx;
  if (!setup(state, 2, 2, fx)) return;
  const cairn::Bytes bytes = cairn::encode(fx.tx);
  auto check = cairn::decode_transaction(cairn::ByteSpan(bytes));
  if (!check || !(*check == fx.tx)) {
    state.SkipWithError("the transaction does not round-trip through encode/decode");
    return;
  }
  for (auto _ : state) {
    auto tx = cairn::decode_transaction(cairn::ByteSpan(bytes));
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("txs");
}
BENCHMARK(BM_TxDecode);

void BM_Txid(benchmark::State& state) {
  TxFixture fx;
  if (!setup(state, 2, 2, fx)) return;
  for (auto _ : state) {
    auto id = cairn::txid(fx.tx);
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("txs");
}
BENCHMARK(BM_Txid);

// The signature messages of every input of a transaction with state.range(0) inputs and
// 2 outputs: the five shared digests once, then one signature_hash per input. Items are
// inputs, so items/s is "sighashes per second" and is flat in the input count when the
// total cost is linear.
void BM_TxSighash(benchmark::State& state) {
  const auto n_inputs = static_cast<uint32_t>(state.range(0));
  TxFixture fx;
  if (!setup(state, n_inputs, 2, fx)) return;
  for (auto _ : state) {
    auto digests = cairn::compute_sighash_digests(fx.tx, fx.spent);
    if (!digests) {
      state.SkipWithError(("compute_sighash_digests: " + digests.error().to_string()).c_str());
      break;
    }
    for (uint32_t i = 0; i < n_inputs; ++i) {
      auto message = cairn::signature_hash(fx.tx, *digests, i, kSighashAll, fx.genesis);
      benchmark::DoNotOptimize(message);
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("inputs");
}
BENCHMARK(BM_TxSighash)->Arg(2)->Arg(100);

}  // namespace
