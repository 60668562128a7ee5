// Distinct, deterministic peer ids for the net tests: the id of the Ed25519 key whose seed
// holds `i` in its first three bytes (little-endian), so up to 2^24 of them.
#pragma once

#include <cstdint>

#include "crypto/ed25519.h"
#include "net/identity.h"

namespace cairn::net {

inline PeerId test_peer_id(uint32_t i) {
  Seed seed;
  seed.bytes[0] = static_cast<uint8_t>(i);
  seed.bytes[1] = static_cast<uint8_t>(i >> 8);
  seed.bytes[2] = static_cast<uint8_t>(i >> 16);
  return PeerId::from_public_key(KeyPair::from_seed(seed).public_key());
}

}  // namespace cairn::net
