// cairnd's JSON-RPC service end to end: a regtest Node serving on its own thread behind
// RpcService on 127.0.0.1 (an ephemeral port), called over real HTTP and WebSocket
// connections. Every registered method is called with real parameters and its result
// checked against its own result schema; authentication failures, abusive requests and
// slow-loris connections get their clear errors while another client keeps being served;
// subscriptions deliver new heads in order and the mempool's new transactions.
#include "node/rpc_service.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chain/regtest_fixture.h"
#include "crypto/merkle.h"
#include "node/running_node.h"
#include "primitives/address.h"
#include "primitives/block.h"
#include "primitives/sighash.h"
#include "rpc/auth.h"
#include "rpc/chain_events.h"
#include "rpc/cookie.h"
#include "rpc/dispatcher.h"
#include "rpc/jsonrpc.h"
#include "rpc/rpc_test_client.h"
#include "rpc/schema.h"
#include "support/keys.h"
#include "support/temp_dir.h"
#include "util/rng.h"

namespace cairn {
namespace {

using rpc::json;
using rpc::testing::basic_auth;
using rpc::testing::HttpClient;
using rpc::testing::HttpResponse;
using rpc::testing::RequestOptions;
using rpc::testing::WsClient;
using rpc::testing::WsOptions;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

constexpr Amount kFee = 10'000;
constexpr Amount kBond = 10 * kCoin;
// The voting key the test bonds (test key 0 owns the coins).
constexpr size_t kVotingKey = 5;
// How long a bounded wait for the node's thread, a notification or a cut-off lasts.
constexpr auto kWait = 30s;
constexpr const char* kViewer = "viewer";
constexpr const char* kViewerPassword = "viewer password";

std::string request(const std::string& method, const json& params = json::object(), int id = 1) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}, {"id", id}}.dump();
}

std::string miner_address() { return encode_address(Network::regtest, test::miner_lock()); }

// A transaction paying output 0 of `funding` (a coin of test key 0) less kFee to `to`.
Transaction signed_spend(const Transaction& funding, const OutputLock& to, const BlockHash& genesis) {
  return test::signed_spend(funding, to, kFee, genesis);
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// Writes `text` on a fresh connection and reads one HTTP response, both bounded.
std::optional<HttpResponse> raw_exchange(uint16_t port, const std::string& text) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.expires_after(rpc::testing::kClientTimeout);
  stream.async_connect({asio::ip::make_address("127.0.0.1"), port}, [&](beast::error_code e) { ec = e; });
  rpc::testing::run_until_done(io);
  if (ec) return std::nullopt;
  stream.expires_after(rpc::testing::kClientTimeout);
  asio::async_write(stream, asio::buffer(text), [&](beast::error_code e, size_t) { ec = e; });
  rpc::testing::run_until_done(io);
  if (ec) return std::nullopt;
  beast::flat_buffer buffer;
  HttpResponse res;
  stream.expires_after(rpc::testing::kClientTimeout);
  http::async_read(stream, buffer, res, [&](beast::error_code e, size_t) { ec = e; });
  rpc::testing::run_until_done(io);
  if (ec) return std::nullopt;
  return res;
}

