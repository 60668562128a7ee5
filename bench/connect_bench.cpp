// Full block connection through ChainManager::submit_block (UTXO spends and creation,
// undo data, tx and address indexes, LtHash state root, the batch write, and the
// signature checks on the verify pool) of a block of N signed 1-input/2-output
// transactions, on a MemoryStore with TestChainRules, against raw Ed25519 verification of
// the same N signatures with the same threads. Issue [B]'s goal: connect tx/s at least 0.8
// of raw verifications/s, i.e. signatures, not our code, are the cost.
//
//   BM_ConnectRawVerify/N/T   libsodium verify of the block's N signatures on T threads
//   BM_ConnectCold/N/T        empty signature cache; the manager reopened after genesis,
//                             so every spent coin is read from the store
//   BM_ConnectWarm/N/T        every transaction accepted by the mempool first: signatures
//                             cached and the coins in the UTXO cache
//   BM_ConnectMempoolAccept/N mempool acceptance of the N transactions against the chain
//                             (the manager's UTXO cache), empty signature cache, 1 thread
//
// Wall time (UseRealTime): the work runs on the pool's threads. The block is built (and
// signed) once per N, outside any timed region; each iteration sets up a fresh store with
// the timer paused. The `peak_rss_MiB` counter is the process's peak resident set while
// connecting (VmHWM, reset through /proc/self/clear_refs just before the timed call).
// scripts/bench.sh --quick leaves out the N = 20,000 cases.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "chain/chain_manager.h"
#include "chain/chain_rules.h"
#include "chain/mempool.h"
#include "chain/sig_cache.h"
#include "crypto/ed25519.h"
#include "crypto/lthash.h"
#include "primitives/coin.h"
#include "primitives/sighash.h"
#include "storage/memory_store.h"
#include "util/clock.h"
#include "util/thread_pool.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);
constexpr size_t kKeys = 16;
constexpr uint64_t kGenesisTime = 1'700'000'000;
constexpr Amount kFee = 1'000;  // per transaction: above the relay minimum for its size

// Genesis, a funding block 1 whose transactions fan the genesis coins out into N coins
// (at most kMaxTxOutputs per transaction), and block 2 spending each of the N coins in its
// own 1-input/2-output transaction; with block 2's signatures for the raw baseline.
struct Setup {
  std::unique_ptr<TestChainRules> rules;
  Block funding;
  Block block;
  std::vector<Hash256> messages;
  std::vector<PublicKey> keys;
  std::vector<Signature> signatures;
};

// Signs every input of `tx` (input i spends spent[i], owned by owners[i]); the signatures
// and messages are appended to the vectors given.
Transaction sign(Transaction tx, const std::vector<TxOut>& spent, const std::vector<const KeyPair*>& owners,
                 const BlockHash& genesis_hash, std::vector<Signature>* signatures = nullptr,
                 std::vector<Hash256>* messages = nullptr) {
  const SighashDigests d = compute_sighash_digests(tx, spent).value();
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const Hash256 message = signature_hash(tx, d, i, kAll, genesis_hash).value();
    const Signature signature = owners[i]->sign(message);
    tx.inputs[i].witness = KeySpend{owners[i]->public_key(), TypedSignature{signature, kAll}};
    if (signatures != nullptr) signatures->push_back(signature);
    if (messages != nullptr) messages->push_back(message);
  }
  return tx;
}

Transaction coinbase(uint64_t height, std::vector<TxOut> outputs) {
  Transaction cb;
  cb.payload = Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{height, {}})};
  cb.outputs = std::move(outputs);
  return cb;
}

// Applies `tx` at `height` to the state accumulator; `spent[i]` is what input i spends.
void apply(LtHash& state, const Transaction& tx, const std::vector<Coin>& spent, uint64_t height) {
  for (size_t i = 0; i < tx.inputs.size(); ++i)
    state.remove(utxo_state_element(tx.inputs[i].prevout, spent[i]));
  const Txid id = txid(tx);
  for (uint32_t o = 0; o < tx.outputs.size(); ++o) {
    state.add(utxo_state_element(OutPoint{id, o}, Coin{tx.outputs[o], height, tx.is_coinbase()}));
  }
}

void finish_header(Block& b, uint64_t height, const BlockHash& prev, const LtHash& state) {
  b.header.height = height;
  b.header.prev = prev;
  b.header.timestamp = kGenesisTime + 600 * height;
  b.header.tx_root = compute_tx_root(b);
  b.header.witness_root = compute_witness_root(b);
  b.header.vote_root = compute_vote_root(b);
  b.header.state_root = state.root();
}

