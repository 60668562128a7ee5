#include "rpc/contract_methods.h"

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "chain/chain_queries.h"
#include "consensus/contract_rules.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"
#include "rpc/contract_json.h"
#include "storage/keys.h"

namespace cairn::rpc {

namespace {

// ---- errors and parameters --------------------------------------------------------------

RpcError invalid_param(const std::string& name, const std::string& reason) {
  return RpcError{error_code::invalid_params, name + ": " + reason, std::nullopt};
}

RpcError not_found(std::string message) {
  return RpcError{error_code::not_found, std::move(message), std::nullopt};
}

// A contract address of `network`, or a contract id as 64 hex digits.
Result<ContractId> parse_contract(std::string_view text, Network network) {
  if (text.size() == 64) {
    if (auto id = ContractId::from_hex(text)) return *id;
  }
  auto account = decode_account_address(network, text);
  if (!account) {
    return Error{ErrorCode::invalid_argument,
                 "not a contract address of this network nor 64 hex digits: " + account.error().message};
  }
  if (account->kind != AccountKind::contract)
    return Error{ErrorCode::invalid_argument, "the address is not a contract's (kind 2)"};
  return account->hash;
}

std::variant<ContractId, RpcError> contract_param(const ContractServices& s, const json& params) {
  auto id = parse_contract(params.at("contract").get<std::string>(), s.network);
  if (!id) return invalid_param("contract", id.error().message);
  return *id;
}

// Parameters were validated against hex_schema: whole bytes of lowercase hex.
Bytes hex_param(const json& params, const char* name) {
  return from_hex(params.at(name).get<std::string>()).value();
}

std::string contract_address(const ContractServices& s, const ContractId& id) {
  return encode_address(s.network, contract_account(id));
}

// The record of `id`, or not_found.
std::variant<ContractRecord, RpcError> existing_record(const ContractServices& s, const ContractId& id) {
  auto record = s.chain.contract_state().record(id);
  if (!record) return to_rpc_error(record.error());
  if (!*record) return not_found("no contract " + id.hex() + " in the best chain");
  return **record;
}

// The timestamp a query or trial run assumes for the block after the tip.
uint64_t next_block_time(const ContractServices& s) {
  return std::max(s.now(), median_time_past_after(s.chain.tip()) + 1);
}

// ---- examples ---------------------------------------------------------------------------

const std::string kExampleId = "7c3a9d0e5f1b2a4c6e8d0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c";
const std::string kExampleTxid = "3f1e9a7c5b3d1f0e2c4a6b8d0f1e3c5a7b9d1f2e4c6a8b0d2f4e6c8a0b2d4f6e";
const std::string kExampleBlock = "00000d5c9b2b4f0cc1d3e7a19b4cf0e2b8f07a3b2c9d1e4f5a6b7c8d9e0f1a2b";
const std::string kExampleCodeHash = "a94f5e2d8c1b7a6f3e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a88";
const std::string kExampleTopic = "d75916a1c3e5f7092b4d6f8a1c3e5f7092b4d6f8a1c3e5f7092b4d6f8a1cb28c";

std::string example_address() {
  return encode_address(Network::regtest, contract_account(ContractId::from_hex(kExampleId).value()));
}

json example_event() {
  return {{"contract", kExampleId},
          {"address", example_address()},
          {"topics", {kExampleTopic}},
          {"data", "0100000000000000"}};
}

json example_execution() {
  return {{"status", "success"},
          {"gas_used", 38112},
          {"return_data", "0100000000000000"},
          {"message", ""},
          {"events", {example_event()}}};
}

// ---- schemas ----------------------------------------------------------------------------

ParamSpec contract_spec() {
  return ParamSpec{"contract", "the contract: its address (kind 2) or its id as 64 hex digits",
                   string_schema("a contract address or id"), true, std::nullopt};
}

ParamSpec limit_spec() {
  return ParamSpec{"limit",
                   "items per page at most",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxContractPageLimit}},
                   false,
                   json(kDefaultContractPageLimit)};
}

json hex_bounded(std::string description, size_t min_bytes, size_t max_bytes) {
  json schema = hex_schema(std::move(description));
  schema["minLength"] = 2 * min_bytes;
  schema["maxLength"] = 2 * max_bytes;
  return schema;
}

