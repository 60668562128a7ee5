// The fault-injecting store: failed writes and syncs, and crashes that drop exactly the
// writes not yet synced (the durability model of storage/fault_store.h).
#include <gtest/gtest.h>

#include "stores.h"

namespace cairn::test {
namespace {

template <class Factory>
class FaultStore : public ::testing::Test {
 protected:
  FaultInjectingStore& fault() { return factory_.fault; }
  Factory factory_;
};

using FaultFactories = ::testing::Types<FaultOverMemoryFactory, FaultOverRocksDbFactory>;
TYPED_TEST_SUITE(FaultStore, FaultFactories);

WriteBatch two_column_batch(std::string_view value) {
  WriteBatch batch;
  batch.put(Column::utxo, b("coin"), b(value));
  batch.put(Column::undo, b("undo"), b(value));
  batch.erase(Column::meta, b("tip"));
  return batch;
}

TYPED_TEST(FaultStore, FailsTheKthWriteAndNothingOfItsBatch) {
  auto& s = this->fault();
  put_or_fail(s, Column::utxo, "coin", "0");
  s.fail_write(3);
  put_or_fail(s, Column::utxo, "coin", "1");
  put_or_fail(s, Column::meta, "tip", "t", /*sync=*/true);
  const Dump before = dump(s);

  auto failed = s.write(two_column_batch("3"), false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::io);
  EXPECT_EQ(failed.error().message, "injected fault: write failed");
  EXPECT_EQ(dump(s), before);

  // The fault fires once.
  ASSERT_TRUE(s.write(two_column_batch("4"), false).ok());
  EXPECT_EQ(get_or_fail(s, Column::utxo, "coin"), b("4"));
}

TYPED_TEST(FaultStore, FailsTheKthSyncCountingSyncedWritesAndSyncCalls) {
  auto& s = this->fault();
  s.fail_sync(3);
  ASSERT_TRUE(s.write(two_column_batch("1"), true).ok());   // sync 1
  ASSERT_TRUE(s.write(two_column_batch("2"), false).ok());  // not a sync
  ASSERT_TRUE(s.sync().ok());                               // sync 2
  ASSERT_TRUE(s.write(two_column_batch("pending"), false).ok());
  const Dump before = dump(s);

  auto failed = s.write(two_column_batch("3"), true);  // sync 3
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "injected fault: sync of a synced write failed");
  EXPECT_EQ(dump(s), before);  // nothing of the failed batch applied

  // The failed sync made nothing durable: a crash still drops the pending write.
  EXPECT_EQ(s.pending_writes(), 1u);
  ASSERT_TRUE(s.crash().ok());
  EXPECT_EQ(get_or_fail(s, Column::utxo, "coin"), b("2"));
}

TYPED_TEST(FaultStore, AFailedSyncCallLeavesWritesPending) {
  auto& s = this->fault();
  put_or_fail(s, Column::utxo, "coin", "durable", true);
  put_or_fail(s, Column::utxo, "coin", "pending", false);
  s.fail_sync(1);
  auto failed = s.sync();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "injected fault: sync failed");
  ASSERT_TRUE(s.crash().ok());
  EXPECT_EQ(get_or_fail(s, Column::utxo, "coin"), b("durable"));
}

TYPED_TEST(FaultStore, CrashDropsExactlyTheUnsyncedWrites) {
  auto& s = this->fault();
  WriteBatch first;
  first.put(Column::utxo, b("a"), b("1"));
  first.put(Column::utxo, b("b"), b("1"));
  first.put(Column::tx_index, b("c"), b("1"));
  ASSERT_TRUE(s.write(first, true).ok());
  const Dump durable = dump(s);

  // Overwrites, erases, new keys and repeated changes of one key, all unsynced.
  WriteBatch second;
  second.put(Column::utxo, b("a"), b("2"));
  second.erase(Column::utxo, b("b"));
  second.put(Column::block_bodies, b("new"), b("2"));
  ASSERT_TRUE(s.write(second, false).ok());
  WriteBatch third;
  third.put(Column::utxo, b("a"), b("3"));
  third.put(Column::utxo, b("b"), b("3"));
  third.erase(Column::tx_index, b("c"));
  ASSERT_TRUE(s.write(third, false).ok());
  EXPECT_EQ(s.pending_writes(), 2u);
  EXPECT_NE(dump(s), durable);

  ASSERT_TRUE(s.crash().ok());
  EXPECT_EQ(dump(s), durable);
  EXPECT_EQ(s.pending_writes(), 0u);
}

TYPED_TEST(FaultStore, SyncAndSyncedWritesMakeEarlierWritesDurable) {
  auto& s = this->fault();
  put_or_fail(s, Column::utxo, "by sync()", "1", false);
  ASSERT_TRUE(s.sync().ok());
  put_or_fail(s, Column::utxo, "by a later synced write", "1", false);
  put_or_fail(s, Column::utxo, "synced itself", "1", true);
  put_or_fail(s, Column::utxo, "dropped", "1", false);
  const Dump expected = [&] {
    Dump d = dump(s);
    auto& utxo = d[Column::utxo];
    std::erase_if(utxo, [](const auto& kv) { return kv.first == b("dropped"); });
    return d;
  }();
  ASSERT_TRUE(s.crash().ok());
  EXPECT_EQ(dump(s), expected);
}

TEST(FaultStoreOverRocksDb, TheDurableImageIsWhatReopensAfterACrash) {
  TempDir dir;
  {
    auto rocks = open_rocksdb_or_fail(dir.path());
    FaultInjectingStore s(*rocks);
    put_or_fail(s, Column::utxo, "kept", "1", true);
    put_or_fail(s, Column::utxo, "kept", "2", false);
    put_or_fail(s, Column::utxo, "lost", "2", false);
    ASSERT_TRUE(s.crash().ok());
  }
  auto rocks = open_rocksdb_or_fail(dir.path());
  EXPECT_EQ(get_or_fail(*rocks, Column::utxo, "kept"), b("1"));
  EXPECT_EQ(get_or_fail(*rocks, Column::utxo, "lost"), std::nullopt);
}

}  // namespace
}  // namespace cairn::test
