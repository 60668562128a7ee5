#include "rpc/contract_json.h"

#include <utility>

#include "chain/chain_queries.h"
#include "consensus/contract_rules.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"
#include "storage/keys.h"

namespace cairn::rpc {

namespace {

json status_schema() {
  json names = json::array();
  for (uint8_t s = 0; s <= kMaxExecStatus; ++s) names.push_back(to_string(static_cast<ExecStatus>(s)));
  return {
      {"type", "string"}, {"enum", std::move(names)}, {"description", "the outcome (docs/contracts.md §7)"}};
}

}  // namespace

json nullable_schema(json schema) {
  const std::string description = schema.value("description", "");
  schema.erase("description");
  return {{"oneOf", {std::move(schema), {{"type", "null"}}}}, {"description", description}};
}

json event_json(const Event& event, Network network) {
  json topics = json::array();
  for (const Hash256& topic : event.topics) topics.push_back(topic.hex());
  return {{"contract", event.contract.hex()},
          {"address", encode_address(network, contract_account(event.contract))},
          {"topics", std::move(topics)},
          {"data", to_hex(event.data)}};
}

json event_schema() {
  return object_schema({{"contract", hash_schema("the emitting contract's id")},
                        {"address", string_schema("the emitting contract's address")},
                        {"topics",
                         {{"type", "array"},
                          {"items", hash_schema("a topic")},
                          {"maxItems", kMaxEventTopics},
                          {"description", "the indexed topics (topic 0: the event id)"}}},
                        {"data", hex_schema("the event's data")}});
}

json execution_json(ExecStatus status, uint64_t gas_used, ByteSpan return_data, const std::string& message,
                    const std::vector<Event>& events, Network network) {
  json list = json::array();
  for (const Event& event : events) list.push_back(event_json(event, network));
  return {{"status", to_string(status)},
          {"gas_used", gas_used},
          {"return_data", to_hex(return_data)},
          {"message", message},
          {"events", std::move(list)}};
}

json execution_properties() {
  return {{"status", status_schema()},
          {"gas_used", uint_schema("gas used, intrinsic gas included for a transaction")},
          {"return_data", hex_schema("what the method returned (set_return); empty on failure")},
          {"message", string_schema("why it failed (empty on success)")},
          {"events", {{"type", "array"}, {"items", event_schema()}, {"description", "events, in order"}}}};
}

json execution_schema() { return object_schema(execution_properties()); }

std::optional<json> contract_payload_json(const Payload& payload, Network network) {
  const auto contract_fields = [network](const ContractId& id) {
    return std::pair{id.hex(), encode_address(network, contract_account(id))};
  };
  switch (payload.kind) {
    case PayloadKind::deploy: {
      auto body = decode_deploy_body(payload.body);
      if (!body) return std::nullopt;
      return json{{"gas_limit", body->gas.limit},
                  {"gas_price", amount_string(body->gas.price)},
                  {"value", amount_string(body->value)},
                  {"salt", body->salt.hex()},
                  {"admin", body->admin ? json(encode_address(network, *body->admin)) : json(nullptr)},
                  {"code_hash", contract_code_hash(body->code).hex()},
                  {"code_size", body->code.size()},
                  {"args", to_hex(body->args)}};
    }
    case PayloadKind::call: {
      auto body = decode_call_body(payload.body);
      if (!body) return std::nullopt;
      auto [id, address] = contract_fields(body->contract);
      return json{{"gas_limit", body->gas.limit},
                  {"gas_price", amount_string(body->gas.price)},
                  {"value", amount_string(body->value)},
                  {"contract", id},
                  {"address", address},
                  {"method", body->method},
                  {"args", to_hex(body->args)}};
    }
    case PayloadKind::upgrade: {
      auto body = decode_upgrade_body(payload.body);
      if (!body) return std::nullopt;
      auto [id, address] = contract_fields(body->contract);
      return json{{"gas_limit", body->gas.limit},
                  {"gas_price", amount_string(body->gas.price)},
                  {"contract", id},
                  {"address", address},
                  {"code_hash", contract_code_hash(body->code).hex()},
                  {"code_size", body->code.size()}};
    }
    default:
      return std::nullopt;
  }
}

json contract_payload_schema() {
  const json gas_limit = uint_schema("the most gas it may use");
  const json gas_price = amount_schema("base units per gas");
  const json deploy = object_schema({
      {"gas_limit", gas_limit},
      {"gas_price", gas_price},
      {"value", amount_schema("base units given to the new contract")},
      {"salt", hash_schema("the salt of the contract id")},
      {"admin", nullable_schema(string_schema("the address allowed to upgrade; null: immutable"))},
      {"code_hash", hash_schema("hash of the module (docs/contracts.md §1)")},
      {"code_size", uint_schema("bytes of the module")},
      {"args", hex_schema("the constructor's input")},
  });
  const json call = object_schema({
      {"gas_limit", gas_limit},
      {"gas_price", gas_price},
      {"value", amount_schema("base units sent to the contract")},
      {"contract", hash_schema("the called contract's id")},
      {"address", string_schema("the called contract's address")},
      {"method", string_schema("the method (export) called")},
      {"args", hex_schema("the method's input")},
  });
  const json upgrade = object_schema({
      {"gas_limit", gas_limit},
      {"gas_price", gas_price},
      {"contract", hash_schema("the upgraded contract's id")},
      {"address", string_schema("the upgraded contract's address")},
      {"code_hash", hash_schema("hash of the new module")},
      {"code_size", uint_schema("bytes of the new module")},
  });
  return {{"oneOf", {deploy, call, upgrade}},
          {"description",
           "deploy, call and upgrade payloads: the decoded body (the deployed contract's id is in the "
           "receipt: it depends on the spent coin)"}};
}

Result<std::optional<Receipt>> read_receipt(const KvReader& store, const Txid& id) {
  CAIRN_TRY(const auto raw, store.get(Column::contracts, contract_receipt_key(id)));
  if (!raw) return std::optional<Receipt>{};
  CAIRN_TRY(Receipt receipt, decode_receipt(*raw));
  return std::optional<Receipt>{std::move(receipt)};
}

namespace {

// The refund a receipt's transaction paid (the first created output when above zero).
Amount refund_of(const Transaction& tx, const Receipt& receipt) {
  auto terms = contract_terms(tx.payload);
  if (!terms || receipt.gas_used > terms->gas.limit) return 0;
  const Amount gas = (terms->gas.limit - receipt.gas_used) * terms->gas.price;  // ≤ max fee: checked
  return receipt.status == ExecStatus::success ? gas : gas + terms->value;
}

// The lock of the coin `tx`'s first input spent (the caller), when its transaction is found.
Result<std::optional<OutputLock>> caller_lock(const KvReader& store, const ChainManager& chain,
                                              const Transaction& tx) {
  if (tx.inputs.empty()) return std::optional<OutputLock>{};
  const OutPoint& prevout = tx.inputs[0].prevout;
  auto funding = find_transaction(store, chain, prevout.txid);
  if (!funding || !*funding || prevout.index >= (*funding)->tx.outputs.size()) {
    if (!funding && funding.error().code != ErrorCode::not_found) return funding.error();
    return std::optional<OutputLock>{};
  }
  return std::optional<OutputLock>{(*funding)->tx.outputs[prevout.index].lock};
}

}  // namespace

Result<json> receipt_json(const KvReader& store, const ChainManager& chain, const Transaction& tx,
                          const Receipt& receipt, Network network) {
  json out = execution_json(receipt.status, receipt.gas_used, receipt.return_data, receipt.message,
                            receipt.events, network);
  out["contract"] = receipt.contract.hex();
  out["address"] = encode_address(network, contract_account(receipt.contract));
  const Txid id = txid(tx);
  const Amount refund = refund_of(tx, receipt);
  json created = json::array();
  for (uint32_t k = 0; k < receipt.created_outputs; ++k) {
    const OutPoint outpoint{id, static_cast<uint32_t>(tx.outputs.size() + k)};
    CAIRN_TRY(const auto coin, chain.coins().get_coin(outpoint));
    json value = nullptr;
    json address = nullptr;
    if (coin) {
      value = amount_string(coin->output.value);
      address = encode_address(network, coin->output.lock);
    } else if (k == 0 && refund > 0) {
      CAIRN_TRY(const auto caller, caller_lock(store, chain, tx));
      value = amount_string(refund);
      if (caller) address = encode_address(network, *caller);
    }
    created.push_back({{"txid", id.hex()},
                       {"index", outpoint.index},
                       {"value", std::move(value)},
                       {"address", std::move(address)},
                       {"spent", !coin.has_value()}});
  }
  out["created_outputs"] = std::move(created);
  return out;
}

json receipt_schema() {
  json properties = execution_properties();
  properties["contract"] = hash_schema("the deployed, called or upgraded contract's id");
  properties["address"] = string_schema("that contract's address");
  properties["created_outputs"] = {
      {"type", "array"},
      {"description",
       "the coins the execution created after the transaction's own outputs: the refund (when above "
       "zero), then the contract's transfers"},
      {"items",
       object_schema({
           {"txid", hash_schema("the contract transaction")},
           {"index", uint_schema("the output index")},
           {"value", nullable_schema(amount_schema(
                         "the coin's value; null when it was spent and is not the refund (the node keeps no "
                         "record of spent coins by outpoint)"))},
           {"address", nullable_schema(string_schema("who it pays; null as value"))},
           {"spent", bool_schema("whether it was spent since")},
       })}};
  return object_schema(std::move(properties));
}

}  // namespace cairn::rpc
