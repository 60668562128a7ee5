// The value types contracts work with (Account, Hash, Bytes, String, List), failing a call
// (fail, require), overflow-checked arithmetic, and a constexpr BLAKE3 of short inputs (for
// event ids). Header-only, no libc, integer only. Values: thread-compatible.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/host.h"
#include "cairn/memory.h"

namespace cairn {

namespace detail {
constexpr uint32_t cstr_len(const char* s) {
  uint32_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}
}  // namespace detail

// Ends the call with status `aborted` and `message` (docs/contracts.md §7): every state
// change of the call is reverted.
[[noreturn]] inline void fail(const char* message) {
  host::abort(message, static_cast<int32_t>(detail::cstr_len(message)));
  __builtin_unreachable();
}

inline void require(bool condition, const char* message) {
  if (!condition) fail(message);
}

namespace detail {
inline bool in_view = false;  // set while a CAIRN_VIEW method runs (contract.h)

// Storage writes, events, transfers and nested calls abort inside a read-only method.
inline void refuse_in_view(const char* what) {
  if (in_view) fail(what);
}
}  // namespace detail

// Prints through the host's debug_log (shown by local runs, ignored on chain).
inline void log(const char* message) {
  host::debug_log(message, static_cast<int32_t>(detail::cstr_len(message)));
}

// Overflow-checked unsigned arithmetic: aborts with "overflow" / "underflow".
// (No __builtin_mul_overflow: on wasm32 it needs compiler-rt's 128-bit multiply.)
inline uint64_t add(uint64_t a, uint64_t b) {
  require(a <= UINT64_MAX - b, "overflow");
  return a + b;
}
inline uint64_t sub(uint64_t a, uint64_t b) {
  require(a >= b, "underflow");
  return a - b;
}
inline uint64_t mul(uint64_t a, uint64_t b) {
  require(a == 0 || b <= UINT64_MAX / a, "overflow");
  return a * b;
}

// 32 bytes: a contract id, a hash, an event topic.
struct Hash {
  uint8_t bytes[32] = {};
  constexpr bool operator==(const Hash&) const = default;
};

inline constexpr uint8_t kAccountKey = 1;       // coins paid to it are key_hash outputs
inline constexpr uint8_t kAccountLock = 2;      // lock_hash outputs
inline constexpr uint8_t kAccountContract = 3;  // a contract's balance

// Who can hold coins (docs/contracts.md §1): kind ‖ 32-byte hash, 33 bytes encoded.
// The default value (kind 0) is no account at all: storage reads of absent accounts give it.
struct Account {
  uint8_t kind = 0;
  Hash hash;
  constexpr bool operator==(const Account&) const = default;
  constexpr bool empty() const { return kind == 0; }
};

inline Account contract_account(const Hash& id) { return Account{kAccountContract, id}; }

// A view of bytes owned elsewhere (the call's input, the allocator, static data).
struct Bytes {
  const uint8_t* data = nullptr;
  uint32_t size = 0;
  bool operator==(const Bytes& o) const {
    return size == o.size && (size == 0 || memcmp(data, o.data, size) == 0);
  }
};

// A view of UTF-8 text owned elsewhere; String("literal") views a string literal.
struct String {
  const char* data = nullptr;
  uint32_t size = 0;
  constexpr String() = default;
  constexpr String(const char* d, uint32_t n) : data(d), size(n) {}
  template <uint32_t N>
  constexpr String(const char (&literal)[N]) : data(literal), size(N - 1) {}  // NOLINT: implicit on purpose
  bool operator==(const String& o) const {
    return size == o.size && (size == 0 || memcmp(data, o.data, size) == 0);
  }
};

// A decoded list: `size` elements in memory from the allocator.
template <class T>
struct List {
  T* items = nullptr;
  uint32_t size = 0;
  T* begin() const { return items; }
  T* end() const { return items + size; }
  T& operator[](uint32_t i) const {
    require(i < size, "index out of range");
    return items[i];
  }
};

// ---- BLAKE3 of at most 64 bytes, usable in constant expressions (event ids) --------------

namespace detail {
inline constexpr uint32_t kBlake3Iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                          0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
inline constexpr uint8_t kBlake3Perm[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

constexpr uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

constexpr void blake3_g(uint32_t* v, int a, int b, int c, int d, uint32_t x, uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}
}  // namespace detail

// Plain BLAKE3-256 (the blake3 host function's hash) of `len` ≤ 64 bytes: one chunk of one
// block, compressed once with CHUNK_START | CHUNK_END | ROOT.
constexpr Hash blake3_short(const char* data, uint32_t len) {
  if (len > 64) fail("blake3_short: more than 64 bytes");
  uint32_t m[16] = {};
  for (uint32_t i = 0; i < len; ++i)
    m[i / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << (8 * (i % 4));
  uint32_t v[16] = {};
  for (int i = 0; i < 8; ++i) v[i] = detail::kBlake3Iv[i];
  for (int i = 0; i < 4; ++i) v[8 + i] = detail::kBlake3Iv[i];
  v[12] = 0;          // counter low
  v[13] = 0;          // counter high
  v[14] = len;        // block length
  v[15] = 1 | 2 | 8;  // CHUNK_START | CHUNK_END | ROOT
  for (int round = 0; round < 7; ++round) {
    detail::blake3_g(v, 0, 4, 8, 12, m[0], m[1]);
    detail::blake3_g(v, 1, 5, 9, 13, m[2], m[3]);
    detail::blake3_g(v, 2, 6, 10, 14, m[4], m[5]);
    detail::blake3_g(v, 3, 7, 11, 15, m[6], m[7]);
    detail::blake3_g(v, 0, 5, 10, 15, m[8], m[9]);
    detail::blake3_g(v, 1, 6, 11, 12, m[10], m[11]);
    detail::blake3_g(v, 2, 7, 8, 13, m[12], m[13]);
    detail::blake3_g(v, 3, 4, 9, 14, m[14], m[15]);
    uint32_t permuted[16] = {};
    for (int i = 0; i < 16; ++i) permuted[i] = m[detail::kBlake3Perm[i]];
    for (int i = 0; i < 16; ++i) m[i] = permuted[i];
  }
  Hash out;
  for (int i = 0; i < 8; ++i) {
    uint32_t word = v[i] ^ v[i + 8];
    for (int b = 0; b < 4; ++b) out.bytes[4 * i + b] = static_cast<uint8_t>(word >> (8 * b));
  }
  return out;
}

}  // namespace cairn
