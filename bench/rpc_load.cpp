// cairn_rpc_load — a JSON-RPC load generator for cairnd's API (bench/README.md "JSON-RPC").
//
//   http    N keep-alive HTTP connections, each sending one request in a closed loop for the
//           duration: requests/s and latency percentiles.
//   fanout  N WebSocket connections subscribed to new_heads; blocks mined one at a time with
//           miner_generate over HTTP (regtest): how long until every subscriber has each head.
//   fill    makes a heavy block on a regtest node (the heavy request's subject): mines coinbases
//           to a fresh key, splits them into many outputs, spends each output in its own
//           signed transaction (tx_send_raw) and mines them all into one block; with
//           --no-mine the spends are left in the mempool (for a test that waits until
//           gossip spread them before it mines: compact-block reconstruction).
//   bond    makes validators on a regtest node: mines a coinbase per --voting-key to a fresh
//           key and, once they are mature, sends one signed bond transaction per voting key
//           (stake --stake, owner the fresh key); mines them into one block unless --no-mine
//           (then a node's own miner includes them).
//   fund    mines coinbases to the --key-seed key until it has --coinbases mature ones (so
//           that later fill or bond runs with that seed mine nothing for their funds).
//
// One result object (JSON) on stdout. Runs on one thread: on a 2-core machine the other core
// is the server's.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // before Asio's awaitable (net/coro.h)
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "crypto/ed25519.h"
#include "json_rpc_client.h"
#include "net/coro.h"
#include "primitives/address.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "primitives/transaction.h"
#include "rpc/auth.h"
#include "rpc/cookie.h"

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

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

json percentiles(std::vector<double> samples) {
  if (samples.empty()) return json::object();
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[static_cast<size_t>(q * static_cast<double>(samples.size() - 1))];
  };
  return {{"p50_us", at(0.50)}, {"p90_us", at(0.90)}, {"p99_us", at(0.99)}, {"max_us", samples.back()}};
}

// ---- http mode ------------------------------------------------------------------------------

// How long one sequential call (connect to last byte) may take: a node that stops answering
// fails the run instead of hanging it (the tests that drive this tool bound their own waits
// below ctest's limit).
constexpr std::chrono::seconds kCallTimeout{240};

struct HttpStats {
  std::vector<double> latencies_us;        // successful requests only
  std::map<std::string, uint64_t> errors;  // "http_503", "rpc_-32005", ... -> count
  uint64_t error_count = 0;
  uint64_t connects = 0;
  uint64_t connection_errors = 0;  // connects refused or connections cut (then reconnected)
  std::map<std::string, uint64_t> connection_error_kinds;
};

// The JSON-RPC error code of a response body, or nullopt for a result. The body is only
// parsed when it does not plainly start with a result (a full block is large: the members
// before "result" are short).
std::optional<std::string> rpc_error_of(const std::string& body) {
  const std::string_view text(body);
  const size_t result_at = text.find("\"result\"");
  if (result_at != std::string_view::npos &&
      text.substr(0, result_at).find("\"error\"") == std::string_view::npos)
    return std::nullopt;
  const json reply = json::parse(body, nullptr, false);
  if (reply.is_discarded()) return "unparsable";
  if (!reply.contains("error")) return std::nullopt;
  return std::to_string(reply["error"].value("code", 0));
}

asio::awaitable<void> http_requests(const Target& target, const http::request<http::string_body>& request,
                                    Clock::time_point end, HttpStats& stats) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(target.endpoint, use_awaitable);
  ++stats.connects;
  beast::flat_buffer buffer;
  while (Clock::now() < end) {
    const auto start = Clock::now();
    co_await http::async_write(stream, request, use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(cairn::bench::kMaxRpcResponseBytes);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    const auto elapsed = micros(Clock::now() - start);
    const auto& response = parser.get();
    if (response.result() != http::status::ok) {
      ++stats.error_count;
      ++stats.errors["http_" + std::to_string(response.result_int())];
    } else if (auto code = rpc_error_of(response.body())) {
      ++stats.error_count;
      ++stats.errors["rpc_" + *code];
    } else {
      stats.latencies_us.push_back(elapsed);
    }
    if (!response.keep_alive()) co_return;  // the server closes: reconnect
  }
}

