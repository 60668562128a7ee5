// The contract state the chain has stored (the `contracts` column, docs/storage.md), as the
// executor reads it under a block's StateOverlay.
//
// Reads go straight to the store: the chain writes each block's batch before it connects
// the next, so the store is always at the tip. Thread-compatible (the chain's thread).
#pragma once

#include "contracts/contract_state.h"
#include "storage/kv.h"

namespace cairn {

class KvContractStore : public contracts::ContractStore {
 public:
  // REQUIRES: `store` outlives this.
  explicit KvContractStore(const KvReader& store) : store_(store) {}

  Result<std::optional<ContractRecord>> record(const ContractId& id) const override;
  Result<std::optional<Bytes>> storage(const ContractId& id, ByteSpan key) const override;
  Result<std::optional<Bytes>> code(const Hash256& code_hash) const override;

 private:
  const KvReader& store_;
};

}  // namespace cairn
