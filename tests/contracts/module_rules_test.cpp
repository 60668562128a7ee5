// docs/contracts.md §4: every module limit at its boundary (the limit loads, one more is
// refused, naming the rule), the features a contract may and may not use, imports, and
// malformed bytes.
#include "contracts/module_rules.h"

#include <string>

#include <gtest/gtest.h>

#include "contracts/wabt_engine.h"
#include "primitives/contract.h"
#include "wat.h"

namespace cairn::contracts {
namespace {

using testing::all_features;
using testing::wat;

std::string repeat(std::string_view piece, size_t count) {
  std::string out;
  out.reserve(piece.size() * count);
  for (size_t i = 0; i < count; ++i) out += piece;
  return out;
}

// A module around `fields`, with the memory every contract needs (after `imports`).
std::string module_with(std::string_view fields, std::string_view imports = {}) {
  std::string text = "(module ";
  text += imports;
  text += " (memory (export \"memory\") 1) ";
  text += fields;
  text += ")";
  return text;
}

Status load_code(ByteSpan code) {
  auto loaded = make_wabt_engine()->load(code);
  if (!loaded) return loaded.error();
  return {};
}

Status load_text(std::string_view text, const wabt::Features& features = contract_features()) {
  const Bytes code = wat(text, features);
  EXPECT_FALSE(code.empty());
  return load_code(code);
}

void expect_loads(const Status& status) { EXPECT_TRUE(status.ok()) << status.error().message; }

void expect_refused(const Status& status, std::string_view fragment) {
  ASSERT_FALSE(status.ok()) << "expected a refusal naming: " << fragment;
  EXPECT_EQ(status.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(status.error().message.find(fragment), std::string::npos)
      << "message: " << status.error().message << "\nexpected to contain: " << fragment;
}

void append_leb(Bytes& out, size_t value) {
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(byte);
  } while (value != 0);
}

// `code` padded with a custom section to exactly `total` bytes (a 3-byte section size).
Bytes padded_to(Bytes code, size_t total) {
  const size_t section = total - code.size() - 1 - 3;
  code.push_back(0);  // custom section
  append_leb(code, section);
  code.push_back(1);  // name length
  code.push_back('x');
  code.resize(total, 0);
  return code;
}

TEST(ModuleRules, CodeSizeLimit) {
  const Bytes base = wat(module_with("(func (export \"run\"))"));
  const Bytes at_limit = padded_to(base, kMaxCodeBytes);
  ASSERT_EQ(at_limit.size(), kMaxCodeBytes);
  expect_loads(load_code(at_limit));
  expect_refused(load_code(padded_to(base, kMaxCodeBytes + 1)), "code: 262145 bytes > 262144");
}

TEST(ModuleRules, MemoryPagesLimit) {
  expect_loads(load_text("(module (memory (export \"memory\") 32))"));
  expect_refused(load_text("(module (memory (export \"memory\") 33))"), "memory: 33 pages > 32");
  expect_loads(load_text("(module (memory (export \"memory\") 0 32))"));
  expect_refused(load_text("(module (memory (export \"memory\") 0 33))"), "memory: maximum 33 pages > 32");
}

TEST(ModuleRules, ExactlyOneMemoryExportedAsMemory) {
  expect_refused(load_text("(module (func (export \"run\")))"),
                 "memory: a contract defines exactly one memory");
  expect_refused(load_text("(module (memory 1) (func (export \"run\")))"),
                 "memory: not exported as \"memory\"");
  expect_refused(load_text("(module (memory (export \"mem\") 1))"), "memory: not exported as \"memory\"");
  expect_refused(load_text("(module (func (export \"memory\")) (memory 1))"),
                 "memory: not exported as \"memory\"");
  expect_refused(
      load_text("(module (import \"cairn\" \"memory\" (memory 1)) (export \"memory\" (memory 0)))"),
      "import cairn.memory: memory imports are not allowed");
}

TEST(ModuleRules, TableLimits) {
  expect_loads(load_text(module_with("(table 1024 funcref)")));
  expect_refused(load_text(module_with("(table 1025 funcref)")), "table: 1025 elements > 1024");
  expect_loads(load_text(module_with("(table 0 1024 funcref)")));
  expect_refused(load_text(module_with("(table 0 1025 funcref)")), "table: maximum 1025 elements > 1024");
  // A second table needs reference types, which contracts do not have.
  expect_refused(load_text(module_with("(table 1 funcref) (table 1 funcref)"), all_features()), "table");
  expect_refused(
      load_text("(module (import \"cairn\" \"t\" (table 1 funcref)) (memory (export \"memory\") 1))"),
      "import cairn.t: table imports are not allowed");
}

TEST(ModuleRules, GlobalsLimit) {
  expect_loads(load_text(module_with(repeat("(global i32 (i32.const 0))", kMaxGlobals))));
  expect_refused(load_text(module_with(repeat("(global i32 (i32.const 0))", kMaxGlobals + 1))),
                 "globals: 257 > 256");
  expect_refused(load_text("(module (import \"cairn\" \"g\" (global i32)) (memory (export \"memory\") 1))"),
                 "import cairn.g: global imports are not allowed");
}

TEST(ModuleRules, FunctionsLimit) {
  expect_loads(load_text(module_with(repeat("(func)", kMaxFunctions))));
  expect_refused(load_text(module_with(repeat("(func)", kMaxFunctions + 1))),
                 "functions: 4097 defined > 4096");
  // Imports do not count.
  expect_loads(load_text(
      module_with(repeat("(func)", kMaxFunctions), "(import \"cairn\" \"value\" (func (result i64)))")));
}

TEST(ModuleRules, LocalsLimitCountsParameters) {
  const std::string ok = "(func (param i32 i64) (local " + repeat("i32 ", kMaxLocals - 2) + "))";
  expect_loads(load_text(module_with(ok)));
  const std::string too_many = "(func (param i32 i64) (local " + repeat("i64 ", kMaxLocals - 1) + "))";
  expect_refused(load_text(module_with(too_many)), "function 0: 1025 locals (parameters included) > 1024");
}

TEST(ModuleRules, ParamsAndResultsLimit) {
  expect_loads(load_text(module_with("(type (func (param " + repeat("i32 ", kMaxParams) + ")))")));
  expect_refused(load_text(module_with("(type (func (param " + repeat("i32 ", kMaxParams + 1) + ")))")),
                 "type 0: 33 parameters > 32");
  expect_loads(load_text(module_with("(type (func (result " + repeat("i64 ", kMaxParams) + ")))")));
  expect_refused(load_text(module_with("(type (func (result " + repeat("i64 ", kMaxParams + 1) + ")))")),
                 "type 0: 33 results > 32");
}

std::string function_exports(size_t count) {
  std::string fields;
  for (size_t i = 0; i < count; ++i) {
    fields += "(func (export \"f";
    fields += std::to_string(i);
    fields += "\"))";
  }
  return fields;
}

TEST(ModuleRules, ExportsLimit) {
  // The memory export counts too.
  expect_loads(load_text(module_with(function_exports(kMaxExports - 1))));
  expect_refused(load_text(module_with(function_exports(kMaxExports))), "exports: 257 > 256");
}

TEST(ModuleRules, ExportNameLimit) {
  const std::string at_limit(kMaxExportNameBytes, 'a');
  expect_loads(load_text(module_with("(func (export \"" + at_limit + "\"))")));
  const std::string too_long(kMaxExportNameBytes + 1, 'a');
  expect_refused(load_text(module_with("(func (export \"" + too_long + "\"))")), "name of 65 bytes > 64");
}

TEST(ModuleRules, DataSegmentsLimit) {
  expect_loads(load_text(module_with(repeat("(data (i32.const 0) \"x\")", kMaxDataSegments))));
  expect_refused(load_text(module_with(repeat("(data (i32.const 0) \"x\")", kMaxDataSegments + 1))),
                 "data segments: 1025 > 1024");
}

TEST(ModuleRules, BlockNestingLimit) {
  expect_loads(load_text(
      module_with("(func " + repeat("block ", kMaxBlockNesting) + repeat("end ", kMaxBlockNesting) + ")")));
  expect_refused(load_text(module_with("(func " + repeat("block ", kMaxBlockNesting + 1) +
                                       repeat("end ", kMaxBlockNesting + 1) + ")")),
                 "function 0: blocks nested 1025 deep > 1024");
  expect_refused(load_text(module_with("(func " + repeat("loop ", kMaxBlockNesting + 1) +
                                       repeat("end ", kMaxBlockNesting + 1) + ")")),
                 "blocks nested 1025 deep");
}

TEST(ModuleRules, NoFloatingPointAnywhere) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"(func (drop (f32.add (f32.const 1) (f32.const 2))))",
       "function 0: floating point instruction f32.const"},
      {"(func (param i32) (drop (i32.trunc_f32_s (f32.reinterpret_i32 (local.get 0)))))",
       "function 0: floating point instruction f32.reinterpret_i32"},
      {"(func (drop (i64.reinterpret_f64 (f64.load (i32.const 0)))))", "floating point instruction f64.load"},
      {"(func (f64.store (i32.const 0) (f64.convert_i32_s (i32.const 1))))",
       "floating point instruction f64.convert_i32_s"},
      {"(func (param i32) (result i32) (i32.eqz (local.get 0))) (func (local f64))",
       "function 1: floating point local of type f64"},
      {"(func (param f32))", "type 0: floating point parameter f32"},
      {"(type (func (result i32 f64)))", "type 0: floating point result f64"},
      {"(global (mut f64) (f64.const 0))", "initializer: floating point instruction f64.const"},
      {"(func (drop (block (result f32) (unreachable))))", "function 0: floating point block type f32"},
      {"(func (drop (if (result f64) (i32.const 0) (then (unreachable)) (else (unreachable)))))",
       "floating point block type f64"},
  };
  for (const auto& [fields, message] : cases) expect_refused(load_text(module_with(fields)), message);
  // Function numbers count imports first, as wasm indices do.
  expect_refused(load_text(module_with("(func (drop (f64.const 0)))",
                                       "(import \"cairn\" \"value\" (func (result i64)))")),
                 "function 1: floating point instruction f64.const");
}

