// The schema of a chain-state store: which on-disk format (storage/keys.h, docs/storage.md)
// and which network its contents belong to, recorded in the meta column when it is created
// and checked every time it is opened.
#pragma once

#include <cstdint>

#include "primitives/network.h"
#include "storage/kv.h"

namespace cairn {

// The version of every key and value layout of docs/storage.md. Bump it with any change
// to them; a store of any other version is refused (there are no migrations yet).
// 2: the stake column (validator records, finality state, stake undo) and stake elements
// in the state accumulator.
// 3: the contracts column (records, storage, code, receipts, events, undo) and contract
// elements in the state accumulator.
inline constexpr uint32_t kSchemaVersion = 3;

// Stamps an empty store with kSchemaVersion and `network` (one synced batch), or checks
// that an existing one has exactly these. Refused, with a message naming both values and
// what to do: another schema version (older or newer), another network, a store that
// holds data but no schema version, or an undecodable meta value.
Status init_or_check_schema(KvStore& store, Network network);

}  // namespace cairn
