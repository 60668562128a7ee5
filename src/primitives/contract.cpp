#include "primitives/contract.h"

#include <string>

#include "primitives/coin.h"

namespace cairn {
namespace {

void encode(Writer& w, const GasTerms& gas) {
  w.u64(gas.limit);
  w.u64(gas.price);
}

GasTerms decode_gas_terms(Reader& r) {
  GasTerms gas;
  gas.limit = r.u64("gas_limit");
  gas.price = r.u64("gas_price");
  return gas;
}

void encode_optional_account(Writer& w, const std::optional<Account>& account) {
  w.u8(account ? 1 : 0);
  if (account) encode(w, *account);
}

std::optional<Account> decode_optional_account(Reader& r, const char* field) {
  if (!r.flag(field)) return std::nullopt;
  return decode_account(r);
}

std::string decode_method(Reader& r) {
  const Bytes raw = r.bytes("method", kMaxMethodNameBytes);
  std::string name(raw.begin(), raw.end());
  if (r.ok() && !is_method_name(name))
    r.fail(ErrorCode::decode, "method", "not a method name (1-64 of a-z 0-9 _, not starting with a digit)");
  return name;
}

}  // namespace

bool is_contract_payload(PayloadKind kind) {
  return kind == kDeployPayload || kind == kCallPayload || kind == kUpgradePayload;
}

Account account_of(const OutputLock& lock) {
  return Account{static_cast<AccountKind>(static_cast<uint8_t>(lock.kind)), lock.hash};
}

Account contract_account(const ContractId& id) { return Account{AccountKind::contract, id}; }

std::optional<OutputLock> output_lock_of(const Account& account) {
  if (account.kind == AccountKind::contract) return std::nullopt;
  return OutputLock{static_cast<OutputLockKind>(static_cast<uint8_t>(account.kind)), account.hash};
}

void encode(Writer& w, const Account& account) {
  w.u8(static_cast<uint8_t>(account.kind));
  w.raw(account.hash);
}

Account decode_account(Reader& r) {
  Account account;
  const uint8_t kind = r.u8("account.kind");
  if (r.ok() && (kind < 1 || kind > 3))
    r.fail(ErrorCode::decode, "account.kind", "unknown account kind " + std::to_string(kind));
  account.kind = static_cast<AccountKind>(kind);
  account.hash = r.fixed<32>("account.hash");
  return account;
}

Bytes encode(const Account& account) {
  Writer w;
  encode(w, account);
  return w.take();
}

Result<Account> decode_account(ByteSpan bytes) {
  return decode_exact<Account>(bytes, [](Reader& r) { return decode_account(r); });
}

Hash256 contract_code_hash(ByteSpan code) { return hash(HashContext::contract_code, code); }

ContractId contract_id(const Account& deployer, const Hash256& salt, const Hash256& code_hash) {
  Writer w;
  encode(w, deployer);
  w.raw(salt);
  w.raw(code_hash);
  return hash(HashContext::contract_id, w.data());
}

bool is_method_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMethodNameBytes) return false;
  if (name[0] >= '0' && name[0] <= '9') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_reserved_method(std::string_view name) { return name == "init" || name.starts_with("cairn_"); }

Bytes encode_deploy_body(const DeployBody& body) {
  Writer w;
  encode(w, body.gas);
  w.u64(body.value);
  w.raw(body.salt);
  encode_optional_account(w, body.admin);
  w.bytes(body.code);
  w.bytes(body.args);
  return w.take();
}

Bytes encode_call_body(const CallBody& body) {
  Writer w;
  encode(w, body.gas);
  w.u64(body.value);
  w.raw(body.contract);
  w.bytes(as_bytes(body.method));
  w.bytes(body.args);
  return w.take();
}

Bytes encode_upgrade_body(const UpgradeBody& body) {
  Writer w;
  encode(w, body.gas);
  w.raw(body.contract);
  w.bytes(body.code);
  return w.take();
}

Result<DeployBody> decode_deploy_body(ByteSpan body) {
  return decode_exact<DeployBody>(body, [](Reader& r) {
    DeployBody b;
    b.gas = decode_gas_terms(r);
    b.value = r.u64("value");
    b.salt = r.fixed<32>("salt");
    b.admin = decode_optional_account(r, "has_admin");
    b.code = r.bytes("code", kMaxCodeBytes);
    b.args = r.bytes("args", kMaxPayloadBytes);
    return b;
  });
}

Result<CallBody> decode_call_body(ByteSpan body) {
  return decode_exact<CallBody>(body, [](Reader& r) {
    CallBody b;
    b.gas = decode_gas_terms(r);
    b.value = r.u64("value");
    b.contract = r.fixed<32>("contract");
    b.method = decode_method(r);
    b.args = r.bytes("args", kMaxPayloadBytes);
    return b;
  });
}

Result<UpgradeBody> decode_upgrade_body(ByteSpan body) {
  return decode_exact<UpgradeBody>(body, [](Reader& r) {
    UpgradeBody b;
    b.gas = decode_gas_terms(r);
    b.contract = r.fixed<32>("contract");
    b.code = r.bytes("code", kMaxCodeBytes);
    return b;
  });
}

