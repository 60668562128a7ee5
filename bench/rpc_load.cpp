// cairn_rpc_load — a JSON-RPC load generator for cairnd's API (bench/README.md "JSON-RPC").
//
//   http    N keep-alive HTTP connections, each sending one request in a closed loop for the
//           duration: requests/s and latency percentiles.
//   fanout  N WebSocket connections subscribed to new_heads; blocks mined one at a time with
//           miner_generate over HTTP (regtest): how long until every subscriber has each head.
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
#include <utility>  // before Asio's awaitable (net/coro.h)
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "net/coro.h"
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

struct Target {
  tcp::endpoint endpoint;
  std::string host;           // the Host header: address:port
  std::string authorization;  // "Basic ..." or empty
};

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t chunk = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (i + 1 < in.size()) chunk |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    if (i + 2 < in.size()) chunk |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

json percentiles(std::vector<double> samples) {
  if (samples.empty()) return json::object();
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[static_cast<size_t>(q * static_cast<double>(samples.size() - 1))];
  };
  return {{"p50_us", at(0.50)}, {"p90_us", at(0.90)}, {"p99_us", at(0.99)}, {"max_us", samples.back()}};
}

http::request<http::string_body> post(const Target& target, const std::string& body) {
  http::request<http::string_body> request{http::verb::post, "/", 11};
  request.set(http::field::host, target.host);
  request.set(http::field::content_type, "application/json");
  if (!target.authorization.empty()) request.set(http::field::authorization, target.authorization);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  return request;
}

// ---- http mode ------------------------------------------------------------------------------

struct HttpStats {
  std::vector<double> latencies_us;
  uint64_t errors = 0;  // HTTP status other than 200, or a JSON-RPC error
  uint64_t failed_connections = 0;
};

asio::awaitable<void> http_client(const Target& target, std::string body, Clock::time_point end,
                                  HttpStats& stats) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(target.endpoint, use_awaitable);
  beast::flat_buffer buffer;
  const auto request = post(target, body);
  while (Clock::now() < end) {
    const auto start = Clock::now();
    co_await http::async_write(stream, request, use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response, use_awaitable);
    stats.latencies_us.push_back(micros(Clock::now() - start));
    if (response.result() != http::status::ok || response.body().find("\"error\"") != std::string::npos)
      ++stats.errors;
  }
}

json run_http(const Target& target, const std::string& body, int connections, double seconds) {
  HttpStats stats;  // outlives the io_context and the coroutines it destroys
  asio::io_context io;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < connections; ++i) {
    asio::co_spawn(io, http_client(target, body, end, stats), [&stats](std::exception_ptr error) {
      if (error) ++stats.failed_connections;
    });
  }
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  json out = {{"mode", "http"},
              {"connections", connections},
              {"seconds", elapsed},
              {"requests", stats.latencies_us.size()},
              {"requests_per_second", static_cast<double>(stats.latencies_us.size()) / elapsed},
              {"errors", stats.errors},
              {"failed_connections", stats.failed_connections}};
  out.update(percentiles(std::move(stats.latencies_us)));
  return out;
}

// ---- fanout mode ----------------------------------------------------------------------------

struct Fanout {
  int subscribed = 0;
  int failed = 0;
  uint64_t received = 0;
  std::map<uint64_t, Clock::time_point> mined_at;                   // height -> miner_generate called
  std::map<uint64_t, std::pair<Clock::time_point, int>> delivered;  // height -> last arrival, count
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
  co_await ws.async_write(asio::buffer(subscribe), use_awaitable);
  beast::flat_buffer buffer;
  co_await ws.async_read(buffer, use_awaitable);
  if (json::parse(beast::buffers_to_string(buffer.data())).contains("error"))
    throw std::runtime_error("subscribe");
  buffer.clear();
  subscribed = true;
  ++fanout.subscribed;
  while (!fanout.done) {
    co_await ws.async_read(buffer, use_awaitable);
    const auto message = json::parse(beast::buffers_to_string(buffer.data()));
    buffer.clear();
    if (message.value("method", "") != "node_subscription") continue;
    const auto& head = message["params"]["result"];
    if (!head.contains("height")) continue;  // a disconnect notice carries no new head
    auto& [last, count] = fanout.delivered[head["height"].get<uint64_t>()];
    last = Clock::now();
    ++count;
    ++fanout.received;
  }
}

// One subscriber; a connection that fails before its subscription is counted as failed.
asio::awaitable<void> subscriber(const Target& target, Fanout& fanout) {
  bool subscribed = false;
  try {
    co_await subscribe_and_count(target, fanout, subscribed);
  } catch (const std::exception&) {
    if (!subscribed) ++fanout.failed;
  }
}

