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
  if (parent != nullptr) node->justified_epoch = parent->justified_epoch;
  BlockNode* raw = node.get();
  [[maybe_unused]] const bool inserted = nodes_.emplace(hash, std::move(node)).second;
  assert(inserted);
  if (parent != nullptr) parent->children.push_back(raw);
  by_height_[header.height].push_back(raw);
  return raw;
}

const std::vector<BlockNode*>& BlockIndex::at_height(uint64_t height) const {
  static const std::vector<BlockNode*> kNone;
  auto it = by_height_.find(height);
  return it == by_height_.end() ? kNone : it->second;
}

}  // namespace cairn
