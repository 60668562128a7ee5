// The consensus rules of contract transactions that need no chain state: the gas schedule
// (version 1), intrinsic gas, the stateless checks of a deploy, call or upgrade, and the
// value flow before and after execution. Normative text: docs/contracts.md §2 and §3.
// Pure functions and constants: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "consensus/block_error.h"
#include "consensus/params.h"
#include "primitives/contract.h"

namespace cairn {

// ---- gas schedule, version 1 (docs/contracts.md §3) ------------------------------------
inline constexpr uint32_t kGasScheduleVersion = 1;

inline constexpr uint64_t kGasTxBase = 10'000;
inline constexpr uint64_t kGasPerPayloadByte = 10;
inline constexpr uint64_t kGasPerCodeByte = 50;  // deploy and upgrade: validation, instrumentation
inline constexpr uint64_t kGasInstantiate = 1'000;
inline constexpr uint64_t kGasCodeBytesPerGas = 32;  // instantiation: code bytes / 32
inline constexpr uint64_t kGasPerPage = 1'000;       // initial pages and memory.grow
inline constexpr uint64_t kGasInstruction = 1;
inline constexpr uint64_t kGasCallInstruction = 5;
inline constexpr uint64_t kGasCallIndirectInstruction = 10;
inline constexpr uint64_t kGasHostCall = 50;
inline constexpr uint64_t kGasHostPerByte = 1;
inline constexpr uint64_t kGasStorageRead = 500;
inline constexpr uint64_t kGasStorageWrite = 2'000;
inline constexpr uint64_t kGasStorageWritePerByte = 10;
inline constexpr uint64_t kGasStorageRemove = 1'000;
inline constexpr uint64_t kGasEmit = 500;
inline constexpr uint64_t kGasEmitPerTopic = 100;
inline constexpr uint64_t kGasEmitPerByte = 4;
inline constexpr uint64_t kGasContractCall = 2'000;
inline constexpr uint64_t kGasTransfer = 2'000;
inline constexpr uint64_t kGasEd25519Verify = 3'000;

// ---- storage deposit and limits (docs/contracts.md §3, §5) -----------------------------
inline constexpr uint64_t kStorageEntryOverhead = 64;
inline constexpr Amount kDepositPerByte = 100;  // base units: 1 CAIRN per MB
inline constexpr size_t kMaxStorageKeyBytes = 256;
inline constexpr size_t kMaxStorageValueBytes = 65'536;
inline constexpr size_t kMaxContractCallDepth = 8;  // contracts on the call stack

// The bytes a storage entry occupies for the deposit.
uint64_t storage_entry_bytes(size_t key_bytes, size_t value_bytes);
// The deposit `storage_bytes` require; nullopt when it leaves the money range (the
// contract can never afford it).
std::optional<Amount> storage_deposit(uint64_t storage_bytes);

// Gas charged before anything runs: kGasTxBase + kGasPerPayloadByte × body bytes
// (+ kGasPerCodeByte × code bytes for deploy and upgrade). REQUIRES: a contract payload
// whose body decodes; `code_bytes` is its code's size (0 for a call).
uint64_t intrinsic_gas(size_t payload_body_bytes, size_t code_bytes);
// intrinsic_gas of a contract transaction. REQUIRES: its body decodes.
uint64_t contract_intrinsic_gas(const Transaction& tx);

// The stateless rules of one contract transaction (docs/contracts.md §2, rules 1–4): a
// payload that decodes, at least one input, intrinsic gas ≤ gas limit ≤ max_tx_gas,
// gas_limit × gas_price and value within the money range, no contract admin. The reason
// (bad_payload or bad_amount) and a message, or nullopt when it passes.
struct ContractTxRejection {
  BlockError reason;
  std::string message;
};
std::optional<ContractTxRejection> check_contract_tx(const Transaction& tx, const BlockLimits& limits);

// gas_limit × gas_price, or nullopt outside the money range.
std::optional<Amount> max_gas_fee(const GasTerms& gas);

// What a contract transaction's execution leaves to the UTXO side (§2 value flow).
struct ContractSettlement {
  Amount fee = 0;     // joins the block's fees
  Amount refund = 0;  // paid to the caller as the first created output when above zero
};
// REQUIRES: inputs ≥ outputs + value + max fee (checked before execution) and
// gas_used ≤ gas limit.
ContractSettlement settle_contract_tx(Amount inputs, Amount outputs, const ContractTerms& terms,
                                      uint64_t gas_used, bool succeeded);

}  // namespace cairn
