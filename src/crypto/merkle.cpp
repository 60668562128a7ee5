#include "crypto/merkle.h"

#include <string>

namespace cairn {
namespace {

constexpr uint64_t kMaxProofTreeSize = uint64_t{1} << kMaxMerkleProofDepth;

Hash256 leaf_hash(const Hash256& item) { return hash(HashContext::merkle_leaf, item); }

Hash256 node_hash(const Hash256& left, const Hash256& right) {
  return Hasher::keyed(HashContext::merkle_node).update(left).update(right).finalize();
}

std::vector<Hash256> leaf_hashes(std::span<const Hash256> items) {
  std::vector<Hash256> level;
  level.reserve(items.size());
  for (const auto& item : items) level.push_back(leaf_hash(item));
  return level;
}

// Replaces a level of the tree by the level above it. Building the RFC 6962 tree bottom-up
// pairs neighbours and carries an unpaired last node up unchanged (never duplicated): the
// left subtree of every node is then the complete tree of the largest power of two below
// its size, exactly the recursive definition.
void reduce_level(std::vector<Hash256>& level) {
  const size_t pairs = level.size() / 2;
  for (size_t i = 0; i < pairs; ++i) level[i] = node_hash(level[2 * i], level[2 * i + 1]);
  if (level.size() % 2 == 1) level[pairs] = level.back();
  level.resize((level.size() + 1) / 2);
}

}  // namespace

Hash256 merkle_root(std::span<const Hash256> items) {
  if (items.empty()) return hash(HashContext::merkle_node, {});
  std::vector<Hash256> level = leaf_hashes(items);
  while (level.size() > 1) reduce_level(level);
  return level[0];
}

Result<MerkleProof> merkle_proof(std::span<const Hash256> items, uint64_t index) {
  if (index >= items.size()) {
    return Error{ErrorCode::invalid_argument, "merkle proof: index " + std::to_string(index) +
                                                  " is out of range for " + std::to_string(items.size()) +
                                                  " items"};
  }
  if (items.size() > kMaxProofTreeSize) {
    return Error{ErrorCode::limit, "merkle proof: a tree of " + std::to_string(items.size()) +
                                       " items is over the limit of 2^" +
                                       std::to_string(kMaxMerkleProofDepth)};
  }
  MerkleProof proof{.index = index, .size = items.size(), .path = {}};
  std::vector<Hash256> level = leaf_hashes(items);
  // Walk up with the node's position; a carried-up last node has no sibling at that level.
  for (uint64_t pos = index; level.size() > 1; pos /= 2) {
    if (const uint64_t sibling = pos ^ 1; sibling < level.size()) proof.path.push_back(level[sibling]);
    reduce_level(level);
  }
  return proof;
}

// RFC 9162 §2.1.3.2, with `fn` and `sn` the positions of the node and of the tree's last
// node at the current level.
bool verify_merkle_proof(const Hash256& item, const MerkleProof& proof, const Hash256& root) {
  if (proof.index >= proof.size || proof.size > kMaxProofTreeSize ||
      proof.path.size() > kMaxMerkleProofDepth) {
    return false;
  }
  uint64_t fn = proof.index;
  uint64_t sn = proof.size - 1;
  Hash256 r = leaf_hash(item);
  for (const Hash256& p : proof.path) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      // A right-edge node without a sibling is carried up: skip the levels it climbs alone.
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace cairn