Setup make_setup(size_t n) {
  std::vector<KeyPair> keys;
  for (size_t i = 0; i < kKeys; ++i) {
    Seed seed;
    seed.bytes.fill(static_cast<uint8_t>(i + 1));
    keys.push_back(KeyPair::from_seed(seed));
  }
  const OutputLock lock0 = key_hash_lock(keys[0].public_key());
  const size_t fanouts = (n + kMaxTxOutputs - 1) / kMaxTxOutputs;
  const Amount per_fanout = TestChainRules::kSubsidy / static_cast<Amount>(fanouts);
  const Amount value = per_fanout / static_cast<Amount>(kMaxTxOutputs);  // of each of the N coins

  LtHash state;
  Block genesis;
  genesis.transactions = {coinbase(0, std::vector<TxOut>(fanouts, TxOut{per_fanout, lock0}))};
  apply(state, genesis.transactions[0], {}, 0);
  finish_header(genesis, 0, BlockHash{}, state);
  const BlockHash genesis_hash = block_hash(genesis.header);
  const Txid genesis_cb = txid(genesis.transactions[0]);

  Setup out;
  // Block 1: the fan-out transactions; their fees (the remainders) go to its coinbase.
  std::vector<OutPoint> coins;
  std::vector<TxOut> coin_outputs;
  Amount fees = 0;
  std::vector<Transaction> fan;
  for (size_t f = 0; f < fanouts; ++f) {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{genesis_cb, static_cast<uint32_t>(f)}, {}}};
    const size_t count = std::min(kMaxTxOutputs, n - f * kMaxTxOutputs);
    for (size_t i = 0; i < count; ++i) {
      tx.outputs.push_back(TxOut{value, key_hash_lock(keys[(f * kMaxTxOutputs + i) % kKeys].public_key())});
    }
    fees += per_fanout - value * static_cast<Amount>(count);
    tx = sign(std::move(tx), {TxOut{per_fanout, lock0}}, {&keys[0]}, genesis_hash);
    apply(state, tx, {Coin{TxOut{per_fanout, lock0}, 0, true}}, 1);
    const Txid id = txid(tx);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      coins.push_back(OutPoint{id, i});
      coin_outputs.push_back(tx.outputs[i]);
    }
    fan.push_back(std::move(tx));
  }
  out.funding.transactions = {coinbase(1, {TxOut{TestChainRules::kSubsidy + fees, lock0}})};
  apply(state, out.funding.transactions[0], {}, 1);
  for (Transaction& tx : fan) out.funding.transactions.push_back(std::move(tx));
  finish_header(out.funding, 1, genesis_hash, state);

  // Block 2: the measured one.
  Block& b = out.block;
  b.transactions.push_back(
      coinbase(2, {TxOut{TestChainRules::kSubsidy + kFee * static_cast<Amount>(n), lock0}}));
  apply(state, b.transactions[0], {}, 2);
  for (size_t i = 0; i < n; ++i) {
    const KeyPair& k = keys[i % kKeys];
    Transaction tx;
    tx.inputs = {TxIn{coins[i], {}}};
    tx.outputs = {TxOut{value / 2, key_hash_lock(keys[(i + 1) % kKeys].public_key())},
                  TxOut{value - value / 2 - kFee, key_hash_lock(k.public_key())}};
    tx = sign(std::move(tx), {coin_outputs[i]}, {&k}, genesis_hash, &out.signatures, &out.messages);
    out.keys.push_back(k.public_key());
    apply(state, tx, {Coin{coin_outputs[i], 1, false}}, 2);
    b.transactions.push_back(std::move(tx));
  }
  finish_header(b, 2, block_hash(out.funding.header), state);
  // Genesis coins may be spent at height 1.
  out.rules = std::make_unique<TestChainRules>(std::move(genesis), 1);
  return out;
}

const Setup& setup(size_t n) {
  static std::map<size_t, Setup> setups;
  auto it = setups.find(n);
  if (it == setups.end()) it = setups.emplace(n, make_setup(n)).first;
  return it->second;
}

// Opens a chain at genesis on `store` and connects the funding block.
bool fund(KvStore& store, const Setup& s, SignatureChecker& checker, const Clock& clock) {
  auto manager = ChainManager::open(store, *s.rules, checker, clock);
  if (!manager) return false;
  auto verdict = (*manager)->submit_block(s.funding);
  return verdict && !*verdict;
}

