// A KvStore wrapper that injects I/O errors and crashes into any other store, for testing
// that the chain state survives them (LevelDB's fault_injection_test, as a store).
//
// Durability model (what crash() drops):
//   - A write with sync = true that succeeds makes itself and every earlier write durable.
//     So does a successful sync().
//   - A write with sync = false is applied and visible at once, but pending: it becomes
//     durable only with a later successful synced write or sync().
//   - crash() models power loss: every pending write is undone, and the wrapped store is
//     left exactly as it was after the last durable point (the "durable image"). The
//     store stays usable afterwards, as a restarted process would find it.
//   - A failed write (fail_write, or a synced write hit by fail_sync) applies nothing of its
//     batch. A failed sync makes nothing durable: writes pending before it stay pending.
// The model is power loss, not a process crash: RocksDB keeps unsynced writes across a
// process crash (they are in its WAL in the page cache), so this is the stricter one.
//
// The durable image is kept as an undo log: for each key changed since the last durable
// point, the value it had there (or its absence). crash() writes that back, synced.
// Reads, snapshots and iterators go straight to the wrapped store and see pending writes.
//
// Thread-safe as kv.h says; writes are serialised. REQUIRES: the wrapped store outlives
// the wrapper, and nothing else writes to it while the wrapper is in use.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "storage/kv.h"

namespace cairn {

class FaultInjectingStore final : public KvStore {
 public:
  explicit FaultInjectingStore(KvStore& base) : base_(base) {}

  // Makes the k-th call to write() from now fail with an I/O error (k = 1: the next one).
  // The fault fires once. REQUIRES: k >= 1.
  void fail_write(uint64_t k);
  // Makes the k-th sync from now fail with an I/O error, counting synced writes and sync()
  // calls (k = 1: the next one). The fault fires once. REQUIRES: k >= 1.
  void fail_sync(uint64_t k);
  // Undoes every pending write (see the durability model above). Faults armed and not yet
  // fired stay armed. An error means the wrapped store failed while restoring the image.
  Status crash();

  // Writes applied since the last durable point.
  uint64_t pending_writes() const;

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override;
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const override;
  Status write(const WriteBatch& batch, bool sync) override;
  Status sync() override;
  std::unique_ptr<KvSnapshot> snapshot() const override { return base_.snapshot(); }

 private:
  // Counts down an armed fault; true when this call is the one that fails.
  static bool fires(std::optional<uint64_t>& countdown);
  Status remember_durable_values(const WriteBatch& batch);  // REQUIRES: mu_ held

  KvStore& base_;
  mutable std::mutex mu_;
  // All guarded by mu_.
  std::optional<uint64_t> write_countdown_;
  std::optional<uint64_t> sync_countdown_;
  // (column, key) -> its value at the last durable point; nullopt = it was absent.
  std::map<std::pair<Column, Bytes>, std::optional<Bytes>> durable_values_;
  uint64_t pending_writes_ = 0;
};

}  // namespace cairn
