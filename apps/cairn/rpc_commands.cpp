#include "rpc_commands.h"

#include <algorithm>
#include <iostream>
#include <regex>
#include <sstream>

#include "rpc/api.h"
#include "util/progress.h"

namespace cairn::app {
namespace {

// A parameter's value: JSON when it parses as JSON ("12", "true", "[1,2]", "\"12\""), else
// the text itself (hashes, addresses, words).
json param_value(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? json(text) : value;
}

// A JSON value as text: strings without their quotes.
std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

// `doc[key]` as text, "-" when absent.
std::string field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it == doc.end() ? "-" : text_of(*it);
}

// A block selector: digits are a height, anything else a hash.
json block_selector(const std::string& id) {
  const bool digits = !id.empty() && id.size() <= 19 &&
                      std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) return std::stoull(id);
  return id;
}

}  // namespace

bool RpcCommands::any_parsed() const {
  return rpc->parsed() || status->parsed() || block->parsed() || tx->parsed() || mempool->parsed() ||
         peers->parsed();
}

void add_rpc_commands(CLI::App& app, RpcCommands& commands) {
  commands.rpc = app.add_subcommand(
      "rpc",
      "Call a JSON-RPC method of cairnd: each PARAM is JSON when it parses as JSON, else a string; "
      "NAME=VALUE forms pass parameters by name (cairn rpc rpc.discover lists the methods)");
  commands.rpc->add_option("method", commands.method, "Method name, e.g. chain_get_block")->required();
  commands.rpc->add_option("params", commands.params, "Parameters, by position or as NAME=VALUE");
  commands.status =
      app.add_subcommand("status", "The node's height, best block, finality, peers and sync progress");
  commands.block = app.add_subcommand("block", "A block of the best chain by height, or any block by hash");
  commands.block->add_option("block", commands.block_id, "Height or 64-hex block hash")->required();
  commands.tx = app.add_subcommand("tx", "A transaction by id: its inputs, outputs and where it is");
  commands.tx->add_option("txid", commands.txid, "64-hex transaction id")->required();
  commands.mempool = app.add_subcommand("mempool", "The mempool's size, fees and fee floor");
  commands.peers =
      app.add_subcommand("peers", "The connected peers with their scores, and the bans with reasons");
}

std::variant<json, std::string> parse_rpc_params(const std::vector<std::string>& args) {
  static const std::regex kNamed("^([a-z][a-z0-9_]*)=(.*)$");
  json named = json::object();
  json positional = json::array();
  for (const std::string& arg : args) {
    std::smatch match;
    if (std::regex_match(arg, match, kNamed)) {
      if (named.contains(match[1].str())) return "parameter '" + match[1].str() + "' given twice";
      named[match[1].str()] = param_value(match[2].str());
    } else {
      positional.push_back(param_value(arg));
    }
  }
  if (!named.empty() && !positional.empty()) {
    return std::string(
        "give every parameter as NAME=VALUE or none (quote a positional string containing '=' as JSON, "
        "e.g. '\"a=b\"')");
  }
  return named.empty() ? positional : named;
}

std::string progress_bar(uint64_t progress, size_t width) {
  const uint64_t ppm = std::min<uint64_t>(progress, 1'000'000);
  const auto filled = static_cast<size_t>(ppm * width / 1'000'000);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
         progress_percent(ppm, 1'000'000);
}

std::string format_status(const json& info) {
  std::ostringstream out;
  out << "network    " << field(info, "network") << "\n"
      << "height     " << field(info, "height") << "\n"
      << "best hash  " << field(info, "best_hash") << "\n"
      << "finalized  " << field(info, "finalized_height") << "\n"
      << "peers      " << field(info, "peers") << "\n";
  if (const auto sync = info.find("sync"); sync != info.end() && sync->is_object()) {
    const uint64_t progress = sync->value("progress", uint64_t{0});
    out << "sync       " << field(*sync, "state") << " " << progress_bar(progress) << " "
        << field(*sync, "height") << "/" << field(*sync, "target_height");
    if (const auto eta = sync->find("eta_seconds"); eta != sync->end() && eta->is_number_unsigned()) {
      out << " eta " << format_duration(eta->get<int64_t>());
    }
    out << "\n";
  }
  if (info.contains("version")) out << "version    " << field(info, "version") << "\n";
  return out.str();
}

std::string format_block(const json& block) {
  std::ostringstream out;
  out << "block " << field(block, "hash") << "\n"
      << "height         " << field(block, "height") << "\n"
      << "previous       " << field(block, "prev_hash") << "\n"
      << "time           " << field(block, "time") << "\n"
      << "confirmations  " << field(block, "confirmations") << "\n"
      << "best chain     " << field(block, "in_best_chain") << ", finalized " << field(block, "finalized")
      << "\n"
      << "size           " << field(block, "size") << " bytes, " << field(block, "tx_count")
      << " transactions\n";
  if (const auto txs = block.find("transactions"); txs != block.end() && txs->is_array()) {
    for (const json& tx : *txs) out << "  " << (tx.is_object() ? field(tx, "txid") : text_of(tx)) << "\n";
  }
  return out.str();
}

