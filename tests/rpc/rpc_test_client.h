// Synchronous JSON-RPC clients for tests: HTTP POST (keep-alive, optional TLS, Basic auth,
// Host and Content-Type overrides) and WebSocket (optional Origin and auth). Every operation
// is bounded by a timeout; a failure or timeout is reported as nullopt / false, never a hang.
// Not thread-safe: one client per test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio's awaitable: the GCC 12 workaround of DESIGN.md

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "rpc/auth.h"

namespace cairn::rpc::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using HttpResponse = http::response<http::string_body>;

inline constexpr std::chrono::milliseconds kClientTimeout{5'000};

// "Basic <base64(user:password)>"
inline std::string basic_auth(const std::string& user, const std::string& password) {
  return rpc::basic_authorization(user, password);
}

struct RequestOptions {
  std::optional<std::string> authorization;  // the whole header value, e.g. basic_auth(...)
  std::optional<std::string> host;           // default: 127.0.0.1:<port>
  std::string content_type = "application/json";
  http::verb method = http::verb::post;
  std::string target = "/";
  bool keep_alive = true;
};

// Runs the io_context until the operation started on it completes; the stream's own expiry
// (set by the caller) bounds the wait.
inline void run_until_done(asio::io_context& io) {
  io.restart();
  io.run();
}

// An HTTP(S) connection to 127.0.0.1:<port>, reused across requests while the server keeps
// it alive.
class HttpClient {
 public:
  // `tls`: the client context for an HTTPS server (its verification settings are the test's).
  explicit HttpClient(uint16_t port, asio::ssl::context* tls = nullptr,
                      std::chrono::milliseconds timeout = kClientTimeout)
      : port_(port), tls_context_(tls), timeout_(timeout) {}

  // Connects (and for TLS, handshakes). Whether it worked.
  bool connect() {
    close();
    beast::tcp_stream tcp(io_);
    beast::error_code ec;
    tcp.expires_after(timeout_);
    tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                      [&](beast::error_code e) { ec = e; });
    run_until_done(io_);
    if (ec) return false;
    if (tls_context_) {
      tls_.emplace(std::move(tcp), *tls_context_);
      beast::get_lowest_layer(*tls_).expires_after(timeout_);
      tls_->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      run_until_done(io_);
      if (ec) {
        tls_.reset();
        return false;
      }
    } else {
      plain_.emplace(std::move(tcp));
    }
    return true;
  }
  bool connected() const { return plain_.has_value() || tls_.has_value(); }
  void close() {
    plain_.reset();
    tls_.reset();
    buffer_.clear();
  }

  // Sends one request (connecting first if needed) and reads the response; nullopt when the
  // connection failed, closed or timed out. Closes the connection when the response says so.
  std::optional<HttpResponse> request(const std::string& body, const RequestOptions& options = {}) {
    if (!connected() && !connect()) return std::nullopt;
    http::request<http::string_body> req{options.method, options.target, 11};
    req.set(http::field::host, options.host ? *options.host : "127.0.0.1:" + std::to_string(port_));
    if (!options.content_type.empty()) req.set(http::field::content_type, options.content_type);
    if (options.authorization) req.set(http::field::authorization, *options.authorization);
    req.keep_alive(options.keep_alive);
    req.body() = body;
    req.prepare_payload();
    std::optional<HttpResponse> res = tls_ ? exchange(*tls_, req) : exchange(*plain_, req);
    if (!res || !res->keep_alive()) close();
    return res;
  }

  // POSTs a JSON-RPC body with the default options plus `authorization`.
  std::optional<HttpResponse> post(const std::string& body, std::optional<std::string> authorization = {}) {
    RequestOptions options;
    options.authorization = std::move(authorization);
    return request(body, options);
  }

 private:
  template <class Stream>
  std::optional<HttpResponse> exchange(Stream& stream, http::request<http::string_body>& req) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
    run_until_done(io_);
    if (ec) return std::nullopt;
    HttpResponse res;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::async_read(stream, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    run_until_done(io_);
    if (ec) return std::nullopt;
    return parser.release();
  }

  uint16_t port_;
  asio::ssl::context* tls_context_;
  std::chrono::milliseconds timeout_;
  asio::io_context io_;
  beast::flat_buffer buffer_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

struct WsOptions {
  std::optional<std::string> authorization;
  std::optional<std::string> origin;
  std::optional<std::string> host;  // default: 127.0.0.1:<port>
};

// A plain WebSocket connection to 127.0.0.1:<port>.
class WsClient {
 public:
  explicit WsClient(uint16_t port, std::chrono::milliseconds timeout = kClientTimeout)
      : port_(port), timeout_(timeout) {}

  // Connects and upgrades. On refusal, the server's HTTP response is in rejection().
  bool connect(const WsOptions& options = {}) {
    ws_.emplace(io_);
    beast::error_code ec;
    auto& tcp = beast::get_lowest_layer(*ws_);
    tcp.expires_after(timeout_);
    tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                      [&](beast::error_code e) { ec = e; });
    run_until_done(io_);
    if (ec) return false;
    ws_->set_option(websocket::stream_base::decorator([options](websocket::request_type& req) {
      if (options.origin) req.set(http::field::origin, *options.origin);
      if (options.authorization) req.set(http::field::authorization, *options.authorization);
    }));
    ws_->read_message_max(64 * 1024 * 1024);
    const std::string host = options.host ? *options.host : "127.0.0.1:" + std::to_string(port_);
    rejection_ = {};
    tcp.expires_after(timeout_);
    ws_->async_handshake(rejection_, host, "/", [&](beast::error_code e) { ec = e; });
    run_until_done(io_);
    if (ec) return false;
    tcp.expires_never();  // each read and write below sets its own bound
    return true;
  }
  // The server's answer to a refused upgrade (status 403, 401, 503, ...).
  const websocket::response_type& rejection() const { return rejection_; }

  bool send(const std::string& text) {
    beast::error_code ec;
    beast::get_lowest_layer(*ws_).expires_after(timeout_);
    ws_->text(true);
    ws_->async_write(asio::buffer(text), [&](beast::error_code e, size_t) { ec = e; });
    run_until_done(io_);
    return !ec;
  }

  // The next text message, or nullopt when the connection closed or nothing came in time.
  std::optional<std::string> receive(std::optional<std::chrono::milliseconds> timeout = {}) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    beast::get_lowest_layer(*ws_).expires_after(timeout.value_or(timeout_));
    ws_->async_read(buffer, [&](beast::error_code e, size_t) { ec = e; });
    run_until_done(io_);
    if (ec) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  // Sends a request and returns the next message.
  std::optional<std::string> call(const std::string& text) {
    if (!send(text)) return std::nullopt;
    return receive();
  }

 private:
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  asio::io_context io_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  websocket::response_type rejection_;
};

}  // namespace cairn::rpc::testing
