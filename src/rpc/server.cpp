#include "rpc/server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>  // before Asio's awaitable: the GCC 12 workaround of DESIGN.md

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "net/coro.h"  // the GCC 12 diagnostics Asio coroutines need silenced

namespace cairn::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using SystemError = boost::system::error_code;

constexpr size_t kReadChunk = 4096;

auto redirect(SystemError& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// A JSON-RPC error response for a request the server refused before any method ran; `body`
// supplies the id when it is a single request that parses.
std::string error_body(int code, std::string_view message, std::string_view body = {}) {
  nlohmann::json id = nullptr;
  if (!body.empty()) {
    auto request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_object() && request.contains("id")) id = request["id"];
  }
  nlohmann::json error = {{"jsonrpc", "2.0"}, {"error", {{"code", code}, {"message", message}}}, {"id", id}};
  return error.dump();
}

std::string dropped_notice(std::string_view reason) {
  nlohmann::json notice = {
      {"jsonrpc", "2.0"}, {"method", kSubscriptionDroppedMethod}, {"params", {{"reason", reason}}}};
  return notice.dump();
}

Response make_response(http::status status, unsigned version, bool keep_alive, std::string body) {
  Response res{status, version};
  if (!body.empty()) res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

bool is_json_content_type(std::string_view value) {
  auto end = value.find(';');
  std::string_view media = value.substr(0, end);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  return iequals(media, "application/json");
}

// "127.0.0.1:8645" -> "127.0.0.1", "[::1]:8645" -> "[::1]", "localhost" -> "localhost".
std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  auto colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos) {
    return host.substr(0, colon);
  }
  return host;
}

// Read errors that mean the client was too slow (counted as read_timeouts).
bool is_timeout(const SystemError& ec) { return ec == beast::error::timeout; }

}  // namespace

// A live connection, as the server's registry sees it.
class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  // From any thread: ends the connection soon (after the response being produced, if any).
  virtual void shutdown() = 0;
  // From any thread: closes the socket now.
  virtual void force_close() = 0;
};

struct Server::Shared {
  Shared(asio::io_context& io_context, ServerOptions opts) : io(io_context), options(std::move(opts)) {}

  asio::io_context& io;
  const ServerOptions options;
  std::optional<ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // used on the io_context's thread

  std::mutex mutex;
  std::condition_variable connections_changed;
  std::map<uint64_t, std::weak_ptr<ServerConnection>> connections;  // guarded by mutex
  uint64_t next_connection = 0;                                     // guarded by mutex
  bool stopping = false;                                            // guarded by mutex

  std::atomic<uint64_t> in_flight{0};
  std::atomic<uint64_t> websocket_open{0};
  struct Counters {
    std::atomic<uint64_t> connections_accepted{0}, http_requests{0}, websocket_messages{0},
        rejected_connection_limit{0}, rejected_websocket_limit{0}, rejected_host{0}, rejected_origin{0},
        rejected_unauthorized{0}, rejected_rate_limited{0}, rejected_busy{0}, rejected_body_too_large{0},
        rejected_header_too_large{0}, rejected_bad_request{0}, timeouts{0}, read_timeouts{0},
        subscribers_dropped{0}, page_requests{0};
  } counters;

  // An allowed_hosts entry with a port matches exactly; one without matches any port.
  bool host_allowed(std::string_view host) const {
    std::string_view name = host_without_port(host);
    return std::any_of(options.allowed_hosts.begin(), options.allowed_hosts.end(),
                       [&](const std::string& allowed) {
                         return allowed == "*" || iequals(host, allowed) || iequals(name, allowed);
                       });
  }
  // Same-origin (http:// or https:// and an allowed host), or listed in allowed_origins.
  bool origin_allowed(std::string_view origin) const {
    for (std::string_view scheme : {"http://", "https://"}) {
      if (origin.size() > scheme.size() && iequals(origin.substr(0, scheme.size()), scheme) &&
          host_allowed(origin.substr(scheme.size()))) {
        return true;
      }
    }
    return std::any_of(options.allowed_origins.begin(), options.allowed_origins.end(),
                       [&](const std::string& allowed) { return iequals(origin, allowed); });
  }
};

