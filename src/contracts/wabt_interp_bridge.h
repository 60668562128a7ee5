// The one door to wabt's interpreter (wabt::interp) for Cairn's wabt engine.
//
// Why it exists: Debian's wabt 1.0.32 defines FreeList's destructors in
// wabt/interp/interp-inl.h as `FreeList<T>::~FreeList<T>()`, which GCC 12 refuses in C++20
// mode ("template-id not allowed for destructor", DR 2237; no flag turns the error off,
// while C++17 and clang accept it). So every use of wabt::interp lives in
// wabt_interp_bridge.cpp, which src/CMakeLists.txt compiles as C++17, and this header is
// valid C++17 and C++20 and includes no wabt interp header. When Debian's wabt compiles in
// C++20 with GCC, fold the bridge back into wabt_engine.cpp and drop the per-file flag.
//
// The bridge knows nothing of Cairn's host API, gas or trap kinds: it runs wasm and hands
// host calls to a callback as integers; wabt_engine.cpp gives them meaning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Not an interp header: ReadBinaryOptions and Errors, which compile as C++20.
#include <wabt/binary-reader.h>

namespace cairn::contracts {

// A module compiled for wabt's interpreter, with its start function taken out of the
// description: InterpInstance::run_start() runs it when the caller is ready (after setting
// the gas counter). Immutable once compiled: share it between threads freely.
class InterpModule {
 public:
  struct Desc;  // wabt::interp::ModuleDesc and what is read from it once

  explicit InterpModule(std::unique_ptr<const Desc> desc);
  ~InterpModule();
  InterpModule(const InterpModule&) = delete;
  InterpModule& operator=(const InterpModule&) = delete;

  // Field names of the imports, in import order: the index a host call reports.
  const std::vector<std::string>& import_names() const;
  // Index among all exports of the function exported as `name`.
  std::optional<uint32_t> find_func_export(std::string_view name) const;
  bool has_start() const;

  const Desc& desc() const { return *desc_; }  // opaque outside the bridge

 private:
  std::unique_ptr<const Desc> desc_;
};

// Reads `size` bytes of a validated module; nullptr when wabt refuses them (why in `errors`).
// Thread-safe.
std::shared_ptr<const InterpModule> compile_interp_module(const uint8_t* data, size_t size,
                                                          const wabt::ReadBinaryOptions& options,
                                                          wabt::Errors* errors);

// A call of a function import: the import's index in import_names() and its arguments (an
// i32 zero-extended, an i64 as is). Returns the result (truncated for an i32, ignored when
// the import has none), or nullopt to trap the run: the callback keeps why.
using InterpHostCall =
    std::function<std::optional<uint64_t>(size_t import_index, const std::vector<uint64_t>& args)>;

// Why a run stopped early.
struct InterpTrap {
  bool by_host = false;  // an InterpHostCall returned nullopt; else the wasm code trapped
  std::string message;   // wabt's trap message (a placeholder when by_host)
};

// An instantiated module in a wabt Store of its own, so nothing mutable is shared with
// other instances. Not thread-safe: one thread at a time.
class InterpInstance {
 public:
  struct State;  // the wabt Store and the handles into it

  // Instantiates without running the start function; on failure, wabt's reason.
  static std::variant<std::unique_ptr<InterpInstance>, std::string> instantiate(
      std::shared_ptr<const InterpModule> module, InterpHostCall host_call);

  explicit InterpInstance(std::unique_ptr<State> state);
  ~InterpInstance();
  InterpInstance(const InterpInstance&) = delete;
  InterpInstance& operator=(const InterpInstance&) = delete;

  // Runs the module's start function (nothing when it has none).
  std::optional<InterpTrap> run_start();
  // Runs the function at `export_index` (from InterpModule::find_func_export()).
  std::optional<InterpTrap> run_export(uint32_t export_index);

  // The value of global `index`, which must be an i64 (u64_global) or an i32 (u32_global).
  uint64_t u64_global(uint32_t index) const;
  uint32_t u32_global(uint32_t index) const;
  void set_u64_global(uint32_t index, uint64_t value);

  // Memory 0: valid until the next run (memory.grow may move it).
  uint8_t* memory_data();
  size_t memory_size() const;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cairn::contracts
