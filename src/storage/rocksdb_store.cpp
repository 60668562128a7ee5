#include "storage/rocksdb_store.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace cairn {
namespace {

// Bits per key of the bloom filters: ~1% false positives, RocksDB's usual choice.
constexpr double kBloomBitsPerKey = 10;
// RocksDB's own info LOG files kept in the datadir.
constexpr size_t kKeptInfoLogFiles = 4;

// An empty span may have a null data pointer, which RocksDB's comparator asserts against.
rocksdb::Slice slice(ByteSpan bytes) {
  if (bytes.empty()) return {"", 0};
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
ByteSpan span(const rocksdb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// The one place a rocksdb::Status becomes a cairn Error.
Error to_error(const rocksdb::Status& s, const std::string& what) {
  const ErrorCode code = s.IsNotFound()          ? ErrorCode::not_found
                         : s.IsInvalidArgument() ? ErrorCode::invalid_argument
                                                 : ErrorCode::io;
  return {code, what + ": " + s.ToString()};
}

bool is_compression_supported(rocksdb::CompressionType type) {
  const auto supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

// Point lookups (is this coin unspent? where is this tx? this block?) are most of the
// reads of these columns, and most of them would otherwise touch every level.
bool wants_bloom_filter(Column column) {
  return column == Column::utxo || column == Column::tx_index || column == Column::block_index;
}

rocksdb::ColumnFamilyOptions column_options(Column column, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;  // their memory counts against the cache size
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (wants_bloom_filter(column)) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Cheap LZ4 everywhere, denser ZSTD for the bottom level (most of the data), each only
  // if this RocksDB build has it (Debian's has both).
  cf.compression =
      is_compression_supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  if (is_compression_supported(rocksdb::kZSTD)) cf.bottommost_compression = rocksdb::kZSTD;
  cf.level_compaction_dynamic_level_bytes = true;
  return cf;
}

// Reads of the latest state (snapshot == nullptr) or of a snapshot.
class RocksReader {
 public:
  RocksReader(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
              const rocksdb::Snapshot* snapshot)
      : db_(db), handles_(handles), snapshot_(snapshot) {}

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const;
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix) const;

  rocksdb::ColumnFamilyHandle* handle(Column column) const { return handles_[static_cast<size_t>(column)]; }

 private:
  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksIterator final : public KvIterator {
 public:
  RocksIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* handle, const rocksdb::Snapshot* snapshot,
                ByteSpan prefix)
      : lower_(prefix.begin(), prefix.end()), upper_(prefix_successor(prefix)) {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    // Bounds let RocksDB skip files and stop at the end of the prefix instead of at the
    // next key past it. The slices point into members, which outlive the iterator.
    lower_slice_ = slice(lower_);
    read.iterate_lower_bound = &lower_slice_;
    if (upper_) {
      upper_slice_ = slice(*upper_);
      read.iterate_upper_bound = &upper_slice_;
    }
    it_.reset(db->NewIterator(read, handle));
  }
  RocksIterator(const RocksIterator&) = delete;
  RocksIterator& operator=(const RocksIterator&) = delete;

  void seek_to_first() override { it_->Seek(lower_slice_); }
  void seek(ByteSpan target) override {
    it_->Seek(std::lexicographical_compare(target.begin(), target.end(), lower_.begin(), lower_.end())
                  ? lower_slice_
                  : slice(target));
  }
  void next() override { it_->Next(); }
  bool valid() const override { return it_->Valid(); }
  ByteSpan key() const override { return span(it_->key()); }
  ByteSpan value() const override { return span(it_->value()); }
  Status status() const override {
    if (auto s = it_->status(); !s.ok()) return to_error(s, "iterator");
    return {};
  }

 private:
  Bytes lower_;
  std::optional<Bytes> upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

Result<std::optional<Bytes>> RocksReader::get(Column column, ByteSpan key) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot_;
  rocksdb::PinnableSlice value;
  const auto s = db_->Get(read, handle(column), slice(key), &value);
  if (s.IsNotFound()) return std::optional<Bytes>();
  if (!s.ok()) return to_error(s, std::string("get from ") + std::string(column_name(column)));
  const ByteSpan bytes = span(value);
  return std::optional<Bytes>(Bytes(bytes.begin(), bytes.end()));
}

std::unique_ptr<KvIterator> RocksReader::iterator(Column column, ByteSpan prefix) const {
  return std::make_unique<RocksIterator>(db_, handle(column), snapshot_, prefix);
}

class RocksSnapshot final : public KvSnapshot {
 public:
  RocksSnapshot(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : db_(db), snapshot_(db->GetSnapshot()), reader_(db, handles, snapshot_) {}
  RocksSnapshot(const RocksSnapshot&) = delete;
  RocksSnapshot& operator=(const RocksSnapshot&) = delete;
  ~RocksSnapshot() override { db_->ReleaseSnapshot(snapshot_); }

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return reader_.get(column, key);
  }
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const override {
    return reader_.iterator(column, prefix);
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  RocksReader reader_;
};

class RocksStore final : public KvStore {
 public:
  // Takes ownership of `db` and `handles` (one per Column, in Column order).
  RocksStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
             std::shared_ptr<rocksdb::Cache> cache)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        cache_(std::move(cache)),
        reader_(db_.get(), handles_, nullptr) {}
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;
  ~RocksStore() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    // Close() reports errors that the destructor would swallow; there is no one left to
    // report them to, and every acknowledged synced write is already in the WAL.
    db_->Close().PermitUncheckedError();
  }

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return reader_.get(column, key);
  }
  std::unique_ptr<KvIterator> iterator(Column column, ByteSpan prefix = {}) const override {
    return reader_.iterator(column, prefix);
  }
  std::unique_ptr<KvSnapshot> snapshot() const override {
    return std::make_unique<RocksSnapshot>(db_.get(), handles_);
  }

  Status write(const WriteBatch& batch, bool sync) override {
    rocksdb::WriteBatch rb;
    for (const auto& op : batch.ops()) {
      const auto s = op.erase ? rb.Delete(reader_.handle(op.column), slice(op.key))
                              : rb.Put(reader_.handle(op.column), slice(op.key), slice(op.value));
      if (!s.ok()) return to_error(s, "write batch");
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    if (auto s = db_->Write(options, &rb); !s.ok()) return to_error(s, "write");
    return {};
  }

  Status sync() override {
    if (auto s = db_->SyncWAL(); !s.ok()) return to_error(s, "sync");
    return {};
  }

  std::optional<StoreStats> stats() const override {
    StoreStats stats;
    auto property = [&](rocksdb::ColumnFamilyHandle* handle, const std::string& name) {
      uint64_t value = 0;
      return db_->GetIntProperty(handle, name, &value) ? value : 0;
    };
    for (Column c : kAllColumns) {
      rocksdb::ColumnFamilyHandle* handle = reader_.handle(c);
      StoreStats::ColumnStats column;
      column.column = std::string(column_name(c));
      column.live_data_bytes = property(handle, rocksdb::DB::Properties::kEstimateLiveDataSize);
      column.sst_files_bytes = property(handle, rocksdb::DB::Properties::kTotalSstFilesSize);
      column.memtable_bytes = property(handle, rocksdb::DB::Properties::kSizeAllMemTables);
      column.pending_compaction_bytes =
          property(handle, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
      stats.columns.push_back(std::move(column));
    }
    stats.block_cache_usage_bytes = cache_->GetUsage();
    stats.block_cache_capacity_bytes = cache_->GetCapacity();
    return stats;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Cache> cache_;
  RocksReader reader_;
};

Error open_error(const rocksdb::Status& s, const std::filesystem::path& dir) {
  const std::string where = "datadir " + dir.string();
  // RocksDB reports its LOCK file held, by this process or another, as an I/O error naming
  // the file: "While lock file: <dir>/LOCK: Resource temporarily unavailable", or "lock
  // hold by current process".
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return {ErrorCode::io, where + " is in use by another process or another open store (" + s.ToString() +
                               "); stop the other cairnd or choose another --datadir"};
  }
  if (s.IsCorruption()) {
    return {ErrorCode::io, where + " is corrupted (" + s.ToString() +
                               "); restore it from a backup, or delete it and resynchronise"};
  }
  return to_error(s, "cannot open " + where);
}

// Column families already in `dir` that this version does not know: a newer Cairn's.
Result<std::vector<std::string>> unknown_column_families(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "CURRENT", ec)) return std::vector<std::string>();
  std::vector<std::string> names;
  if (auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names); !s.ok()) {
    return open_error(s, dir);
  }
  std::vector<std::string> unknown;
  for (const auto& name : names) {
    const bool known =
        name == rocksdb::kDefaultColumnFamilyName ||
        std::any_of(kAllColumns.begin(), kAllColumns.end(), [&](Column c) { return column_name(c) == name; });
    if (!known) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace

Result<std::unique_ptr<KvStore>> open_rocksdb_store(const std::filesystem::path& dir,
                                                    const RocksDbOptions& options) {
  if (options.max_open_files < RocksDbOptions::kMinMaxOpenFiles) {
    return Error{ErrorCode::invalid_argument, "max_open_files " + std::to_string(options.max_open_files) +
                                                  " is below the minimum of " +
                                                  std::to_string(RocksDbOptions::kMinMaxOpenFiles)};
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{ErrorCode::io, "cannot create datadir " + dir.string() + ": " + ec.message()};

  CAIRN_TRY(const auto unknown, unknown_column_families(dir));
  if (!unknown.empty()) {
    return Error{ErrorCode::invalid_argument,
                 "datadir " + dir.string() + " has column family '" + unknown.front() +
                     "', unknown to this version: it was written by a newer Cairn; run that version"};
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_open_files = options.max_open_files;
  db_options.keep_log_file_num = kKeptInfoLogFiles;
  db_options.paranoid_checks = true;

  const auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  // RocksDB always has the default family; Cairn keeps nothing in it.
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (Column c : kAllColumns) families.emplace_back(std::string(column_name(c)), column_options(c, cache));

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(db_options, dir.string(), families, &handles, &raw); !s.ok()) {
    return open_error(s, dir);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  // Handles come back in the order of `families`: drop the default one's.
  db->DestroyColumnFamilyHandle(handles.front());
  handles.erase(handles.begin());
  return std::unique_ptr<KvStore>(std::make_unique<RocksStore>(std::move(db), std::move(handles), cache));
}

}  // namespace cairn
