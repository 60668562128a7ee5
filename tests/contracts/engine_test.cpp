// The wabt engine end to end: load, instantiate (gas, start function), run, host calls,
// gas counter and out of gas, memory growth, call depth and traps.
#include <cstring>

#include <gtest/gtest.h>

#include "consensus/contract_rules.h"
#include "contracts/module_rules.h"
#include "contracts/wabt_engine.h"
#include "wat.h"

namespace cairn::contracts {
namespace {

using testing::RecordingHost;
using testing::wat;

constexpr uint64_t kPlenty = 1'000'000'000;

std::shared_ptr<const Module> load(const Engine& engine, std::string_view text) {
  auto loaded = engine.load(wat(text));
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return loaded.ok() ? *loaded : nullptr;
}

uint64_t instantiation_gas(const Module& module) {
  return kGasInstantiate + module.code_size() / kGasCodeBytesPerGas + kGasPerPage * module.initial_pages();
}

std::unique_ptr<Instance> instantiate(const Engine& engine, const std::shared_ptr<const Module>& module,
                                      Host& host, uint64_t gas = kPlenty) {
  auto result = engine.instantiate(module, host, gas);
  if (auto* trap = std::get_if<Trap>(&result)) {
    ADD_FAILURE() << "instantiate trapped: " << trap->message;
    return nullptr;
  }
  return std::get<std::unique_ptr<Instance>>(std::move(result));
}

constexpr std::string_view kAdd = R"((module
  (memory (export "memory") 1)
  (func (export "run") i32.const 1 i32.const 2 i32.add drop)
  (func (export "with_param") (param i32))
  (func (export "with_result") (result i32) i32.const 0))
)";

TEST(WabtEngine, LoadDescribesTheModule) {
  auto engine = make_wabt_engine();
  const Bytes code = wat(kAdd);
  auto module = engine->load(code);
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ((*module)->code_hash(), hash(HashContext::contract_code, code));
  EXPECT_EQ((*module)->code_size(), code.size());
  EXPECT_EQ((*module)->initial_pages(), 1U);
  EXPECT_TRUE((*module)->has_method("run"));
  EXPECT_FALSE((*module)->has_method("with_param"));
  EXPECT_FALSE((*module)->has_method("with_result"));
  EXPECT_FALSE((*module)->has_method("memory"));
  EXPECT_FALSE((*module)->has_method("missing"));
  EXPECT_NE((*module)->instrumented_code(), code);
  // The instrumented code is itself a module Cairn accepts (with more globals/functions).
  EXPECT_TRUE(engine->load((*module)->instrumented_code()).ok());
}

TEST(WabtEngine, RunsAnExportAndChargesItsGas) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, kAdd);
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host, instantiation_gas(*module) + 100);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->gas_left(), 100U);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(instance->gas_left(), 96U);  // 4 instructions in one segment
  EXPECT_EQ(instance->memory().size(), 65'536U);
}

TEST(WabtEngine, InstantiationChargesCodeAndPages) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 3 5) (func (export "run"))))");
  ASSERT_TRUE(module);
  const uint64_t cost = 1'000 + module->code_size() / 32 + 3 * 1'000;
  ASSERT_EQ(instantiation_gas(*module), cost);
  RecordingHost host;
  auto exact = engine->instantiate(module, host, cost);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Instance>>(exact));
  EXPECT_EQ(std::get<std::unique_ptr<Instance>>(exact)->gas_left(), 0U);
  auto short_by_one = engine->instantiate(module, host, cost - 1);
  ASSERT_TRUE(std::holds_alternative<Trap>(short_by_one));
  EXPECT_EQ(std::get<Trap>(short_by_one).kind, TrapKind::out_of_gas);
}

TEST(WabtEngine, OutOfGasAtTheExactBoundary) {
  // Function body: one segment of i32.const, i32.const, i32.add, drop = 4 gas.
  auto engine = make_wabt_engine();
  auto module = load(*engine, kAdd);
  ASSERT_TRUE(module);
  RecordingHost host;
  {
    auto instance = instantiate(*engine, module, host);
    instance->set_gas_left(4);
    EXPECT_EQ(instance->run("run"), std::nullopt);
    EXPECT_EQ(instance->gas_left(), 0U);
  }
  {
    auto instance = instantiate(*engine, module, host);
    instance->set_gas_left(3);
    auto trap = instance->run("run");
    ASSERT_TRUE(trap);
    EXPECT_EQ(trap->kind, TrapKind::out_of_gas);
    EXPECT_EQ(instance->gas_left(), 0U);
  }
}

