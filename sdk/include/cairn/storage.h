// Typed storage (docs/contracts.md §9, layout in §10): Value<V> is one entry, Map<K, V> and
// Map2<K1, K2, V> are families of entries under one name. Keys and values are canonical
// encodings (abi.h), so tools can read a contract's storage from its ABI and source:
//
//   Value<V>  "name"                      key = name
//   Map<K,V>  "name"                      key = name ‖ ":" ‖ enc(k)
//   Map2      "name"                      key = name ‖ ":" ‖ enc(k1) ‖ enc(k2)
//   value     enc(v)
//
// User names are 1..32 bytes of [a-z0-9_], checked at compile time; the SDK's own entries
// (access.h) use names starting with "." so they never collide with a contract's. An absent
// entry reads as the default value (0, false, empty, the empty Account).
//
// Every entry costs a storage deposit (docs/contracts.md §3): erase entries that return to
// the default. Objects hold only their name: declare them `inline constexpr` at namespace
// scope. Thread-compatible.
#pragma once

#include <stdint.h>

#include "cairn/abi.h"
#include "cairn/core.h"

namespace cairn {

inline constexpr uint32_t kMaxStorageKeyBytes = 256;  // docs/contracts.md §5
inline constexpr uint32_t kMaxStorageNameBytes = 32;

namespace detail {

// Called only in constant evaluation of an ill-formed name: not constexpr, so the program
// does not compile.
inline void storage_name_is_invalid() {}

struct StorageName {
  const char* text = nullptr;
  uint32_t size = 0;
};

struct ReservedName {};  // for the SDK's own entries (access.h)

template <uint32_t N>
consteval StorageName user_storage_name(const char (&name)[N]) {
  if (N < 2 || N - 1 > kMaxStorageNameBytes) storage_name_is_invalid();
  for (uint32_t i = 0; i + 1 < N; ++i) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) storage_name_is_invalid();
  }
  return StorageName{name, N - 1};
}

// The bytes of entry `key`, or false when absent. The bytes are the caller's to keep.
inline bool storage_get(Bytes key, Bytes& out) {
  static uint8_t scratch[256];
  int32_t n = host::storage_read(key.data, static_cast<int32_t>(key.size), scratch, sizeof scratch);
  if (n < 0) return false;
  auto* copy = static_cast<uint8_t*>(alloc(static_cast<uint32_t>(n)));
  if (static_cast<uint32_t>(n) <= sizeof scratch) {
    memcpy(copy, scratch, static_cast<uint32_t>(n));
  } else {
    host::storage_read(key.data, static_cast<int32_t>(key.size), copy, n);
  }
  out = Bytes{copy, static_cast<uint32_t>(n)};
  return true;
}

inline void storage_put(Bytes key, Bytes value) {
  refuse_in_view("a read-only method cannot write storage");
  host::storage_write(key.data, static_cast<int32_t>(key.size), value.data, static_cast<int32_t>(value.size));
}

inline bool storage_erase(Bytes key) {
  refuse_in_view("a read-only method cannot write storage");
  return host::storage_remove(key.data, static_cast<int32_t>(key.size)) == 1;
}

// A Value's key: its name, as it is.
inline Bytes name_key(StorageName name) {
  return Bytes{reinterpret_cast<const uint8_t*>(name.text), name.size};
}

// A map's key builder: the name, ":", then the encoded key parts.
class Key {
 public:
  explicit Key(StorageName name) {
    w_.bytes(name.text, name.size);
    w_.u8(':');
  }
  template <class T>
  Key& part(const T& v) {
    Codec<T>::encode(w_, v);
    return *this;
  }
  Bytes done() const {
    require(w_.size() <= kMaxStorageKeyBytes, "storage key too long");
    return w_.view();
  }

 private:
  Writer w_;
};

template <class V>
V get_or_default(Bytes key) {
  Bytes raw;
  if (!storage_get(key, raw)) return V{};
  return decode<V>(raw);
}

template <class V>
void put(Bytes key, const V& value) {
  storage_put(key, encode(value));
}

}  // namespace detail

// One entry.
template <class V>
class Value {
 public:
  template <uint32_t N>
  consteval Value(const char (&name)[N]) : name_(detail::user_storage_name(name)) {}  // NOLINT: implicit
  constexpr Value(detail::ReservedName, detail::StorageName name) : name_(name) {}

  V get() const { return detail::get_or_default<V>(key()); }
  bool has() const {
    Bytes raw;
    return detail::storage_get(key(), raw);
  }
  void set(const V& value) const { detail::put(key(), value); }
  void erase() const { detail::storage_erase(key()); }

 private:
  Bytes key() const { return detail::name_key(name_); }
  detail::StorageName name_;
};

// Entries keyed by one value.
template <class K, class V>
class Map {
 public:
  template <uint32_t N>
  consteval Map(const char (&name)[N]) : name_(detail::user_storage_name(name)) {}  // NOLINT: implicit
  constexpr Map(detail::ReservedName, detail::StorageName name) : name_(name) {}

  V get(const K& k) const { return detail::get_or_default<V>(key(k)); }
  bool has(const K& k) const {
    Bytes raw;
    return detail::storage_get(key(k), raw);
  }
  void set(const K& k, const V& value) const { detail::put(key(k), value); }
  // Removes the entry (its deposit is freed); true if it existed.
  bool erase(const K& k) const { return detail::storage_erase(key(k)); }

 private:
  Bytes key(const K& k) const { return detail::Key(name_).part(k).done(); }
  detail::StorageName name_;
};

// Entries keyed by two values (an allowance of (owner, spender), a vote of (poll, voter)).
template <class K1, class K2, class V>
class Map2 {
 public:
  template <uint32_t N>
  consteval Map2(const char (&name)[N]) : name_(detail::user_storage_name(name)) {}  // NOLINT: implicit
  constexpr Map2(detail::ReservedName, detail::StorageName name) : name_(name) {}

  V get(const K1& a, const K2& b) const { return detail::get_or_default<V>(key(a, b)); }
  bool has(const K1& a, const K2& b) const {
    Bytes raw;
    return detail::storage_get(key(a, b), raw);
  }
  void set(const K1& a, const K2& b, const V& value) const { detail::put(key(a, b), value); }
  bool erase(const K1& a, const K2& b) const { return detail::storage_erase(key(a, b)); }

 private:
  Bytes key(const K1& a, const K2& b) const { return detail::Key(name_).part(a).part(b).done(); }
  detail::StorageName name_;
};

}  // namespace cairn
