// cairn_txgen — transactions for the end-to-end benchmark and the soak test (bench/README.md,
// "End-to-end benchmark" and "Soak test"), signed with keys derived from a devnet's BIP39
// phrase (docs/wallet.md: m/44'/1'/<account>'/0'/0', regtest). Modes:
//
//   address  the first receive address of accounts A..A+K-1 (what a devnet node mines to).
//   fund     fan-out: spends the --from-account's confirmed or mature coins into --outputs
//            outputs of --value each, spread round-robin over --wallets accounts from
//            --first-account on (at most kMaxFanoutOutputs per transaction, change back),
//            waits until every fan-out transaction is in a block, writes the coins (JSON).
//   sign     N 1-input/2-output transactions, each spending one funded coin (half to the
//            next wallet, the rest less the fee back to its own address): "txid hex" lines.
//   submit   sends those lines over JSON-RPC (tx_send_raw, batches of --batch) to the
//            --node list round-robin, --connections keep-alive connections per node.
//   watch    subscribes to new_heads on every --node and prints one JSON line per notice
//            with its arrival time (Unix seconds), until --seconds pass or it is killed.
//   stream   steady load for a soak test: each funded coin is a wallet's chain of
//            self-payments, spent at --rate transactions/s over the nodes round-robin.
//
// One result object (JSON) on stdout (watch: one line per notice). Single-threaded: on the
// benchmark's 2-core machine the nodes need the other cores.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // before Asio's awaitable (net/coro.h)
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "crypto/bip39.h"
#include "crypto/ed25519.h"
#include "json_rpc_client.h"
#include "net/coro.h"
#include "primitives/address.h"
#include "primitives/sighash.h"
#include "primitives/transaction.h"
#include "rpc/auth.h"
#include "rpc/cookie.h"
#include "wallet/hd.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Target = cairn::bench::RpcTarget;

// Largest fan-out transaction: 1,000 outputs of about 45 bytes stay well below the mempool's
// kMaxStandardTxBytes (100 kB) with room for the inputs.
constexpr size_t kMaxFanoutOutputs = 1'000;
constexpr size_t kMaxFanoutInputs = 200;
// Flat fee of a 1-input, 1- or 2-output transaction (about 200 bytes): 5 base units per
// byte, five times the default relay rate, so nothing depends on the node's estimate.
constexpr cairn::Amount kSpendFee = 1'000;
// Fan-out fee: generous per input and per output (bytes each, times 2 base units per byte).
constexpr cairn::Amount kFeePerInput = 2 * 200;
constexpr cairn::Amount kFeePerOutput = 2 * 60;
constexpr cairn::Amount kFeeBase = 2'000;
constexpr size_t kUtxoPageLimit = 1'000;  // address_get_utxos' largest page
constexpr size_t kMaxBatch = 100;         // the server's requests per batch (docs/rpc.md)
constexpr std::chrono::seconds kCallTimeout{120};
constexpr int kFundAttempts = 5;  // fan-outs refused (a coin spent meanwhile) retried
constexpr double kConfirmTimeoutSeconds = 300;
constexpr int kStreamRetryLimit = 5;  // a wallet's refusals in a row before it rereads its coins
constexpr std::chrono::seconds kStreamBackoff{5};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A --node value, "HOST:PORT[,COOKIE_FILE]".
Target parse_target(const std::string& spec) {
  const size_t comma = spec.find(',');
  const std::string address = spec.substr(0, comma);
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error("--node " + spec + ": expected HOST:PORT[,COOKIE]");
  const auto port = static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
  try {
    return Target::make(address.substr(0, colon), port,
                        comma == std::string::npos ? "" : spec.substr(comma + 1));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("--node " + spec + ": " + e.what());
  }
}

// ---- JSON-RPC, one call per connection (the sequential modes) --------------------------------

json call_sync(const Target& target, const std::string& method, json params) {
  return cairn::bench::rpc_call_sync(target, method, std::move(params), kCallTimeout);
}

// ---- keys -------------------------------------------------------------------------------------

