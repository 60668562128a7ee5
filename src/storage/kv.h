// The key-value interface under Cairn's chain state: named columns of ordered byte keys,
// atomic write batches, consistent snapshots and ordered iterators.
//
// Three implementations: RocksDB on disk (rocksdb_store.h), an in-memory store for tests
// (memory_store.h), and a wrapper that injects I/O faults and crashes into any store
// (fault_store.h). Everything above this layer sees only this header; RocksDB types never
// leave rocksdb_store.cpp.
//
// Keys order as unsigned byte strings (memcmp order, shorter prefix first). Every error is
// a Status/Result with ErrorCode::io unless stated otherwise; an absent key is not an error.
//
// Thread safety: a KvStore may be used from several threads at once without locking.
// A KvSnapshot is safe to read from several threads. A KvIterator is not thread-safe.
// Lifetimes: a snapshot and an iterator must be destroyed before the store they came from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn {

// The columns (RocksDB column families) of the chain state; layouts in docs/storage.md.
// DO NOT CHANGE THESE VALUES OR NAMES: the names are the column families on disk, and the
// values index tables. New columns get new values at the end (and a schema version bump).
enum class Column : uint8_t {
  meta = 0,           // schema version, network, best tip, finalized checkpoint, prune height
  block_index = 1,    // block hash -> header, status, cumulative work; height -> best-chain hash
  block_bodies = 2,   // block hash -> block
  undo = 3,           // block hash -> coins the block spent
  utxo = 4,           // outpoint -> coin
  tx_index = 5,       // txid -> (block hash, position)
  address_index = 6,  // (lock, height, outpoint) -> what a wallet restore needs
  stake = 7,          // staking state (issue [C])
  contracts = 8,      // contract state (issue [H])
};
inline constexpr size_t kColumnCount = 9;
inline constexpr std::array<Column, kColumnCount> kAllColumns{
    Column::meta,     Column::block_index,   Column::block_bodies, Column::undo,      Column::utxo,
    Column::tx_index, Column::address_index, Column::stake,        Column::contracts,
};
// "meta", "block_index", ...: the column family name on disk and the name in messages.
std::string_view column_name(Column column);

// A set of puts and erases applied all or nothing by KvStore::write. Operations apply in
// the order they were added, so a later put or erase of the same key wins. A plain value
// type: not thread-safe, copyable.
class WriteBatch {
 public:
  struct Op {
    Column column;
    bool erase;  // true: erase `key`; false: put `key` -> `value`
    Bytes key;
    Bytes value;
    bool operator==(const Op&) const = default;
  };

  void put(Column column, ByteSpan key, ByteSpan value);
  void erase(Column column, ByteSpan key);
  void clear() { ops_.clear(); }

  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

// An ordered cursor over one column, optionally restricted to the keys that start with a
// prefix. It starts unpositioned (!valid()): call seek_to_first() or seek() first.
// It reads the state as of its creation (or its snapshot's), whatever is written later.
class KvIterator {
 public:
  virtual ~KvIterator() = default;

  // Positions at the first key of the range.
  virtual void seek_to_first() = 0;
  // Positions at the first key of the range that is >= target.
  virtual void seek(ByteSpan target) = 0;
  // REQUIRES: valid().
  virtual void next() = 0;
  // False past the end of the range, before the first seek, and after an error.
  virtual bool valid() const = 0;
  // REQUIRES: valid(). The bytes stay valid until the iterator moves or is destroyed.
  virtual ByteSpan key() const = 0;
  virtual ByteSpan value() const = 0;
  // An I/O or corruption error met while iterating; !valid() does not tell end from error.
  virtual Status status() const = 0;
};

// Reads: implemented by stores (the latest state) and snapshots (a fixed state).
class KvReader {
 public:
  virtual ~KvReader() = default;

  // The value of `key`, or nullopt when it is absent.
  virtual Result<std::optional<Bytes>> get(Column column, ByteSpan key) const = 0;
  // A new iterator over the keys of `column` that start with `prefix` (all keys when empty).
  // The caller owns it.
  virtual std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const = 0;
};

// A consistent read-only view of a whole store at one moment: no write made after it was
// taken, to any column, is visible through it.
class KvSnapshot : public KvReader {};

// What a storage engine reports about itself, for /metrics (docs/metrics.md).
struct StoreStats {
  struct ColumnStats {
    std::string column;                     // column_name()
    uint64_t live_data_bytes = 0;           // estimated size of the live data
    uint64_t sst_files_bytes = 0;           // every SST file of the column, obsolete ones included
    uint64_t memtable_bytes = 0;            // active and immutable memtables
    uint64_t pending_compaction_bytes = 0;  // estimated bytes compaction still has to rewrite
  };
  std::vector<ColumnStats> columns;
  uint64_t block_cache_usage_bytes = 0;  // the cache every column shares
  uint64_t block_cache_capacity_bytes = 0;
};

class KvStore : public KvReader {
 public:
  // The engine's statistics; nullopt for a store without any (the in-memory one).
  // Thread-safe: may be called while another thread writes.
  virtual std::optional<StoreStats> stats() const { return std::nullopt; }
  // Applies every operation of `batch` atomically: after a crash, and to every reader,
  // either all of it or none of it. With `sync`, returns only once this batch and every
  // earlier one are durable (survive power loss); without, they are durable at the next
  // synced write or sync(). On error nothing of `batch` is applied. After any I/O error
  // the store must be treated as failed: close it and reopen (recovery).
  virtual Status write(const WriteBatch& batch, bool sync) = 0;
  // Makes every write so far durable.
  virtual Status sync() = 0;
  // A snapshot of the current state. The caller owns it.
  virtual std::unique_ptr<KvSnapshot> snapshot() const = 0;
};

// The smallest key greater than every key that starts with `prefix`: the prefix with its
// trailing 0xff bytes dropped and its last byte incremented. nullopt when there is none
// (the prefix is empty or all 0xff), i.e. the range is unbounded above.
std::optional<Bytes> prefix_successor(ByteSpan prefix);

}  // namespace cairn
