#include "contracts/executor.h"

#include <algorithm>
#include <utility>

#include "consensus/contract_rules.h"
#include "contracts/host_api.h"

namespace cairn::contracts {

namespace {

constexpr std::string_view kInitMethod = "init";

std::string clip(std::string message) {
  if (message.size() > kMaxStatusMessageBytes) message.resize(kMaxStatusMessageBytes);
  return message;
}

ExecStatus status_of(TrapKind kind) {
  switch (kind) {
    case TrapKind::trapped:
      return ExecStatus::trapped;
    case TrapKind::out_of_gas:
      return ExecStatus::out_of_gas;
    case TrapKind::aborted:
      return ExecStatus::aborted;
  }
  return ExecStatus::trapped;
}

// Whether a call may name `method` of `module`: a well-formed, unreserved () -> () export.
bool callable(const Module& module, std::string_view method) {
  return is_method_name(method) && !is_reserved_method(method) && module.has_method(method);
}

Execution failed(ContractId contract, ExecStatus status, uint64_t gas_used, std::string message) {
  Execution out;
  out.status = status;
  out.gas_used = gas_used;
  out.contract = contract;
  out.message = clip(std::move(message));
  return out;
}

// What one frame's run came to.
struct FrameOutcome {
  ExecStatus status = ExecStatus::success;
  uint64_t gas_used = 0;  // all the frame's gas when out of gas
  Bytes return_data;
  std::string message;
};

}  // namespace

struct Executor::Run {
  Run(Executor& owner, StateOverlay& state, const BlockEnv& env, const ExecOptions& options)
      : executor(owner), tx{state, env, options, {}, {}, {}, std::nullopt} {}

  // Instantiates `module` with `gas` and runs `method` as `frame`'s contract.
  Result<FrameOutcome> run_frame(Frame frame, const std::shared_ptr<const Module>& module,
                                 std::string_view method, uint64_t gas) {
    const ContractId self = frame.contract;
    tx.call_stack.push_back(self);
    HostApi host(tx, std::move(frame),
                 [this, self](const CallRequest& request) { return nested(self, request); });
    std::optional<Trap> trap;
    uint64_t left = 0;
    bool instantiated = false;
    {
      auto instance = executor.engine_.instantiate(module, host, gas);
      if (Trap* t = std::get_if<Trap>(&instance)) {
        trap = std::move(*t);
      } else {
        instantiated = true;
        std::unique_ptr<Instance>& running = std::get<std::unique_ptr<Instance>>(instance);
        trap = running->run(method);
        left = std::min(running->gas_left(), gas);
      }
    }
    tx.call_stack.pop_back();
    if (tx.store_error) return *tx.store_error;

    FrameOutcome out;
    if (!trap) {
      out.gas_used = gas - left;
      out.return_data = host.return_data();
      return out;
    }
    out.status = status_of(trap->kind);
    // An instance that could not even be made (out of gas, or a trap in the start
    // function) has used all its gas: the engine does not report more.
    out.gas_used = (trap->kind == TrapKind::out_of_gas || !instantiated) ? gas : gas - left;
    out.message = clip(std::move(trap->message));
    return out;
  }

  // A contract's `call` (docs/contracts.md §5): checks, value, a new frame, and its
  // changes kept or undone.
  Result<CallOutcome> nested(const ContractId& caller, const CallRequest& request) {
    CallOutcome refused;
    refused.gas_used = 0;
    if (tx.call_stack.size() >= kMaxContractCallDepth) {
      refused.status = ExecStatus::call_depth;
      return refused;
    }
    if (std::find(tx.call_stack.begin(), tx.call_stack.end(), request.contract) != tx.call_stack.end()) {
      refused.status = ExecStatus::reentrancy;
      return refused;
    }
    CAIRN_TRY(std::optional<ContractRecord> callee, tx.state.record(request.contract));
    if (!callee) {
      refused.status = ExecStatus::no_contract;
      return refused;
    }
    CAIRN_TRY(std::shared_ptr<const Module> module, executor.module_for(tx.state, callee->code_hash));
    if (!callable(*module, request.method)) {
      refused.status = ExecStatus::no_method;
      return refused;
    }
    CAIRN_TRY(std::optional<ContractRecord> payer, tx.state.record(caller));
    if (!payer) return Error{ErrorCode::not_found, "running contract " + caller.hex() + " has no record"};
    if (free_balance(*payer) < request.value) {
      refused.status = ExecStatus::insufficient_value;
      return refused;
    }

    const size_t mark = tx.state.checkpoint();
    const size_t events = tx.events.size();
    const size_t transfers = tx.transfers.size();
    if (request.value > 0) {
      payer->balance -= request.value;
      tx.state.put_record(caller, *payer);
      callee->balance += request.value;  // ≤ all money: the coins came from the payer
      tx.state.put_record(request.contract, *callee);
    }
    Frame frame{request.contract, contract_account(caller), request.value, request.input};
    auto run = run_frame(std::move(frame), module, request.method, request.gas);
    if (!run || run->status != ExecStatus::success) {
      tx.state.revert(mark);
      tx.events.resize(events);
      tx.transfers.resize(transfers);
      if (!run) return run.error();
    } else {
      tx.state.release(mark);
    }
    CallOutcome out;
    out.status = run->status;
    out.gas_used = run->gas_used;
    if (run->status == ExecStatus::success) out.return_data = std::move(run->return_data);
    return out;
  }