// One closed-loop client: a keep-alive connection sending `request` until `end`; a connection
// the server closes or cuts is counted and replaced.
asio::awaitable<void> http_client(const Target& target, std::string body, Clock::time_point end,
                                  HttpStats& stats) {
  const auto request = cairn::bench::rpc_post(target, body);
  while (Clock::now() < end) {
    bool cut = false;
    try {
      co_await http_requests(target, request, end, stats);
    } catch (const beast::system_error& e) {
      ++stats.connection_errors;
      ++stats.connection_error_kinds[e.code().message()];
      cut = true;
    }
    if (cut) {  // (no co_await inside a handler)
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
      co_await pause.async_wait(use_awaitable);
    }
  }
}

json run_http(const Target& target, const std::string& body, int connections, double seconds) {
  HttpStats stats;  // outlives the io_context and the coroutines it destroys
  asio::io_context io;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::exception_ptr failure;
  for (int i = 0; i < connections; ++i) {
    asio::co_spawn(io, http_client(target, body, end, stats), [&failure](std::exception_ptr error) {
      if (error && !failure) failure = error;
    });
  }
  io.run();
  if (failure) std::rethrow_exception(failure);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  json out = {{"mode", "http"},
              {"connections", connections},
              {"seconds", elapsed},
              {"requests", stats.latencies_us.size()},
              {"requests_per_second", static_cast<double>(stats.latencies_us.size()) / elapsed},
              {"errors", stats.error_count},
              {"error_kinds", stats.errors},
              {"connects", stats.connects},
              {"connection_errors", stats.connection_errors},
              {"connection_error_kinds", stats.connection_error_kinds},
              {"note", "requests, rate and latencies count successful responses only"}};
  out.update(percentiles(std::move(stats.latencies_us)));
  return out;
}

// ---- JSON-RPC calls over HTTP -----------------------------------------------------------------

asio::awaitable<json> call(const Target& target, const std::string& method, json params) {
  return cairn::bench::rpc_call(target, method, std::move(params), kCallTimeout);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_awaitable);
}

// `call` run to completion on its own io_context (the fill mode is sequential).
json call_sync(const Target& target, const std::string& method, json params) {
  return cairn::bench::rpc_call_sync(target, method, std::move(params), kCallTimeout);
}

// The key whose coinbases fill, bond and fund spend: from --key-seed (hex; so that several
// runs share funds), else a fresh one.
cairn::KeyPair owner_key(const std::string& seed_hex) {
  if (seed_hex.empty()) return cairn::KeyPair::generate();
  auto seed = cairn::Seed::from_hex(seed_hex);
  if (!seed) throw std::runtime_error("--key-seed: not 32 bytes of hex");
  return cairn::KeyPair::from_seed(*seed);
}

// A fresh key's regtest address: where the benchmark's coinbases go.
std::string fresh_address() {
  const cairn::KeyPair key = cairn::KeyPair::generate();
  return cairn::encode_address(cairn::Network::regtest, cairn::key_hash_lock(key.public_key()));
}

// ---- fanout mode ----------------------------------------------------------------------------

// JSON-RPC error_code::busy (rpc/api.h): too many requests in flight at the server.
constexpr int kBusyCode = -32003;
constexpr int kMaxSubscribeAttempts = 100;

struct Delivery {
  Clock::time_point mined_at;  // miner_generate called
  Clock::time_point first;
  Clock::time_point last;
  int count = 0;
};

struct Fanout {
  int subscribed = 0;
  int failed = 0;           // connection, handshake or subscription failed
  int lost = 0;             // subscribed, then the connection ended before the measurement did
  int dropped_notices = 0;  // node_subscription_dropped frames received
  uint64_t received = 0;
  uint64_t subscribe_busy_retries = 0;     // node_subscribe answered "busy", then retried
  uint64_t skipped = 0;                    // disconnected notices, and heads mined before the measurement
  std::map<uint64_t, Delivery> delivered;  // height -> arrivals
  std::vector<double> each_us;             // every notification: miner_generate called -> arrival
  std::map<std::string, int> failure_kinds;
  bool done = false;
};

