#include "contracts/host_api.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "consensus/contract_rules.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace cairn::contracts {

namespace {

using HostResult = std::variant<uint64_t, Trap>;

constexpr uint64_t kNone = ~uint64_t{0};                 // i64 −1
constexpr uint64_t kNoneI32 = uint64_t{0xFFFF'FFFF};     // i32 −1, zero-extended
constexpr size_t kContractIdBytes = ContractId::size();  // 32
constexpr size_t kTopicBytes = Hash256::size();          // 32
constexpr size_t kPublicKeyBytes = PublicKey::size();    // 32
constexpr size_t kSignatureBytes = Signature::size();    // 64

// transfer() results (docs/contracts.md §5).
constexpr uint64_t kTransferDone = 0;
constexpr uint64_t kTransferTooLow = 1;
constexpr uint64_t kTransferNoContract = 2;
constexpr uint64_t kTransferBadArgument = 3;

Trap trap(std::string message) { return Trap{TrapKind::trapped, std::move(message)}; }

// An i32 argument: pointers and lengths are unsigned.
uint64_t u32_arg(uint64_t arg) { return static_cast<uint32_t>(arg); }

// A range [ptr, ptr + len) of memory; check_range traps when it is outside.
struct Range {
  uint64_t ptr = 0;
  uint64_t len = 0;
};
std::optional<Trap> check_range(Instance& instance, Range r, std::string_view what) {
  // ptr and len are below 2^32: the sum cannot wrap.
  const uint64_t size = instance.memory().size();
  if (r.ptr + r.len <= size) return std::nullopt;
  return trap(std::string(what) + ": range [" + std::to_string(r.ptr) + ", +" + std::to_string(r.len) +
              ") is outside memory of " + std::to_string(size) + " bytes");
}

std::span<uint8_t> view(Instance& instance, Range r) { return instance.memory().subspan(r.ptr, r.len); }

Bytes read_bytes(Instance& instance, Range r) {
  std::span<uint8_t> s = view(instance, r);
  return Bytes(s.begin(), s.end());
}

void write_bytes(Instance& instance, uint64_t ptr, ByteSpan bytes) {
  if (bytes.empty()) return;
  std::memcpy(instance.memory().data() + ptr, bytes.data(), bytes.size());
}

// Charges `gas` from the instance: an out-of-gas Trap (and gas left 0) when it has less.
std::optional<Trap> charge(Instance& instance, uint64_t gas) {
  const uint64_t left = instance.gas_left();
  if (left < gas) {
    instance.set_gas_left(0);
    return Trap{TrapKind::out_of_gas, "out of gas"};
  }
  instance.set_gas_left(left - gas);
  return std::nullopt;
}

// The gas of a host call that copies `bytes` bytes and costs `extra`.
uint64_t host_gas(uint64_t bytes, uint64_t extra = 0) {
  return kGasHostCall + kGasHostPerByte * bytes + extra;
}

std::optional<Trap> check_key(uint64_t key_len) {
  if (key_len >= 1 && key_len <= kMaxStorageKeyBytes) return std::nullopt;
  return trap("storage key of " + std::to_string(key_len) + " bytes: must be 1 to " +
              std::to_string(kMaxStorageKeyBytes));
}

}  // namespace

Amount free_balance(const ContractRecord& record) {
  const std::optional<Amount> deposit = storage_deposit(record.storage_bytes);
  if (!deposit || *deposit > record.balance) return 0;
  return record.balance - *deposit;
}

HostApi::HostApi(TxContext& tx, Frame frame, CallHandler nested_call)
    : tx_(tx), frame_(std::move(frame)), nested_call_(std::move(nested_call)) {}

Trap HostApi::store_failure(Error error) {
  if (!tx_.store_error) tx_.store_error = std::move(error);
  return trap("contract state unavailable");
}

std::variant<ContractRecord, Trap> HostApi::own_record() {
  auto record = tx_.state.record(frame_.contract);
  if (!record) return store_failure(record.error());
  if (!*record)
    return store_failure(
        Error{ErrorCode::not_found, "running contract " + frame_.contract.hex() + " has no record"});
  return **record;
}

HostResult HostApi::call(HostFunction function, std::span<const uint64_t> args, Instance& instance) {
  if (tx_.options.trace == nullptr) return dispatch(function, args, instance);
  // The entry goes in before the call runs, so a nested call's host calls follow it.
  std::vector<HostCallTrace>& trace = *tx_.options.trace;
  const size_t at = trace.size();
  trace.push_back(HostCallTrace{tx_.call_stack.size(), frame_.contract, function,
                                std::vector<uint64_t>(args.begin(), args.end()), 0, instance.gas_left(), 0});
  HostResult result = dispatch(function, args, instance);
  if (const uint64_t* value = std::get_if<uint64_t>(&result)) trace[at].result = *value;
  trace[at].gas_after = instance.gas_left();
  return result;
}

HostResult HostApi::dispatch(HostFunction function, std::span<const uint64_t> args, Instance& instance) {
  switch (function) {
    case HostFunction::input_size:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return uint64_t{frame_.input.size()};
    case HostFunction::input_copy: {
      const Range dst{u32_arg(args[0]), frame_.input.size()};
      if (auto t = check_range(instance, dst, "input_copy")) return *t;
      if (auto t = charge(instance, host_gas(dst.len))) return *t;
      write_bytes(instance, dst.ptr, frame_.input);
      return uint64_t{0};
    }
    case HostFunction::set_return: {
      const Range src{u32_arg(args[0]), u32_arg(args[1])};
      if (src.len > kMaxReturnDataBytes)
        return trap("set_return: " + std::to_string(src.len) + " bytes, at most " +
                    std::to_string(kMaxReturnDataBytes));
      if (auto t = check_range(instance, src, "set_return")) return *t;
      if (auto t = charge(instance, host_gas(src.len))) return *t;
      return_data_ = read_bytes(instance, src);
      return uint64_t{0};
    }
    case HostFunction::caller: {
      const Range dst{u32_arg(args[0]), kAccountBytes};
      if (auto t = check_range(instance, dst, "caller")) return *t;
      if (auto t = charge(instance, host_gas(dst.len))) return *t;
      write_bytes(instance, dst.ptr, encode(frame_.caller));
      return uint64_t{0};
    }
    case HostFunction::self_id: {
      const Range dst{u32_arg(args[0]), kContractIdBytes};
      if (auto t = check_range(instance, dst, "self_id")) return *t;
      if (auto t = charge(instance, host_gas(dst.len))) return *t;
      write_bytes(instance, dst.ptr, frame_.contract);
      return uint64_t{0};
    }
    case HostFunction::value:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return uint64_t{frame_.value};
    case HostFunction::block_height:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return tx_.env.height;
    case HostFunction::block_time:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return tx_.env.time;
    case HostFunction::balance: {
      if (auto t = charge(instance, host_gas(0))) return *t;
      auto record = own_record();
      if (Trap* t = std::get_if<Trap>(&record)) return std::move(*t);
      return uint64_t{std::get<ContractRecord>(record).balance};
    }
    case HostFunction::balance_of: {
      const Range src{u32_arg(args[0]), kContractIdBytes};
      if (auto t = check_range(instance, src, "balance_of")) return *t;
      if (auto t = charge(instance, host_gas(src.len))) return *t;
      ContractId id;
      std::copy_n(view(instance, src).begin(), kContractIdBytes, id.bytes.begin());
      auto record = tx_.state.record(id);
      if (!record) return store_failure(record.error());
      return *record ? uint64_t{(*record)->balance} : kNone;
    }
    case HostFunction::gas_left:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return instance.gas_left();
    case HostFunction::storage_read:
      return storage_read(args, instance);
    case HostFunction::storage_write:
      return storage_write(args, instance);
    case HostFunction::storage_remove:
      return storage_remove(args, instance);
    case HostFunction::emit:
      return emit(args, instance);
    case HostFunction::call:
      return nested_call(args, instance);
    case HostFunction::return_data_size:
      if (auto t = charge(instance, host_gas(0))) return *t;
      return uint64_t{last_call_return_.size()};
    case HostFunction::return_data_copy: {
      const Range dst{u32_arg(args[0]), last_call_return_.size()};
      if (auto t = check_range(instance, dst, "return_data_copy")) return *t;
      if (auto t = charge(instance, host_gas(dst.len))) return *t;
      write_bytes(instance, dst.ptr, last_call_return_);
      return uint64_t{0};
    }
    case HostFunction::transfer:
      return transfer(args, instance);
    case HostFunction::blake3: {
      const Range src{u32_arg(args[0]), u32_arg(args[1])};
      const Range dst{u32_arg(args[2]), Hash256::size()};
      if (auto t = check_range(instance, src, "blake3 input")) return *t;
      if (auto t = check_range(instance, dst, "blake3 output")) return *t;
      if (auto t = charge(instance, host_gas(src.len + dst.len))) return *t;
      const Hash256 digest = cairn::blake3(view(instance, src));
      write_bytes(instance, dst.ptr, digest);
      return uint64_t{0};
    }
    case HostFunction::ed25519_verify: {
      const Range key{u32_arg(args[0]), kPublicKeyBytes};
      const Range msg{u32_arg(args[1]), u32_arg(args[2])};
      const Range sig{u32_arg(args[3]), kSignatureBytes};
      if (auto t = check_range(instance, key, "ed25519_verify key")) return *t;
      if (auto t = check_range(instance, msg, "ed25519_verify message")) return *t;
      if (auto t = check_range(instance, sig, "ed25519_verify signature")) return *t;
      if (auto t = charge(instance, host_gas(key.len + msg.len + sig.len, kGasEd25519Verify))) return *t;
      PublicKey public_key;
      Signature signature;
      std::copy_n(view(instance, key).begin(), kPublicKeyBytes, public_key.bytes.begin());
      std::copy_n(view(instance, sig).begin(), kSignatureBytes, signature.bytes.begin());
      return uint64_t{verify(public_key, view(instance, msg), signature) ? 1u : 0u};
    }
    case HostFunction::abort: {
      const Range src{u32_arg(args[0]), u32_arg(args[1])};
      if (auto t = check_range(instance, src, "abort")) return *t;
      // Only the kept part of the message is copied (and charged).
      const Range kept{src.ptr, std::min<uint64_t>(src.len, kMaxStatusMessageBytes)};
      if (auto t = charge(instance, host_gas(kept.len))) return *t;
      std::span<uint8_t> text = view(instance, kept);
      return Trap{TrapKind::aborted, std::string(text.begin(), text.end())};
    }
    case HostFunction::debug_log: {
      const Range src{u32_arg(args[0]), u32_arg(args[1])};
      if (auto t = check_range(instance, src, "debug_log")) return *t;
      // Charged whether or not anyone listens: gas must not depend on local options.
      if (auto t = charge(instance, host_gas(src.len))) return *t;
      if (tx_.options.debug_log) {
        std::span<uint8_t> text = view(instance, src);
        tx_.options.debug_log(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
      }
      return uint64_t{0};
    }
  }
  return trap("unknown host function");
}

HostResult HostApi::storage_read(std::span<const uint64_t> args, Instance& instance) {
  const Range key{u32_arg(args[0]), u32_arg(args[1])};
  const Range dst{u32_arg(args[2]), u32_arg(args[3])};
  if (auto t = check_key(key.len)) return *t;
  if (auto t = check_range(instance, key, "storage_read key")) return *t;
  if (auto t = check_range(instance, dst, "storage_read destination")) return *t;
  auto value = tx_.state.storage(frame_.contract, view(instance, key));
  if (!value) return store_failure(value.error());
  const uint64_t copied = *value ? std::min<uint64_t>((*value)->size(), dst.len) : 0;
  if (auto t = charge(instance, host_gas(key.len + copied, kGasStorageRead))) return *t;
  if (!*value) return kNoneI32;
  write_bytes(instance, dst.ptr, ByteSpan(**value).first(copied));
  return uint64_t{(*value)->size()};
}

HostResult HostApi::storage_write(std::span<const uint64_t> args, Instance& instance) {
  const Range key{u32_arg(args[0]), u32_arg(args[1])};
  const Range value{u32_arg(args[2]), u32_arg(args[3])};
  if (auto t = check_key(key.len)) return *t;
  if (value.len > kMaxStorageValueBytes)
    return trap("storage value of " + std::to_string(value.len) + " bytes: at most " +
                std::to_string(kMaxStorageValueBytes));
  if (auto t = check_range(instance, key, "storage_write key")) return *t;
  if (auto t = check_range(instance, value, "storage_write value")) return *t;
  const uint64_t bytes = key.len + value.len;
  if (auto t = charge(instance, host_gas(bytes, kGasStorageWrite + kGasStorageWritePerByte * bytes)))
    return *t;

  auto record_or = own_record();
  if (Trap* t = std::get_if<Trap>(&record_or)) return std::move(*t);
  ContractRecord record = std::get<ContractRecord>(record_or);
  const Bytes key_bytes = read_bytes(instance, key);
  auto old = tx_.state.storage(frame_.contract, key_bytes);
  if (!old) return store_failure(old.error());
  // storage_bytes counts every entry, so it is at least the old entry's size.
  uint64_t storage_bytes = record.storage_bytes;
  if (*old) storage_bytes -= storage_entry_bytes(key_bytes.size(), (*old)->size());
  storage_bytes += storage_entry_bytes(key_bytes.size(), value.len);
  const std::optional<Amount> deposit = storage_deposit(storage_bytes);
  if (!deposit || *deposit > record.balance)
    return trap("storage deposit not covered: " + std::to_string(storage_bytes) + " bytes need " +
                (deposit ? std::to_string(*deposit) : std::string("more than all money")) + ", balance is " +
                std::to_string(record.balance));
  tx_.state.put_storage(frame_.contract, key_bytes, view(instance, value));
  record.storage_bytes = storage_bytes;
  tx_.state.put_record(frame_.contract, record);
  return uint64_t{0};
}

HostResult HostApi::storage_remove(std::span<const uint64_t> args, Instance& instance) {
  const Range key{u32_arg(args[0]), u32_arg(args[1])};
  if (auto t = check_key(key.len)) return *t;
  if (auto t = check_range(instance, key, "storage_remove key")) return *t;
  if (auto t = charge(instance, host_gas(key.len, kGasStorageRemove))) return *t;
  const Bytes key_bytes = read_bytes(instance, key);
  auto old = tx_.state.storage(frame_.contract, key_bytes);
  if (!old) return store_failure(old.error());
  if (!*old) return uint64_t{0};
  auto record_or = own_record();
  if (Trap* t = std::get_if<Trap>(&record_or)) return std::move(*t);
  ContractRecord record = std::get<ContractRecord>(record_or);
  record.storage_bytes -= storage_entry_bytes(key_bytes.size(), (*old)->size());
  tx_.state.erase_storage(frame_.contract, key_bytes);
  tx_.state.put_record(frame_.contract, record);
  return uint64_t{1};
}

HostResult HostApi::emit(std::span<const uint64_t> args, Instance& instance) {
  const uint64_t count = u32_arg(args[1]);
  const Range data{u32_arg(args[2]), u32_arg(args[3])};
  if (count > kMaxEventTopics)
    return trap("emit: " + std::to_string(count) + " topics, at most " + std::to_string(kMaxEventTopics));
  if (data.len > kMaxEventDataBytes)
    return trap("emit: " + std::to_string(data.len) + " data bytes, at most " +
                std::to_string(kMaxEventDataBytes));
  if (tx_.events.size() >= kMaxEventsPerTransaction)
    return trap("emit: more than " + std::to_string(kMaxEventsPerTransaction) + " events in one transaction");
  const Range topics{u32_arg(args[0]), count * kTopicBytes};
  if (auto t = check_range(instance, topics, "emit topics")) return *t;
  if (auto t = check_range(instance, data, "emit data")) return *t;
  if (auto t = charge(instance, host_gas(topics.len + data.len,
                                         kGasEmit + kGasEmitPerTopic * count + kGasEmitPerByte * data.len)))
    return *t;
  Event event;
  event.contract = frame_.contract;
  std::span<uint8_t> topic_bytes = view(instance, topics);
  for (uint64_t i = 0; i < count; ++i) {
    Hash256 topic;
    std::copy_n(topic_bytes.begin() + static_cast<ptrdiff_t>(i * kTopicBytes), kTopicBytes,
                topic.bytes.begin());
    event.topics.push_back(topic);
  }
  event.data = read_bytes(instance, data);
  tx_.events.push_back(std::move(event));
  return uint64_t{0};
}

HostResult HostApi::nested_call(std::span<const uint64_t> args, Instance& instance) {
  const Range id{u32_arg(args[0]), kContractIdBytes};
  const Range method{u32_arg(args[1]), u32_arg(args[2])};
  const Range input{u32_arg(args[3]), u32_arg(args[4])};
  if (auto t = check_range(instance, id, "call contract")) return *t;
  if (auto t = check_range(instance, method, "call method")) return *t;
  if (auto t = check_range(instance, input, "call input")) return *t;
  if (auto t = charge(instance, host_gas(id.len + method.len + input.len, kGasContractCall))) return *t;

  CallRequest request;
  std::copy_n(view(instance, id).begin(), kContractIdBytes, request.contract.bytes.begin());
  std::span<uint8_t> method_bytes = view(instance, method);
  request.method.assign(method_bytes.begin(), method_bytes.end());
  request.input = read_bytes(instance, input);
  request.value = args[5];
  const uint64_t left = instance.gas_left();
  request.gas = args[6] == 0 ? left : std::min(args[6], left);

  auto outcome = nested_call_(request);
  if (!outcome) return store_failure(outcome.error());
  instance.set_gas_left(left - std::min(outcome->gas_used, request.gas));
  last_call_return_ = std::move(outcome->return_data);
  return uint64_t{static_cast<uint8_t>(outcome->status)};
}

HostResult HostApi::transfer(std::span<const uint64_t> args, Instance& instance) {
  const Range account{u32_arg(args[0]), kAccountBytes};
  const Amount amount = args[1];
  if (auto t = check_range(instance, account, "transfer account")) return *t;
  if (auto t = charge(instance, host_gas(account.len, kGasTransfer))) return *t;

  auto to = decode_account(ByteSpan(view(instance, account)));
  if (!to || amount == 0 || !money_range(amount)) return kTransferBadArgument;
  auto record_or = own_record();
  if (Trap* t = std::get_if<Trap>(&record_or)) return std::move(*t);
  ContractRecord record = std::get<ContractRecord>(record_or);

  if (to->kind == AccountKind::contract) {
    auto target = tx_.state.record(to->hash);
    if (!target) return store_failure(target.error());
    if (!*target) return kTransferNoContract;
    if (free_balance(record) < amount) return kTransferTooLow;
    record.balance -= amount;
    tx_.state.put_record(frame_.contract, record);
    // Read again: the target may be this contract itself.
    auto credited = tx_.state.record(to->hash);
    if (!credited) return store_failure(credited.error());
    ContractRecord target_record = **credited;
    const std::optional<Amount> balance = checked_add(target_record.balance, amount);
    if (!balance)
      return store_failure(Error{ErrorCode::invalid_argument, "contract balance above all money"});
    target_record.balance = *balance;
    tx_.state.put_record(to->hash, target_record);
    return kTransferDone;
  }
  if (free_balance(record) < amount) return kTransferTooLow;
  record.balance -= amount;
  tx_.state.put_record(frame_.contract, record);
  tx_.transfers.push_back(TxOut{amount, *output_lock_of(*to)});
  return kTransferDone;
}

}  // namespace cairn::contracts
