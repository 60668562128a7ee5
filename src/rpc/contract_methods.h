// The contract_* JSON-RPC methods (notes/h-rpc-spec.md, docs/rpc.md): a contract's record,
// code and storage, read-only queries, trial runs of deploy/call/upgrade transactions (gas
// estimates), receipts and the event index; tx_get's `receipt` for contract transactions;
// and the filter of the `contract_events` WebSocket topic (chain_events.h publishes it).
//
// The handlers read the chain state and run the executor (ChainManager::query_contract,
// trial_contract_tx): they must run on the chain's thread, one at a time (the node
// serializes calls onto it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "chain/chain_manager.h"
#include "chain/mempool.h"
#include "consensus/params.h"
#include "primitives/contract.h"
#include "primitives/network.h"
#include "rpc/registry.h"
#include "storage/kv.h"

namespace cairn::rpc {

// Pages of contract_list_storage and contract_get_events: default and most items.
inline constexpr size_t kDefaultContractPageLimit = 100;
inline constexpr size_t kMaxContractPageLimit = 1'000;
// Key and value bytes one contract_list_storage page returns at most (values reach 64 KiB):
// a page ends early, with a `next`, rather than pass it.
inline constexpr size_t kMaxStoragePageBytes = 4 * 1024 * 1024;
// Index entries one contract_get_events page examines at most: with a topic filter most may
// not match; a page that stops here returns fewer events and a `next` to go on from.
inline constexpr size_t kMaxEventsScanned = 10'000;
// contract_query's gas when the caller gives none (capped by max_tx_gas).
inline constexpr uint64_t kDefaultQueryGas = 10'000'000;
// Event topics a filter may constrain (position i matches topic i).
inline constexpr size_t kMaxTopicFilters = kMaxEventTopics;

// What the contract methods read and run. Everything referenced must outlive the Registry
// the methods are added to.
struct ContractServices {
  ChainManager& chain;     // non-const: queries and trial runs use its executor
  const Mempool& mempool;  // contract_estimate finds an unconfirmed input's coin here
  const KvReader& store;   // the KvStore the manager was opened on
  Network network;
  BlockLimits limits;  // max_tx_gas bounds queries and trial runs
  // Unix seconds now: the timestamp a query or trial run assumes for the next block (at
  // least the tip's median time past + 1).
  std::function<uint64_t()> now;
};

// Adds contract_get, contract_get_code, contract_get_storage, contract_list_storage,
// contract_query, contract_estimate, contract_get_receipt and contract_get_events. An Error
// only for a spec the registry refuses (a programming error).
Status register_contract_methods(Registry& registry, const ContractServices& services);

// tx_get's spec (chain_methods.h) extended: a confirmed deploy, call or upgrade gains
// `receipt` (contract_get_receipt's object without txid, block_hash, height and position).
MethodSpec with_contract_receipt(MethodSpec tx_get, const ContractServices& services);

// The `contract_events` topic's filter, {contract?: address or id hex, topics?: [hex|null]}:
// its schema, and whether an event matches it (a filter that does not parse matches
// nothing; node_subscribe refuses it first through contract_events_filter_error).
inline constexpr const char* kContractEventsTopic = "contract_events";
json contract_events_filter_schema();
std::optional<std::string> contract_events_filter_error(const json& filter, Network network);
bool contract_event_matches(const json& filter, const Event& event, Network network);

}  // namespace cairn::rpc
