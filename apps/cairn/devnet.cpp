#include "devnet.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/bip39.h"
#include "crypto/ed25519.h"
#include "crypto/keystore.h"
#include "devnet_process.h"
#include "devnet_state.h"
#include "primitives/amount.h"
#include "rpc/cookie.h"
#include "rpc_client.h"
#include "util/file.h"
#include "wallet/wallet.h"
#include "wallet/wallet_file.h"
#include "wallet_context.h"

namespace cairn::app {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Each validator bonds this much of its mined coins (regtest's min_stake is 1 coin).
constexpr Amount kValidatorStake = 10 * kCoin;
// Spendable coins a validator waits for: the stake and room for the bond's fee.
constexpr Amount kBondFunds = kValidatorStake + kCoin;
// Without --mine-interval each miner pauses this long per miner after its blocks, so the
// devnet makes about one block a second and its miners rarely fork.
constexpr uint64_t kMineIntervalPerMinerMs = 1000;
// Bounded waits of `up`: a node serving RPC; all nodes connected; a validator's coins
// maturing and its bond mined (regtest coinbase maturity is 10 blocks).
constexpr std::chrono::seconds kStartTimeout{60};
constexpr std::chrono::seconds kConnectTimeout{60};
constexpr std::chrono::seconds kBondTimeout{300};
constexpr std::chrono::milliseconds kPollInterval{250};
constexpr std::chrono::seconds kProgressInterval{5};
// The words of a devnet's phrase, and the lines of a node's log shown when it fails.
constexpr size_t kPhraseWords = 24;
constexpr size_t kLogTailLines = 15;

// SIGINT/SIGTERM while `up` runs: it stops what it started (a flag: all a handler may do).
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signal) { g_stop_signal = signal; }

// Catches SIGINT and SIGTERM for the lifetime of the object (no SA_RESTART: sleeps return).
class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  static bool raised() { return g_stop_signal != 0; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string coins(Amount amount) { return format_amount(amount); }

std::filesystem::path self_executable() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("cairn") : self;
}

// The last lines of a node's log, for an error message.
std::string log_tail(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.erase(lines.begin());
  }
  std::string text;
  for (const auto& line : lines) text += "    " + line + "\n";
  return text;
}

// One JSON-RPC call to a node with its current cookie.
Result<json> node_rpc(const DevnetNode& node, const std::string& method,
                      const json& params = json::object()) {
  auto cookie = rpc::read_cookie(node.cookie_file());
  if (!cookie) return Error{ErrorCode::not_found, node.name() + ": no RPC cookie yet"};
  RpcClient client(RpcEndpoint{HostPort{"127.0.0.1", node.rpc_port}, std::move(*cookie), ""});
  CallResult result = client.call(method, params);
  if (const auto* failure = std::get_if<CallFailure>(&result)) {
    return Error{ErrorCode::io, node.name() + " " + method + ": " + failure->to_string()};
  }
  return std::get<json>(std::move(result));
}

// The recorded PID is alive and is this node's cairnd (its command line names the data dir).
bool running(const DevnetNode& node) {
  return process_matches(static_cast<pid_t>(node.pid), "--datadir " + node.datadir.string() + " ");
}

std::string node_failure(const DevnetNode& node, const std::string& what) {
  return node.name() + " " + what + "; its log, " + node.log_file().string() + ", ends:\n" +
         log_tail(node.log_file());
}

// `up`'s run: the devnet, what this run started (stopped again if `up` fails), where output
// goes.
class Launcher {
 public:
  Launcher(DevnetState& state, std::filesystem::path cairnd, bool foreground, std::ostream& err)
      : state_(state), cairnd_(std::move(cairnd)), foreground_(foreground), err_(err) {}

  const std::vector<pid_t>& started() const { return started_; }

