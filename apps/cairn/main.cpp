// cairn — the Cairn command-line tool: wallet, RPC client, contract tools, devnet launcher
// and key tools. This build has `wallet` (the HD wallet, docs/wallet.md), `demo`, `key`
// (validator voting-key keystores, key derivation) and the RPC client commands `rpc`,
// `status`, `block`, `tx`, `mempool` and `peers`, which talk to cairnd's JSON-RPC API at
// --rpc-connect with the cookie from --datadir (or --rpc-user with --rpc-password-file);
// `contract` (build, deploy, call, upgrade, query, events, verify, test: docs/contracts.md
// §12) and `devnet` (up, status, down: a local regtest network of cairnd processes,
// docs/devnet.md).
#include <algorithm>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "contract_commands.h"
#include "demo.h"
#include "devnet.h"
#include "key.h"
#include "node/options.h"
#include "rpc_client.h"
#include "rpc_commands.h"
#include "wallet_commands.h"

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
  cairn::app::WalletCommands wallet;
  cairn::app::add_wallet_commands(app, wallet);
  cairn::app::ContractCommands contract;
  cairn::app::add_contract_commands(app, contract);
  cairn::app::DevnetCommands devnet;
  cairn::app::add_devnet_commands(app, devnet);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ExtrasError& e) {
    // Words left over after a wallet command or `key derive` are most likely a recovery
    // phrase or a password typed as arguments: say how to pass them, without echoing them.
    // An unknown option (a word starting with '-') is reported as CLI11 does.
    const bool secret_command = wallet.parsed() || (key.derive != nullptr && key.derive->parsed());
    const std::vector<std::string> extras = app.remaining(true);
    const bool only_options = std::all_of(extras.begin(), extras.end(),
                                          [](const std::string& word) { return word.starts_with('-'); });
    if (!secret_command || only_options) return app.exit(e);
    std::cerr << "cairn: unexpected arguments (not shown): recovery phrases and passwords are "
                 "never read from the command line; use the prompt, --phrase-file or --password-file "
                 "(- for stdin)\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // The devnet is always regtest in its own directories: --network and --datadir do not apply.
  if (devnet.parsed()) return cairn::app::run_devnet_command(devnet, json, std::cout, std::cerr);
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
  if (key.key->parsed()) return cairn::app::run_key_command(key, paths->network, json, std::cout, std::cerr);
  if (wallet.parsed()) {
    cairn::app::RpcClient rpc_client(std::move(*endpoint));
    return cairn::app::run_wallet_command(wallet, *paths, rpc_client, json, std::cout, std::cerr);
  }
  if (contract.parsed()) {
    cairn::app::RpcClient rpc_client(std::move(*endpoint));
    return cairn::app::run_contract_command(contract, *paths, rpc_client, json, std::cout, std::cerr);
  }
  if (rpc.any_parsed()) {
    cairn::app::RpcClient rpc_client(std::move(*endpoint));
    return cairn::app::run_rpc_command(rpc, rpc_client, json, std::cout, std::cerr);
  }
  return 1;
}