  // The Execution of a frame run under checkpoint `mark`: kept on success, else reverted.
  // `base_gas` was used before the frame (intrinsic gas), `limit` is the transaction's.
  Execution finish(const ContractId& contract, size_t mark, FrameOutcome frame, uint64_t base_gas,
                   uint64_t limit) {
    if (frame.status == ExecStatus::success)
      tx.state.release(mark);
    else
      tx.state.revert(mark);
    return execution(contract, std::move(frame), base_gas, limit);
  }

  // The Execution of a frame run, without touching the state.
  Execution execution(const ContractId& contract, FrameOutcome frame, uint64_t base_gas, uint64_t limit) {
    if (frame.status != ExecStatus::success) {
      const uint64_t used = frame.status == ExecStatus::out_of_gas ? limit : base_gas + frame.gas_used;
      return failed(contract, frame.status, used, std::move(frame.message));
    }
    Execution out;
    out.gas_used = base_gas + frame.gas_used;
    out.contract = contract;
    out.return_data = std::move(frame.return_data);
    out.events = std::move(tx.events);
    out.transfers = std::move(tx.transfers);
    return out;
  }

  Executor& executor;
  TxContext tx;
};

Executor::Executor(const Engine& engine, size_t module_cache_entries)
    : engine_(engine), cache_entries_(module_cache_entries) {}

Result<std::shared_ptr<const Module>> Executor::module_for(const StateOverlay& state,
                                                           const Hash256& code_hash) {
  if (auto it = modules_.find(code_hash); it != modules_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.second);
    return it->second.first;
  }
  CAIRN_TRY(std::optional<Bytes> code, state.code(code_hash));
  if (!code) return Error{ErrorCode::not_found, "contract code " + code_hash.hex() + " is missing"};
  auto module = engine_.load(*code);
  if (!module)
    return Error{ErrorCode::decode,
                 "stored contract code " + code_hash.hex() + " does not load: " + module.error().message};
  remember(*module);
  return *module;
}

void Executor::remember(const std::shared_ptr<const Module>& module) {
  if (cache_entries_ == 0) return;
  const Hash256& hash = module->code_hash();
  if (auto it = modules_.find(hash); it != modules_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.second);
    return;
  }
  recent_.push_front(hash);
  modules_.emplace(hash, std::make_pair(module, recent_.begin()));
  if (modules_.size() > cache_entries_) {
    modules_.erase(recent_.back());
    recent_.pop_back();
  }
}

Result<Execution> Executor::execute(const Transaction& tx, const Account& caller, const BlockEnv& env,
                                    StateOverlay& state, const ExecOptions& options) {
  switch (tx.payload.kind) {
    case kDeployPayload: {
      Run run(*this, state, env, options);
      return deploy(tx, caller, run);
    }
    case kCallPayload: {
      Run run(*this, state, env, options);
      return call(tx, caller, run);
    }
    case kUpgradePayload:
      return upgrade(tx, caller, state);
    default:
      return Error{ErrorCode::invalid_argument, "not a contract transaction"};
  }
}

Result<Execution> Executor::deploy(const Transaction& tx, const Account& caller, Run& run) {
  CAIRN_TRY(DeployBody body, decode_deploy_body(tx.payload.body));
  StateOverlay& state = run.tx.state;
  const Hash256 code_hash = contract_code_hash(body.code);
  const ContractId id = contract_id(caller, body.salt, code_hash);
  const uint64_t intrinsic = intrinsic_gas(tx.payload.body.size(), body.code.size());
  if (body.gas.limit < intrinsic)
    return failed(id, ExecStatus::out_of_gas, body.gas.limit, "gas limit below intrinsic gas");

  auto module = engine_.load(body.code);
  if (!module) return failed(id, ExecStatus::invalid_module, intrinsic, module.error().message);
  remember(*module);
  CAIRN_TRY(std::optional<ContractRecord> existing, state.record(id));
  if (existing) return failed(id, ExecStatus::address_taken, intrinsic, "contract " + id.hex() + " exists");
  const bool has_init = (*module)->has_method(kInitMethod);
  if (!has_init && !body.args.empty())
    return failed(id, ExecStatus::no_method, intrinsic, "arguments given but the module exports no init");

  const size_t mark = state.checkpoint();
  ContractRecord record;
  record.code_hash = code_hash;
  record.admin = body.admin;
  record.balance = body.value;
  state.put_record(id, record);
  auto stored = state.code(code_hash);
  if (!stored) {
    state.revert(mark);
    return stored.error();
  }
  if (!*stored) state.put_code(code_hash, body.code);
  FrameOutcome outcome;
  if (has_init) {
    auto ran = run.run_frame(Frame{id, caller, body.value, std::move(body.args)}, *module, kInitMethod,
                             body.gas.limit - intrinsic);
    if (!ran) {
      state.revert(mark);
      return ran.error();
    }
    outcome = std::move(*ran);
  }
  return run.finish(id, mark, std::move(outcome), intrinsic, body.gas.limit);
}

