// The host API (docs/contracts.md §5): the functions a contract imports from module
// `cairn`, served by a HostApi for one instance of one contract in one call frame.
//
// A HostApi holds the frame (contract, caller, value, input, return data) and shares with
// the other frames of the same transaction a TxContext (state overlay, block, events,
// transfers, the call stack). Nested `call`s are handed to the executor through a
// CallHandler. Every host function first checks its arguments (memory ranges and limits:
// a failure traps with a message), then charges its gas (docs/contracts.md §3), then acts.
//
// Not thread-safe: a HostApi lives on the stack of one executor run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "contracts/contract_state.h"
#include "contracts/engine.h"
#include "contracts/executor.h"
#include "primitives/contract.h"
#include "primitives/transaction.h"

namespace cairn::contracts {

// A contract's balance above its storage deposit: what may leave it (transfer, the value of
// a nested call).
Amount free_balance(const ContractRecord& record);

// What the frames of one transaction (or query) share.
struct TxContext {
  StateOverlay& state;
  BlockEnv env;
  const ExecOptions& options;
  std::vector<Event> events;           // emitted so far (a failed nested call truncates them)
  std::vector<TxOut> transfers;        // payments to key and lock accounts so far
  std::vector<ContractId> call_stack;  // the contracts running, the transaction's first
  // A store failure met by a host function: the run traps, and the executor returns this
  // Error instead of an Execution.
  std::optional<Error> store_error;
};

// One call frame: what a contract sees of the call that runs it.
struct Frame {
  ContractId contract;
  Account caller;  // the transaction's caller, or the calling contract
  Amount value = 0;
  Bytes input;
};

// A nested call, as the contract asked for it (gas already resolved: min(requested, left)).
struct CallRequest {
  ContractId contract;
  std::string method;
  Bytes input;
  Amount value = 0;
  uint64_t gas = 0;
};
struct CallOutcome {
  ExecStatus status = ExecStatus::success;
  uint64_t gas_used = 0;  // ≤ the request's gas
  Bytes return_data;      // empty unless status is success
};
// Runs a nested call for the frame's contract. An Error is a store failure.
using CallHandler = std::function<Result<CallOutcome>(const CallRequest&)>;

class HostApi final : public Host {
 public:
  // REQUIRES: `tx` outlives the HostApi.
  HostApi(TxContext& tx, Frame frame, CallHandler nested_call);

  std::variant<uint64_t, Trap> call(HostFunction function, std::span<const uint64_t> args,
                                    Instance& instance) override;

  // The frame's return data (set_return; the last call wins).
  const Bytes& return_data() const { return return_data_; }

 private:
  std::variant<uint64_t, Trap> dispatch(HostFunction function, std::span<const uint64_t> args,
                                        Instance& instance);

  std::variant<uint64_t, Trap> storage_read(std::span<const uint64_t> args, Instance& instance);
  std::variant<uint64_t, Trap> storage_write(std::span<const uint64_t> args, Instance& instance);
  std::variant<uint64_t, Trap> storage_remove(std::span<const uint64_t> args, Instance& instance);
  std::variant<uint64_t, Trap> emit(std::span<const uint64_t> args, Instance& instance);
  std::variant<uint64_t, Trap> nested_call(std::span<const uint64_t> args, Instance& instance);
  std::variant<uint64_t, Trap> transfer(std::span<const uint64_t> args, Instance& instance);

  // The frame contract's record (it exists while the frame runs), or a Trap after a store
  // failure (kept in tx_.store_error).
  std::variant<ContractRecord, Trap> own_record();
  Trap store_failure(Error error);

  TxContext& tx_;
  Frame frame_;
  CallHandler nested_call_;
  Bytes return_data_;
  Bytes last_call_return_;  // return_data_size / return_data_copy
};

}  // namespace cairn::contracts
