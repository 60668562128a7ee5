// An in-memory KvStore: one ordered map per column. For tests and tools; nothing is
// persisted, and write() with or without sync is immediately "durable" (there is no
// crash to survive: use FaultInjectingStore to model one).
//
// Snapshots and iterators share the state they read with the store and copy it only when
// the store is written while they hold it (copy on write), so taking one is O(1) and the
// first write after it O(size of the store). Thread-safe as kv.h says.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "storage/kv.h"

namespace cairn {

class MemoryStore final : public KvStore {
 public:
  MemoryStore();

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override;
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const override;
  Status write(const WriteBatch& batch, bool sync) override;
  Status sync() override { return {}; }
  std::unique_ptr<KvSnapshot> snapshot() const override;

  using Table = std::map<Bytes, Bytes>;
  using State = std::array<Table, kColumnCount>;

 private:
  std::shared_ptr<const State> current() const;

  mutable std::mutex mu_;
  std::shared_ptr<State> state_;  // guarded by mu_; never null; readers get it as const
};

}  // namespace cairn