namespace {

using Shared = Server::Shared;

// A connection's place in the registry (and in connections_open) for as long as it lives;
// moves from the HTTP session to the WebSocket session at an upgrade.
class ConnectionSlot {
 public:
  ConnectionSlot(std::shared_ptr<Shared> shared, uint64_t id) : shared_(std::move(shared)), id_(id) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept : shared_(std::move(other.shared_)), id_(other.id_) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (!shared_) return;
    std::lock_guard lock(shared_->mutex);
    shared_->connections.erase(id_);
    shared_->connections_changed.notify_all();
  }
  void attach(const std::shared_ptr<ServerConnection>& connection) const {
    std::lock_guard lock(shared_->mutex);
    shared_->connections[id_] = connection;
  }

 private:
  std::shared_ptr<Shared> shared_;
  uint64_t id_;
};

// One request counted against max_in_flight for as long as it lives; empty when the server
// is at the limit.
class InFlight {
 public:
  explicit InFlight(Shared& shared) : shared_(shared) {
    admitted_ = shared_.in_flight.fetch_add(1) < shared_.options.max_in_flight;
    if (!admitted_) shared_.in_flight.fetch_sub(1);
  }
  ~InFlight() {
    if (admitted_) shared_.in_flight.fetch_sub(1);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  explicit operator bool() const { return admitted_; }

 private:
  Shared& shared_;
  bool admitted_;
};

// What became of a request handed to the RequestHandler.
struct Outcome {
  bool timed_out = false;
  std::optional<std::string> response;
};

// The meeting point of a handler's `done` (any thread, any time) and the coroutine waiting
// for it (on the connection's strand, until the request timeout).
struct PendingCall {
  std::mutex mutex;
  bool abandoned = false;               // the waiter is gone: `done` does nothing
  std::optional<Outcome> outcome;       // set on the strand
  asio::steady_timer* timer = nullptr;  // the waiter's, valid while !abandoned
};

// Runs the RequestHandler for `body` and waits (up to request_timeout) for its answer.
// `body` and `context` are moved from (references, not values: GCC 12 destroys temporaries
// in a co_await expression twice).
asio::awaitable<Outcome> call_handler(Shared& shared, std::string& body, CallContext& context) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  auto call = std::make_shared<PendingCall>();
  call->timer = &timer;
  struct Abandon {
    std::shared_ptr<PendingCall> call;
    ~Abandon() {
      std::lock_guard lock(call->mutex);
      call->abandoned = true;
    }
  } abandon{call};

  auto done = [call, executor](std::optional<std::string> response) {
    std::lock_guard lock(call->mutex);
    if (call->abandoned) return;
    asio::post(executor, [call, response = std::move(response)]() mutable {
      std::lock_guard inner(call->mutex);
      if (call->abandoned || call->outcome) return;  // timed out already, or `done` called twice
      call->outcome = Outcome{false, std::move(response)};
      call->timer->cancel();
    });
  };
  try {
    shared.options.handler(std::move(body), std::move(context), std::move(done));
  } catch (const std::exception& e) {
    co_return Outcome{false, error_body(error_code::internal_error, e.what())};
  }

  timer.expires_after(shared.options.request_timeout);
  {
    std::lock_guard lock(call->mutex);
    if (call->outcome) co_return std::move(*call->outcome);
  }
  SystemError ec;
  co_await timer.async_wait(redirect(ec));
  std::lock_guard lock(call->mutex);
  if (call->outcome) co_return std::move(*call->outcome);
  call->abandoned = true;  // a late `done` is ignored
  shared.counters.timeouts.fetch_add(1);
  co_return Outcome{true, std::nullopt};
}

// The part of a WebSocket session its notification queue talks to.
class WsControl : public ServerConnection {
 public:
  virtual void queue_ready() = 0;       // on the strand: messages are waiting
  virtual void queue_overflowed() = 0;  // on the strand: the queue filled up
};

// A WebSocket connection's bounded queue of outgoing text frames (responses and
// notifications, in order). Thread-safe.
class WsQueue final : public NotificationSink {
 public:
  WsQueue(size_t limit, asio::any_io_executor executor, std::weak_ptr<WsControl> owner)
      : limit_(limit), executor_(std::move(executor)), owner_(std::move(owner)) {}

  bool send(std::string text) override {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (queue_.size() >= limit_) {
      // Drop the subscriber: no more frames but the final notice (written by the session).
      closed_ = true;
      overflowed_ = true;
      queue_.clear();
      asio::post(executor_, [owner = owner_] {
        if (auto session = owner.lock()) session->queue_overflowed();
      });
      return false;
    }
    queue_.push_back(std::move(text));
    if (!wake_pending_) {
      wake_pending_ = true;
      asio::post(executor_, [owner = owner_] {
        if (auto session = owner.lock()) session->queue_ready();
      });
    }
    return true;
  }

