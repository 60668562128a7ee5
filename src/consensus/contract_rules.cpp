#include "consensus/contract_rules.h"

#include <limits>

namespace cairn {
namespace {

std::optional<ContractTxRejection> refuse(BlockError reason, std::string message) {
  return ContractTxRejection{reason, std::move(message)};
}

}  // namespace

uint64_t storage_entry_bytes(size_t key_bytes, size_t value_bytes) {
  return uint64_t{key_bytes} + uint64_t{value_bytes} + kStorageEntryOverhead;
}

std::optional<Amount> storage_deposit(uint64_t storage_bytes) {
  if (storage_bytes > kMaxMoney / kDepositPerByte) return std::nullopt;
  return storage_bytes * kDepositPerByte;
}

uint64_t intrinsic_gas(size_t payload_body_bytes, size_t code_bytes) {
  // Bodies are at most kMaxPayloadBytes: no overflow.
  return kGasTxBase + kGasPerPayloadByte * payload_body_bytes + kGasPerCodeByte * code_bytes;
}

uint64_t contract_intrinsic_gas(const Transaction& tx) {
  size_t code_bytes = 0;
  if (tx.payload.kind == kDeployPayload) code_bytes = decode_deploy_body(tx.payload.body)->code.size();
  if (tx.payload.kind == kUpgradePayload) code_bytes = decode_upgrade_body(tx.payload.body)->code.size();
  return intrinsic_gas(tx.payload.body.size(), code_bytes);
}

std::optional<Amount> max_gas_fee(const GasTerms& gas) {
  if (gas.price != 0 && gas.limit > kMaxMoney / gas.price) return std::nullopt;
  return gas.limit * gas.price;
}

std::optional<ContractTxRejection> check_contract_tx(const Transaction& tx, const BlockLimits& limits) {
  auto terms = contract_terms(tx.payload);
  if (!terms) return refuse(BlockError::bad_payload, terms.error().message);
  // The bodies decode: contract_terms decoded them.
  if (tx.payload.kind == kDeployPayload) {
    const auto admin = decode_deploy_body(tx.payload.body)->admin;
    if (admin && admin->kind == AccountKind::contract)
      return refuse(BlockError::bad_payload,
                    "a contract cannot be an admin (upgrades are signed transactions)");
  }
  if (tx.inputs.empty())
    return refuse(BlockError::bad_payload, "a contract transaction needs an input (its caller)");
  const uint64_t intrinsic = contract_intrinsic_gas(tx);
  if (terms->gas.limit < intrinsic) {
    return refuse(BlockError::bad_payload, "gas limit " + std::to_string(terms->gas.limit) +
                                               " is below the intrinsic gas " + std::to_string(intrinsic));
  }
  if (terms->gas.limit > limits.max_tx_gas) {
    return refuse(BlockError::bad_payload, "gas limit " + std::to_string(terms->gas.limit) + " is above " +
                                               std::to_string(limits.max_tx_gas));
  }
  if (!max_gas_fee(terms->gas)) return refuse(BlockError::bad_amount, "gas limit × gas price");
  if (terms->value > kMaxMoney) return refuse(BlockError::bad_amount, "value");
  return std::nullopt;
}

ContractSettlement settle_contract_tx(Amount inputs, Amount outputs, const ContractTerms& terms,
                                      uint64_t gas_used, bool succeeded) {
  // check_contract_tx and the pre-execution balance check keep every term in the money range.
  const Amount max_fee = *max_gas_fee(terms.gas);
  const Amount used_fee = gas_used * terms.gas.price;
  ContractSettlement settlement;
  settlement.fee = inputs - outputs - terms.value - max_fee + used_fee;
  settlement.refund = max_fee - used_fee + (succeeded ? 0 : terms.value);
  return settlement;
}

}  // namespace cairn