std::string format_transaction(const json& tx) {
  std::ostringstream out;
  out << "transaction " << field(tx, "txid") << "\n"
      << "size " << field(tx, "size") << " bytes\n";
  const auto location = tx.find("location");
  if (location != tx.end() && location->is_object()) {
    out << "in block " << field(*location, "block_hash") << " height " << field(*location, "height")
        << " position " << field(*location, "position") << " (" << field(*location, "confirmations")
        << " confirmations)\n";
  } else {
    out << (tx.value("in_mempool", false) ? "in the mempool (unconfirmed)\n" : "not in a block\n");
  }
  if (const auto inputs = tx.find("inputs"); inputs != tx.end() && inputs->is_array()) {
    for (const json& in : *inputs) out << "  in   " << field(in, "txid") << ":" << field(in, "index") << "\n";
  }
  if (const auto outputs = tx.find("outputs"); outputs != tx.end() && outputs->is_array()) {
    for (const json& o : *outputs)
      out << "  out  " << field(o, "value") << " to " << field(o, "address") << "\n";
  }
  return out.str();
}

std::string format_peers(const json& peers, const json& bans) {
  std::ostringstream out;
  out << peers.size() << (peers.size() == 1 ? " peer\n" : " peers\n");
  for (const json& peer : peers) {
    out << "  " << field(peer, "peer_id") << " " << field(peer, "direction") << " " << field(peer, "address")
        << "\n    " << field(peer, "user_agent") << " height " << field(peer, "best_height") << " score "
        << field(peer, "ban_score") << " ping ";
    const auto ping = peer.find("ping_micros");
    if (ping != peer.end() && ping->is_number()) {
      out << ping->get<int64_t>() / 1000 << "." << ping->get<int64_t>() / 100 % 10 << " ms";
    } else {
      out << "-";
    }
    out << " connected " << format_duration(peer.value("connected_seconds", int64_t{0})) << "\n";
  }
  if (bans.is_null()) {
    out << "bans: not shown (net_get_bans is an admin method)\n";
    return out.str();
  }
  out << bans.size() << (bans.size() == 1 ? " ban\n" : " bans\n");
  for (const json& ban : bans) {
    out << "  " << field(ban, "kind") << " " << field(ban, "target") << ": " << field(ban, "reason")
        << " (until unix " << field(ban, "expires_unix") << ")\n";
  }
  return out.str();
}

std::string format_mempool(const json& info) {
  std::ostringstream out;
  out << "transactions  " << field(info, "count") << "\n"
      << "bytes         " << field(info, "bytes") << " of " << field(info, "max_bytes") << "\n"
      << "total fees    " << field(info, "total_fees") << "\n"
      << "min fee rate  " << field(info, "min_fee_rate") << " per 1000 bytes\n";
  return out.str();
}

namespace {

// Two calls: the peers, then the bans (admin: a public caller sees the peers alone).
int run_peers(RpcClient& client, bool json_output, std::ostream& out, std::ostream& err) {
  CallResult peers = client.call("net_get_peers", json::object());
  if (const auto* failure = std::get_if<CallFailure>(&peers)) {
    err << "cairn: net_get_peers: " << failure->to_string() << "\n";
    return 1;
  }
  json bans = nullptr;
  CallResult banned = client.call("net_get_bans", json::object());
  if (const auto* value = std::get_if<json>(&banned)) {
    bans = *value;
  } else if (const auto& failure = std::get<CallFailure>(banned);
             failure.rpc_code != rpc::error_code::forbidden &&
             failure.rpc_code != rpc::error_code::unauthorized) {
    err << "cairn: net_get_bans: " << failure.to_string() << "\n";
    return 1;
  }
  if (json_output) {
    out << json{{"peers", std::get<json>(peers)}, {"bans", bans}}.dump(2) << "\n";
  } else {
    out << format_peers(std::get<json>(peers), bans);
  }
  return 0;
}

}  // namespace

int run_rpc_command(const RpcCommands& commands, RpcClient& client, bool json_output, std::ostream& out,
                    std::ostream& err) {
  std::string method;
  json params = json::object();
  std::string (*format)(const json&) = nullptr;
  if (commands.rpc->parsed()) {
    auto parsed = parse_rpc_params(commands.params);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
      err << "cairn rpc: " << *problem << "\n";
      return 1;
    }
    method = commands.method;
    params = std::get<json>(parsed);
  } else if (commands.status->parsed()) {
    method = "node_get_info";
    format = format_status;
  } else if (commands.block->parsed()) {
    method = "chain_get_block";
    params = {{"block", block_selector(commands.block_id)}, {"transactions", "ids"}};
    format = format_block;
  } else if (commands.tx->parsed()) {
    method = "tx_get";
    params = {{"txid", commands.txid}};
    format = format_transaction;
  } else if (commands.peers->parsed()) {
    return run_peers(client, json_output, out, err);
  } else {
    method = "mempool_get_info";
    format = format_mempool;
  }
  CallResult result = client.call(method, params);
  if (const auto* failure = std::get_if<CallFailure>(&result)) {
    err << "cairn: " << method << ": " << failure->to_string() << "\n";
    return 1;
  }
  const json& value = std::get<json>(result);
  if (json_output || format == nullptr) {
    // A bare string result prints as text for `cairn rpc`, JSON with --json.
    out << (!json_output && value.is_string() ? value.get<std::string>() : value.dump(2)) << "\n";
  } else {
    out << format(value);
  }
  return 0;
}

}  // namespace cairn::app