asio::awaitable<void> subscribe_and_count(const Target& target, Fanout& fanout, bool& subscribed) {
  websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
  co_await beast::get_lowest_layer(ws).async_connect(target.endpoint, use_awaitable);
  const std::string authorization = target.authorization;
  ws.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& request) {
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
  }));
  co_await ws.async_handshake(target.host, "/", use_awaitable);
  const std::string subscribe =
      R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":{"topic":"new_heads"}})";
  beast::flat_buffer buffer;
  // A burst of subscriptions meets the server's limit of requests in flight: a busy answer
  // is retried after a pause (spread over subscribers), any other error ends the subscriber.
  for (int attempt = 0;; ++attempt) {
    co_await ws.async_write(asio::buffer(subscribe), use_awaitable);
    co_await ws.async_read(buffer, use_awaitable);
    const auto answer = json::parse(beast::buffers_to_string(buffer.data()));
    buffer.clear();
    if (!answer.contains("error")) break;
    if (answer["error"].value("code", 0) != kBusyCode || attempt == kMaxSubscribeAttempts)
      throw std::runtime_error("subscribe: " + answer["error"].dump());
    ++fanout.subscribe_busy_retries;
    co_await sleep_for(
        std::chrono::milliseconds(10 + static_cast<int64_t>(fanout.subscribe_busy_retries % 40)));
  }
  subscribed = true;
  ++fanout.subscribed;
  while (!fanout.done) {
    co_await ws.async_read(buffer, use_awaitable);
    const auto arrived = Clock::now();
    const auto message = json::parse(beast::buffers_to_string(buffer.data()));
    buffer.clear();
    const std::string method = message.value("method", "");
    if (method == "node_subscription_dropped") ++fanout.dropped_notices;
    if (method != "node_subscription") continue;
    const auto& head = message["params"]["result"];
    // A reorganisation's "disconnected" notices name blocks leaving the chain, not new heads.
    if (head.value("event", "") != "connected") {
      ++fanout.skipped;
      continue;
    }
    const auto it = fanout.delivered.find(head["height"].get<uint64_t>());
    if (it == fanout.delivered.end()) {
      ++fanout.skipped;
      continue;
    }
    Delivery& d = it->second;
    if (d.count == 0) d.first = arrived;
    d.last = arrived;
    ++d.count;
    ++fanout.received;
    fanout.each_us.push_back(micros(arrived - d.mined_at));
  }
}

// One subscriber; a connection that fails before its subscription is counted as failed, one
// that ends during the measurement as lost.
asio::awaitable<void> subscriber(const Target& target, Fanout& fanout) {
  bool subscribed = false;
  try {
    co_await subscribe_and_count(target, fanout, subscribed);
  } catch (const std::exception& e) {
    ++fanout.failure_kinds[e.what()];
    if (!subscribed) {
      ++fanout.failed;
    } else if (!fanout.done) {
      ++fanout.lost;
    }
  }
}

asio::awaitable<void> mine(const Target& target, const std::string& address, int subscribers, int blocks,
                           Fanout& fanout, std::vector<double>& generate_us) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (fanout.subscribed + fanout.failed < subscribers && Clock::now() < deadline) {
    co_await sleep_for(std::chrono::milliseconds(10));
  }
  // (Arguments are built before each co_await: GCC 12 miscompiles braced initializers there.)
  json no_params = json::object();
  const json info = co_await call(target, "chain_get_info", std::move(no_params));
  uint64_t height = info["height"].get<uint64_t>();
  for (int i = 0; i < blocks; ++i) {
    const auto start = Clock::now();
    fanout.delivered[++height].mined_at = start;
    json generate = {{"count", 1}, {"address", address}};
    co_await call(target, "miner_generate", std::move(generate));
    generate_us.push_back(micros(Clock::now() - start));
    // Every live subscriber has it (or 5 s passed) before the next block.
    const auto wait_end = Clock::now() + std::chrono::seconds(5);
    while (fanout.delivered[height].count < fanout.subscribed - fanout.lost && Clock::now() < wait_end) {
      co_await sleep_for(std::chrono::milliseconds(1));
    }
  }
  fanout.done = true;
}