// A slow-loris client on its own thread: it starts a request header and then drips one
// byte every 50 ms, never finishing it, until the server cuts it off (or `kWait` passes).
class SlowLoris {
 public:
  explicit SlowLoris(uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(socket_, asio::buffer(std::string("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")));
    socket_.non_blocking(true);
    started_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] { drip(); });
  }
  ~SlowLoris() { join(); }
  SlowLoris(const SlowLoris&) = delete;
  SlowLoris& operator=(const SlowLoris&) = delete;

  // Waits for the dripping to end (bounded by kWait); how long the connection lasted, or
  // nullopt when it was never cut off.
  std::optional<std::chrono::milliseconds> join() {
    if (thread_.joinable()) thread_.join();
    return lasted_;
  }

 private:
  void drip() {
    while (std::chrono::steady_clock::now() - started_ < kWait) {
      boost::system::error_code ec;
      socket_.write_some(asio::buffer("a", 1), ec);
      bool cut = ec && ec != asio::error::would_block;
      char byte;
      socket_.read_some(asio::buffer(&byte, 1), ec);
      cut = cut || (ec && ec != asio::error::would_block);
      if (cut) {
        lasted_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                        started_);
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::milliseconds> lasted_;
  std::thread thread_;
};

class RpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ResolvedNodeOptions options;
    options.paths = ResolvedPaths{Network::regtest, dir_.path(), dir_.path() / "regtest"};
    std::filesystem::create_directories(options.paths.network_datadir);
    options.rpc.listen = HostPort{"127.0.0.1", 0};
    options.rpc_listen = options.rpc.listen;
    DeterministicRng rng(7);
    auto viewer = rpc::make_user_line(kViewer, kViewerPassword, /*admin=*/false, rng);
    ASSERT_TRUE(viewer.ok()) << viewer.error().to_string();
    options.rpc.users = {*viewer};
    auto opened = Node::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(*opened);
    options.p2p.listen = {"/ip4/127.0.0.1/tcp/0"};
    auto network = NetworkService::start(*node_, options.p2p);
    ASSERT_TRUE(network.ok()) << network.error().to_string();
    network_ = std::move(*network);
    auto started = RpcService::start(*node_, options.rpc, network_.get());
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    service_ = std::move(*started);
    port_ = service_->endpoints().at(0).port();
    ASSERT_NE(port_, 0);
    cookie_file_ = options.paths.network_datadir / rpc::kCookieFileName;
    auto cookie = rpc::read_cookie(cookie_file_);
    ASSERT_TRUE(cookie.ok()) << cookie.error().to_string();
    admin_auth_ = basic_auth(cookie->user, cookie->password);
    admin_http_ = std::make_unique<HttpClient>(port_);
    std::packaged_task<Status()> run([this] { return node_->run(stop_); });
    ran_ = run.get_future();
    loop_ = std::thread(std::move(run));
  }

  void TearDown() override {
    if (node_) node_->request_stop();
    if (loop_.joinable()) {
      if (ran_.wait_for(kWait) != std::future_status::ready) {
        // Joining would hang the test binary: fail loudly instead.
        std::fprintf(stderr, "RpcServiceTest: Node::run did not return within the bound\n");
        std::abort();
      }
      loop_.join();
      const Status ran = ran_.get();
      EXPECT_TRUE(ran.ok()) << ran.error().to_string();
    }
    if (service_) service_->stop();
    EXPECT_FALSE(std::filesystem::exists(cookie_file_)) << "the cookie is removed at stop";
    service_.reset();
    if (network_) network_->stop();
    network_.reset();
    node_.reset();
  }

  // POSTs a call with the cookie credentials; the whole response object (result or error).
  json admin_call(const std::string& method, const json& params = json::object()) {
    auto res = admin_http_->post(request(method, params), admin_auth_);
    EXPECT_TRUE(res) << method << ": no HTTP response";
    if (!res) return nullptr;
    EXPECT_EQ(res->result(), http::status::ok) << method << ": " << res->body();
    return json::parse(res->body(), nullptr, false);
  }

  // The result of a call that must succeed.
  json ok(const std::string& method, const json& params = json::object()) {
    json response = admin_call(method, params);
    EXPECT_TRUE(response.is_object() && response.contains("result"))
        << method << " " << params.dump() << " -> " << response.dump();
    return response.is_object() && response.contains("result") ? response["result"] : json();
  }

  // The coinbase transaction of the best chain's block at `height`, read through the API.
  Transaction coinbase_at(uint64_t height) {
    const json raw = ok("chain_get_raw_block", {{"block", height}});
    auto bytes = from_hex(raw.is_string() ? raw.get<std::string>() : "");
    EXPECT_TRUE(bytes.ok());
    if (!bytes) return {};
    auto block = decode_block(*bytes);
    EXPECT_TRUE(block.ok()) << block.error().to_string();
    return block ? block->transactions.at(0) : Transaction{};
  }

  // Offers `tx` through tx_send_raw; its txid.
  std::string send(const Transaction& tx) {
    const json sent = ok("tx_send_raw", {{"tx", to_hex(encode(tx))}});
    EXPECT_EQ(sent.value("status", ""), "accepted") << sent.dump();
    EXPECT_EQ(sent.value("txid", ""), txid(tx).hex());
    return txid(tx).hex();
  }

  const BlockHash& genesis() const { return node_->params().genesis_hash; }

  TempDir dir_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<NetworkService> network_;
  std::unique_ptr<RpcService> service_;
  uint16_t port_ = 0;
  std::filesystem::path cookie_file_;
  std::string admin_auth_;
  std::atomic<bool> stop_{false};
  std::future<Status> ran_;
  std::thread loop_;
  std::unique_ptr<HttpClient> admin_http_;  // the cookie's (admin) connection
};

