// Test support: completes a hand-built block so that only the rule under test can fail.
#pragma once

#include "consensus/block_rules.h"
#include "consensus/pow.h"
#include "primitives/block.h"

namespace cairn::test {

// Recomputes the roots and searches a nonce (about two hashes at regtest's limit).
inline void seal(Block& b) {
  b.header.tx_root = compute_tx_root(b);
  b.header.witness_root = compute_witness_root(b);
  b.header.vote_root = compute_vote_root(b);
  b.header.nonce = 0;
  while (!check_pow(b.header)) ++b.header.nonce;
}

}  // namespace cairn::test
