// Compiled as C++17 (src/CMakeLists.txt): see wabt_interp_bridge.h for why.
#include "contracts/wabt_interp_bridge.h"

#include <utility>

#include <wabt/cast.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

namespace cairn::contracts {

namespace wi = wabt::interp;

struct InterpModule::Desc {
  wi::ModuleDesc module;  // starts cleared: start_func runs from run_start()
  std::optional<wi::Index> start_func;
  std::vector<std::string> import_names;
  wabt::Features features;  // each instance's Store runs with them
};

InterpModule::InterpModule(std::unique_ptr<const Desc> desc) : desc_(std::move(desc)) {}
InterpModule::~InterpModule() = default;

const std::vector<std::string>& InterpModule::import_names() const { return desc_->import_names; }

std::optional<uint32_t> InterpModule::find_func_export(std::string_view name) const {
  const std::vector<wi::ExportDesc>& exports = desc_->module.exports;
  for (size_t i = 0; i < exports.size(); ++i) {
    if (exports[i].type.name == name && exports[i].type.type->kind == wabt::ExternalKind::Func)
      return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

bool InterpModule::has_start() const { return desc_->start_func.has_value(); }

std::shared_ptr<const InterpModule> compile_interp_module(const uint8_t* data, size_t size,
                                                          const wabt::ReadBinaryOptions& options,
                                                          wabt::Errors* errors) {
  auto desc = std::make_unique<InterpModule::Desc>();
  if (wabt::Failed(wi::ReadBinaryInterp("contract", data, size, options, errors, &desc->module)))
    return nullptr;
  if (!desc->module.starts.empty()) desc->start_func = desc->module.starts.front().func_index;
  desc->module.starts.clear();
  for (const wi::ImportDesc& import : desc->module.imports) desc->import_names.push_back(import.type.name);
  desc->features = options.features;
  return std::make_shared<const InterpModule>(std::move(desc));
}

struct InterpInstance::State {
  State(std::shared_ptr<const InterpModule> module_in, InterpHostCall host_call_in)
      : module(std::move(module_in)), host_call(std::move(host_call_in)), store(module->desc().features) {}

  wabt::Result call_host(size_t import_index, const wi::FuncType& type, const wi::Values& params,
                         wi::Values& results, wi::Trap::Ptr* out_trap);
  std::optional<InterpTrap> call(wi::Ref func_ref);

  std::shared_ptr<const InterpModule> module;
  InterpHostCall host_call;
  wi::Store store;  // before the RefPtrs below: they unroot themselves from it
  wi::Instance::Ptr instance;
  std::vector<wi::Global::Ptr> globals;  // rooted once: the engine reads gas on every host call
  wi::Memory::Ptr memory;
  bool host_trapped = false;  // the current run ended in a host call's trap
};

wabt::Result InterpInstance::State::call_host(size_t import_index, const wi::FuncType& type,
                                              const wi::Values& params, wi::Values& results,
                                              wi::Trap::Ptr* out_trap) {
  // Module rules admit only i32 and i64 in host signatures.
  std::vector<uint64_t> args(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    args[i] = type.params[i] == wabt::Type::I32 ? params[i].Get<uint32_t>() : params[i].Get<uint64_t>();
  const std::optional<uint64_t> result = host_call(import_index, args);
  if (!result) {
    host_trapped = true;
    *out_trap = wi::Trap::New(store, "host function trapped");
    return wabt::Result::Error;
  }
  results.resize(type.results.size());
  if (!type.results.empty()) {
    results[0] = type.results[0] == wabt::Type::I32 ? wi::Value::Make(static_cast<uint32_t>(*result))
                                                    : wi::Value::Make(*result);
  }
  return wabt::Result::Ok;
}

std::optional<InterpTrap> InterpInstance::State::call(wi::Ref func_ref) {
  wi::Func::Ptr func(store, func_ref);
  wi::Thread thread(store);
  wi::Values params;
  wi::Values results;
  wi::Trap::Ptr trap;
  host_trapped = false;
  if (wabt::Succeeded(func->Call(thread, params, results, &trap))) return std::nullopt;
  return InterpTrap{host_trapped, trap ? trap->message() : std::string("trapped")};
}

std::variant<std::unique_ptr<InterpInstance>, std::string> InterpInstance::instantiate(
    std::shared_ptr<const InterpModule> module, InterpHostCall host_call) {
  auto state = std::make_unique<State>(std::move(module), std::move(host_call));
  State* self = state.get();  // owned by the InterpInstance: outlives the Store's host funcs
  const wi::ModuleDesc& desc = self->module->desc().module;
  wi::RefVec imports;
  for (size_t i = 0; i < desc.imports.size(); ++i) {
    const auto* type = wabt::cast<wi::FuncType>(desc.imports[i].type.type.get());
    auto func = wi::HostFunc::New(
        self->store, *type,
        [self, i, type](wi::Thread&, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* out_trap) {
          return self->call_host(i, *type, params, results, out_trap);
        });
    imports.push_back(func.ref());
  }
  wi::Module::Ptr instance_module = wi::Module::New(self->store, desc);
  wi::Trap::Ptr trap;
  self->instance = wi::Instance::Instantiate(self->store, instance_module.ref(), imports, &trap);
  if (!self->instance) return trap ? trap->message() : std::string("instantiation failed");
  for (wi::Ref global : self->instance->globals()) self->globals.emplace_back(self->store, global);
  self->memory = wi::Memory::Ptr(self->store, self->instance->memories().at(0));
  return std::make_unique<InterpInstance>(std::move(state));
}

InterpInstance::InterpInstance(std::unique_ptr<State> state) : state_(std::move(state)) {}
InterpInstance::~InterpInstance() = default;

std::optional<InterpTrap> InterpInstance::run_start() {
  const std::optional<wi::Index>& start_func = state_->module->desc().start_func;
  if (!start_func) return std::nullopt;
  return state_->call(state_->instance->funcs().at(*start_func));
}

std::optional<InterpTrap> InterpInstance::run_export(uint32_t export_index) {
  return state_->call(state_->instance->exports().at(export_index));
}

uint64_t InterpInstance::u64_global(uint32_t index) const {
  return state_->globals.at(index)->Get().Get<uint64_t>();
}

uint32_t InterpInstance::u32_global(uint32_t index) const {
  return state_->globals.at(index)->Get().Get<uint32_t>();
}

void InterpInstance::set_u64_global(uint32_t index, uint64_t value) {
  state_->globals.at(index)->UnsafeSet(wi::Value::Make(value));
}

uint8_t* InterpInstance::memory_data() { return state_->memory->UnsafeData(); }

size_t InterpInstance::memory_size() const { return static_cast<size_t>(state_->memory->ByteSize()); }

}  // namespace cairn::contracts
