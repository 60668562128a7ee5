#include "rpc/server.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "net/host_support.h"
#include "rpc/rpc_test_client.h"

namespace cairn::rpc {
namespace {

using json = nlohmann::json;
using net::testing::IoThread;
using net::testing::wait_until;
using testing::basic_auth;
using testing::HttpClient;
using testing::RequestOptions;
using testing::WsClient;
using testing::WsOptions;
using Done = std::function<void(std::optional<std::string>)>;
namespace http = boost::beast::http;

std::string request(const std::string& method, json params = json::array(), json id = 1) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}, {"id", std::move(id)}}
      .dump();
}

json answer_one(const json& req, const Caller& caller) {
  return {{"jsonrpc", "2.0"},
          {"result", {{"method", req.value("method", "")}, {"caller", caller.name}}},
          {"id", req.value("id", json())}};
}

int error_code_of(const std::string& body) { return json::parse(body)["error"]["code"].get<int>(); }

class ServerTest : public ::testing::Test {
 protected:
  // A fake RequestHandler: "hold" keeps `done` for the test to call, "never" never answers,
  // "subscribe" keeps the connection's sink, a request without id gets no response, anything
  // else is answered with its method and caller; batches get an array.
  ServerOptions options() {
    ServerOptions o;
    o.listen = {{boost::asio::ip::make_address("127.0.0.1"), 0}};
    o.allowed_hosts = {"127.0.0.1", "localhost"};
    o.handler = [this](std::string body, CallContext context, Done done) {
      json req = json::parse(body, nullptr, false);
      if (req.is_array()) {
        json out = json::array();
        for (const auto& one : req) out.push_back(answer_one(one, context.caller));
        return done(out.dump());
      }
      const std::string method = req.value("method", "");
      std::lock_guard lock(mutex_);
      if (method == "hold" || method == "never") {
        held_.push_back(std::move(done));
        return;
      }
      if (method == "subscribe") sink_ = context.sink;
      if (!req.contains("id")) return done(std::nullopt);
      done(answer_one(req, context.caller).dump());
    };
    o.authenticate = [this](std::optional<std::string_view> authorization, std::string_view,
                            bool loopback) -> std::optional<Caller> {
      if (authorization && *authorization == basic_auth("alice", "secret"))
        return Caller{"alice", true, "alice"};
      if (!authorization && loopback && allow_anonymous_) return Caller{"anonymous", false, "127.0.0.1"};
      return std::nullopt;
    };
    o.admit = [this](std::string_view) { return admit_.load(); };
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
    release_held(R"({"jsonrpc":"2.0","result":"late","id":1})");
  }

  size_t held_count() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  void release_held(const std::string& response) {
    std::vector<Done> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& done : held) done(response);
  }
  std::shared_ptr<NotificationSink> sink() {
    std::lock_guard lock(mutex_);
    return sink_;
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  IoThread io_;  // first: outlives the server
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::atomic<bool> allow_anonymous_{true};
  std::atomic<bool> admit_{true};
  std::mutex mutex_;
  std::vector<Done> held_;
  std::shared_ptr<NotificationSink> sink_;
};

TEST_F(ServerTest, HttpRoundTrip) {
  start(options());
  HttpClient client(port_);
  auto res = client.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ((*res)[http::field::content_type], "application/json");
  EXPECT_EQ(res->find(http::field::access_control_allow_origin), res->end());
  json body = json::parse(res->body());
  EXPECT_EQ(body["result"]["method"], "node_info");
  EXPECT_EQ(body["result"]["caller"], "anonymous");
  EXPECT_EQ(body["id"], 1);
  EXPECT_EQ(server_->stats().http_requests, 1u);
}

