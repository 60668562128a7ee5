// Gas vectors (docs/contracts.md §3, worked out by hand in the table below) and the shape of
// the instrumented module.
#include "contracts/gas_instrument.h"

#include <gtest/gtest.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/ir.h>

#include "contracts/wabt_engine.h"
#include "wat.h"

namespace cairn::contracts {
namespace {

using testing::RecordingHost;
using testing::wat;

struct GasVector {
  std::string_view name;
  std::string_view fields;  // module fields besides the memory
  uint64_t gas;             // of running "run", by hand
};

// Costs: call 5, call_indirect 10, any other instruction 1 (block/loop/if included);
// end and else free; memory.grow + 1,000 per page; segments charged when entered.
constexpr GasVector kVectors[] = {
    {"straight line: 4 instructions", R"((func (export "run") i32.const 1 i32.const 2 i32.add drop))", 4},
    {"call: run 1+5+1, callee 3",
     R"((func $f (param i32) (result i32) local.get 0 i32.const 1 i32.add)
        (func (export "run") i32.const 41 call $f drop))",
     10},
    {"block left by br_if: [block] 1 + [const br_if] 2 + [nop] 1",
     R"((func (export "run") block i32.const 1 br_if 0 unreachable end nop))", 4},
    {"if/else: [const if] 2 + else [nop] 1 + [const drop] 2",
     R"((func (export "run") i32.const 0 if nop nop nop else nop end i32.const 7 drop))", 5},
    {"loop of 10 iterations: [const set loop] 3 + 10 x [get const sub tee br_if] 5",
     R"((func (export "run") (local i32)
          i32.const 10 local.set 0
          loop local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0 end))",
     53},
    {"call_indirect: run 1+10+1, callee 1",
     R"((type $t (func (result i32)))
        (table 1 funcref) (elem (i32.const 0) $k)
        (func $k (result i32) i32.const 9)
        (func (export "run") i32.const 0 call_indirect (type $t) drop))",
     13},
    {"memory.grow 2 pages: 3 instructions + 2 x 1000",
     R"((func (export "run") i32.const 2 memory.grow drop))", 2'003},
    {"return ends the segment: [const drop return] 3, the rest never runs",
     R"((func (export "run") i32.const 1 drop return nop nop))", 3},
    {"br_table to the inner block: [block] 1 + [block] 1 + [const br_table] 2 + [nop nop] 2",
     R"((func (export "run") block block i32.const 0 br_table 0 1 end nop nop end))", 6},
    {"recursion sum(3): run 7 + 3 x 13 + 4",
     R"((func $sum (param i32) (result i32)
          local.get 0 i32.eqz
          if (result i32) i32.const 0
          else local.get 0 local.get 0 i32.const 1 i32.sub call $sum i32.add end)
        (func (export "run") i32.const 3 call $sum drop))",
     50},
    {"empty function: no segment, no charge", R"((func (export "run")))", 0},
};

std::shared_ptr<const Module> load_vector(const Engine& engine, std::string_view fields) {
  std::string text = "(module (memory (export \"memory\") 1) ";
  text += fields;
  text += ")";
  auto loaded = engine.load(wat(text));
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return loaded.ok() ? *loaded : nullptr;
}

std::unique_ptr<Instance> fresh_instance(const Engine& engine, const std::shared_ptr<const Module>& module,
                                         Host& host) {
  auto result = engine.instantiate(module, host, 1'000'000);
  if (!std::holds_alternative<std::unique_ptr<Instance>>(result)) return nullptr;
  return std::get<std::unique_ptr<Instance>>(std::move(result));
}

