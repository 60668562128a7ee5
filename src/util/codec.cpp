#include "util/codec.h"

namespace cairn {

void Writer::varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}

void Writer::bytes(ByteSpan b) {
  varint(b.size());
  raw(b);
}

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

Reader::Scope::Scope(Reader& r, const char* name, int64_t index) : reader_(r) {
  if (r.depth_ < kMaxScopeDepth) {
    r.frames_[static_cast<size_t>(r.depth_++)] = {name, index};
    pushed_ = true;
  }
}

std::string Reader::path(const char* field) const {
  std::string out;
  for (int i = 0; i < depth_; ++i) {
    const Frame& f = frames_[static_cast<size_t>(i)];
    if (!out.empty()) out += '.';
    out += f.name;
    if (f.index >= 0) out += "[" + std::to_string(f.index) + "]";
  }
  if (field && *field) {
    if (!out.empty()) out += '.';
    out += field;
  }
  return out;
}

void Reader::fail(ErrorCode code, const char* field, const std::string& what) {
  if (!error_) error_.emplace(code, path(field) + ": " + what);
}

ByteSpan Reader::take(const char* field, size_t n) {
  if (error_) return {};
  if (remaining() < n) {
    fail(ErrorCode::decode, field,
         "truncated (need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left)");
    return {};
  }
  ByteSpan out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

uint8_t Reader::u8(const char* field) {
  auto s = take(field, 1);
  return s.empty() ? 0 : s[0];
}

bool Reader::flag(const char* field) {
  const uint8_t value = u8(field);
  if (ok() && value > 1) fail(ErrorCode::decode, field, "flag must be 0 or 1, not " + std::to_string(value));
  return value == 1;
}

uint64_t Reader::le(const char* field, int n) {
  auto s = take(field, static_cast<size_t>(n));
  uint64_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) v |= uint64_t{s[i]} << (8 * i);
  return v;
}

uint64_t Reader::varint(const char* field) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    auto s = take(field, 1);
    if (s.empty()) return 0;
    const uint8_t byte = s[0];
    const uint64_t payload = byte & 0x7f;
    // The tenth byte may carry only the top bit of a 64-bit value.
    if (i == kMaxVarintBytes - 1 && payload > 1) {
      fail(ErrorCode::decode, field, "varint overflows 64 bits");
      return 0;
    }
    v |= payload << (7 * i);
    if ((byte & 0x80) == 0) {
      // A final zero group after the first byte means a shorter encoding existed.
      if (byte == 0 && i > 0) {
        fail(ErrorCode::decode, field, "non-canonical varint (redundant trailing zero group)");
        return 0;
      }
      return v;
    }
  }
  fail(ErrorCode::decode, field, "varint longer than 10 bytes");
  return 0;
}

size_t Reader::count(const char* field, size_t max) {
  const uint64_t n = varint(field);
  if (!ok()) return 0;
  if (n > max || n > kMaxVarintLength) {
    fail(ErrorCode::limit, field, std::to_string(n) + " exceeds the limit of " + std::to_string(max));
    return 0;
  }
  return static_cast<size_t>(n);
}

Bytes Reader::bytes(const char* field, size_t max) {
  const size_t n = count(field, max);
  auto s = take(field, n);
  return Bytes(s.begin(), s.end());
}

Status Reader::finish() {
  if (error_) return *error_;
  if (remaining() != 0) {
    return Error{ErrorCode::decode,
                 std::to_string(remaining()) + " trailing bytes after the end of the structure"};
  }
  return {};
}

}  // namespace cairn