  // The next frame to write, or nullopt when the queue is empty (a later send() wakes the
  // writer through queue_ready()).
  std::optional<std::string> pop() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      wake_pending_ = false;
      return std::nullopt;
    }
    std::string next = std::move(queue_.front());
    queue_.pop_front();
    return next;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queue_.clear();
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  bool overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
  }

 private:
  const size_t limit_;
  const asio::any_io_executor executor_;
  const std::weak_ptr<WsControl> owner_;
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;  // guarded by mutex_
  bool closed_ = false;            // guarded by mutex_
  bool wake_pending_ = false;      // guarded by mutex_
  bool overflowed_ = false;        // guarded by mutex_
};

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

// A WebSocket connection after the upgrade: reads one JSON-RPC request or batch per text
// message and answers through the same ordered, bounded queue its notifications use.
template <class Stream>
class WsSession final : public WsControl, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(std::shared_ptr<Shared> shared, Stream&& stream, ConnectionSlot slot, Caller caller)
      : shared_(std::move(shared)),
        ws_(std::move(stream)),
        slot_(std::move(slot)),
        caller_(std::move(caller)),
        wake_(ws_.get_executor()),
        drop_timer_(ws_.get_executor()) {
    shared_->websocket_open.fetch_add(1);
  }
  ~WsSession() override {
    if (queue_) queue_->close();  // publishers holding the sink see a closed connection
    shared_->websocket_open.fetch_sub(1);
  }

  // Serves the connection on the calling coroutine; `self` is this session.
  asio::awaitable<void> run(const std::shared_ptr<WsSession>& self, const Request& request) {
    slot_.attach(self);
    co_await serve(request);
  }

  void shutdown() override { force_close(); }
  void force_close() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->close_socket(); });
  }
  void queue_ready() override { wake_.cancel(); }
  void queue_overflowed() override {
    shared_->counters.subscribers_dropped.fetch_add(1);
    wake_.cancel();
    // The subscriber may not be reading at all: its socket closes after the grace period
    // whether or not the notice got out.
    drop_timer_.expires_after(shared_->options.drop_grace);
    drop_timer_.async_wait([self = this->shared_from_this()](SystemError ec) {
      if (!ec) self->close_socket();
    });
  }

 private:
  asio::awaitable<void> serve(const Request& request) {
    const ServerOptions& options = shared_->options;
    queue_ = std::make_shared<WsQueue>(options.websocket_queue_messages, ws_.get_executor(),
                                       std::weak_ptr<WsControl>(this->shared_from_this()));
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts from here
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.header_timeout;
    timeouts.idle_timeout = options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(options.max_websocket_message_bytes);
    SystemError ec;
    co_await ws_.async_accept(request, redirect(ec));
    if (ec) co_return;

    asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), asio::detached);
    co_await read_loop();
    if (!queue_->overflowed()) {  // else the writer sends the final notice, then closes
      queue_->close();
      close_socket();
    }
  }

  asio::awaitable<void> read_loop() {
    const ServerOptions& options = shared_->options;
    for (;;) {
      beast::flat_buffer buffer;
      SystemError ec;
      co_await ws_.async_read(buffer, redirect(ec));
      if (ec == websocket::error::message_too_big) shared_->counters.rejected_body_too_large.fetch_add(1);
      if (is_timeout(ec)) shared_->counters.read_timeouts.fetch_add(1);
      if (ec) co_return;
      std::string message = beast::buffers_to_string(buffer.data());
      std::string answer;
      if (!ws_.got_text()) {
        shared_->counters.rejected_bad_request.fetch_add(1);
        answer = error_body(error_code::invalid_request, "binary frames are not JSON-RPC requests");
      } else if (!options.admit(caller_.client)) {
        shared_->counters.rejected_rate_limited.fetch_add(1);
        answer = error_body(error_code::rate_limited, "rate limit exceeded", message);
      } else {
        InFlight slot(*shared_);
        if (!slot) {
          shared_->counters.rejected_busy.fetch_add(1);
          answer = error_body(error_code::busy, "too many requests in flight", message);
        } else {
          shared_->counters.websocket_messages.fetch_add(1);
          std::string body = message;
          CallContext context{caller_, queue_};
          Outcome outcome = co_await call_handler(*shared_, body, context);
          if (outcome.timed_out) {
            answer = error_body(error_code::timeout, "request timed out", message);
          } else if (outcome.response) {
            answer = std::move(*outcome.response);
          }
        }
      }
      if (!answer.empty() && !queue_->send(std::move(answer))) co_return;
    }
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<WsSession> self) { co_await self->write_frames(); }

  asio::awaitable<void> write_frames() {
    SystemError ec;
    for (;;) {
      if (queue_->overflowed()) {
        ws_.text(true);
        const std::string notice = dropped_notice("notification queue full");
        co_await ws_.async_write(asio::buffer(notice), redirect(ec));
        close_socket();
        co_return;
      }
      std::optional<std::string> next = queue_->pop();
      if (!next) {
        if (queue_->closed()) co_return;
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(redirect(ec));
        continue;
      }
      ws_.text(true);
      co_await ws_.async_write(asio::buffer(*next), redirect(ec));
      if (ec) {
        queue_->close();
        co_return;
      }
    }
  }

  void close_socket() {
    SystemError ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    drop_timer_.cancel();
    wake_.cancel();
  }

  std::shared_ptr<Shared> shared_;
  websocket::stream<Stream> ws_;
  ConnectionSlot slot_;
  Caller caller_;
  std::shared_ptr<WsQueue> queue_;
  asio::steady_timer wake_;        // the writer waits on it for frames
  asio::steady_timer drop_timer_;  // closes a dropped subscriber's socket
};

