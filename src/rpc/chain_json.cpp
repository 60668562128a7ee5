#include "rpc/chain_json.h"

#include <algorithm>
#include <variant>

#include "consensus/pow.h"
#include "primitives/address.h"
#include "rpc/contract_json.h"

namespace cairn::rpc {

std::string amount_string(Amount amount) { return std::to_string(amount); }

const char* lock_kind_name(OutputLockKind kind) {
  return kind == OutputLockKind::lock_hash ? "lock_hash" : "key_hash";
}

const char* payload_kind_name(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::none:
      return "none";
    case PayloadKind::coinbase:
      return "coinbase";
    case PayloadKind::bond:
      return "bond";
    case PayloadKind::unbond:
      return "unbond";
    case PayloadKind::withdraw:
      return "withdraw";
    case PayloadKind::slash:
      return "slash";
    case PayloadKind::deploy:
      return "deploy";
    case PayloadKind::call:
      return "call";
    case PayloadKind::upgrade:
      return "upgrade";
  }
  return "unknown";
}

namespace {

const char* witness_kind_name(const Witness& witness) {
  switch (witness.index()) {
    case 0:
      return "none";
    case 1:
      return "key";
    default:
      return "lock";
  }
}

std::string witness_hex(const Witness& witness) {
  Writer w;
  encode(w, witness);
  return to_hex(w.take());
}

const std::vector<std::string> kPayloadKinds = {"none",  "coinbase", "bond", "unbond", "withdraw",
                                                "slash", "deploy",   "call", "upgrade"};

}  // namespace

json lock_json(const OutputLock& lock) {
  return {{"kind", lock_kind_name(lock.kind)}, {"hash", lock.hash.hex()}};
}

json output_json(const TxOut& output, Network network) {
  return {{"value", amount_string(output.value)},
          {"address", encode_address(network, output.lock)},
          {"lock", lock_json(output.lock)}};
}

json transaction_json(const Transaction& tx, Network network) {
  json inputs = json::array();
  for (const TxIn& in : tx.inputs) {
    inputs.push_back({{"txid", in.prevout.txid.hex()},
                      {"index", in.prevout.index},
                      {"witness_kind", witness_kind_name(in.witness)},
                      {"witness", witness_hex(in.witness)}});
  }
  json outputs = json::array();
  for (const TxOut& out : tx.outputs) outputs.push_back(output_json(out, network));
  json payload = {{"kind", payload_kind_name(tx.payload.kind)}, {"body", to_hex(tx.payload.body)}};
  if (auto contract = contract_payload_json(tx.payload, network)) payload["contract"] = std::move(*contract);
  return {{"txid", txid(tx).hex()},        {"wtxid", wtxid(tx).hex()},      {"size", encode(tx).size()},
          {"version", tx.version},         {"coinbase", tx.is_coinbase()},  {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)}, {"payload", std::move(payload)}, {"lock_time", tx.lock_time}};
}

json header_json(const ChainManager& chain, const BlockNode& node) {
  const BlockHeader& h = node.header;
  const bool in_best_chain = chain.at_height(node.height()) == &node;
  const auto target = decode_compact(h.target);
  return {{"hash", node.hash.hex()},
          {"height", h.height},
          {"version", h.version},
          {"prev_hash", h.prev.hex()},
          {"tx_root", h.tx_root.hex()},
          {"witness_root", h.witness_root.hex()},
          {"state_root", h.state_root.hex()},
          {"vote_root", h.vote_root.hex()},
          {"time", h.timestamp},
          {"bits", h.target},
          {"target", target ? target->hex() : Uint256{}.hex()},
          {"nonce", h.nonce},
          {"chain_work", node.work.value.hex()},
          {"median_time_past", chain.median_time_past(node)},
          {"confirmations", in_best_chain ? chain.tip().height() - node.height() + 1 : 0},
          {"in_best_chain", in_best_chain},
          {"finalized", in_best_chain && node.height() <= chain.finalized_height()}};
}

json block_json(const ChainManager& chain, const BlockNode& node, const Block& block, TxDetail detail,
                Network network) {
  json out = header_json(chain, node);
  out["size"] = encode(block).size();
  out["tx_count"] = block.transactions.size();
  out["vote_count"] = block.votes.size();
  if (detail == TxDetail::none) return out;
  json txs = json::array();
  for (const Transaction& tx : block.transactions) {
    if (detail == TxDetail::ids) {
      txs.push_back(txid(tx).hex());
    } else {
      txs.push_back(transaction_json(tx, network));
    }
  }
  out["transactions"] = std::move(txs);
  return out;
}

// ---- schemas ----------------------------------------------------------------------------

json hash_schema(std::string description) {
  return {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}, {"description", std::move(description)}};
}

json hex_schema(std::string description) {
  return {{"type", "string"}, {"pattern", "^([0-9a-f]{2})*$"}, {"description", std::move(description)}};
}

