// Contract engine benchmarks (wabt interpreter): the cost of gas metering — the same
// compute-heavy modules run with metering on and off on the same engine — and load()
// (decode, validate, check, instrument, re-encode) of a ~100 KiB module.
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>
#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include "contracts/module_rules.h"
#include "contracts/wabt_engine.h"
#include "util/bytes.h"

namespace {

using namespace cairn::contracts;
using cairn::Bytes;

Bytes wat(std::string_view text) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("bench.wat", text.data(), text.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions options(contract_features());
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors)))
    throw std::runtime_error("bench WAT does not parse");
  wabt::MemoryStream stream;
  if (wabt::Failed(wabt::WriteBinaryModule(
          &stream, module.get(), wabt::WriteBinaryOptions(contract_features(), true, false, false))))
    throw std::runtime_error("bench WAT does not write");
  return Bytes(stream.output_buffer().data.begin(), stream.output_buffer().data.end());
}

class NoHost final : public Host {
 public:
  std::variant<uint64_t, Trap> call(HostFunction, std::span<const uint64_t>, Instance&) override {
    return Trap{TrapKind::trapped, "no host"};
  }
};

// 100,000 iterations of integer arithmetic (an LCG and a xor-shift mix) in one loop.
constexpr std::string_view kLoop = R"((module (memory (export "memory") 1)
  (func (export "run") (local $i i32) (local $x i64)
    (local.set $i (i32.const 100000))
    (local.set $x (i64.const 1))
    (loop $next
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                             (i64.const 1442695040888963407)))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 29))))
      (br_if $next (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (i64.store (i32.const 0) (local.get $x)))))";

// Recursive fib(20): 21,891 calls.
constexpr std::string_view kFib = R"((module (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "run") (i32.store (i32.const 0) (call $fib (i32.const 20))))))";

void run_module(benchmark::State& state, std::string_view text) {
  const bool metering = state.range(0) != 0;
  auto engine = make_wabt_engine(EngineOptions{.metering = metering});
  auto loaded = engine->load(wat(text));
  if (!loaded) {
    state.SkipWithError(loaded.error().message.c_str());
    return;
  }
  NoHost host;
  auto instantiated = engine->instantiate(*loaded, host, 1'000'000'000);
  if (!std::holds_alternative<std::unique_ptr<Instance>>(instantiated)) {
    state.SkipWithError("instantiate trapped");
    return;
  }
  auto& instance = std::get<std::unique_ptr<Instance>>(instantiated);
  uint64_t gas_used = 0;
  for (auto _ : state) {
    instance->set_gas_left(1'000'000'000);
    if (instance->run("run")) {
      state.SkipWithError("run trapped");
      return;
    }
    gas_used = 1'000'000'000 - instance->gas_left();
  }
  state.counters["gas"] = static_cast<double>(gas_used);
  state.SetLabel(metering ? "metered" : "unmetered");
}

void BM_WasmLoop(benchmark::State& state) { run_module(state, kLoop); }
BENCHMARK(BM_WasmLoop)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_WasmFib(benchmark::State& state) { run_module(state, kFib); }
BENCHMARK(BM_WasmFib)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// About 100 KiB of code: 2,200 functions of arithmetic in a loop with a call.
Bytes large_module() {
  std::string text =
      R"((module (memory (export "memory") 1) (func $leaf (param i32) (result i32) (local.get 0)))";
  for (int i = 0; i < 2'200; ++i) {
    text += "(func ";
    if (i < 200) {  // exports are limited to 256
      text += "(export \"f";
      text += std::to_string(i);
      text += "\")";
    }
    text += R"( (local $a i32) (local $b i64)
      (local.set $a (i32.const 7))
      (loop $l
        (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (local.get $a))))
        (local.set $a (call $leaf (i32.sub (local.get $a) (i32.const 1))))
        (br_if $l (local.get $a)))
      (i64.store (i32.const 8) (i64.mul (local.get $b) (i64.const 3))))
    )";
  }
  text += ")";
  return wat(text);
}

void BM_LoadModule(benchmark::State& state) {
  const Bytes code = large_module();
  auto engine = make_wabt_engine();
  for (auto _ : state) {
    auto loaded = engine->load(code);
    if (!loaded) {
      state.SkipWithError(loaded.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["code_bytes"] = static_cast<double>(code.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * static_cast<int64_t>(code.size())));
}
BENCHMARK(BM_LoadModule)->Unit(benchmark::kMillisecond);

// instantiate() of a loaded module (a fresh wabt store, the module description copied in,
// the start function — none here): the small loop module and the ~100 KiB one.
void BM_Instantiate(benchmark::State& state) {
  const Bytes code = state.range(0) == 0 ? wat(kLoop) : large_module();
  auto engine = make_wabt_engine();
  auto loaded = engine->load(code);
  if (!loaded) {
    state.SkipWithError(loaded.error().message.c_str());
    return;
  }
  NoHost host;
  for (auto _ : state) {
    auto instance = engine->instantiate(*loaded, host, 1'000'000);
    benchmark::DoNotOptimize(instance);
  }
  state.counters["code_bytes"] = static_cast<double>(code.size());
}
BENCHMARK(BM_Instantiate)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
