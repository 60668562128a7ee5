// Not an example: a contract that exercises the SDK itself for examples_test.cpp — every
// ABI type echoed back, structs, the topics of indexed fields, the guards of read-only
// methods, the storage layout of Map2, the allocator's growth, nested calls, BLAKE3.
#include <cairn/contract.h>

using cairn::Account;
using cairn::Bytes;
using cairn::Hash;
using cairn::List;
using cairn::String;

struct Pair {
  int64_t number = 0;
  String text;
  List<Account> accounts;
};
CAIRN_STRUCT(Pair, number, text, accounts)

namespace {
inline constexpr cairn::Map2<uint32_t, String, uint64_t> pairs{"pairs"};
inline constexpr cairn::Value<uint64_t> counter{"counter"};
}  // namespace

CAIRN_EVENT(Probe, (indexed, int64_t, number), (indexed, bool, flag), (indexed, String, text),
            (data, Hash, hash))

CAIRN_VIEW(echo_u8, uint8_t, (uint8_t, v)) { return v; }
CAIRN_VIEW(echo_u16, uint16_t, (uint16_t, v)) { return v; }
CAIRN_VIEW(echo_u32, uint32_t, (uint32_t, v)) { return v; }
CAIRN_VIEW(echo_u64, uint64_t, (uint64_t, v)) { return v; }
CAIRN_VIEW(echo_i32, int32_t, (int32_t, v)) { return v; }
CAIRN_VIEW(echo_i64, int64_t, (int64_t, v)) { return v; }
CAIRN_VIEW(echo_bool, bool, (bool, v)) { return v; }
CAIRN_VIEW(echo_bytes, Bytes, (Bytes, v)) { return v; }
CAIRN_VIEW(echo_string, String, (String, v)) { return v; }
CAIRN_VIEW(echo_hash, Hash, (Hash, v)) { return v; }
CAIRN_VIEW(echo_account, Account, (Account, v)) { return v; }
CAIRN_VIEW(echo_nested, List<List<uint16_t>>, (List<List<uint16_t>>, v)) { return v; }
CAIRN_VIEW(echo_pair, Pair, (Pair, v)) { return v; }

// Sums signed values (negative ones decode as two's complement).
CAIRN_VIEW(sum_i32, int64_t, (List<int32_t>, values)) {
  int64_t total = 0;
  for (int32_t v : values) total += v;
  return total;
}

// The event id the SDK computes at compile time, and the host's BLAKE3 of the same name.
CAIRN_VIEW(probe_event_id, Hash) { return cairn::blake3_short("Probe", 5); }
CAIRN_VIEW(host_blake3, Hash, (Bytes, data)) { return cairn::blake3(data); }

CAIRN_METHOD(emit_probe, void, (int64_t, number), (bool, flag), (String, text), (Hash, hash)) {
  emit_Probe(number, flag, text, hash);
}

CAIRN_METHOD(store_pair, void, (uint32_t, a), (String, b), (uint64_t, v)) { pairs.set(a, b, v); }
CAIRN_VIEW(load_pair, uint64_t, (uint32_t, a), (String, b)) { return pairs.get(a, b); }

// Read-only methods must not change anything: each of these aborts.
CAIRN_VIEW(view_writes, void) { counter.set(1); }
CAIRN_VIEW(view_erases, void) { counter.erase(); }
CAIRN_VIEW(view_emits, void) { emit_Probe(0, false, String(), Hash()); }
CAIRN_VIEW(view_transfers, void) { cairn::transfer(cairn::caller(), 1); }

// Allocates `n` bytes and touches the last one: memory grows up to 32 pages, then aborts.
CAIRN_VIEW(allocate, uint32_t, (uint32_t, n)) {
  auto* p = static_cast<uint8_t*>(cairn::alloc(n));
  if (n != 0) p[n - 1] = 1;
  return cairn::memory_pages();
}

// A nested call: `method` of `contract` with `input`; returns its status and output.
CAIRN_METHOD(call_other, Bytes, (Hash, contract), (String, method), (Bytes, input)) {
  cairn::CallResult r = cairn::call(contract, method, input);
  cairn::require(r.ok(), "nested call failed");
  return r.output;
}

CAIRN_VIEW(whoami, Account) { return cairn::caller(); }
CAIRN_VIEW(self_account, Account) { return cairn::self(); }
CAIRN_VIEW(height, uint64_t) { return cairn::block_height(); }
