#include "storage/schema.h"

#include <string>

#include "storage/keys.h"

namespace cairn {
namespace {

Result<bool> is_empty(const KvStore& store) {
  for (Column c : kAllColumns) {
    auto it = store.iterator(c);
    it->seek_to_first();
    CAIRN_TRY_STATUS(it->status());
    if (it->valid()) return false;
  }
  return true;
}

Status check_version(uint32_t stored) {
  if (stored == kSchemaVersion) return {};
  const std::string versions = "the store has schema version " + std::to_string(stored) +
                               ", this version of Cairn reads only schema version " +
                               std::to_string(kSchemaVersion);
  if (stored > kSchemaVersion) {
    return Error{ErrorCode::invalid_argument,
                 versions + ": it was written by a newer Cairn; run that version, or use another --datadir"};
  }
  return Error{ErrorCode::invalid_argument,
               versions +
                   ": it was written by an older Cairn and cannot be upgraded; move it away "
                   "and resynchronise into an empty --datadir"};
}

Status check_network(const KvStore& store, Network network) {
  CAIRN_TRY(const auto raw, store.get(Column::meta, meta_key(kMetaNetwork)));
  if (!raw) return Error{ErrorCode::decode, "meta: the store has a schema version but no network"};
  CAIRN_TRY(const Network stored, decode_network_value(*raw));
  if (stored == network) return {};
  return Error{ErrorCode::invalid_argument, "the store belongs to " + std::string(network_name(stored)) +
                                                ", not " + std::string(network_name(network)) +
                                                ": use --network " + std::string(network_name(stored)) +
                                                " or another --datadir"};
}

}  // namespace

Status init_or_check_schema(KvStore& store, Network network) {
  CAIRN_TRY(const auto raw_version, store.get(Column::meta, meta_key(kMetaSchemaVersion)));
  if (raw_version) {
    CAIRN_TRY(const uint32_t stored, decode_u32_value(*raw_version));
    CAIRN_TRY_STATUS(check_version(stored));
    return check_network(store, network);
  }
  CAIRN_TRY(const bool empty, is_empty(store));
  if (!empty) {
    return Error{ErrorCode::decode,
                 "the store holds data but no schema version: it is not a Cairn chain state, or it is "
                 "damaged; move it away and resynchronise into an empty --datadir"};
  }
  WriteBatch batch;
  batch.put(Column::meta, meta_key(kMetaSchemaVersion), encode_u32_value(kSchemaVersion));
  batch.put(Column::meta, meta_key(kMetaNetwork), encode_network_value(network));
  return store.write(batch, /*sync=*/true);
}

}  // namespace cairn