  // Starts every node that is not running (node 0 first: it is the others' bootstrap).
  Status start_all() {
    for (const DevnetNode& n : state_.nodes) {
      if (running(n)) continue;
      if (const uint16_t busy = first_port_in_use({n.p2p_port, n.rpc_port}); busy != 0) {
        return Error{ErrorCode::invalid_argument, "port " + std::to_string(busy) + " (" + n.name() +
                                                      ") is in use on 127.0.0.1: another devnet or program "
                                                      "listens there; pick another --base-port"};
      }
    }
    DevnetNode& first = state_.nodes.front();
    if (!running(first)) CAIRN_TRY_STATUS(start(first));
    CAIRN_TRY_STATUS(wait_serving(first));
    for (size_t i = 1; i < state_.nodes.size(); ++i) {
      if (!running(state_.nodes[i])) CAIRN_TRY_STATUS(start(state_.nodes[i]));
    }
    for (size_t i = 1; i < state_.nodes.size(); ++i) CAIRN_TRY_STATUS(wait_serving(state_.nodes[i]));
    return write_devnet_file(state_);
  }

  // Every node has a handshaken peer (node 0: all the others).
  Status wait_connected() {
    if (state_.nodes.size() == 1) return {};
    const size_t others = state_.nodes.size() - 1;
    return wait_for(kConnectTimeout, "the nodes to connect", [&]() -> Result<std::optional<std::string>> {
      size_t connected = 0;
      std::string lagging;
      for (const DevnetNode& n : state_.nodes) {
        CAIRN_TRY_STATUS(check_running(n));
        auto peers = node_rpc(n, "net_get_peers");
        if (!peers) return std::optional<std::string>(peers.error().message);
        size_t handshaken = 0;
        for (const json& p : *peers)
          if (p.value("handshaken", false)) ++handshaken;
        if (handshaken >= (n.index == 0 ? others : 1)) {
          ++connected;
        } else if (lagging.empty()) {
          lagging = n.name() + " has " + std::to_string(handshaken) + " peer(s)";
        }
      }
      if (connected == state_.nodes.size()) return std::optional<std::string>();
      return std::optional<std::string>(std::to_string(connected) + " of " +
                                        std::to_string(state_.nodes.size()) + " nodes connected (" + lagging +
                                        ")");
    });
  }

  // Each validator not yet bonded waits for its mined coins to mature, then bonds; then
  // every bond is waited for in the tip's stake state.
  Status bond_validators() {
    std::set<std::string> bonded;
    CAIRN_TRY_STATUS(read_bonded(bonded));
    for (const DevnetNode& n : state_.nodes) {
      if (!n.validator || bonded.contains(n.validator->public_key)) continue;
      Status funded = wait_for(
          kBondTimeout, n.name() + "'s coins to mature", [&]() -> Result<std::optional<std::string>> {
            CAIRN_TRY_STATUS(check_running(n));
            auto info = node_rpc(n, "chain_get_info");
            auto balance = node_rpc(n, "address_get_balance", {{"address", n.wallet_address}});
            if (!info) return std::optional<std::string>(info.error().message);
            if (!balance) return std::optional<std::string>(balance.error().message);
            const Amount confirmed = std::stoull(balance->value("confirmed", "0"));
            if (confirmed >= kBondFunds) return std::optional<std::string>();
            return std::optional<std::string>("height " + std::to_string(info->value("height", uint64_t{0})) +
                                              ", " + coins(confirmed) + " of " + coins(kBondFunds) +
                                              " CAIRN spendable; coinbases mature after 10 blocks");
          });
      if (!funded) return funded.error();
      CAIRN_TRY_STATUS(bond(n));
    }
    size_t validators = 0;
    for (const DevnetNode& n : state_.nodes)
      if (n.validator) ++validators;
    if (validators == 0) return {};
    return wait_for(kBondTimeout, "the bonds to be mined", [&]() -> Result<std::optional<std::string>> {
      for (const DevnetNode& n : state_.nodes) CAIRN_TRY_STATUS(check_running(n));
      std::set<std::string> now;
      if (auto read = read_bonded(now); !read) return std::optional<std::string>(read.error().message);
      size_t done = 0;
      for (const DevnetNode& n : state_.nodes)
        if (n.validator && now.contains(n.validator->public_key)) ++done;
      if (done == validators) return std::optional<std::string>();
      return std::optional<std::string>(std::to_string(done) + " of " + std::to_string(validators) +
                                        " validators bonded");
    });
  }

