// Stores for the storage tests: a temporary directory, factories for each KvStore
// implementation, and a dump of a whole store for exact comparisons.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/fault_store.h"
#include "storage/kv.h"
#include "storage/memory_store.h"
#include "storage/rocksdb_store.h"
#include "support/temp_dir.h"

namespace cairn::test {

// A small block cache keeps the tests' memory use low.
inline RocksDbOptions test_rocksdb_options() {
  RocksDbOptions options;
  options.block_cache_bytes = size_t{8} << 20;
  return options;
}

inline std::unique_ptr<KvStore> open_rocksdb_or_fail(const std::filesystem::path& dir) {
  auto store = open_rocksdb_store(dir, test_rocksdb_options());
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  return store ? std::move(*store) : nullptr;
}

// Factories: each owns one store of its kind, reached with store().
struct MemoryStoreFactory {
  MemoryStore memory;
  KvStore& store() { return memory; }
};

struct RocksDbStoreFactory {
  TempDir dir;
  std::unique_ptr<KvStore> rocks = open_rocksdb_or_fail(dir.path());
  KvStore& store() { return *rocks; }
};

struct FaultOverMemoryFactory {
  MemoryStore base;
  FaultInjectingStore fault{base};
  KvStore& store() { return fault; }
};

struct FaultOverRocksDbFactory {
  RocksDbStoreFactory base;
  FaultInjectingStore fault{base.store()};
  KvStore& store() { return fault; }
};

inline Bytes b(std::string_view s) { return Bytes(s.begin(), s.end()); }

using Dump = std::map<Column, std::vector<std::pair<Bytes, Bytes>>>;

// Every key and value of every column, in iteration order.
inline Dump dump(const KvReader& reader) {
  Dump out;
  for (Column c : kAllColumns) {
    auto it = reader.iterator(c);
    for (it->seek_to_first(); it->valid(); it->next()) {
      out[c].emplace_back(Bytes(it->key().begin(), it->key().end()),
                          Bytes(it->value().begin(), it->value().end()));
    }
    EXPECT_TRUE(it->status().ok());
  }
  return out;
}

inline std::optional<Bytes> get_or_fail(const KvReader& reader, Column c, std::string_view key) {
  auto v = reader.get(c, b(key));
  EXPECT_TRUE(v.ok()) << v.error().to_string();
  return v ? *v : std::nullopt;
}

inline void put_or_fail(KvStore& store, Column c, std::string_view key, std::string_view value,
                        bool sync = false) {
  WriteBatch batch;
  batch.put(c, b(key), b(value));
  auto s = store.write(batch, sync);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
}

inline void put_bytes_or_fail(KvStore& store, Column c, ByteSpan key, ByteSpan value, bool sync = false) {
  WriteBatch batch;
  batch.put(c, key, value);
  auto s = store.write(batch, sync);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
}

}  // namespace cairn::test
