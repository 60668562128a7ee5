// `cairn contract build`: the three steps of docs/contracts.md §9 "Building a contract"
// (clang++-14 for wasm32, wasm-ld-14, the native ABI printer), run as plain processes
// without a shell, producing NAME.wasm and NAME.abi.json (NAME = the source's stem).
//
// Reproducible: the same source and SDK with the same toolchain give identical bytes from
// any directory. The compiler runs in a fresh temporary directory, source and SDK
// directories are mapped to fixed names (-ffile-prefix-map, so __FILE__ and any debug
// info never hold the caller's paths), and the linker strips names (--strip-all).
//
// Not thread-safe (changes no global state, but runs child processes and waits for them).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::app {

inline constexpr const char* kContractCompiler = "clang++-14";
inline constexpr const char* kContractLinker = "wasm-ld-14";

struct ContractBuildOptions {
  std::filesystem::path source;
  std::filesystem::path out_dir;  // where NAME.wasm and NAME.abi.json go; empty: nowhere (verify)
  std::string sdk;                // --sdk; empty: $CAIRN_SDK, the installed SDK, the source tree's
};

struct ContractBuildOutput {
  std::string name;
  std::filesystem::path wasm;  // empty when not written
  std::filesystem::path abi;
  Bytes code;
  std::string abi_text;
};

// The SDK's include directory: `flag` when given, else $CAIRN_SDK, else
// <dir of the cairn binary>/../share/cairn/sdk/include, else the source tree's sdk/include.
// Error: none of them holds cairn/contract.h.
Result<std::filesystem::path> find_sdk(const std::string& flag);

// Runs the steps; an Error says which step failed, with the tool's messages, or which tool
// is missing and how to install it.
Result<ContractBuildOutput> build_contract_source(const ContractBuildOptions& options);

}  // namespace cairn::app