TEST_F(ServerTest, KeepAliveReusesTheConnection) {
  start(options());
  HttpClient client(port_);
  for (int i = 0; i < 3; ++i) {
    auto res = client.post(request("node_info", json::array(), i));
    ASSERT_TRUE(res);
    EXPECT_EQ(json::parse(res->body())["id"], i);
    EXPECT_TRUE(res->keep_alive());
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(ServerTest, BatchPassesThrough) {
  start(options());
  HttpClient client(port_);
  std::string batch = "[" + request("a", json::array(), 1) + "," + request("b", json::array(), 2) + "]";
  auto res = client.post(batch);
  ASSERT_TRUE(res);
  json body = json::parse(res->body());
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0]["result"]["method"], "a");
  EXPECT_EQ(body[1]["result"]["method"], "b");
}

TEST_F(ServerTest, NotificationOnlyRequestGets204) {
  start(options());
  HttpClient client(port_);
  auto res = client.post(json{{"jsonrpc", "2.0"}, {"method", "note"}}.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::no_content);
  EXPECT_TRUE(res->body().empty());
}

TEST_F(ServerTest, MissingOrWrongCredentialsGet401) {
  allow_anonymous_ = false;
  start(options());
  HttpClient client(port_);
  for (std::optional<std::string> auth :
       {std::optional<std::string>{}, std::optional(basic_auth("alice", "wrong"))}) {
    auto res = client.post(request("node_info"), auth);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result(), http::status::unauthorized);
    EXPECT_EQ((*res)[http::field::www_authenticate], "Basic realm=\"cairn\"");
    EXPECT_EQ(error_code_of(res->body()), error_code::unauthorized);
  }
  auto res = client.post(request("node_info"), basic_auth("alice", "secret"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(json::parse(res->body())["result"]["caller"], "alice");
  EXPECT_EQ(server_->stats().rejected_unauthorized, 2u);
}

TEST_F(ServerTest, RebindingHostGets403) {
  start(options());
  HttpClient client(port_);
  RequestOptions rebinding;
  rebinding.host = "attacker.example:" + std::to_string(port_);
  auto res = client.request(request("node_info"), rebinding);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
  EXPECT_EQ(error_code_of(res->body()), error_code::forbidden);
  EXPECT_NE(res->body().find("Host"), std::string::npos);

  RequestOptions named;
  named.host = "LOCALHOST:" + std::to_string(port_);
  res = client.request(request("node_info"), named);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(server_->stats().rejected_host, 1u);
}

TEST_F(ServerTest, ExactHostWithPortIsRequiredWhenConfigured) {
  ServerOptions o = options();
  o.allowed_hosts = {"127.0.0.1:1"};  // a port the server does not listen on
  start(std::move(o));
  HttpClient client(port_);
  auto res = client.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::forbidden);
}

TEST_F(ServerTest, ForeignOriginIsRefusedBeforeTheUpgrade) {
  ServerOptions o = options();
  o.allowed_origins = {"https://explorer.example"};
  start(std::move(o));
  WsClient foreign(port_);
  EXPECT_FALSE(foreign.connect(WsOptions{{}, "https://attacker.example", {}}));
  EXPECT_EQ(foreign.rejection().result(), http::status::forbidden);
  EXPECT_EQ(error_code_of(foreign.rejection().body()), error_code::forbidden);
  EXPECT_EQ(server_->stats().rejected_origin, 1u);

  for (std::optional<std::string> ok : {std::optional<std::string>{}, std::optional(origin()),
                                        std::optional<std::string>("https://explorer.example")}) {
    WsClient client(port_);
    EXPECT_TRUE(client.connect(WsOptions{{}, ok, {}})) << ok.value_or("(no Origin)");
  }
}

