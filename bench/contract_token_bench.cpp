// Token transfers through the whole contract stack: the example token
// (examples/contracts/token) deployed on a LocalChain, then `transfer` calls between two
// holders — each a real call transaction: intrinsic gas, module cache, instantiation, the
// metered interpreter, storage reads and writes through the overlay, an event, and the
// changes applied to the store. Counters: transfers/s and gas/s.
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <benchmark/benchmark.h>

#include "contracts/local_chain.h"
#include "util/codec.h"

namespace {

using namespace cairn;
using namespace cairn::contracts;

// Empty when the examples were not built (no clang-14 / wasm-ld-14).
Bytes read_example(const std::string& name) {
  std::ifstream in(std::string(CAIRN_EXAMPLES_DIR) + "/" + name, std::ios::binary);
  return in ? Bytes(std::istreambuf_iterator<char>(in), {}) : Bytes{};
}

Account holder(uint8_t tag) {
  Account account{AccountKind::key, {}};
  account.hash.bytes.fill(tag);
  return account;
}

void BM_TokenTransfer(benchmark::State& state) {
  const Bytes code = read_example("token.wasm");
  if (code.empty()) {
    state.SkipWithError("token.wasm not built (the examples need clang-14 and wasm-ld-14)");
    return;
  }
  LocalChain chain;
  const Account alice = holder(1);
  const Account bob = holder(2);
  Writer init;  // init(name, symbol, decimals, initial_supply): docs/contracts.md §10
  init.bytes(as_bytes("Bench"));
  init.bytes(as_bytes("BNC"));
  init.u8(8);
  init.u64(1'000'000'000'000);
  // The deposit of a few holders' balances.
  const auto deployed = chain.deploy(code, init.data(), alice, 1'000'000);
  if (!deployed || deployed->status != ExecStatus::success) throw std::runtime_error("token deploy failed");
  const ContractId token = deployed->contract;

  uint64_t gas = 0;
  uint64_t transfers = 0;
  for (auto _ : state) {
    Writer args;  // transfer(to, amount), alternating directions so balances stay bounded
    encode(args, transfers % 2 == 0 ? bob : alice);
    args.u64(1);
    const auto run = chain.call(token, "transfer", args.data(), transfers % 2 == 0 ? alice : bob);
    if (!run || run->status != ExecStatus::success) throw std::runtime_error("token transfer failed");
    gas += run->gas_used;
    ++transfers;
  }
  state.counters["transfers/s"] =
      benchmark::Counter(static_cast<double>(transfers), benchmark::Counter::kIsRate);
  state.counters["gas/s"] = benchmark::Counter(static_cast<double>(gas), benchmark::Counter::kIsRate);
  state.counters["gas/transfer"] =
      static_cast<double>(gas) / static_cast<double>(std::max<uint64_t>(transfers, 1));
}
BENCHMARK(BM_TokenTransfer)->Unit(benchmark::kMicrosecond);

}  // namespace