// An HTTP connection: reads requests (keep-alive), answers JSON-RPC POSTs, and hands a
// WebSocket upgrade over to a WsSession.
template <class Stream>
class HttpSession final : public ServerConnection, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<Shared> shared, Stream stream, ConnectionSlot slot, tcp::endpoint remote)
      : shared_(std::move(shared)), stream_(std::move(stream)), slot_(std::move(slot)) {
    auto address = remote.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    remote_ip_ = address.to_string();
    remote_is_loopback_ = address.is_loopback();
  }

  static asio::awaitable<void> run(std::shared_ptr<HttpSession> self) {
    self->slot_.attach(self);
    co_await self->serve();
  }

  void shutdown() override {
    asio::post(executor(), [self = this->shared_from_this()] {
      self->stop_requested_ = true;
      if (!self->busy_) self->close_socket();
    });
  }
  void force_close() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->close_socket(); });
  }

 private:
  asio::any_io_executor executor() { return beast::get_lowest_layer(stream_).get_executor(); }

  void close_socket() {
    if (upgraded_) return;  // the WebSocket session owns the stream now
    beast::get_lowest_layer(stream_).close();
  }

  void note_read_error(const SystemError& ec) {
    if (is_timeout(ec)) shared_->counters.read_timeouts.fetch_add(1);
  }

  asio::awaitable<void> serve() {
    const ServerOptions& options = shared_->options;
    auto& lowest = beast::get_lowest_layer(stream_);
    SystemError ec;
    if constexpr (kIsTls<Stream>) {
      lowest.expires_after(options.header_timeout);
      co_await stream_.async_handshake(ssl::stream_base::server, redirect(ec));
      if (ec) {
        note_read_error(ec);
        co_return;
      }
    }
    while (!stop_requested_) {
      // Idle until the next request starts, then the header and body have their own limits.
      if (buffer_.size() == 0) {
        lowest.expires_after(options.idle_timeout);
        size_t n = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), redirect(ec));
        if (ec) break;
        buffer_.commit(n);
      }
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
      parser.body_limit(options.max_body_bytes);
      lowest.expires_after(options.header_timeout);
      co_await http::async_read_header(stream_, buffer_, parser, redirect(ec));
      if (ec == http::error::body_limit) {  // a Content-Length over the limit
        shared_->counters.rejected_body_too_large.fetch_add(1);
        response_ = make_response(http::status::payload_too_large, 11, false,
                                  error_body(error_code::limit_exceeded, "request body too large"));
        co_await write_response();
        break;
      }
      if (ec == http::error::header_limit) {
        shared_->counters.rejected_header_too_large.fetch_add(1);
        response_ = make_response(http::status::request_header_fields_too_large, 11, false,
                                  error_body(error_code::limit_exceeded, "request header too large"));
        co_await write_response();
        break;
      }
      if (ec) {
        const bool malformed = ec.category() == http::make_error_code(http::error::bad_version).category() &&
                               ec != http::error::end_of_stream && ec != http::error::partial_message;
        if (malformed) {
          shared_->counters.rejected_bad_request.fetch_add(1);
          response_ = make_response(http::status::bad_request, 11, false,
                                    error_body(error_code::invalid_request, "malformed HTTP request"));
          co_await write_response();
        }
        break;
      }
      const bool open = co_await handle(parser);
      if (!open) break;
    }
    if (upgraded_) co_return;
    if (ec == beast::error::timeout) note_read_error(ec);
    co_await close_gracefully();
  }

  // One request whose header has been read. Whether the connection stays open.
  asio::awaitable<bool> handle(http::request_parser<http::string_body>& parser) {
    const ServerOptions& options = shared_->options;
    auto& counters = shared_->counters;
    const Request& head = parser.get();
    const unsigned version = head.version();
    // Refusals before the body is read close the connection (the body is never read).
    auto refuse = [&](http::status status, int code, std::string_view message) {
      return make_response(status, version, false, error_body(code, message));
    };

    if (!shared_->host_allowed(sv(head[http::field::host]))) {
      counters.rejected_host.fetch_add(1);
      response_ = refuse(http::status::forbidden, error_code::forbidden,
                         "Host header not allowed (DNS rebinding protection); see --rpc-allow-host");
      co_await write_response();
      co_return false;
    }
    if (websocket::is_upgrade(head)) co_return co_await upgrade(parser);
    const bool page_verb = head.method() == http::verb::get || head.method() == http::verb::head;
    if (page_verb && options.pages) co_return co_await serve_page(parser);
    if (head.target() != "/") {
      counters.rejected_bad_request.fetch_add(1);
      response_ = refuse(http::status::not_found, error_code::invalid_request, "not found: POST / only");
      co_await write_response();
      co_return false;
    }
    if (head.method() != http::verb::post) {
      counters.rejected_bad_request.fetch_add(1);
      Response res = refuse(http::status::method_not_allowed, error_code::invalid_request,
                            "method not allowed: JSON-RPC requests are POSTed");
      res.set(http::field::allow, options.pages ? "GET, HEAD, POST" : "POST");
      response_ = std::move(res);
      co_await write_response();
      co_return false;
    }
    if (!is_json_content_type(sv(head[http::field::content_type]))) {
      counters.rejected_bad_request.fetch_add(1);
      response_ = refuse(http::status::unsupported_media_type, error_code::invalid_request,
                         "Content-Type must be application/json");
      co_await write_response();
      co_return false;
    }
    SystemError ec;
    beast::get_lowest_layer(stream_).expires_after(options.body_timeout);
    co_await http::async_read(stream_, buffer_, parser, redirect(ec));
    if (ec == http::error::body_limit) {
      counters.rejected_body_too_large.fetch_add(1);
      response_ =
          refuse(http::status::payload_too_large, error_code::limit_exceeded, "request body too large");
      co_await write_response();
      co_return false;
    }
    if (ec) {
      note_read_error(ec);
      co_return false;
    }
    Request request = parser.release();
    const bool keep_alive = request.keep_alive();
    auto answer = [&](http::status status, std::string body) {
      return make_response(status, version, keep_alive && !stop_requested_, std::move(body));
    };

    std::optional<std::string_view> authorization;
    if (auto it = request.find(http::field::authorization); it != request.end())
      authorization = sv(it->value());
    std::optional<Caller> caller = options.authenticate(authorization, remote_ip_, remote_is_loopback_);
    if (!caller) {
      counters.rejected_unauthorized.fetch_add(1);
      Response res = answer(http::status::unauthorized,
                            error_body(error_code::unauthorized, "unauthorized", request.body()));
      res.set(http::field::www_authenticate, "Basic realm=\"cairn\"");
      response_ = std::move(res);
      co_return co_await write_response();
    }
    if (!options.admit(caller->client)) {
      counters.rejected_rate_limited.fetch_add(1);
      response_ = answer(http::status::too_many_requests,
                         error_body(error_code::rate_limited, "rate limit exceeded", request.body()));
      response_.set(http::field::retry_after, "1");  // a token refills within a second
      co_return co_await write_response();
    }
    InFlight slot(*shared_);
    if (!slot) {
      counters.rejected_busy.fetch_add(1);
      response_ = answer(http::status::service_unavailable,
                         error_body(error_code::busy, "too many requests in flight", request.body()));
      response_.set(http::field::retry_after, "1");
      co_return co_await write_response();
    }

    counters.http_requests.fetch_add(1);
    busy_ = true;
    std::string body = request.body();
    CallContext context{std::move(*caller), nullptr};
    Outcome outcome = co_await call_handler(*shared_, body, context);
    Response res;
    if (outcome.timed_out) {
      res = answer(http::status::gateway_timeout,
                   error_body(error_code::timeout, "request timed out", request.body()));
    } else if (outcome.response) {
      res = answer(http::status::ok, std::move(*outcome.response));
    } else {
      res = answer(http::status::no_content, {});
    }
    response_ = std::move(res);
    const bool open = co_await write_response();
    busy_ = false;
    co_return open;
  }

  // A GET or HEAD for the PageHandler: admitted by the remote address's token bucket (pages
  // are for anyone who reaches the listener; the handler decides who may see what), then
  // answered with the handler's page, or 404. Whether the connection stays open.
  asio::awaitable<bool> serve_page(http::request_parser<http::string_body>& parser) {
    const ServerOptions& options = shared_->options;
    auto& counters = shared_->counters;
    SystemError ec;
    beast::get_lowest_layer(stream_).expires_after(options.body_timeout);
    co_await http::async_read(stream_, buffer_, parser, redirect(ec));  // a GET body is read and ignored
    if (ec == http::error::body_limit) {
      counters.rejected_body_too_large.fetch_add(1);
      response_ = make_response(http::status::payload_too_large, parser.get().version(), false,
                                error_body(error_code::limit_exceeded, "request body too large"));
      co_await write_response();
      co_return false;
    }
    if (ec) {
      note_read_error(ec);
      co_return false;
    }
    const Request request = parser.release();
    const bool keep_alive = request.keep_alive() && !stop_requested_;
    const bool head = request.method() == http::verb::head;
    auto text = [&](http::status status, std::string body) {
      Response res{status, request.version()};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.keep_alive(keep_alive);
      res.body() = std::move(body);
      res.prepare_payload();
      return res;
    };
    if (!options.admit(remote_ip_)) {
      counters.rejected_rate_limited.fetch_add(1);
      response_ = text(http::status::too_many_requests, "rate limit exceeded\n");
      response_.set(http::field::retry_after, "1");
      co_return co_await write_response();
    }
    counters.page_requests.fetch_add(1);

    const std::string_view target = sv(request.target());
    const size_t question = target.find('?');
    PageRequest page_request;
    page_request.path = target.substr(0, question);
    if (question != std::string_view::npos) page_request.query = target.substr(question + 1);
    if (auto it = request.find(http::field::authorization); it != request.end())
      page_request.authorization = sv(it->value());
    if (auto it = request.find(http::field::if_none_match); it != request.end())
      page_request.if_none_match = sv(it->value());
    page_request.remote_ip = remote_ip_;
    page_request.remote_is_loopback = remote_is_loopback_;
    page_request.head = head;

    std::optional<Page> page;
    try {
      page = options.pages(page_request);
    } catch (const std::exception& e) {
      page = Page{500, "text/plain; charset=utf-8", std::string("page failed: ") + e.what() + "\n", {}};
    }
    if (!page) {
      counters.rejected_bad_request.fetch_add(1);
      response_ = text(http::status::not_found, "not found\n");
    } else {
      Response res{static_cast<http::status>(page->status), request.version()};
      if (!page->content_type.empty()) res.set(http::field::content_type, page->content_type);
      for (const auto& [name, value] : page->headers) res.set(name, value);
      res.keep_alive(keep_alive);
      res.body() = std::move(page->body);
      res.prepare_payload();
      response_ = std::move(res);
    }
    if (head) {
      // The headers of the GET, Content-Length included, without the body.
      const uint64_t length = response_.body().size();
      response_.body().clear();
      response_.content_length(length);
    }
    co_return co_await write_response();
  }

  // Checks a WebSocket upgrade request and, when it passes, serves the WebSocket on this
  // coroutine. Always ends the HTTP session (false).
  asio::awaitable<bool> upgrade(http::request_parser<http::string_body>& parser) {
    const ServerOptions& options = shared_->options;
    auto& counters = shared_->counters;
    SystemError ec;
    beast::get_lowest_layer(stream_).expires_after(options.body_timeout);
    co_await http::async_read(stream_, buffer_, parser, redirect(ec));  // upgrades have no body
    if (ec) co_return false;
    Request request = parser.release();
    const unsigned version = request.version();
    auto refuse = [&](http::status status, int code, std::string_view message) {
      return make_response(status, version, false, error_body(code, message));
    };

    if (auto origin = request.find(http::field::origin);
        origin != request.end() && !shared_->origin_allowed(sv(origin->value()))) {
      counters.rejected_origin.fetch_add(1);
      response_ = refuse(http::status::forbidden, error_code::forbidden,
                         "Origin not allowed (cross-site WebSocket); see --rpc-allow-origin");
      co_await write_response();
      co_return false;
    }
    std::optional<std::string_view> authorization;
    if (auto it = request.find(http::field::authorization); it != request.end())
      authorization = sv(it->value());
    std::optional<Caller> caller = options.authenticate(authorization, remote_ip_, remote_is_loopback_);
    if (!caller) {
      counters.rejected_unauthorized.fetch_add(1);
      Response res = refuse(http::status::unauthorized, error_code::unauthorized, "unauthorized");
      res.set(http::field::www_authenticate, "Basic realm=\"cairn\"");
      response_ = std::move(res);
      co_await write_response();
      co_return false;
    }
    if (shared_->websocket_open.load() >= options.max_websocket_connections) {
      counters.rejected_websocket_limit.fetch_add(1);
      response_ =
          refuse(http::status::service_unavailable, error_code::busy, "too many WebSocket connections");
      co_await write_response();
      co_return false;
    }

    upgraded_ = true;
    auto session = std::make_shared<WsSession<Stream>>(shared_, std::move(stream_), std::move(slot_),
                                                       std::move(*caller));
    co_await session->run(session, request);
    co_return false;
  }

  // Writes response_ (bounded by body_timeout). Whether the connection stays open.
  // (Responses go through a member, not a parameter: GCC 12 destroys temporaries in a
  // co_await expression twice.)
  asio::awaitable<bool> write_response() {
    SystemError ec;
    beast::get_lowest_layer(stream_).expires_after(shared_->options.body_timeout);
    co_await http::async_write(stream_, response_, redirect(ec));
    co_return !ec && response_.keep_alive();
  }

  asio::awaitable<void> close_gracefully() {
    SystemError ec;
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(shared_->options.header_timeout);
      co_await stream_.async_shutdown(redirect(ec));
    } else {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    beast::get_lowest_layer(stream_).close();
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  Response response_;  // the one being written
  std::string remote_ip_;
  bool remote_is_loopback_ = false;
  bool busy_ = false;            // a request is being handled: shutdown() waits for its response
  bool stop_requested_ = false;  // the server is stopping: no further requests
  bool upgraded_ = false;        // stream_ moved to a WsSession
};

