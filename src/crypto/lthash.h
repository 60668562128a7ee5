// LtHash, the lattice-based homomorphic set hash (Bellare–Micciancio; Solana's
// accounts-lattice-hash): the state commitment of the UTXO set, stake state and contract
// storage.
//
//   vector(e) = BLAKE3-XOF keyed with H-key("cairn v1 lthash element") over e, first 2048
//               bytes, read as 1024 little-endian 16-bit lanes
//   add(e)    : lanes[i] += vector(e)[i]  (mod 2^16)
//   remove(e) : lanes[i] -= vector(e)[i]  (mod 2^16)
//   root      = H("cairn v1 lthash root", the 1024 lanes as 2048 little-endian bytes)
//
// Adding and removing are O(1) per element and commute, so the root depends only on the
// multiset of elements, not on the order of operations. The empty set has all-zero lanes.
// It verifies whole snapshots; it gives no per-element proofs. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/hash.h"

namespace cairn {

class LtHash {
 public:
  static constexpr size_t kLanes = 1024;

  void add(ByteSpan element);
  void remove(ByteSpan element);
  // Combines whole sets: lanes-wise sum / difference (mod 2^16).
  void add(const LtHash& other);
  void remove(const LtHash& other);

  Hash256 root() const;
  const std::array<uint16_t, kLanes>& lanes() const { return lanes_; }
  // Restores a persisted accumulator (2048 little-endian bytes).
  static Result<LtHash> from_bytes(ByteSpan bytes);
  Bytes to_bytes() const;

  bool operator==(const LtHash&) const = default;

 private:
  std::array<uint16_t, kLanes> lanes_{};
};

}  // namespace cairn
