// `cairn`'s node commands, each one or two JSON-RPC calls (docs/rpc.md):
//
//   cairn rpc METHOD [PARAMS...]     any method; each PARAM is JSON when it parses as JSON,
//                                    else a string; NAME=VALUE forms pass parameters by name
//   cairn status                     node_get_info: height, best hash, finality, peers, sync bar
//   cairn block <height|hash>        chain_get_block with transaction ids
//   cairn tx <txid>                  tx_get
//   cairn mempool                    mempool_get_info
//   cairn peers                      net_get_peers (scores, chain, ping) and net_get_bans
//                                    (reasons and expiry; admin, so the cookie's user)
//
// With --json every command prints the method's raw JSON result. Exit status 0 on success,
// 1 on any error (printed to stderr, JSON-RPC errors as `error CODE: message`).
//
// The parsing and formatting functions are pure, for tests. Not thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "rpc_client.h"

namespace cairn::app {

// Width of the sync progress bar in characters (between the brackets).
inline constexpr size_t kProgressBarWidth = 30;

struct RpcCommands {
  CLI::App* rpc = nullptr;
  CLI::App* status = nullptr;
  CLI::App* block = nullptr;
  CLI::App* tx = nullptr;
  CLI::App* mempool = nullptr;
  CLI::App* peers = nullptr;
  std::string method;               // rpc METHOD
  std::vector<std::string> params;  // rpc PARAMS...
  std::string block_id;             // block <height|hash>
  std::string txid;                 // tx <txid>
  bool any_parsed() const;
};

// Registers the subcommands on `app`; `commands` must outlive parsing.
void add_rpc_commands(CLI::App& app, RpcCommands& commands);

// `cairn rpc` parameters: all NAME=VALUE (NAME in snake_case) -> an object by name, none ->
// an array by position; each value JSON when it parses as JSON, else the text as a string.
// Mixing the forms is an error.
std::variant<json, std::string> parse_rpc_params(const std::vector<std::string>& args);

// "[#########.....] 45.3%" for `progress` parts per million (clamped to a million).
std::string progress_bar(uint64_t progress, size_t width = kProgressBarWidth);

// The text of `cairn status` from node_get_info's result.
std::string format_status(const json& info);
// The text of `cairn block` from chain_get_block's result (transactions as ids).
std::string format_block(const json& block);
// The text of `cairn peers` from net_get_peers' result and net_get_bans' (null when the
// caller may not read bans).
std::string format_peers(const json& peers, const json& bans);
// The text of `cairn tx` from tx_get's result.
std::string format_transaction(const json& tx);
// The text of `cairn mempool` from mempool_get_info's result.
std::string format_mempool(const json& info);

// Runs the parsed command against `client`; the process exit status.
int run_rpc_command(const RpcCommands& commands, RpcClient& client, bool json_output, std::ostream& out,
                    std::ostream& err);

}  // namespace cairn::app
