#include "chain/orphan_pool.h"

#include <algorithm>
#include <iterator>
#include <set>

namespace cairn {

bool OrphanPool::add(const Transaction& tx, size_t size, int64_t now) {
  if (size > kMaxOrphanTxBytes) return false;
  const Txid id = txid(tx);
  if (orphans_.contains(id)) return false;
  if (orphans_.size() >= kMaxOrphans) {
    auto victim = std::next(orphans_.begin(), static_cast<std::ptrdiff_t>(rng_.uniform(orphans_.size())));
    erase(victim->first);
  }
  orphans_.emplace(id, Orphan{tx, now + kOrphanExpirySeconds, next_sequence_++});
  std::set<Txid> parents;
  for (const auto& in : tx.inputs) parents.insert(in.prevout.txid);
  for (const auto& parent : parents) by_parent_.emplace(parent, id);
  return true;
}

std::vector<Transaction> OrphanPool::take_children(const Txid& parent) {
  std::vector<std::pair<uint64_t, Txid>> found;
  auto [begin, end] = by_parent_.equal_range(parent);
  for (auto it = begin; it != end; ++it) found.emplace_back(orphans_.at(it->second).sequence, it->second);
  std::sort(found.begin(), found.end());
  std::vector<Transaction> out;
  for (const auto& [sequence, id] : found) {
    out.push_back(orphans_.at(id).tx);
    erase(id);
  }
  return out;
}

void OrphanPool::expire(int64_t now) {
  std::vector<Txid> expired;
  for (const auto& [id, orphan] : orphans_) {
    if (orphan.expires <= now) expired.push_back(id);
  }
  for (const auto& id : expired) erase(id);
}

void OrphanPool::remove_for_block(const Block& block) {
  std::set<OutPoint> spent;
  std::set<Txid> confirmed;
  for (const auto& tx : block.transactions) {
    confirmed.insert(txid(tx));
    for (const auto& in : tx.inputs) spent.insert(in.prevout);
  }
  std::vector<Txid> drop;
  for (const auto& [id, orphan] : orphans_) {
    const bool conflicts = std::any_of(orphan.tx.inputs.begin(), orphan.tx.inputs.end(),
                                       [&](const TxIn& in) { return spent.contains(in.prevout); });
    if (conflicts || confirmed.contains(id)) drop.push_back(id);
  }
  for (const auto& id : drop) erase(id);
}

void OrphanPool::erase(Txid id) {
  auto it = orphans_.find(id);
  if (it == orphans_.end()) return;
  std::set<Txid> parents;
  for (const auto& in : it->second.tx.inputs) parents.insert(in.prevout.txid);
  for (const auto& parent : parents) {
    auto [begin, end] = by_parent_.equal_range(parent);
    for (auto p = begin; p != end; ++p) {
      if (p->second == id) {
        by_parent_.erase(p);
        break;
      }
    }
  }
  orphans_.erase(it);
}

}  // namespace cairn
