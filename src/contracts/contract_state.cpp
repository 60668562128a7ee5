#include "contracts/contract_state.h"

#include <cassert>

namespace cairn::contracts {

namespace {

std::pair<ContractId, Bytes> storage_key(const ContractId& id, ByteSpan key) {
  return {id, Bytes(key.begin(), key.end())};
}

}  // namespace

StateOverlay::StateOverlay(const ContractStore& base) : base_(base) {}

Result<std::optional<ContractRecord>> StateOverlay::base_record(const ContractId& id) const {
  if (store_failure_) return *store_failure_;
  if (auto it = base_records_.find(id); it != base_records_.end()) return it->second;
  CAIRN_TRY(std::optional<ContractRecord> stored, base_.record(id));
  base_records_.emplace(id, stored);
  return stored;
}

Result<std::optional<Bytes>> StateOverlay::base_storage(const StorageKey& key) const {
  if (store_failure_) return *store_failure_;
  if (auto it = base_storage_.find(key); it != base_storage_.end()) return it->second;
  CAIRN_TRY(std::optional<Bytes> stored, base_.storage(key.first, key.second));
  base_storage_.emplace(key, stored);
  return stored;
}

void StateOverlay::load_base_record(const ContractId& id) {
  if (store_failure_ || base_records_.contains(id)) return;
  auto stored = base_record(id);
  if (!stored) store_failure_ = stored.error();
}

void StateOverlay::load_base_storage(const StorageKey& key) {
  if (store_failure_ || base_storage_.contains(key)) return;
  auto stored = base_storage(key);
  if (!stored) store_failure_ = stored.error();
}

Result<std::optional<ContractRecord>> StateOverlay::record(const ContractId& id) const {
  if (store_failure_) return *store_failure_;
  if (auto it = records_.find(id); it != records_.end()) return it->second;
  return base_record(id);
}

void StateOverlay::put_record(const ContractId& id, const ContractRecord& record) {
  load_base_record(id);
  auto it = records_.find(id);
  JournalEntry entry{JournalEntry::Kind::record, {id, {}}, it != records_.end(), {}, {}};
  if (entry.had) entry.record = it->second;
  journal_.push_back(std::move(entry));
  records_[id] = record;
}

Result<std::optional<Bytes>> StateOverlay::storage(const ContractId& id, ByteSpan key) const {
  if (store_failure_) return *store_failure_;
  StorageKey item = storage_key(id, key);
  if (auto it = storage_.find(item); it != storage_.end()) return it->second;
  return base_storage(item);
}

void StateOverlay::put_storage(const ContractId& id, ByteSpan key, ByteSpan value) {
  StorageKey item = storage_key(id, key);
  load_base_storage(item);
  auto it = storage_.find(item);
  JournalEntry entry{JournalEntry::Kind::storage, item, it != storage_.end(), {}, {}};
  if (entry.had) entry.value = it->second;
  journal_.push_back(std::move(entry));
  storage_[std::move(item)] = Bytes(value.begin(), value.end());
}

void StateOverlay::erase_storage(const ContractId& id, ByteSpan key) {
  StorageKey item = storage_key(id, key);
  load_base_storage(item);
  auto it = storage_.find(item);
  JournalEntry entry{JournalEntry::Kind::storage, item, it != storage_.end(), {}, {}};
  if (entry.had) entry.value = it->second;
  journal_.push_back(std::move(entry));
  storage_[std::move(item)] = std::nullopt;
}

Result<std::optional<Bytes>> StateOverlay::code(const Hash256& code_hash) const {
  if (store_failure_) return *store_failure_;
  if (auto it = codes_.find(code_hash); it != codes_.end()) return std::optional<Bytes>(it->second);
  return base_.code(code_hash);
}

void StateOverlay::put_code(const Hash256& code_hash, Bytes code) {
  // A code hash names one code: a second put of the same hash changes nothing.
  if (codes_.contains(code_hash)) return;
  journal_.push_back(JournalEntry{JournalEntry::Kind::code, {code_hash, {}}, false, {}, {}});
  codes_.emplace(code_hash, std::move(code));
}

size_t StateOverlay::checkpoint() {
  marks_.push_back(journal_.size());
  return marks_.size() - 1;
}

void StateOverlay::revert(size_t mark) {
  assert(!marks_.empty() && mark == marks_.size() - 1);
  const size_t keep = marks_.back();
  marks_.pop_back();
  while (journal_.size() > keep) {
    JournalEntry& entry = journal_.back();
    switch (entry.kind) {
      case JournalEntry::Kind::record:
        if (entry.had)
          records_[entry.item.first] = entry.record;
        else
          records_.erase(entry.item.first);
        break;
      case JournalEntry::Kind::storage:
        if (entry.had)
          storage_[entry.item] = std::move(entry.value);
        else
          storage_.erase(entry.item);
        break;
      case JournalEntry::Kind::code:
        codes_.erase(entry.item.first);
        break;
    }
    journal_.pop_back();
  }
}

void StateOverlay::release(size_t mark) {
  assert(!marks_.empty() && mark == marks_.size() - 1);
  marks_.pop_back();
  // With no checkpoint open nothing can be reverted any more: the journal is not needed.
  if (marks_.empty()) journal_.clear();
}

StateChanges StateOverlay::changes() const {
  assert(marks_.empty() && !store_failure_);
  StateChanges out;
  for (const auto& [id, after] : records_) {
    const std::optional<ContractRecord>& before = base_records_.at(id);
    if (before != after) out.records.push_back({id, before, after});
  }
  for (const auto& [item, after] : storage_) {
    const std::optional<Bytes>& before = base_storage_.at(item);
    if (before != after) out.storage.push_back({item.first, item.second, before, after});
  }
  for (const auto& [hash, code] : codes_) out.codes.emplace_back(hash, code);
  return out;
}

Result<std::optional<ContractRecord>> MemoryContractStore::record(const ContractId& id) const {
  auto it = records_.find(id);
  if (it == records_.end()) return std::optional<ContractRecord>();
  return std::optional<ContractRecord>(it->second);
}

Result<std::optional<Bytes>> MemoryContractStore::storage(const ContractId& id, ByteSpan key) const {
  auto it = storage_.find(storage_key(id, key));
  if (it == storage_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

Result<std::optional<Bytes>> MemoryContractStore::code(const Hash256& code_hash) const {
  auto it = codes_.find(code_hash);
  if (it == codes_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

void MemoryContractStore::apply(const StateChanges& changes) {
  for (const RecordChange& change : changes.records) {
    if (change.after)
      records_[change.id] = *change.after;
    else
      records_.erase(change.id);
  }
  for (const StorageChange& change : changes.storage) {
    if (change.after)
      storage_[storage_key(change.id, change.key)] = *change.after;
    else
      storage_.erase(storage_key(change.id, change.key));
  }
  for (const auto& [hash, code] : changes.codes) codes_.emplace(hash, code);
}

}  // namespace cairn::contracts
