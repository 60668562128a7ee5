#include "crypto/secret.h"

#include <algorithm>
#include <new>
#include <utility>

#include <sodium.h>

#include "crypto/ed25519.h"

namespace cairn {

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;
  ensure_sodium_initialised();
  // sodium_malloc fails only when the system is out of memory (mlock failures are
  // tolerated by libsodium), which is std::bad_alloc everywhere else in C++ too.
  data_ = static_cast<uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  sodium_memzero(data_, size);
  size_ = size;
}

SecretBytes SecretBytes::copy_of(ByteSpan bytes) {
  SecretBytes out(bytes.size());
  std::copy(bytes.begin(), bytes.end(), out.data_);
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

void SecretBytes::truncate(size_t size) {
  if (size >= size_) return;
  sodium_memzero(data_ + size, size_ - size);
  size_ = size;
}

void SecretBytes::release() {
  // sodium_free zeroes the whole allocation before unmapping it.
  if (data_ != nullptr) sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace cairn
