// The canonical argument encoding (docs/contracts.md §10, the codec of docs/consensus.md §1):
// Writer and Reader, and Codec<T> for every ABI type — how a value is encoded and decoded
// and the type's name in the ABI JSON.
//
//   u8 u16 u32 u64   uint8_t uint16_t uint32_t uint64_t   little-endian, fixed width
//   i32 i64          int32_t int64_t                      little-endian two's complement
//   bool             bool                                 one byte, 0 or 1
//   bytes            cairn::Bytes                         varint length, then the bytes
//   string           cairn::String                        varint length, then UTF-8 bytes
//   account          cairn::Account                       kind u8 ‖ hash bytes[32]
//   hash             cairn::Hash                          32 bytes
//   list<T>          cairn::List<T>                       varint count, then the elements
//
// varint = unsigned LEB128, minimal form only, at most 2^32 − 1 for lengths and counts.
// Decoding is strict: a malformed value or bytes left over abort the call ("bad input").
// Values: thread-compatible.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/core.h"
#include "cairn/memory.h"
#include "cairn/pp.h"

namespace cairn {

// Appends encodings to a growing buffer from the allocator.
class Writer {
 public:
  void bytes(const void* p, uint32_t n) {
    reserve(n);
    memcpy(data_ + size_, p, n);
    size_ += n;
  }
  void u8(uint8_t v) { bytes(&v, 1); }
  void le(uint64_t v, uint32_t width) {
    uint8_t b[8];
    for (uint32_t i = 0; i < width; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    bytes(b, width);
  }
  void varint(uint64_t v) {
    do {
      uint8_t b = v & 0x7F;
      v >>= 7;
      u8(v != 0 ? b | 0x80 : b);
    } while (v != 0);
  }
  const uint8_t* data() const { return data_; }
  uint32_t size() const { return size_; }
  Bytes view() const { return Bytes{data_, size_}; }
  void clear() { size_ = 0; }

 private:
  void reserve(uint32_t n) {
    if (capacity_ - size_ >= n) return;
    require(n <= kMaxMemoryBytes, "out of memory");  // so the doubling below cannot wrap
    uint32_t want = capacity_ < 64 ? 64 : capacity_ * 2;
    while (want - size_ < n) want *= 2;
    auto* fresh = static_cast<uint8_t*>(alloc(want));
    if (size_ != 0) memcpy(fresh, data_, size_);
    data_ = fresh;
    capacity_ = want;
  }
  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

// Reads encodings from bytes it does not own; any error aborts the call.
class Reader {
 public:
  Reader(const uint8_t* data, uint32_t size) : data_(data), size_(size) {}
  explicit Reader(Bytes b) : Reader(b.data, b.size) {}

  const uint8_t* take(uint32_t n) {
    require(n <= size_ - pos_, "bad input: truncated");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t u8() { return *take(1); }
  uint64_t le(uint32_t width) {
    const uint8_t* p = take(width);
    uint64_t v = 0;
    for (uint32_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      uint8_t b = u8();
      require(i < 9 || b <= 1, "bad input: varint overflow");
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        require(i == 0 || b != 0, "bad input: non-minimal varint");
        return v;
      }
    }
    fail("bad input: varint overflow");
  }
  // A length or count: at most 2^32 − 1, and at most the bytes left (every element of every
  // type takes at least one byte).
  uint32_t length() {
    uint64_t n = varint();
    require(n <= size_ - pos_, "bad input: truncated");
    return static_cast<uint32_t>(n);
  }
  bool done() const { return pos_ == size_; }
  void finish() const { require(done(), "bad input: trailing bytes"); }

 private:
  const uint8_t* data_;
  uint32_t size_;
  uint32_t pos_ = 0;
};

// Builds type names for the ABI JSON (only the native ABI printer calls it).
struct TypeName {
  char text[96] = {};
  uint32_t size = 0;
  void add(const char* s) {
    while (*s != 0 && size + 1 < sizeof text) text[size++] = *s++;
  }
};

// Codec<T>: encode, decode and the ABI name of T. Only the specialisations below exist.
template <class T>
struct Codec;

template <class T, uint32_t Width, char... Name>
struct FixedCodec {
  static constexpr bool kPaddedTopic = true;  // events.h: an indexed value is its own topic
  static void encode(Writer& w, T v) { w.le(static_cast<uint64_t>(v), Width); }
  static T decode(Reader& r) { return static_cast<T>(r.le(Width)); }
  static void name(TypeName& n) {
    static constexpr char text[] = {Name..., 0};
    n.add(text);
  }
};

template <>
struct Codec<uint8_t> : FixedCodec<uint8_t, 1, 'u', '8'> {};
template <>
struct Codec<uint16_t> : FixedCodec<uint16_t, 2, 'u', '1', '6'> {};
template <>
struct Codec<uint32_t> : FixedCodec<uint32_t, 4, 'u', '3', '2'> {};
template <>
struct Codec<uint64_t> : FixedCodec<uint64_t, 8, 'u', '6', '4'> {};
template <>
struct Codec<int32_t> : FixedCodec<int32_t, 4, 'i', '3', '2'> {};
template <>
struct Codec<int64_t> : FixedCodec<int64_t, 8, 'i', '6', '4'> {};

template <>
struct Codec<bool> {
  static constexpr bool kPaddedTopic = true;
  static void encode(Writer& w, bool v) { w.u8(v ? 1 : 0); }
  static bool decode(Reader& r) {
    uint8_t b = r.u8();
    require(b <= 1, "bad input: bool");
    return b == 1;
  }
  static void name(TypeName& n) { n.add("bool"); }
};

template <>
struct Codec<Hash> {
  static constexpr bool kPaddedTopic = true;
  static void encode(Writer& w, const Hash& v) { w.bytes(v.bytes, 32); }
  static Hash decode(Reader& r) {
    Hash h;
    memcpy(h.bytes, r.take(32), 32);
    return h;
  }
  static void name(TypeName& n) { n.add("hash"); }
};

template <>
struct Codec<Account> {
  static constexpr bool kPaddedTopic = false;  // events.h: hashed
  static void encode(Writer& w, const Account& v) {
    w.u8(v.kind);
    w.bytes(v.hash.bytes, 32);
  }
  // Kinds 1..3 only (docs/contracts.md §1).
  static Account decode(Reader& r) {
    Account a;
    a.kind = r.u8();
    require(a.kind >= kAccountKey && a.kind <= kAccountContract, "bad input: account kind");
    memcpy(a.hash.bytes, r.take(32), 32);
    return a;
  }
  static void name(TypeName& n) { n.add("account"); }
};

template <>
struct Codec<Bytes> {
  static constexpr bool kPaddedTopic = false;  // events.h: hashed
  static void encode(Writer& w, const Bytes& v) {
    w.varint(v.size);
    w.bytes(v.data, v.size);
  }
  static Bytes decode(Reader& r) {
    uint32_t n = r.length();
    return Bytes{r.take(n), n};
  }
  static void name(TypeName& n) { n.add("bytes"); }
};

// Strings are UTF-8 by contract, but the codec does not check it (it costs gas, and bytes
// that are not UTF-8 harm no one but their reader).
template <>
struct Codec<String> {
  static constexpr bool kPaddedTopic = false;  // events.h: hashed
  static void encode(Writer& w, const String& v) {
    w.varint(v.size);
    w.bytes(v.data, v.size);
  }
  static String decode(Reader& r) {
    uint32_t n = r.length();
    return String{reinterpret_cast<const char*>(r.take(n)), n};
  }
  static void name(TypeName& n) { n.add("string"); }
};

template <class T>
struct Codec<List<T>> {
  static constexpr bool kPaddedTopic = false;
  static void encode(Writer& w, const List<T>& v) {
    w.varint(v.size);
    for (uint32_t i = 0; i < v.size; ++i) Codec<T>::encode(w, v.items[i]);
  }
  static List<T> decode(Reader& r) {
    List<T> list;
    list.size = r.length();
    list.items = static_cast<T*>(alloc(sizeof(T) * list.size));
    // Every ABI type is trivially copyable: plain assignment into the fresh memory is enough.
    for (uint32_t i = 0; i < list.size; ++i) list.items[i] = Codec<T>::decode(r);
    return list;
  }
  static void name(TypeName& n) {
    n.add("list<");
    Codec<T>::name(n);
    n.add(">");
  }
};

// The canonical encoding of one value.
template <class T>
Bytes encode(const T& value) {
  Writer w;
  Codec<T>::encode(w, value);
  return w.view();
}

// Decodes exactly one value from `bytes` (strict: aborts on anything else).
template <class T>
T decode(Bytes bytes) {
  Reader r(bytes);
  T value = Codec<T>::decode(r);
  r.finish();
  return value;
}

}  // namespace cairn

// ---- Structures --------------------------------------------------------------------------

// CAIRN_STRUCT(Type, field...) makes a struct an ABI type: encoded as its listed fields in
// order (no length, no tag), named `Type` in the ABI JSON, whose "structs" list gives its
// fields. Use it at global scope, after the struct, with every field an ABI type.
#define CAIRN_STRUCT_ENCODE_(f) ::cairn::Codec<decltype(cairn_value.f)>::encode(cairn_w, cairn_value.f);
#define CAIRN_STRUCT_DECODE_(f) cairn_value.f = ::cairn::Codec<decltype(cairn_value.f)>::decode(cairn_r);
#ifdef CAIRN_ABI_GEN
#define CAIRN_STRUCT_ABI_(f) ::cairn::abi_gen::param<decltype(cairn_struct_type::f)>(#f, false)
#define CAIRN_STRUCT_REGISTER(Type, ...)                                                                 \
  namespace cairn::abi_gen::structs_##Type {                                                             \
    using cairn_struct_type = ::Type;                                                                    \
    static ::cairn::abi_gen::StructRegistrar registrar{#Type,                                            \
                                                       {CAIRN_PP_LIST(CAIRN_STRUCT_ABI_, __VA_ARGS__)}}; \
  }
#else
#define CAIRN_STRUCT_REGISTER(Type, ...)
#endif
#define CAIRN_STRUCT(Type, ...)                                             \
  template <>                                                               \
  struct cairn::Codec<Type> {                                               \
    static constexpr bool kPaddedTopic = false;                             \
    static void encode(::cairn::Writer& cairn_w, const Type& cairn_value) { \
      CAIRN_PP_EACH(CAIRN_STRUCT_ENCODE_, __VA_ARGS__)                      \
    }                                                                       \
    static Type decode(::cairn::Reader& cairn_r) {                          \
      Type cairn_value{};                                                   \
      CAIRN_PP_EACH(CAIRN_STRUCT_DECODE_, __VA_ARGS__)                      \
      return cairn_value;                                                   \
    }                                                                       \
    static void name(::cairn::TypeName& n) { n.add(#Type); }                \
  };                                                                        \
  CAIRN_STRUCT_REGISTER(Type, __VA_ARGS__)
