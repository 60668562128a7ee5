#include "contracts/local_chain.h"

#include "contracts/wabt_engine.h"

namespace cairn::contracts {

namespace {

// Gas price of local transactions: any price runs the same (coins are not modelled).
constexpr uint64_t kLocalGasPrice = 1;

Transaction contract_transaction(PayloadKind kind, Bytes body, uint64_t serial) {
  Transaction tx;
  // One input makes the transaction well formed (a caller needs a coin); its outpoint is
  // made up, and unique per transaction.
  TxIn input;
  for (size_t i = 0; i < 8; ++i) input.prevout.txid.bytes[i] = static_cast<uint8_t>(serial >> (8 * i));
  tx.inputs.push_back(std::move(input));
  tx.payload = Payload{kind, std::move(body)};
  return tx;
}

}  // namespace

LocalChain::LocalChain()
    : engine_(make_wabt_engine()), executor_(*engine_), env_{1, kLocalGenesisTime + kLocalBlockSeconds} {}

Result<Execution> LocalChain::deploy(ByteSpan code, ByteSpan args, const Account& from, Amount value,
                                     uint64_t gas, const Hash256& salt, std::optional<Account> admin) {
  DeployBody body;
  body.gas = {gas, kLocalGasPrice};
  body.value = value;
  body.salt = salt;
  body.admin = admin;
  body.code.assign(code.begin(), code.end());
  body.args.assign(args.begin(), args.end());
  return run(contract_transaction(kDeployPayload, encode_deploy_body(body), transactions_), from);
}

Result<Execution> LocalChain::call(const ContractId& contract, std::string_view method, ByteSpan args,
                                   const Account& from, Amount value, uint64_t gas) {
  CallBody body;
  body.gas = {gas, kLocalGasPrice};
  body.value = value;
  body.contract = contract;
  body.method = std::string(method);
  body.args.assign(args.begin(), args.end());
  return run(contract_transaction(kCallPayload, encode_call_body(body), transactions_), from);
}

Result<Execution> LocalChain::upgrade(const ContractId& contract, ByteSpan code, const Account& from,
                                      uint64_t gas) {
  UpgradeBody body;
  body.gas = {gas, kLocalGasPrice};
  body.contract = contract;
  body.code.assign(code.begin(), code.end());
  return run(contract_transaction(kUpgradePayload, encode_upgrade_body(body), transactions_), from);
}

Result<Execution> LocalChain::query(const ContractId& contract, std::string_view method, ByteSpan args,
                                    const Account& from, uint64_t gas) {
  StateOverlay overlay(store_);
  return executor_.query(contract, method, args, from, gas, env_, overlay, options_);
}

Result<Execution> LocalChain::run(const Transaction& tx, const Account& from) {
  ++transactions_;
  StateOverlay overlay(store_);
  CAIRN_TRY(Execution execution, executor_.execute(tx, from, env_, overlay, options_));
  // A failed execution has reverted itself: its overlay holds no changes.
  store_.apply(overlay.changes());
  for (const TxOut& out : execution.transfers) received_[account_of(out.lock)] += out.value;
  next_block();
  return execution;
}

void LocalChain::next_block(uint64_t seconds) {
  env_.height += 1;
  env_.time += seconds;
}

std::optional<ContractRecord> LocalChain::record(const ContractId& contract) const {
  auto r = store_.record(contract);
  return r ? *r : std::nullopt;
}

std::optional<Bytes> LocalChain::storage(const ContractId& contract, ByteSpan key) const {
  auto r = store_.storage(contract, key);
  return r ? *r : std::nullopt;
}

Amount LocalChain::received(const Account& account) const {
  auto it = received_.find(account);
  return it == received_.end() ? 0 : it->second;
}

}  // namespace cairn::contracts
