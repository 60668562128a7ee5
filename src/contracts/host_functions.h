// The host functions a contract may import (module "cairn", docs/contracts.md §5): their
// names and exact WebAssembly types. The engine refuses any other import and dispatches
// calls by HostFunction; the executor (host_api.h) implements them. Constants only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::contracts {

inline constexpr std::string_view kHostModule = "cairn";

// Only i32 and i64 exist for contracts (no floats, docs/contracts.md §4).
enum class ValueType : uint8_t { i32, i64 };

// DO NOT REORDER: the index into kHostFunctions.
enum class HostFunction : uint8_t {
  input_size,
  input_copy,
  set_return,
  caller,
  self_id,
  value,
  block_height,
  block_time,
  balance,
  balance_of,
  gas_left,
  storage_read,
  storage_write,
  storage_remove,
  emit,
  call,
  return_data_size,
  return_data_copy,
  transfer,
  blake3,
  ed25519_verify,
  abort,
  debug_log,
};

inline constexpr size_t kMaxHostParams = 7;

struct HostSignature {
  HostFunction function;
  std::string_view name;
  uint8_t param_count;
  std::array<ValueType, kMaxHostParams> params;  // the first param_count are used
  std::optional<ValueType> result;
};

namespace detail {
using enum ValueType;
inline constexpr std::optional<ValueType> kNone = std::nullopt;
}  // namespace detail

inline constexpr std::array<HostSignature, 23> kHostFunctions{{
    {HostFunction::input_size, "input_size", 0, {}, detail::i32},
    {HostFunction::input_copy, "input_copy", 1, {detail::i32}, detail::kNone},
    {HostFunction::set_return, "set_return", 2, {detail::i32, detail::i32}, detail::kNone},
    {HostFunction::caller, "caller", 1, {detail::i32}, detail::kNone},
    {HostFunction::self_id, "self_id", 1, {detail::i32}, detail::kNone},
    {HostFunction::value, "value", 0, {}, detail::i64},
    {HostFunction::block_height, "block_height", 0, {}, detail::i64},
    {HostFunction::block_time, "block_time", 0, {}, detail::i64},
    {HostFunction::balance, "balance", 0, {}, detail::i64},
    {HostFunction::balance_of, "balance_of", 1, {detail::i32}, detail::i64},
    {HostFunction::gas_left, "gas_left", 0, {}, detail::i64},
    {HostFunction::storage_read,
     "storage_read",
     4,
     {detail::i32, detail::i32, detail::i32, detail::i32},
     detail::i32},
    {HostFunction::storage_write,
     "storage_write",
     4,
     {detail::i32, detail::i32, detail::i32, detail::i32},
     detail::kNone},
    {HostFunction::storage_remove, "storage_remove", 2, {detail::i32, detail::i32}, detail::i32},
    {HostFunction::emit, "emit", 4, {detail::i32, detail::i32, detail::i32, detail::i32}, detail::kNone},
    {HostFunction::call,
     "call",
     7,
     {detail::i32, detail::i32, detail::i32, detail::i32, detail::i32, detail::i64, detail::i64},
     detail::i32},
    {HostFunction::return_data_size, "return_data_size", 0, {}, detail::i32},
    {HostFunction::return_data_copy, "return_data_copy", 1, {detail::i32}, detail::kNone},
    {HostFunction::transfer, "transfer", 2, {detail::i32, detail::i64}, detail::i32},
    {HostFunction::blake3, "blake3", 3, {detail::i32, detail::i32, detail::i32}, detail::kNone},
    {HostFunction::ed25519_verify,
     "ed25519_verify",
     4,
     {detail::i32, detail::i32, detail::i32, detail::i32},
     detail::i32},
    {HostFunction::abort, "abort", 2, {detail::i32, detail::i32}, detail::kNone},
    {HostFunction::debug_log, "debug_log", 2, {detail::i32, detail::i32}, detail::kNone},
}};

// The signature of `name`, or nullptr when no host function has that name.
constexpr const HostSignature* find_host_function(std::string_view name) {
  for (const HostSignature& s : kHostFunctions)
    if (s.name == name) return &s;
  return nullptr;
}

constexpr const HostSignature& host_signature(HostFunction f) {
  return kHostFunctions[static_cast<size_t>(f)];
}

}  // namespace cairn::contracts