// ---- every method -------------------------------------------------------------------------

TEST_F(RpcServiceTest, EveryMethodAnswersWithinItsSchema) {
  const std::string address = miner_address();
  // Coinbases 1 to 4 are mature for the block after these.
  const uint64_t first_blocks = node_->params().coinbase_maturity + 4;
  const uint64_t height = first_blocks + 1;  // where the transactions are confirmed
  const json mined = ok("miner_generate", {{"count", first_blocks}, {"address", address}});
  ASSERT_EQ(mined.size(), first_blocks);

  // Block `height` confirms a bond (a validator record for staking_get_validator) and a plain
  // spend, both from mature coinbases; a third spend stays in the mempool.
  const Transaction bond =
      test::signed_bond(coinbase_at(1), test::test_key(kVotingKey).public_key(), kBond, kFee, genesis());
  const Transaction spend =
      signed_spend(coinbase_at(2), key_hash_lock(test::test_key(1).public_key()), genesis());
  const Transaction pending =
      signed_spend(coinbase_at(3), key_hash_lock(test::test_key(2).public_key()), genesis());
  send(bond);
  const std::string spend_id = send(spend);
  const json confirming = ok("miner_generate", {{"count", 1}, {"address", address}});
  ASSERT_EQ(confirming.size(), 1u);
  const json confirmed = ok("chain_get_block", {{"block", height}, {"transactions", "ids"}});
  ASSERT_EQ(confirmed.value("tx_count", 0), 3) << confirmed.dump();
  const std::string pending_id = send(pending);
  const std::string tip_hash = confirming[0].get<std::string>();
  // A second node for net_connect and net_disconnect.
  TempDir peer_dir;
  auto peer = test::RunningNode::start(peer_dir.path());
  ASSERT_TRUE(peer.ok()) << peer.error().to_string();
  const std::string peer_address = (*peer)->address();
  const std::string peer_id = (*peer)->network().peer_id();

  // Parameters for each method; a method registered without an entry fails the test (add
  // it here). Called in registry order, except miner_generate (it would mine the pending
  // transaction) and node_stop, last.
  struct Call {
    json params;
    bool websocket = false;  // node_subscribe/node_unsubscribe need one
  };
  const std::map<std::string, Call> table = {
      {"address_get_balance", {{{"address", address}}}},
      {"address_get_history", {{{"address", address}, {"limit", 5}}}},
      {"address_get_utxos", {{{"address", address}, {"limit", 5}}}},
      {"chain_get_block", {{{"block", tip_hash}, {"transactions", "full"}}}},
      {"chain_get_block_hash", {{{"height", height}}}},
      {"chain_get_header", {{{"block", height}}}},
      {"chain_get_info", {json::object()}},
      {"chain_get_raw_block", {{{"block", tip_hash}}}},
      {"finality_get_status", {json::object()}},
      {"mempool_get_entry", {{{"txid", pending_id}}}},
      {"mempool_get_info", {json::object()}},
      {"mempool_get_transactions", {{{"verbose", true}, {"limit", 10}}}},
      {"miner_generate", {{{"count", 2}, {"address", address}}}},
      {"miner_get_info", {json::object()}},
      {"net_ban", {{{"target", "203.0.113.5"}, {"reason", "test"}}}},
      {"net_connect", {{{"address", peer_address}}}},
      {"net_disconnect", {{{"peer_id", peer_id}}}},
      {"net_get_bans", {json::object()}},
      {"net_get_info", {json::object()}},
      {"net_get_peers", {json::object()}},
      {"net_get_stats", {json::object()}},
      {"net_unban", {{{"target", "203.0.113.5"}}}},
      {"node_get_info", {json::object()}},
      {"node_get_log_levels", {json::object()}},
      {"node_set_log_level", {{{"level", "info"}}}},
      {"node_stop", {json::object()}},
      {"node_subscribe", {{{"topic", rpc::kNewHeadsTopic}}, true}},
      {"node_unsubscribe", {json::object(), true}},  // the id node_subscribe returned
      {"rpc.discover", {json::object()}},
      {"staking_get_validator", {{{"voting_key", test::test_key(kVotingKey).public_key().hex()}}}},
      {"staking_get_validators", {{{"limit", 10}}}},
      {"tx_estimate_fee", {{{"target_blocks", 2}}}},
      {"tx_get", {{{"txid", spend_id}}}},
      {"tx_get_proof", {{{"txid", spend_id}}}},
      {"tx_get_raw", {{{"txid", spend_id}}}},
      {"tx_get_receipt", {{{"txid", spend_id}}}},
      {"tx_send_raw",
       {{{"tx", to_hex(encode(signed_spend(coinbase_at(4), key_hash_lock(test::test_key(3).public_key()),
                                           genesis())))}}}},
  };
  const rpc::Registry& registry = service_->registry();
  // The contract_* methods need a deployed contract: ContractRpcTest
  // (contract_rpc_test.cpp) calls each of them against one and checks its schema.
  auto covered_elsewhere = [](const std::string& name) { return name.starts_with("contract_"); };
  for (const rpc::MethodSpec& method : registry.methods()) {
    if (covered_elsewhere(method.name)) continue;
    EXPECT_TRUE(table.contains(method.name))
        << method.name << " is registered but has no parameters in this test's table: add it";
  }
  for (const auto& [name, call] : table)
    EXPECT_NE(registry.find(name), nullptr) << name << " is not registered";
  if (HasFailure()) return;

  WsClient ws(port_);
  ASSERT_TRUE(ws.connect(WsOptions{admin_auth_, {}, {}}));
  std::string subscription;
  std::map<std::string, json> results;
  auto call = [&](const rpc::MethodSpec& method) {
    const Call& c = table.at(method.name);
    json params = c.params;
    if (method.name == "node_unsubscribe") params["subscription"] = subscription;
    std::optional<std::string> text;
    if (c.websocket) {
      text = ws.call(request(method.name, params, 7));
    } else {
      auto res = admin_http_->post(request(method.name, params, 7), admin_auth_);
      if (res) {
        EXPECT_EQ(res->result(), http::status::ok) << method.name;
        text = res->body();
      }
    }
    ASSERT_TRUE(text) << method.name << ": no response";
    const json response = json::parse(*text, nullptr, false);
    ASSERT_TRUE(response.is_object() && response.contains("result"))
        << method.name << " " << params.dump() << " -> " << *text;
    EXPECT_EQ(response["id"], 7);
    const json& result = response["result"];
    const auto violation = rpc::schema_violation(method.result_schema, result, "result");
    EXPECT_FALSE(violation) << method.name << ": " << violation.value_or("") << "\n" << result.dump();
    if (method.name == "node_subscribe") subscription = result.get<std::string>();
    results[method.name] = result;
  };
  for (const rpc::MethodSpec& method : registry.methods()) {
    if (method.name == "miner_generate" || method.name == "node_stop" || covered_elsewhere(method.name))
      continue;
    call(method);
  }
  call(*registry.find("miner_generate"));

  // Spot checks that the results are about the transactions made here.
  EXPECT_EQ(results["node_unsubscribe"], true);
  EXPECT_EQ(results["net_connect"], peer_id);
  ASSERT_EQ(results["net_get_bans"].size(), 1u) << results["net_get_bans"].dump();
  EXPECT_EQ(results["net_get_bans"][0]["target"], "203.0.0.0/16") << "an IP address bans its group";
  EXPECT_EQ(results["net_get_info"]["peer_id"], network_->peer_id());
  EXPECT_EQ(results["chain_get_info"]["height"], height);
  EXPECT_EQ(results["chain_get_block_hash"], tip_hash);
  std::set<std::string> in_block;
  for (const json& tx : results["chain_get_block"]["transactions"]) in_block.insert(tx.value("txid", ""));
  EXPECT_EQ(in_block, (std::set<std::string>{txid(bond).hex(), spend_id, confirmed["transactions"][0]}));
  EXPECT_EQ(results["tx_get"]["location"]["height"], height);
  EXPECT_EQ(results["tx_get"]["in_mempool"], false);
  EXPECT_EQ(results["tx_get_receipt"]["status"], "confirmed");
  EXPECT_EQ(results["tx_get_receipt"]["fee"], std::to_string(kFee));
  EXPECT_EQ(results["tx_get_raw"], to_hex(encode(spend)));
  EXPECT_EQ(results["mempool_get_entry"]["txid"], pending_id);
  EXPECT_EQ(results["mempool_get_info"]["count"], 1);
  EXPECT_EQ(results["tx_send_raw"]["status"], "accepted");
  EXPECT_EQ(results["staking_get_validator"]["bond_txid"], txid(bond).hex());
  EXPECT_EQ(results["miner_generate"].size(), 2u);
  EXPECT_EQ(results["rpc.discover"]["openrpc"], "1.2.6");
  EXPECT_EQ(results["rpc.discover"]["methods"].size(), registry.methods().size());
  {
    const json& proof = results["tx_get_proof"];
    MerkleProof merkle{proof["position"].get<uint64_t>(), proof["tx_count"].get<uint64_t>(), {}};
    for (const json& h : proof["branch"])
      merkle.path.push_back(Hash256::from_hex(h.get<std::string>()).value());
    EXPECT_TRUE(verify_merkle_proof(txid(spend), merkle,
                                    Hash256::from_hex(proof["merkle_root"].get<std::string>()).value()));
  }
  // After miner_generate both mempool transactions are confirmed.
  EXPECT_EQ(ok("tx_get_receipt", {{"txid", pending_id}}).value("status", ""), "confirmed");
  EXPECT_EQ(ok("mempool_get_info").value("count", -1), 0);

  // Every documented example fits its own method's parameter and result schemas.
  for (const rpc::MethodSpec& method : registry.methods()) {
    for (const rpc::ExampleSpec& example : method.examples) {
      const auto bound = rpc::bind_params(method, example.params);
      if (const auto* error = std::get_if<rpc::RpcError>(&bound))
        ADD_FAILURE() << method.name << " example '" << example.name << "' params: " << error->message;
      const auto violation = rpc::schema_violation(method.result_schema, example.result, "result");
      EXPECT_FALSE(violation) << method.name << " example '" << example.name
                              << "': " << violation.value_or("");
    }
  }

  // node_stop last: it answers, then Node::run returns on its own.
  call(*registry.find("node_stop"));
  EXPECT_EQ(results["node_stop"], "cairnd stopping");
  EXPECT_EQ(ran_.wait_for(kWait), std::future_status::ready) << "node_stop ends Node::run";
}

