// A minimal JSON-RPC client over HTTP for the benchmark tools (cairn_rpc_load, cairn_txgen):
// one node's endpoint and credentials, the POST they send, and a call that opens a
// connection, sends one request and returns its result. Errors are exceptions (the tools
// stop the run on any). Header-only: bench/ has no library of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>  // before Asio's awaitable (net/coro.h)

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "net/coro.h"
#include "rpc/auth.h"
#include "rpc/cookie.h"

namespace cairn::bench {

// Responses larger than this are refused (a full block is well below it).
inline constexpr uint64_t kMaxRpcResponseBytes = 64 * 1024 * 1024;

struct RpcTarget {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;           // the Host header: address:port
  std::string authorization;  // "Basic ..." or empty

  // `address` an IP address; `cookie_file` empty for an anonymous (public-only) caller.
  static RpcTarget make(const std::string& address, uint16_t port, const std::string& cookie_file) {
    RpcTarget target;
    target.endpoint = boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(address), port);
    target.host = address + ":" + std::to_string(port);
    if (!cookie_file.empty()) {
      auto credentials = rpc::read_cookie(cookie_file);
      if (!credentials) throw std::runtime_error(credentials.error().message);
      target.authorization = rpc::basic_authorization(credentials->user, credentials->password);
    }
    return target;
  }
};

inline boost::beast::http::request<boost::beast::http::string_body> rpc_post(const RpcTarget& target,
                                                                             std::string body) {
  namespace http = boost::beast::http;
  http::request<http::string_body> request{http::verb::post, "/", 11};
  request.set(http::field::host, target.host);
  request.set(http::field::content_type, "application/json");
  if (!target.authorization.empty()) request.set(http::field::authorization, target.authorization);
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

// One call on its own connection; `timeout` bounds connect to last byte, so a node that
// stops answering fails the run instead of hanging it.
inline boost::asio::awaitable<nlohmann::json> rpc_call(const RpcTarget& target, std::string method,
                                                       nlohmann::json params, std::chrono::seconds timeout) {
  namespace http = boost::beast::http;
  using boost::asio::use_awaitable;
  boost::beast::tcp_stream stream(co_await boost::asio::this_coro::executor);
  stream.expires_after(timeout);
  co_await stream.async_connect(target.endpoint, use_awaitable);
  const nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
  co_await http::async_write(stream, rpc_post(target, request.dump()), use_awaitable);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxRpcResponseBytes);
  co_await http::async_read(stream, buffer, parser, use_awaitable);
  auto reply = nlohmann::json::parse(parser.get().body());
  if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
  co_return reply["result"];
}

// rpc_call run to completion on its own io_context (for the tools' sequential steps).
inline nlohmann::json rpc_call_sync(const RpcTarget& target, const std::string& method, nlohmann::json params,
                                    std::chrono::seconds timeout) {
  boost::asio::io_context io;
  std::optional<nlohmann::json> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, rpc_call(target, method, std::move(params), timeout),
                        [&](std::exception_ptr error, nlohmann::json value) {
                          failure = error;
                          result = std::move(value);
                        });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

}  // namespace cairn::bench