TEST(WabtEngine, LoopIterationsAreChargedEachTime) {
  // Outer segment: global.get, local.set, loop = 3. Loop body: local.get, i32.const,
  // i32.sub, local.tee, br_if = 5 per iteration. n iterations: 3 + 5n.
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (global $n (mut i32) (i32.const 10))
    (func (export "run") (local i32)
      global.get $n
      local.set 0
      loop
        local.get 0
        i32.const 1
        i32.sub
        local.tee 0
        br_if 0
      end)
    (func (export "set100") i32.const 100 global.set $n)))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host);
  instance->set_gas_left(1'000);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(1'000 - instance->gas_left(), 3U + 5 * 10);
  EXPECT_EQ(instance->run("set100"), std::nullopt);
  instance->set_gas_left(1'000);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(1'000 - instance->gas_left(), 3U + 5 * 100);
}

TEST(WabtEngine, StartFunctionThatLoopsForeverRunsOutOfGasAtInstantiation) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func $forever loop br 0 end)
    (start $forever)
    (func (export "run"))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto result = engine->instantiate(module, host, instantiation_gas(*module) + 10'000);
  ASSERT_TRUE(std::holds_alternative<Trap>(result));
  EXPECT_EQ(std::get<Trap>(result).kind, TrapKind::out_of_gas);
}

TEST(WabtEngine, StartFunctionRunsWithTheGasLeft) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func $init i32.const 0 i32.const 42 i32.store)
    (start $init)
    (func (export "run"))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host, instantiation_gas(*module) + 10);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->gas_left(), 7U);  // 3 instructions
  EXPECT_EQ(instance->memory()[0], 42);
}

