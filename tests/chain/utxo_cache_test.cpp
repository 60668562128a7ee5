// The UTXO cache: fresh and dirty entries, flushing into a batch, discarding a failed
// block's changes, and the size bound.
#include "chain/utxo_cache.h"

#include <gtest/gtest.h>

#include "storage/keys.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

OutPoint outpoint(uint8_t tag, uint32_t index) {
  Txid id;
  id.bytes.fill(tag);
  return OutPoint{id, index};
}

Coin coin(Amount value) { return Coin{TxOut{value, OutputLock{}}, 7, false}; }

// Flushes `cache` into `store` the way the chain manager does.
void flush(UtxoCache& cache, KvStore& store) {
  WriteBatch batch;
  cache.flush_into(batch);
  ASSERT_TRUE(store.write(batch, true).ok());
  cache.mark_flushed();
}

TEST(UtxoCache, ACoinCreatedAndSpentBeforeAFlushNeverReachesTheStore) {
  MemoryStore store;
  UtxoCache cache(store);
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(5)).ok());
  auto spent = cache.spend_coin(outpoint(1, 0));
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(**spent, coin(5));
  WriteBatch batch;
  cache.flush_into(batch);
  EXPECT_TRUE(batch.empty());
}

TEST(UtxoCache, FlushWritesNewCoinsAndErasesSpentOnes) {
  MemoryStore store;
  UtxoCache cache(store);
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(5)).ok());
  ASSERT_TRUE(cache.add_coin(outpoint(1, 1), coin(6)).ok());
  flush(cache, store);
  EXPECT_EQ(*store.get(Column::utxo, utxo_key(outpoint(1, 1))).value(), encode_coin_value(coin(6)));

  UtxoCache reopened(store);
  EXPECT_EQ(*reopened.get_coin(outpoint(1, 0)).value(), coin(5));
  ASSERT_TRUE(reopened.spend_coin(outpoint(1, 0)).value().has_value());
  EXPECT_FALSE(reopened.get_coin(outpoint(1, 0)).value().has_value());
  EXPECT_FALSE(reopened.spend_coin(outpoint(1, 0)).value().has_value()) << "spent twice";
  flush(reopened, store);
  EXPECT_FALSE(store.get(Column::utxo, utxo_key(outpoint(1, 0))).value().has_value());
  EXPECT_TRUE(store.get(Column::utxo, utxo_key(outpoint(1, 1))).value().has_value());
}

TEST(UtxoCache, RecreatingASpentStoredCoinIsWrittenNotForgotten) {
  MemoryStore store;
  UtxoCache cache(store);
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(5)).ok());
  flush(cache, store);
  ASSERT_TRUE(cache.spend_coin(outpoint(1, 0)).value().has_value());
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(9)).ok());  // as a disconnect does
  ASSERT_TRUE(cache.spend_coin(outpoint(1, 0)).value().has_value());
  flush(cache, store);
  EXPECT_FALSE(store.get(Column::utxo, utxo_key(outpoint(1, 0))).value().has_value())
      << "the stored coin was spent, so the erase must reach the store";
}

TEST(UtxoCache, AddingOverAnUnspentCoinIsRefused) {
  MemoryStore store;
  UtxoCache cache(store);
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(5)).ok());
  flush(cache, store);
  UtxoCache other(store);
  auto s = other.add_coin(outpoint(1, 0), coin(6));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_argument);
}

TEST(UtxoCache, DiscardChangesReturnsTheViewToTheStore) {
  MemoryStore store;
  UtxoCache cache(store);
  ASSERT_TRUE(cache.add_coin(outpoint(1, 0), coin(5)).ok());
  flush(cache, store);
  ASSERT_TRUE(cache.spend_coin(outpoint(1, 0)).value().has_value());
  ASSERT_TRUE(cache.add_coin(outpoint(2, 0), coin(6)).ok());
  cache.discard_changes();
  EXPECT_EQ(*cache.get_coin(outpoint(1, 0)).value(), coin(5));
  EXPECT_FALSE(cache.get_coin(outpoint(2, 0)).value().has_value());
  WriteBatch batch;
  cache.flush_into(batch);
  EXPECT_TRUE(batch.empty());
}

TEST(UtxoCache, CleanEntriesAreDroppedWhenOverTheBoundAndReadBack) {
  MemoryStore store;
  UtxoCache cache(store, /*max_bytes=*/1);
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(cache.add_coin(outpoint(1, i), coin(i + 1)).ok());
  EXPECT_GT(cache.estimated_bytes(), cache.max_bytes());
  flush(cache, store);
  EXPECT_EQ(cache.estimated_bytes(), 0u);
  EXPECT_EQ(*cache.get_coin(outpoint(1, 3)).value(), coin(4));
}

TEST(UtxoCache, CleanEntriesStayCachedUnderTheBound) {
  MemoryStore store;
  UtxoCache big(store);
  ASSERT_TRUE(big.add_coin(outpoint(1, 0), coin(1)).ok());
  flush(big, store);
  EXPECT_GT(big.estimated_bytes(), 0u) << "under the bound, clean entries stay cached";
}

}  // namespace
}  // namespace cairn
