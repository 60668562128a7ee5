// `cairn devnet up|status|down`: a local regtest network of cairnd processes on loopback
// ports, with miners, funded wallets from one recovery phrase and bonded validators
// (docs/devnet.md). The devnet's state is DIR/devnet.json (devnet_state.h).
//
//   up [--nodes N=1] [--validators V=1] [--miners K=N] [--dir DIR=./.cairn-devnet]
//      [--base-port P=29000] [--mine-interval MS] [--cairnd PATH] [--foreground]
//   status [--dir DIR]
//   down [--dir DIR]
//
// with the global --json. Node i: data dir DIR/node<i>, P2P port P+2i and RPC port P+2i+1
// on 127.0.0.1. Exit status 0 on success, 1 on any error (a message on stderr naming the
// node and its log file). Not thread-safe (one command per process; it installs SIGINT and
// SIGTERM handlers while `up` runs).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

namespace cairn::app {

struct DevnetOptions {
  uint32_t nodes = 1;
  uint32_t validators = 1;
  uint32_t miners = 0;  // with --miners only; else every node mines
  std::string dir = ".cairn-devnet";
  uint32_t base_port = 29000;
  uint64_t mine_interval_ms = 0;  // with --mine-interval only; else 1 s per miner
  std::string cairnd;             // empty: next to this executable
  bool foreground = false;
};

struct DevnetCommands {
  CLI::App* devnet = nullptr;
  CLI::App* up = nullptr;
  CLI::App* status = nullptr;
  CLI::App* down = nullptr;
  DevnetOptions options;
  bool parsed() const { return devnet != nullptr && devnet->parsed(); }
};

// Registers `devnet` and its subcommands on `app`; `commands` must outlive parsing.
void add_devnet_commands(CLI::App& app, DevnetCommands& commands);

// Runs the parsed devnet subcommand; the process exit status.
int run_devnet_command(const DevnetCommands& commands, bool json, std::ostream& out, std::ostream& err);

}  // namespace cairn::app