// The devnet's wallets: the receive key 0 of each account of one phrase (no passphrase).
class Keys {
 public:
  explicit Keys(const std::string& mnemonic_file) {
    std::ifstream in(mnemonic_file);
    if (!in) throw std::runtime_error("cannot read " + mnemonic_file);
    std::stringstream text;
    text << in.rdbuf();
    auto entropy = cairn::bip39::phrase_to_entropy(text.str());
    if (!entropy) throw std::runtime_error(mnemonic_file + ": " + entropy.error().message);
    auto phrase = cairn::bip39::entropy_to_phrase(entropy->span());
    if (!phrase) throw std::runtime_error(phrase.error().message);
    auto seed = cairn::bip39::phrase_to_seed(phrase->view(), "");
    if (!seed) throw std::runtime_error(seed.error().message);
    seed_ = std::move(*seed);
  }

  const cairn::KeyPair& key(uint32_t account) {
    auto it = keys_.find(account);
    if (it == keys_.end()) {
      auto node = cairn::wallet::AccountKey::derive(seed_.span(), cairn::Network::regtest, account);
      if (!node) throw std::runtime_error("account " + std::to_string(account) + ": " + node.error().message);
      auto pair = node->key(cairn::wallet::Chain::receive, 0);
      if (!pair) throw std::runtime_error(pair.error().message);
      it = keys_.emplace(account, std::move(*pair)).first;
    }
    return it->second;
  }
  cairn::OutputLock lock(uint32_t account) { return cairn::key_hash_lock(key(account).public_key()); }
  std::string address(uint32_t account) {
    return cairn::encode_address(cairn::Network::regtest, lock(account));
  }

 private:
  cairn::SecretBytes seed_;
  std::map<uint32_t, cairn::KeyPair> keys_;
};

// ---- coins and signing ------------------------------------------------------------------------

struct Coin {
  uint32_t account = 0;
  cairn::OutPoint outpoint;
  cairn::Amount value = 0;
};

json coin_json(const Coin& coin) {
  return {{"account", coin.account},
          {"txid", coin.outpoint.txid.hex()},
          {"index", coin.outpoint.index},
          {"value", std::to_string(coin.value)}};
}

Coin coin_from_json(const json& item) {
  Coin coin;
  coin.account = item.at("account").get<uint32_t>();
  coin.outpoint.txid = cairn::Hash256::from_hex(item.at("txid").get<std::string>()).value();
  coin.outpoint.index = item.at("index").get<uint32_t>();
  coin.value = std::stoull(item.at("value").get<std::string>());
  return coin;
}

std::vector<Coin> read_coins(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  const json doc = json::parse(in);
  std::vector<Coin> coins;
  for (const json& item : doc.at("coins")) coins.push_back(coin_from_json(item));
  return coins;
}

// Signs every input of `tx` (input i spends `spent[i]`, all owned by `key`; SighashType::all).
void sign_inputs(cairn::Transaction& tx, const cairn::KeyPair& key, const std::vector<cairn::TxOut>& spent,
                 const cairn::Hash256& genesis) {
  const auto digests = cairn::compute_sighash_digests(tx, spent).value();
  const auto all = static_cast<uint8_t>(cairn::SighashType::all);
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const cairn::Hash256 message = cairn::signature_hash(tx, digests, i, all, genesis).value();
    tx.inputs[i].witness = cairn::KeySpend{key.public_key(), cairn::TypedSignature{key.sign(message), all}};
  }
}

cairn::Hash256 regtest_genesis(const Target& target) {
  const json info = call_sync(target, "chain_get_info", json::object());
  if (info["network"] != "regtest") throw std::runtime_error("cairn_txgen signs for regtest only");
  return cairn::Hash256::from_hex(info["genesis_hash"].get<std::string>()).value();
}