json run_fanout(const Target& target, const std::string& address, int subscribers, int blocks) {
  Fanout fanout;  // outlives the io_context and the coroutines it destroys
  std::vector<double> generate_us;
  asio::io_context io;
  for (int i = 0; i < subscribers; ++i) {
    asio::co_spawn(io, subscriber(target, fanout), asio::detached);
  }
  std::exception_ptr mine_error;
  asio::co_spawn(io, mine(target, address, subscribers, blocks, fanout, generate_us),
                 [&](std::exception_ptr error) {
                   mine_error = error;
                   io.stop();  // subscribers sit in reads; the measurement is over
                 });
  io.run();
  if (mine_error) std::rethrow_exception(mine_error);
  std::vector<double> all_delivered_us;
  std::vector<double> spread_us;
  uint64_t complete = 0;
  for (const auto& [height, d] : fanout.delivered) {
    if (d.count == fanout.subscribed) ++complete;
    if (d.count == 0) continue;
    all_delivered_us.push_back(micros(d.last - d.mined_at));
    spread_us.push_back(micros(d.last - d.first));
  }
  json out = {
      {"mode", "fanout"},
      {"subscribers", fanout.subscribed},
      {"failed_subscribers", fanout.failed},
      {"lost_subscribers", fanout.lost},
      {"dropped_notices", fanout.dropped_notices},
      {"failure_kinds", fanout.failure_kinds},
      {"blocks", blocks},
      {"blocks_delivered_to_all", complete},
      {"notifications", fanout.received},
      {"notifications_expected", static_cast<uint64_t>(blocks) * static_cast<uint64_t>(fanout.subscribed)},
      {"skipped_notices", fanout.skipped},
      {"subscribe_busy_retries", fanout.subscribe_busy_retries},
      {"note",
       "each: miner_generate called -> one subscriber has the head; all: -> the last one has it "
       "(both include mining the block); spread: first -> last subscriber; generate: the "
       "miner_generate call"}};
  out["each"] = percentiles(std::move(fanout.each_us));
  out["all_delivered"] = percentiles(std::move(all_delivered_us));
  out["spread"] = percentiles(std::move(spread_us));
  out["generate"] = percentiles(std::move(generate_us));
  return out;
}

// ---- fill mode ------------------------------------------------------------------------------

// Fees: flat and generous (well above the default relay rate of 1 base unit per byte for
// these sizes), so that nothing depends on the node's fee estimate.
constexpr cairn::Amount kSplitFee = 200'000;  // a 1-input transaction with up to 200 outputs
constexpr cairn::Amount kSpendFee = 10'000;   // a 1-input, 2-output transaction
constexpr size_t kMaxSplitOutputs = 200;
constexpr int kMaxMaturityBlocks = 1'000;  // blocks mined while waiting for mature coinbases
constexpr size_t kUtxoPageLimit = 1'000;   // address_get_utxos' largest page (kMaxAddressPageLimit)

struct Coin {
  cairn::OutPoint outpoint;
  cairn::TxOut output;
};

// Signs `tx`'s one input, which spends `spent`, with `key` (SighashType::all).
void sign_only_input(cairn::Transaction& tx, const cairn::KeyPair& key, const cairn::TxOut& spent,
                     const cairn::Hash256& genesis) {
  const std::vector<cairn::TxOut> outputs = {spent};
  const auto digests = cairn::compute_sighash_digests(tx, outputs).value();
  const auto all = static_cast<uint8_t>(cairn::SighashType::all);
  const cairn::Hash256 message = cairn::signature_hash(tx, digests, 0, all, genesis).value();
  tx.inputs[0].witness = cairn::KeySpend{key.public_key(), cairn::TypedSignature{key.sign(message), all}};
}

// `coin` spent to `values.size()` outputs of `lock`, signed by `key` (the coin's owner).
cairn::Transaction signed_spend(const cairn::KeyPair& key, const cairn::OutputLock& lock, const Coin& coin,
                                const std::vector<cairn::Amount>& values, const cairn::Hash256& genesis) {
  cairn::Transaction tx;
  tx.inputs = {cairn::TxIn{coin.outpoint, {}}};
  for (const cairn::Amount value : values) tx.outputs.push_back(cairn::TxOut{value, lock});
  sign_only_input(tx, key, coin.output, genesis);
  return tx;
}

