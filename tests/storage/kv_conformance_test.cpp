// The KvStore contract (storage/kv.h), run against every implementation.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "storage/keys.h"
#include "storage/schema.h"
#include "stores.h"

namespace cairn::test {
namespace {

template <class Factory>
class KvConformance : public ::testing::Test {
 protected:
  KvStore& store() { return factory_.store(); }
  Factory factory_;
};

using StoreFactories = ::testing::Types<MemoryStoreFactory, RocksDbStoreFactory, FaultOverMemoryFactory,
                                        FaultOverRocksDbFactory>;
TYPED_TEST_SUITE(KvConformance, StoreFactories);

std::vector<Bytes> keys_in(const KvReader& reader, Column c, ByteSpan prefix = {}) {
  std::vector<Bytes> out;
  auto it = reader.iterator(c, prefix);
  for (it->seek_to_first(); it->valid(); it->next()) out.emplace_back(it->key().begin(), it->key().end());
  EXPECT_TRUE(it->status().ok());
  return out;
}

TYPED_TEST(KvConformance, GetPutEraseAndOverwrite) {
  KvStore& s = this->store();
  EXPECT_EQ(get_or_fail(s, Column::utxo, "k"), std::nullopt);
  put_or_fail(s, Column::utxo, "k", "v1");
  EXPECT_EQ(get_or_fail(s, Column::utxo, "k"), b("v1"));
  put_or_fail(s, Column::utxo, "k", "v2");
  EXPECT_EQ(get_or_fail(s, Column::utxo, "k"), b("v2"));
  // An empty value is present, not absent.
  put_or_fail(s, Column::utxo, "empty", "");
  EXPECT_EQ(get_or_fail(s, Column::utxo, "empty"), Bytes());

  WriteBatch erase;
  erase.erase(Column::utxo, b("k"));
  erase.erase(Column::utxo, b("never-written"));
  ASSERT_TRUE(s.write(erase, false).ok());
  EXPECT_EQ(get_or_fail(s, Column::utxo, "k"), std::nullopt);
  EXPECT_TRUE(s.sync().ok());
}

TYPED_TEST(KvConformance, ColumnsAreSeparateKeySpaces) {
  KvStore& s = this->store();
  WriteBatch batch;
  for (Column c : kAllColumns) batch.put(c, b("same key"), b(column_name(c)));
  ASSERT_TRUE(s.write(batch, true).ok());
  for (Column c : kAllColumns) {
    EXPECT_EQ(get_or_fail(s, c, "same key"), b(column_name(c)));
    EXPECT_EQ(keys_in(s, c).size(), 1u) << column_name(c);
  }
}

TYPED_TEST(KvConformance, LaterOperationOfABatchWins) {
  KvStore& s = this->store();
  WriteBatch batch;
  batch.put(Column::meta, b("a"), b("1"));
  batch.erase(Column::meta, b("a"));
  batch.erase(Column::meta, b("b"));
  batch.put(Column::meta, b("b"), b("2"));
  batch.put(Column::meta, b("c"), b("3"));
  batch.put(Column::meta, b("c"), b("4"));
  ASSERT_TRUE(s.write(batch, false).ok());
  EXPECT_EQ(get_or_fail(s, Column::meta, "a"), std::nullopt);
  EXPECT_EQ(get_or_fail(s, Column::meta, "b"), b("2"));
  EXPECT_EQ(get_or_fail(s, Column::meta, "c"), b("4"));
}

TYPED_TEST(KvConformance, EmptyBatchIsANoOp) {
  KvStore& s = this->store();
  put_or_fail(s, Column::undo, "k", "v");
  ASSERT_TRUE(s.write(WriteBatch(), true).ok());
  EXPECT_EQ(dump(s)[Column::undo].size(), 1u);
}

// A reader never sees part of a batch: two keys in two columns, always written together
// with the same value, are always read equal through a snapshot.
TYPED_TEST(KvConformance, ReadersSeeWholeBatchesOnly) {
  constexpr int kBatches = 200;
  KvStore& s = this->store();
  std::thread writer([&] {
    for (int i = 0; i < kBatches; ++i) {
      WriteBatch batch;
      batch.put(Column::utxo, b("x"), b(std::to_string(i)));
      batch.put(Column::undo, b("y"), b(std::to_string(i)));
      ASSERT_TRUE(s.write(batch, false).ok());
    }
  });
  for (int i = 0; i < kBatches; ++i) {
    auto snap = s.snapshot();
    EXPECT_EQ(get_or_fail(*snap, Column::utxo, "x"), get_or_fail(*snap, Column::undo, "y"));
  }
  writer.join();
  EXPECT_EQ(get_or_fail(s, Column::utxo, "x"), b(std::to_string(kBatches - 1)));
}

TYPED_TEST(KvConformance, SnapshotsIsolate) {
  KvStore& s = this->store();
  put_or_fail(s, Column::utxo, "kept", "old");
  put_or_fail(s, Column::utxo, "erased", "old");
  put_or_fail(s, Column::meta, "other column", "old");
  auto snap = s.snapshot();
  const Dump before = dump(*snap);

  WriteBatch batch;
  batch.put(Column::utxo, b("kept"), b("new"));
  batch.erase(Column::utxo, b("erased"));
  batch.put(Column::utxo, b("added"), b("new"));
  batch.put(Column::meta, b("other column"), b("new"));
  ASSERT_TRUE(s.write(batch, true).ok());

  EXPECT_EQ(get_or_fail(*snap, Column::utxo, "kept"), b("old"));
  EXPECT_EQ(get_or_fail(*snap, Column::utxo, "erased"), b("old"));
  EXPECT_EQ(get_or_fail(*snap, Column::utxo, "added"), std::nullopt);
  EXPECT_EQ(dump(*snap), before);
  EXPECT_EQ(get_or_fail(s, Column::utxo, "kept"), b("new"));
  EXPECT_EQ(get_or_fail(s, Column::utxo, "added"), b("new"));
  EXPECT_EQ(get_or_fail(s, Column::meta, "other column"), b("new"));
}

TYPED_TEST(KvConformance, IteratorReadsTheStateAtItsCreation) {
  KvStore& s = this->store();
  put_or_fail(s, Column::tx_index, "a", "1");
  auto it = s.iterator(Column::tx_index);
  put_or_fail(s, Column::tx_index, "b", "2");
  it->seek_to_first();
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(Bytes(it->key().begin(), it->key().end()), b("a"));
  it->next();
  EXPECT_FALSE(it->valid());
  EXPECT_TRUE(it->status().ok());
}

TYPED_TEST(KvConformance, IterationIsInUnsignedByteOrder) {
  KvStore& s = this->store();
  const std::vector<Bytes> sorted = {{},     {0x00}, {0x00, 0x00}, {0x01}, {0x01, 0x00}, {0x01, 0xff},
                                     {0x7f}, {0x80}, {0xfe, 0xff}, {0xff}, {0xff, 0x00}, {0xff, 0xff, 0xff}};
  std::vector<Bytes> shuffled = sorted;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 5, shuffled.end());
  WriteBatch batch;
  for (const auto& k : shuffled) batch.put(Column::block_index, k, k);
  ASSERT_TRUE(s.write(batch, false).ok());
  EXPECT_EQ(keys_in(s, Column::block_index), sorted);

