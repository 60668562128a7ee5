// The on-disk KvStore: RocksDB, one column family per Column (named by column_name()),
// with its write-ahead log on. This header and rocksdb_store.cpp are the only places
// that know RocksDB; its types and its Status never leave them.
//
// A datadir is open in one process at a time: RocksDB locks <dir>/LOCK, and a second open
// (from this process or another) fails with a message saying the directory is in use.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "storage/kv.h"

namespace cairn {

struct RocksDbOptions {
  // Shared by every column: RocksDB's cache of uncompressed data blocks, index and filter
  // blocks (the bloom filters of the point-lookup columns).
  static constexpr size_t kDefaultBlockCacheBytes = size_t{256} << 20;
  // Leaves the rest of the common 1024-descriptor limit to peers, RPC and the WAL.
  static constexpr int kDefaultMaxOpenFiles = 512;
  // RocksDB silently raises anything lower to this; we refuse it instead.
  static constexpr int kMinMaxOpenFiles = 20;

  size_t block_cache_bytes = kDefaultBlockCacheBytes;
  int max_open_files = kDefaultMaxOpenFiles;
};

// Opens the store in `dir`, creating the directory, the database and any missing column
// family. Refused with a message naming `dir` and what to do when the directory is locked
// by another open, the database is corrupted, it has column families this version does
// not know (written by a newer Cairn), or max_open_files < kMinMaxOpenFiles.
// Schema checks (version, network) are storage/schema.h, on top of this.
Result<std::unique_ptr<KvStore>> open_rocksdb_store(const std::filesystem::path& dir,
                                                    const RocksDbOptions& options = {});

}  // namespace cairn