asio::awaitable<void> accept_loop(std::shared_ptr<Shared> shared, tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket socket(asio::make_strand(shared->io));
    SystemError ec;
    co_await acceptor.async_accept(socket, redirect(ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or the like: back off instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(redirect(ec));
      continue;
    }
    shared->counters.connections_accepted.fetch_add(1);
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) continue;
    uint64_t id = 0;
    {
      std::lock_guard lock(shared->mutex);
      if (shared->stopping) co_return;
      if (shared->connections.size() >= shared->options.max_connections) {
        shared->counters.rejected_connection_limit.fetch_add(1);
        socket.close(ec);
        continue;
      }
      id = shared->next_connection++;
      shared->connections[id];  // reserved until the session attaches
    }
    ConnectionSlot slot(shared, id);
    auto executor = socket.get_executor();
    if (shared->tls) {
      using Stream = beast::ssl_stream<beast::tcp_stream>;
      auto session = std::make_shared<HttpSession<Stream>>(shared, Stream(std::move(socket), *shared->tls),
                                                           std::move(slot), remote);
      asio::co_spawn(executor, HttpSession<Stream>::run(session), asio::detached);
    } else {
      auto session = std::make_shared<HttpSession<beast::tcp_stream>>(
          shared, beast::tcp_stream(std::move(socket)), std::move(slot), remote);
      asio::co_spawn(executor, HttpSession<beast::tcp_stream>::run(session), asio::detached);
    }
  }
}

}  // namespace
}  // namespace cairn::rpc

