// Merkle trees in the shape of RFC 6962 (Certificate Transparency), over 32-byte items.
//
//   leaf(item)       = H("cairn v1 merkle leaf", item)
//   node(l, r)       = H("cairn v1 merkle node", l ‖ r)
//   MTH({})          = H("cairn v1 merkle node", "")    (the empty tree)
//   MTH({d0})        = leaf(d0)
//   MTH(D[0:n])      = node(MTH(D[0:k]), MTH(D[k:n])),  k = largest power of two < n
//
// Nothing is ever duplicated, so two different lists never share a root (no CVE-2012-2459).
// Inclusion proofs are RFC 6962 audit paths (verified by RFC 9162 §2.1.3.2's algorithm).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/hash.h"
#include "util/result.h"

namespace cairn {

// A tree of more than 2^32 items is refused by the proof functions.
inline constexpr uint64_t kMaxMerkleProofDepth = 32;

Hash256 merkle_root(std::span<const Hash256> items);

struct MerkleProof {
  uint64_t index = 0;         // position of the item
  uint64_t size = 0;          // number of items in the tree
  std::vector<Hash256> path;  // sibling hashes from the leaf up
  bool operator==(const MerkleProof&) const = default;
};

// The audit path of items[index]; an Error if index is out of range.
Result<MerkleProof> merkle_proof(std::span<const Hash256> items, uint64_t index);
// True iff `proof` shows `item` at proof.index in a tree of proof.size items with `root`.
bool verify_merkle_proof(const Hash256& item, const MerkleProof& proof, const Hash256& root);

}  // namespace cairn
