// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
// 64-bit hash of short messages. Cairn uses it for compact-block short ids (BIP-152 does
// the same), where the key is per block so that an attacker cannot precompute collisions.
// Not a general-purpose cryptographic hash: 64-bit output.
//
// Pure function: thread-safe.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace cairn::net {

// The 128-bit key as two 64-bit words: k0 from key bytes 0..7, k1 from bytes 8..15, each
// little-endian, as the paper's reference implementation reads a 16-byte key.
struct SipHashKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
  bool operator==(const SipHashKey&) const = default;
};

// Reads a 16-byte key the reference implementation's way.
SipHashKey siphash_key(const FixedBytes<16>& key);

// SipHash-2-4 of `message` under `key`. The reference implementation outputs this value
// as 8 little-endian bytes.
uint64_t siphash24(const SipHashKey& key, ByteSpan message);

}  // namespace cairn::net
