// cairn — the Cairn command-line tool: wallet, RPC client, contract tools, devnet launcher
// and key tools. This build has `demo` and `key` (validator voting-key keystores); the
// wallet, RPC client and the rest arrive with their issues ([F], [G], [H], [I]).
#include <iostream>

#include <CLI/CLI.hpp>

#include "demo.h"
#include "key.h"
#include "node/options.h"

int main(int argc, char** argv) {
  CLI::App app{"cairn — wallet, RPC client and tools for the Cairn node"};
  app.set_version_flag("--version", "cairn 0.1.0");
  app.require_subcommand(1);

  cairn::CommonOptions common;
  cairn::add_common_options(app, common);
  std::string rpc_connect;
  app.add_option("--rpc-connect", rpc_connect,
                 "HOST:PORT of the cairnd to talk to (default: 127.0.0.1 on the network's RPC port); "
                 "its cookie is read from --datadir");
  bool json = false;
  app.add_flag("--json", json, "Print machine-readable JSON instead of text");

  auto* demo = app.add_subcommand(
      "demo",
      "Create keys, build, sign and verify a transaction, and assemble a block with its roots "
      "(runs locally, touches no node and no files)");
  cairn::app::KeyCommands key;
  cairn::app::add_key_commands(app, key);

  CLI11_PARSE(app, argc, argv);

  auto paths = cairn::resolve_paths(common);
  if (!paths) {
    std::cerr << "cairn: " << paths.error().message << "\n";
    return 1;
  }
  if (!rpc_connect.empty()) {
    if (auto hp = cairn::parse_host_port(rpc_connect); !hp) {
      std::cerr << "cairn: --rpc-connect: " << hp.error().message << "\n";
      return 1;
    }
  }
  if (demo->parsed()) return cairn::app::run_demo(paths->network, json, std::cout, std::cerr);
  if (key.key->parsed()) return cairn::app::run_key_command(key, json, std::cout, std::cerr);
  return 1;
}
