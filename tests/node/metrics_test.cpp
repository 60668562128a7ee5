// cairnd's /metrics (node/metrics.h, node/rpc_service.h): the page scraped over HTTP from a
// running node, who may read it, the --metrics-listen listener, and /proc.
#include "node/metrics.h"

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>

#include "chain/regtest_fixture.h"
#include "node/running_node.h"
#include "rpc/auth.h"
#include "rpc/cookie.h"
#include "rpc/rpc_test_client.h"
#include "support/keys.h"
#include "support/temp_dir.h"
#include "util/rng.h"

namespace cairn {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using rpc::testing::basic_auth;
using rpc::testing::HttpClient;
using rpc::testing::RequestOptions;

// Every family of the specification's table (docs/metrics.md), with its type.
const std::map<std::string, std::string>& spec_families() {
  static const std::map<std::string, std::string> families = {
      {"cairn_height", "gauge"},
      {"cairn_headers_height", "gauge"},
      {"cairn_finalized_height", "gauge"},
      {"cairn_justified_height", "gauge"},
      {"cairn_sync_progress_ratio", "gauge"},
      {"cairn_mempool_transactions", "gauge"},
      {"cairn_mempool_bytes", "gauge"},
      {"cairn_orphan_transactions", "gauge"},
      {"cairn_peers", "gauge"},
      {"cairn_p2p_bytes_total", "counter"},
      {"cairn_p2p_messages_total", "counter"},
      {"cairn_block_validation_seconds", "histogram"},
      {"cairn_blocks_connected_total", "counter"},
      {"cairn_reorgs_total", "counter"},
      {"cairn_block_gas_used", "histogram"},
      {"cairn_signature_verifications_total", "counter"},
      {"cairn_contract_traps_total", "counter"},
      {"cairn_contract_out_of_gas_total", "counter"},
      {"cairn_contract_rejected_deploys_total", "counter"},
      {"cairn_rpc_request_duration_seconds", "histogram"},
      {"cairn_rpc_requests_in_flight", "gauge"},
      {"cairn_rpc_connections", "gauge"},
      {"cairn_rpc_websockets", "gauge"},
      {"cairn_rpc_rejected_total", "counter"},
      {"cairn_rocksdb_live_data_bytes", "gauge"},
      {"cairn_rocksdb_sst_files_bytes", "gauge"},
      {"cairn_rocksdb_memtable_bytes", "gauge"},
      {"cairn_rocksdb_pending_compaction_bytes", "gauge"},
      {"cairn_rocksdb_block_cache_usage_bytes", "gauge"},
      {"cairn_process_resident_memory_bytes", "gauge"},
      {"cairn_process_open_fds", "gauge"},
      {"cairn_process_start_time_seconds", "gauge"},
  };
  return families;
}

// A parsed page: "# TYPE" lines by family, and samples by their whole series text
// (name{labels}).
struct Scrape {
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::vector<std::string> help;  // families with a # HELP line

  static Scrape parse(const std::string& text) {
    Scrape s;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with("# TYPE ")) {
        std::istringstream fields(line.substr(7));
        std::string name, type;
        fields >> name >> type;
        s.types[name] = type;
      } else if (line.starts_with("# HELP ")) {
        s.help.push_back(line.substr(7, line.find(' ', 7) - 7));
      } else if (!line.empty()) {
        const size_t space = line.rfind(' ');
        s.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
      }
    }
    return s;
  }
  std::optional<double> value(const std::string& series) const {
    auto it = samples.find(series);
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
};

// One request to address:port on a fresh connection (from the local address the route
// picks); nullopt when the exchange failed.
std::optional<rpc::testing::HttpResponse> exchange(const asio::ip::address& to, uint16_t port,
                                                   http::verb verb, const std::string& target,
                                                   std::optional<std::string> authorization, std::string host,
                                                   std::string body = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(10));
  stream.async_connect(asio::ip::tcp::endpoint(to, port), [&](beast::error_code e) { ec = e; });
  io.run();
  if (ec) return std::nullopt;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host);
  if (authorization) req.set(http::field::authorization, *authorization);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  stream.expires_after(std::chrono::seconds(10));
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  io.restart();
  io.run();
  if (ec) return std::nullopt;
  beast::flat_buffer buffer;
  rpc::testing::HttpResponse res;
  stream.expires_after(std::chrono::seconds(10));
  http::async_read(stream, buffer, res, [&](beast::error_code e, size_t) { ec = e; });
  io.restart();
  io.run();
  if (ec) return std::nullopt;
  return res;
}