 private:
  std::vector<std::string> cairnd_args(const DevnetNode& n) const {
    std::vector<std::string> args = {"--network",    "regtest",
                                     "--datadir",    n.datadir.string(),
                                     "--p2p-listen", "/ip4/127.0.0.1/tcp/" + std::to_string(n.p2p_port),
                                     "--rpc-listen", "127.0.0.1:" + std::to_string(n.rpc_port)};
    if (n.index != 0) args.insert(args.end(), {"--bootstrap", state_.nodes.front().p2p_address()});
    if (n.miner) {
      args.insert(args.end(), {"--mine", "--mine-to", n.wallet_address, "--mine-interval",
                               std::to_string(state_.mine_interval_ms)});
    }
    if (n.validator) {
      args.insert(args.end(), {"--validator-key", n.validator->key_file.string(), "--validator-password-file",
                               state_.password_file().string()});
    }
    return args;
  }

  Status start(DevnetNode& n) {
    // A cookie left by a killed run is not the new process's.
    rpc::remove_cookie(n.cookie_file());
    {
      std::ofstream log(n.log_file(), std::ios::app);
      log << "---- cairn devnet up: starting " << n.name() << " ----\n";
    }
    auto pid = spawn_process(SpawnOptions{cairnd_, cairnd_args(n), n.log_file(), foreground_});
    if (!pid) return Error{pid.error().code, n.name() + ": " + pid.error().message};
    started_.push_back(*pid);
    n.pid = *pid;
    err_ << "started " << n.name() << " (pid " << *pid << ", log " << n.log_file().string() << ")\n";
    return write_devnet_file(state_);
  }

  // Until the node answers net_get_info (its peer id is recorded).
  Status wait_serving(DevnetNode& n) {
    return wait_for(kStartTimeout, n.name() + " to serve RPC", [&]() -> Result<std::optional<std::string>> {
      CAIRN_TRY_STATUS(check_running(n));
      auto info = node_rpc(n, "net_get_info");
      if (!info) return std::optional<std::string>("starting");
      n.peer_id = info->value("peer_id", std::string());
      return std::optional<std::string>();
    });
  }

  // A node that exited is an error naming its log (an unanswered call is only progress).
  // A process this run started is checked by PID alone: until its exec it is still cairn.
  Status check_running(const DevnetNode& n) const {
    const auto pid = static_cast<pid_t>(n.pid);
    const bool ours = std::find(started_.begin(), started_.end(), pid) != started_.end();
    if (ours ? process_alive(pid) : running(n)) return {};
    return Error{ErrorCode::io, node_failure(n, "exited (pid " + std::to_string(n.pid) + ")")};
  }

  Status read_bonded(std::set<std::string>& keys) {
    CAIRN_TRY(json page, node_rpc(state_.nodes.front(), "staking_get_validators", {{"limit", 1000}}));
    for (const json& v : page.value("items", json::array()))
      keys.insert(v.value("voting_key", std::string()));
    return {};
  }

