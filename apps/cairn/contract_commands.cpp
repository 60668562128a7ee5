#include "contract_commands.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "consensus/params.h"
#include "contract_abi.h"
#include "contract_build.h"
#include "contract_test_runner.h"
#include "primitives/address.h"
#include "wallet_context.h"
#include "wallet_input.h"

namespace cairn::app {
namespace {

namespace fs = std::filesystem;

// The whole of one contract command's state.
struct Ctx {
  const ContractOptions& o;
  const ResolvedPaths& paths;
  RpcClient& client;
  bool json_out;
  std::ostream& out;
  std::ostream& err;
  std::string command;

  Network net() const { return paths.network; }
  int fail(const std::string& message) const {
    err << "cairn: " << command << ": " << message << "\n";
    return 1;
  }
  int fail(const Error& e) const { return fail(e.message); }
  // Prints `doc` (JSON) or `text`.
  void print(const json& doc, const std::string& text) const {
    if (json_out) {
      out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    } else {
      out << text;
    }
  }
  Result<json> rpc(const std::string& method, const json& params) const {
    CallResult result = client.call(method, params);
    if (auto* failure = std::get_if<CallFailure>(&result)) {
      return Error{ErrorCode::invalid_argument, "cairnd " + method + ": " + failure->to_string()};
    }
    return std::get<json>(std::move(result));
  }
};

Result<Bytes> read_module(const std::string& path) {
  CAIRN_TRY(Bytes code, read_input(path, kMaxCodeBytes + 1));
  if (code.size() > kMaxCodeBytes) {
    return Error{ErrorCode::limit,
                 "'" + path + "' is larger than " + std::to_string(kMaxCodeBytes) + " bytes"};
  }
  if (code.size() < 4 || code[0] != 0 || code[1] != 'a' || code[2] != 's' || code[3] != 'm') {
    return Error{ErrorCode::invalid_argument, "'" + path + "' is not a WebAssembly module"};
  }
  return code;
}

// The contract id from an address (kind contract) or 64 hex digits.
Result<ContractId> parse_contract(const Ctx& ctx, const std::string& text) {
  if (text.size() == 64) {
    if (auto id = ContractId::from_hex(text)) return *id;
  }
  auto account = decode_account_address(ctx.net(), text);
  if (!account)
    return Error{ErrorCode::invalid_argument, "contract '" + text + "': " + account.error().message};
  if (account->kind != AccountKind::contract)
    return Error{ErrorCode::invalid_argument, "'" + text + "' is not a contract address"};
  return account->hash;
}

std::string contract_address(const Ctx& ctx, const ContractId& id) {
  return encode_address(ctx.net(), contract_account(id));
}

// The ABI of --abi, when given.
Result<std::optional<Abi>> optional_abi(const Ctx& ctx) {
  if (ctx.o.abi.empty()) return std::optional<Abi>();
  CAIRN_TRY(Abi abi, load_abi(ctx.o.abi));
  return std::optional<Abi>(std::move(abi));
}

// The call input from --args (with an ABI: its parameters) or --args-hex.
Result<Bytes> call_input(const Ctx& ctx, const std::optional<Abi>& abi, const AbiMethod* method) {
  if (!ctx.o.args_hex.empty()) {
    if (!ctx.o.args.empty()) return Error{ErrorCode::invalid_argument, "give --args or --args-hex, not both"};
    auto bytes = from_hex(ctx.o.args_hex);
    if (!bytes) return Error{ErrorCode::invalid_argument, "--args-hex is not hex"};
    return bytes;
  }
  json args = json::array();
  if (!ctx.o.args.empty()) {
    args = json::parse(ctx.o.args, nullptr, false);
    if (args.is_discarded()) return Error{ErrorCode::invalid_argument, "--args is not JSON: " + ctx.o.args};
  }
  if (!abi || method == nullptr) {
    if (!args.empty())
      return Error{ErrorCode::invalid_argument,
                   "--args needs --abi (the ABI JSON names the types); or pass --args-hex"};
    return Bytes{};
  }
  auto encoded = encode_args(*abi, method->inputs, args, ctx.net());
  if (!encoded) return Error{encoded.error().code, "--args: " + encoded.error().message};
  return encoded;
}

Result<Amount> optional_value(const std::string& text) {
  if (text.empty()) return Amount{0};
  auto amount = parse_amount(text);
  if (!amount) return Error{ErrorCode::invalid_argument, "--value '" + text + "': " + amount.error().message};
  return amount;
}

std::vector<Hash256> topics_of(const json& event) {
  std::vector<Hash256> topics;
  for (const auto& t : event.value("topics", json::array())) {
    if (auto h = Hash256::from_hex(t.get<std::string>())) topics.push_back(*h);
  }
  return topics;
}

// An Event JSON of the API with "decoded" added when the ABI knows it.
json decorate_event(const Ctx& ctx, const std::optional<Abi>& abi, json event) {
  if (!abi) return event;
  auto data = from_hex(event.value("data", ""));
  if (!data) return event;
  auto decoded = decode_event(*abi, topics_of(event), *data, ctx.net());
  if (!decoded) {
    event["decode_error"] = decoded.error().message;
  } else if (*decoded) {
    event["decoded"] = **decoded;
  }
  return event;
}

std::string event_text(const json& event) {
  std::string text;
  if (event.contains("decoded")) {
    text = event["decoded"]["name"].get<std::string>() + " ";
    text += event["decoded"]["fields"].dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    text = "topics " + event.value("topics", json::array()).dump() + " data " + event.value("data", "");
  }
  return text;
}

// Adds "result" (the decoded return data) and decoded events to an Execution/receipt JSON.
json decorate_execution(const Ctx& ctx, const std::optional<Abi>& abi, const AbiMethod* method, json doc) {
  if (abi && method != nullptr && doc.value("status", "") == "success") {
    auto data = from_hex(doc.value("return_data", ""));
    if (data) {
      auto result = decode_output(*abi, *method, *data, ctx.net());
      if (result) {
        doc["result"] = *result;
      } else {
        doc["result_error"] = result.error().message;
      }
    }
  }
  if (doc.contains("events") && doc["events"].is_array()) {
    json events = json::array();
    for (auto& e : doc["events"]) events.push_back(decorate_event(ctx, abi, e));
    doc["events"] = events;
  }
  return doc;
}

std::string execution_text(const json& doc) {
  std::string text = "status: " + doc.value("status", "?") + "\n";
  if (doc.contains("gas_used")) text += "gas used: " + doc["gas_used"].dump() + "\n";
  if (!doc.value("message", "").empty()) text += "message: " + doc.value("message", "") + "\n";
  if (doc.contains("result")) {
    text += "result: " + doc["result"].dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  } else if (!doc.value("return_data", "").empty()) {
    text += "return data: " + doc.value("return_data", "") + "\n";
  }
  for (const auto& e : doc.value("events", json::array())) text += "event: " + event_text(e) + "\n";
  for (const auto& o : doc.value("created_outputs", json::array())) {
    text += "created output " + o.value("txid", "") + ":" + o.value("index", json(0)).dump() + " " +
            o.value("value", json("")).dump() + " to " + o.value("address", "") + "\n";
  }
  return text;
}

// ---- signing and sending -------------------------------------------------------------

WalletOptions wallet_options(const ContractOptions& o) {
  WalletOptions w;
  w.wallet = o.wallet;
  w.password_file = o.password_file;
  w.yes = o.yes;
  w.fee_rate = o.fee_rate;
  w.target_blocks = o.target_blocks;
  return w;
}

// The coins of the caller address: --from, else the wallet's address with the most
// spendable coins. Only that address's coins fund the transaction, so whichever coin
// becomes input 0 the caller is the same account.
Result<std::vector<wallet::SpendableCoin>> caller_coins(const Ctx& ctx, WalletContext& wctx,
                                                        wallet::Wallet& w, wallet::ChainSource& chain,
                                                        std::string& caller) {
  CAIRN_TRY(const std::vector<wallet::OwnedCoin> owned, w.spendable_coins(chain));
  std::map<std::string, Amount> totals;
  for (const auto& c : owned) {
    if (c.address.public_key && c.utxo.mature) totals[c.address.address] += c.utxo.output.value;
  }
  if (!ctx.o.from.empty()) {
    const wallet::AddressRecord* record = w.find_address(ctx.o.from);
    if (record == nullptr || !record->public_key)
      return Error{ErrorCode::invalid_argument,
                   "--from " + ctx.o.from + " is not an address of wallet '" + wctx.o.wallet + "'"};
    caller = ctx.o.from;
  } else {
    Amount best = 0;
    for (const auto& [address, total] : totals) {
      if (total > best) {
        best = total;
        caller = address;
      }
    }
    if (caller.empty())
      return Error{ErrorCode::not_found, "wallet '" + wctx.o.wallet + "' has no spendable coins"};
  }
  std::vector<wallet::SpendableCoin> coins;
  for (const auto& c : owned) {
    if (c.address.address != caller || !c.address.public_key) continue;
    const PublicKey& key = *c.address.public_key;
    coins.push_back(wallet::SpendableCoin{c.utxo, key, {{key, address_path(w, c.address)}}});
  }
  return coins;
}

Result<wallet::Funding> contract_funding(const Ctx& ctx, WalletContext& wctx, wallet::Wallet& w,
                                         wallet::ChainSource& chain, std::string& caller) {
  wallet::Funding funding;
  CAIRN_TRY(funding.fee_rate, fee_rate(wctx, chain));
  CAIRN_TRY(funding.coins, caller_coins(ctx, wctx, w, chain, caller));
  // Change goes back to the caller address: a contract transaction reveals it anyway, and
  // its refund output pays it too.
  const wallet::AddressRecord* record = w.find_address(caller);
  funding.change_lock = key_hash_lock(*record->public_key);
  funding.change_path = address_path(w, *record);
  return funding;
}

// The payload with `gas_limit` for one of deploy, call, upgrade.
using PayloadMaker = std::function<Payload(uint64_t gas_limit)>;

uint64_t max_tx_gas(Network net) { return consensus_params(net).limits.max_tx_gas; }

Result<uint64_t> fixed_gas(const Ctx& ctx) {
  uint64_t gas = 0;
  auto [end, ec] = std::from_chars(ctx.o.gas.data(), ctx.o.gas.data() + ctx.o.gas.size(), gas);
  if (ec != std::errc() || end != ctx.o.gas.data() + ctx.o.gas.size() || gas == 0)
    return Error{ErrorCode::invalid_argument, "--gas '" + ctx.o.gas + "' is not a positive number or auto"};
  if (gas > max_tx_gas(ctx.net()))
    return Error{ErrorCode::invalid_argument, "--gas " + ctx.o.gas + " is above the network's max_tx_gas " +
                                                  std::to_string(max_tx_gas(ctx.net()))};
  return gas;
}

// --gas auto: builds with the network's max_tx_gas, asks contract_estimate, and returns
// the gas used + 25% + kGasAutoHeadroom (at most max_tx_gas). A failing estimate is an
// Error with its status and message (nothing is sent).
Result<uint64_t> auto_gas(const Ctx& ctx, const PayloadMaker& make, const wallet::Funding& funding) {
  const uint64_t limit = max_tx_gas(ctx.net());
  CAIRN_TRY(const wallet::BuiltTx probe, wallet::build_contract(make(limit), funding));
  CAIRN_TRY(const json estimate,
            ctx.rpc("contract_estimate", json{{"transaction", to_hex(encode(probe.tx))}}));
  const std::string status = estimate.value("status", "");
  if (status != "success") {
    return Error{ErrorCode::invalid_argument,
                 "the estimate says it would fail: " + status +
                     (estimate.value("message", "").empty() ? "" : ": " + estimate.value("message", "")) +
                     " (nothing was sent; --gas N sends it anyway)"};
  }
  const uint64_t used = estimate.value("gas_used", uint64_t{0});
  return std::min(limit, used + used / 4 + kGasAutoHeadroom);
}

Result<json> wait_for_receipt(const Ctx& ctx, const Txid& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ctx.o.wait_timeout);
  while (true) {
    CallResult result = ctx.client.call("contract_get_receipt", json{{"txid", id.hex()}});
    if (auto* doc = std::get_if<json>(&result)) return *doc;
    const auto& failure = std::get<CallFailure>(result);
    if (!failure.rpc_code) return Error{ErrorCode::io, "cairnd contract_get_receipt: " + failure.message};
    if (std::chrono::steady_clock::now() > deadline) {
      return Error{ErrorCode::not_found, "no receipt for " + id.hex() + " after " +
                                             std::to_string(ctx.o.wait_timeout) +
                                             " s (the transaction may still be mined; see `cairn tx`)"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kReceiptPollMillis));
  }
}

// Builds (with --gas or auto), shows, signs and sends a contract transaction; prints the
// txid (a deploy: the new contract's id and address), and the receipt with --wait.
int send_contract_tx(const Ctx& ctx, const PayloadMaker& make, const std::string& what,
                     const std::optional<Abi>& abi, const AbiMethod* method) {
  WalletOptions wopts = wallet_options(ctx.o);
  WalletContext wctx{wopts, ctx.paths, ctx.client, ctx.json_out, ctx.out, ctx.err, ctx.command, {}};
  auto w = open_wallet(wctx);
  if (!w) return ctx.fail(w.error());
  if (w->watch_only()) return ctx.fail("wallet '" + ctx.o.wallet + "' is watch-only: it cannot sign");
  RpcChainSource chain(ctx.client, ctx.net());
  std::string caller;
  auto funding = contract_funding(ctx, wctx, *w, chain, caller);
  if (!funding) return ctx.fail(funding.error());
  uint64_t gas = 0;
  if (ctx.o.gas == "auto") {
    auto estimated = auto_gas(ctx, make, *funding);
    if (!estimated) return ctx.fail(estimated.error());
    gas = *estimated;
  } else {
    auto fixed = fixed_gas(ctx);
    if (!fixed) return ctx.fail(fixed.error());
    gas = *fixed;
  }
  auto built = wallet::build_contract(make(gas), *funding);
  if (!built) return ctx.fail(built.error());
  const Amount max_fee = gas * ctx.o.gas_price;
  std::optional<ContractId> deployed;
  if (built->tx.payload.kind == kDeployPayload) deployed = wallet::deployed_contract_id(*built).value();
  std::ostream& shown = ctx.json_out ? ctx.err : ctx.out;
  shown << what << " from " << caller << " (wallet '" << ctx.o.wallet << "', " << network_name(ctx.net())
        << ")\n"
        << "  gas limit " << gas << " at " << ctx.o.gas_price << " per gas (at most "
        << format_amount(max_fee) << ", the unused part is refunded)\n"
        << "  byte fee " << format_amount(built->fee) << " (" << built->size << " bytes)\n";
  if (deployed)
    shown << "  contract " << contract_address(ctx, *deployed) << " (" << deployed->hex() << ")\n";
  if (!ctx.o.yes && !confirm_on_terminal("Sign and broadcast?", ctx.err))
    return ctx.fail("cancelled: nothing was signed or sent (pass --yes to skip the question)");
  auto keys = wallet_keys(wctx, *w);
  if (!keys) return ctx.fail(keys.error());
  WalletSigner signer(*w, *keys);
  auto tx = wallet::sign_transaction(*built, signer, genesis_hash(ctx.net()));
  if (!tx) return ctx.fail("signing: " + tx.error().message);
  auto id = chain.broadcast(*tx);
  if (!id) return ctx.fail(id.error().message + " (nothing was sent)");
  std::vector<OutPoint> spent;
  for (const TxIn& in : tx->inputs) spent.push_back(in.prevout);
  if (auto recorded = w->add_pending(spent, *id); !recorded)
    ctx.err << "cairn: " << ctx.command << ": sent, but the wallet file: " << recorded.error().message
            << "\n";
  json doc{{"txid", id->hex()},
           {"caller", caller},
           {"gas_limit", gas},
           {"gas_price", ctx.o.gas_price},
           {"fee", std::to_string(built->fee)}};
  std::string text = "sent: " + id->hex() + "\n";
  if (deployed) {
    doc["contract"] = deployed->hex();
    doc["address"] = contract_address(ctx, *deployed);
    text += "contract: " + contract_address(ctx, *deployed) + "\nid: " + deployed->hex() + "\n";
  }
  if (!ctx.o.wait) {
    ctx.print(doc, text);
    return 0;
  }
  if (!ctx.json_out) ctx.out << text << std::flush;
  auto receipt = wait_for_receipt(ctx, *id);
  if (!receipt) return ctx.fail(receipt.error());
  json decorated = decorate_execution(ctx, abi, method, *receipt);
  doc["receipt"] = decorated;
  if (ctx.json_out) {
    ctx.out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    ctx.out << "mined in block " << receipt->value("height", json(0)).dump() << "\n"
            << execution_text(decorated);
  }
  return decorated.value("status", "") == "success" ? 0 : 1;
}

// ---- the commands --------------------------------------------------------------------

int run_build(const Ctx& ctx) {
  auto built = build_contract_source({ctx.o.source, ctx.o.out_dir, ctx.o.sdk});
  if (!built) return ctx.fail(built.error());
  const Hash256 code_hash = contract_code_hash(built->code);
  auto abi = parse_abi(json::parse(built->abi_text, nullptr, false));
  if (!abi) return ctx.fail("the ABI printer's output: " + abi.error().message);
  json methods = json::array();
  std::string text = "built " + built->wasm.string() + " (" + std::to_string(built->code.size()) +
                     " bytes)\n" + "ABI   " + built->abi.string() + "\ncode hash " + code_hash.hex() + "\n";
  if (abi->constructor) text += "constructor: " + method_signature(*abi->constructor) + "\n";
  for (const auto& m : abi->methods) {
    methods.push_back(method_signature(m));
    text += "  " + method_signature(m) + "\n";
  }
  for (const auto& e : abi->events) text += "  event " + e.name + "\n";
  ctx.print(json{{"name", built->name},
                 {"wasm", built->wasm.string()},
                 {"abi", built->abi.string()},
                 {"size", built->code.size()},
                 {"code_hash", code_hash.hex()},
                 {"methods", methods}},
            text);
  return 0;
}

int run_deploy(const Ctx& ctx) {
  auto code = read_module(ctx.o.wasm);
  if (!code) return ctx.fail(code.error());
  auto abi = optional_abi(ctx);
  if (!abi) return ctx.fail(abi.error());
  const AbiMethod* init = *abi && (*abi)->constructor ? &*(*abi)->constructor : nullptr;
  if (*abi && !(*abi)->constructor && !ctx.o.args.empty())
    return ctx.fail("the contract has no constructor: --args must be empty");
  auto args = call_input(ctx, *abi, init);
  if (!args) return ctx.fail(args.error());
  auto value = optional_value(ctx.o.value);
  if (!value) return ctx.fail(value.error());
  if (!ctx.o.admin.empty() && ctx.o.immutable) return ctx.fail("give --admin or --immutable, not both");
  std::optional<Account> admin;
  if (!ctx.o.admin.empty()) {
    auto account = decode_account_address(ctx.net(), ctx.o.admin);
    if (!account) return ctx.fail("--admin " + ctx.o.admin + ": " + account.error().message);
    if (account->kind == AccountKind::contract)
      return ctx.fail("--admin: a contract cannot be an admin (it cannot sign upgrades)");
    admin = *account;
  }
  Hash256 salt;
  if (!ctx.o.salt.empty()) {
    auto parsed = Hash256::from_hex(ctx.o.salt);
    if (!parsed) return ctx.fail("--salt must be 64 hex digits");
    salt = *parsed;
  } else {
    OsRng rng;
    rng.fill(salt.bytes);
  }
  const PayloadMaker make = [&](uint64_t gas) {
    DeployBody body;
    body.gas = {gas, ctx.o.gas_price};
    body.value = *value;
    body.salt = salt;
    body.admin = admin;
    body.code = *code;
    body.args = *args;
    return Payload{kDeployPayload, encode_deploy_body(body)};
  };
  return send_contract_tx(ctx, make,
                          "deploy " + ctx.o.wasm + " (" + std::to_string(code->size()) + " bytes, " +
                              (admin ? "admin " + ctx.o.admin : std::string("immutable")) + ")",
                          *abi, init);
}

int run_call(const Ctx& ctx) {
  auto id = parse_contract(ctx, ctx.o.contract);
  if (!id) return ctx.fail(id.error());
  if (!is_method_name(ctx.o.method) || is_reserved_method(ctx.o.method))
    return ctx.fail("'" + ctx.o.method + "' is not a method name that can be called");
  auto abi = optional_abi(ctx);
  if (!abi) return ctx.fail(abi.error());
  const AbiMethod* method = *abi ? (*abi)->method(ctx.o.method) : nullptr;
  if (*abi && method == nullptr) return ctx.fail("the ABI has no method " + ctx.o.method);
  auto args = call_input(ctx, *abi, method);
  if (!args) return ctx.fail(args.error());
  auto value = optional_value(ctx.o.value);
  if (!value) return ctx.fail(value.error());
  if (method != nullptr && *value > 0 && !method->payable)
    return ctx.fail(ctx.o.method + " is not payable: it would abort and refund the value");
  const PayloadMaker make = [&](uint64_t gas) {
    CallBody body;
    body.gas = {gas, ctx.o.gas_price};
    body.value = *value;
    body.contract = *id;
    body.method = ctx.o.method;
    body.args = *args;
    return Payload{kCallPayload, encode_call_body(body)};
  };
  return send_contract_tx(ctx, make, "call " + ctx.o.method + " of " + contract_address(ctx, *id), *abi,
                          method);
}

int run_upgrade(const Ctx& ctx) {
  auto id = parse_contract(ctx, ctx.o.contract);
  if (!id) return ctx.fail(id.error());
  auto code = read_module(ctx.o.wasm);
  if (!code) return ctx.fail(code.error());
  const PayloadMaker make = [&](uint64_t gas) {
    UpgradeBody body;
    body.gas = {gas, ctx.o.gas_price};
    body.contract = *id;
    body.code = *code;
    return Payload{kUpgradePayload, encode_upgrade_body(body)};
  };
  return send_contract_tx(ctx, make, "upgrade " + contract_address(ctx, *id) + " to " + ctx.o.wasm,
                          std::nullopt, nullptr);
}

int run_query(const Ctx& ctx) {
  auto id = parse_contract(ctx, ctx.o.contract);
  if (!id) return ctx.fail(id.error());
  auto abi = optional_abi(ctx);
  if (!abi) return ctx.fail(abi.error());
  const AbiMethod* method = *abi ? (*abi)->method(ctx.o.method) : nullptr;
  if (*abi && method == nullptr) return ctx.fail("the ABI has no method " + ctx.o.method);
  auto args = call_input(ctx, *abi, method);
  if (!args) return ctx.fail(args.error());
  json params{{"contract", id->hex()}, {"method", ctx.o.method}, {"args", to_hex(*args)}};
  if (!ctx.o.caller.empty()) params["caller"] = ctx.o.caller;
  auto result = ctx.rpc("contract_query", params);
  if (!result) return ctx.fail(result.error());
  json doc = decorate_execution(ctx, *abi, method, *result);
  if (ctx.json_out) {
    ctx.print(doc, "");
  } else if (doc.value("status", "") == "success" && doc.contains("result")) {
    ctx.out << doc["result"].dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    for (const auto& e : doc.value("events", json::array())) ctx.out << "event: " << event_text(e) << "\n";
  } else {
    ctx.out << execution_text(doc);
  }
  return doc.value("status", "") == "success" ? 0 : 1;
}

Result<json> topic_filter(const Ctx& ctx, const std::optional<Abi>& abi) {
  if (ctx.o.topics.size() > kMaxEventTopics)
    return Error{ErrorCode::invalid_argument, "at most " + std::to_string(kMaxEventTopics) + " --topic"};
  json topics = json::array();
  for (const auto& t : ctx.o.topics) {
    if (t == "*" || t == "null") {
      topics.push_back(nullptr);
    } else if (auto h = Hash256::from_hex(t)) {
      topics.push_back(h->hex());
    } else if (abi && topics.empty() &&
               std::any_of(abi->events.begin(), abi->events.end(),
                           [&](const AbiEvent& e) { return e.name == t; })) {
      topics.push_back(blake3(as_bytes(t)).hex());
    } else {
      return Error{ErrorCode::invalid_argument,
                   "--topic '" + t + "': 64 hex digits, * for any, or (first) an event name of the ABI"};
    }
  }
  return topics;
}

int run_events(const Ctx& ctx) {
  auto id = parse_contract(ctx, ctx.o.contract);
  if (!id) return ctx.fail(id.error());
  auto abi = optional_abi(ctx);
  if (!abi) return ctx.fail(abi.error());
  auto topics = topic_filter(ctx, *abi);
  if (!topics) return ctx.fail(topics.error());
  json params{{"contract", id->hex()}, {"from_height", ctx.o.from_height}, {"limit", 1000}};
  if (ctx.o.to_height >= 0) params["to_height"] = ctx.o.to_height;
  if (!topics->empty()) params["topics"] = *topics;
  json all = json::array();
  uint64_t next_height = ctx.o.from_height;
  bool printed = false;
  while (true) {
    auto page = ctx.rpc("contract_get_events", params);
    if (!page) return ctx.fail(page.error());
    for (const auto& e : page->value("events", json::array())) {
      json event = decorate_event(ctx, *abi, e);
      printed = true;
      next_height = std::max(next_height, event.value("height", uint64_t{0}) + 1);
      if (ctx.o.follow && ctx.json_out) {
        ctx.out << event.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
      } else if (ctx.json_out) {
        all.push_back(event);
      } else {
        ctx.out << "height " << event.value("height", json(0)).dump() << " tx " << event.value("txid", "")
                << " #" << event.value("index", json(0)).dump() << ": " << event_text(event) << "\n"
                << std::flush;
      }
    }
    if (page->contains("next") && (*page)["next"].is_string()) {
      params["after"] = (*page)["next"];
      continue;
    }
    if (!ctx.o.follow) break;
    // Following: poll from the height after the last event seen (the API's cursor ends
    // with the tip it was made at).
    params.erase("after");
    params.erase("to_height");
    params["from_height"] = next_height;
    std::this_thread::sleep_for(std::chrono::milliseconds(kEventsPollMillis));
  }
  if (ctx.json_out) {
    ctx.out << all.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (!printed) {
    ctx.out << "no events\n";
  }
  return 0;
}

int run_verify(const Ctx& ctx) {
  auto id = parse_contract(ctx, ctx.o.contract);
  if (!id) return ctx.fail(id.error());
  // Built in a private temporary directory, written nowhere.
  auto built = build_contract_source({ctx.o.source, {}, ctx.o.sdk});
  if (!built) return ctx.fail(built.error());
  auto record = ctx.rpc("contract_get", json{{"contract", id->hex()}});
  if (!record) return ctx.fail(record.error());
  const std::string local = contract_code_hash(built->code).hex();
  const std::string onchain = record->value("code_hash", "");
  const bool match = local == onchain;
  ctx.print(json{{"contract", id->hex()},
                 {"address", contract_address(ctx, *id)},
                 {"match", match},
                 {"code_hash", onchain},
                 {"built_code_hash", local},
                 {"size", built->code.size()}},
            std::string(match ? "match" : "MISMATCH") + ": " + contract_address(ctx, *id) +
                "\n  on chain: " + onchain + "\n  built:    " + local + " (" + ctx.o.source + ", " +
                std::to_string(built->code.size()) + " bytes)\n");
  return match ? 0 : 1;
}

void add_wallet_flags(CLI::App* sub, ContractOptions& o) {
  sub->add_option("--wallet", o.wallet, "Wallet to sign with (default: default)");
  sub->add_option("--password-file", o.password_file, "File holding the wallet password (- for stdin)");
  sub->add_flag("--yes", o.yes, "Do not ask before signing and broadcasting");
  sub->add_option("--fee-rate", o.fee_rate,
                  "Byte fee rate in base units per 1000 bytes (default: the node's estimate)");
  sub->add_option("--target-blocks", o.target_blocks, "Blocks the fee estimate aims at");
  sub->add_option(
      "--from", o.from,
      "The caller: an address of the wallet whose coins pay (default: the one with the most coins)");
  sub->add_option("--gas", o.gas, "Gas limit, or auto (contract_estimate's gas + 25% + 10000)");
  sub->add_option("--gas-price", o.gas_price, "Base units per gas (default 1)");
  sub->add_flag("--wait", o.wait, "Wait for the receipt and print it");
  sub->add_option("--wait-timeout", o.wait_timeout, "Seconds --wait waits (default 600)");
}

}  // namespace

void add_contract_commands(CLI::App& app, ContractCommands& c) {
  ContractOptions& o = c.options;
  c.contract =
      app.add_subcommand("contract", "Build, deploy, call, query and test contracts (docs/contracts.md)");
  c.contract->require_subcommand(1);

  c.build = c.contract->add_subcommand("build", "Compile a contract source into NAME.wasm and NAME.abi.json");
  c.build->add_option("source", o.source, "The contract's .cpp")->required();
  c.build->add_option("-o,--out", o.out_dir, "Output directory (default: .)");
  c.build->add_option("--sdk", o.sdk, "The SDK include directory (default: $CAIRN_SDK, the installed one)");

  c.deploy = c.contract->add_subcommand("deploy", "Deploy a module (immutable unless --admin)");
  c.deploy->add_option("wasm", o.wasm, "The module")->required();
  c.deploy->add_option("--abi", o.abi, "ABI JSON: encodes --args for the constructor");
  c.deploy->add_option("--args", o.args, "Constructor arguments as a JSON array");
  c.deploy->add_option("--args-hex", o.args_hex, "Constructor input as hex (without an ABI)");
  c.deploy->add_option("--value", o.value, "Coins sent to the contract's balance (e.g. 0.5)");
  c.deploy->add_option("--salt", o.salt, "32-byte salt as hex (default: random)");
  c.deploy->add_option("--admin", o.admin, "Address allowed to upgrade the contract (default: none)");
  c.deploy->add_flag("--immutable", o.immutable, "No admin: the code can never change (the default)");
  add_wallet_flags(c.deploy, o);

  c.call = c.contract->add_subcommand("call", "Call a method in a transaction");
  c.call->add_option("contract", o.contract, "Contract address or id")->required();
  c.call->add_option("method", o.method, "Method name")->required();
  c.call->add_option("--abi", o.abi, "ABI JSON: encodes --args, decodes the result and events");
  c.call->add_option("--args", o.args, "Arguments as a JSON array or object");
  c.call->add_option("--args-hex", o.args_hex, "Input as hex (without an ABI)");
  c.call->add_option("--value", o.value, "Coins sent with the call (payable methods)");
  add_wallet_flags(c.call, o);

  c.upgrade = c.contract->add_subcommand("upgrade", "Replace a contract's code (its admin only)");
  c.upgrade->add_option("contract", o.contract, "Contract address or id")->required();
  c.upgrade->add_option("wasm", o.wasm, "The new module")->required();
  add_wallet_flags(c.upgrade, o);

  c.query = c.contract->add_subcommand("query", "Run a method read-only on the node (contract_query)");
  c.query->add_option("contract", o.contract, "Contract address or id")->required();
  c.query->add_option("method", o.method, "Method name")->required();
  c.query->add_option("--abi", o.abi, "ABI JSON: encodes --args, decodes the result");
  c.query->add_option("--args", o.args, "Arguments as a JSON array or object");
  c.query->add_option("--args-hex", o.args_hex, "Input as hex (without an ABI)");
  c.query->add_option("--caller", o.caller, "The caller the method sees (default: the all-zero key account)");

  c.events = c.contract->add_subcommand("events", "A contract's events (contract_get_events)");
  c.events->add_option("contract", o.contract, "Contract address or id")->required();
  c.events->add_option("--abi", o.abi, "ABI JSON: decodes the events");
  c.events->add_option("--from", o.from_height, "First height (default 0)");
  c.events->add_option("--to", o.to_height, "Last height (default: the tip)");
  c.events->add_option("--topic", o.topics,
                       "Topic filter by position: 64 hex digits, * for any, or an event name first");
  c.events->add_flag("--follow", o.follow,
                     "Keep printing new events (polls every 2 s; JSON lines with --json)");

  c.verify =
      c.contract->add_subcommand("verify", "Rebuild a source and compare its code hash with the chain's");
  c.verify->add_option("contract", o.contract, "Contract address or id")->required();
  c.verify->add_option("source", o.source, "The contract's .cpp")->required();
  c.verify->add_option("--sdk", o.sdk, "The SDK include directory");

  c.test = c.contract->add_subcommand("test", "Run a JSON script of steps against a local in-process chain");
  c.test->add_option("wasm", o.wasm, "The module")->required();
  c.test->add_option("--abi", o.abi, "ABI JSON")->required();
  c.test->add_option("--script", o.script, "The script (contract_test_runner.h has its format)")->required();
  c.test->add_flag("--trace", o.trace, "Print every host call with the gas before and after");
}

int run_contract_command(const ContractCommands& c, const ResolvedPaths& paths, RpcClient& client,
                         bool json_output, std::ostream& out, std::ostream& err) {
  const std::vector<std::pair<CLI::App*, int (*)(const Ctx&)>> handlers = {
      {c.build, run_build}, {c.deploy, run_deploy}, {c.call, run_call},     {c.upgrade, run_upgrade},
      {c.query, run_query}, {c.events, run_events}, {c.verify, run_verify},
  };
  if (c.test->parsed()) return run_contract_test(c.options, paths.network, json_output, out, err);
  for (const auto& [sub, handler] : handlers) {
    if (sub->parsed()) {
      Ctx ctx{c.options, paths, client, json_output, out, err, "contract " + sub->get_name()};
      return handler(ctx);
    }
  }
  return 1;
}

}  // namespace cairn::app
