// An in-memory chain for running contracts outside a node: the same engine, gas, host API
// and executor as cairnd, over a MemoryContractStore. Each deploy, call or upgrade is a
// real contract Transaction (so intrinsic gas is the chain's) executed in its own block;
// the caller's coins are not modelled (every caller can pay). What `cairn contract test`
// and the gtest helper run, with debug_log output and host-call traces available.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "contracts/contract_state.h"
#include "contracts/engine.h"
#include "contracts/executor.h"
#include "primitives/contract.h"

namespace cairn::contracts {

inline constexpr uint64_t kLocalDefaultGas = 10'000'000;
inline constexpr uint64_t kLocalGenesisTime = 1'764'547'200;
inline constexpr uint64_t kLocalBlockSeconds = 120;

class LocalChain {
 public:
  LocalChain();

  // Deploys `code` (execution.contract is the new id on success).
  Result<Execution> deploy(ByteSpan code, ByteSpan args, const Account& from, Amount value = 0,
                           uint64_t gas = kLocalDefaultGas, const Hash256& salt = {},
                           std::optional<Account> admin = std::nullopt);
  Result<Execution> call(const ContractId& contract, std::string_view method, ByteSpan args,
                         const Account& from, Amount value = 0, uint64_t gas = kLocalDefaultGas);
  Result<Execution> upgrade(const ContractId& contract, ByteSpan code, const Account& from,
                            uint64_t gas = kLocalDefaultGas);
  // Read-only: nothing it does is kept.
  Result<Execution> query(const ContractId& contract, std::string_view method, ByteSpan args,
                          const Account& from = {}, uint64_t gas = kLocalDefaultGas);

  // Moves to the next block: height + 1, time + `seconds`.
  void next_block(uint64_t seconds = kLocalBlockSeconds);
  const BlockEnv& env() const { return env_; }

  std::optional<ContractRecord> record(const ContractId& contract) const;
  std::optional<Bytes> storage(const ContractId& contract, ByteSpan key) const;
  // Coins paid to a key or lock account by contract transfers so far (refunds are not
  // counted: the caller's own coins are not modelled).
  Amount received(const Account& account) const;

  // Local-run options for every later execution: debug_log output and traces.
  ExecOptions& options() { return options_; }

 private:
  // Executes `tx` from `from` in the present block, keeps what it changed, and moves to the
  // next block.
  Result<Execution> run(const Transaction& tx, const Account& from);

  std::unique_ptr<Engine> engine_;
  MemoryContractStore store_;
  Executor executor_;
  std::map<Account, Amount> received_;
  uint64_t transactions_ = 0;  // makes every transaction's dummy input distinct
  BlockEnv env_;
  ExecOptions options_;
};

}  // namespace cairn::contracts
