// Test support for the contract engine tests: WebAssembly text to binary with wabt's WAT
// parser, and a Host that records the calls it gets.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <wabt/binary-writer.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include "contracts/engine.h"
#include "contracts/module_rules.h"
#include "util/bytes.h"

namespace cairn::contracts::testing {

// The binary of a module in WebAssembly text. `features`: what the parser and writer
// accept (contract features by default; tests of refused modules pass more).
inline Bytes wat(std::string_view text, const wabt::Features& features = contract_features()) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", text.data(), text.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions options(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors))) {
    ADD_FAILURE() << "WAT does not parse: " << wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    return {};
  }
  wabt::MemoryStream stream;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(),
                                           wabt::WriteBinaryOptions(features, true, false, false)))) {
    ADD_FAILURE() << "WAT module does not write";
    return {};
  }
  return Bytes(stream.output_buffer().data.begin(), stream.output_buffer().data.end());
}

inline wabt::Features all_features() {
  wabt::Features features;
  features.enable_bulk_memory();
  features.enable_reference_types();
  features.enable_sat_float_to_int();
  features.enable_simd();
  return features;
}

// Records every host call; answers with `answer` (0 when unset).
class RecordingHost : public Host {
 public:
  struct Call {
    HostFunction function;
    std::vector<uint64_t> args;
  };
  using Answer =
      std::function<std::variant<uint64_t, Trap>(HostFunction, std::span<const uint64_t>, Instance&)>;

  std::variant<uint64_t, Trap> call(HostFunction function, std::span<const uint64_t> args,
                                    Instance& instance) override {
    calls.push_back(Call{function, std::vector<uint64_t>(args.begin(), args.end())});
    if (answer) return answer(function, args, instance);
    return uint64_t{0};
  }

  std::vector<Call> calls;
  Answer answer;
};

}  // namespace cairn::contracts::testing
