// Memory for contracts without a libc: memcpy, memset, memmove and memcmp (clang emits calls
// to them for copies of structures; bulk-memory instructions are not allowed on chain, so
// these are plain loops), and a bump allocator over the memory above the stack and data.
//
// A contract instance lives for one call (docs/contracts.md §7), so nothing is ever freed:
// the allocator only grows, with memory.grow, up to the 32-page limit; running out aborts.
// Single-threaded by construction (WebAssembly instances are).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/host.h"

namespace cairn {

[[noreturn]] inline void fail(const char* message);  // core.h

}  // namespace cairn

#ifndef CAIRN_ABI_GEN
// The loops are written byte by byte and the functions kept out of clang's idiom
// recognition (-ffreestanding implies -fno-builtin), so they never call themselves.
extern "C" {
inline __attribute__((used)) void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}
inline __attribute__((used)) void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}
inline __attribute__((used)) void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}
inline __attribute__((used)) int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}
}
#else
#include <string.h>
#endif

namespace cairn {

inline constexpr uint32_t kPageBytes = 65'536;
inline constexpr uint32_t kMaxMemoryBytes = 32 * kPageBytes;  // docs/contracts.md §4

namespace detail {
#ifndef CAIRN_ABI_GEN
extern "C" unsigned char __heap_base;  // defined by wasm-ld: the first byte after stack and data
#endif
inline uintptr_t heap_next = 0;
}  // namespace detail

// The pages of memory the instance has now.
inline uint32_t memory_pages() {
#ifdef CAIRN_ABI_GEN
  return 0;
#else
  return static_cast<uint32_t>(__builtin_wasm_memory_size(0));
#endif
}

// `n` bytes aligned to 8, uninitialised; aborts when memory cannot grow any more.
inline void* alloc(size_t n) {
#ifdef CAIRN_ABI_GEN
  static unsigned char arena[1 << 16];
  if (detail::heap_next == 0) detail::heap_next = reinterpret_cast<uintptr_t>(arena);
  uintptr_t limit = reinterpret_cast<uintptr_t>(arena) + sizeof arena;
#else
  if (detail::heap_next == 0) detail::heap_next = reinterpret_cast<uintptr_t>(&detail::__heap_base);
  uintptr_t limit = __builtin_wasm_memory_size(0) * kPageBytes;
#endif
  // Every quantity stays below 2 MiB + 64 KiB (at most 32 pages of memory), so no sum wraps.
  uintptr_t start = (detail::heap_next + 7) & ~uintptr_t{7};
  if (n > kMaxMemoryBytes) fail("out of memory");
  if (start + n > limit) {
#ifdef CAIRN_ABI_GEN
    fail("out of memory");
#else
    size_t pages = (start + n - limit + kPageBytes - 1) / kPageBytes;
    if (__builtin_wasm_memory_grow(0, pages) == static_cast<size_t>(-1)) fail("out of memory");
#endif
  }
  detail::heap_next = start + n;
  return reinterpret_cast<void*>(start);
}

}  // namespace cairn