  auto it = s.iterator(Column::block_index);
  EXPECT_FALSE(it->valid());  // unpositioned until a seek
  it->seek(Bytes{0x01, 0x01});
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(Bytes(it->key().begin(), it->key().end()), (Bytes{0x01, 0xff}));
  EXPECT_EQ(Bytes(it->value().begin(), it->value().end()), (Bytes{0x01, 0xff}));
  it->seek(Bytes{0xff, 0xff, 0xff, 0x00});
  EXPECT_FALSE(it->valid());
}

TYPED_TEST(KvConformance, PrefixBoundsTheRange) {
  KvStore& s = this->store();
  WriteBatch batch;
  for (const Bytes& k : std::vector<Bytes>{{0x01},
                                           {0x01, 0x00},
                                           {0x01, 0xff},
                                           {0x01, 0xff, 0xff},
                                           {0x02},
                                           {0x02, 0x00},
                                           {0x00, 0xff},
                                           {0xff, 0xff},
                                           {0xff, 0xff, 0x01},
                                           {0xff}}) {
    batch.put(Column::address_index, k, {});
  }
  ASSERT_TRUE(s.write(batch, false).ok());

  const Bytes p01{0x01};
  EXPECT_EQ(keys_in(s, Column::address_index, p01),
            (std::vector<Bytes>{{0x01}, {0x01, 0x00}, {0x01, 0xff}, {0x01, 0xff, 0xff}}));
  const Bytes p01ff{0x01, 0xff};
  EXPECT_EQ(keys_in(s, Column::address_index, p01ff), (std::vector<Bytes>{{0x01, 0xff}, {0x01, 0xff, 0xff}}));
  // All-0xff prefixes have no successor: the range is unbounded above.
  const Bytes pffff{0xff, 0xff};
  EXPECT_EQ(keys_in(s, Column::address_index, pffff), (std::vector<Bytes>{{0xff, 0xff}, {0xff, 0xff, 0x01}}));
  const Bytes p03{0x03};
  EXPECT_TRUE(keys_in(s, Column::address_index, p03).empty());

  auto it = s.iterator(Column::address_index, p01);
  it->seek(Bytes{0x00});  // below the prefix: lands on its first key
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(Bytes(it->key().begin(), it->key().end()), p01);
  it->seek(Bytes{0x01, 0x01});
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(Bytes(it->key().begin(), it->key().end()), (Bytes{0x01, 0xff}));
  it->seek(Bytes{0x02});  // above the prefix
  EXPECT_FALSE(it->valid());

  // A snapshot's iterators honour prefixes too.
  auto snap = s.snapshot();
  EXPECT_EQ(keys_in(*snap, Column::address_index, p01ff),
            (std::vector<Bytes>{{0x01, 0xff}, {0x01, 0xff, 0xff}}));
}

TYPED_TEST(KvConformance, SchemaIsStampedOnCreationAndChecked) {
  KvStore& s = this->store();
  ASSERT_TRUE(init_or_check_schema(s, Network::regtest).ok());
  EXPECT_EQ(get_or_fail(s, Column::meta, kMetaSchemaVersion), encode_u32_value(kSchemaVersion));
  EXPECT_EQ(get_or_fail(s, Column::meta, kMetaNetwork), encode_network_value(Network::regtest));
  EXPECT_TRUE(init_or_check_schema(s, Network::regtest).ok());

  const auto wrong = init_or_check_schema(s, Network::mainnet);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "the store belongs to regtest, not mainnet: use --network regtest or another --datadir");
}

