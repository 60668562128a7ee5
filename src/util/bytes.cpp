#include "util/bytes.h"

namespace cairn {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

Result<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Error{ErrorCode::invalid_argument, "hex string has odd length"};
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Error{ErrorCode::invalid_argument,
                   "not a hex digit at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1)};
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

void secure_zero(void* data, size_t size) {
  // A volatile pointer keeps the stores: the object is usually dead right after this.
  volatile auto* p = static_cast<volatile uint8_t*>(data);
  while (size--) *p++ = 0;
}

}  // namespace cairn