Result<ContractTerms> contract_terms(const Payload& payload) {
  switch (payload.kind) {
    case kDeployPayload: {
      CAIRN_TRY(auto body, decode_deploy_body(payload.body));
      return ContractTerms{body.gas, body.value};
    }
    case kCallPayload: {
      CAIRN_TRY(auto body, decode_call_body(payload.body));
      return ContractTerms{body.gas, body.value};
    }
    case kUpgradePayload: {
      CAIRN_TRY(auto body, decode_upgrade_body(payload.body));
      return ContractTerms{body.gas, 0};
    }
    default:
      return Error{ErrorCode::invalid_argument, "not a contract transaction"};
  }
}

void encode(Writer& w, const ContractRecord& record) {
  w.u8(kContractRecordVersion);
  w.raw(record.code_hash);
  encode_optional_account(w, record.admin);
  w.u64(record.balance);
  w.u64(record.storage_bytes);
}

ContractRecord decode_contract_record(Reader& r) {
  ContractRecord record;
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kContractRecordVersion)
    r.fail(ErrorCode::decode, "version", "unknown contract record version " + std::to_string(version));
  record.code_hash = r.fixed<32>("code_hash");
  record.admin = decode_optional_account(r, "has_admin");
  record.balance = r.u64("balance");
  record.storage_bytes = r.u64("storage_bytes");
  return record;
}

Bytes encode(const ContractRecord& record) {
  Writer w;
  encode(w, record);
  return w.take();
}

Result<ContractRecord> decode_contract_record(ByteSpan bytes) {
  return decode_exact<ContractRecord>(bytes, [](Reader& r) { return decode_contract_record(r); });
}

Bytes contract_state_element(const ContractId& id, const ContractRecord& record) {
  Writer w;
  w.u8(static_cast<uint8_t>(StateElementKind::contract));
  w.raw(id);
  encode(w, record);
  return w.take();
}

Bytes storage_state_element(const ContractId& id, ByteSpan key, ByteSpan value) {
  Writer w;
  w.u8(static_cast<uint8_t>(StateElementKind::contract_storage));
  w.raw(id);
  w.bytes(key);
  w.bytes(value);
  return w.take();
}

const char* to_string(ExecStatus status) {
  switch (status) {
    case ExecStatus::success:
      return "success";
    case ExecStatus::trapped:
      return "trapped";
    case ExecStatus::out_of_gas:
      return "out_of_gas";
    case ExecStatus::aborted:
      return "aborted";
    case ExecStatus::invalid_module:
      return "invalid_module";
    case ExecStatus::address_taken:
      return "address_taken";
    case ExecStatus::no_contract:
      return "no_contract";
    case ExecStatus::no_method:
      return "no_method";
    case ExecStatus::not_admin:
      return "not_admin";
    case ExecStatus::immutable:
      return "immutable";
    case ExecStatus::reentrancy:
      return "reentrancy";
    case ExecStatus::call_depth:
      return "call_depth";
    case ExecStatus::insufficient_value:
      return "insufficient_value";
  }
  return "unknown";
}

void encode(Writer& w, const Event& event) {
  w.raw(event.contract);
  w.varint(event.topics.size());
  for (const Hash256& topic : event.topics) w.raw(topic);
  w.bytes(event.data);
}

Event decode_event(Reader& r) {
  Event event;
  event.contract = r.fixed<32>("contract");
  const size_t topics = r.count("topics", kMaxEventTopics);
  for (size_t i = 0; i < topics && r.ok(); ++i) event.topics.push_back(r.fixed<32>("topic"));
  event.data = r.bytes("data", kMaxEventDataBytes);
  return event;
}

Bytes encode(const Receipt& receipt) {
  Writer w;
  w.u8(kReceiptVersion);
  w.u8(static_cast<uint8_t>(receipt.status));
  w.u64(receipt.gas_used);
  w.raw(receipt.contract);
  w.bytes(receipt.return_data);
  w.bytes(as_bytes(receipt.message));
  w.varint(receipt.events.size());
  for (const Event& event : receipt.events) encode(w, event);
  w.u32(receipt.created_outputs);
  return w.take();
}

Result<Receipt> decode_receipt(ByteSpan bytes) {
  return decode_exact<Receipt>(bytes, [](Reader& r) {
    Receipt receipt;
    const uint8_t version = r.u8("version");
    if (r.ok() && version != kReceiptVersion)
      r.fail(ErrorCode::decode, "version", "unknown receipt version " + std::to_string(version));
    const uint8_t status = r.u8("status");
    if (r.ok() && status > kMaxExecStatus)
      r.fail(ErrorCode::decode, "status", "unknown status " + std::to_string(status));
    receipt.status = static_cast<ExecStatus>(status);
    receipt.gas_used = r.u64("gas_used");
    receipt.contract = r.fixed<32>("contract");
    receipt.return_data = r.bytes("return_data", kMaxReturnDataBytes);
    const Bytes message = r.bytes("message", kMaxStatusMessageBytes);
    receipt.message.assign(message.begin(), message.end());
    const size_t events = r.count("events", kMaxEventsPerTransaction);
    for (size_t i = 0; i < events && r.ok(); ++i) {
      auto scope = r.scope("events", static_cast<int64_t>(i));
      receipt.events.push_back(decode_event(r));
    }
    receipt.created_outputs = r.u32("created_outputs");
    return receipt;
  });
}

}  // namespace cairn
