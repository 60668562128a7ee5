// What only the on-disk store does: persistence across reopen, the directory lock,
// corruption and option checks.
#include <fstream>

#include <gtest/gtest.h>

#include "storage/keys.h"
#include "storage/schema.h"
#include "stores.h"

namespace cairn::test {
namespace {

TEST(RocksDbStore, WritesPersistAcrossReopen) {
  TempDir dir;
  {
    auto store = open_rocksdb_or_fail(dir.path());
    ASSERT_TRUE(init_or_check_schema(*store, Network::regtest).ok());
    put_or_fail(*store, Column::utxo, "synced", "1", /*sync=*/true);
    // Unsynced writes are in the WAL, which a clean close keeps.
    put_or_fail(*store, Column::block_bodies, "unsynced", "2", /*sync=*/false);
    WriteBatch erase;
    erase.erase(Column::utxo, b("synced"));
    erase.put(Column::utxo, b("replacement"), b("3"));
    ASSERT_TRUE(store->write(erase, false).ok());
  }
  auto store = open_rocksdb_or_fail(dir.path());
  EXPECT_TRUE(init_or_check_schema(*store, Network::regtest).ok());
  EXPECT_EQ(get_or_fail(*store, Column::utxo, "synced"), std::nullopt);
  EXPECT_EQ(get_or_fail(*store, Column::utxo, "replacement"), b("3"));
  EXPECT_EQ(get_or_fail(*store, Column::block_bodies, "unsynced"), b("2"));
}

TEST(RocksDbStore, NetworkIsCheckedAfterReopen) {
  TempDir dir;
  {
    auto store = open_rocksdb_or_fail(dir.path());
    ASSERT_TRUE(init_or_check_schema(*store, Network::mainnet).ok());
  }
  auto store = open_rocksdb_or_fail(dir.path());
  auto status = init_or_check_schema(*store, Network::regtest);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "the store belongs to mainnet, not regtest: use --network mainnet or another --datadir");
}

TEST(RocksDbStore, SecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  auto first = open_rocksdb_or_fail(dir.path());
  auto second = open_rocksdb_store(dir.path(), test_rocksdb_options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::io);
  EXPECT_NE(second.error().message.find("datadir " + dir.path().string() + " is in use"), std::string::npos)
      << second.error().message;
  // The first store is unharmed, and the directory opens again once it is closed.
  put_or_fail(*first, Column::meta, "still", "works");
  first.reset();
  EXPECT_NE(open_rocksdb_or_fail(dir.path()), nullptr);
}

TEST(RocksDbStore, CorruptedDirectoryIsRefusedClearly) {
  TempDir dir;
  open_rocksdb_or_fail(dir.path()).reset();
  std::ofstream(dir.path() / "CURRENT", std::ios::trunc) << "not a manifest name";
  auto store = open_rocksdb_store(dir.path(), test_rocksdb_options());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("is corrupted"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(dir.path().string()), std::string::npos);
}

TEST(RocksDbStore, MaxOpenFilesBelowTheMinimumIsRefused) {
  TempDir dir;
  RocksDbOptions options = test_rocksdb_options();
  options.max_open_files = RocksDbOptions::kMinMaxOpenFiles - 1;
  auto refused = open_rocksdb_store(dir.path(), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(refused.error().message, "max_open_files 19 is below the minimum of 20");
  options.max_open_files = RocksDbOptions::kMinMaxOpenFiles;
  EXPECT_TRUE(open_rocksdb_store(dir.path(), options).ok());
}

TEST(RocksDbStore, EveryColumnIsACreatedColumnFamily) {
  TempDir dir;
  {
    auto store = open_rocksdb_or_fail(dir.path());
    WriteBatch batch;
    for (Column c : kAllColumns) batch.put(c, b("k"), b(column_name(c)));
    ASSERT_TRUE(store->write(batch, true).ok());
  }
  auto store = open_rocksdb_or_fail(dir.path());
  for (Column c : kAllColumns) EXPECT_EQ(get_or_fail(*store, c, "k"), b(column_name(c)));
}

}  // namespace
}  // namespace cairn::test
