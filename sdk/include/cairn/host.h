// The raw host functions of module "cairn" (docs/contracts.md §5), declared with their exact
// WebAssembly types: pointers and lengths are i32, amounts, heights and gas i64. Contracts
// normally use the typed wrappers of contract.h instead.
//
// When CAIRN_ABI_GEN is defined (the native ABI printer, abi.h) the same names are inline
// functions that trap: the printer compiles the contract's code but never runs it.
#pragma once

#include <stdint.h>

#ifdef CAIRN_ABI_GEN
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define CAIRN_HOST(name, ret, params) \
  inline ret name params { __builtin_trap(); }
#else
#define CAIRN_HOST(name, ret, params) \
  extern "C" __attribute__((import_module("cairn"), import_name(#name))) ret name params;
#endif

namespace cairn::host {

CAIRN_HOST(input_size, int32_t, ())
CAIRN_HOST(input_copy, void, (void* dst))
CAIRN_HOST(set_return, void, (const void* ptr, int32_t len))
CAIRN_HOST(caller, void, (void* dst))
CAIRN_HOST(self_id, void, (void* dst))
CAIRN_HOST(value, int64_t, ())
CAIRN_HOST(block_height, int64_t, ())
CAIRN_HOST(block_time, int64_t, ())
CAIRN_HOST(balance, int64_t, ())
CAIRN_HOST(balance_of, int64_t, (const void* id))
CAIRN_HOST(gas_left, int64_t, ())
CAIRN_HOST(storage_read, int32_t, (const void* key, int32_t key_len, void* dst, int32_t cap))
CAIRN_HOST(storage_write, void, (const void* key, int32_t key_len, const void* val, int32_t val_len))
CAIRN_HOST(storage_remove, int32_t, (const void* key, int32_t key_len))
CAIRN_HOST(emit, void, (const void* topics, int32_t count, const void* data, int32_t len))
CAIRN_HOST(call, int32_t,
           (const void* id, const void* method, int32_t method_len, const void* input, int32_t input_len,
            int64_t value, int64_t gas))
CAIRN_HOST(return_data_size, int32_t, ())
CAIRN_HOST(return_data_copy, void, (void* dst))
CAIRN_HOST(transfer, int32_t, (const void* account, int64_t amount))
CAIRN_HOST(blake3, void, (const void* ptr, int32_t len, void* dst))
CAIRN_HOST(ed25519_verify, int32_t, (const void* key, const void* msg, int32_t len, const void* sig))
CAIRN_HOST(abort, void, (const char* msg, int32_t len))
CAIRN_HOST(debug_log, void, (const char* msg, int32_t len))

}  // namespace cairn::host

#undef CAIRN_HOST
#ifdef CAIRN_ABI_GEN
#pragma GCC diagnostic pop
#endif
