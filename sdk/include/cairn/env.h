// The call's context and the host's services behind typed functions (docs/contracts.md
// §5): caller, value, block, balances, transfers, hashes, signatures, nested calls.
#pragma once

#include <stdint.h>

#include "cairn/abi.h"
#include "cairn/core.h"
#include "cairn/host.h"
#include "cairn/memory.h"

namespace cairn {

// ---- The call's context ------------------------------------------------------------------

// Who called: the account of the transaction's first input, or the calling contract.
inline Account caller() {
  uint8_t raw[33];
  host::caller(raw);
  Account a;
  a.kind = raw[0];
  memcpy(a.hash.bytes, raw + 1, 32);
  return a;
}

inline Hash self_id() {
  Hash h;
  host::self_id(h.bytes);
  return h;
}
inline Account self() { return contract_account(self_id()); }

// Base units sent with this call (already in this contract's balance).
inline uint64_t value() { return static_cast<uint64_t>(host::value()); }
inline uint64_t block_height() { return static_cast<uint64_t>(host::block_height()); }
inline uint64_t block_time() { return static_cast<uint64_t>(host::block_time()); }
// This contract's balance, storage deposit included.
inline uint64_t balance() { return static_cast<uint64_t>(host::balance()); }
inline uint64_t gas_left() { return static_cast<uint64_t>(host::gas_left()); }

// Another contract's balance; false when there is no such contract.
inline bool balance_of(const Hash& contract, uint64_t& out) {
  int64_t b = host::balance_of(contract.bytes);
  if (b < 0) return false;
  out = static_cast<uint64_t>(b);
  return true;
}

// ---- Coins -------------------------------------------------------------------------------

// The host's transfer statuses (docs/contracts.md §5).
enum class TransferStatus : int32_t { done = 0, balance_too_low = 1, no_contract = 2, bad_account = 3 };

// Pays `amount` base units from this contract to `to`: a key or lock account receives an
// output when the transaction succeeds, a contract's balance grows at once.
inline TransferStatus transfer(const Account& to, uint64_t amount) {
  detail::refuse_in_view("a read-only method cannot transfer");
  require(amount <= static_cast<uint64_t>(INT64_MAX), "amount too large");
  uint8_t raw[33];
  raw[0] = to.kind;
  memcpy(raw + 1, to.hash.bytes, 32);
  return static_cast<TransferStatus>(host::transfer(raw, static_cast<int64_t>(amount)));
}

// transfer() that aborts the call unless the payment is made.
inline void pay(const Account& to, uint64_t amount) {
  require(transfer(to, amount) == TransferStatus::done, "transfer failed");
}

// ---- Hashes and signatures ---------------------------------------------------------------

inline Hash blake3(Bytes data) {
  Hash h;
  host::blake3(data.data, static_cast<int32_t>(data.size), h.bytes);
  return h;
}

// Ed25519 (docs/consensus.md §7): `key` 32 bytes, `signature` 64 bytes.
inline bool ed25519_verify(Bytes key, Bytes message, Bytes signature) {
  if (key.size != 32 || signature.size != 64) return false;
  return host::ed25519_verify(key.data, message.data, static_cast<int32_t>(message.size), signature.data) ==
         1;
}

// ---- Calls to other contracts ------------------------------------------------------------

// docs/contracts.md §7 statuses a nested call can return (0 = success).
struct CallResult {
  int32_t status = 0;
  Bytes output;  // the callee's return data
  bool ok() const { return status == 0; }
};

// Calls `method` of contract `id` with the canonical encoding `input`, sending `value` base
// units and at most `gas` gas (0: all that is left). A failed callee's changes are undone;
// this call continues with its status.
inline CallResult call(const Hash& id, String method, Bytes input, uint64_t value = 0, uint64_t gas = 0) {
  detail::refuse_in_view("a read-only method cannot call other contracts");
  require(value <= static_cast<uint64_t>(INT64_MAX) && gas <= static_cast<uint64_t>(INT64_MAX),
          "bad call terms");
  CallResult r;
  r.status =
      host::call(id.bytes, method.data, static_cast<int32_t>(method.size), input.data,
                 static_cast<int32_t>(input.size), static_cast<int64_t>(value), static_cast<int64_t>(gas));
  uint32_t n = static_cast<uint32_t>(host::return_data_size());
  auto* data = static_cast<uint8_t*>(alloc(n));
  if (n != 0) host::return_data_copy(data);
  r.output = Bytes{data, n};
  return r;
}

}  // namespace cairn