asio::awaitable<json> call(const Target& target, const std::string& method, json params) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(target.endpoint, use_awaitable);
  const json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
  co_await http::async_write(stream, post(target, request.dump()), use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, use_awaitable);
  auto reply = json::parse(response.body());
  if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
  co_return reply["result"];
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_awaitable);
}

asio::awaitable<void> mine(const Target& target, const std::string& address, int subscribers, int blocks,
                           Fanout& fanout) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (fanout.subscribed + fanout.failed < subscribers && Clock::now() < deadline) {
    co_await sleep_for(std::chrono::milliseconds(10));
  }
  // (Arguments are built before each co_await: GCC 12 miscompiles braced initializers there.)
  json no_params = json::object();
  const json info = co_await call(target, "chain_get_info", std::move(no_params));
  uint64_t height = info["height"].get<uint64_t>();
  for (int i = 0; i < blocks; ++i) {
    fanout.mined_at[++height] = Clock::now();
    json generate = {{"count", 1}, {"address", address}};
    co_await call(target, "miner_generate", std::move(generate));
    // Every subscriber has it (or 5 s passed) before the next block.
    const auto wait_end = Clock::now() + std::chrono::seconds(5);
    while (fanout.delivered[height].second < fanout.subscribed && Clock::now() < wait_end) {
      co_await sleep_for(std::chrono::milliseconds(1));
    }
  }
  fanout.done = true;
}

json run_fanout(const Target& target, const std::string& address, int subscribers, int blocks) {
  Fanout fanout;  // outlives the io_context and the coroutines it destroys
  asio::io_context io;
  for (int i = 0; i < subscribers; ++i) {
    asio::co_spawn(io, subscriber(target, fanout), asio::detached);
  }
  std::exception_ptr mine_error;
  asio::co_spawn(io, mine(target, address, subscribers, blocks, fanout), [&](std::exception_ptr error) {
    mine_error = error;
    io.stop();  // subscribers sit in reads; the measurement is over
  });
  io.run();
  if (mine_error) std::rethrow_exception(mine_error);
  std::vector<double> all_delivered_us;
  uint64_t complete = 0;
  for (const auto& [height, delivered] : fanout.delivered) {
    const auto& [last, count] = delivered;
    if (count == fanout.subscribed) ++complete;
    all_delivered_us.push_back(micros(last - fanout.mined_at[height]));
  }
  json out = {
      {"mode", "fanout"},
      {"subscribers", fanout.subscribed},
      {"failed_subscribers", fanout.failed},
      {"blocks", blocks},
      {"blocks_delivered_to_all", complete},
      {"notifications", fanout.received},
      {"note", "latency: miner_generate called -> the last subscriber has the head (includes mining)"}};
  out["all_delivered"] = percentiles(std::move(all_delivered_us));
  return out;
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
  app.add_option("--address", address, "cairnd's RPC address");
  app.add_option("--port", port, "cairnd's RPC port")->required();
  app.add_option("--cookie", cookie,
                 "the RPC cookie file (<network datadir>/rpc.cookie) to authenticate with");
  app.add_option("--mode", mode, "http or fanout")->check(CLI::IsMember({"http", "fanout"}));
  app.add_option("--method", method, "http: the method to call");
  app.add_option("--params", params, "http: the params, as JSON");
  app.add_option("--connections", connections, "http: connections; fanout: WebSocket subscribers")
      ->check(CLI::Range(1, 10000));
  app.add_option("--seconds", seconds, "http: duration")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--blocks", blocks, "fanout: blocks to mine")->check(CLI::Range(1, 10000));
  app.add_option("--mine-to", mine_to, "fanout: the address miner_generate pays");
  CLI11_PARSE(app, argc, argv);

  try {
    Target target;
    target.endpoint = tcp::endpoint(asio::ip::make_address(address), port);
    target.host = address + ":" + std::to_string(port);
    if (!cookie.empty()) {
      auto credentials = cairn::rpc::read_cookie(cookie);
      if (!credentials) {
        std::cerr << "cairn_rpc_load: " << credentials.error().message << "\n";
        return 1;
      }
      target.authorization = "Basic " + base64(credentials->user + ":" + credentials->password);
    }
    json result;
    if (mode == "http") {
      const json request = {
          {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", json::parse(params)}};
      result = run_http(target, request.dump(), connections, seconds);
      result["method"] = method;
    } else {
      result = run_fanout(target, mine_to, connections, blocks);
    }
    std::cout << result.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cairn_rpc_load: " << e.what() << "\n";
    return 1;
  }
}
