#include "contracts/contract_state.h"

#include <gtest/gtest.h>

namespace cairn::contracts {
namespace {

ContractId id_of(uint8_t n) {
  ContractId id;
  id.bytes[0] = n;
  return id;
}

Hash256 hash_of(uint8_t n) {
  Hash256 h;
  h.bytes[31] = n;
  return h;
}

ContractRecord record_with(Amount balance, uint64_t storage_bytes = 0) {
  ContractRecord r;
  r.code_hash = hash_of(7);
  r.balance = balance;
  r.storage_bytes = storage_bytes;
  return r;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::optional<Bytes> read(const StateOverlay& o, const ContractId& id, std::string_view key) {
  auto r = o.storage(id, as_bytes(key));
  EXPECT_TRUE(r.ok());
  return *r;
}

std::optional<ContractRecord> read_record(const StateOverlay& o, const ContractId& id) {
  auto r = o.record(id);
  EXPECT_TRUE(r.ok());
  return *r;
}

// A store holding contract 1 (balance 100) with storage "a" = "1", "b" = "2".
MemoryContractStore seeded_store() {
  StateChanges seed;
  seed.records.push_back({id_of(1), std::nullopt, record_with(100)});
  seed.storage.push_back({id_of(1), bytes_of("a"), std::nullopt, bytes_of("1")});
  seed.storage.push_back({id_of(1), bytes_of("b"), std::nullopt, bytes_of("2")});
  seed.codes.emplace_back(hash_of(7), bytes_of("code"));
  MemoryContractStore store;
  store.apply(seed);
  return store;
}

TEST(ContractStateOverlay, ReadsFallThroughToTheStore) {
  MemoryContractStore store = seeded_store();
  StateOverlay o(store);
  EXPECT_EQ(read_record(o, id_of(1)), record_with(100));
  EXPECT_EQ(read_record(o, id_of(2)), std::nullopt);
  EXPECT_EQ(read(o, id_of(1), "a"), bytes_of("1"));
  EXPECT_EQ(read(o, id_of(1), "z"), std::nullopt);
  EXPECT_EQ(read(o, id_of(2), "a"), std::nullopt);
  auto code = o.code(hash_of(7));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, bytes_of("code"));
  EXPECT_TRUE(o.changes().records.empty());
}

TEST(ContractStateOverlay, WritesShadowTheStore) {
  MemoryContractStore store = seeded_store();
  StateOverlay o(store);
  o.put_record(id_of(1), record_with(5));
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("x"));
  o.erase_storage(id_of(1), as_bytes("b"));
  o.put_storage(id_of(1), as_bytes("c"), as_bytes("3"));
  EXPECT_EQ(read_record(o, id_of(1)), record_with(5));
  EXPECT_EQ(read(o, id_of(1), "a"), bytes_of("x"));
  EXPECT_EQ(read(o, id_of(1), "b"), std::nullopt);
  EXPECT_EQ(read(o, id_of(1), "c"), bytes_of("3"));
  // The store itself is untouched until changes are applied.
  auto stored = store.storage(id_of(1), as_bytes("b"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, bytes_of("2"));
}

TEST(ContractStateOverlay, RevertRestoresExactly) {
  MemoryContractStore store = seeded_store();
  StateOverlay o(store);
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("before"));
  const size_t mark = o.checkpoint();
  o.put_record(id_of(1), record_with(1));
  o.put_record(id_of(2), record_with(2));
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("x"));
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("y"));
  o.erase_storage(id_of(1), as_bytes("b"));
  o.put_storage(id_of(2), as_bytes("new"), as_bytes("v"));
  o.put_code(hash_of(9), bytes_of("other code"));
  o.revert(mark);
  EXPECT_EQ(read_record(o, id_of(1)), record_with(100));
  EXPECT_EQ(read_record(o, id_of(2)), std::nullopt);
  EXPECT_EQ(read(o, id_of(1), "a"), bytes_of("before"));
  EXPECT_EQ(read(o, id_of(1), "b"), bytes_of("2"));
  EXPECT_EQ(read(o, id_of(2), "new"), std::nullopt);
  auto code = o.code(hash_of(9));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, std::nullopt);
  const StateChanges changes = o.changes();
  EXPECT_TRUE(changes.records.empty());
  EXPECT_TRUE(changes.codes.empty());
  ASSERT_EQ(changes.storage.size(), 1u);
  EXPECT_EQ(changes.storage[0].after, bytes_of("before"));
}

TEST(ContractStateOverlay, NestedCheckpointsRevertAndReleaseInnermostFirst) {
  MemoryContractStore store;
  StateOverlay o(store);
  const size_t outer = o.checkpoint();
  o.put_storage(id_of(1), as_bytes("k"), as_bytes("outer"));
  const size_t middle = o.checkpoint();
  o.put_storage(id_of(1), as_bytes("k"), as_bytes("middle"));
  const size_t inner = o.checkpoint();
  o.put_storage(id_of(1), as_bytes("k"), as_bytes("inner"));
  o.put_storage(id_of(1), as_bytes("j"), as_bytes("inner"));
  o.revert(inner);
  EXPECT_EQ(read(o, id_of(1), "k"), bytes_of("middle"));
  EXPECT_EQ(read(o, id_of(1), "j"), std::nullopt);
  o.release(middle);  // keeps "middle", but the outer checkpoint can still undo it
  EXPECT_EQ(read(o, id_of(1), "k"), bytes_of("middle"));
  o.revert(outer);
  EXPECT_EQ(read(o, id_of(1), "k"), std::nullopt);
  EXPECT_TRUE(o.changes().storage.empty());
}