// `total` split into `parts` values (the remainder on the first).
std::vector<cairn::Amount> split_values(cairn::Amount total, size_t parts) {
  std::vector<cairn::Amount> values(parts, total / parts);
  values[0] += total % parts;
  return values;
}

// The mature coinbase outputs of `address`, from the address index.
std::vector<Coin> mature_coinbases(const Target& target, const std::string& address,
                                   const cairn::OutputLock& lock) {
  std::vector<Coin> out;
  json cursor = nullptr;
  do {
    json params = {{"address", address}, {"limit", kUtxoPageLimit}};
    if (!cursor.is_null()) params["cursor"] = cursor;
    const json page = call_sync(target, "address_get_utxos", std::move(params));
    for (const json& item : page["items"]) {
      if (!item["coinbase"].get<bool>() || !item["mature"].get<bool>()) continue;
      Coin coin;
      coin.outpoint.txid = cairn::Hash256::from_hex(item["txid"].get<std::string>()).value();
      coin.outpoint.index = item["index"].get<uint32_t>();
      coin.output = cairn::TxOut{std::stoull(item["value"].get<std::string>()), lock};
      out.push_back(coin);
    }
    cursor = page["next_cursor"];
  } while (!cursor.is_null());
  return out;
}

void send_raw(const Target& target, const cairn::Transaction& tx) {
  json params = {{"tx", cairn::to_hex(cairn::encode(tx))}};
  const json sent = call_sync(target, "tx_send_raw", std::move(params));
  if (sent["status"] != "accepted") throw std::runtime_error("tx_send_raw: " + sent.dump());
}

// One block, mined to `address`; its tx_count checked against `expected`.
json mine_one(const Target& target, const std::string& address, size_t expected) {
  json generate = {{"count", 1}, {"address", address}};
  const json hashes = call_sync(target, "miner_generate", std::move(generate));
  json params = {{"block", hashes.at(0)}, {"transactions", "none"}};
  json block = call_sync(target, "chain_get_block", std::move(params));
  if (block["tx_count"].get<size_t>() != expected) {
    throw std::runtime_error("block " + hashes.at(0).get<std::string>() + " holds " +
                             block["tx_count"].dump() + " transactions, expected " +
                             std::to_string(expected));
  }
  return block;
}