  // `cairn wallet bond` in this process: the node's wallet, the devnet's password.
  Status bond(const DevnetNode& n) {
    WalletOptions options;
    options.wallet = kDevnetWalletName;
    options.password_file = state_.password_file().string();
    options.yes = true;
    options.voting_key = n.validator->public_key;
    options.stake = format_amount(kValidatorStake);
    const ResolvedPaths paths{Network::regtest, n.datadir, n.datadir / "regtest"};
    auto cookie = rpc::read_cookie(n.cookie_file());
    if (!cookie) return Error{ErrorCode::io, n.name() + ": " + cookie.error().message};
    RpcClient client(RpcEndpoint{HostPort{"127.0.0.1", n.rpc_port}, std::move(*cookie), ""});
    std::ostringstream out;
    std::ostringstream errors;
    WalletContext ctx{options, paths, client, /*json=*/true, out, errors, "wallet bond", {}};
    if (run_bond(ctx) != 0) return Error{ErrorCode::io, node_failure(n, "could not bond: " + errors.str())};
    err_ << n.name() << ": bonded " << coins(kValidatorStake) << " CAIRN to voting key "
         << n.validator->public_key.substr(0, 16) << "…\n";
    return {};
  }

  // Polls `step` (nullopt: done; a string: progress to show) until done, an error, a signal
  // or `timeout`; progress is printed every kProgressInterval.
  Status wait_for(std::chrono::seconds timeout, const std::string& what,
                  const std::function<Result<std::optional<std::string>>()>& step) {
    const auto start = Clock::now();
    auto next_report = start + kProgressInterval;
    std::string last = "no answer yet";
    while (true) {
      if (StopSignals::raised()) return Error{ErrorCode::io, "interrupted while waiting for " + what};
      CAIRN_TRY(std::optional<std::string> progress, step());
      if (!progress) return {};
      last = *progress;
      const auto now = Clock::now();
      if (now - start >= timeout) {
        return Error{ErrorCode::io,
                     "gave up after " + std::to_string(timeout.count()) + " s waiting for " + what + " (" +
                         last + "); the nodes' logs are DIR/node<i>/cairnd.log in " + state_.dir.string()};
      }
      if (now >= next_report) {
        const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
        err_ << "waiting for " << what << " (" << waited << " s): " << last << "\n";
        next_report = now + kProgressInterval;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  DevnetState& state_;
  std::filesystem::path cairnd_;
  bool foreground_;
  std::ostream& err_;
  std::vector<pid_t> started_;
};

// A new devnet's files: the password, the phrase, each node's wallet (account i) and the
// validators' voting keys; devnet.json last.
Result<DevnetState> create_devnet(const DevnetOptions& o, const std::filesystem::path& dir, uint32_t miners,
                                  std::ostream& err) {
  std::error_code ec;
  for (uint32_t i = 0; i < o.nodes; ++i) {
    if (std::filesystem::exists(dir / ("node" + std::to_string(i)), ec)) {
      return Error{ErrorCode::invalid_argument, (dir / ("node" + std::to_string(i))).string() +
                                                    " exists but " + (dir / kDevnetFileName).string() +
                                                    " does not: remove " + dir.string() +
                                                    " or pick another --dir"};
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{ErrorCode::io, "cannot create " + dir.string() + ": " + ec.message()};
  DevnetState state;
  state.dir = dir;
  state.mine_interval_ms = o.mine_interval_ms != 0 ? o.mine_interval_ms : kMineIntervalPerMinerMs * miners;

  OsRng rng;
  std::array<uint8_t, 32> secret{};
  rng.fill(secret);
  const std::string password = to_hex(secret);
  CAIRN_TRY_STATUS(write_file_atomically(state.password_file(), as_bytes(password + "\n"), /*replace=*/true));
  CAIRN_TRY(SecretBytes phrase, bip39::generate_phrase(kPhraseWords, rng));
  CAIRN_TRY(SecretBytes entropy, bip39::phrase_to_entropy(phrase.view()));
  state.mnemonic = std::string(phrase.view());

  err << "creating a devnet of " << o.nodes << " node(s) in " << dir.string() << "\n";
  for (uint32_t i = 0; i < o.nodes; ++i) {
    DevnetNode n;
    n.index = i;
    n.datadir = dir / ("node" + std::to_string(i));
    n.p2p_port = devnet_p2p_port(static_cast<uint16_t>(o.base_port), i);
    n.rpc_port = devnet_rpc_port(static_cast<uint16_t>(o.base_port), i);
    n.miner = i < miners;
    n.wallet_account = i;
    CAIRN_TRY(std::filesystem::path wallet_dir,
              wallet::wallet_dir(n.datadir, Network::regtest, kDevnetWalletName));
    const wallet::NewWallet options{Network::regtest, i, kInteractiveKdfParams};
    auto created = wallet::Wallet::create(wallet_dir, options, entropy.span(), "", password, rng);
    if (!created) return Error{created.error().code, n.name() + "'s wallet: " + created.error().message};
    n.wallet_address = created->addresses().front().address;
    if (i < o.validators) {
      const KeyPair key = KeyPair::generate();
      CAIRN_TRY(Bytes keystore, create_validator_keystore(key, password, kInteractiveKdfParams));
      const std::filesystem::path key_file = n.datadir / "validator.key";
      CAIRN_TRY_STATUS(write_keystore_file(key_file, keystore));
      n.validator = DevnetValidator{key_file, key.public_key().hex()};
    }
    state.nodes.push_back(std::move(n));
  }
  CAIRN_TRY_STATUS(write_devnet_file(state));
  return state;
}

// A stored devnet is restarted as it was: flags that would change it are refused.
Status check_same_devnet(const DevnetCommands& c, const DevnetState& state) {
  const DevnetOptions& o = c.options;
  uint32_t validators = 0;
  uint32_t miners = 0;
  for (const DevnetNode& n : state.nodes) {
    if (n.validator) ++validators;
    if (n.miner) ++miners;
  }
  const auto given = [&](const char* flag) { return c.up->get_option(flag)->count() > 0; };
  const bool differs = (given("--nodes") && o.nodes != state.nodes.size()) ||
                       (given("--validators") && o.validators != validators) ||
                       (given("--miners") && o.miners != miners) ||
                       (given("--base-port") && o.base_port != state.nodes.front().p2p_port);
  if (!differs) return {};
  return Error{ErrorCode::invalid_argument,
               state.dir.string() + " already holds a devnet of " + std::to_string(state.nodes.size()) +
                   " node(s), " + std::to_string(validators) + " validator(s), " + std::to_string(miners) +
                   " miner(s) from port " + std::to_string(state.nodes.front().p2p_port) +
                   "; `cairn devnet up` restarts it as it is. For another one: `cairn devnet down --dir " +
                   state.dir.string() + "`, remove the directory, or pick another --dir"};
}

void print_summary(const DevnetState& state, std::ostream& out) {
  const std::string cairn = self_executable().string();
  size_t validators = 0;
  for (const DevnetNode& n : state.nodes)
    if (n.validator) ++validators;
  out << "devnet ready in " << state.dir.string() << ": " << state.nodes.size() << " node(s), " << validators
      << " bonded validator(s), regtest\n\n";
  for (const DevnetNode& n : state.nodes) {
    out << n.name() << "  pid " << n.pid << (n.miner ? "  miner" : "") << (n.validator ? "  validator" : "")
        << "\n"
        << "  explorer  " << n.rpc_url() << "\n"
        << "  rpc       " << n.rpc_url() << "  (cookie " << n.cookie_file().string() << ")\n"
        << "  metrics   " << n.rpc_url() << "metrics\n"
        << "  p2p       " << n.p2p_address() << "\n"
        << "  wallet    '" << kDevnetWalletName << "' (account " << n.wallet_account << ") "
        << n.wallet_address << "\n"
        << "  log       " << n.log_file().string() << "\n";
  }
  const DevnetNode& first = state.nodes.front();
  const std::string base = cairn + " --network regtest --datadir " + first.datadir.string() +
                           " --rpc-connect 127.0.0.1:" + std::to_string(first.rpc_port);
  out << "\nrecovery phrase of every node's wallet (regtest only): " << state.mnemonic << "\n"
      << "wallet password file: " << state.password_file().string() << "\n\n"
      << "use cairn against " << first.name() << ":\n"
      << "  " << base << " status\n"
      << "  " << base << " wallet balance --wallet " << kDevnetWalletName << "\n"
      << "  " << base << " wallet send --wallet " << kDevnetWalletName << " --password-file "
      << state.password_file().string() << " ADDRESS AMOUNT\n"
      << "  " << cairn << " devnet status --dir " << state.dir.string() << "\n"
      << "  " << cairn << " devnet down --dir " << state.dir.string() << "\n";
}

// --foreground: until a signal or a node exits, then every node is stopped.
int supervise(const DevnetState& state, std::ostream& out, std::ostream& err) {
  out << "\nrunning in the foreground: Ctrl-C stops every node\n" << std::flush;
  std::string died;
  while (!StopSignals::raised() && died.empty()) {
    for (const DevnetNode& n : state.nodes) {
      if (reap_if_exited(static_cast<pid_t>(n.pid)) || !running(n)) {
        died = node_failure(n, "exited (pid " + std::to_string(n.pid) + ")");
        break;
      }
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  if (!died.empty()) err << "cairn: devnet: " << died;
  std::vector<pid_t> pids;
  for (const DevnetNode& n : state.nodes) pids.push_back(static_cast<pid_t>(n.pid));
  err << "stopping " << pids.size() << " node(s)...\n";
  const auto outcomes = stop_processes(pids, kStopTimeout);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i] == StopOutcome::killed) err << state.nodes[i].name() << " did not stop in time: killed\n";
  }
  err << "devnet stopped\n";
  return died.empty() ? 0 : 1;
}

int up(const DevnetCommands& c, bool json_output, std::ostream& out, std::ostream& err) {
  const DevnetOptions& o = c.options;
  const auto fail = [&](const std::string& message) {
    err << "cairn: devnet up: " << message << "\n";
    return 1;
  };
  if (o.nodes < 1 || o.nodes > kMaxDevnetNodes)
    return fail("--nodes must be 1.." + std::to_string(kMaxDevnetNodes));
  const uint32_t miners = c.up->get_option("--miners")->count() > 0 ? o.miners : o.nodes;
  if (miners > o.nodes) return fail("--miners (" + std::to_string(miners) + ") exceeds --nodes");
  if (o.validators > o.nodes) {
    return fail("--validators (" + std::to_string(o.validators) + ") exceeds --nodes (" +
                std::to_string(o.nodes) + ")");
  }
  if (o.validators > miners) {
    return fail("--validators (" + std::to_string(o.validators) + ") exceeds --miners (" +
                std::to_string(miners) + "): each validator bonds coins it mined");
  }
  if (auto ports = check_devnet_ports(o.base_port, o.nodes); !ports) return fail(ports.error().message);
  auto cairnd = find_cairnd(o.cairnd);
  if (!cairnd) return fail(cairnd.error().message);

  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(o.dir, ec).lexically_normal();
  auto stored = read_devnet_file(dir);
  if (!stored) return fail(stored.error().message);
  std::optional<DevnetState> state = std::move(*stored);
  if (state) {
    if (auto same = check_same_devnet(c, *state); !same) return fail(same.error().message);
    if (c.up->get_option("--mine-interval")->count() > 0) state->mine_interval_ms = o.mine_interval_ms;
    size_t alive = 0;
    for (const DevnetNode& n : state->nodes)
      if (running(n)) ++alive;
    if (alive > 0 && o.foreground) {
      return fail(std::to_string(alive) + " node(s) of the devnet in " + dir.string() +
                  " already run detached; `cairn devnet down --dir " + dir.string() + "` first");
    }
    err << (alive == state->nodes.size() ? "the devnet in " + dir.string() + " is already running"
                                         : "restarting the devnet in " + dir.string())
        << "\n";
  } else {
    auto created = create_devnet(o, dir, miners, err);
    if (!created) return fail(created.error().message);
    state = std::move(*created);
  }

  StopSignals signals;
  Launcher launcher(*state, *cairnd, o.foreground, err);
  Status ready = launcher.start_all();
  if (ready) ready = launcher.wait_connected();
  if (ready) ready = launcher.bond_validators();
  if (ready) ready = write_devnet_file(*state);
  if (!ready) {
    err << "cairn: devnet up: " << ready.error().message << "\n";
    if (!launcher.started().empty()) {
      err << "stopping the " << launcher.started().size() << " node(s) this run started\n";
      stop_processes(launcher.started(), kStopTimeout);
    }
    return 1;
  }
  if (json_output) {
    out << devnet_to_json(*state).dump(2) << "\n";
  } else {
    print_summary(*state, out);
  }
  out << std::flush;
  return o.foreground ? supervise(*state, out, err) : 0;
}

Result<DevnetState> stored_devnet(const DevnetOptions& o) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(o.dir, ec).lexically_normal();
  CAIRN_TRY(std::optional<DevnetState> state, read_devnet_file(dir));
  if (!state)
    return Error{ErrorCode::not_found,
                 "no devnet in " + dir.string() + " (start one with `cairn devnet up`)"};
  return std::move(*state);
}

int status(const DevnetCommands& c, bool json_output, std::ostream& out, std::ostream& err) {
  auto state = stored_devnet(c.options);
  if (!state) {
    err << "cairn: devnet status: " << state.error().message << "\n";
    return 1;
  }
  json nodes = json::array();
  bool all_up = true;
  for (const DevnetNode& n : state->nodes) {
    json doc{{"name", n.name()}, {"pid", n.pid}, {"running", running(n)}, {"rpc_url", n.rpc_url()}};
    if (doc["running"]) {
      auto info = node_rpc(n, "chain_get_info");
      auto peers = node_rpc(n, "net_get_peers");
      auto mempool = node_rpc(n, "mempool_get_info");
      if (info && peers && mempool) {
        size_t handshaken = 0;
        for (const json& p : *peers)
          if (p.value("handshaken", false)) ++handshaken;
        doc["height"] = info->value("height", uint64_t{0});
        doc["best_hash"] = info->value("best_hash", std::string());
        doc["finalized_height"] = info->value("finalized_height", uint64_t{0});
        doc["peers"] = handshaken;
        doc["mempool"] = mempool->value("count", uint64_t{0});
      } else {
        doc["error"] = !info    ? info.error().message
                       : !peers ? peers.error().message
                                : mempool.error().message;
        all_up = false;
      }
    } else {
      all_up = false;
    }
    nodes.push_back(doc);
  }
  if (json_output) {
    out << json{{"dir", state->dir.string()}, {"running", all_up}, {"nodes", nodes}}.dump(2) << "\n";
    return all_up ? 0 : 1;
  }
  out << "devnet in " << state->dir.string() << ": " << (all_up ? "running" : "not (fully) running") << "\n";
  for (const json& d : nodes) {
    out << d["name"].get<std::string>() << "  pid " << d["pid"].get<int64_t>();
    if (!d["running"]) {
      out << "  not running\n";
    } else if (d.contains("error")) {
      out << "  running, RPC fails: " << d["error"].get<std::string>() << "\n";
    } else {
      out << "  height " << d["height"].get<uint64_t>() << "  peers " << d["peers"].get<size_t>()
          << "  finalized " << d["finalized_height"].get<uint64_t>() << "  mempool "
          << d["mempool"].get<uint64_t>() << "  " << d["rpc_url"].get<std::string>() << "\n";
    }
  }
  return all_up ? 0 : 1;
}

int down(const DevnetCommands& c, bool json_output, std::ostream& out, std::ostream& err) {
  auto state = stored_devnet(c.options);
  if (!state) {
    if (state.error().code != ErrorCode::not_found) {
      err << "cairn: devnet down: " << state.error().message << "\n";
      return 1;
    }
    out << state.error().message << ": nothing to stop\n";
    return 0;
  }
  std::vector<pid_t> pids;
  std::vector<const DevnetNode*> targets;
  for (const DevnetNode& n : state->nodes) {
    if (running(n)) {
      pids.push_back(static_cast<pid_t>(n.pid));
      targets.push_back(&n);
    }
  }
  const auto outcomes = stop_processes(pids, kStopTimeout);
  json stopped = json::array();
  for (const DevnetNode& n : state->nodes) {
    const auto it = std::find(targets.begin(), targets.end(), &n);
    std::string outcome = "not running";
    if (it != targets.end()) {
      const StopOutcome o = outcomes[static_cast<size_t>(it - targets.begin())];
      outcome = o == StopOutcome::killed
                    ? "killed (SIGKILL after " + std::to_string(kStopTimeout.count()) + " s)"
                : o == StopOutcome::stopped ? "stopped (SIGTERM)"
                                            : "not running";
    }
    stopped.push_back({{"name", n.name()}, {"pid", n.pid}, {"outcome", outcome}});
  }
  if (json_output) {
    out << json{{"dir", state->dir.string()}, {"nodes", stopped}}.dump(2) << "\n";
    return 0;
  }
  for (const json& s : stopped) {
    out << s["name"].get<std::string>() << " (pid " << s["pid"].get<int64_t>()
        << "): " << s["outcome"].get<std::string>() << "\n";
  }
  out << (pids.empty()
              ? "no node of the devnet in " + state->dir.string() + " was running\n"
              : "devnet in " + state->dir.string() + " stopped (its files are kept: `up` restarts it)\n");
  return 0;
}

}  // namespace

void add_devnet_commands(CLI::App& app, DevnetCommands& c) {
  DevnetOptions& o = c.options;
  c.devnet = app.add_subcommand("devnet",
                                "A local regtest network of cairnd nodes: up, status, down (docs/devnet.md)");
  c.devnet->require_subcommand(1);
  c.devnet->fallthrough();
  c.devnet->add_option("--dir", o.dir, "The devnet's directory (devnet.json, node<i>/ data dirs)")
      ->capture_default_str();
  c.up = c.devnet->add_subcommand(
      "up",
      "Start (or restart) the devnet; wait until every node is up, connected and the validators are bonded");
  c.up->add_option("--nodes", o.nodes, "Nodes (1.." + std::to_string(kMaxDevnetNodes) + ")")
      ->capture_default_str();
  c.up->add_option("--validators", o.validators, "Nodes 0..V-1 vote as bonded validators")
      ->capture_default_str();
  c.up->add_option("--miners", o.miners, "Nodes 0..K-1 mine (default: all)");
  c.up->add_option("--base-port", o.base_port, "Node i listens on P+2i (P2P) and P+2i+1 (RPC) on 127.0.0.1")
      ->capture_default_str();
  c.up->add_option("--mine-interval", o.mine_interval_ms,
                   "Milliseconds each miner pauses after its blocks (default: 1000 per miner)");
  c.up->add_option("--cairnd", o.cairnd, "The cairnd executable (default: the one next to cairn)");
  c.up->add_flag("--foreground", o.foreground, "Stay attached; Ctrl-C stops every node");
  c.status =
      c.devnet->add_subcommand("status", "Each node's process, height, peers, finalized height, mempool");
  c.down = c.devnet->add_subcommand("down", "Stop every node by PID (SIGTERM, then SIGKILL after 30 s)");
  for (CLI::App* sub : {c.up, c.status, c.down}) sub->fallthrough();
}

int run_devnet_command(const DevnetCommands& c, bool json_output, std::ostream& out, std::ostream& err) {
  if (c.up->parsed()) return up(c, json_output, out, err);
  if (c.status->parsed()) return status(c, json_output, out, err);
  if (c.down->parsed()) return down(c, json_output, out, err);
  return 1;
}

}  // namespace cairn::app