TEST(ContractStateOverlay, ReleasedChangesSurviveALaterCheckpoint) {
  MemoryContractStore store;
  StateOverlay o(store);
  const size_t first = o.checkpoint();
  o.put_record(id_of(3), record_with(30));
  o.release(first);
  const size_t second = o.checkpoint();
  o.put_record(id_of(3), record_with(31));
  o.revert(second);
  EXPECT_EQ(read_record(o, id_of(3)), record_with(30));
}

TEST(ContractStateOverlay, ChangesAreNetAndSorted) {
  MemoryContractStore store = seeded_store();
  StateOverlay o(store);
  // Changed, then changed back: left out.
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("x"));
  o.put_storage(id_of(1), as_bytes("a"), as_bytes("1"));
  o.put_record(id_of(1), record_with(1));
  o.put_record(id_of(1), record_with(100));
  // Created and erased again: left out.
  o.put_storage(id_of(4), as_bytes("t"), as_bytes("tmp"));
  o.erase_storage(id_of(4), as_bytes("t"));
  // Erasing something absent: left out.
  o.erase_storage(id_of(1), as_bytes("none"));
  // Real changes, written out of order.
  o.put_storage(id_of(2), as_bytes("b"), as_bytes("B"));
  o.erase_storage(id_of(1), as_bytes("b"));
  o.put_storage(id_of(2), as_bytes("a"), as_bytes("A"));
  o.put_record(id_of(2), record_with(2));
  o.put_record(id_of(0), record_with(0));
  o.put_code(hash_of(9), bytes_of("nine"));

  const StateChanges c = o.changes();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0], (RecordChange{id_of(0), std::nullopt, record_with(0)}));
  EXPECT_EQ(c.records[1], (RecordChange{id_of(2), std::nullopt, record_with(2)}));
  ASSERT_EQ(c.storage.size(), 3u);
  EXPECT_EQ(c.storage[0], (StorageChange{id_of(1), bytes_of("b"), bytes_of("2"), std::nullopt}));
  EXPECT_EQ(c.storage[1], (StorageChange{id_of(2), bytes_of("a"), std::nullopt, bytes_of("A")}));
  EXPECT_EQ(c.storage[2], (StorageChange{id_of(2), bytes_of("b"), std::nullopt, bytes_of("B")}));
  ASSERT_EQ(c.codes.size(), 1u);
  EXPECT_EQ(c.codes[0].first, hash_of(9));
  EXPECT_EQ(c.codes[0].second, bytes_of("nine"));
}

TEST(ContractStateOverlay, CodePutsAreReadBackAndReverted) {
  MemoryContractStore store;
  StateOverlay o(store);
  o.put_code(hash_of(1), bytes_of("one"));
  const size_t mark = o.checkpoint();
  o.put_code(hash_of(1), bytes_of("one"));  // same hash again: nothing new to undo
  o.put_code(hash_of(2), bytes_of("two"));
  o.revert(mark);
  auto one = o.code(hash_of(1));
  auto two = o.code(hash_of(2));
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(*one, bytes_of("one"));
  EXPECT_EQ(*two, std::nullopt);
  ASSERT_EQ(o.changes().codes.size(), 1u);
}

TEST(ContractStateOverlay, AppliedChangesMakeTheStoreEqualTheOverlay) {
  MemoryContractStore store = seeded_store();
  StateOverlay o(store);
  o.put_record(id_of(1), record_with(42, 7));
  o.erase_storage(id_of(1), as_bytes("a"));
  o.put_storage(id_of(1), as_bytes("b"), as_bytes("22"));
  o.put_storage(id_of(5), as_bytes("k"), as_bytes("v"));
  o.put_code(hash_of(5), bytes_of("five"));
  store.apply(o.changes());

  StateOverlay fresh(store);
  EXPECT_EQ(read_record(fresh, id_of(1)), record_with(42, 7));
  EXPECT_EQ(read(fresh, id_of(1), "a"), std::nullopt);
  EXPECT_EQ(read(fresh, id_of(1), "b"), bytes_of("22"));
  EXPECT_EQ(read(fresh, id_of(5), "k"), bytes_of("v"));
  auto code = fresh.code(hash_of(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, bytes_of("five"));
}

// A store whose reads fail, as a broken disk would.
class FailingStore : public ContractStore {
 public:
  Result<std::optional<ContractRecord>> record(const ContractId&) const override { return failure(); }
  Result<std::optional<Bytes>> storage(const ContractId&, ByteSpan) const override { return failure(); }
  Result<std::optional<Bytes>> code(const Hash256&) const override { return failure(); }

 private:
  static Error failure() { return Error{ErrorCode::io, "disk on fire"}; }
};

TEST(ContractStateOverlay, StoreFailuresAreReported) {
  FailingStore store;
  StateOverlay o(store);
  auto r = o.record(id_of(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::io);
  // A write that had to load the stored value makes every later read fail too.
  o.put_storage(id_of(1), as_bytes("k"), as_bytes("v"));
  auto s = o.storage(id_of(1), as_bytes("k"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "disk on fire");
}

}  // namespace
}  // namespace cairn::contracts
