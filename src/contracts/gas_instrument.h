// Gas and call-depth instrumentation of a contract module (docs/contracts.md §3 "Metering
// points", §4 "Instrumentation"), as a rewrite of wabt's IR of a module check_module()
// accepted. Everything is appended after the module's own types, globals and functions,
// so no index of the original module changes:
//
// - global `gas` (mutable i64, gas left) and function `charge(i64)`: when gas < the
//   argument it sets gas to kGasExhausted and executes `unreachable`, else subtracts;
// - `i64.const c; call charge` at the start of every metered segment of cost c > 0;
// - every `memory.grow` becomes a call to an appended function that charges
//   kGasPerPage × pages and then grows;
// - global `depth` (mutable i32): each defined function counts itself in on entry (trapping
//   with depth = kDepthExhausted when kMaxCallDepth frames are already active) and out on
//   exit. For that its body is wrapped in a block and each `return` becomes a `br` to it.
// - the memory gets a maximum of kMaxMemoryPages when it has none.
//
// Without metering only the depth counter and the memory maximum are added (the gas
// global too, so the host can still charge). Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <limits>

namespace wabt {
struct Module;
}

namespace cairn::contracts {

// The gas counter's value after `charge` ran out: a trap with it is out of gas.
inline constexpr uint64_t kGasExhausted = std::numeric_limits<uint64_t>::max();
// The depth counter's value after a call too deep: a trap with it is call stack exhaustion.
inline constexpr uint32_t kDepthExhausted = std::numeric_limits<uint32_t>::max();

struct Instrumentation {
  uint32_t gas_global = 0;    // index of the gas counter
  uint32_t depth_global = 0;  // index of the call depth counter
};

// Rewrites `module` in place. REQUIRES: check_module(module) passed.
Instrumentation instrument_module(wabt::Module& module, bool metering);

}  // namespace cairn::contracts
