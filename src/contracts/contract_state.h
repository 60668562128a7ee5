// Contract state as the executor sees it: a ContractStore (what the chain has stored, or
// memory in tests) under a StateOverlay that collects one block's changes, with nested
// checkpoints so a failed call or transaction is reverted exactly (docs/contracts.md §5, §7).
//
// The chain reads the overlay's net changes once per block to update the state root, its
// write batch and its undo data (docs/contracts.md §6).
//
// Not thread-safe: one thread (the chain's) uses an overlay and its store at a time.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "primitives/contract.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::contracts {

// Read access to stored contract state. Errors are the store's (I/O, corruption).
class ContractStore {
 public:
  virtual ~ContractStore() = default;
  virtual Result<std::optional<ContractRecord>> record(const ContractId& id) const = 0;
  virtual Result<std::optional<Bytes>> storage(const ContractId& id, ByteSpan key) const = 0;
  // The original code with this code hash.
  virtual Result<std::optional<Bytes>> code(const Hash256& code_hash) const = 0;
};

// Net changes of an overlay against its store: each touched item once, with its value in
// the store (before) and in the overlay (after); items whose value ended as it began are
// left out. Sorted by id, then key.
struct RecordChange {
  ContractId id;
  std::optional<ContractRecord> before;
  std::optional<ContractRecord> after;
  bool operator==(const RecordChange&) const = default;
};
struct StorageChange {
  ContractId id;
  Bytes key;
  std::optional<Bytes> before;
  std::optional<Bytes> after;
  bool operator==(const StorageChange&) const = default;
};
struct StateChanges {
  std::vector<RecordChange> records;
  std::vector<StorageChange> storage;
  std::vector<std::pair<Hash256, Bytes>> codes;  // code hash -> code, added (never removed)
};

class StateOverlay {
 public:
  // REQUIRES: `base` outlives the overlay.
  explicit StateOverlay(const ContractStore& base);

  Result<std::optional<ContractRecord>> record(const ContractId& id) const;
  void put_record(const ContractId& id, const ContractRecord& record);
  Result<std::optional<Bytes>> storage(const ContractId& id, ByteSpan key) const;
  void put_storage(const ContractId& id, ByteSpan key, ByteSpan value);
  void erase_storage(const ContractId& id, ByteSpan key);
  Result<std::optional<Bytes>> code(const Hash256& code_hash) const;
  void put_code(const Hash256& code_hash, Bytes code);

  // Marks the present state; revert(mark) undoes every change made after it, release(mark)
  // keeps them. Marks nest: revert or release the latest one first.
  size_t checkpoint();
  void revert(size_t mark);
  void release(size_t mark);

  // The net changes against the store. REQUIRES: no checkpoint is open, and no read has
  // returned a store failure (the caller stops at the first Error).
  StateChanges changes() const;

 private:
  using StorageKey = std::pair<ContractId, Bytes>;

  // The stored value of an item, read once and remembered: reads go to the store only the
  // first time, and changes() compares against these. A put of an item never read loads it
  // here first; if the store fails then, the failure is kept and every later read returns it.
  Result<std::optional<ContractRecord>> base_record(const ContractId& id) const;
  Result<std::optional<Bytes>> base_storage(const StorageKey& key) const;
  void load_base_record(const ContractId& id);
  void load_base_storage(const StorageKey& key);

  const ContractStore& base_;
  std::map<ContractId, std::optional<ContractRecord>> records_;
  std::map<StorageKey, std::optional<Bytes>> storage_;
  std::map<Hash256, Bytes> codes_;
  mutable std::map<ContractId, std::optional<ContractRecord>> base_records_;
  mutable std::map<StorageKey, std::optional<Bytes>> base_storage_;
  std::optional<Error> store_failure_;
  // One entry per change, to revert: which item, and its overlay value before the change
  // (`had` false: the item was not in the overlay).
  struct JournalEntry {
    enum class Kind : uint8_t { record, storage, code } kind;
    StorageKey item;  // the contract id (or the code hash), and the storage key
    bool had = false;
    std::optional<ContractRecord> record;
    std::optional<Bytes> value;
  };
  std::vector<JournalEntry> journal_;
  std::vector<size_t> marks_;  // journal sizes at the open checkpoints
};

// A ContractStore in memory, for tests and local runs (`cairn contract test`).
class MemoryContractStore : public ContractStore {
 public:
  Result<std::optional<ContractRecord>> record(const ContractId& id) const override;
  Result<std::optional<Bytes>> storage(const ContractId& id, ByteSpan key) const override;
  Result<std::optional<Bytes>> code(const Hash256& code_hash) const override;
  // Makes the store hold the overlay's state: applies `changes`.
  void apply(const StateChanges& changes);

 private:
  std::map<ContractId, ContractRecord> records_;
  std::map<std::pair<ContractId, Bytes>, Bytes> storage_;
  std::map<Hash256, Bytes> codes_;
};

}  // namespace cairn::contracts
