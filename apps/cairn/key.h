// `cairn key ...`: validator voting-key keystores (docs/keystore.md).
//
//   cairn key validator-new --out FILE [--password-file F] [--force]
//   cairn key info FILE
//   cairn key validator-check FILE [--password-file F]
//   cairn key rpc-user NAME [--admin] [--password-file F]   (a line for cairnd --rpc-user)
//
// Passwords come from a terminal prompt without echo or from --password-file, never from
// the command line. Not thread-safe (one command per process).
#pragma once

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

namespace cairn::app {

// The `key` subcommand tree and the values its flags are parsed into.
struct KeyCommands {
  CLI::App* key = nullptr;
  CLI::App* validator_new = nullptr;
  CLI::App* info = nullptr;
  CLI::App* validator_check = nullptr;
  CLI::App* rpc_user = nullptr;
  std::string out_path;       // validator-new --out
  std::string file;           // info / validator-check FILE
  std::string password_file;  // --password-file
  bool force = false;         // validator-new --force
  std::string user;           // rpc-user NAME
  bool admin = false;         // rpc-user --admin
};

// Registers `key` and its subcommands on `app`; `commands` must outlive parsing.
void add_key_commands(CLI::App& app, KeyCommands& commands);

// Runs the parsed key subcommand; returns the process exit status.
int run_key_command(const KeyCommands& commands, bool json, std::ostream& out, std::ostream& err);

}  // namespace cairn::app