TEST_F(ServerTest, WebSocketUpgradeNeedsCredentials) {
  allow_anonymous_ = false;
  start(options());
  WsClient anonymous(port_);
  EXPECT_FALSE(anonymous.connect());
  EXPECT_EQ(anonymous.rejection().result(), http::status::unauthorized);
  WsClient alice(port_);
  ASSERT_TRUE(alice.connect(WsOptions{basic_auth("alice", "secret"), {}, {}}));
  auto reply = alice.call(request("node_info"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["result"]["caller"], "alice");
}

TEST_F(ServerTest, BodyLimitAtTheBoundary) {
  ServerOptions o = options();
  o.max_body_bytes = 1000;
  start(std::move(o));
  std::string body = request("pad", json::array({""}));
  std::string at_limit = request("pad", json::array({std::string(1000 - body.size(), 'x')}));
  ASSERT_EQ(at_limit.size(), 1000u);
  HttpClient client(port_);
  auto res = client.post(at_limit);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);

  std::string over = request("pad", json::array({std::string(1001 - body.size(), 'x')}));
  res = client.post(over);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::payload_too_large);
  EXPECT_EQ(error_code_of(res->body()), error_code::limit_exceeded);
  EXPECT_EQ(server_->stats().rejected_body_too_large, 1u);
}

TEST_F(ServerTest, HeaderLimitAtTheBoundary) {
  ServerOptions o = options();
  o.max_header_bytes = 2048;
  start(std::move(o));
  const std::string host = "127.0.0.1:" + std::to_string(port_);
  const std::string body = request("node_info");
  auto header = [&](size_t pad) {
    return "POST / HTTP/1.1\r\nHost: " + host +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nX-Pad: " + std::string(pad, 'p') + "\r\n\r\n";
  };
  // Beast's limit covers the header fields (the request line is limited on its own).
  const size_t base = header(0).size() - std::string("POST / HTTP/1.1\r\n").size();
  auto send_with_pad = [&](size_t pad) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    boost::asio::write(socket, boost::asio::buffer(header(pad) + body));
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    boost::beast::error_code ec;
    http::read(socket, buffer, res, ec);
    return ec ? 0u : res.result_int();
  };
  EXPECT_EQ(send_with_pad(2048 - base), 200u);
  EXPECT_EQ(send_with_pad(2048 - base + 1), 431u);
  EXPECT_EQ(server_->stats().rejected_header_too_large, 1u);
}

TEST_F(ServerTest, WrongContentTypeGets415) {
  start(options());
  HttpClient client(port_);
  RequestOptions text;
  text.content_type = "text/plain";
  auto res = client.request(request("node_info"), text);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::unsupported_media_type);
  EXPECT_EQ(error_code_of(res->body()), error_code::invalid_request);

  RequestOptions charset;
  charset.content_type = "application/json; charset=utf-8";
  res = client.request(request("node_info"), charset);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(ServerTest, OtherMethodsGet405WithAllow) {
  start(options());
  HttpClient client(port_);
  for (auto verb : {http::verb::get, http::verb::put, http::verb::options}) {
    RequestOptions o;
    o.method = verb;
    auto res = client.request("", o);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result(), http::status::method_not_allowed);
    EXPECT_EQ((*res)[http::field::allow], "POST");
    EXPECT_EQ(res->find(http::field::access_control_allow_origin), res->end());
  }
  RequestOptions elsewhere;
  elsewhere.target = "/admin";
  auto res = client.request(request("node_info"), elsewhere);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_found);
}

