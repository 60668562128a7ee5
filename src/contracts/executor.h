// Runs contract transactions (deploy, call, upgrade) and read-only queries against a
// StateOverlay: intrinsic gas, module loading through a cache, instantiation, the host
// API (host_api.h), nested calls, and the outcome a receipt records (docs/contracts.md §7).
//
// The executor never fails a block: every outcome is an Execution with a status. An Error
// means the store failed (I/O, corruption) and the caller must stop.
//
// Not thread-safe (the module cache): one executor per thread. The Engine must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/contract_state.h"
#include "contracts/engine.h"
#include "primitives/contract.h"
#include "primitives/transaction.h"

namespace cairn::contracts {

// The block a transaction runs in.
struct BlockEnv {
  uint64_t height = 0;
  uint64_t time = 0;  // the header's timestamp
};

// One host call, for traces of local runs.
struct HostCallTrace {
  size_t depth = 0;  // 1 = the transaction's contract
  ContractId contract;
  HostFunction function = HostFunction::input_size;
  std::vector<uint64_t> args;
  uint64_t result = 0;
  uint64_t gas_before = 0;
  uint64_t gas_after = 0;
};

// Local runs only (`cairn contract test`, the gtest helper): never set on chain.
struct ExecOptions {
  std::function<void(std::string_view)> debug_log;  // debug_log output; ignored when empty
  std::vector<HostCallTrace>* trace = nullptr;      // host calls appended when set
};

struct Execution {
  ExecStatus status = ExecStatus::success;
  uint64_t gas_used = 0;  // ≤ the gas limit; intrinsic gas included
  ContractId contract;
  Bytes return_data;
  std::string message;  // why it failed, at most kMaxStatusMessageBytes
  std::vector<Event> events;
  // Payments to key and lock accounts, in the order made: the created outputs after the
  // refund (docs/contracts.md §2). Empty unless status is success.
  std::vector<TxOut> transfers;
};

// Modules kept loaded, by code hash.
inline constexpr size_t kDefaultModuleCacheEntries = 64;

class Executor {
 public:
  explicit Executor(const Engine& engine, size_t module_cache_entries = kDefaultModuleCacheEntries);

  // Runs `tx`, a contract transaction that passed check_contract_tx, sent by `caller`
  // (docs/contracts.md §1), in `state`: kept there on success, reverted otherwise.
  Result<Execution> execute(const Transaction& tx, const Account& caller, const BlockEnv& env,
                            StateOverlay& state, const ExecOptions& options = {});

  // A read-only call of `method` with `args` and `gas` (no value, no intrinsic gas): the
  // outcome as execute() would give it, with every state change reverted.
  Result<Execution> query(const ContractId& contract, std::string_view method, ByteSpan args,
                          const Account& caller, uint64_t gas, const BlockEnv& env, StateOverlay& state,
                          const ExecOptions& options = {});

 private:
  // One transaction's (or query's) frames and their shared context (executor.cpp).
  struct Run;

  // The loaded module of `code_hash`: from the cache, else the code in `state`, loaded. An
  // Error when the code is missing or no longer loads (the store is corrupt).
  Result<std::shared_ptr<const Module>> module_for(const StateOverlay& state, const Hash256& code_hash);
  // Keeps `module` in the cache as the most recently used.
  void remember(const std::shared_ptr<const Module>& module);

  Result<Execution> deploy(const Transaction& tx, const Account& caller, Run& run);
  Result<Execution> call(const Transaction& tx, const Account& caller, Run& run);
  Result<Execution> upgrade(const Transaction& tx, const Account& caller, StateOverlay& state);

  const Engine& engine_;
  size_t cache_entries_;
  std::list<Hash256> recent_;  // cached code hashes, most recently used first
  std::map<Hash256, std::pair<std::shared_ptr<const Module>, std::list<Hash256>::iterator>> modules_;
};

}  // namespace cairn::contracts
