// The contract between the parts of Cairn's JSON-RPC API: who is calling (Caller), what a
// request runs with (CallContext), where WebSocket notifications go (NotificationSink), and
// the server-defined JSON-RPC error codes (docs/rpc.md "Errors").
//
// The server (server.h) authenticates a connection and hands request bodies to a
// RequestHandler; the dispatcher (dispatcher.h) parses them, checks each method's group
// against the caller and runs the method handlers. Neither knows how the other works.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::rpc {

// DESIGN.md "API exposure": `public` is read-only chain data (what the explorer uses);
// `admin` is node control, mining, peers and bans.
enum class MethodGroup { public_group, admin_group };
const char* to_string(MethodGroup group);

// An authenticated (or anonymous loopback) client.
struct Caller {
  std::string name;    // the configured user, "__cookie__", or "anonymous"
  bool admin = false;  // may call `admin` methods (every caller may call `public` ones)
  std::string client;  // the rate-limit key: the user name, or the remote IP when anonymous
};

// Where a WebSocket connection's notifications go. Thread-safe: publishers call send() from
// any thread.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  // Queues one JSON text frame. False when the connection is closed or its queue is full;
  // a full queue closes the connection after a final notice (the subscriber is dropped, never
  // buffered without bound).
  virtual bool send(std::string text) = 0;
};

// What a request runs with: its caller, and for a WebSocket connection the sink its
// subscriptions deliver to (null over HTTP, where subscribing is refused).
struct CallContext {
  Caller caller;
  std::shared_ptr<NotificationSink> sink;
};

// Hands a request body to whatever runs the methods and calls `done` exactly once with the
// response body, or with nullopt when the request had nothing to answer (notifications
// only). `done` may be called from any thread.
using RequestHandler = std::function<void(std::string body, CallContext context,
                                          std::function<void(std::optional<std::string> response)> done)>;

// Decides who a request is from, given its Authorization header (absent: nullopt) and the
// remote address: the caller, or nullopt for HTTP 401. Thread-safe.
using AuthenticateFn = std::function<std::optional<Caller>(
    std::optional<std::string_view> authorization, std::string_view remote_ip, bool remote_is_loopback)>;
// Takes one token from the client's rate-limit bucket: false when it is empty (HTTP 429, or a
// JSON-RPC rate_limited error on a WebSocket). Thread-safe.
using AdmitFn = std::function<bool(std::string_view client)>;

// A GET or HEAD request for something other than JSON-RPC: the explorer's files at / and
// /metrics (DESIGN.md "API exposure": one HTTP server). The Host header has been checked;
// authentication is the PageHandler's to decide (it gets what it needs here).
struct PageRequest {
  std::string_view path;   // the target before any '?': "/", "/metrics", "/app.js"
  std::string_view query;  // after the '?', may be empty
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> if_none_match;  // the If-None-Match field (cached pages)
  std::string_view remote_ip;
  bool remote_is_loopback = false;
  bool head = false;  // HEAD: the server sends the headers of the page without its body
};

struct Page {
  unsigned status = 200;
  std::string content_type;  // e.g. "text/html; charset=utf-8"
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields, e.g. Cache-Control
};

// Answers a page request: the page (any status), or nullopt for the server's 404. Called on
// the server's thread, so it must be quick (no waiting on the chain); thread-safe.
using PageHandler = std::function<std::optional<Page>(const PageRequest& request)>;

// JSON-RPC 2.0 error codes: the specification's, then Cairn's in the server-defined range
// -32000..-32099.
namespace error_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int not_found = -32000;       // no such block, transaction, ...
inline constexpr int unauthorized = -32001;    // no or wrong credentials (HTTP 401)
inline constexpr int forbidden = -32002;       // the caller's groups lack the method's
inline constexpr int busy = -32003;            // too many requests in flight (HTTP 503)
inline constexpr int timeout = -32004;         // the request ran past its deadline
inline constexpr int rate_limited = -32005;    // the client's token bucket is empty (HTTP 429)
inline constexpr int limit_exceeded = -32006;  // a batch, body, nesting or subscription limit
inline constexpr int pruned = -32007;          // the data was pruned from this node
inline constexpr int rejected = -32008;        // a transaction or block was refused (reason given)
inline constexpr int unavailable = -32009;     // not on this network or node (e.g. mining off regtest)
}  // namespace error_code

}  // namespace cairn::rpc
