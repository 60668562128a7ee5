// `cairn wallet ...`: the command-line wallet (docs/wallet.md). The command tree:
//
//   create [--words N] [--passphrase | --passphrase-file F] [--phrase-out FILE] [--kdf K]
//   restore [--phrase-file F] [--passphrase | --passphrase-file F] [--gap-limit N] [--kdf K]
//   list | address [--label L] [--change] [--list] | balance | history
//   send ADDRESS AMOUNT [ADDRESS AMOUNT ...] [--fee-rate N | --target-blocks N]
//   backup FILE | import --watch FILE | import --backup FILE
//   lock | unlock [--timeout S] | change-password [--new-password-file F] [--kdf K]
//   bond --voting-key HEX --stake AMOUNT [--owner ADDRESS] | unbond --voting-key HEX |
//   withdraw --voting-key HEX
//   book add NAME ADDRESS | book list | book remove NAME
//   multisig create --threshold M --key HEX ... [--label L] | multisig key | multisig list
//   pst create ADDRESS AMOUNT ... [--from MULTISIG_ADDRESS] --out FILE
//   pst sign FILE [--out FILE] | pst combine FILE FILE ... --out FILE
//   pst finalize FILE --out FILE | pst broadcast FILE | pst show FILE
//
// with --wallet NAME (default "default"), --password-file F (`-`: stdin) and --yes on
// every subcommand. Secrets never come from the command line (wallet_input.h). The wallet
// directory is <datadir>/<network>/wallets/<name>/ (wallet/wallet_file.h); the node is
// reached through RpcChainSource only by the commands that need it.
//
// Exit status 0 on success, 1 on any error (a message on stderr; nothing written). Not
// thread-safe (one command per process).
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "node/options.h"
#include "rpc_client.h"

namespace cairn::app {

// The values the wallet's flags and arguments are parsed into.
struct WalletOptions {
  std::string wallet = "default";
  std::string password_file;
  std::string new_password_file;  // change-password
  bool yes = false;
  // create / restore
  size_t words = 24;
  bool passphrase = false;
  std::string passphrase_file;
  std::string phrase_file;
  std::string phrase_out;
  uint32_t gap_limit = 20;
  uint32_t account = 0;
  std::string kdf = "moderate";
  // address
  std::string label;
  bool change = false;
  bool list = false;
  // send / pst create: ADDRESS AMOUNT pairs
  std::vector<std::string> pairs;
  uint64_t fee_rate = 0;  // 0: ask the node
  uint32_t target_blocks = 6;
  // backup / import
  std::string file;
  std::string watch_file;
  std::string backup_file;
  // unlock
  int64_t timeout = 300;
  // staking
  std::string voting_key;
  std::string stake;
  std::string owner;
  // book
  std::string name;
  std::string address;
  // multisig
  uint32_t threshold = 0;
  std::vector<std::string> keys;
  // pst
  std::string from;
  std::string out;
  std::vector<std::string> files;
};

struct WalletContext;
using WalletHandler = int (*)(WalletContext&);

// The `wallet` subcommand tree.
struct WalletCommands {
  CLI::App* wallet = nullptr;
  std::vector<std::pair<CLI::App*, WalletHandler>> leaves;  // every runnable subcommand
  WalletOptions options;
  bool parsed() const { return wallet != nullptr && wallet->parsed(); }
};

// Registers `wallet` and its subcommands on `app`; `commands` must outlive parsing.
void add_wallet_commands(CLI::App& app, WalletCommands& commands);

// Runs the parsed wallet subcommand; the process exit status.
int run_wallet_command(const WalletCommands& commands, const ResolvedPaths& paths, RpcClient& client,
                       bool json, std::ostream& out, std::ostream& err);

}  // namespace cairn::app
