#include "crypto/lthash.h"

#include <bit>

namespace cairn {
namespace {

constexpr size_t kLaneBytes = LtHash::kLanes * sizeof(uint16_t);
using Lanes = std::array<uint16_t, LtHash::kLanes>;

// vector(e): the first 2048 bytes of the keyed XOF over e, as little-endian u16 lanes.
// One finalize_xof call for the whole stream, into a stack buffer: add/remove are on the
// block-connect path and must not touch the heap.
void element_vector(ByteSpan element, Lanes& out) {
  Hasher hasher = Hasher::keyed(HashContext::lthash_element);
  hasher.update(element);
  if constexpr (std::endian::native == std::endian::little) {
    // The stream already is the lanes' in-memory layout.
    hasher.finalize_xof({reinterpret_cast<uint8_t*>(out.data()), kLaneBytes});
  } else {
    std::array<uint8_t, kLaneBytes> stream{};
    hasher.finalize_xof(stream);
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<uint16_t>(stream[2 * i] | (stream[2 * i + 1] << 8));
    }
  }
}

// Lane-wise arithmetic modulo 2^16 (unsigned wrap-around of the u16 lanes).
void add_lanes(Lanes& acc, const Lanes& v) {
  for (size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<uint16_t>(acc[i] + v[i]);
}
void sub_lanes(Lanes& acc, const Lanes& v) {
  for (size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<uint16_t>(acc[i] - v[i]);
}

void write_lanes(const Lanes& lanes, std::span<uint8_t, kLaneBytes> out) {
  for (size_t i = 0; i < lanes.size(); ++i) {
    out[2 * i] = static_cast<uint8_t>(lanes[i]);
    out[2 * i + 1] = static_cast<uint8_t>(lanes[i] >> 8);
  }
}

}  // namespace

void LtHash::add(ByteSpan element) {
  Lanes v;
  element_vector(element, v);
  add_lanes(lanes_, v);
}

void LtHash::remove(ByteSpan element) {
  Lanes v;
  element_vector(element, v);
  sub_lanes(lanes_, v);
}

void LtHash::add(const LtHash& other) { add_lanes(lanes_, other.lanes_); }

void LtHash::remove(const LtHash& other) { sub_lanes(lanes_, other.lanes_); }

Hash256 LtHash::root() const {
  std::array<uint8_t, kLaneBytes> bytes{};
  write_lanes(lanes_, bytes);
  return hash(HashContext::lthash_root, bytes);
}

Result<LtHash> LtHash::from_bytes(ByteSpan bytes) {
  if (bytes.size() != kLaneBytes) {
    return Error{ErrorCode::decode, "LtHash: expected " + std::to_string(kLaneBytes) + " bytes, got " +
                                        std::to_string(bytes.size())};
  }
  LtHash out;
  for (size_t i = 0; i < kLanes; ++i) {
    out.lanes_[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  }
  return out;
}

Bytes LtHash::to_bytes() const {
  Bytes out(kLaneBytes);
  write_lanes(lanes_, std::span<uint8_t, kLaneBytes>(out.data(), kLaneBytes));
  return out;
}

}  // namespace cairn
