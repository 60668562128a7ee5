// Contracts in WebAssembly text for the executor and LocalChain tests: one contract with a
// method per behaviour the tests need (storage, events, transfers, nested calls, traps).
#pragma once

#include <string_view>

#include "contracts/wat.h"
#include "primitives/contract.h"

namespace cairn::contracts::testing {

// The account `fail` pays 1 base unit to before it traps: kind key, hash 0x22 × 32.
inline Account fail_payee() {
  Account a;
  a.kind = AccountKind::key;
  a.hash.bytes.fill(0x22);
  return a;
}

// Methods (input -> return data); the input is copied to offset 4096.
//   set        key u8 ‖ value        -> (writes storage key = value)
//   get        key u8                -> the value, nothing when absent
//   remove     key u8                -> u8 1 if it existed, else 0
//   emit       topic[32] ‖ data      -> (one event)
//   pay        account[33] ‖ amount u64 LE -> u8 transfer result
//   relay      ids[32]*              -> no ids: writes "leaf" = "leaf", returns "leaf";
//                                       else u8 status of calling ids[0].relay(ids[1..]) ‖
//                                       that call's return data
//   call_fail  id[32]                -> u8 status of id.fail(); then writes "after" and emits
//   fail       -                     writes "after", emits, pays fail_payee() 1, traps
//   send_value id[32] ‖ amount u64 LE -> u8 status of id.relay() sent with `amount`
//   call_spin  id[32] ‖ gas u64 LE  -> u8 status of id.spin() given `gas` (0: all left)
//   info       -                     -> balance u64 ‖ value u64 ‖ caller[33] ‖ height u64 ‖ time u64
//   abort_now  -                     aborts with "boom"
//   spin       -                     loops until out of gas
//   log        text                  -> (debug_log of the input)
//   init       args                  -> non-empty args: writes "i" = args
// Two more exports must not be callable: cairn_hidden (reserved) and takes (has a param).
inline constexpr std::string_view kTestContractWat = R"((module
  (import "cairn" "input_size" (func $input_size (result i32)))
  (import "cairn" "input_copy" (func $input_copy (param i32)))
  (import "cairn" "set_return" (func $set_return (param i32 i32)))
  (import "cairn" "storage_read" (func $storage_read (param i32 i32 i32 i32) (result i32)))
  (import "cairn" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
  (import "cairn" "storage_remove" (func $storage_remove (param i32 i32) (result i32)))
  (import "cairn" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "cairn" "call" (func $call (param i32 i32 i32 i32 i32 i64 i64) (result i32)))
  (import "cairn" "return_data_size" (func $return_data_size (result i32)))
  (import "cairn" "return_data_copy" (func $return_data_copy (param i32)))
  (import "cairn" "transfer" (func $transfer (param i32 i64) (result i32)))
  (import "cairn" "balance" (func $balance (result i64)))
  (import "cairn" "value" (func $value (result i64)))
  (import "cairn" "caller" (func $caller (param i32)))
  (import "cairn" "block_height" (func $block_height (result i64)))
  (import "cairn" "block_time" (func $block_time (result i64)))
  (import "cairn" "abort" (func $abort (param i32 i32)))
  (import "cairn" "debug_log" (func $debug_log (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "relay")
  (data (i32.const 32) "fail")
  (data (i32.const 48) "after")
  (data (i32.const 64) "leaf")
  (data (i32.const 80) "boom")
  (data (i32.const 96) "\01\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22")
  (data (i32.const 144) "i")
  (data (i32.const 160) "spin")

  (func $load (result i32)
    (call $input_copy (i32.const 4096))
    (call $input_size))

  (func (export "init") (local $n i32)
    (local.set $n (call $load))
    (if (local.get $n)
      (then (call $storage_write (i32.const 144) (i32.const 1) (i32.const 4096) (local.get $n)))))

  (func (export "set") (local $n i32)
    (local.set $n (call $load))
    (call $storage_write (i32.const 4096) (i32.const 1) (i32.const 4097) (i32.sub (local.get $n) (i32.const 1))))

  (func (export "get") (local $n i32)
    (drop (call $load))
    (local.set $n (call $storage_read (i32.const 4096) (i32.const 1) (i32.const 8192) (i32.const 65536)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (call $set_return (i32.const 8192) (local.get $n)))))

  (func (export "remove")
    (drop (call $load))
    (i32.store8 (i32.const 0) (call $storage_remove (i32.const 4096) (i32.const 1)))
    (call $set_return (i32.const 0) (i32.const 1)))

  (func (export "emit") (local $n i32)
    (local.set $n (call $load))
    (call $emit (i32.const 4096) (i32.const 1) (i32.const 4128) (i32.sub (local.get $n) (i32.const 32))))

  (func (export "pay")
    (drop (call $load))
    (i32.store8 (i32.const 0) (call $transfer (i32.const 4096) (i64.load (i32.const 4129))))
    (call $set_return (i32.const 0) (i32.const 1)))

  (func (export "relay") (local $n i32) (local $m i32)
    (local.set $n (call $load))
    (if (i32.eqz (local.get $n))
      (then
        (call $storage_write (i32.const 64) (i32.const 4) (i32.const 64) (i32.const 4))
        (call $set_return (i32.const 64) (i32.const 4))
        (return)))
    (i32.store8 (i32.const 8192)
      (call $call (i32.const 4096) (i32.const 16) (i32.const 5) (i32.const 4128)
                  (i32.sub (local.get $n) (i32.const 32)) (i64.const 0) (i64.const 0)))
    (local.set $m (call $return_data_size))
    (call $return_data_copy (i32.const 8193))
    (call $set_return (i32.const 8192) (i32.add (local.get $m) (i32.const 1))))

  (func (export "call_fail")
    (drop (call $load))
    (i32.store8 (i32.const 0)
      (call $call (i32.const 4096) (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0)))
    (call $storage_write (i32.const 48) (i32.const 5) (i32.const 48) (i32.const 5))
    (call $emit (i32.const 0) (i32.const 0) (i32.const 64) (i32.const 4))
    (call $set_return (i32.const 0) (i32.const 1)))

  (func (export "fail")
    (call $storage_write (i32.const 48) (i32.const 5) (i32.const 48) (i32.const 5))
    (call $emit (i32.const 0) (i32.const 0) (i32.const 48) (i32.const 5))
    (drop (call $transfer (i32.const 96) (i64.const 1)))
    (unreachable))

  (func (export "send_value")
    (drop (call $load))
    (i32.store8 (i32.const 0)
      (call $call (i32.const 4096) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 0)
                  (i64.load (i32.const 4128)) (i64.const 0)))
    (call $set_return (i32.const 0) (i32.const 1)))

  (func (export "call_spin")
    (drop (call $load))
    (i32.store8 (i32.const 0)
      (call $call (i32.const 4096) (i32.const 160) (i32.const 4) (i32.const 0) (i32.const 0) (i64.const 0)
                  (i64.load (i32.const 4128))))
    (call $set_return (i32.const 0) (i32.const 1)))

  (func (export "info")
    (i64.store (i32.const 0) (call $balance))
    (i64.store (i32.const 8) (call $value))
    (call $caller (i32.const 16))
    (i64.store (i32.const 49) (call $block_height))
    (i64.store (i32.const 57) (call $block_time))
    (call $set_return (i32.const 0) (i32.const 65)))

  (func (export "abort_now")
    (call $abort (i32.const 80) (i32.const 4)))

  (func (export "spin")
    (loop $forever (br $forever)))

  (func (export "log") (local $n i32)
    (local.set $n (call $load))
    (call $debug_log (i32.const 4096) (local.get $n)))

  (func (export "cairn_hidden"))
  (func (export "takes") (param i32))
))";

// A second version for upgrades: reads the same storage, and says which version it is.
//   get      key u8 -> the value, nothing when absent
//   version  -      -> "v2"
inline constexpr std::string_view kTestContractV2Wat = R"((module
  (import "cairn" "input_size" (func $input_size (result i32)))
  (import "cairn" "input_copy" (func $input_copy (param i32)))
  (import "cairn" "set_return" (func $set_return (param i32 i32)))
  (import "cairn" "storage_read" (func $storage_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "v2")
  (func (export "get") (local $n i32)
    (call $input_copy (i32.const 4096))
    (local.set $n (call $storage_read (i32.const 4096) (i32.const 1) (i32.const 8192) (i32.const 4096)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (call $set_return (i32.const 8192) (local.get $n)))))
  (func (export "version")
    (call $set_return (i32.const 0) (i32.const 2)))
))";

inline const Bytes& test_contract() {
  static const Bytes code = wat(kTestContractWat);
  return code;
}
inline const Bytes& test_contract_v2() {
  static const Bytes code = wat(kTestContractV2Wat);
  return code;
}

}  // namespace cairn::contracts::testing