// ---- authentication ---------------------------------------------------------------------

TEST_F(RpcServiceTest, AuthFailuresAreRefusedWithTheRightError) {
  const std::string generate = request("miner_generate", {{"count", 1}, {"address", miner_address()}});
  HttpClient client(port_);

  // No credentials from loopback: `public` only.
  auto res = client.post(generate);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(json::parse(res->body())["error"]["code"], rpc::error_code::forbidden) << res->body();
  res = client.post(request("chain_get_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["result"]["height"], 0) << res->body();

  // A wrong cookie password: 401, even from loopback.
  res = client.post(request("chain_get_info"), basic_auth(rpc::kCookieUser, std::string(64, '0')));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::unauthorized);
  EXPECT_EQ(json::parse(res->body())["error"]["code"], rpc::error_code::unauthorized);
  res = client.post(request("chain_get_info"), basic_auth(kViewer, "not the password"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::unauthorized);

  // A public-only --rpc-user: public methods work, admin ones are forbidden.
  const std::string viewer = basic_auth(kViewer, kViewerPassword);
  res = client.post(generate, viewer);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["error"]["code"], rpc::error_code::forbidden) << res->body();
  res = client.post(request("chain_get_info"), viewer);
  ASSERT_TRUE(res);
  EXPECT_TRUE(json::parse(res->body()).contains("result")) << res->body();
  // ... also over a WebSocket.
  WsClient viewer_ws(port_);
  ASSERT_TRUE(viewer_ws.connect(WsOptions{viewer, {}, {}}));
  auto reply = viewer_ws.call(generate);
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["error"]["code"], rpc::error_code::forbidden) << *reply;

  // The cookie is admin.
  res = client.post(generate, admin_auth_);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["result"].size(), 1u) << res->body();

  // A foreign Origin on the WebSocket upgrade: 403 before any upgrade.
  WsClient foreign(port_);
  EXPECT_FALSE(foreign.connect(WsOptions{admin_auth_, "https://attacker.example", {}}));
  EXPECT_EQ(foreign.rejection().result(), http::status::forbidden);
  WsClient same_origin(port_);
  EXPECT_TRUE(same_origin.connect(WsOptions{{}, "http://127.0.0.1:" + std::to_string(port_), {}}));

  // A DNS-rebinding Host header: 403 over HTTP and on the upgrade.
  RequestOptions rebinding;
  rebinding.host = "attacker.example:" + std::to_string(port_);
  rebinding.authorization = admin_auth_;
  res = client.request(request("chain_get_info"), rebinding);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
  EXPECT_EQ(json::parse(res->body())["error"]["code"], rpc::error_code::forbidden);
  WsClient rebound(port_);
  EXPECT_FALSE(rebound.connect(WsOptions{admin_auth_, {}, rebinding.host}));
  EXPECT_EQ(rebound.rejection().result(), http::status::forbidden);

  const rpc::ServerStats stats = service_->stats();
  EXPECT_EQ(stats.rejected_unauthorized, 2u);
  EXPECT_EQ(stats.rejected_origin, 1u);
  EXPECT_EQ(stats.rejected_host, 2u);
}

