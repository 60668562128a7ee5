#include "wallet_chain_source.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "primitives/address.h"

namespace cairn::app {
namespace {

// JSON-RPC error codes (docs/rpc.md "Errors") the client reacts to.
constexpr int kNotFound = -32000;
constexpr int kBusy = -32003;
constexpr int kRateLimited = -32005;

Error bad_answer(const std::string& what) { return Error{ErrorCode::decode, "unexpected answer: " + what}; }

Result<uint64_t> uint_field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_unsigned())
    return bad_answer(std::string("'") + key + "' is not a count");
  return it->get<uint64_t>();
}

Result<uint32_t> index_field(const json& doc, const char* key) {
  CAIRN_TRY(const uint64_t value, uint_field(doc, key));
  if (value > UINT32_MAX) return bad_answer(std::string("'") + key + "' is out of range");
  return static_cast<uint32_t>(value);
}

Result<bool> bool_field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_boolean()) return bad_answer(std::string("'") + key + "' is not a boolean");
  return it->get<bool>();
}

Result<std::string> string_field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return bad_answer(std::string("'") + key + "' is not a string");
  return it->get<std::string>();
}

Result<Hash256> hash_field(const json& doc, const char* key) {
  CAIRN_TRY(const std::string text, string_field(doc, key));
  auto hash = Hash256::from_hex(text);
  if (!hash) return bad_answer(std::string("'") + key + "' is not a 32-byte hex hash");
  return *hash;
}

}  // namespace

Result<Amount> amount_field(const json& doc, const char* key) {
  CAIRN_TRY(const std::string text, string_field(doc, key));
  Amount value = 0;
  if (text.empty() || text.size() > 19) return bad_answer(std::string("'") + key + "' is not an amount");
  for (const char c : text) {
    if (c < '0' || c > '9') return bad_answer(std::string("'") + key + "' is not an amount");
    value = value * 10 + static_cast<Amount>(c - '0');
  }
  if (!money_range(value)) return bad_answer(std::string("'") + key + "' is beyond the money range");
  return value;
}

Result<wallet::Utxo> parse_utxo(const json& item, const OutputLock& lock) {
  if (!item.is_object()) return bad_answer("a utxo is not an object");
  wallet::Utxo utxo;
  CAIRN_TRY(utxo.outpoint.txid, hash_field(item, "txid"));
  CAIRN_TRY(utxo.outpoint.index, index_field(item, "index"));
  CAIRN_TRY(utxo.output.value, amount_field(item, "value"));
  utxo.output.lock = lock;
  CAIRN_TRY(utxo.height, uint_field(item, "height"));
  CAIRN_TRY(utxo.coinbase, bool_field(item, "coinbase"));
  CAIRN_TRY(utxo.mature, bool_field(item, "mature"));
  return utxo;
}

Result<wallet::HistoryEntry> parse_history_entry(const json& item) {
  if (!item.is_object()) return bad_answer("a history item is not an object");
  wallet::HistoryEntry entry;
  CAIRN_TRY(entry.outpoint.txid, hash_field(item, "txid"));
  CAIRN_TRY(entry.outpoint.index, index_field(item, "index"));
  CAIRN_TRY(entry.value, amount_field(item, "received"));
  CAIRN_TRY(entry.height, uint_field(item, "height"));
  CAIRN_TRY(entry.coinbase, bool_field(item, "coinbase"));
  const auto spent = item.find("spent");
  if (spent == item.end()) return bad_answer("'spent' is missing");
  if (!spent->is_null()) {
    wallet::HistoryEntry::Spend spend;
    CAIRN_TRY(spend.txid, hash_field(*spent, "txid"));
    CAIRN_TRY(spend.input, index_field(*spent, "input"));
    CAIRN_TRY(spend.height, uint_field(*spent, "height"));
    entry.spent = spend;
  }
  return entry;
}

CallResult RpcChainSource::call_with_retries(const std::string& method, const json& params) {
  std::chrono::milliseconds pause = kFirstRetryPause;
  for (int attempt = 0;; ++attempt) {
    CallResult result = client_.call(method, params);
    const auto* failure = std::get_if<CallFailure>(&result);
    const bool try_again =
        failure != nullptr && (failure->rpc_code == kBusy || failure->rpc_code == kRateLimited);
    if (!try_again || attempt == kMaxRetries) return result;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, kMaxRetryPause);
  }
}

