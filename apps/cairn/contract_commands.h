// `cairn contract ...`: building, deploying, calling and inspecting contracts
// (docs/contracts.md §12 "Tools"). The command tree:
//
//   build SOURCE.cpp [-o DIR] [--sdk DIR]
//   deploy WASM [--abi FILE] [--args JSON] [--value AMOUNT] [--salt HEX]
//               [--admin ADDRESS | --immutable]                          (default: immutable)
//   call CONTRACT METHOD [--abi FILE] [--args JSON | --args-hex HEX] [--value AMOUNT]
//   upgrade CONTRACT WASM
//   query CONTRACT METHOD [--abi FILE] [--args JSON | --args-hex HEX] [--caller ADDRESS]
//   events CONTRACT [--abi FILE] [--from H] [--to H] [--topic HEX|NAME|*]... [--follow]
//   verify CONTRACT SOURCE.cpp [--sdk DIR]
//   test WASM --abi FILE --script FILE.json [--trace]
//
// deploy, call and upgrade also take [--gas N|auto] [--gas-price N] [--from ADDRESS]
// [--wait] [--wait-timeout S] and the wallet's --wallet, --password-file, --fee-rate,
// --target-blocks and --yes. They sign with the wallet (a session from `cairn wallet
// unlock`, else the password) and send with tx_send_raw.
//
// Exit status 0 on success, 1 on any error (a message on stderr), also when a --wait
// receipt or a `test` expectation says the execution failed. Not thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "node/options.h"
#include "rpc_client.h"

namespace cairn::app {

// --gas auto: the estimate's gas used plus a quarter plus kGasAutoHeadroom, at most the
// network's max_tx_gas (state may change between the estimate and the block).
inline constexpr uint64_t kGasAutoHeadroom = 10'000;
// Gas price when --gas-price is not given: the mempool's default minimum.
inline constexpr uint64_t kDefaultGasPrice = 1;
// --wait polls contract_get_receipt this often.
inline constexpr int kReceiptPollMillis = 500;
// `events --follow` polls contract_get_events this often.
inline constexpr int kEventsPollMillis = 2000;

struct ContractOptions {
  // wallet
  std::string wallet = "default";
  std::string password_file;
  bool yes = false;
  uint64_t fee_rate = 0;
  uint32_t target_blocks = 6;
  std::string from;
  // transaction terms
  std::string gas = "auto";
  uint64_t gas_price = kDefaultGasPrice;
  std::string value;
  std::string salt;
  std::string admin;
  bool immutable = false;
  bool wait = false;
  int64_t wait_timeout = 600;
  // arguments and ABI
  std::string abi;
  std::string args;
  std::string args_hex;
  std::string caller;
  // positional
  std::string source;
  std::string wasm;
  std::string contract;
  std::string method;
  // build / verify
  std::string out_dir = ".";
  std::string sdk;
  // events
  uint64_t from_height = 0;
  int64_t to_height = -1;
  std::vector<std::string> topics;
  bool follow = false;
  // test
  std::string script;
  bool trace = false;
};

struct ContractCommands {
  CLI::App* contract = nullptr;
  CLI::App* build = nullptr;
  CLI::App* deploy = nullptr;
  CLI::App* call = nullptr;
  CLI::App* upgrade = nullptr;
  CLI::App* query = nullptr;
  CLI::App* events = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* test = nullptr;
  ContractOptions options;
  bool parsed() const { return contract != nullptr && contract->parsed(); }
};

// Registers `contract` and its subcommands on `app`; `commands` must outlive parsing.
void add_contract_commands(CLI::App& app, ContractCommands& commands);

// Runs the parsed contract subcommand; the process exit status.
int run_contract_command(const ContractCommands& commands, const ResolvedPaths& paths, RpcClient& client,
                         bool json, std::ostream& out, std::ostream& err);

}  // namespace cairn::app