TYPED_TEST(KvConformance, UnknownSchemaVersionsAreRefused) {
  KvStore& s = this->store();
  ASSERT_TRUE(init_or_check_schema(s, Network::testnet).ok());

  put_bytes_or_fail(s, Column::meta, meta_key(kMetaSchemaVersion), encode_u32_value(kSchemaVersion + 1));
  auto newer = init_or_check_schema(s, Network::testnet);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("schema version " + std::to_string(kSchemaVersion + 1)),
            std::string::npos);
  EXPECT_NE(newer.error().message.find("reads only schema version " + std::to_string(kSchemaVersion)),
            std::string::npos);
  EXPECT_NE(newer.error().message.find("newer Cairn"), std::string::npos);

  put_bytes_or_fail(s, Column::meta, meta_key(kMetaSchemaVersion), encode_u32_value(kSchemaVersion - 1));
  auto older = init_or_check_schema(s, Network::testnet);
  ASSERT_FALSE(older.ok());
  EXPECT_NE(older.error().message.find("schema version " + std::to_string(kSchemaVersion - 1)),
            std::string::npos);
  EXPECT_NE(older.error().message.find("older Cairn"), std::string::npos);
}

TYPED_TEST(KvConformance, DataWithoutSchemaIsRefused) {
  KvStore& s = this->store();
  put_or_fail(s, Column::utxo, "orphan", "data");
  auto status = init_or_check_schema(s, Network::regtest);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("holds data but no schema version"), std::string::npos);
  EXPECT_EQ(get_or_fail(s, Column::meta, kMetaSchemaVersion), std::nullopt);
}

}  // namespace
}  // namespace cairn::test
