// The WebAssembly engine interface (DESIGN.md "Contracts"): load a module (decode,
// validate against docs/contracts.md §4, instrument with gas charges), instantiate it with a
// gas budget and a Host for its imports, and run its exports. wabt_engine.h is the one
// implementation; a faster engine can come later behind the same interface.
//
// Gas: one unsigned 64-bit counter per instance, "gas left". Instructions are charged per
// metered segment by the instrumented code; instantiation by instantiate(); host functions
// by the Host itself (through Instance::gas_left / set_gas_left). Running out of gas is a
// Trap of kind out_of_gas, and leaves gas_left() at 0.
//
// Thread-safety: an Engine and a loaded Module are immutable and may be shared between
// threads; an Instance belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "contracts/host_functions.h"
#include "crypto/hash.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::contracts {

// Why a run stopped before returning.
enum class TrapKind : uint8_t {
  trapped,     // a WebAssembly trap, or a host function refusing its arguments
  out_of_gas,  // the counter would go below zero
  aborted,     // the contract called `abort` (the message is its text)
};

struct Trap {
  TrapKind kind = TrapKind::trapped;
  std::string message;  // e.g. "integer divide by zero", "out of bounds memory access"
};

class Instance;

// The implementation of the host functions (host_functions.h), called by an instance for
// each import call on the instance's thread. `args` holds the call's arguments in order:
// an i32 as its 32-bit pattern zero-extended, an i64 as its 64-bit pattern. The return is
// the result's bit pattern (ignored for functions without a result) or a Trap that ends
// the run. The host charges its gas itself through `instance`.
class Host {
 public:
  virtual ~Host() = default;
  virtual std::variant<uint64_t, Trap> call(HostFunction function, std::span<const uint64_t> args,
                                            Instance& instance) = 0;
};

// A validated and instrumented module.
class Module {
 public:
  virtual ~Module() = default;
  // Of the original code (primitives/contract.h contract_code_hash).
  virtual const Hash256& code_hash() const = 0;
  // Of the original code, in bytes.
  virtual size_t code_size() const = 0;
  virtual uint32_t initial_pages() const = 0;
  // Whether the module exports a function `name` of type () -> ().
  virtual bool has_method(std::string_view name) const = 0;
  // The instrumented binary the instances run (tests and benchmarks look at it).
  virtual const Bytes& instrumented_code() const = 0;
};

class Instance {
 public:
  virtual ~Instance() = default;
  // Runs the export `method`. nullopt: it returned. REQUIRES: module has_method(method).
  // After a trap the instance must not run again.
  virtual std::optional<Trap> run(std::string_view method) = 0;
  virtual uint64_t gas_left() const = 0;
  virtual void set_gas_left(uint64_t gas) = 0;
  // The module's exported memory, valid until the next run or memory growth.
  virtual std::span<uint8_t> memory() = 0;
};

struct EngineOptions {
  // false: modules are loaded without gas instrumentation (benchmarks of the metering
  // overhead only; never on chain). Validation is the same.
  bool metering = true;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Decodes, validates (docs/contracts.md §4) and instruments `code`. A refused module is
  // an Error with code invalid_argument whose message names the rule broken ("floating
  // point instruction f32.add in function 3", "import env.foo is not a host function").
  virtual Result<std::shared_ptr<const Module>> load(ByteSpan code) const = 0;
  // A new instance of `module` with `gas` gas: charges instantiation (docs/contracts.md
  // §3) and runs the start function, if any. A Trap when either fails.
  virtual std::variant<std::unique_ptr<Instance>, Trap> instantiate(std::shared_ptr<const Module> module,
                                                                    Host& host, uint64_t gas) const = 0;
};

}  // namespace cairn::contracts