TEST_F(ServerTest, EmptyTokenBucketGets429) {
  start(options());
  admit_ = false;
  HttpClient client(port_);
  auto res = client.post(request("node_info", json::array(), 7));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::too_many_requests);
  json body = json::parse(res->body());
  EXPECT_EQ(body["error"]["code"], error_code::rate_limited);
  EXPECT_EQ(body["id"], 7);
  admit_ = true;
  res = client.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(ServerTest, InFlightLimitGets503) {
  ServerOptions o = options();
  o.max_in_flight = 2;
  start(std::move(o));
  std::vector<std::future<std::optional<testing::HttpResponse>>> holding;
  for (int i = 0; i < 2; ++i) {
    holding.push_back(
        std::async(std::launch::async, [this] { return HttpClient(port_).post(request("hold")); }));
  }
  ASSERT_TRUE(wait_until([&] { return held_count() == 2; }));
  EXPECT_EQ(server_->stats().in_flight, 2u);
  HttpClient third(port_);
  auto res = third.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::service_unavailable);
  EXPECT_EQ(error_code_of(res->body()), error_code::busy);

  release_held(R"({"jsonrpc":"2.0","result":"released","id":1})");
  for (auto& held : holding) {
    auto done = held.get();
    ASSERT_TRUE(done);
    EXPECT_EQ(json::parse(done->body())["result"], "released");
  }
  res = third.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(ServerTest, HandlerThatNeverAnswersTimesOut) {
  ServerOptions o = options();
  o.request_timeout = std::chrono::milliseconds(200);
  start(std::move(o));
  HttpClient client(port_);
  auto res = client.post(request("never", json::array(), 5));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::gateway_timeout);
  json body = json::parse(res->body());
  EXPECT_EQ(body["error"]["code"], error_code::timeout);
  EXPECT_EQ(body["id"], 5);
  EXPECT_EQ(server_->stats().timeouts, 1u);
  EXPECT_TRUE(wait_until([&] { return server_->stats().in_flight == 0; }));
  // The late answer is ignored, and the connection serves the next request.
  release_held(R"({"jsonrpc":"2.0","result":"late","id":5})");
  res = client.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["result"]["method"], "node_info");
}

TEST_F(ServerTest, SlowLorisIsCutOffWhileOthersAreServed) {
  ServerOptions o = options();
  o.header_timeout = std::chrono::milliseconds(300);
  start(std::move(o));
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket loris(io);
  loris.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  boost::asio::write(loris, boost::asio::buffer(std::string("POST / HTTP/1.1\r\nX-Slow: ")));
  loris.non_blocking(true);

  const auto started = std::chrono::steady_clock::now();
  bool served = false;
  bool cut_off = false;
  while (!cut_off && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    boost::system::error_code ec;
    loris.write_some(boost::asio::buffer("a", 1), ec);
    if (ec && ec != boost::asio::error::would_block) cut_off = true;
    char byte;
    loris.read_some(boost::asio::buffer(&byte, 1), ec);
    if (ec && ec != boost::asio::error::would_block) cut_off = true;
    if (!served) {
      auto res = HttpClient(port_).post(request("node_info"));
      served = res && res->result() == http::status::ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served);
  EXPECT_TRUE(cut_off);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_TRUE(wait_until([&] { return server_->stats().read_timeouts == 1; }));
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  ServerOptions o = options();
  o.idle_timeout = std::chrono::milliseconds(200);
  start(std::move(o));
  HttpClient client(port_);
  ASSERT_TRUE(client.post(request("node_info")));
  EXPECT_TRUE(wait_until([&] { return server_->stats().connections_open == 0; }));
}

TEST_F(ServerTest, WebSocketRequestResponse) {
  start(options());
  WsClient client(port_);
  ASSERT_TRUE(client.connect(WsOptions{{}, origin(), {}}));
  for (int i = 0; i < 3; ++i) {
    auto reply = client.call(request("node_info", json::array(), i));
    ASSERT_TRUE(reply);
    EXPECT_EQ(json::parse(*reply)["id"], i);
  }
  EXPECT_EQ(server_->stats().websocket_messages, 3u);
  EXPECT_EQ(server_->stats().websocket_open, 1u);
}

TEST_F(ServerTest, WebSocketMessagesAreAdmittedOneByOne) {
  start(options());
  WsClient client(port_);
  ASSERT_TRUE(client.connect());
  admit_ = false;
  auto reply = client.call(request("node_info", json::array(), 3));
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["error"]["code"], error_code::rate_limited);
  EXPECT_EQ(json::parse(*reply)["id"], 3);
  admit_ = true;
  reply = client.call(request("node_info"));
  ASSERT_TRUE(reply);
  EXPECT_TRUE(json::parse(*reply).contains("result"));
}