namespace cairn::rpc {

Result<std::unique_ptr<Server>> Server::start(asio::io_context& io, ServerOptions options) {
  if (options.listen.empty()) return Error(ErrorCode::invalid_argument, "rpc server: nothing to listen on");
  if (!options.handler || !options.authenticate || !options.admit) {
    return Error(ErrorCode::invalid_argument, "rpc server: handler, authenticate and admit are required");
  }
  if (options.allowed_hosts.empty()) {
    return Error(ErrorCode::invalid_argument,
                 "rpc server: no allowed Host values (every request would get 403)");
  }
  if (options.max_connections == 0 || options.max_in_flight == 0 || options.websocket_queue_messages == 0) {
    return Error(ErrorCode::invalid_argument,
                 "rpc server: connection, in-flight and queue limits must be positive");
  }
  auto shared = std::make_shared<Shared>(io, std::move(options));
  const ServerOptions& opts = shared->options;
  if (opts.tls) {
    shared->tls.emplace(ssl::context::tls_server);
    auto& context = *shared->tls;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    SystemError ec;
    context.use_certificate_chain_file(opts.tls->certificate_chain_file, ec);
    if (ec)
      return Error(ErrorCode::io,
                   "rpc server: certificate chain " + opts.tls->certificate_chain_file + ": " + ec.message());
    context.use_private_key_file(opts.tls->private_key_file, ssl::context::pem, ec);
    if (ec)
      return Error(ErrorCode::io,
                   "rpc server: private key " + opts.tls->private_key_file + ": " + ec.message());
  }

  std::vector<tcp::endpoint> bound;
  for (const auto& endpoint : opts.listen) {
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    SystemError ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) bound.push_back(acceptor->local_endpoint(ec));
    if (ec) {
      std::ostringstream where;
      where << endpoint;
      return Error(ErrorCode::io, "rpc server: listen on " + where.str() + ": " + ec.message());
    }
    shared->acceptors.push_back(std::move(acceptor));
  }
  for (auto& acceptor : shared->acceptors) {
    asio::co_spawn(io, accept_loop(shared, *acceptor), asio::detached);
  }
  return std::unique_ptr<Server>(new Server(std::move(shared), std::move(bound)));
}

