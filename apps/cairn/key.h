// `cairn key ...`: validator voting-key keystores (docs/keystore.md) and HD key checks.
//
//   cairn key validator-new --out FILE [--password-file F] [--force]
//   cairn key info FILE
//   cairn key validator-check FILE [--password-file F]
//   cairn key rpc-user NAME [--admin] [--password-file F]   (a line for cairnd --rpc-user)
//   cairn key derive [--phrase-file F] [--passphrase-file P] --path PATH
//       (the public key and --network address of a BIP39 phrase's SLIP-0010 key at PATH)
//
// Passwords and recovery phrases come from a terminal prompt without echo or from a file
// (`-`: standard input, one line per secret: the phrase, then the passphrase), never from
// the command line. Not thread-safe (one command per
// process).
#pragma once

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

#include "primitives/network.h"

namespace cairn::app {

// The `key` subcommand tree and the values its flags are parsed into.
struct KeyCommands {
  CLI::App* key = nullptr;
  CLI::App* validator_new = nullptr;
  CLI::App* info = nullptr;
  CLI::App* validator_check = nullptr;
  CLI::App* rpc_user = nullptr;
  CLI::App* derive = nullptr;
  std::string out_path;         // validator-new --out
  std::string file;             // info / validator-check FILE
  std::string password_file;    // --password-file
  bool force = false;           // validator-new --force
  std::string user;             // rpc-user NAME
  bool admin = false;           // rpc-user --admin
  std::string phrase_file;      // derive --phrase-file (empty: the terminal; "-": a line of stdin)
  std::string passphrase_file;  // derive --passphrase-file (empty: no passphrase)
  std::string path;             // derive --path
};

// Registers `key` and its subcommands on `app`; `commands` must outlive parsing.
void add_key_commands(CLI::App& app, KeyCommands& commands);

// Runs the parsed key subcommand (`key derive` prints `network`'s address); returns the
// process exit status.
int run_key_command(const KeyCommands& commands, Network network, bool json, std::ostream& out,
                    std::ostream& err);

}  // namespace cairn::app