json amount_schema(std::string description) {
  return {{"type", "string"}, {"pattern", "^(0|[1-9][0-9]*)$"}, {"description", std::move(description)}};
}

json uint_schema(std::string description) {
  return {{"type", "integer"}, {"minimum", 0}, {"description", std::move(description)}};
}

json bool_schema(std::string description) {
  return {{"type", "boolean"}, {"description", std::move(description)}};
}

json string_schema(std::string description) {
  return {{"type", "string"}, {"description", std::move(description)}};
}

json object_schema(json properties, const std::vector<std::string>& optional) {
  json required = json::array();
  for (const auto& [name, schema] : properties.items()) {
    if (std::find(optional.begin(), optional.end(), name) == optional.end()) required.push_back(name);
  }
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json extend_object_schema(json schema, const json& properties) {
  for (const auto& [name, property] : properties.items()) {
    schema["properties"][name] = property;
    schema["required"].push_back(name);
  }
  return schema;
}

json lock_schema() {
  return object_schema({{"kind",
                         {{"type", "string"},
                          {"enum", {"key_hash", "lock_hash"}},
                          {"description", "what the hash commits to: one public key, or a revealed lock"}}},
                        {"hash", hash_schema("the key hash or lock hash the output commits to")}});
}

json output_schema() {
  return object_schema({{"value", amount_schema("the output's value in base units")},
                        {"address", string_schema("the lock as a bech32m address of this node's network")},
                        {"lock", lock_schema()}});
}

json transaction_schema() {
  const json input = object_schema({
      {"txid", hash_schema("the transaction whose output this input spends")},
      {"index", uint_schema("the index of the spent output")},
      {"witness_kind",
       {{"type", "string"}, {"enum", {"none", "key", "lock"}}, {"description", "what the witness holds"}}},
      {"witness", hex_schema("the encoded witness (docs/consensus.md)")},
  });
  const json payload = object_schema(
      {
          {"kind", {{"type", "string"}, {"enum", kPayloadKinds}, {"description", "the payload's kind"}}},
          {"body", hex_schema("the payload body, encoded as its kind defines")},
          {"contract", contract_payload_schema()},
      },
      {"contract"});
  return object_schema({
      {"txid", hash_schema("the transaction id (hash without witnesses)")},
      {"wtxid", hash_schema("the hash of the transaction with its witnesses")},
      {"size", uint_schema("bytes of the full encoding, witnesses included")},
      {"version", uint_schema("the transaction version")},
      {"coinbase", bool_schema("whether this is a block's coinbase")},
      {"inputs", {{"type", "array"}, {"items", input}, {"description", "the spent outputs, in order"}}},
      {"outputs",
       {{"type", "array"}, {"items", output_schema()}, {"description", "the new outputs, in order"}}},
      {"payload", payload},
      {"lock_time", uint_schema("the lock time (a height, or unix seconds; docs/consensus.md)")},
  });
}

json header_schema() {
  return object_schema({
      {"hash", hash_schema("the block hash")},
      {"height", uint_schema("the block's height")},
      {"version", uint_schema("the header version")},
      {"prev_hash", hash_schema("the parent's hash (zero for genesis)")},
      {"tx_root", hash_schema("Merkle root over the txids (crypto/merkle.h)")},
      {"witness_root", hash_schema("Merkle root over the wtxids")},
      {"state_root", hash_schema("LtHash root of the state after the block")},
      {"vote_root", hash_schema("Merkle root over the finality vote ids")},
      {"time", uint_schema("the header timestamp, unix seconds")},
      {"bits", uint_schema("the compact proof-of-work target as in the header")},
      {"target", hash_schema("the proof-of-work target, 256-bit big-endian")},
      {"nonce", uint_schema("the header nonce")},
      {"chain_work", hash_schema("cumulative work of the chain up to this block, 256-bit big-endian")},
      {"median_time_past", uint_schema("median of the timestamps of the up to 11 blocks before it")},
      {"confirmations", uint_schema("blocks from it to the tip, itself included; 0 off the best chain")},
      {"in_best_chain", bool_schema("whether the block is on the best chain")},
      {"finalized", bool_schema("whether the block is at or below the last finalized checkpoint")},
  });
}

json block_schema() {
  json schema =
      extend_object_schema(header_schema(), {
                                                {"size", uint_schema("bytes of the encoded block")},
                                                {"tx_count", uint_schema("transactions in the block")},
                                                {"vote_count", uint_schema("finality votes in the block")},
                                            });
  schema["properties"]["transactions"] = {
      {"description",
       "absent for transactions \"none\"; txids for \"ids\"; transaction objects for \"full\""},
      {"oneOf",
       {{{"type", "array"}, {"items", hash_schema("a txid")}},
        {{"type", "array"}, {"items", transaction_schema()}, {"minItems", 1}}}}};
  return schema;
}

}  // namespace cairn::rpc
