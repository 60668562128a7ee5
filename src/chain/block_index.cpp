#include "chain/block_index.h"

#include <cassert>

namespace cairn {

BlockNode* BlockIndex::find(const BlockHash& hash) const {
  auto it = nodes_.find(hash);
  return it == nodes_.end() ? nullptr : it->second.get();
}

BlockNode* BlockIndex::insert(const BlockHash& hash, const BlockHeader& header, uint8_t status,
                              const ChainWork& work, BlockNode* parent) {
  auto node = std::make_unique<BlockNode>();
  node->hash = hash;
  node->header = header;
  node->status = status;
  node->work = work;
  node->parent = parent;
  node->sequence = next_sequence_++;
  BlockNode* raw = node.get();
  [[maybe_unused]] const bool inserted = nodes_.emplace(hash, std::move(node)).second;
  assert(inserted);
  if (parent != nullptr) parent->children.push_back(raw);
  return raw;
}

}  // namespace cairn