// The spendable outputs of `account`'s address: confirmed, and mature if coinbases.
std::vector<Coin> spendable_coins(const Target& target, Keys& keys, uint32_t account) {
  std::vector<Coin> out;
  json cursor = nullptr;
  do {
    json params = {{"address", keys.address(account)}, {"limit", kUtxoPageLimit}};
    if (!cursor.is_null()) params["cursor"] = cursor;
    const json page = call_sync(target, "address_get_utxos", std::move(params));
    for (const json& item : page["items"]) {
      if (item["coinbase"].get<bool>() && !item["mature"].get<bool>()) continue;
      Coin coin;
      coin.account = account;
      coin.outpoint.txid = cairn::Hash256::from_hex(item["txid"].get<std::string>()).value();
      coin.outpoint.index = item["index"].get<uint32_t>();
      coin.value = std::stoull(item["value"].get<std::string>());
      out.push_back(coin);
    }
    cursor = page["next_cursor"];
  } while (!cursor.is_null());
  return out;
}

std::string send_raw(const Target& target, const cairn::Transaction& tx) {
  json params = {{"tx", cairn::to_hex(cairn::encode(tx))}};
  const json sent = call_sync(target, "tx_send_raw", std::move(params));
  return sent.at("status").get<std::string>();
}

// ---- address mode -----------------------------------------------------------------------------

json run_address(Keys& keys, uint32_t first, uint32_t count) {
  json list = json::array();
  for (uint32_t a = first; a < first + count; ++a)
    list.push_back({{"account", a}, {"address", keys.address(a)}});
  return {{"mode", "address"}, {"addresses", std::move(list)}};
}

// ---- fund mode --------------------------------------------------------------------------------

// One fan-out transaction: `values[k]` to `accounts[k]`, inputs from `pool` (largest first,
// consumed), change back to `from`. nullopt when the pool cannot pay.
std::optional<cairn::Transaction> fanout_tx(Keys& keys, uint32_t from, std::vector<Coin>& pool,
                                            const std::vector<uint32_t>& accounts, cairn::Amount value,
                                            const cairn::Hash256& genesis) {
  cairn::Transaction tx;
  std::vector<cairn::TxOut> spent;
  cairn::Amount in = 0;
  const auto needed = [&] {
    return value * accounts.size() + kFeeBase + kFeePerOutput * (accounts.size() + 1) +
           kFeePerInput * spent.size();
  };
  while (in < needed() || spent.empty()) {
    if (pool.empty() || spent.size() == kMaxFanoutInputs) return std::nullopt;
    const Coin coin = pool.back();
    pool.pop_back();
    tx.inputs.push_back(cairn::TxIn{coin.outpoint, {}});
    spent.push_back(cairn::TxOut{coin.value, keys.lock(from)});
    in += coin.value;
  }
  for (const uint32_t account : accounts) tx.outputs.push_back(cairn::TxOut{value, keys.lock(account)});
  const cairn::Amount change = in - needed();
  if (change > kSpendFee) tx.outputs.push_back(cairn::TxOut{change, keys.lock(from)});
  sign_inputs(tx, keys.key(from), spent, genesis);
  return tx;
}

bool confirmed(const Target& target, const cairn::Txid& id) {
  json params = {{"txid", id.hex()}};
  try {
    const json tx = call_sync(target, "tx_get", std::move(params));
    return tx.contains("location") && !tx["location"].is_null();
  } catch (const std::runtime_error&) {
    return false;  // not known yet (another node's block not here yet)
  }
}

