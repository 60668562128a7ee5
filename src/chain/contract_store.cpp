#include "chain/contract_store.h"

#include "storage/keys.h"

namespace cairn {

Result<std::optional<ContractRecord>> KvContractStore::record(const ContractId& id) const {
  CAIRN_TRY(auto raw, store_.get(Column::contracts, contract_record_key(id)));
  if (!raw) return std::optional<ContractRecord>();
  CAIRN_TRY(auto record, decode_contract_record(*raw));
  return std::optional<ContractRecord>(std::move(record));
}

Result<std::optional<Bytes>> KvContractStore::storage(const ContractId& id, ByteSpan key) const {
  return store_.get(Column::contracts, contract_storage_key(id, key));
}

Result<std::optional<Bytes>> KvContractStore::code(const Hash256& code_hash) const {
  return store_.get(Column::contracts, contract_code_key(code_hash));
}

}  // namespace cairn