TEST(WabtEngine, MemoryGrowIsChargedPerPageAndStopsAt32Pages) {
  auto engine = make_wabt_engine();
  // No maximum declared: 32 applies.
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func (export "grow2") i32.const 0 i32.const 2 memory.grow i32.store)
    (func (export "grow29") i32.const 0 i32.const 29 memory.grow i32.store)
    (func (export "grow1") i32.const 0 i32.const 1 memory.grow i32.store)))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host);
  auto result_word = [&] {
    uint32_t word = 0;
    std::memcpy(&word, instance->memory().data(), sizeof word);
    return word;
  };
  instance->set_gas_left(10'000);
  ASSERT_EQ(instance->run("grow2"), std::nullopt);
  EXPECT_EQ(10'000 - instance->gas_left(), 4U + 2'000);  // 4 instructions + 2 pages
  EXPECT_EQ(result_word(), 1U);                          // the old size
  EXPECT_EQ(instance->memory().size(), 3U * 65'536);

  instance->set_gas_left(100'000);
  ASSERT_EQ(instance->run("grow29"), std::nullopt);
  EXPECT_EQ(result_word(), 3U);
  EXPECT_EQ(instance->memory().size(), 32U * 65'536);

  instance->set_gas_left(100'000);
  ASSERT_EQ(instance->run("grow1"), std::nullopt);
  EXPECT_EQ(result_word(), 0xFFFF'FFFFU);                 // refused: 33 pages
  EXPECT_EQ(100'000 - instance->gas_left(), 4U + 1'000);  // charged anyway
  EXPECT_EQ(instance->memory().size(), 32U * 65'536);
}

TEST(WabtEngine, MemoryGrowChargeRunsOutOfGasBeforeGrowing) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func (export "grow") i32.const 5 memory.grow drop)))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host);
  instance->set_gas_left(3 + 5'000 - 1);
  auto trap = instance->run("grow");
  ASSERT_TRUE(trap);
  EXPECT_EQ(trap->kind, TrapKind::out_of_gas);
  EXPECT_EQ(instance->gas_left(), 0U);
  EXPECT_EQ(instance->memory().size(), 65'536U);
}

constexpr std::string_view kRecursion = R"((module (memory (export "memory") 1)
  (func $rec (param i32)
    local.get 0
    if
      local.get 0
      i32.const 1
      i32.sub
      call $rec
    end)
  (func (export "frames512") i32.const 510 call $rec)
  (func (export "frames513") i32.const 511 call $rec)
  (func $forever (export "forever") call $forever)))";

TEST(WabtEngine, CallDepthIsLimitedTo512Frames) {
  // frames = the export + rec(n) .. rec(0) = n + 2.
  auto engine = make_wabt_engine();
  auto module = load(*engine, kRecursion);
  ASSERT_TRUE(module);
  RecordingHost host;
  {
    auto instance = instantiate(*engine, module, host);
    EXPECT_EQ(instance->run("frames512"), std::nullopt);
    EXPECT_EQ(instance->run("frames512"), std::nullopt);  // the depth counted back down
  }
  for (std::string_view method : {"frames513", "forever"}) {
    auto instance = instantiate(*engine, module, host);
    auto trap = instance->run(method);
    ASSERT_TRUE(trap) << method;
    EXPECT_EQ(trap->kind, TrapKind::trapped);
    EXPECT_NE(trap->message.find("call stack exhausted"), std::string::npos) << trap->message;
  }
}

TEST(WabtEngine, HostCallsGetArgumentsAndReturnResults) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module
    (import "cairn" "storage_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (import "cairn" "value" (func $value (result i64)))
    (import "cairn" "transfer" (func $transfer (param i32 i64) (result i32)))
    (memory (export "memory") 1)
    (func (export "run")
      (i32.store (i32.const 0)
        (call $read (i32.const -1) (i32.const 7) (i32.const 0x80000000) (i32.const 3)))
      (i64.store (i32.const 8) (call $value))
      (i32.store (i32.const 16) (call $transfer (i32.const 5) (i64.const -2))))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  host.answer = [](HostFunction function, std::span<const uint64_t>,
                   Instance& instance) -> std::variant<uint64_t, Trap> {
    instance.set_gas_left(instance.gas_left() - 50);  // a host charges through the instance
    switch (function) {
      case HostFunction::storage_read:
        return uint64_t{0xFFFF'FFFF};
      case HostFunction::value:
        return uint64_t{0x8000'0000'0000'0001};
      default:
        return uint64_t{0x1'0000'0002};  // an i32 result keeps the low 32 bits
    }
  };
  auto instance = instantiate(*engine, module, host);
  instance->set_gas_left(1'000);
  ASSERT_EQ(instance->run("run"), std::nullopt);
  ASSERT_EQ(host.calls.size(), 3U);
  EXPECT_EQ(host.calls[0].function, HostFunction::storage_read);
  EXPECT_EQ(host.calls[0].args, (std::vector<uint64_t>{0xFFFF'FFFF, 7, 0x8000'0000, 3}));
  EXPECT_EQ(host.calls[1].function, HostFunction::value);
  EXPECT_TRUE(host.calls[1].args.empty());
  EXPECT_EQ(host.calls[2].function, HostFunction::transfer);
  EXPECT_EQ(host.calls[2].args, (std::vector<uint64_t>{5, 0xFFFF'FFFF'FFFF'FFFE}));
  uint32_t read_result = 0;
  uint64_t value_result = 0;
  uint32_t transfer_result = 0;
  std::memcpy(&read_result, instance->memory().data(), 4);
  std::memcpy(&value_result, instance->memory().data() + 8, 8);
  std::memcpy(&transfer_result, instance->memory().data() + 16, 4);
  EXPECT_EQ(read_result, 0xFFFF'FFFFU);
  EXPECT_EQ(value_result, 0x8000'0000'0000'0001U);
  EXPECT_EQ(transfer_result, 2U);
  // Instructions: 3 stores, 1+4 + 1 + 1+2 consts, 3 calls: 3 + 9 + 3×5 = 27; host: 3×50.
  EXPECT_EQ(1'000 - instance->gas_left(), 27U + 150);
}

constexpr std::string_view kHostTrap = R"((module
  (import "cairn" "abort" (func $abort (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "run") (call $abort (i32.const 0) (i32.const 4)) unreachable)))";

TEST(WabtEngine, HostTrapEndsTheRunWithItsKind) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, kHostTrap);
  ASSERT_TRUE(module);
  for (TrapKind kind : {TrapKind::aborted, TrapKind::trapped, TrapKind::out_of_gas}) {
    RecordingHost host;
    host.answer = [kind](HostFunction, std::span<const uint64_t>, Instance&) -> std::variant<uint64_t, Trap> {
      return Trap{kind, "host says no"};
    };
    auto instance = instantiate(*engine, module, host);
    instance->set_gas_left(1'000);
    auto trap = instance->run("run");
    ASSERT_TRUE(trap);
    EXPECT_EQ(trap->kind, kind);
    EXPECT_EQ(trap->message, "host says no");
    EXPECT_EQ(host.calls.size(), 1U);
    if (kind == TrapKind::out_of_gas) {
      EXPECT_EQ(instance->gas_left(), 0U);
    }
  }
}

TEST(WabtEngine, WasmTrapsCarryTheirMessage) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func (export "unreachable") unreachable)
    (func (export "div_zero") i32.const 1 i32.const 0 i32.div_u drop)
    (func (export "overflow") i32.const 0x80000000 i32.const -1 i32.div_s drop)
    (func (export "out_of_bounds") i32.const 65536 i32.load drop)
    (table 2 funcref)
    (func (export "null_entry") i32.const 1 call_indirect)))");
  ASSERT_TRUE(module);
  RecordingHost host;
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"unreachable", "unreachable"},
      {"div_zero", "integer divide by zero"},
      {"overflow", "integer overflow"},
      {"out_of_bounds", "out of bounds memory access"},
      {"null_entry", "uninitialized table element"},
  };
  for (const auto& [method, message] : cases) {
    auto instance = instantiate(*engine, module, host);
    auto trap = instance->run(method);
    ASSERT_TRUE(trap) << method;
    EXPECT_EQ(trap->kind, TrapKind::trapped) << method;
    EXPECT_NE(trap->message.find(message), std::string::npos) << method << ": " << trap->message;
    EXPECT_GT(instance->gas_left(), 0U);
  }
}

TEST(WabtEngine, InstancesStartFromTheInitialState) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (data (i32.const 0) "\07")
    (global $g (mut i32) (i32.const 0))
    (func (export "bump")
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (global.get $g))))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto first = instantiate(*engine, module, host);
  ASSERT_EQ(first->run("bump"), std::nullopt);
  ASSERT_EQ(first->run("bump"), std::nullopt);
  EXPECT_EQ(first->memory()[0], 7 + 1 + 2);
  auto second = instantiate(*engine, module, host);
  ASSERT_EQ(second->run("bump"), std::nullopt);
  EXPECT_EQ(second->memory()[0], 7 + 1);
}