// ---- abuse --------------------------------------------------------------------------------

TEST_F(RpcServiceTest, AbuseGetsClearErrorsWhileOthersAreServed) {
  SlowLoris loris(port_);  // dripping for the whole test
  HttpClient other(port_);
  auto others_served = [&] {
    auto res = other.post(request("chain_get_info"));
    return res && res->result() == http::status::ok && json::parse(res->body()).contains("result");
  };
  auto error_code = [](const HttpResponse& res) {
    const json body = json::parse(res.body(), nullptr, false);
    return body.is_object() && body.contains("error") ? body["error"].value("code", 0) : 0;
  };
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto batch_of = [](size_t n, const std::string& element) {
    std::string out = "[";
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      out += element;
    }
    out += ']';
    return out;
  };
  const std::string info = request("chain_get_info");
  // `{"params": nested(k)}` nests k + 1 deep.
  auto with_params = [](const std::string& params) {
    std::string out = R"({"jsonrpc":"2.0","method":"chain_get_info","id":1,"params":)";
    out += params;
    out += '}';
    return out;
  };

  struct Case {
    const char* what;
    std::string body;
    int code;
  };
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"jsonrpc":"2.0","method":)", rpc::error_code::parse_error},
      {"not UTF-8 / not JSON", "\xff\xfe", rpc::error_code::parse_error},
      {"wrong parameter type", request("chain_get_block_hash", {{"height", "ten"}}),
       rpc::error_code::invalid_params},
      {"negative height", request("chain_get_block_hash", {{"height", -1}}), rpc::error_code::invalid_params},
      {"unknown method", request("no_such_method"), rpc::error_code::method_not_found},
      {"not a request", R"({"jsonrpc":"1.0","method":"chain_get_info","id":1})",
       rpc::error_code::invalid_request},
      {"nesting one over the limit", with_params(nested(rpc::kDefaultMaxNestingDepth)),
       rpc::error_code::limit_exceeded},
      {"deep nesting", nested(100'000), rpc::error_code::limit_exceeded},
      {"batch one over the limit", batch_of(rpc::kDefaultMaxBatchSize + 1, info),
       rpc::error_code::limit_exceeded},
      {"batch bomb", batch_of(100'000, "1"), rpc::error_code::limit_exceeded},
      {"empty batch", "[]", rpc::error_code::invalid_request},
  };
  for (const Case& c : cases) {
    HttpClient abuser(port_);
    auto res = abuser.post(c.body);
    ASSERT_TRUE(res) << c.what;
    EXPECT_EQ(res->result(), http::status::ok) << c.what;
    EXPECT_EQ(error_code(*res), c.code) << c.what << ": " << res->body().substr(0, 300);
    const json body = json::parse(res->body(), nullptr, false);
    EXPECT_TRUE(body.is_object()) << c.what << ": one error object, never one per element";
    EXPECT_FALSE(body.value("error", json::object()).value("message", "").empty()) << c.what;
    EXPECT_TRUE(others_served()) << "after " << c.what;
  }

  // At the limits: nesting and a batch exactly at them are parsed and answered.
  HttpClient fair(port_);
  auto res = fair.post(with_params(nested(rpc::kDefaultMaxNestingDepth - 1)));
  ASSERT_TRUE(res);
  EXPECT_EQ(error_code(*res), rpc::error_code::invalid_params) << "parsed, then the params are refused";
  res = fair.post(batch_of(rpc::kDefaultMaxBatchSize, info));
  ASSERT_TRUE(res);
  const json batch = json::parse(res->body(), nullptr, false);
  ASSERT_TRUE(batch.is_array());
  EXPECT_EQ(batch.size(), rpc::kDefaultMaxBatchSize);
  EXPECT_TRUE(batch.back().contains("result"));

  // Oversized body: a Content-Length over the limit is refused with 413 before the body is
  // read; a body of exactly the limit is read and answered.
  const std::string head = "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                           "\r\nContent-Type: application/json\r\nContent-Length: ";
  auto too_large = raw_exchange(port_, head + std::to_string(rpc::kDefaultMaxBodyBytes + 1) + "\r\n\r\n");
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->result(), http::status::payload_too_large);
  EXPECT_EQ(error_code(*too_large), rpc::error_code::limit_exceeded);
  EXPECT_TRUE(others_served()) << "after an oversized body";
  // One string parameter padded so that the body is exactly the limit.
  std::string at_limit = R"({"jsonrpc":"2.0","method":"chain_get_info","id":1,"params":[")";
  const std::string close = R"("]})";
  at_limit.append(rpc::kDefaultMaxBodyBytes - at_limit.size() - close.size(), 'x');
  at_limit.append(close);
  ASSERT_EQ(at_limit.size(), rpc::kDefaultMaxBodyBytes);
  res = fair.post(at_limit);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(error_code(*res), rpc::error_code::invalid_params) << res->body().substr(0, 300);

  // The slow loris is cut off by the header timeout; it never held up anyone else.
  EXPECT_TRUE(others_served());
  const auto lasted = loris.join();
  ASSERT_TRUE(lasted) << "the slow-loris connection was never closed";
  EXPECT_GE(*lasted, rpc::kDefaultHeaderTimeout - 1s);
  EXPECT_LE(*lasted, rpc::kDefaultHeaderTimeout + 5s);
  EXPECT_TRUE(wait_until([&] { return service_->stats().read_timeouts >= 1; }));
  EXPECT_TRUE(others_served());
  const rpc::ServerStats stats = service_->stats();
  EXPECT_EQ(stats.rejected_body_too_large, 1u);
  EXPECT_EQ(stats.rejected_rate_limited, 0u);
}

