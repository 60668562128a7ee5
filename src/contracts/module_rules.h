// Cairn's rules for contract modules (docs/contracts.md §4): the WebAssembly features a
// contract may use, the limits on its shape, and the two checks that enforce them.
//
// A module is checked in two passes. scan_code() streams the raw bytes through wabt's
// binary reader with Cairn's features (nothing is built, so hostile nesting cannot blow the
// native stack) and refuses floating-point instructions and block types, post-MVP
// instructions and deep block nesting. check_module() then looks at the decoded and
// validated wabt IR: imports, memory, table, globals, functions, locals, types, exports
// and data segments. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <wabt/feature.h>

#include "util/bytes.h"
#include "util/result.h"

namespace wabt {
struct Module;
}

namespace cairn::contracts {

// ---- limits (docs/contracts.md §4; kMaxCodeBytes is primitives/contract.h) ------------
inline constexpr uint64_t kMaxMemoryPages = 32;  // initial and maximum; no maximum means 32
inline constexpr size_t kMaxTables = 1;
inline constexpr uint64_t kMaxTableElements = 1'024;  // initial and maximum
inline constexpr size_t kMaxGlobals = 256;
inline constexpr size_t kMaxFunctions = 4'096;  // defined, imports not counted
inline constexpr uint64_t kMaxLocals = 1'024;   // per function, parameters included
inline constexpr size_t kMaxParams = 32;        // parameters, and results, per type
inline constexpr uint32_t kMaxCallDepth = 512;  // wasm frames per instance (gas_instrument.h)
inline constexpr size_t kMaxExports = 256;
inline constexpr size_t kMaxExportNameBytes = 64;
inline constexpr size_t kMaxDataSegments = 1'024;
// Not in docs/contracts.md §4 yet: block/loop/if nesting inside one function. wabt's IR,
// its binary writer and its destructors recurse once per nesting level, so an unbounded
// depth (a 256 KiB module can nest 128K blocks) would exhaust the native stack.
inline constexpr size_t kMaxBlockNesting = 1'024;

inline constexpr std::string_view kMemoryExportName = "memory";

// WebAssembly 1.0 plus mutable globals, sign extension and multi-value; everything else
// (bulk memory, reference types, saturating float-to-int, SIMD, threads, tail calls,
// exceptions, memory64, ...) off.
wabt::Features contract_features();

// Pass 1 over the original bytes: size, decoding with contract_features(), no float opcode
// or block type, nesting ≤ kMaxBlockNesting. The Error (invalid_argument) names the rule.
Status scan_code(ByteSpan code);

// Pass 2 over a module scan_code() accepted and wabt decoded and validated.
Status check_module(const wabt::Module& module);

}  // namespace cairn::contracts