json topics_filter_schema() {
  return {
      {"type", "array"},
      {"maxItems", kMaxTopicFilters},
      {"items", {{"oneOf", {hash_schema("a topic"), {{"type", "null"}}}}}},
      {"description", "topic i must equal entry i; null matches any topic (the event must still have one)"}};
}

const ErrorSpec kUnknownContract{error_code::not_found, "no contract with this id in the best chain"};
const ErrorSpec kBadContract{error_code::invalid_params,
                             "the contract is neither a contract address of this network nor 64 hex digits"};

// ---- contract_get, _get_code, _get_storage, _list_storage --------------------------------

MethodSpec contract_get(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_get";
  m.summary = "A contract's record: code hash, admin, balance and storage deposit";
  m.params = {contract_spec()};
  m.result_name = "contract";
  m.result_schema = object_schema({
      {"id", hash_schema("the contract id")},
      {"address", string_schema("the contract's address")},
      {"code_hash", hash_schema("hash of its module")},
      {"admin", nullable_schema(string_schema("the address allowed to upgrade it; null: immutable"))},
      {"balance", amount_schema("its coins, the storage deposit included")},
      {"storage_bytes",
       uint_schema("bytes its storage occupies for the deposit (64 per entry + key + value)")},
      {"deposit", amount_schema("the coins its storage holds back: storage_bytes × 100")},
      {"free_balance", amount_schema("the balance above the deposit: what it can send")},
  });
  m.errors = {kBadContract, kUnknownContract};
  m.examples = {{"a token",
                 {{"contract", example_address()}},
                 {{"id", kExampleId},
                  {"address", example_address()},
                  {"code_hash", kExampleCodeHash},
                  {"admin", nullptr},
                  {"balance", "100000"},
                  {"storage_bytes", 73},
                  {"deposit", "7300"},
                  {"free_balance", "92700"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    const ContractId& c = std::get<ContractId>(id);
    auto record = existing_record(s, c);
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    const ContractRecord& r = std::get<ContractRecord>(record);
    // The balance always covers the deposit (storage_write traps otherwise).
    const Amount deposit = storage_deposit(r.storage_bytes).value_or(r.balance);
    return json{{"id", c.hex()},
                {"address", contract_address(s, c)},
                {"code_hash", r.code_hash.hex()},
                {"admin", r.admin ? json(encode_address(s.network, *r.admin)) : json(nullptr)},
                {"balance", amount_string(r.balance)},
                {"storage_bytes", r.storage_bytes},
                {"deposit", amount_string(deposit)},
                {"free_balance", amount_string(r.balance > deposit ? r.balance - deposit : 0)}};
  };
  return m;
}

MethodSpec contract_get_code(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_get_code";
  m.summary = "A contract's module as deployed (or last upgraded)";
  m.params = {contract_spec()};
  m.result_name = "code";
  m.result_schema = object_schema({{"code_hash", hash_schema("hash of the module (docs/contracts.md §1)")},
                                   {"code", hex_schema("the WebAssembly module")}});
  m.errors = {kBadContract, kUnknownContract};
  m.examples = {{"a module",
                 {{"contract", kExampleId}},
                 {{"code_hash", kExampleCodeHash}, {"code", "0061736d01000000"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    auto record = existing_record(s, std::get<ContractId>(id));
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    const Hash256& code_hash = std::get<ContractRecord>(record).code_hash;
    auto code = s.chain.contract_state().code(code_hash);
    if (!code) return to_rpc_error(code.error());
    if (!*code)
      return to_rpc_error(
          Error{ErrorCode::io, "corrupt store: the code of " + code_hash.hex() + " is missing"});
    return json{{"code_hash", code_hash.hex()}, {"code", to_hex(**code)}};
  };
  return m;
}

MethodSpec contract_get_storage(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_get_storage";
  m.summary = "One entry of a contract's storage";
  m.params = {contract_spec(),
              {"key", "the storage key (1 to 256 bytes)", hex_bounded("a key", 1, kMaxStorageKeyBytes), true,
               std::nullopt}};
  m.result_name = "entry";
  m.result_schema =
      object_schema({{"value", nullable_schema(hex_schema("the value; null when the key is absent"))}});
  m.errors = {kBadContract, kUnknownContract};
  m.examples = {{"a counter", {{"contract", kExampleId}, {"key", "6b"}}, {{"value", "0100000000000000"}}},
                {"absent", {{"contract", kExampleId}, {"key", "6c"}}, {{"value", nullptr}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    const ContractId& c = std::get<ContractId>(id);
    auto record = existing_record(s, c);
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    auto value = s.chain.contract_state().storage(c, hex_param(params, "key"));
    if (!value) return to_rpc_error(value.error());
    return json{{"value", *value ? json(to_hex(**value)) : json(nullptr)}};
  };
  return m;
}

MethodSpec contract_list_storage(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_list_storage";
  m.summary = "A contract's storage entries in key order, in pages";
  m.description =
      "Keys in bytewise order, optionally only those starting with `prefix`. A page ends after `limit` "
      "entries or once it holds " +
      std::to_string(kMaxStoragePageBytes) +
      " bytes of keys and values (at least one entry); pass its `next` as `after` for the next page.";
  m.params = {contract_spec(),
              {"prefix", "only keys starting with these bytes",
               hex_bounded("a key prefix", 0, kMaxStorageKeyBytes), false, std::nullopt},
              {"after", "start after this key (exclusive): the previous page's next",
               hex_bounded("a key", 1, kMaxStorageKeyBytes), false, std::nullopt},
              limit_spec()};
  m.result_name = "page";
  m.result_schema = object_schema(
      {{"entries",
        {{"type", "array"},
         {"items", object_schema({{"key", hex_schema("the key")}, {"value", hex_schema("the value")}})}}},
       {"next",
        nullable_schema(hex_schema("pass as `after` for the next page; null when there is no more"))}});
  m.errors = {kBadContract, kUnknownContract};
  m.examples = {{"first page",
                 {{"contract", kExampleId}, {"limit", 1}},
                 {{"entries", {{{"key", "6b"}, {"value", "0100000000000000"}}}}, {"next", "6b"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    const ContractId& c = std::get<ContractId>(id);
    auto record = existing_record(s, c);
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    const Bytes prefix = params.contains("prefix") ? hex_param(params, "prefix") : Bytes{};
    const size_t limit = params.at("limit").get<size_t>();
    auto it = s.store.iterator(Column::contracts, contract_storage_key(c, prefix));
    std::optional<Bytes> after;
    if (params.contains("after")) after = hex_param(params, "after");
    // Every key of the range is >= prefix: an `after` below it starts at the first.
    if (after && !std::lexicographical_compare(after->begin(), after->end(), prefix.begin(), prefix.end())) {
      const Bytes start = contract_storage_key(c, *after);
      it->seek(start);
      if (it->valid() && std::ranges::equal(it->key(), start)) it->next();
    } else {
      it->seek_to_first();
    }
    json entries = json::array();
    size_t bytes = 0;
    json next = nullptr;
    for (; it->valid(); it->next()) {
      auto entry = decode_contract_storage_key(it->key());
      if (!entry) return to_rpc_error(entry.error());
      const size_t size = entry->second.size() + it->value().size();
      if (entries.size() == limit || (!entries.empty() && bytes + size > kMaxStoragePageBytes)) {
        next = entries.back().at("key");
        break;
      }
      bytes += size;
      entries.push_back({{"key", to_hex(entry->second)}, {"value", to_hex(it->value())}});
    }
    if (auto status = it->status(); !status) return to_rpc_error(status.error());
    return json{{"entries", std::move(entries)}, {"next", std::move(next)}};
  };
  return m;
}

// ---- contract_query, contract_estimate ---------------------------------------------------

MethodSpec contract_query(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_query";
  m.summary = "Runs a contract method read-only on the tip's state (nothing is kept)";
  m.description =
      "The method runs as in the block after the tip (its height; the time now), with no value and no "
      "intrinsic gas; every change it makes is discarded. What views (CAIRN_VIEW) are for.";
  m.params = {
      contract_spec(),
      {"method", "the method (export) to run", string_schema("a method name"), true, std::nullopt},
      {"args", "the method's input (the canonical encoding of its arguments)", hex_schema("the input"), false,
       json("")},
      {"caller", "the caller the contract sees (any address); by default the key account with the zero hash",
       string_schema("an address"), false, std::nullopt},
      {"gas",
       "the gas it may use",
       {{"type", "integer"}, {"minimum", 1}, {"maximum", s.limits.max_tx_gas}},
       false,
       json(std::min(kDefaultQueryGas, s.limits.max_tx_gas))}};
  m.result_name = "execution";
  m.result_schema = execution_schema();
  m.errors = {kBadContract,
              kUnknownContract,
              {error_code::invalid_params, "the method name is malformed or the caller is not an address"}};
  m.examples = {
      {"a view", {{"contract", kExampleId}, {"method", "balance_of"}, {"args", ""}}, example_execution()}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    const ContractId& c = std::get<ContractId>(id);
    const std::string method = params.at("method").get<std::string>();
    if (!is_method_name(method))
      return invalid_param("method",
                           "'" + method + "' is not 1 to 64 bytes of [a-z0-9_] starting with a letter or _");
    Account caller{AccountKind::key, Hash256{}};
    if (params.contains("caller")) {
      auto account = decode_account_address(s.network, params.at("caller").get<std::string>());
      if (!account) return invalid_param("caller", account.error().message);
      caller = *account;
    }
    auto record = existing_record(s, c);
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    auto run = s.chain.query_contract(c, method, hex_param(params, "args"), caller,
                                      params.at("gas").get<uint64_t>(), next_block_time(s));
    if (!run) return to_rpc_error(run.error());
    return execution_json(run->status, run->gas_used, run->return_data, run->message, run->events, s.network);
  };
  return m;
}

MethodSpec contract_estimate(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_estimate";
  m.summary = "Runs a deploy, call or upgrade transaction on the tip's state as the next block would";
  m.description =
      "A trial run for gas estimates and dry runs: the transaction (witnesses may be absent) is checked by "
      "the stateless contract rules, then executed from `caller` on the tip's contract state as in the next "
      "block (the time now), and nothing is kept. Its inputs and signatures are not looked at, except that "
      "the default caller is the lock of the coin input 0 spends (from the UTXO set or the mempool).";
  m.params = {{"transaction", "the encoded transaction", hex_schema("a transaction"), true, std::nullopt},
              {"caller", "who sends it (any address); by default the lock of the coin its input 0 spends",
               string_schema("an address"), false, std::nullopt}};
  m.result_name = "execution";
  json properties = execution_properties();
  properties["contract"] = hash_schema("the deployed (its new id), called or upgraded contract");
  properties["address"] = string_schema("that contract's address");
  properties["intrinsic_gas"] = uint_schema("the gas charged before anything runs (included in gas_used)");
  m.result_schema = object_schema(std::move(properties));
  m.errors = {{error_code::invalid_params,
               "not a transaction, not a deploy/call/upgrade, refused by the contract rules (the message "
               "names the rule), or no caller: input 0's coin is unknown"}};
  json example = example_execution();
  example["contract"] = kExampleId;
  example["address"] = example_address();
  example["intrinsic_gas"] = 11'230;
  m.examples = {{"a call", {{"transaction", "0100000001" + kExampleTxid}}, example}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto decoded = decode_transaction(hex_param(params, "transaction"));
    if (!decoded) return invalid_param("transaction", "does not decode: " + decoded.error().message);
    const Transaction& tx = *decoded;
    if (!is_contract_payload(tx.payload.kind)) {
      return invalid_param("transaction", std::string("its payload is ") +
                                              payload_kind_name(tx.payload.kind) +
                                              ", not deploy, call or upgrade");
    }
    if (auto refused = check_contract_tx(tx, s.limits))
      return invalid_param("transaction", to_string(refused->reason) + std::string(": ") + refused->message);
    std::optional<Account> caller;
    if (params.contains("caller")) {
      auto account = decode_account_address(s.network, params.at("caller").get<std::string>());
      if (!account) return invalid_param("caller", account.error().message);
      caller = *account;
    } else {
      const OutPoint& prevout = tx.inputs.at(0).prevout;  // check_contract_tx: at least one input
      std::optional<TxOut> spent = s.mempool.output(prevout);
      if (!spent) {
        auto coin = s.chain.coins().get_coin(prevout);
        if (!coin) return to_rpc_error(coin.error());
        if (*coin) spent = (*coin)->output;
      }
      if (!spent) {
        return invalid_param("caller",
                             "input 0 spends " + prevout.txid.hex() + ":" + std::to_string(prevout.index) +
                                 ", which is in neither the UTXO set nor the mempool: give a caller");
      }
      caller = account_of(spent->lock);
    }
    auto run = s.chain.trial_contract_tx(tx, *caller, next_block_time(s));
    if (!run) return to_rpc_error(run.error());
    json out =
        execution_json(run->status, run->gas_used, run->return_data, run->message, run->events, s.network);
    out["contract"] = run->contract.hex();
    out["address"] = contract_address(s, run->contract);
    out["intrinsic_gas"] = contract_intrinsic_gas(tx);
    return out;
  };
  return m;
}

// ---- contract_get_receipt ---------------------------------------------------------------

json receipt_location_schema() {
  return {{"txid", hash_schema("the contract transaction")},
          {"block_hash", hash_schema("the block that holds it")},
          {"height", uint_schema("the block's height")},
          {"position", uint_schema("its index in the block")}};
}

MethodSpec contract_get_receipt(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_get_receipt";
  m.summary = "The receipt of a confirmed deploy, call or upgrade: outcome, events and created outputs";
  m.params = {{"txid", "the transaction id", hash_schema("a txid"), true, std::nullopt}};
  m.result_name = "receipt";
  m.result_schema = extend_object_schema(receipt_schema(), receipt_location_schema());
  m.errors = {{error_code::not_found, "no contract transaction with this id in the best chain"},
              {error_code::pruned, "the transaction's block was pruned from this node"}};
  json example = example_execution();
  example["txid"] = kExampleTxid;
  example["block_hash"] = kExampleBlock;
  example["height"] = 1200;
  example["position"] = 1;
  example["contract"] = kExampleId;
  example["address"] = example_address();
  example["created_outputs"] = {{{"txid", kExampleTxid},
                                 {"index", 1},
                                 {"value", "3923776"},
                                 {"address", kExampleAddress},
                                 {"spent", false}}};
  m.examples = {{"a call", {{"txid", kExampleTxid}}, example}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const Txid id = Txid::from_hex(params.at("txid").get<std::string>()).value();
    auto receipt = read_receipt(s.store, id);
    if (!receipt) return to_rpc_error(receipt.error());
    if (!*receipt) return not_found("no contract transaction " + id.hex() + " in the best chain");
    auto found = find_transaction(s.store, s.chain, id);
    if (!found) {
      if (found.error().code == ErrorCode::not_found)
        return RpcError{error_code::pruned, found.error().message, std::nullopt};
      return to_rpc_error(found.error());
    }
    if (!*found) return not_found("no contract transaction " + id.hex() + " in the best chain");
    auto out = receipt_json(s.store, s.chain, (*found)->tx, **receipt, s.network);
    if (!out) return to_rpc_error(out.error());
    (*out)["txid"] = id.hex();
    (*out)["block_hash"] = (*found)->where.block.hex();
    (*out)["height"] = (*found)->where.height;
    (*out)["position"] = (*found)->where.position;
    return std::move(*out);
  };
  return m;
}

// ---- contract_get_events ----------------------------------------------------------------

// The cursor of contract_get_events: height u64 ‖ position u32 ‖ index u32, big-endian,
// as hex (the event key after the contract id).
constexpr size_t kEventCursorBytes = 16;

std::string event_cursor(const EventKey& key) {
  const Bytes full = contract_event_key(key);
  return to_hex(ByteSpan(full).subspan(full.size() - kEventCursorBytes));
}

Result<EventKey> decode_event_cursor(const ContractId& contract, std::string_view cursor) {
  auto bytes = from_hex(cursor);
  if (!bytes || bytes->size() != kEventCursorBytes)
    return Error{ErrorCode::invalid_argument, "not a cursor of contract_get_events (32 hex digits)"};
  Bytes full = contract_event_prefix(contract);
  full.insert(full.end(), bytes->begin(), bytes->end());
  return decode_contract_event_key(full);
}

// Whether `topics` (the filter's, null = any) match the event's.
bool topics_match(const json& filter, const std::vector<Hash256>& topics) {
  if (filter.size() > topics.size()) return false;
  for (size_t i = 0; i < filter.size(); ++i) {
    if (filter[i].is_null()) continue;
    if (!filter[i].is_string() || filter[i].get<std::string>() != topics[i].hex()) return false;
  }
  return true;
}

MethodSpec contract_get_events(const ContractServices& s) {
  MethodSpec m;
  m.name = "contract_get_events";
  m.summary = "A contract's events in chain order, filtered by height and topics, in pages";
  m.description =
      "Events of the best chain from the event index, oldest first (height, position in the block, index "
      "in the receipt). A page examines at most " +
      std::to_string(kMaxEventsScanned) +
      " events, so with a topic filter it may hold fewer than `limit` (even none) and still have a `next`; "
      "pass it as `after`.";
  m.params = {
      contract_spec(),
      {"from_height", "the lowest height; above the tip (without to_height) gives an empty page",
       uint_schema("a height"), false, json(0)},
      {"to_height", "the highest height; the tip by default", uint_schema("a height"), false, std::nullopt},
      {"topics", "topic filters", topics_filter_schema(), false, std::nullopt},
      limit_spec(),
      {"after", "where to resume: the previous page's next", string_schema("a cursor"), false, std::nullopt}};
  m.result_name = "page";
  json item =
      extend_object_schema(event_schema(), {{"txid", hash_schema("the transaction that emitted it")},
                                            {"height", uint_schema("its block's height")},
                                            {"position", uint_schema("the transaction's index in the block")},
                                            {"index", uint_schema("the event's index in the receipt")}});
  m.result_schema = object_schema(
      {{"events", {{"type", "array"}, {"items", std::move(item)}}},
       {"next",
        nullable_schema(string_schema("pass as `after` for the next page; null when there is no more"))}});
  m.errors = {
      kBadContract,
      kUnknownContract,
      {error_code::invalid_params, "the cursor is malformed, or from_height is above the given to_height"}};
  json example = example_event();
  example["txid"] = kExampleTxid;
  example["height"] = 1200;
  example["position"] = 1;
  example["index"] = 0;
  m.examples = {{"Transfer events",
                 {{"contract", kExampleId}, {"topics", {kExampleTopic}}, {"limit", 1}},
                 {{"events", {example}}, {"next", "00000000000004b00000000100000000"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto id = contract_param(s, params);
    if (auto* error = std::get_if<RpcError>(&id)) return *error;
    const ContractId& c = std::get<ContractId>(id);
    auto record = existing_record(s, c);
    if (auto* error = std::get_if<RpcError>(&record)) return *error;
    const uint64_t from = params.at("from_height").get<uint64_t>();
    if (!params.contains("to_height") && from > s.chain.tip().height()) {
      // Nothing yet, not an error: a follower polls from the height after its last event,
      // which is above the tip until the next block arrives.
      return json{{"events", json::array()}, {"next", nullptr}};
    }
    const uint64_t to =
        params.contains("to_height") ? params.at("to_height").get<uint64_t>() : s.chain.tip().height();
    if (from > to) return invalid_param("from_height", "above to_height (" + std::to_string(to) + ")");
    const json topics = params.contains("topics") ? params.at("topics") : json::array();
    const size_t limit = params.at("limit").get<size_t>();

    auto it = s.store.iterator(Column::contracts, contract_event_prefix(c));
    const Bytes first = contract_event_key(EventKey{c, from, 0, 0});
    it->seek(first);
    if (params.contains("after")) {
      auto after = decode_event_cursor(c, params.at("after").get<std::string>());
      if (!after) return invalid_param("after", after.error().message);
      const Bytes resume = contract_event_key(*after);
      if (std::ranges::lexicographical_compare(first, resume)) {
        it->seek(resume);
        if (it->valid() && std::ranges::equal(it->key(), resume)) it->next();
      }
    }
    json events = json::array();
    json next = nullptr;
    size_t scanned = 0;
    std::optional<EventKey> last;  // examined
    for (; it->valid(); it->next()) {
      auto key = decode_contract_event_key(it->key());
      if (!key) return to_rpc_error(key.error());
      if (key->height > to) break;
      if (events.size() == limit || scanned == kMaxEventsScanned) {
        next = event_cursor(*last);
        break;
      }
      ++scanned;
      auto entry = decode_event_entry(it->value());
      if (!entry) return to_rpc_error(entry.error());
      const auto& [emitter, event] = *entry;
      if (topics_match(topics, event.topics)) {
        json out = event_json(event, s.network);
        out["txid"] = emitter.hex();
        out["height"] = key->height;
        out["position"] = key->position;
        out["index"] = key->index;
        events.push_back(std::move(out));
      }
      last = *key;
    }
    if (auto status = it->status(); !status) return to_rpc_error(status.error());
    return json{{"events", std::move(events)}, {"next", std::move(next)}};
  };
  return m;
}

}  // namespace

// ---- tx_get's receipt -------------------------------------------------------------------

MethodSpec with_contract_receipt(MethodSpec tx_get, const ContractServices& services) {
  tx_get.result_schema["properties"]["receipt"] = receipt_schema();
  tx_get.result_schema["properties"]["receipt"]["description"] =
      "a confirmed deploy, call or upgrade's receipt (contract_get_receipt without txid and block fields)";
  tx_get.summary += "; a confirmed contract transaction's receipt";
  MethodHandler inner = std::move(tx_get.handler);
  tx_get.handler = [&s = services, inner = std::move(inner)](const json& params,
                                                             const CallContext& context) -> MethodResult {
    MethodResult result = inner(params, context);
    json* tx = std::get_if<json>(&result);
    if (tx == nullptr || tx->value("location", json(nullptr)).is_null()) return result;
    const Txid id = Txid::from_hex(tx->at("txid").get<std::string>()).value();
    auto receipt = read_receipt(s.store, id);
    if (!receipt) return to_rpc_error(receipt.error());
    if (!*receipt) return result;
    auto found = find_transaction(s.store, s.chain, id);
    if (!found) return to_rpc_error(found.error());
    if (!*found) return result;
    auto out = receipt_json(s.store, s.chain, (*found)->tx, **receipt, s.network);
    if (!out) return to_rpc_error(out.error());
    (*tx)["receipt"] = std::move(*out);
    return result;
  };
  return tx_get;
}

// ---- the contract_events filter -----------------------------------------------------------

json contract_events_filter_schema() {
  return object_schema({{"contract", string_schema("only this contract's events: its address or id")},
                        {"topics", topics_filter_schema()}},
                       {"contract", "topics"});
}

std::optional<std::string> contract_events_filter_error(const json& filter, Network network) {
  if (!filter.is_object() || !filter.contains("contract")) return std::nullopt;
  const json& contract = filter.at("contract");
  if (!contract.is_string()) return std::nullopt;  // the schema says so
  auto id = parse_contract(contract.get<std::string>(), network);
  if (!id) return "params.filter.contract: " + id.error().message;
  return std::nullopt;
}

bool contract_event_matches(const json& filter, const Event& event, Network network) {
  if (!filter.is_object()) return true;
  if (filter.contains("contract")) {
    const json& contract = filter.at("contract");
    if (!contract.is_string()) return false;
    auto id = parse_contract(contract.get<std::string>(), network);
    if (!id || *id != event.contract) return false;
  }
  if (filter.contains("topics")) {
    const json& topics = filter.at("topics");
    if (!topics.is_array() || !topics_match(topics, event.topics)) return false;
  }
  return true;
}

Status register_contract_methods(Registry& registry, const ContractServices& services) {
  using Factory = MethodSpec (*)(const ContractServices&);
  for (Factory make : {contract_get, contract_get_code, contract_get_storage, contract_list_storage,
                       contract_query, contract_estimate, contract_get_receipt, contract_get_events}) {
    CAIRN_TRY_STATUS(registry.add(make(services)));
  }
  return {};
}

}  // namespace cairn::rpc