TEST_F(ServerTest, WebSocketMessageLimitAtTheBoundary) {
  ServerOptions o = options();
  o.max_websocket_message_bytes = 500;
  start(std::move(o));
  std::string base = request("pad", json::array({""}));
  WsClient client(port_);
  ASSERT_TRUE(client.connect());
  EXPECT_TRUE(client.call(request("pad", json::array({std::string(500 - base.size(), 'x')}))));
  EXPECT_FALSE(client.call(request("pad", json::array({std::string(501 - base.size(), 'x')}))));
  EXPECT_TRUE(wait_until([&] { return server_->stats().rejected_body_too_large == 1; }));
}

TEST_F(ServerTest, WebSocketNotificationsArriveInOrder) {
  start(options());
  WsClient client(port_);
  ASSERT_TRUE(client.connect());
  ASSERT_TRUE(client.call(request("subscribe")));
  auto notifications = sink();
  ASSERT_TRUE(notifications);
  constexpr int kCount = 200;
  std::thread publisher([&] {
    for (int i = 0; i < kCount; ++i) {
      EXPECT_TRUE(notifications->send(json{{"jsonrpc", "2.0"}, {"method", "tick"}, {"params", i}}.dump()));
    }
  });
  for (int i = 0; i < kCount; ++i) {
    auto message = client.receive();
    ASSERT_TRUE(message) << i;
    EXPECT_EQ(json::parse(*message)["params"], i);
  }
  publisher.join();
  // A response still goes through the same queue after the notifications.
  auto reply = client.call(request("node_info", json::array(), 9));
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["id"], 9);
}

TEST_F(ServerTest, SlowWebSocketConsumerIsDroppedWithANotice) {
  ServerOptions o = options();
  o.websocket_queue_messages = 8;
  o.drop_grace = std::chrono::seconds(5);
  start(std::move(o));
  WsClient client(port_);
  ASSERT_TRUE(client.connect());
  ASSERT_TRUE(client.call(request("subscribe")));
  auto notifications = sink();
  ASSERT_TRUE(notifications);

  // The client reads nothing: the socket buffers fill, then the queue; send() turns false.
  const std::string padding(64 * 1024, 'n');
  constexpr int kAttempts = 10'000;  // 640 MiB: far beyond what socket buffers absorb
  int accepted = 0;
  while (accepted < kAttempts && notifications->send(json{{"method", "tick"}, {"params", padding}}.dump())) {
    ++accepted;
  }
  ASSERT_LT(accepted, kAttempts);
  EXPECT_FALSE(notifications->send("{}"));
  EXPECT_TRUE(wait_until([&] { return server_->stats().subscribers_dropped == 1; }));

  // What the socket buffers held arrives, then the notice, then the end of the connection.
  std::optional<std::string> last;
  int received = 0;
  while (auto message = client.receive()) {
    last = std::move(message);
    ++received;
  }
  ASSERT_TRUE(last);
  EXPECT_LE(received, accepted + 1);
  json notice = json::parse(*last);
  EXPECT_EQ(notice["method"], kSubscriptionDroppedMethod);
  EXPECT_TRUE(notice["params"]["reason"].is_string());
  EXPECT_TRUE(wait_until([&] { return server_->stats().websocket_open == 0; }));
}

TEST_F(ServerTest, ConnectionLimitAtTheBoundary) {
  ServerOptions o = options();
  o.max_connections = 2;
  start(std::move(o));
  HttpClient first(port_), second(port_), third(port_);
  ASSERT_TRUE(first.post(request("node_info")));
  ASSERT_TRUE(second.post(request("node_info")));
  EXPECT_FALSE(third.post(request("node_info")));
  EXPECT_EQ(server_->stats().rejected_connection_limit, 1u);
  first.close();
  ASSERT_TRUE(wait_until([&] { return server_->stats().connections_open < 2; }));
  EXPECT_TRUE(third.post(request("node_info")));
}