// ---- subscriptions ------------------------------------------------------------------------

// The next notification of `subscription`, skipping nothing: anything else fails.
std::optional<json> next_notice(WsClient& ws, const std::string& subscription) {
  auto text = ws.receive(std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
  if (!text) return std::nullopt;
  json message = json::parse(*text, nullptr, false);
  EXPECT_EQ(message.value("method", ""), rpc::kNotificationMethod) << *text;
  EXPECT_EQ(message["params"].value("subscription", ""), subscription) << *text;
  return message["params"];
}

TEST_F(RpcServiceTest, SubscriptionsDeliverHeadsInOrderAndMempoolTransactions) {
  WsClient ws(port_);
  ASSERT_TRUE(ws.connect());  // anonymous: node_subscribe is public
  auto subscribed = ws.call(request("node_subscribe", {{"topic", rpc::kNewHeadsTopic}}));
  ASSERT_TRUE(subscribed);
  const std::string heads = json::parse(*subscribed)["result"].get<std::string>();

  const json mined = ok("miner_generate", {{"count", 3}, {"address", miner_address()}});
  ASSERT_EQ(mined.size(), 3u);
  const rpc::MethodSpec& header_spec = *service_->registry().find("chain_get_header");
  for (uint64_t height = 1; height <= 3; ++height) {
    auto notice = next_notice(ws, heads);
    ASSERT_TRUE(notice) << "no notice for height " << height;
    EXPECT_EQ((*notice)["topic"], rpc::kNewHeadsTopic);
    json head = (*notice)["result"];
    EXPECT_EQ(head["event"], "connected");
    EXPECT_EQ(head["height"], height);
    EXPECT_EQ(head["hash"], mined[height - 1]);
    head.erase("event");
    EXPECT_FALSE(rpc::schema_violation(header_spec.result_schema, head, "result"));
  }
  // node_unsubscribe: no more heads, and the id is gone.
  auto ended = ws.call(request("node_unsubscribe", {{"subscription", heads}}));
  ASSERT_TRUE(ended);
  EXPECT_EQ(json::parse(*ended)["result"], true);

  auto mempool = ws.call(request("node_subscribe", {{"topic", rpc::kMempoolTopic}}));
  ASSERT_TRUE(mempool);
  const std::string pool = json::parse(*mempool)["result"].get<std::string>();
  ok("miner_generate", {{"count", 10}, {"address", miner_address()}});
  const Transaction cb = coinbase_at(1);
  const Transaction tx = signed_spend(cb, key_hash_lock(test::test_key(1).public_key()), genesis());
  send(tx);
  auto notice = next_notice(ws, pool);
  ASSERT_TRUE(notice);
  EXPECT_EQ((*notice)["topic"], rpc::kMempoolTopic);
  EXPECT_EQ((*notice)["result"]["txid"], txid(tx).hex());

  // Over HTTP there is nowhere to deliver notifications.
  const json refused = admin_call("node_subscribe", {{"topic", rpc::kNewHeadsTopic}});
  EXPECT_EQ(refused["error"]["code"], rpc::error_code::unavailable) << refused.dump();
}

}  // namespace
}  // namespace cairn
