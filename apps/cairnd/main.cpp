// cairnd — the Cairn node.
//
// Opens the network's chain state in the data directory, joins the peer-to-peer network
// (docs/network.md; not with --no-p2p) and serves JSON-RPC (docs/rpc.md) until SIGINT,
// SIGTERM or node_stop, mining with --mine and voting with --validator-key. With
// --check-chain it audits the chain state and exits (0 sound, 1 problems found).
//
// Start-up order: options (flags > environment > config file > defaults; --print-config
// prints them and exits), the data directory's lock (a second cairnd stops here), logging,
// the chain state, the network, RPC. Shutdown (SIGINT, SIGTERM, node_stop) runs it
// backwards: RPC stops answering, the network saves its peer store, the chain state is
// closed durable, and the lock goes with the process (docs/operations.md "Shutdown").
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "crypto/keystore.h"
#include "node/logging.h"
#include "node/network_service.h"
#include "node/node.h"
#include "node/options.h"
#include "node/rpc_service.h"
#include "util/file.h"

namespace {

// Raised by SIGINT/SIGTERM; the node notices it and shuts down cleanly.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need a lock-free flag");

extern "C" void request_stop(int) { g_stop.store(true); }

int check_chain(const cairn::Node& node, bool replay) {
  auto audit = node.audit(replay);
  if (!audit) {
    std::cerr << "cairnd: cannot read the chain state: " << audit.error().message << "\n";
    return 1;
  }
  std::cout << "height " << audit->height << " tip " << audit->tip.hex() << "\n"
            << "coins " << audit->coins << ", validators " << audit->validators << ", indexed transactions "
            << audit->indexed_transactions << ", address entries " << audit->address_entries << "\n"
            << "blocks checked " << audit->blocks_checked << ", pruned " << audit->blocks_pruned
            << (replay ? ", replayed " + std::to_string(audit->replayed_blocks) : std::string()) << "\n";
  for (const std::string& p : audit->problems) std::cout << "PROBLEM " << p << "\n";
  if (audit->problems_total > audit->problems.size()) {
    std::cout << "... and " << audit->problems_total - audit->problems.size() << " more problems\n";
  }
  std::cout << (audit->ok() ? "chain state is sound\n" : "chain state has problems\n");
  return audit->ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cairnd — the Cairn node: proof-of-work blocks, proof-of-stake finality, "
      "UTXO ledger with WebAssembly contracts"};
  app.set_version_flag("--version", "cairnd 0.1.0");
  cairn::NodeOptions options;
  cairn::add_node_options(app, options);
  CLI11_PARSE(app, argc, argv);  // --help, --version and command-line syntax

  // The command line again, with the environment and the config file (docs/operations.md).
  auto config =
      cairn::load_node_config(std::vector<std::string>(argv + 1, argv + argc), cairn::process_environment);
  if (!config) {
    std::cerr << "cairnd: " << config.error().message << "\n";
    return 1;
  }
  auto resolved = cairn::resolve_node_config(*config);
  if (!resolved) {
    std::cerr << "cairnd: " << resolved.error().message << "\n";
    return 1;
  }
  if (config->options.print_config) {
    std::cout << cairn::render_config_toml(*config, *resolved);
    return 0;
  }
  const std::filesystem::path& datadir = resolved->paths.network_datadir;
  std::error_code ec;
  std::filesystem::create_directories(datadir, ec);
  if (ec) {
    std::cerr << "cairnd: cannot create data directory " << datadir << ": " << ec.message() << "\n";
    return 1;
  }
  // Before anything in the data directory is opened (the log file, the chain state, even
  // for --check-chain): one cairnd per data directory. Held until the process exits, after
  // everything below is closed.
  auto lock = cairn::FileLock::acquire(datadir / "cairnd.lock", "the data directory " + datadir.string());
  if (!lock) {
    std::cerr << "cairnd: " << lock.error().message << "\n";
    return 1;
  }
  if (auto logging = cairn::configure_logging(resolved->log); !logging) {
    std::cerr << "cairnd: " << logging.error().message << "\n";
    return 1;
  }
  if (config->file) {
    cairn::log_info(cairn::LogComponent::node, "config file read",
                    {cairn::kv("file", config->file->string()),
                     cairn::kv("how", config->file_is_default ? "default location" : "--config")});
  }
  // Before anything starts: the node's threads log (and may be watched for) while the
  // services are still starting, and a signal then must stop it cleanly, not kill it.
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);

  std::optional<cairn::ValidatorConfig> validator;
  if (resolved->validator_key && !resolved->check_chain) {
    auto key = cairn::load_validator_key(*resolved->validator_key, resolved->validator_password_file);
    if (!key) {
      std::cerr << "cairnd: --validator-key: " << key.error().message
                << (resolved->validator_password_file.empty()
                        ? " (give --validator-password-file to run unattended)"
                        : "")
                << "\n";
      return 1;
    }
    validator = cairn::ValidatorConfig{std::move(*key), resolved->slashing_protection};
  }
  auto node = cairn::Node::open(*resolved, std::move(validator));
  if (!node) {
    std::cerr << "cairnd: " << node.error().message << "\n";
    return 1;
  }
  if (resolved->check_chain) return check_chain(**node, resolved->check_chain_replay);

  std::unique_ptr<cairn::NetworkService> network;
  if (resolved->p2p.enabled) {
    auto started = cairn::NetworkService::start(**node, resolved->p2p);
    if (!started) {
      std::cerr << "cairnd: " << started.error().message << "\n";
      return 1;
    }
    network = std::move(*started);
  }
  std::unique_ptr<cairn::RpcService> rpc;
  if (resolved->rpc.enabled) {
    auto started = cairn::RpcService::start(**node, resolved->rpc, network.get());
    if (!started) {
      std::cerr << "cairnd: " << started.error().message << "\n";
      return 1;
    }
    rpc = std::move(*started);
  }
  auto ran = (*node)->run(g_stop);
  if (rpc) rpc->stop();          // before the network and the node it reads go away
  if (network) network->stop();  // saves the peer store; before the node goes away
  if (!ran) {
    cairn::log_critical(cairn::LogComponent::storage,
                        "the chain state store failed; the state is intact at its last durable block, "
                        "restart cairnd",
                        {cairn::kv("error", ran.error().message)});
    return 1;
  }
  return 0;
}
