// JSON encodings of chain objects for the RPC methods (docs/rpc.md), each next to the JSON
// Schema that describes it, so that a method's result schema and its encoder cannot drift
// apart (the method tests validate every result against its schema).
//
// Encodings (notes/rpc-methods.md): hashes, keys and raw bytes as lowercase hex; amounts
// as decimal strings of base units; heights, counts, sizes and times as JSON integers;
// locks as bech32m addresses of the node's network plus their kind and hash.
//
// Pure functions; the ones that read a ChainManager must run on the chain's thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/chain_manager.h"
#include "primitives/amount.h"
#include "primitives/block.h"
#include "primitives/network.h"
#include "primitives/transaction.h"

namespace cairn::rpc {

using json = nlohmann::json;

// ---- examples ---------------------------------------------------------------------------

// The address every method's examples show (docs/rpc.md): a valid regtest address, the
// key_hash_lock of the RFC 8032 section 7.1 TEST 1 public key
// d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
// (tests/rpc/chain_methods_test.cpp checks it).
inline constexpr const char* kExampleAddress =
    "rcairn1qa8w54zrtanng50lyurfxx22mkmkj0aleht6dy7fq338kc9fm5uwqc8k32q";

// ---- encoders ---------------------------------------------------------------------------

// "5000000000": base units in decimal.
std::string amount_string(Amount amount);
const char* lock_kind_name(OutputLockKind kind);  // "key_hash", "lock_hash"
const char* payload_kind_name(PayloadKind kind);  // "none", "coinbase", "bond", ...

// {kind, hash}
json lock_json(const OutputLock& lock);
// {value, address, lock}
json output_json(const TxOut& output, Network network);
// {txid, wtxid, size, version, coinbase, inputs, outputs, payload, lock_time}; the payload
// is {kind, body}, plus the decoded `contract` body for deploy, call and upgrade
// (contract_json.h contract_payload_json).
json transaction_json(const Transaction& tx, Network network);
// Every header field with its hash, plus where the block stands in `chain`: {hash, height,
// version, prev_hash, tx_root, witness_root, state_root, vote_root, time, bits, target,
// nonce, chain_work, median_time_past, confirmations, in_best_chain, finalized}.
json header_json(const ChainManager& chain, const BlockNode& node);

enum class TxDetail { none, ids, full };
// header_json + {size, tx_count, vote_count, transactions?}: no `transactions` for none,
// txids for ids, transaction objects for full.
json block_json(const ChainManager& chain, const BlockNode& node, const Block& block, TxDetail detail,
                Network network);

// ---- schemas ----------------------------------------------------------------------------

json hash_schema(std::string description);    // 64 lowercase hex digits
json hex_schema(std::string description);     // lowercase hex of whole bytes
json amount_schema(std::string description);  // decimal string of base units
json uint_schema(std::string description);    // non-negative integer
json bool_schema(std::string description);
json string_schema(std::string description);
// An object with exactly these properties, all required unless `optional` names them.
json object_schema(json properties, const std::vector<std::string>& optional = {});
// Adds `properties` (all required) to an object schema made by object_schema.
json extend_object_schema(json schema, const json& properties);

json lock_schema();
json output_schema();
json transaction_schema();
json header_schema();
// The block object of `detail`'s shape, or of any detail when `detail` is empty.
json block_schema();

}  // namespace cairn::rpc
