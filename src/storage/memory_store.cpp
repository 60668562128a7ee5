#include "storage/memory_store.h"

#include <algorithm>

namespace cairn {
namespace {

const MemoryStore::Table& table(const MemoryStore::State& state, Column column) {
  return state[static_cast<size_t>(column)];
}

// Reads one column of a shared state, which it keeps alive.
class MemoryIterator final : public KvIterator {
 public:
  MemoryIterator(std::shared_ptr<const MemoryStore::State> state, Column column, ByteSpan prefix)
      : state_(std::move(state)),
        table_(table(*state_, column)),
        prefix_(prefix.begin(), prefix.end()),
        upper_(prefix_successor(prefix)),
        it_(table_.end()) {}

  void seek_to_first() override { it_ = table_.lower_bound(prefix_); }
  void seek(ByteSpan target) override {
    const Bytes wanted(target.begin(), target.end());
    it_ = table_.lower_bound(std::max(wanted, prefix_));
  }
  void next() override { ++it_; }
  bool valid() const override { return it_ != table_.end() && (!upper_ || it_->first < *upper_); }
  ByteSpan key() const override { return it_->first; }
  ByteSpan value() const override { return it_->second; }
  Status status() const override { return {}; }

 private:
  std::shared_ptr<const MemoryStore::State> state_;
  const MemoryStore::Table& table_;
  Bytes prefix_;
  std::optional<Bytes> upper_;  // exclusive; nullopt = unbounded
  MemoryStore::Table::const_iterator it_;
};

Result<std::optional<Bytes>> get_from(const MemoryStore::State& state, Column column, ByteSpan key) {
  const auto& t = table(state, column);
  auto it = t.find(Bytes(key.begin(), key.end()));
  if (it == t.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

class MemorySnapshot final : public KvSnapshot {
 public:
  explicit MemorySnapshot(std::shared_ptr<const MemoryStore::State> state) : state_(std::move(state)) {}
  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return get_from(*state_, column, key);
  }
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const override {
    return std::make_unique<MemoryIterator>(state_, column, prefix);
  }

 private:
  std::shared_ptr<const MemoryStore::State> state_;
};

}  // namespace

MemoryStore::MemoryStore() : state_(std::make_shared<State>()) {}

std::shared_ptr<const MemoryStore::State> MemoryStore::current() const {
  std::lock_guard lock(mu_);
  return state_;
}

Result<std::optional<Bytes>> MemoryStore::get(Column column, ByteSpan key) const {
  return get_from(*current(), column, key);
}

std::unique_ptr<KvIterator> MemoryStore::iterator(Column column, ByteSpan prefix) const {
  return std::make_unique<MemoryIterator>(current(), column, prefix);
}

std::unique_ptr<KvSnapshot> MemoryStore::snapshot() const {
  return std::make_unique<MemorySnapshot>(current());
}

Status MemoryStore::write(const WriteBatch& batch, bool /*sync*/) {
  std::lock_guard lock(mu_);
  // Snapshots and iterators holding the current state must keep seeing it unchanged: copy
  // it first if anyone does. References are only taken under mu_, so use_count() == 1 here
  // means no reader holds it and none can start to before the batch is complete.
  if (state_.use_count() > 1) state_ = std::make_shared<State>(*state_);
  State& next = *state_;
  for (const auto& op : batch.ops()) {
    auto& t = next[static_cast<size_t>(op.column)];
    if (op.erase) {
      t.erase(op.key);
    } else {
      t.insert_or_assign(op.key, op.value);
    }
  }
  return {};
}

}  // namespace cairn