json run_fund(const Target& target, Keys& keys, uint32_t from, uint32_t first_account, uint32_t wallets,
              size_t outputs, cairn::Amount value) {
  const auto start = Clock::now();
  const auto genesis = regtest_genesis(target);
  std::vector<Coin> pool = spendable_coins(target, keys, from);
  std::sort(pool.begin(), pool.end(), [](const Coin& a, const Coin& b) { return a.value < b.value; });
  std::vector<Coin> coins;
  std::vector<cairn::Txid> fanouts;
  int refused = 0;
  for (size_t done = 0; done < outputs;) {
    const size_t count = std::min(kMaxFanoutOutputs, outputs - done);
    std::vector<uint32_t> accounts;
    for (size_t k = 0; k < count; ++k)
      accounts.push_back(first_account + static_cast<uint32_t>((done + k) % wallets));
    auto tx = fanout_tx(keys, from, pool, accounts, value, genesis);
    if (!tx) {
      throw std::runtime_error("account " + std::to_string(from) + " cannot pay for " +
                               std::to_string(outputs) + " outputs of " + std::to_string(value) +
                               " (funded " + std::to_string(done) + ")");
    }
    try {
      send_raw(target, *tx);
    } catch (const std::runtime_error& e) {
      // A coin spent meanwhile (a devnet's own bond transaction, say): these inputs are
      // dropped from the pool (fanout_tx consumed them) and the fan-out is built again.
      if (++refused == kFundAttempts) throw;
      std::cerr << "cairn_txgen: fan-out refused, retrying with other coins: " << e.what() << "\n";
      continue;
    }
    const cairn::Txid id = cairn::txid(*tx);
    fanouts.push_back(id);
    for (uint32_t o = 0; o < count; ++o) coins.push_back(Coin{accounts[o], {id, o}, value});
    done += count;
  }
  // The spends then have confirmed parents: no mempool ancestor limits, and every node has them.
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(kConfirmTimeoutSeconds));
  for (const cairn::Txid& id : fanouts) {
    while (!confirmed(target, id)) {
      if (Clock::now() > deadline) throw std::runtime_error("fan-out " + id.hex() + " not mined in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  json list = json::array();
  for (const Coin& coin : coins) list.push_back(coin_json(coin));
  json ids = json::array();
  for (const cairn::Txid& id : fanouts) ids.push_back(id.hex());
  return {{"mode", "fund"},
          {"from_account", from},
          {"first_account", first_account},
          {"wallets", wallets},
          {"fanout_txids", std::move(ids)},
          {"coins", std::move(list)},
          {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
}

// ---- sign mode --------------------------------------------------------------------------------

json run_sign(const Target& target, Keys& keys, const std::vector<Coin>& coins, size_t count,
              const std::string& out_path) {
  if (count > coins.size()) {
    throw std::runtime_error("sign: " + std::to_string(count) + " transactions need as many coins, have " +
                             std::to_string(coins.size()));
  }
  const auto genesis = regtest_genesis(target);
  for (const Coin& coin : coins) keys.key(coin.account);  // derivation outside the timing
  std::ofstream out(out_path);
  if (!out) throw std::runtime_error("cannot write " + out_path);
  const auto start = Clock::now();
  for (size_t i = 0; i < count; ++i) {
    const Coin& coin = coins[i];
    const uint32_t next = coins[(i + 1) % coins.size()].account;
    if (coin.value <= kSpendFee + 2) throw std::runtime_error("sign: a coin is too small to spend");
    cairn::Transaction tx;
    tx.inputs = {cairn::TxIn{coin.outpoint, {}}};
    const cairn::Amount half = (coin.value - kSpendFee) / 2;
    tx.outputs = {cairn::TxOut{half, keys.lock(next)},
                  cairn::TxOut{coin.value - kSpendFee - half, keys.lock(coin.account)}};
    sign_inputs(tx, keys.key(coin.account), {cairn::TxOut{coin.value, keys.lock(coin.account)}}, genesis);
    out << cairn::txid(tx).hex() << ' ' << cairn::to_hex(cairn::encode(tx)) << '\n';
  }
  out.close();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {{"mode", "sign"},
          {"signed", count},
          {"seconds", seconds},
          {"signed_per_second", static_cast<double>(count) / seconds},
          {"out", out_path}};
}

// ---- submit mode ------------------------------------------------------------------------------

struct SubmitStats {
  uint64_t accepted = 0;
  uint64_t orphaned = 0;
  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_kinds;  // error message (shortened) -> count
  std::vector<uint64_t> per_node_accepted;
  bool started = false;
  double first_send = 0;
  double last_answer = 0;
};

// The kind of a refusal for the summary: its message without the transaction id.
std::string error_kind(const json& error) {
  std::string message = error.value("message", "");
  if (message.size() > 80) message.resize(80);
  return std::to_string(error.value("code", 0)) + " " + message;
}

asio::awaitable<void> submit_connection(const Target& target, size_t node, std::deque<std::string>& queue,
                                        SubmitStats& stats) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(target.endpoint, use_awaitable);
  beast::flat_buffer buffer;
  while (!queue.empty()) {
    std::string body = std::move(queue.front());
    queue.pop_front();
    if (!stats.started) {
      stats.started = true;
      stats.first_send = unix_now();
    }
    stream.expires_after(kCallTimeout);
    co_await http::async_write(stream, cairn::bench::rpc_post(target, std::move(body)), use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(cairn::bench::kMaxRpcResponseBytes);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    stats.last_answer = unix_now();
    const json replies = json::parse(parser.get().body());
    for (const json& reply : replies.is_array() ? replies : json::array({replies})) {
      if (reply.contains("error")) {
        ++stats.errors;
        ++stats.error_kinds[error_kind(reply["error"])];
      } else if (reply["result"].value("status", "") == "accepted") {
        ++stats.accepted;
        ++stats.per_node_accepted[node];
      } else {
        ++stats.orphaned;
      }
    }
    if (!parser.get().keep_alive()) throw std::runtime_error("the server closed a keep-alive connection");
  }
}

json run_submit(const std::vector<Target>& targets, const std::string& raw_path, size_t batch,
                int connections) {
  std::ifstream in(raw_path);
  if (!in) throw std::runtime_error("cannot read " + raw_path);
  // Batch j goes to node j % nodes: requests prepared before the clock starts.
  std::vector<std::deque<std::string>> queues(targets.size());
  std::string line;
  json requests = json::array();
  size_t lines = 0;
  size_t batches = 0;
  const auto flush = [&] {
    if (requests.empty()) return;
    queues[batches++ % targets.size()].push_back(requests.dump());
    requests = json::array();
  };
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    requests.push_back({{"jsonrpc", "2.0"},
                        {"id", lines++},
                        {"method", "tx_send_raw"},
                        {"params", {{"tx", line.substr(space + 1)}}}});
    if (requests.size() == batch) flush();
  }
  flush();
  SubmitStats stats;
  stats.per_node_accepted.assign(targets.size(), 0);
  asio::io_context io;
  std::exception_ptr failure;
  for (size_t n = 0; n < targets.size(); ++n) {
    for (int c = 0; c < connections; ++c) {
      asio::co_spawn(io, submit_connection(targets[n], n, queues[n], stats),
                     [&failure](std::exception_ptr error) {
                       if (error && !failure) failure = error;
                     });
    }
  }
  io.run();
  if (failure) std::rethrow_exception(failure);
  const double seconds = stats.last_answer - stats.first_send;
  return {{"mode", "submit"},
          {"submitted", lines},
          {"batches", batches},
          {"accepted", stats.accepted},
          {"orphaned", stats.orphaned},
          {"errors", stats.errors},
          {"error_kinds", stats.error_kinds},
          {"per_node_accepted", stats.per_node_accepted},
          {"first_send_unix", stats.first_send},
          {"last_answer_unix", stats.last_answer},
          {"seconds", seconds},
          {"accepted_per_second", seconds > 0 ? static_cast<double>(stats.accepted) / seconds : 0.0}};
}

// ---- watch mode -------------------------------------------------------------------------------

asio::awaitable<void> watch_node(const Target& target, size_t node) {
  websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
  co_await beast::get_lowest_layer(ws).async_connect(target.endpoint, use_awaitable);
  const std::string authorization = target.authorization;
  ws.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& request) {
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
  }));
  co_await ws.async_handshake(target.host, "/", use_awaitable);
  const std::string subscribe =
      R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":{"topic":"new_heads"}})";
  co_await ws.async_write(asio::buffer(subscribe), use_awaitable);
  beast::flat_buffer buffer;
  for (;;) {
    co_await ws.async_read(buffer, use_awaitable);
    const double arrived = unix_now();
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    buffer.clear();
    if (message.contains("error")) throw std::runtime_error("node_subscribe: " + message["error"].dump());
    const std::string method = message.value("method", "");
    if (method == "node_subscription_dropped") {
      std::cout << json{{"node", node}, {"t", arrived}, {"event", "dropped"}}.dump() << std::endl;
    }
    if (method != "node_subscription") continue;
    const json& head = message["params"]["result"];
    json line = {{"node", node},
                 {"t", arrived},
                 {"event", head.value("event", "")},
                 {"hash", head.value("hash", "")},
                 {"height", head.value("height", uint64_t{0})}};
    if (head.contains("time")) line["time"] = head["time"];
    std::cout << line.dump() << std::endl;
  }
}