TEST_F(ServerTest, WebSocketConnectionLimitAtTheBoundary) {
  ServerOptions o = options();
  o.max_websocket_connections = 1;
  start(std::move(o));
  WsClient first(port_), second(port_);
  ASSERT_TRUE(first.connect());
  EXPECT_FALSE(second.connect());
  EXPECT_EQ(second.rejection().result(), http::status::service_unavailable);
  EXPECT_EQ(server_->stats().rejected_websocket_limit, 1u);
  // HTTP is not affected by the WebSocket limit.
  EXPECT_TRUE(HttpClient(port_).post(request("node_info")));
}

// A self-signed certificate and key (EC P-256) in a fresh temporary directory.
struct SelfSigned {
  std::filesystem::path dir;
  std::string certificate, key;
  ~SelfSigned() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

bool make_self_signed(SelfSigned& out) {
  static std::atomic<int> counter{0};
  out.dir = std::filesystem::temp_directory_path() /
            ("cairn-rpc-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(out.dir);
  out.certificate = (out.dir / "cert.pem").string();
  out.key = (out.dir / "key.pem").string();

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) return false;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return false;

  std::unique_ptr<FILE, decltype(&fclose)> cert_file(fopen(out.certificate.c_str(), "w"), &fclose);
  std::unique_ptr<FILE, decltype(&fclose)> key_file(fopen(out.key.c_str(), "w"), &fclose);
  if (!cert_file || !key_file) return false;
  return PEM_write_X509(cert_file.get(), cert.get()) == 1 &&
         PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
}

TEST_F(ServerTest, TlsRoundTrip) {
  SelfSigned files;
  ASSERT_TRUE(make_self_signed(files));
  ServerOptions o = options();
  o.tls = TlsOptions{files.certificate, files.key};
  start(std::move(o));

  boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
  context.load_verify_file(files.certificate);
  context.set_verify_mode(boost::asio::ssl::verify_peer);
  HttpClient client(port_, &context);
  auto res = client.post(request("node_info"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(json::parse(res->body())["result"]["method"], "node_info");
  res = client.post(request("node_info"));  // keep-alive over TLS
  ASSERT_TRUE(res);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);

  // Plain HTTP to the TLS port gets no answer.
  EXPECT_FALSE(HttpClient(port_, nullptr, std::chrono::milliseconds(1000)).post(request("node_info")));
}

TEST_F(ServerTest, MissingCertificateIsAnError) {
  ServerOptions o = options();
  o.tls = TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  auto started = Server::start(io_.io, std::move(o));
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("certificate"), std::string::npos);
}

TEST_F(ServerTest, StopClosesConnectionsAndStopsAccepting) {
  start(options());
  HttpClient client(port_);
  ASSERT_TRUE(client.post(request("node_info")));
  WsClient ws(port_);
  ASSERT_TRUE(ws.connect());
  EXPECT_TRUE(server_->stop());
  EXPECT_EQ(server_->stats().connections_open, 0u);
  EXPECT_EQ(server_->stats().websocket_open, 0u);
  EXPECT_FALSE(ws.receive(std::chrono::milliseconds(1000)));
  EXPECT_FALSE(HttpClient(port_, nullptr, std::chrono::milliseconds(1000)).post(request("node_info")));
}

TEST_F(ServerTest, StopLetsARunningRequestFinish) {
  start(options());
  auto held = std::async(std::launch::async, [this] { return HttpClient(port_).post(request("hold")); });
  ASSERT_TRUE(wait_until([&] { return held_count() == 1; }));
  std::thread releaser([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    release_held(R"({"jsonrpc":"2.0","result":"finished","id":1})");
  });
  EXPECT_TRUE(server_->stop());
  releaser.join();
  auto res = held.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body())["result"], "finished");
  EXPECT_FALSE(res->keep_alive());
}

}  // namespace
}  // namespace cairn::rpc
