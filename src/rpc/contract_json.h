// JSON encodings of contract objects for the RPC methods (notes/h-rpc-spec.md, docs/rpc.md),
// each next to its JSON Schema as in chain_json.h: events, executions (a query's, a trial
// run's or a receipt's outcome), the decoded body of a deploy, call or upgrade payload, and
// a stored receipt with the outputs its execution created.
//
// Contracts appear as `contract` (the id in hex) with `address` (bech32m, kind 2) beside it;
// bytes as lowercase hex; amounts as decimal strings of base units.
//
// Pure functions; the ones that read the store or a ChainManager must run on the chain's
// thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/chain_manager.h"
#include "primitives/contract.h"
#include "primitives/network.h"
#include "storage/kv.h"

namespace cairn::rpc {

using json = nlohmann::json;

// `schema` or null, keeping its description outside the oneOf.
json nullable_schema(json schema);

// {contract, address, topics, data}
json event_json(const Event& event, Network network);
json event_schema();

// {status, gas_used, return_data, message, events}
json execution_json(ExecStatus status, uint64_t gas_used, ByteSpan return_data, const std::string& message,
                    const std::vector<Event>& events, Network network);
// The properties of execution_json's object (to extend).
json execution_properties();
json execution_schema();

// The decoded body of a deploy, call or upgrade payload (the payload object's `contract`
// field); nullopt for other kinds and for a body that does not decode.
//   deploy  {gas_limit, gas_price, value, salt, admin, code_hash, code_size, args}
//   call    {gas_limit, gas_price, value, contract, address, method, args}
//   upgrade {gas_limit, gas_price, contract, address, code_hash, code_size}
std::optional<json> contract_payload_json(const Payload& payload, Network network);
json contract_payload_schema();

// The receipt of best-chain contract transaction `id`; nullopt when there is none (not a
// contract transaction, or not in the best chain).
Result<std::optional<Receipt>> read_receipt(const KvReader& store, const Txid& id);

// `receipt` of contract transaction `tx` as the API shows it: execution_json + {contract,
// address, created_outputs: [{txid, index, value, address, spent}]}. A created output
// still unspent is read from the UTXO set; a spent one shows value and address when it
// is the refund (they follow from the transaction and the caller), null otherwise (the
// node keeps no record of spent coins by outpoint).
Result<json> receipt_json(const KvReader& store, const ChainManager& chain, const Transaction& tx,
                          const Receipt& receipt, Network network);
json receipt_schema();

}  // namespace cairn::rpc
