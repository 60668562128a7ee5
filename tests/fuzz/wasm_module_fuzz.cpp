// Contract modules from arbitrary bytes: load() never crashes and refuses with a message;
// a module that loads is instantiated with little gas and a host that traps on every call,
// and each exported () -> () method runs in a fresh instance: nothing crashes, and running
// out of gas leaves no gas.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/ir.h>

#include "contracts/module_rules.h"
#include "contracts/wabt_engine.h"
#include "fuzz.h"

namespace {

using namespace cairn::contracts;

constexpr uint64_t kFuzzGas = 50'000;
constexpr size_t kMaxMethodsRun = 8;  // keeps one input well under a second

class TrappingHost final : public Host {
 public:
  std::variant<uint64_t, Trap> call(HostFunction, std::span<const uint64_t>, Instance&) override {
    return Trap{TrapKind::trapped, "fuzz host refuses every call"};
  }
};

// The export names of a module load() accepted.
std::vector<std::string> export_names(const uint8_t* data, size_t size) {
  wabt::Module module;
  wabt::Errors errors;
  const wabt::ReadBinaryOptions options(contract_features(), nullptr, false, true, true);
  FUZZ_CHECK(wabt::Succeeded(wabt::ReadBinaryIr("fuzz", data, size, options, &errors, &module)));
  std::vector<std::string> names;
  for (const wabt::Export* exported : module.exports) names.push_back(exported->name);
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Engine> engine = make_wabt_engine();
  auto loaded = engine->load(cairn::ByteSpan(data, size));
  if (!loaded) {
    FUZZ_CHECK(!loaded.error().message.empty());
    return 0;
  }
  const std::shared_ptr<const Module>& module = *loaded;
  FUZZ_CHECK(module->code_size() == size);
  FUZZ_CHECK(module->initial_pages() <= kMaxMemoryPages);
  // Loading is deterministic: the same bytes give the same instrumented code.
  auto again = engine->load(cairn::ByteSpan(data, size));
  FUZZ_CHECK(again.ok() && (*again)->instrumented_code() == module->instrumented_code());

  TrappingHost host;
  size_t methods_run = 0;
  for (const std::string& name : export_names(data, size)) {
    if (!module->has_method(name) || ++methods_run > kMaxMethodsRun) continue;
    auto instantiated = engine->instantiate(module, host, kFuzzGas);
    if (std::holds_alternative<Trap>(instantiated)) return 0;  // the start function trapped
    auto& instance = std::get<std::unique_ptr<Instance>>(instantiated);
    const std::optional<Trap> trap = instance->run(name);
    if (trap && trap->kind == TrapKind::out_of_gas) FUZZ_CHECK(instance->gas_left() == 0);
    if (!trap) FUZZ_CHECK(instance->gas_left() <= kFuzzGas);
    FUZZ_CHECK(instance->memory().size() <= kMaxMemoryPages * 65'536);
  }
  return 0;
}