TEST(WabtEngine, DataSegmentOutOfBoundsTrapsAtInstantiation) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (data (i32.const 65535) "ab") (func (export "run"))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto result = engine->instantiate(module, host, kPlenty);
  ASSERT_TRUE(std::holds_alternative<Trap>(result));
  EXPECT_EQ(std::get<Trap>(result).kind, TrapKind::trapped);
}

TEST(WabtEngine, WithoutMeteringOnlyTheHostAndInstantiationCharge) {
  auto engine = make_wabt_engine(EngineOptions{.metering = false});
  auto module = load(*engine, kAdd);
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host, instantiation_gas(*module) + 2);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(instance->gas_left(), 2U);
  // The call depth limit still holds.
  auto deep = load(*engine, kRecursion);
  auto deep_instance = instantiate(*engine, deep, host);
  auto trap = deep_instance->run("forever");
  ASSERT_TRUE(trap);
  EXPECT_NE(trap->message.find("call stack exhausted"), std::string::npos);
}

TEST(WabtEngine, AnInstanceThatTrappedDoesNotRunAgain) {
  auto engine = make_wabt_engine();
  auto module = load(*engine, R"((module (memory (export "memory") 1)
    (func (export "fail") unreachable) (func (export "fine"))))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = instantiate(*engine, module, host);
  ASSERT_TRUE(instance->run("fail"));
  auto again = instance->run("fine");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message, "instance already trapped");
}

class TrappingHost final : public Host {
 public:
  std::variant<uint64_t, Trap> call(HostFunction, std::span<const uint64_t>, Instance&) override {
    return Trap{TrapKind::trapped, "no host"};
  }
};

TEST(WabtEngine, MutatedModulesNeverCrash) {
  // Every byte of a module using most features, replaced by a few values: load refuses
  // or accepts, and whatever loads instantiates and runs without crashing.
  const Bytes seed = wat(R"((module
    (import "cairn" "input_size" (func $size (result i32)))
    (memory (export "memory") 1 2)
    (table 2 funcref) (elem (i32.const 0) $f)
    (global $g (mut i64) (i64.const 5))
    (data (i32.const 16) "hello")
    (func $f (result i32) (call $size))
    (func (export "run") (local i32)
      (local.set 0 (i32.const 3))
      (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
      (drop (call_indirect (result i32) (i32.const 0)))
      (drop (memory.grow (i32.const 1))))
    (func $start (global.set $g (i64.add (global.get $g) (i64.const 1))))
    (start $start)))");
  ASSERT_FALSE(seed.empty());
  auto engine = make_wabt_engine();
  TrappingHost host;
  size_t loaded_count = 0;
  for (size_t i = 0; i < seed.size(); ++i) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7F}, uint8_t{0x80}, uint8_t{0xFF}}) {
      Bytes mutated = seed;
      mutated[i] = value;
      auto loaded = engine->load(mutated);
      if (!loaded) {
        EXPECT_FALSE(loaded.error().message.empty());
        continue;
      }
      ++loaded_count;
      auto instantiated = engine->instantiate(*loaded, host, 100'000);
      if (auto* instance = std::get_if<std::unique_ptr<Instance>>(&instantiated);
          instance && (*loaded)->has_method("run"))
        (void)(*instance)->run("run");
    }
  }
  EXPECT_GT(loaded_count, 0U);
}

}  // namespace
}  // namespace cairn::contracts
