// SecretBytes: a fixed-size buffer for key material and passwords that is zeroed when it
// is destroyed or moved from, never copied implicitly, and kept out of swap where the
// system allows (libsodium's sodium_malloc: guarded pages, mlock). Its size is fixed at
// construction, so the bytes are never reallocated and left behind in freed memory.
//
// Not thread-safe: one owner at a time, like any buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "util/bytes.h"

namespace cairn {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes.
  explicit SecretBytes(size_t size);
  // A copy of `bytes` (the caller still owns and must wipe its own copy).
  static SecretBytes copy_of(ByteSpan bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  ByteSpan span() const { return {data_, size_}; }
  std::span<uint8_t> mutable_span() { return {data_, size_}; }
  // The bytes as text (passwords); valid while this object lives.
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // Shortens the secret to its first `size` bytes, zeroing the rest; never grows.
  void truncate(size_t size);

 private:
  void release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cairn
