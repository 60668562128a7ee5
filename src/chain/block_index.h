// The in-memory block index: every block header the node has accepted, linked to its
// parent, with its height, cumulative work and status. Loaded from the block_index column
// when the chain manager opens, and written back entry by entry as statuses change.
//
// A node's presence means its header passed ChainRules::check_header against its parent
// ("header valid"); the persisted status bits (storage/keys.h BlockStatus) add whether
// the body and undo data are stored, whether it connected, and whether it or an ancestor
// failed. Nodes are never removed, so BlockNode pointers stay valid for the index's life.
//
// Not thread-safe: owned by the chain manager's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "chain/chain_rules.h"
#include "storage/keys.h"

namespace cairn {

struct BlockNode {
  BlockHash hash;
  BlockHeader header;
  uint8_t status = 0;  // BlockStatus bits
  ChainWork work;      // cumulative, up to and including this block
  BlockNode* parent = nullptr;
  std::vector<BlockNode*> children;
  // Order of first sight in this process (load order at open): ties in work go to the
  // block seen first.
  uint64_t sequence = 0;
  // The highest justified epoch of the chain ending here (fork choice): exact once the
  // block was connected in this process (or is the tip loaded at open); until then the
  // parent's value, a lower bound. Always 0 without finality. Not persisted.
  uint64_t justified_epoch = 0;
  // Whether justified_epoch is exact: the block was connected in this process (or is the
  // tip loaded at open), or its parent's epoch is exact and it carries no votes (only a
  // counted vote justifies anything).
  bool justified_exact = false;

  uint64_t height() const { return header.height; }
  bool failed() const { return (status & (kBlockFailed | kBlockFailedAncestor)) != 0; }
  BlockIndexEntry entry() const { return BlockIndexEntry{header, status, work.value}; }
};

class BlockIndex {
 public:
  // The node of `hash`, or nullptr.
  BlockNode* find(const BlockHash& hash) const;
  // Adds a node for `header` under `parent` (nullptr only for genesis).
  // REQUIRES: no node with this hash exists.
  BlockNode* insert(const BlockHash& hash, const BlockHeader& header, uint8_t status, const ChainWork& work,
                    BlockNode* parent);
  // Every node, in hash order (for loading and checks, not for consensus decisions).
  const std::map<BlockHash, std::unique_ptr<BlockNode>>& nodes() const { return nodes_; }
  // Every node at `height` (any branch), in insertion order: what pruning visits.
  const std::vector<BlockNode*>& at_height(uint64_t height) const;

 private:
  std::map<BlockHash, std::unique_ptr<BlockNode>> nodes_;
  std::map<uint64_t, std::vector<BlockNode*>> by_height_;
  uint64_t next_sequence_ = 0;
};

}  // namespace cairn
