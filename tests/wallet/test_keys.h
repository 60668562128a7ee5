// Keys and a genesis hash for the wallet's transaction tests: the shared test keys of
// support/keys.h by index, and a fixed genesis (what signatures commit to).
#pragma once

#include <cstddef>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "support/keys.h"

namespace cairn::wallet::test_keys {

inline const KeyPair& key(size_t i) { return test::test_key(i); }
inline PublicKey pub(size_t i) { return key(i).public_key(); }

inline Hash256 genesis() {
  Hash256 g;
  g.bytes.fill(0x42);
  return g;
}

}  // namespace cairn::wallet::test_keys
