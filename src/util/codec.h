// The canonical codec: the one byte encoding of every consensus and wire structure.
//
//   fixed-width integers   little-endian, u8/u16/u32/u64
//   lengths and counts     unsigned LEB128 ("varint"), minimal form only, at most 2^32 - 1
//   byte strings           varint length, then the bytes
//   fixed arrays           the bytes, no length
//
// Decoding is strict: a truncated field, a non-minimal varint, a count or length over the
// caller's limit, or bytes left over after the top-level structure are all errors, and the
// error message names the field ("inputs[2].prevout.index: truncated"). Every structure
// therefore has exactly one encoding, which is what makes hashes of encodings ids.
//
// Reader keeps the first error and, after it, returns zero values without reading, so a
// decoder reads field after field and checks once at the end (finish()). Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn {

// Largest value a length or count may encode; real limits are far smaller and per type.
inline constexpr uint64_t kMaxVarintLength = 0xffffffffu;
// A minimal LEB128 encoding of a 64-bit value has at most ten bytes.
inline constexpr size_t kMaxVarintBytes = 10;

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void varint(uint64_t v);
  // Appends bytes without a length (fixed-size fields).
  void raw(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  // Appends a varint length and then the bytes.
  void bytes(ByteSpan bytes);

  size_t size() const { return out_.size(); }
  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

// Number of bytes varint(v) takes.
size_t varint_size(uint64_t v);

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}

  uint8_t u8(const char* field);
  // A u8 that must be 0 or 1.
  bool flag(const char* field);
  uint16_t u16(const char* field) { return static_cast<uint16_t>(le(field, 2)); }
  uint32_t u32(const char* field) { return static_cast<uint32_t>(le(field, 4)); }
  uint64_t u64(const char* field) { return le(field, 8); }
  uint64_t varint(const char* field);
  // A varint count or length that must not exceed `max`.
  size_t count(const char* field, size_t max);
  // N bytes with no length prefix.
  template <size_t N>
  FixedBytes<N> fixed(const char* field) {
    FixedBytes<N> out;
    if (auto s = take(field, N); !s.empty()) std::copy(s.begin(), s.end(), out.bytes.begin());
    return out;
  }
  // A varint length (at most `max`) and then that many bytes.
  Bytes bytes(const char* field, size_t max);
  // `n` bytes with no length prefix; empty on error.
  ByteSpan take(const char* field, size_t n);

  // Records an error found by the decoder itself (an unknown version, a bad tag...).
  void fail(ErrorCode code, const char* field, const std::string& what);

  bool ok() const { return !error_; }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  const Error& error() const { return *error_; }

  // Checks that no error occurred and that every byte was consumed.
  Status finish();
  template <class T>
  Result<T> finish(T value) {
    if (auto s = finish(); !s) return s.error();
    return value;
  }

  // Names the element being decoded in error messages: `auto guard = r.scope("inputs", i);`
  // Scopes nest (up to kMaxScopeDepth; deeper ones are not named) and cost nothing unless
  // an error occurs.
  class Scope {
   public:
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() {
      if (pushed_) --reader_.depth_;
    }

   private:
    friend class Reader;
    Scope(Reader& r, const char* name, int64_t index);
    Reader& reader_;
    bool pushed_ = false;
  };
  [[nodiscard]] Scope scope(const char* name, int64_t index = -1) { return Scope(*this, name, index); }

  static constexpr int kMaxScopeDepth = 16;

 private:
  uint64_t le(const char* field, int n);
  std::string path(const char* field) const;

  struct Frame {
    const char* name;
    int64_t index;
  };
  ByteSpan in_;
  size_t pos_ = 0;
  std::optional<Error> error_;
  std::array<Frame, kMaxScopeDepth> frames_{};
  int depth_ = 0;
};

// Decodes exactly one value from `bytes` with `decode(Reader&)`: bytes left over are an
// error, as is any error the decoder recorded.
template <class T, class Decode>
Result<T> decode_exact(ByteSpan bytes, Decode decode) {
  Reader r(bytes);
  T value = decode(r);
  return r.finish(std::move(value));
}

}  // namespace cairn
