#include "storage/fault_store.h"

#include <cassert>
#include <string>

namespace cairn {

void FaultInjectingStore::fail_write(uint64_t k) {
  assert(k >= 1);
  std::lock_guard lock(mu_);
  write_countdown_ = k;
}

void FaultInjectingStore::fail_sync(uint64_t k) {
  assert(k >= 1);
  std::lock_guard lock(mu_);
  sync_countdown_ = k;
}

bool FaultInjectingStore::fires(std::optional<uint64_t>& countdown) {
  if (!countdown) return false;
  if (--*countdown > 0) return false;
  countdown.reset();
  return true;
}

uint64_t FaultInjectingStore::pending_writes() const {
  std::lock_guard lock(mu_);
  return pending_writes_;
}

Result<std::optional<Bytes>> FaultInjectingStore::get(Column column, ByteSpan key) const {
  return base_.get(column, key);
}

std::unique_ptr<KvIterator> FaultInjectingStore::iterator(Column column, ByteSpan prefix) const {
  return base_.iterator(column, prefix);
}

Status FaultInjectingStore::remember_durable_values(const WriteBatch& batch) {
  for (const auto& op : batch.ops()) {
    auto slot = std::make_pair(op.column, op.key);
    if (durable_values_.contains(slot)) continue;  // the first change since the durable point
    auto value = base_.get(op.column, op.key);
    if (!value) return value.error();
    durable_values_.emplace(std::move(slot), std::move(*value));
  }
  return {};
}

Status FaultInjectingStore::write(const WriteBatch& batch, bool sync) {
  std::lock_guard lock(mu_);
  if (fires(write_countdown_)) return Error{ErrorCode::io, "injected fault: write failed"};
  if (sync && fires(sync_countdown_)) {
    return Error{ErrorCode::io, "injected fault: sync of a synced write failed"};
  }
  if (!sync) CAIRN_TRY_STATUS(remember_durable_values(batch));
  CAIRN_TRY_STATUS(base_.write(batch, sync));
  if (sync) {
    durable_values_.clear();
    pending_writes_ = 0;
  } else {
    ++pending_writes_;
  }
  return {};
}

Status FaultInjectingStore::sync() {
  std::lock_guard lock(mu_);
  if (fires(sync_countdown_)) return Error{ErrorCode::io, "injected fault: sync failed"};
  CAIRN_TRY_STATUS(base_.sync());
  durable_values_.clear();
  pending_writes_ = 0;
  return {};
}

Status FaultInjectingStore::crash() {
  std::lock_guard lock(mu_);
  WriteBatch restore;
  for (const auto& [slot, value] : durable_values_) {
    if (value) {
      restore.put(slot.first, slot.second, *value);
    } else {
      restore.erase(slot.first, slot.second);
    }
  }
  CAIRN_TRY_STATUS(base_.write(restore, /*sync=*/true));
  durable_values_.clear();
  pending_writes_ = 0;
  return {};
}

}  // namespace cairn