Server::~Server() { stop(); }

ServerStats Server::stats() const {
  const auto& c = shared_->counters;
  ServerStats s;
  s.connections_accepted = c.connections_accepted.load();
  {
    std::lock_guard lock(shared_->mutex);
    s.connections_open = shared_->connections.size();
  }
  s.websocket_open = shared_->websocket_open.load();
  s.http_requests = c.http_requests.load();
  s.websocket_messages = c.websocket_messages.load();
  s.in_flight = shared_->in_flight.load();
  s.rejected_connection_limit = c.rejected_connection_limit.load();
  s.rejected_websocket_limit = c.rejected_websocket_limit.load();
  s.rejected_host = c.rejected_host.load();
  s.rejected_origin = c.rejected_origin.load();
  s.rejected_unauthorized = c.rejected_unauthorized.load();
  s.rejected_rate_limited = c.rejected_rate_limited.load();
  s.rejected_busy = c.rejected_busy.load();
  s.rejected_body_too_large = c.rejected_body_too_large.load();
  s.rejected_header_too_large = c.rejected_header_too_large.load();
  s.rejected_bad_request = c.rejected_bad_request.load();
  s.timeouts = c.timeouts.load();
  s.read_timeouts = c.read_timeouts.load();
  s.subscribers_dropped = c.subscribers_dropped.load();
  s.page_requests = c.page_requests.load();
  return s;
}

bool Server::stop() {
  auto shared = shared_;
  std::vector<std::shared_ptr<ServerConnection>> open;
  {
    std::lock_guard lock(shared->mutex);
    if (!shared->stopping) {
      shared->stopping = true;
      asio::post(shared->io, [shared] {
        for (auto& acceptor : shared->acceptors) {
          SystemError ignored;
          acceptor->close(ignored);
        }
      });
    }
    for (auto& [id, weak] : shared->connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) connection->shutdown();
  open.clear();
  if (shared->io.get_executor().running_in_this_thread() || shared->io.stopped()) return false;

  std::unique_lock lock(shared->mutex);
  const auto deadline = std::chrono::steady_clock::now() + shared->options.stop_timeout;
  if (shared->connections_changed.wait_until(lock, deadline, [&] { return shared->connections.empty(); })) {
    return true;
  }
  // Requests still running past the deadline: cut their connections.
  for (auto& [id, weak] : shared->connections) {
    if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  lock.unlock();
  for (auto& connection : open) connection->force_close();
  return false;
}

}  // namespace cairn::rpc