TEST(ModuleRules, PostMvpFeaturesAreRefusedByName) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"(func (memory.copy (i32.const 0) (i32.const 1) (i32.const 1)))",
       "instruction of a disabled WebAssembly feature memory.copy"},
      {"(func (memory.fill (i32.const 0) (i32.const 1) (i32.const 1)))",
       "instruction of a disabled WebAssembly feature memory.fill"},
      {"(data \"x\") (func (data.drop 0))", "data.drop"},
      {"(func (drop (ref.null func)))", "instruction of a disabled WebAssembly feature ref.null"},
      {"(table 1 funcref) (func (drop (table.size 0)))", "table.size"},
      {"(func (drop (v128.const i32x4 0 0 0 0)))", "v128.const"},
  };
  for (const auto& [fields, message] : cases)
    expect_refused(load_text(module_with(fields), all_features()), message);
  // Saturating conversions are float instructions anyway.
  expect_refused(load_text(module_with("(func (param i32) (drop (i32.trunc_sat_f32_s (f32.reinterpret_i32 "
                                       "(local.get 0)))))"),
                           all_features()),
                 "floating point instruction");
}

TEST(ModuleRules, AllowedFeaturesLoad) {
  expect_loads(load_text(module_with(R"(
    (global $g (export "g") (mut i64) (i64.const 0))
    (func $pair (result i32 i64) (i32.const 1) (i64.const 2))
    (func (export "run")
      (drop (i32.extend8_s (i32.const 255)))
      (call $pair) (global.set $g) (drop)
      (block (result i32 i64) (call $pair)) (drop) (drop)))")));
}

TEST(ModuleRules, OnlyHostFunctionsWithTheirExactTypes) {
  expect_loads(load_text(module_with("", R"(
    (import "cairn" "value" (func (result i64)))
    (import "cairn" "call" (func (param i32 i32 i32 i32 i32 i64 i64) (result i32)))
    (import "cairn" "debug_log" (func (param i32 i32))))")));
  expect_refused(load_text("(module (import \"env\" \"foo\" (func)) (memory (export \"memory\") 1))"),
                 "import env.foo is not a host function");
  expect_refused(load_text("(module (import \"cairn\" \"nope\" (func)) (memory (export \"memory\") 1))"),
                 "import cairn.nope is not a host function");
  expect_refused(
      load_text("(module (import \"env\" \"value\" (func (result i64))) (memory (export \"memory\") 1))"),
      "import env.value is not a host function");
  expect_refused(load_text("(module (import \"cairn\" \"value\" (func (param i32) (result i64))) (memory "
                           "(export \"memory\") 1))"),
                 "import cairn.value: type (i32) -> (i64) is not the host function's () -> (i64)");
  expect_refused(
      load_text("(module (import \"cairn\" \"value\" (func (result i32))) (memory (export \"memory\") 1))"),
      "import cairn.value: type () -> (i32)");
}

TEST(ModuleRules, MalformedBytesAreRefused) {
  expect_refused(load_code(Bytes{}), "malformed module");
  expect_refused(load_code(Bytes{'\0', 'a', 's', 'n', 2, 0, 0, 0}), "malformed module");
  const Bytes good = wat(module_with("(func (export \"run\") (drop (i32.const 7)))"));
  for (size_t cut = 1; cut < good.size(); ++cut) {
    const Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(load_code(truncated).ok()) << cut;  // malformed, or cut at a section: no memory
  }
  Bytes garbage;
  for (uint32_t i = 0; i < 300; ++i) garbage.push_back(static_cast<uint8_t>(i * 151 + 7));
  expect_refused(load_code(garbage), "malformed module");
}

TEST(ModuleRules, InvalidCodeIsRefused) {
  expect_refused(load_text(module_with("(func (result i32) (i64.const 0))")), "invalid module");
  expect_refused(load_text(module_with("(func (call 7))")), "invalid module");
}

}  // namespace
}  // namespace cairn::contracts
