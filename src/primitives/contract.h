// Contract transactions (deploy, call, upgrade), accounts, contract ids, the contract
// record and storage state elements, and receipts, with their canonical encodings.
// Normative text: docs/contracts.md §1, §2, §6 and §8. Values only: thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "primitives/amount.h"
#include "primitives/lock.h"
#include "primitives/transaction.h"
#include "util/codec.h"

namespace cairn {

// The payload kinds of contract transactions (transaction.h).
inline constexpr PayloadKind kDeployPayload = PayloadKind::deploy;
inline constexpr PayloadKind kCallPayload = PayloadKind::call;
inline constexpr PayloadKind kUpgradePayload = PayloadKind::upgrade;

bool is_contract_payload(PayloadKind kind);

// Decoding limits of contract bodies (docs/contracts.md §2, §4).
inline constexpr size_t kMaxCodeBytes = 262'144;
inline constexpr size_t kMaxMethodNameBytes = 64;

using ContractId = Hash256;

// DO NOT CHANGE THESE VALUES: consensus. 1 and 2 are OutputLockKind's values.
enum class AccountKind : uint8_t {
  key = 1,       // a key hash: coins paid to it are key_hash outputs
  lock = 2,      // a lock hash: coins paid to it are lock_hash outputs
  contract = 3,  // a contract id: coins paid to it join the contract's balance
};

// Whoever can hold coins: an output lock or a contract (33 bytes encoded).
struct Account {
  AccountKind kind = AccountKind::key;
  Hash256 hash;
  auto operator<=>(const Account&) const = default;
};
inline constexpr size_t kAccountBytes = 33;

Account account_of(const OutputLock& lock);
Account contract_account(const ContractId& id);
// The output lock of a key or lock account; nullopt for a contract.
std::optional<OutputLock> output_lock_of(const Account& account);

void encode(Writer& w, const Account& account);
Account decode_account(Reader& r);
Bytes encode(const Account& account);
Result<Account> decode_account(ByteSpan bytes);

// H("cairn v1 contract code", original module bytes).
Hash256 contract_code_hash(ByteSpan code);
// H("cairn v1 contract id", deployer ‖ salt ‖ code hash).
ContractId contract_id(const Account& deployer, const Hash256& salt, const Hash256& code_hash);

// Whether `name` may be a call's method: 1..64 bytes of [a-z0-9_], not starting with a
// digit. Reserved names (init, cairn_*) are well formed: calling them fails at run time.
bool is_method_name(std::string_view name);
// init and cairn_*: exports a call transaction may not name.
bool is_reserved_method(std::string_view name);

struct GasTerms {
  uint64_t limit = 0;
  uint64_t price = 0;  // base units per gas
  bool operator==(const GasTerms&) const = default;
};

struct DeployBody {
  GasTerms gas;
  Amount value = 0;  // moved to the new contract's balance
  Hash256 salt;
  std::optional<Account> admin;  // nullopt: immutable; never a contract (bad_payload)
  Bytes code;                    // the original module, at most kMaxCodeBytes
  Bytes args;                    // the constructor's input
  bool operator==(const DeployBody&) const = default;
};

struct CallBody {
  GasTerms gas;
  Amount value = 0;
  ContractId contract;
  std::string method;  // is_method_name()
  Bytes args;
  bool operator==(const CallBody&) const = default;
};

struct UpgradeBody {
  GasTerms gas;
  ContractId contract;
  Bytes code;  // at most kMaxCodeBytes
  bool operator==(const UpgradeBody&) const = default;
};

Bytes encode_deploy_body(const DeployBody& body);
Bytes encode_call_body(const CallBody& body);
Bytes encode_upgrade_body(const UpgradeBody& body);
// Strict: exactly one body, no trailing bytes, limits and method names checked.
Result<DeployBody> decode_deploy_body(ByteSpan body);
Result<CallBody> decode_call_body(ByteSpan body);
Result<UpgradeBody> decode_upgrade_body(ByteSpan body);

// What every contract transaction has in common, read from its payload.
struct ContractTerms {
  GasTerms gas;
  Amount value = 0;  // 0 for upgrade
  bool operator==(const ContractTerms&) const = default;
};
// The terms of a deploy, call or upgrade transaction; an Error for any other payload or a
// body that does not decode.
Result<ContractTerms> contract_terms(const Payload& payload);

inline constexpr uint8_t kContractRecordVersion = 1;

// A contract in the chain state (docs/contracts.md §6).
struct ContractRecord {
  Hash256 code_hash;
  std::optional<Account> admin;  // nullopt: immutable
  Amount balance = 0;            // storage deposit included
  uint64_t storage_bytes = 0;    // Σ len(key) + len(value) + kStorageEntryOverhead
  bool operator==(const ContractRecord&) const = default;
};

void encode(Writer& w, const ContractRecord& record);
ContractRecord decode_contract_record(Reader& r);
Bytes encode(const ContractRecord& record);
Result<ContractRecord> decode_contract_record(ByteSpan bytes);

// State elements (docs/contracts.md §6): 4 ‖ id ‖ record, and 5 ‖ id ‖ key ‖ value.
Bytes contract_state_element(const ContractId& id, const ContractRecord& record);
Bytes storage_state_element(const ContractId& id, ByteSpan key, ByteSpan value);

// Receipts (docs/contracts.md §7, §8). DO NOT CHANGE THESE VALUES: stored and reported.
enum class ExecStatus : uint8_t {
  success = 0,
  trapped = 1,
  out_of_gas = 2,
  aborted = 3,
  invalid_module = 4,
  address_taken = 5,
  no_contract = 6,
  no_method = 7,
  not_admin = 8,
  immutable = 9,
  reentrancy = 10,
  call_depth = 11,
  insufficient_value = 12,
};
inline constexpr uint8_t kMaxExecStatus = 12;
const char* to_string(ExecStatus status);

inline constexpr size_t kMaxEventTopics = 4;
inline constexpr size_t kMaxEventDataBytes = 4'096;
inline constexpr size_t kMaxEventsPerTransaction = 64;
inline constexpr size_t kMaxReturnDataBytes = 65'536;
inline constexpr size_t kMaxStatusMessageBytes = 256;

struct Event {
  ContractId contract;
  std::vector<Hash256> topics;  // at most kMaxEventTopics
  Bytes data;                   // at most kMaxEventDataBytes
  bool operator==(const Event&) const = default;
};

inline constexpr uint8_t kReceiptVersion = 1;

struct Receipt {
  ExecStatus status = ExecStatus::success;
  uint64_t gas_used = 0;
  ContractId contract;
  Bytes return_data;
  std::string message;  // why it failed, at most kMaxStatusMessageBytes
  std::vector<Event> events;
  uint32_t created_outputs = 0;  // the first has index = the transaction's output count
  bool operator==(const Receipt&) const = default;
};

void encode(Writer& w, const Event& event);
Event decode_event(Reader& r);
Bytes encode(const Receipt& receipt);
Result<Receipt> decode_receipt(ByteSpan bytes);

}  // namespace cairn