TEST(GasVectors, ExactGasOfEachVector) {
  auto engine = make_wabt_engine();
  for (const GasVector& vector : kVectors) {
    SCOPED_TRACE(vector.name);
    auto module = load_vector(*engine, vector.fields);
    ASSERT_TRUE(module);
    RecordingHost host;
    // Exactly enough: succeeds with nothing left.
    auto exact = fresh_instance(*engine, module, host);
    ASSERT_TRUE(exact);
    exact->set_gas_left(vector.gas);
    EXPECT_EQ(exact->run("run"), std::nullopt);
    EXPECT_EQ(exact->gas_left(), 0U);
    // One less: out of gas, nothing left.
    if (vector.gas > 0) {
      auto short_by_one = fresh_instance(*engine, module, host);
      ASSERT_TRUE(short_by_one);
      short_by_one->set_gas_left(vector.gas - 1);
      auto trap = short_by_one->run("run");
      ASSERT_TRUE(trap);
      EXPECT_EQ(trap->kind, TrapKind::out_of_gas);
      EXPECT_EQ(short_by_one->gas_left(), 0U);
    }
    // Plenty: uses exactly the vector's gas.
    auto plenty = fresh_instance(*engine, module, host);
    ASSERT_TRUE(plenty);
    plenty->set_gas_left(100'000);
    EXPECT_EQ(plenty->run("run"), std::nullopt);
    EXPECT_EQ(100'000 - plenty->gas_left(), vector.gas);
  }
}

TEST(GasVectors, HostCallCostsTheCallInstructionPlusWhatTheHostCharges) {
  auto engine = make_wabt_engine();
  auto loaded = engine->load(wat(R"((module (import "cairn" "value" (func $v (result i64)))
    (memory (export "memory") 1) (func (export "run") call $v drop)))"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  RecordingHost host;
  host.answer = [](HostFunction, std::span<const uint64_t>,
                   Instance& instance) -> std::variant<uint64_t, Trap> {
    instance.set_gas_left(instance.gas_left() - 50);
    return uint64_t{1};
  };
  auto instance = fresh_instance(*engine, *loaded, host);
  instance->set_gas_left(1'000);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(1'000 - instance->gas_left(), 5U + 1 + 50);
}

std::unique_ptr<wabt::Module> read_ir(const Bytes& code) {
  auto module = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  const wabt::ReadBinaryOptions options(contract_features(), nullptr, false, true, true);
  EXPECT_TRUE(
      wabt::Succeeded(wabt::ReadBinaryIr("test", code.data(), code.size(), options, &errors, module.get())));
  return module;
}

constexpr std::string_view kShape = R"((module
  (import "cairn" "value" (func (result i64)))
  (memory (export "memory") 2)
  (global (mut i32) (i32.const 0))
  (func (export "run") (drop (memory.grow (i32.const 1))))
  (func (export "other") return)))";

TEST(GasInstrument, AppendsAfterTheModulesOwnDefinitions) {
  const Bytes code = wat(kShape);
  for (bool metering : {true, false}) {
    SCOPED_TRACE(metering);
    auto loaded = make_wabt_engine(EngineOptions{.metering = metering})->load(code);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    auto original = read_ir(code);
    auto instrumented = read_ir((*loaded)->instrumented_code());
    // gas and depth counters after the module's global; charge and grow after its
    // functions when metering.
    ASSERT_EQ(instrumented->globals.size(), original->globals.size() + 2);
    EXPECT_EQ(instrumented->globals[1]->type, wabt::Type::I64);
    EXPECT_TRUE(instrumented->globals[1]->mutable_);
    EXPECT_EQ(instrumented->globals[2]->type, wabt::Type::I32);
    EXPECT_EQ(instrumented->funcs.size(), original->funcs.size() + (metering ? 2 : 0));
    // Exports keep their indices; the memory gets the maximum of 32 pages.
    ASSERT_EQ(instrumented->exports.size(), original->exports.size());
    for (size_t i = 0; i < original->exports.size(); ++i) {
      EXPECT_EQ(instrumented->exports[i]->name, original->exports[i]->name);
      EXPECT_EQ(instrumented->exports[i]->var.index(), original->exports[i]->var.index());
    }
    EXPECT_EQ(instrumented->memories[0]->page_limits.initial, 2U);
    EXPECT_TRUE(instrumented->memories[0]->page_limits.has_max);
    EXPECT_EQ(instrumented->memories[0]->page_limits.max, kMaxMemoryPages);
  }
}

TEST(GasInstrument, KeepsADeclaredMemoryMaximum) {
  auto loaded = make_wabt_engine()->load(wat(R"((module (memory (export "memory") 1 5)))"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  auto instrumented = read_ir((*loaded)->instrumented_code());
  EXPECT_EQ(instrumented->memories[0]->page_limits.max, 5U);
}

TEST(GasInstrument, MultiValueFunctionsKeepTheirResults) {
  // The depth wrapper block of a function with two results needs a block type index.
  auto engine = make_wabt_engine();
  auto module = load_vector(*engine, R"(
    (func $pair (result i32 i64) i32.const 7 i64.const 8 return)
    (func (export "run") (local i32) call $pair drop local.set 0 i32.const 0 local.get 0 i32.store))");
  ASSERT_TRUE(module);
  RecordingHost host;
  auto instance = fresh_instance(*engine, module, host);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->run("run"), std::nullopt);
  EXPECT_EQ(instance->memory()[0], 7);
}

}  // namespace
}  // namespace cairn::contracts