// Waits (up to `seconds`) for the node to answer.
json wait_for_node(const Target& target, double seconds) {
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (;;) {
    try {
      return call_sync(target, "chain_get_info", json::object());
    } catch (const boost::system::system_error&) {
      if (Clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// The network's genesis hash, from a regtest node (fill and bond sign for regtest only).
cairn::Hash256 regtest_genesis(const Target& target) {
  const json info = wait_for_node(target, 10);
  if (info["network"] != "regtest") throw std::runtime_error("this mode needs a regtest node");
  return cairn::Hash256::from_hex(info["genesis_hash"].get<std::string>()).value();
}

// At least `count` mature coinbases of `address`: those it has, and the shortfall mined now
// (miner_generate), then blocks one at a time until enough of them are mature.
std::vector<Coin> mine_mature_coinbases(const Target& target, const std::string& address,
                                        const cairn::OutputLock& lock, size_t count) {
  std::vector<Coin> coins = mature_coinbases(target, address, lock);
  if (coins.size() >= count) return coins;
  json generate = {{"count", count - coins.size()}, {"address", address}};
  call_sync(target, "miner_generate", std::move(generate));
  coins = mature_coinbases(target, address, lock);
  for (int mined = 0; coins.size() < count; ++mined) {
    if (mined == kMaxMaturityBlocks) throw std::runtime_error("coinbases never matured");
    json one = {{"count", 1}, {"address", address}};
    call_sync(target, "miner_generate", std::move(one));
    coins = mature_coinbases(target, address, lock);
  }
  return coins;
}

json run_fill(const Target& target, const cairn::KeyPair& key, size_t transactions, size_t outputs_per_split,
              bool mine) {
  const auto start = Clock::now();
  const cairn::OutputLock lock = cairn::key_hash_lock(key.public_key());
  const std::string address = cairn::encode_address(cairn::Network::regtest, lock);
  const auto genesis = regtest_genesis(target);
  const size_t splits = (transactions + outputs_per_split - 1) / outputs_per_split;
  const std::vector<Coin> coins = mine_mature_coinbases(target, address, lock, splits);

  // Each coinbase split into outputs_per_split outputs, confirmed in one block (so that the
  // spends below have confirmed parents: no mempool ancestor limits).
  std::vector<Coin> outputs;
  for (size_t i = 0; i < splits; ++i) {
    const Coin& coin = coins[i];
    if (coin.output.value < kSplitFee + outputs_per_split * (kSpendFee + 2))
      throw std::runtime_error("a coinbase is too small to split");
    const auto tx = signed_spend(key, lock, coin,
                                 split_values(coin.output.value - kSplitFee, outputs_per_split), genesis);
    send_raw(target, tx);
    const cairn::Txid id = cairn::txid(tx);
    for (uint32_t o = 0; o < tx.outputs.size(); ++o) outputs.push_back(Coin{{id, o}, tx.outputs[o]});
  }
  mine_one(target, address, splits + 1);

  // One 1-input, 2-output transaction per output, all into the heavy block.
  for (size_t i = 0; i < transactions; ++i) {
    const Coin& coin = outputs[i];
    send_raw(target, signed_spend(key, lock, coin, split_values(coin.output.value - kSpendFee, 2), genesis));
  }
  if (!mine) {
    return {{"mode", "fill"},
            {"mined", false},
            {"sent", transactions},
            {"address", address},
            {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
  }
  const json block = mine_one(target, address, transactions + 1);
  return {{"mode", "fill"},
          {"mined", true},
          {"hash", block["hash"]},
          {"height", block["height"]},
          {"tx_count", block["tx_count"]},
          {"size", block["size"]},
          {"address", address},
          {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
}

// ---- bond mode ------------------------------------------------------------------------------

// A bond of `stake` for `voting_key` paid from `coin` (a coin of `key`), owned by `key`'s
// lock, the change less kSpendFee back to it, signed (tests/chain/regtest_fixture.h
// signed_bond, with a key of our own).
cairn::Transaction signed_bond(const cairn::KeyPair& key, const cairn::OutputLock& lock, const Coin& coin,
                               const cairn::PublicKey& voting_key, cairn::Amount stake,
                               const cairn::Hash256& genesis) {
  if (coin.output.value < stake + kSpendFee) throw std::runtime_error("a coinbase is too small for the bond");
  cairn::Transaction tx;
  tx.inputs = {cairn::TxIn{coin.outpoint, {}}};
  tx.outputs = {cairn::TxOut{coin.output.value - stake - kSpendFee, lock}};
  tx.payload = cairn::Payload{cairn::PayloadKind::bond,
                              cairn::encode_bond_body(cairn::BondBody{voting_key, lock, stake})};
  sign_only_input(tx, key, coin.output, genesis);
  return tx;
}

json run_bond(const Target& target, const cairn::KeyPair& key, const std::vector<std::string>& voting_keys,
              cairn::Amount stake, bool mine) {
  const auto start = Clock::now();
  std::vector<cairn::PublicKey> keys;
  for (const std::string& hex : voting_keys) {
    auto parsed = cairn::PublicKey::from_hex(hex);
    if (!parsed) throw std::runtime_error("--voting-key " + hex + ": not 32 bytes of hex");
    keys.push_back(*parsed);
  }
  const cairn::OutputLock lock = cairn::key_hash_lock(key.public_key());
  const std::string address = cairn::encode_address(cairn::Network::regtest, lock);
  const auto genesis = regtest_genesis(target);
  const std::vector<Coin> coins = mine_mature_coinbases(target, address, lock, keys.size());
  json bonds = json::array();
  for (size_t i = 0; i < keys.size(); ++i) {
    const cairn::Transaction tx = signed_bond(key, lock, coins[i], keys[i], stake, genesis);
    send_raw(target, tx);
    bonds.push_back(cairn::txid(tx).hex());
  }
  json out = {{"mode", "bond"}, {"bonds", std::move(bonds)}, {"owner", address}, {"mined", mine}};
  if (mine) {
    const json block = mine_one(target, address, keys.size() + 1);
    out["hash"] = block["hash"];
    out["height"] = block["height"];
  }
  out["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

// ---- fund mode ------------------------------------------------------------------------------

json run_fund(const Target& target, const cairn::KeyPair& key, size_t coinbases) {
  const auto start = Clock::now();
  const cairn::OutputLock lock = cairn::key_hash_lock(key.public_key());
  const std::string address = cairn::encode_address(cairn::Network::regtest, lock);
  regtest_genesis(target);
  const std::vector<Coin> coins = mine_mature_coinbases(target, address, lock, coinbases);
  return {{"mode", "fund"},
          {"address", address},
          {"mature_coinbases", coins.size()},
          {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn_rpc_load — load generator for cairnd's JSON-RPC API"};
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::string cookie;
  std::string mode = "http";
  std::string method = "chain_get_info";
  std::string params = "[]";
  int connections = 1;
  double seconds = 5;
  int blocks = 10;
  std::string mine_to;
  size_t transactions = 1'000;
  size_t outputs_per_split = 100;
  bool no_mine = false;
  std::vector<std::string> voting_keys;
  cairn::Amount stake = 10 * cairn::kCoin;
  std::string key_seed;
  size_t coinbases = 1;
  app.add_option("--address", address, "cairnd's RPC address");
  app.add_option("--port", port, "cairnd's RPC port")->required();
  app.add_option("--cookie", cookie,
                 "the RPC cookie file (<network datadir>/rpc.cookie) to authenticate with");
  app.add_option("--mode", mode, "http, fanout, fill, bond or fund")
      ->check(CLI::IsMember({"http", "fanout", "fill", "bond", "fund"}));
  app.add_option("--method", method, "http: the method to call");
  app.add_option("--params", params, "http: the params, as JSON");
  app.add_option("--connections", connections, "http: connections; fanout: WebSocket subscribers")
      ->check(CLI::Range(1, 10000));
  app.add_option("--seconds", seconds, "http: duration")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--blocks", blocks, "fanout: blocks to mine")->check(CLI::Range(1, 10000));
  app.add_option("--mine-to", mine_to, "fanout: the address miner_generate pays (default: a fresh key's)");
  app.add_option("--transactions", transactions,
                 "fill: transactions in the heavy block, besides the coinbase")
      ->check(CLI::Range(size_t{1}, size_t{19'000}));
  app.add_option("--outputs-per-split", outputs_per_split,
                 "fill: outputs of each coinbase-splitting transaction")
      ->check(CLI::Range(size_t{2}, kMaxSplitOutputs));
  app.add_flag("--no-mine", no_mine,
               "fill: leave the spends in the mempool; bond: leave the bonds to the node's miner");
  app.add_option("--voting-key", voting_keys, "bond: a validator's voting public key (hex); repeatable");
  app.add_option("--stake", stake, "bond: the stake of each bond, in base units")
      ->check(CLI::Range(cairn::Amount{1}, 40 * cairn::kCoin));
  app.add_option("--key-seed", key_seed,
                 "fill, bond, fund: the 32-byte seed (hex) of the key whose coinbases pay (default: a "
                 "fresh key); runs with one seed share its mature coinbases");
  app.add_option("--coinbases", coinbases, "fund: mature coinbases the key must have")
      ->check(CLI::Range(size_t{1}, size_t{1'000}));
  CLI11_PARSE(app, argc, argv);
  if (mode == "bond" && voting_keys.empty()) {
    std::cerr << "cairn_rpc_load: --mode bond needs at least one --voting-key\n";
    return 1;
  }

  try {
    const Target target = Target::make(address, port, cookie);  // a bad cookie file throws
    json result;
    if (mode == "http") {
      const json request = {
          {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", json::parse(params)}};
      result = run_http(target, request.dump(), connections, seconds);
      result["method"] = method;
    } else if (mode == "fanout") {
      result = run_fanout(target, mine_to.empty() ? fresh_address() : mine_to, connections, blocks);
    } else if (mode == "fill") {
      result = run_fill(target, owner_key(key_seed), transactions, outputs_per_split, !no_mine);
    } else if (mode == "bond") {
      result = run_bond(target, owner_key(key_seed), voting_keys, stake, !no_mine);
    } else {
      result = run_fund(target, owner_key(key_seed), coinbases);
    }
    std::cout << result.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cairn_rpc_load: " << e.what() << "\n";
    return 1;
  }
}
