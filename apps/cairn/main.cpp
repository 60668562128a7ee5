// cairn — the Cairn command-line tool: wallet, RPC client, contract tools, devnet launcher
// and key tools. This build has `demo`, `key` (validator voting-key keystores) and the RPC
// client commands `rpc`, `status`, `block`, `tx`, `mempool` and `peers`, which talk to
// cairnd's JSON-RPC API at --rpc-connect with the cookie from --datadir (or --rpc-user with
// --rpc-password-file); the wallet and the rest arrive with their issues ([G], [H], [I]).
#include <iostream>
#include <utility>

#include <CLI/CLI.hpp>

#include "demo.h"
#include "key.h"
#include "node/options.h"
#include "rpc_client.h"
#include "rpc_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"cairn — wallet, RPC client and tools for the Cairn node"};
  app.set_version_flag("--version", "cairn 0.1.0");
  app.require_subcommand(1);

  cairn::CommonOptions common;
  cairn::add_common_options(app, common);
  cairn::app::RpcClientOptions client;
  app.add_option("--rpc-connect", client.connect,
                 "HOST:PORT of the cairnd to talk to (default: 127.0.0.1 on the network's RPC port); "
                 "its cookie is read from --datadir");
  app.add_option("--rpc-user", client.user, "RPC user name (with --rpc-password-file) instead of the cookie");
  app.add_option("--rpc-password-file", client.password_file,
                 "File whose first line is the --rpc-user password (config file key rpc-password-file)");
  bool json = false;
  app.add_flag("--json", json, "Print machine-readable JSON instead of text");

  auto* demo = app.add_subcommand(
      "demo",
      "Create keys, build, sign and verify a transaction, and assemble a block with its roots "
      "(runs locally, touches no node and no files)");
  cairn::app::KeyCommands key;
  cairn::app::add_key_commands(app, key);
  cairn::app::RpcCommands rpc;
  cairn::app::add_rpc_commands(app, rpc);

  CLI11_PARSE(app, argc, argv);

  auto paths = cairn::resolve_paths(common);
  if (!paths) {
    std::cerr << "cairn: " << paths.error().message << "\n";
    return 1;
  }
  auto endpoint = cairn::app::resolve_endpoint(client, *paths);
  if (!endpoint) {
    std::cerr << "cairn: " << endpoint.error().message << "\n";
    return 1;
  }
  if (demo->parsed()) return cairn::app::run_demo(paths->network, json, std::cout, std::cerr);
  if (key.key->parsed()) return cairn::app::run_key_command(key, json, std::cout, std::cerr);
  if (rpc.any_parsed()) {
    cairn::app::RpcClient rpc_client(std::move(*endpoint));
    return cairn::app::run_rpc_command(rpc, rpc_client, json, std::cout, std::cerr);
  }
  return 1;
}