Result<json> RpcChainSource::call(const std::string& method, const json& params) {
  CallResult result = call_with_retries(method, params);
  if (auto* failure = std::get_if<CallFailure>(&result)) {
    // -32008 (rejected) carries the mempool's reason; keep it recognisable.
    return Error{failure->rpc_code ? ErrorCode::invalid_argument : ErrorCode::io,
                 "cairnd " + method + ": " + failure->to_string()};
  }
  return std::get<json>(std::move(result));
}

Result<std::vector<json>> RpcChainSource::all_pages(const std::string& method, const std::string& address) {
  std::vector<json> items;
  json params{{"address", address}, {"limit", kAddressPageLimit}};
  for (uint32_t page = 0; page < kMaxAddressPages; ++page) {
    CAIRN_TRY(json answer, call(method, params));
    if (!answer.is_object() || !answer.contains("items") || !answer["items"].is_array()) {
      return Error{ErrorCode::decode, "cairnd " + method + ": unexpected answer: no 'items' array"};
    }
    for (json& item : answer["items"]) items.push_back(std::move(item));
    const json& next = answer["next_cursor"];
    if (next.is_null()) return items;
    if (!next.is_string())
      return Error{ErrorCode::decode, "cairnd " + method + ": 'next_cursor' is not a string"};
    params["cursor"] = next;
  }
  return Error{ErrorCode::limit, "cairnd " + method + ": more than " + std::to_string(kMaxAddressPages) +
                                     " pages for " + address};
}

Result<std::vector<wallet::Utxo>> RpcChainSource::utxos(const std::string& address) {
  auto lock = decode_address(network_, address);
  if (!lock) return Error{ErrorCode::invalid_argument, "address " + address + ": " + lock.error().message};
  CAIRN_TRY(const std::vector<json> items, all_pages("address_get_utxos", address));
  std::vector<wallet::Utxo> out;
  out.reserve(items.size());
  for (const json& item : items) {
    auto utxo = parse_utxo(item, *lock);
    if (!utxo) return Error{utxo.error().code, "cairnd address_get_utxos: " + utxo.error().message};
    out.push_back(std::move(*utxo));
  }
  return out;
}

Result<std::vector<wallet::HistoryEntry>> RpcChainSource::history(const std::string& address) {
  CAIRN_TRY(const std::vector<json> items, all_pages("address_get_history", address));
  std::vector<wallet::HistoryEntry> out;
  out.reserve(items.size());
  for (const json& item : items) {
    auto entry = parse_history_entry(item);
    if (!entry) return Error{entry.error().code, "cairnd address_get_history: " + entry.error().message};
    out.push_back(std::move(*entry));
  }
  return out;
}

Result<FeeRate> RpcChainSource::estimate_fee(uint32_t target_blocks) {
  CAIRN_TRY(const json answer, call("tx_estimate_fee", json{{"target_blocks", target_blocks}}));
  auto rate = amount_field(answer, "fee_rate");
  if (!rate) return Error{rate.error().code, "cairnd tx_estimate_fee: " + rate.error().message};
  return FeeRate{*rate};
}

Result<uint64_t> RpcChainSource::tip_height() {
  CAIRN_TRY(const json answer, call("chain_get_info", json::object()));
  auto height = uint_field(answer, "height");
  if (!height) return Error{height.error().code, "cairnd chain_get_info: " + height.error().message};
  return *height;
}

Result<Txid> RpcChainSource::broadcast(const Transaction& tx) {
  CAIRN_TRY(const json answer, call("tx_send_raw", json{{"tx", to_hex(encode(tx))}}));
  auto id = hash_field(answer, "txid");
  if (!id) return Error{id.error().code, "cairnd tx_send_raw: " + id.error().message};
  if (*id != txid(tx)) return Error{ErrorCode::decode, "cairnd tx_send_raw: the node names another txid"};
  return *id;
}

Result<bool> RpcChainSource::in_mempool(const Txid& id) {
  CallResult result = call_with_retries("mempool_get_entry", json{{"txid", id.hex()}});
  if (auto* failure = std::get_if<CallFailure>(&result)) {
    if (failure->rpc_code == kNotFound) return false;  // not in the mempool
    return Error{ErrorCode::io, "cairnd mempool_get_entry: " + failure->to_string()};
  }
  return true;
}

}  // namespace cairn::app
