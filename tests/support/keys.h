// Deterministic Ed25519 keys for tests: test_key(i) is the RFC 8032 key pair of the seed
// whose 32 bytes are all i + 1. Header-only, so layers above crypto can use it without the
// test support library depending on crypto.
#pragma once

#include <cstddef>
#include <vector>

#include "crypto/ed25519.h"

namespace cairn::test {

inline constexpr size_t kTestKeys = 32;

inline const KeyPair& test_key(size_t index) {
  static const std::vector<KeyPair> keys = [] {
    std::vector<KeyPair> out;
    for (size_t i = 0; i < kTestKeys; ++i) {
      Seed seed;
      seed.bytes.fill(static_cast<uint8_t>(i + 1));
      out.push_back(KeyPair::from_seed(seed));
    }
    return out;
  }();
  return keys.at(index);
}

}  // namespace cairn::test