Result<Execution> Executor::call(const Transaction& tx, const Account& caller, Run& run) {
  CAIRN_TRY(CallBody body, decode_call_body(tx.payload.body));
  StateOverlay& state = run.tx.state;
  const ContractId& id = body.contract;
  const uint64_t intrinsic = intrinsic_gas(tx.payload.body.size(), 0);
  if (body.gas.limit < intrinsic)
    return failed(id, ExecStatus::out_of_gas, body.gas.limit, "gas limit below intrinsic gas");

  CAIRN_TRY(std::optional<ContractRecord> record, state.record(id));
  if (!record) return failed(id, ExecStatus::no_contract, intrinsic, "no contract " + id.hex());
  CAIRN_TRY(std::shared_ptr<const Module> module, module_for(state, record->code_hash));
  if (!callable(*module, body.method))
    return failed(id, ExecStatus::no_method, intrinsic, "no callable method " + body.method);
  const std::optional<Amount> balance = checked_add(record->balance, body.value);
  if (!balance) return failed(id, ExecStatus::trapped, intrinsic, "contract balance above all money");

  const size_t mark = state.checkpoint();
  record->balance = *balance;
  state.put_record(id, *record);
  auto ran = run.run_frame(Frame{id, caller, body.value, std::move(body.args)}, module, body.method,
                           body.gas.limit - intrinsic);
  if (!ran) {
    state.revert(mark);
    return ran.error();
  }
  return run.finish(id, mark, std::move(*ran), intrinsic, body.gas.limit);
}

Result<Execution> Executor::upgrade(const Transaction& tx, const Account& caller, StateOverlay& state) {
  CAIRN_TRY(UpgradeBody body, decode_upgrade_body(tx.payload.body));
  const ContractId& id = body.contract;
  const uint64_t intrinsic = intrinsic_gas(tx.payload.body.size(), body.code.size());
  if (body.gas.limit < intrinsic)
    return failed(id, ExecStatus::out_of_gas, body.gas.limit, "gas limit below intrinsic gas");

  CAIRN_TRY(std::optional<ContractRecord> record, state.record(id));
  if (!record) return failed(id, ExecStatus::no_contract, intrinsic, "no contract " + id.hex());
  if (!record->admin) return failed(id, ExecStatus::immutable, intrinsic, "contract has no admin");
  if (*record->admin != caller)
    return failed(id, ExecStatus::not_admin, intrinsic, "caller is not the admin");
  auto module = engine_.load(body.code);
  if (!module) return failed(id, ExecStatus::invalid_module, intrinsic, module.error().message);
  remember(*module);

  const Hash256& code_hash = (*module)->code_hash();
  CAIRN_TRY(std::optional<Bytes> stored, state.code(code_hash));
  record->code_hash = code_hash;
  state.put_record(id, *record);
  if (!stored) state.put_code(code_hash, std::move(body.code));
  Execution out;
  out.gas_used = intrinsic;
  out.contract = id;
  return out;
}

Result<Execution> Executor::query(const ContractId& contract, std::string_view method, ByteSpan args,
                                  const Account& caller, uint64_t gas, const BlockEnv& env,
                                  StateOverlay& state, const ExecOptions& options) {
  CAIRN_TRY(std::optional<ContractRecord> record, state.record(contract));
  if (!record) return failed(contract, ExecStatus::no_contract, 0, "no contract " + contract.hex());
  CAIRN_TRY(std::shared_ptr<const Module> module, module_for(state, record->code_hash));
  if (!callable(*module, method))
    return failed(contract, ExecStatus::no_method, 0, "no callable method " + std::string(method));

  Run run(*this, state, env, options);
  const size_t mark = state.checkpoint();
  auto ran = run.run_frame(Frame{contract, caller, 0, Bytes(args.begin(), args.end())}, module, method, gas);
  if (!ran) {
    state.revert(mark);
    return ran.error();
  }
  state.revert(mark);
  return run.execution(contract, std::move(*ran), 0, gas);
}

}  // namespace cairn::contracts
