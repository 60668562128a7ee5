#include "contracts/wabt_engine.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>

#include "consensus/contract_rules.h"
#include "contracts/gas_instrument.h"
#include "contracts/module_rules.h"
#include "contracts/wabt_interp_bridge.h"
#include "primitives/contract.h"

namespace cairn::contracts {
namespace {

Error refuse(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

std::string first_error(std::string_view what, const wabt::Errors& errors) {
  std::string message(what);
  if (!errors.empty())
    message += " at byte " + std::to_string(errors.front().loc.offset) + ": " + errors.front().message;
  return message;
}

wabt::ReadBinaryOptions read_options() {
  return wabt::ReadBinaryOptions(contract_features(), nullptr, false, true, true);
}

class WabtModule final : public Module {
 public:
  WabtModule(Hash256 code_hash, size_t code_size, uint32_t initial_pages, std::vector<std::string> methods,
             Bytes instrumented, std::shared_ptr<const InterpModule> interp, Instrumentation instrumentation)
      : code_hash_(code_hash),
        code_size_(code_size),
        initial_pages_(initial_pages),
        methods_(std::move(methods)),
        instrumented_(std::move(instrumented)),
        interp_(std::move(interp)),
        instrumentation_(instrumentation) {}

  const Hash256& code_hash() const override { return code_hash_; }
  size_t code_size() const override { return code_size_; }
  uint32_t initial_pages() const override { return initial_pages_; }
  bool has_method(std::string_view name) const override {
    return std::binary_search(methods_.begin(), methods_.end(), name);
  }
  const Bytes& instrumented_code() const override { return instrumented_; }

  const std::shared_ptr<const InterpModule>& interp() const { return interp_; }
  const Instrumentation& instrumentation() const { return instrumentation_; }

 private:
  Hash256 code_hash_;
  size_t code_size_;
  uint32_t initial_pages_;
  std::vector<std::string> methods_;  // sorted
  Bytes instrumented_;
  std::shared_ptr<const InterpModule> interp_;  // without its start function: see start()
  Instrumentation instrumentation_;
};

// One wabt Store per instance (InterpInstance): wabt's stores are single-threaded, and
// nothing but the immutable InterpModule is shared.
class WabtInstance final : public Instance {
 public:
  WabtInstance(std::shared_ptr<const WabtModule> module, Host& host)
      : module_(std::move(module)), host_(host) {}

  // Instantiates with `gas` left and runs the start function: it runs after the gas counter
  // is set, so the start function is metered like any method.
  std::optional<Trap> start(uint64_t gas) {
    for (const std::string& name : module_->interp()->import_names()) {
      const HostSignature* host = find_host_function(name);
      if (host == nullptr) return Trap{TrapKind::trapped, "import " + name + " is not a host function"};
      imports_.push_back(host->function);
    }
    auto instantiated = InterpInstance::instantiate(
        module_->interp(), [this](size_t import_index, const std::vector<uint64_t>& args) {
          return call_host(import_index, args);
        });
    if (auto* message = std::get_if<std::string>(&instantiated))
      return Trap{TrapKind::trapped, std::move(*message)};
    interp_ = std::move(std::get<std::unique_ptr<InterpInstance>>(instantiated));
    set_gas_left(gas);
    return after_run(interp_->run_start());
  }

  std::optional<Trap> run(std::string_view method) override {
    if (trapped_) return Trap{TrapKind::trapped, "instance already trapped"};
    const std::optional<uint32_t> index = module_->interp()->find_func_export(method);
    if (!index) return Trap{TrapKind::trapped, "no method " + std::string(method)};
    return after_run(interp_->run_export(*index));
  }

  uint64_t gas_left() const override { return interp_->u64_global(module_->instrumentation().gas_global); }
  void set_gas_left(uint64_t gas) override {
    // kGasExhausted is the counter's out-of-gas mark: a budget that large is one less.
    interp_->set_u64_global(module_->instrumentation().gas_global, std::min(gas, kGasExhausted - 1));
  }

  std::span<uint8_t> memory() override { return {interp_->memory_data(), interp_->memory_size()}; }

 private:
  // Cairn's Trap for how a run ended: the host's own Trap, out of gas or call depth (the
  // instrumentation's marks), or wabt's message.
  std::optional<Trap> after_run(std::optional<InterpTrap> trap) {
    if (!trap) return std::nullopt;
    trapped_ = true;
    const uint32_t gas_global = module_->instrumentation().gas_global;
    if (trap->by_host) {
      Trap result = std::move(host_trap_.value());
      host_trap_.reset();
      if (result.kind == TrapKind::out_of_gas) interp_->set_u64_global(gas_global, 0);
      return result;
    }
    if (interp_->u64_global(gas_global) == kGasExhausted) {
      interp_->set_u64_global(gas_global, 0);
      return Trap{TrapKind::out_of_gas, "out of gas"};
    }
    if (interp_->u32_global(module_->instrumentation().depth_global) == kDepthExhausted)
      return Trap{TrapKind::trapped,
                  "call stack exhausted: more than " + std::to_string(kMaxCallDepth) + " frames"};
    return Trap{TrapKind::trapped, std::move(trap->message)};
  }

  std::optional<uint64_t> call_host(size_t import_index, const std::vector<uint64_t>& args) {
    auto result = host_.call(imports_.at(import_index), std::span<const uint64_t>(args), *this);
    if (auto* trap = std::get_if<Trap>(&result)) {
      host_trap_ = std::move(*trap);
      return std::nullopt;
    }
    return std::get<uint64_t>(result);
  }

  std::shared_ptr<const WabtModule> module_;
  Host& host_;
  std::vector<HostFunction> imports_;       // by import index
  std::unique_ptr<InterpInstance> interp_;  // set by start()
  std::optional<Trap> host_trap_;           // the Trap a host function ended the current run with
  bool trapped_ = false;                    // wasm state may be torn (a trap mid-update): no more runs
};

class WabtEngine final : public Engine {
 public:
  explicit WabtEngine(const EngineOptions& options) : options_(options) {}

  Result<std::shared_ptr<const Module>> load(ByteSpan code) const override {
    CAIRN_TRY_STATUS(scan_code(code));
    wabt::Module ir;
    wabt::Errors errors;
    if (wabt::Failed(wabt::ReadBinaryIr("contract", code.data(), code.size(), read_options(), &errors, &ir)))
      return refuse(first_error("malformed module", errors));
    if (wabt::Failed(wabt::ValidateModule(&ir, &errors, wabt::ValidateOptions(contract_features()))))
      return refuse(first_error("invalid module", errors));
    CAIRN_TRY_STATUS(check_module(ir));

    std::vector<std::string> methods;
    for (const wabt::Export* exported : ir.exports) {
      if (exported->kind != wabt::ExternalKind::Func) continue;
      const wabt::Func* func = ir.GetFunc(exported->var);
      if (func != nullptr && func->GetNumParams() == 0 && func->GetNumResults() == 0)
        methods.push_back(exported->name);
    }
    std::sort(methods.begin(), methods.end());
    const auto initial_pages = static_cast<uint32_t>(ir.memories.at(0)->page_limits.initial);

    const Instrumentation instrumentation = instrument_module(ir, options_.metering);
    wabt::MemoryStream stream;
    if (wabt::Failed(wabt::WriteBinaryModule(
            &stream, &ir, wabt::WriteBinaryOptions(contract_features(), true, false, false))))
      return refuse("instrumentation: wabt could not write the module");
    const std::vector<uint8_t>& written = stream.output_buffer().data;
    Bytes instrumented(written.begin(), written.end());

    errors.clear();
    std::shared_ptr<const InterpModule> interp =
        compile_interp_module(instrumented.data(), instrumented.size(), read_options(), &errors);
    if (!interp) return refuse(first_error("instrumented module refused", errors));

    return std::shared_ptr<const Module>(
        std::make_shared<WabtModule>(contract_code_hash(code), code.size(), initial_pages, std::move(methods),
                                     std::move(instrumented), std::move(interp), instrumentation));
  }

  std::variant<std::unique_ptr<Instance>, Trap> instantiate(std::shared_ptr<const Module> module, Host& host,
                                                            uint64_t gas) const override {
    auto wabt_module = std::dynamic_pointer_cast<const WabtModule>(module);
    if (!wabt_module) return Trap{TrapKind::trapped, "module not loaded by the wabt engine"};
    const uint64_t cost = kGasInstantiate + wabt_module->code_size() / kGasCodeBytesPerGas +
                          kGasPerPage * wabt_module->initial_pages();
    if (gas < cost)
      return Trap{TrapKind::out_of_gas, "out of gas: instantiation costs " + std::to_string(cost)};
    auto instance = std::make_unique<WabtInstance>(std::move(wabt_module), host);
    if (std::optional<Trap> trap = instance->start(gas - cost)) return *std::move(trap);
    return std::unique_ptr<Instance>(std::move(instance));
  }

 private:
  EngineOptions options_;
};

}  // namespace

std::unique_ptr<Engine> make_wabt_engine(const EngineOptions& options) {
  return std::make_unique<WabtEngine>(options);
}

}  // namespace cairn::contracts