// Peak resident set since the last reset_peak_rss(), in MiB (Linux VmHWM).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

void BM_ConnectRawVerify(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Setup& s = setup(n);
  ThreadPool pool("bench", static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    std::atomic<size_t> next{0};
    std::atomic<size_t> valid{0};
    TaskGroup group(pool);
    for (size_t w = 0; w < pool.threads(); ++w) {
      group.run([&] {
        for (size_t i; (i = next.fetch_add(1)) < n;) {
          if (verify(s.keys[i], s.messages[i], s.signatures[i])) ++valid;
        }
      });
    }
    group.wait();
    if (valid != n) state.SkipWithError("a signature did not verify");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetLabel("signatures");
}

// One chain at genesis per iteration; `warm`: the block's transactions went through the
// mempool first.
void connect(benchmark::State& state, bool warm) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Setup& s = setup(n);
  ThreadPool pool("bench", static_cast<size_t>(state.range(1)));
  ManualClock clock(static_cast<int64_t>(kGenesisTime + 3600));
  double peak = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = std::make_unique<MemoryStore>();
    DeterministicRng rng(1);
    auto cache = std::make_unique<SignatureCache>(rng);
    CachingSignatureChecker checker(*cache);
    ChainManagerOptions options;
    options.verify_pool = &pool;
    // The funding block connected, then the manager reopened: an empty UTXO cache.
    if (!fund(*store, s, checker, clock)) {
      state.SkipWithError("the funding block did not connect");
      break;
    }
    auto manager = ChainManager::open(*store, *s.rules, checker, clock, options);
    if (!manager) {
      state.SkipWithError("open failed");
      break;
    }
    std::unique_ptr<Mempool> mempool;
    if (warm) {
      MempoolOptions mo;
      mo.genesis = block_hash(s.rules->genesis().header);
      mo.coinbase_maturity = 1;
      mempool = std::make_unique<Mempool>(mo, clock, *cache, 1);
      const NextBlock next = next_block(**manager);
      for (size_t i = 1; i < s.block.transactions.size(); ++i) {
        if (mempool->accept(s.block.transactions[i], (*manager)->coins(), next).status != TxStatus::accepted)
          state.SkipWithError("mempool refused a transaction");
      }
    }
    reset_peak_rss();
    state.ResumeTiming();
    auto verdict = (*manager)->submit_block(s.block);
    state.PauseTiming();
    peak = std::max(peak, peak_rss_mib());
    if (!verdict || *verdict || (*manager)->tip().height() != 2)
      state.SkipWithError("the block did not connect");
    manager->reset();
    mempool.reset();
    cache.reset();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["peak_rss_MiB"] = peak;
  state.SetLabel("transactions");
}

void BM_ConnectCold(benchmark::State& state) { connect(state, false); }
void BM_ConnectWarm(benchmark::State& state) { connect(state, true); }

void BM_ConnectMempoolAccept(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Setup& s = setup(n);
  ManualClock clock(static_cast<int64_t>(kGenesisTime + 3600));
  MemoryStore store;
  DirectSignatureChecker direct;
  if (!fund(store, s, direct, clock)) {
    state.SkipWithError("the funding block did not connect");
    return;
  }
  auto manager = ChainManager::open(store, *s.rules, direct, clock);
  if (!manager) {
    state.SkipWithError("open failed");
    return;
  }
  MempoolOptions mo;
  mo.genesis = block_hash(s.rules->genesis().header);
  mo.coinbase_maturity = 1;
  const NextBlock next = next_block(**manager);
  for (auto _ : state) {
    state.PauseTiming();
    DeterministicRng rng(1);
    auto cache = std::make_unique<SignatureCache>(rng);
    auto mempool = std::make_unique<Mempool>(mo, clock, *cache, 1);
    state.ResumeTiming();
    for (size_t i = 1; i < s.block.transactions.size(); ++i) {
      if (mempool->accept(s.block.transactions[i], (*manager)->coins(), next).status != TxStatus::accepted)
        state.SkipWithError("mempool refused a transaction");
    }
    state.PauseTiming();
    mempool.reset();
    cache.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetLabel("transactions");
}

void connect_args(benchmark::internal::Benchmark* b) {
  b->Args({5'000, 1})->Args({5'000, 2})->Args({20'000, 2});
}

BENCHMARK(BM_ConnectRawVerify)->Apply(connect_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConnectCold)->Apply(connect_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConnectWarm)->Apply(connect_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConnectMempoolAccept)->Arg(5'000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn
