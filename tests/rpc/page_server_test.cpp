// The server's GET/HEAD pages (ServerOptions::pages): routing beside JSON-RPC and
// WebSockets, HEAD, rate limiting by remote address, and the counters.
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/host_support.h"
#include "rpc/rpc_test_client.h"
#include "rpc/server.h"

namespace cairn::rpc {
namespace {

using json = nlohmann::json;
using net::testing::IoThread;
using testing::basic_auth;
using testing::HttpClient;
using testing::RequestOptions;
using testing::WsClient;
using testing::WsOptions;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// What the page handler saw of a request.
struct Seen {
  std::string path, query, remote_ip;
  std::optional<std::string> authorization;
  bool loopback = false, head = false;
};

class PageServerTest : public ::testing::Test {
 protected:
  ServerOptions options() {
    ServerOptions o;
    o.listen = {{asio::ip::make_address("127.0.0.1"), 0}};
    o.allowed_hosts = {"127.0.0.1"};
    o.handler = [](std::string body, CallContext, std::function<void(std::optional<std::string>)> done) {
      json req = json::parse(body);
      done(json{{"jsonrpc", "2.0"}, {"result", req["method"]}, {"id", req["id"]}}.dump());
    };
    o.authenticate = [](std::optional<std::string_view>, std::string_view, bool) -> std::optional<Caller> {
      return Caller{"anonymous", false, "127.0.0.1"};
    };
    o.admit = [this](std::string_view client) {
      std::lock_guard lock(mutex_);
      admitted_.emplace_back(client);
      return admit_.load();
    };
    o.pages = [this](const PageRequest& r) -> std::optional<Page> {
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(Seen{std::string(r.path), std::string(r.query), std::string(r.remote_ip),
                             r.authorization ? std::optional<std::string>(*r.authorization) : std::nullopt,
                             r.remote_is_loopback, r.head});
      }
      if (r.path == "/missing") return std::nullopt;
      if (r.path == "/secret") return Page{403, "text/plain; charset=utf-8", "forbidden\n", {}};
      return Page{
          200, "text/plain; charset=utf-8", "page " + std::string(r.path) + "\n", {{"X-Test", "yes"}}};
    };
    return o;
  }

  void start(ServerOptions o) {
    auto started = Server::start(io_.io, std::move(o));
    ASSERT_TRUE(started) << started.error().to_string();
    server_ = std::move(*started);
    port_ = server_->local_endpoints().at(0).port();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->stop());
    }
  }

  static RequestOptions get(std::string target) {
    RequestOptions o;
    o.method = http::verb::get;
    o.target = std::move(target);
    o.content_type.clear();
    return o;
  }

  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::vector<std::string> admitted() {
    std::lock_guard lock(mutex_);
    return admitted_;
  }

  IoThread io_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::atomic<bool> admit_{true};
  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<std::string> admitted_;
};

TEST_F(PageServerTest, GetAnyPathReachesThePageHandler) {
  start(options());
  HttpClient client(port_);
  RequestOptions o = get("/metrics?x=1&y=2");
  o.authorization = basic_auth("alice", "secret");
  auto res = client.request("", o);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(res->body(), "page /metrics\n");
  EXPECT_EQ((*res)[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ((*res)["X-Test"], "yes");
  EXPECT_TRUE(res->keep_alive());

  res = client.request("", get("/"));  // the same connection
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "page /\n");

  const auto s = seen();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].path, "/metrics");
  EXPECT_EQ(s[0].query, "x=1&y=2");
  EXPECT_EQ(s[0].authorization, basic_auth("alice", "secret"));
  EXPECT_EQ(s[0].remote_ip, "127.0.0.1");
  EXPECT_TRUE(s[0].loopback);
  EXPECT_FALSE(s[0].head);
  EXPECT_EQ(s[1].query, "");
  EXPECT_FALSE(s[1].authorization);
  EXPECT_EQ(server_->stats().page_requests, 2u);
  EXPECT_EQ(server_->stats().http_requests, 0u);  // pages are not JSON-RPC requests
}

TEST_F(PageServerTest, HandlerStatusAndMissingPages) {
  start(options());
  HttpClient client(port_);
  auto res = client.request("", get("/secret"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
  EXPECT_EQ(server_->stats().rejected_bad_request, 0u);

  res = client.request("", get("/missing"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_found);
  EXPECT_EQ(res->body(), "not found\n");
  EXPECT_EQ(server_->stats().rejected_bad_request, 1u);
}

TEST_F(PageServerTest, HeadSendsTheHeadersWithoutTheBody) {
  start(options());
  // By hand: a HEAD response has a Content-Length but no body, which the parser must be told.
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  http::request<http::empty_body> req{http::verb::head, "/abc", 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(true);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_length], std::to_string(std::string("page /abc\n").size()));
  EXPECT_TRUE(res.body().empty());

  // The connection is still in step: a GET on it gets its whole page.
  http::request<http::empty_body> next{http::verb::get, "/abc", 11};
  next.set(http::field::host, "127.0.0.1");
  http::write(stream, next);
  http::response<http::string_body> full;
  http::read(stream, buffer, full);
  EXPECT_EQ(full.body(), "page /abc\n");
  const auto s = seen();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].head);
  EXPECT_FALSE(s[1].head);
}

TEST_F(PageServerTest, JsonRpcAndWebSocketsAreUnchanged) {
  start(options());
  HttpClient client(port_);
  auto res = client.post(R"({"jsonrpc":"2.0","method":"m","id":1})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(json::parse(res->body())["result"], "m");

  RequestOptions put;
  put.method = http::verb::put;
  res = client.request("{}", put);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::method_not_allowed);
  EXPECT_EQ((*res)[http::field::allow], "GET, HEAD, POST");

  RequestOptions elsewhere;
  elsewhere.target = "/metrics";
  res = client.request("{}", elsewhere);  // POST elsewhere than /
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_found);

  WsClient ws(port_);
  ASSERT_TRUE(ws.connect(WsOptions{}));
  auto reply = ws.call(R"({"jsonrpc":"2.0","method":"w","id":2})");
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["result"], "w");
  EXPECT_TRUE(seen().empty());
}

TEST_F(PageServerTest, PagesAreRateLimitedByRemoteAddress) {
  start(options());
  HttpClient client(port_);
  admit_ = false;
  auto res = client.request("", get("/"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::too_many_requests);
  EXPECT_EQ((*res)[http::field::retry_after], "1");
  EXPECT_TRUE(seen().empty());
  EXPECT_EQ(server_->stats().rejected_rate_limited, 1u);
  EXPECT_EQ(server_->stats().page_requests, 0u);
  admit_ = true;
  res = client.request("", get("/"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(admitted(), (std::vector<std::string>{"127.0.0.1", "127.0.0.1"}));
}

TEST_F(PageServerTest, WithoutPagesGetIsRefusedAsBefore) {
  ServerOptions o = options();
  o.pages = nullptr;
  start(std::move(o));
  HttpClient client(port_);
  auto res = client.request("", get("/"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::method_not_allowed);
  EXPECT_EQ((*res)[http::field::allow], "POST");
  EXPECT_TRUE(seen().empty());
}

}  // namespace
}  // namespace cairn::rpc