std::string host_header(const asio::ip::address& address, uint16_t port) {
  return address.to_string() + ":" + std::to_string(port);
}

TEST(NodeMetrics, ScrapedPageHasEveryFamilyAndTheHeight) {
  TempDir dir;
  test::RunningNodeOptions options;
  options.rpc = true;
  auto started = test::RunningNode::start(dir.path(), options);
  ASSERT_TRUE(started) << started.error().to_string();
  test::RunningNode& node = **started;
  auto mined = node.node().generate(3, test::miner_lock());
  ASSERT_TRUE(mined) << mined.error().to_string();
  ASSERT_EQ(mined->size(), 3u);
  const uint16_t port = node.rpc().endpoints().at(0).port();

  // One JSON-RPC call, so that its method has a latency histogram.
  auto cookie = rpc::read_cookie(dir.path() / "regtest" / rpc::kCookieFileName);
  ASSERT_TRUE(cookie) << cookie.error().to_string();
  HttpClient client(port);
  auto info = client.post(R"({"jsonrpc":"2.0","method":"chain_get_info","id":1})",
                          basic_auth(cookie->user, cookie->password));
  ASSERT_TRUE(info);
  ASSERT_EQ(info->result(), http::status::ok);
  const uint64_t rpc_height = json::parse(info->body())["result"]["height"].get<uint64_t>();

  RequestOptions get;
  get.method = http::verb::get;
  get.target = "/metrics";
  get.content_type.clear();
  auto res = client.request("", get);  // loopback, no credentials
  ASSERT_TRUE(res);
  ASSERT_EQ(res->result(), http::status::ok) << res->body();
  EXPECT_EQ((*res)[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const Scrape page = Scrape::parse(res->body());

  for (const auto& [name, type] : spec_families()) {
    auto it = page.types.find(name);
    ASSERT_NE(it, page.types.end()) << name << " is missing";
    EXPECT_EQ(it->second, type) << name;
    EXPECT_NE(std::find(page.help.begin(), page.help.end(), name), page.help.end()) << name << " has no HELP";
  }
  EXPECT_EQ(page.value("cairn_height"), static_cast<double>(rpc_height));
  EXPECT_EQ(rpc_height, 3u);
  EXPECT_GE(page.value("cairn_headers_height").value_or(0), 3.0);
  EXPECT_EQ(page.value("cairn_sync_progress_ratio"), 1.0);
  EXPECT_EQ(page.value("cairn_blocks_connected_total"), 3.0);
  EXPECT_EQ(page.value("cairn_block_validation_seconds_count"), 3.0);
  EXPECT_EQ(page.value("cairn_block_validation_seconds_bucket{le=\"+Inf\"}"), 3.0);
  EXPECT_EQ(page.value("cairn_block_gas_used_count"), 3.0);
  EXPECT_EQ(page.value("cairn_reorgs_total"), 0.0);
  EXPECT_EQ(page.value("cairn_mempool_transactions"), 0.0);
  EXPECT_EQ(page.value("cairn_peers{direction=\"inbound\"}"), 0.0);
  EXPECT_EQ(page.value("cairn_rpc_request_duration_seconds_count{method=\"chain_get_info\"}"), 1.0);
  EXPECT_GE(page.value("cairn_rpc_connections").value_or(0), 1.0);  // this scrape's
  EXPECT_EQ(page.value("cairn_rpc_rejected_total{reason=\"unauthorized\"}"), 0.0);
  EXPECT_TRUE(page.value("cairn_rocksdb_live_data_bytes{cf=\"block_index\"}"));
  EXPECT_TRUE(page.value("cairn_rocksdb_memtable_bytes{cf=\"utxo\"}"));
  EXPECT_GT(page.value("cairn_rocksdb_block_cache_capacity_bytes").value_or(0), 0.0);
  EXPECT_GT(page.value("cairn_process_resident_memory_bytes").value_or(0), 1e6);
  EXPECT_GE(page.value("cairn_process_open_fds").value_or(0), 3.0);
  EXPECT_GT(node.rpc().stats().page_requests, 0u);

  // The counters move with the scrapes themselves.
  auto again = client.request("", get);
  ASSERT_TRUE(again);
  EXPECT_EQ(Scrape::parse(again->body()).value("cairn_rpc_requests_total{transport=\"page\"}"), 2.0);
}

TEST(NodeMetrics, NodesInOneProcessKeepTheirOwnNumbers) {
  TempDir dir_a, dir_b;
  test::RunningNodeOptions options;
  options.rpc = true;
  auto a = test::RunningNode::start(dir_a.path(), options);
  ASSERT_TRUE(a) << a.error().to_string();
  auto b = test::RunningNode::start(dir_b.path(), options);
  ASSERT_TRUE(b) << b.error().to_string();
  ASSERT_TRUE((*a)->node().generate(2, test::miner_lock()));
  const Scrape page_a = Scrape::parse((*a)->rpc().metrics_page());
  const Scrape page_b = Scrape::parse((*b)->rpc().metrics_page());
  EXPECT_EQ(page_a.value("cairn_height"), 2.0);
  EXPECT_EQ(page_a.value("cairn_blocks_connected_total"), 2.0);
  EXPECT_EQ(page_b.value("cairn_height"), 0.0);
  EXPECT_EQ(page_b.value("cairn_blocks_connected_total"), 0.0);
}

TEST(NodeMetrics, ReorgAndPeerTrafficAreCounted) {
  TempDir dir_a, dir_b;
  test::RunningNodeOptions options;
  options.rpc = true;
  auto a = test::RunningNode::start(dir_a.path(), options);
  ASSERT_TRUE(a) << a.error().to_string();
  auto b = test::RunningNode::start(dir_b.path(), options);
  ASSERT_TRUE(b) << b.error().to_string();
  // Two branches from genesis: a's of 2 blocks, b's of 3 (paying another key, so that no
  // block is the same on both).
  ASSERT_TRUE((*a)->node().generate(2, test::miner_lock()));
  ASSERT_TRUE((*b)->node().generate(3, key_hash_lock(test::test_key(1).public_key())));
  auto connected = (*a)->network().connect((*b)->address());
  ASSERT_TRUE(connected) << connected.error().to_string();

  auto page = [&] { return Scrape::parse((*a)->rpc().metrics_page()); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (page().value("cairn_height") != 3.0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const Scrape after = page();
  ASSERT_EQ(after.value("cairn_height"), 3.0) << "a did not move to b's longer branch";
  EXPECT_EQ(after.value("cairn_reorgs_total"), 1.0);
  EXPECT_EQ(after.value("cairn_blocks_connected_total"), 5.0);  // 2 of its own, then b's 3
  EXPECT_EQ(after.value("cairn_peers{direction=\"outbound\"}"), 1.0);
  double bytes_in = 0;
  for (const auto& [series, value] : after.samples) {
    if (series.starts_with("cairn_p2p_bytes_total{") &&
        series.find("direction=\"in\"") != std::string::npos) {
      bytes_in += value;
    }
  }
  EXPECT_GT(bytes_in, 0.0);
}

// A node with the RPC service on `rpc_listen` (and --metrics-listen when given), its loop
// not running (pages need no chain thread), without the network.
class ServiceOnly {
 public:
  ServiceOnly(const std::filesystem::path& dir, HostPort rpc_listen, std::optional<HostPort> metrics_listen,
              std::vector<std::string> users = {}) {
    ResolvedNodeOptions options;
    options.paths = ResolvedPaths{Network::regtest, dir, dir / "regtest"};
    std::filesystem::create_directories(options.paths.network_datadir);
    options.rpc.listen = rpc_listen;
    options.rpc_listen = rpc_listen;
    options.rpc.users = std::move(users);
    options.rpc.allow_hosts = {rpc_listen.host};  // with the port picked, not the 0 configured
    options.metrics_listen = std::move(metrics_listen);
    options.explorer = false;
    auto opened = Node::open(options);
    if (!opened) {
      ADD_FAILURE() << opened.error().to_string();
      return;
    }
    node = std::move(*opened);
    auto started = RpcService::start(*node, options.rpc, nullptr);
    if (!started) {
      ADD_FAILURE() << started.error().to_string();
      return;
    }
    service = std::move(*started);
    auto read = rpc::read_cookie(options.paths.network_datadir / rpc::kCookieFileName);
    if (read) cookie = basic_auth(read->user, read->password);
  }
  ~ServiceOnly() {
    if (service) service->stop();
  }
  std::unique_ptr<Node> node;
  std::unique_ptr<RpcService> service;
  std::string cookie;
};

TEST(NodeMetrics, MetricsListenerServesOnlyMetricsToAnyone) {
  TempDir dir;
  ServiceOnly s(dir.path(), HostPort{"127.0.0.1", 0}, HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(s.service);
  ASSERT_EQ(s.service->metrics_endpoints().size(), 1u);
  const auto loopback = asio::ip::make_address("127.0.0.1");
  const uint16_t port = s.service->metrics_endpoints()[0].port();
  ASSERT_NE(port, s.service->endpoints().at(0).port());

  // Any Host: Prometheus on another machine names this one as it knows it.
  auto res = exchange(loopback, port, http::verb::get, "/metrics", std::nullopt, "metrics.example:9100");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  const Scrape page = Scrape::parse(res->body());
  EXPECT_EQ(page.value("cairn_height"), 0.0);
  // Without the network: the peer gauges read 0 and the traffic families are empty.
  EXPECT_EQ(page.value("cairn_peers{direction=\"outbound\"}"), 0.0);
  EXPECT_EQ(page.types.at("cairn_p2p_bytes_total"), "counter");

  res = exchange(loopback, port, http::verb::get, "/", std::nullopt, "metrics.example:9100");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_found);

  // No JSON-RPC here, even with the admin's credentials.
  res = exchange(loopback, port, http::verb::post, "/", s.cookie, host_header(loopback, port),
                 R"({"jsonrpc":"2.0","method":"chain_get_info","id":1})");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["error"]["code"], rpc::error_code::unavailable);
}

TEST(NodeMetrics, BadMetricsListenIsAnError) {
  TempDir dir;
  ResolvedNodeOptions options;
  options.paths = ResolvedPaths{Network::regtest, dir.path(), dir.path() / "regtest"};
  std::filesystem::create_directories(options.paths.network_datadir);
  options.rpc.listen = HostPort{"127.0.0.1", 0};
  options.metrics_listen = HostPort{"not-an-address", 9100};
  options.explorer = false;
  auto node = Node::open(options);
  ASSERT_TRUE(node) << node.error().to_string();
  auto service = RpcService::start(**node, options.rpc, nullptr);
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().message.find("--metrics-listen"), std::string::npos) << service.error().message;
  EXPECT_FALSE(std::filesystem::exists(options.paths.network_datadir / rpc::kCookieFileName));
}

// This host's first non-loopback IPv4 address, if it has one.
std::optional<asio::ip::address> non_loopback_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<asio::ip::address> found;
  for (ifaddrs* it = list; it != nullptr && !found; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    const asio::ip::address_v4 v4(ntohl(in->sin_addr.s_addr));
    if (!v4.is_loopback()) found = v4;
  }
  freeifaddrs(list);
  return found;
}

TEST(NodeMetrics, RemoteCallersNeedAdminCredentials) {
  const auto address = non_loopback_address();
  if (!address) GTEST_SKIP() << "no non-loopback IPv4 address to call from";
  TempDir dir;
  DeterministicRng rng(3);
  auto viewer = rpc::make_user_line("viewer", "viewer-password", /*admin=*/false, rng);
  ASSERT_TRUE(viewer) << viewer.error().to_string();
  ServiceOnly s(dir.path(), HostPort{address->to_string(), 0}, std::nullopt, {*viewer});
  ASSERT_TRUE(s.service);
  const uint16_t port = s.service->endpoints().at(0).port();
  const std::string host = host_header(*address, port);

  auto res = exchange(*address, port, http::verb::get, "/metrics", std::nullopt, host);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
  res = exchange(*address, port, http::verb::get, "/metrics", basic_auth("viewer", "viewer-password"), host);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
  ASSERT_FALSE(s.cookie.empty());
  res = exchange(*address, port, http::verb::get, "/metrics", s.cookie, host);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->result(), http::status::ok) << res->body();
  EXPECT_TRUE(Scrape::parse(res->body()).value("cairn_height"));
  // Without --explorer and --metrics-listen, nothing else is a page.
  res = exchange(*address, port, http::verb::get, "/index.html", s.cookie, host);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_found);
}

TEST(ProcessStats, ReadsProc) {
  const ProcessStats p = read_process_stats();
  ASSERT_TRUE(p.resident_memory_bytes);
  EXPECT_GT(*p.resident_memory_bytes, 0u);
  ASSERT_TRUE(p.open_fds);
  EXPECT_GE(*p.open_fds, 3u);  // stdin, stdout, stderr at least
  ASSERT_TRUE(p.start_time_seconds);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(*p.start_time_seconds, now + 1);
  EXPECT_GT(*p.start_time_seconds, now - 24 * 3600);  // this test binary started today
}

}  // namespace
}  // namespace cairn
