// Cairn's JSON-RPC transport: a Boost.Beast server answering JSON-RPC 2.0 over HTTP POST and
// WebSocket on the same port (DESIGN.md "API exposure"), optionally over TLS.
//
// The server knows nothing about methods: it checks the Host header (no DNS rebinding), the
// WebSocket Origin (no cross-site WebSocket), authenticates through an AuthenticateFn, admits
// through an AdmitFn (rate limits) and hands each body to a RequestHandler (api.h). Every read
// has a timeout, every message a size cap, every queue a bound (the limits below).
//
// Threading: the Server runs its sessions on the io_context it is given (each connection on
// its own strand); the owner runs that io_context on the server's thread. stats() and stop()
// may be called from any thread. The RequestHandler's `done` may be called from any thread,
// also after the request timed out or the connection closed (it is then ignored).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rpc/api.h"
#include "util/result.h"

namespace cairn::rpc {

// Defaults of ServerOptions' limits (docs/rpc.md "Limits").
inline constexpr size_t kDefaultMaxBodyBytes = 1024 * 1024;
inline constexpr size_t kDefaultMaxHeaderBytes = 8 * 1024;
inline constexpr size_t kDefaultMaxConnections = 256;
inline constexpr size_t kDefaultMaxWebSocketConnections = 128;
inline constexpr size_t kDefaultMaxInFlight = 64;
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{30'000};
inline constexpr std::chrono::milliseconds kDefaultHeaderTimeout{10'000};
inline constexpr std::chrono::milliseconds kDefaultBodyTimeout{30'000};
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{60'000};
inline constexpr size_t kDefaultMaxWebSocketMessageBytes = 1024 * 1024;
inline constexpr size_t kDefaultWebSocketQueueMessages = 1024;
// How long a dropped WebSocket subscriber gets to take its final notice before its socket
// is closed, and how long stop() waits for connections to finish.
inline constexpr std::chrono::milliseconds kDefaultDropGrace{2'000};
inline constexpr std::chrono::milliseconds kDefaultStopTimeout{5'000};

// The method of the frame a dropped WebSocket subscriber receives last.
inline constexpr const char* kSubscriptionDroppedMethod = "node_subscription_dropped";

struct TlsOptions {
  std::string certificate_chain_file;  // PEM: the server certificate, then intermediates
  std::string private_key_file;        // PEM
};

struct ServerOptions {
  // Addresses to listen on (IPv4 or IPv6); port 0 picks an ephemeral port (see
  // Server::local_endpoints()).
  std::vector<boost::asio::ip::tcp::endpoint> listen;
  RequestHandler handler;
  // GET and HEAD requests (any path), admitted by the remote IP address (`admit` with the
  // address as the client); null: only POST / (JSON-RPC) and WebSocket upgrades. POST / stays
  // JSON-RPC either way, and other methods get 405 with Allow.
  PageHandler pages;
  AuthenticateFn authenticate;
  AdmitFn admit;
  // Host header values accepted, compared case-insensitively: "127.0.0.1:8645" or
  // "[::1]:8645" match exactly, a name without a port ("localhost") matches it on any port.
  // Anything else gets 403: a DNS-rebinding page's Host is its own name. "*" matches every
  // Host: for a listener whose pages are public anyway (cairnd's --metrics-listen).
  std::vector<std::string> allowed_hosts;
  // WebSocket Origins accepted beyond the same-origin ones (http:// or https:// followed by
  // an allowed host). A request without Origin (not a browser) is accepted.
  std::vector<std::string> allowed_origins;
  std::optional<TlsOptions> tls;  // when set, every connection is TLS

  size_t max_body_bytes = kDefaultMaxBodyBytes;
  size_t max_header_bytes = kDefaultMaxHeaderBytes;  // the header fields (and, alone, the request line)
  size_t max_connections = kDefaultMaxConnections;   // HTTP and WebSocket together
  size_t max_websocket_connections = kDefaultMaxWebSocketConnections;
  size_t max_in_flight = kDefaultMaxInFlight;  // requests being handled, across the server
  std::chrono::milliseconds request_timeout = kDefaultRequestTimeout;
  std::chrono::milliseconds header_timeout = kDefaultHeaderTimeout;  // first byte to end of header
  std::chrono::milliseconds body_timeout = kDefaultBodyTimeout;
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;  // between requests or messages
  size_t max_websocket_message_bytes = kDefaultMaxWebSocketMessageBytes;
  size_t websocket_queue_messages = kDefaultWebSocketQueueMessages;  // responses + notifications
  std::chrono::milliseconds drop_grace = kDefaultDropGrace;
  std::chrono::milliseconds stop_timeout = kDefaultStopTimeout;
};

// Counters since the server started, for logs and metrics.
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t websocket_open = 0;
  uint64_t http_requests = 0;       // HTTP requests handed to the RequestHandler
  uint64_t websocket_messages = 0;  // WebSocket messages handed to the RequestHandler
  uint64_t page_requests = 0;       // GET/HEAD requests handed to the PageHandler
  uint64_t in_flight = 0;
  // Refusals, by reason.
  uint64_t rejected_connection_limit = 0;  // accepted, then closed at max_connections
  uint64_t rejected_websocket_limit = 0;   // 503 at max_websocket_connections
  uint64_t rejected_host = 0;              // 403
  uint64_t rejected_origin = 0;            // 403
  uint64_t rejected_unauthorized = 0;      // 401
  uint64_t rejected_rate_limited = 0;      // 429 / rate_limited
  uint64_t rejected_busy = 0;              // 503 / busy at max_in_flight
  uint64_t rejected_body_too_large = 0;    // 413, or an oversized WebSocket message
  uint64_t rejected_header_too_large = 0;  // 431
  uint64_t rejected_bad_request = 0;       // 400, 404 (pages included), 405, 415
  uint64_t timeouts = 0;                   // requests answered with error_code::timeout
  uint64_t read_timeouts = 0;              // connections cut off by header/body/idle timeouts
  uint64_t subscribers_dropped = 0;        // WebSocket queues that overflowed
};

class Server {
 public:
  // Binds every listen endpoint (an error if any fails) and starts accepting on `io`.
  static Result<std::unique_ptr<Server>> start(boost::asio::io_context& io, ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound addresses, in the order of ServerOptions::listen (with the actual ports).
  const std::vector<boost::asio::ip::tcp::endpoint>& local_endpoints() const { return endpoints_; }
  ServerStats stats() const;

  // Stops accepting, lets requests being handled finish, closes every connection, and (from a
  // thread other than the io_context's) waits up to stop_timeout for them to end. Whether all
  // ended. Idempotent.
  bool stop();

  struct Shared;  // the state sessions share with the server (server.cpp)

 private:
  explicit Server(std::shared_ptr<Shared> shared, std::vector<boost::asio::ip::tcp::endpoint> endpoints)
      : shared_(std::move(shared)), endpoints_(std::move(endpoints)) {}
  std::shared_ptr<Shared> shared_;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
};

}  // namespace cairn::rpc