int run_watch(const std::vector<Target>& targets, double seconds) {
  asio::io_context io;
  std::exception_ptr failure;
  for (size_t n = 0; n < targets.size(); ++n) {
    asio::co_spawn(io, watch_node(targets[n], n), [&](std::exception_ptr error) {
      if (error && !failure) failure = error;
      io.stop();  // a node gone: the measurement is over
    });
  }
  std::cout << json{{"event", "subscribed"}, {"t", unix_now()}, {"nodes", targets.size()}}.dump()
            << std::endl;
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(seconds)));
  if (failure) std::rethrow_exception(failure);
  return 0;
}

// ---- stream mode ------------------------------------------------------------------------------

struct WalletChain {
  Coin head;         // the newest output of this wallet's chain (possibly unconfirmed)
  int refusals = 0;  // in a row
  Clock::time_point resume;
};

json run_stream(const std::vector<Target>& targets, Keys& keys, std::vector<Coin> coins, double rate,
                double seconds) {
  const auto genesis = regtest_genesis(targets.at(0));
  std::vector<WalletChain> chains;
  for (const Coin& coin : coins) chains.push_back(WalletChain{coin, 0, Clock::now()});
  if (chains.empty()) throw std::runtime_error("stream: no coins");
  uint64_t sent = 0;
  uint64_t accepted = 0;
  uint64_t refused = 0;
  uint64_t rereads = 0;
  std::map<std::string, uint64_t> kinds;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  auto next = start;
  for (size_t k = 0; Clock::now() < end; ++k) {
    std::this_thread::sleep_until(next);
    next += period;
    WalletChain& chain = chains[k % chains.size()];
    if (Clock::now() < chain.resume) continue;
    const Coin& coin = chain.head;
    if (coin.value <= 2 * kSpendFee) continue;  // spent down (after a very long run)
    cairn::Transaction tx;
    tx.inputs = {cairn::TxIn{coin.outpoint, {}}};
    tx.outputs = {cairn::TxOut{coin.value - kSpendFee, keys.lock(coin.account)}};
    sign_inputs(tx, keys.key(coin.account), {cairn::TxOut{coin.value, keys.lock(coin.account)}}, genesis);
    const Target& target = targets[sent++ % targets.size()];
    try {
      send_raw(target, tx);
      ++accepted;
      chain.head = Coin{coin.account, {cairn::txid(tx), 0}, coin.value - kSpendFee};
      chain.refusals = 0;
    } catch (const std::exception& e) {
      ++refused;
      std::string what = e.what();
      if (what.size() > 100) what.resize(100);
      ++kinds[what];
      chain.resume = Clock::now() + kStreamBackoff;  // an ancestor limit or a block race: wait
      if (++chain.refusals >= kStreamRetryLimit) {
        // The chain is lost (its head dropped in a reorganisation, say): restart it from the
        // wallet's largest confirmed coin.
        ++rereads;
        chain.refusals = 0;
        auto own = spendable_coins(targets[0], keys, coin.account);
        if (!own.empty()) {
          chain.head = *std::max_element(own.begin(), own.end(),
                                         [](const Coin& a, const Coin& b) { return a.value < b.value; });
        }
      }
    }
  }
  return {{"mode", "stream"},
          {"sent", sent},
          {"accepted", accepted},
          {"refused", refused},
          {"refusal_kinds", kinds},
          {"chain_rereads", rereads},
          {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn_txgen — signed transactions for Cairn's end-to-end benchmark and soak test"};
  std::string mode;
  std::vector<std::string> node_specs;
  std::string mnemonic_file;
  uint32_t account = 0;
  uint32_t count = 1;
  uint32_t from_account = 0;
  uint32_t first_account = 100;
  uint32_t wallets = 10;
  size_t outputs = 1'000;
  cairn::Amount value = 1'000'000;
  std::string coins_path;
  size_t transactions = 1'000;
  std::string out_path;
  std::string raw_path;
  size_t batch = 50;
  int connections = 2;
  double seconds = 3600;
  double rate = 10;
  app.add_option("mode", mode, "address, fund, sign, submit, watch or stream")
      ->required()
      ->check(CLI::IsMember({"address", "fund", "sign", "submit", "watch", "stream"}));
  app.add_option("--node", node_specs, "a node's RPC as HOST:PORT[,COOKIE_FILE]; repeatable (round-robin)");
  app.add_option("--mnemonic-file", mnemonic_file, "the devnet's BIP39 phrase (no passphrase)");
  app.add_option("--account", account, "address: the first account")->check(CLI::Range(0u, 100'000u));
  app.add_option("--count", count, "address: how many accounts")->check(CLI::Range(1u, 10'000u));
  app.add_option("--from-account", from_account, "fund: the account whose coins pay")
      ->check(CLI::Range(0u, 100'000u));
  app.add_option("--first-account", first_account, "fund: the first bench wallet's account")
      ->check(CLI::Range(0u, 100'000u));
  app.add_option("--wallets", wallets, "fund: bench wallets (accounts from --first-account)")
      ->check(CLI::Range(1u, 10'000u));
  app.add_option("--outputs", outputs, "fund: outputs to make")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  app.add_option("--value", value, "fund: base units per output")
      ->check(CLI::Range(cairn::Amount{10'000}, 100 * cairn::kCoin));
  app.add_option("--coins", coins_path, "sign, stream: the fund mode's output");
  app.add_option("--transactions", transactions, "sign: how many")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  app.add_option("--out", out_path, "sign: where the \"txid hex\" lines go");
  app.add_option("--raw", raw_path, "submit: the sign mode's lines");
  app.add_option("--batch", batch, "submit: requests per JSON-RPC batch")
      ->check(CLI::Range(size_t{1}, kMaxBatch));
  app.add_option("--connections", connections, "submit: keep-alive connections per node")
      ->check(CLI::Range(1, 64));
  app.add_option("--seconds", seconds, "watch, stream: duration")->check(CLI::Range(0.1, 7.0 * 24 * 3600));
  app.add_option("--rate", rate, "stream: transactions per second")->check(CLI::Range(0.01, 10'000.0));
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<Target> targets;
    for (const std::string& spec : node_specs) targets.push_back(parse_target(spec));
    if (mode != "address" && targets.empty()) throw std::runtime_error(mode + " needs --node");
    if ((mode == "address" || mode == "fund" || mode == "sign" || mode == "stream") && mnemonic_file.empty())
      throw std::runtime_error(mode + " needs --mnemonic-file");
    if (mode == "watch") return run_watch(targets, seconds);
    json result;
    if (mode == "address") {
      Keys keys(mnemonic_file);
      result = run_address(keys, account, count);
    } else if (mode == "fund") {
      Keys keys(mnemonic_file);
      result = run_fund(targets[0], keys, from_account, first_account, wallets, outputs, value);
    } else if (mode == "sign") {
      if (coins_path.empty() || out_path.empty()) throw std::runtime_error("sign needs --coins and --out");
      Keys keys(mnemonic_file);
      result = run_sign(targets[0], keys, read_coins(coins_path), transactions, out_path);
    } else if (mode == "submit") {
      if (raw_path.empty()) throw std::runtime_error("submit needs --raw");
      result = run_submit(targets, raw_path, batch, connections);
    } else {
      if (coins_path.empty()) throw std::runtime_error("stream needs --coins");
      Keys keys(mnemonic_file);
      result = run_stream(targets, keys, read_coins(coins_path), rate, seconds);
    }
    std::cout << result.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cairn_txgen: " << e.what() << "\n";
    return 1;
  }
}
