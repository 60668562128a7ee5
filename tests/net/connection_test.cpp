// Connection-level behaviour: private networks (pnet) between hosts, and graceful close.
#include "net/connection.h"

#include <future>
#include <mutex>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include "net/host.h"
#include "net/host_support.h"

namespace cairn::net {
namespace {

using asio::ip::tcp;
using testing::IoThread;
using testing::run;

// Log lines from every connection of a test, readable from the test thread.
class Log {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  bool has(std::string_view text) const {
    std::lock_guard lock(mutex_);
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const std::string& line) { return line.find(text) != std::string::npos; });
  }
  // Waits up to `timeout` for a line containing `text`.
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    const auto deadline = SteadyClock::now() + timeout;
    while (!has(text)) {
      if (SteadyClock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

Psk psk_of(uint8_t fill) { return Psk::from_bytes(Bytes(kPskLength, fill)).value(); }

HostOptions with_psk(Log& log, std::optional<Psk> psk) {
  HostOptions options;
  options.log = log.sink();
  options.connection.psk = std::move(psk);
  // A wrong key makes multistream read garbage that may announce a long message: bound it.
  options.connection.handshake_read_timeout = std::chrono::seconds(1);
  options.connection.handshake_timeout = std::chrono::seconds(2);
  return options;
}

struct Node {
  Node(asio::io_context& io, HostOptions options)
      : host(Host::create(io, KeyPair::generate(), std::move(options))),
        address(host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value()) {}
  ~Node() { host->stop(); }
  Multiaddr dial_address() const { return address.with_peer_id(host->peer_id()).value(); }
  std::shared_ptr<Host> host;
  Multiaddr address;
};

TEST(Pnet, HostsWithTheSameKeyConnectIdentifyAndPing) {
  Log log;  // outlives the io thread
  IoThread thread;
  Node a(thread.io, with_psk(log, psk_of(1)));
  Node b(thread.io, with_psk(log, psk_of(1)));
  auto dialled = run(thread.io, a.host->dial(b.dial_address()));
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout") << log.all();
  auto info = run(thread.io, a.host->identify(b.host->peer_id()));
  ASSERT_TRUE(info && info->ok()) << (info ? info->error().to_string() : "timeout");
  EXPECT_EQ((*info)->agent_version, "cairn/0.1.0");
  auto rtt = run(thread.io, a.host->ping(b.host->peer_id()));
  ASSERT_TRUE(rtt && rtt->ok()) << (rtt ? rtt->error().to_string() : "timeout");
}

void expect_dial_fails(std::optional<Psk> dialer_key, std::optional<Psk> listener_key) {
  Log log;  // outlives the io thread
  IoThread thread;
  Node a(thread.io, with_psk(log, std::move(dialer_key)));
  Node b(thread.io, with_psk(log, std::move(listener_key)));
  const auto start = SteadyClock::now();
  auto dialled = run(thread.io, a.host->dial(b.dial_address()));
  ASSERT_TRUE(dialled) << "the dial did not end";
  ASSERT_FALSE(dialled->ok());
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(3));
  EXPECT_NE(dialled->error().message.find("connection closed"), std::string::npos)
      << dialled->error().message;
  EXPECT_FALSE(a.host->connected(b.host->peer_id()));
  EXPECT_FALSE(b.host->connected(a.host->peer_id()));
  // Each side gave up with a logged reason (both closed, nothing crashed).
  EXPECT_TRUE(log.wait_for("closed:")) << log.all();
}

TEST(Pnet, DifferentKeysFailTheUpgrade) { expect_dial_fails(psk_of(1), psk_of(2)); }
TEST(Pnet, KeyAgainstNoKeyFailsTheUpgrade) { expect_dial_fails(psk_of(1), std::nullopt); }
TEST(Pnet, NoKeyAgainstKeyFailsTheUpgrade) { expect_dial_fails(std::nullopt, psk_of(1)); }

TEST(Pnet, APeerThatSendsNoNonceIsDroppedAfterTheNonceTimeout) {
  Log log;  // outlives the io thread
  IoThread thread;
  HostOptions options = with_psk(log, psk_of(1));
  options.connection.pnet_nonce_timeout = std::chrono::milliseconds(200);
  Node server(thread.io, std::move(options));
  const TcpDialTarget target = server.address.tcp_dial_target().value();
  auto silent = [&]() -> asio::awaitable<Bytes> {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(tcp::endpoint(asio::ip::make_address(target.host), target.port),
                                  asio::use_awaitable);
    Bytes received, buffer(256);
    boost::system::error_code ec;
    while (!ec) {
      const size_t n = co_await socket.async_read_some(asio::buffer(buffer),
                                                       asio::redirect_error(asio::use_awaitable, ec));
      received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
    co_return received;
  };
  const auto start = SteadyClock::now();
  auto received = run(thread.io, silent(), std::chrono::seconds(5));
  ASSERT_TRUE(received) << "the server kept the connection open";
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(1));
  // It sent its nonce and then whatever it had queued (its encrypted multistream header).
  EXPECT_GE(received->size(), kPnetNonceLength);
  EXPECT_TRUE(log.wait_for("pnet: no nonce from the peer in time")) << log.all();
}

// ---- graceful close, on two bare connections over loopback --------------------------------

constexpr auto kWait = std::chrono::seconds(5);

// Starts `op` on `executor`; its result arrives in the future. (co_spawn's use_future needs
// a default-constructible result, which Result is not.)
template <class Executor, class T>
std::future<T> spawn_future(Executor executor, asio::awaitable<T> op) {
  auto done = std::make_shared<std::promise<T>>();
  auto future = done->get_future();
  asio::co_spawn(
      executor,
      [op = std::move(op), done]() mutable -> asio::awaitable<void> {
        done->set_value(co_await std::move(op));
      },
      asio::detached);
  return future;
}

template <class Executor>
std::future<void> spawn_future(Executor executor, asio::awaitable<void> op) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::co_spawn(
      executor,
      [op = std::move(op), done]() mutable -> asio::awaitable<void> {
        co_await std::move(op);
        done->set_value();
      },
      asio::detached);
  return future;
}

struct Pair {
  explicit Pair(std::function<void(Stream)> on_listener_stream) {
    tcp::acceptor acceptor(thread.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const Strand dialer_strand = asio::make_strand(thread.io);
    const Strand listener_strand = asio::make_strand(thread.io);
    ConnectionOptions options;
    dialer = std::make_shared<Connection>(dialer_strand, tcp::socket(dialer_strand), Direction::outbound,
                                          std::make_shared<const KeyPair>(KeyPair::generate()), options,
                                          callbacks([](Stream) {}));
    auto dialed = spawn_future(dialer_strand, dialer->establish(acceptor.local_endpoint(), std::nullopt));
    tcp::socket accepted(listener_strand);
    acceptor.accept(accepted);
    listener = std::make_shared<Connection>(listener_strand, std::move(accepted), Direction::inbound,
                                            std::make_shared<const KeyPair>(KeyPair::generate()), options,
                                            callbacks(std::move(on_listener_stream)));
    auto listened = spawn_future(listener_strand, listener->establish(std::nullopt, std::nullopt));
    established = dialed.wait_for(kWait) == std::future_status::ready && dialed.get().ok() &&
                  listened.wait_for(kWait) == std::future_status::ready && listened.get().ok();
    if (!established) return;
    asio::co_spawn(dialer_strand, dialer->serve(), asio::detached);
    asio::co_spawn(listener_strand, listener->serve(), asio::detached);
  }
  ~Pair() {
    for (const auto& connection : {dialer, listener}) {
      std::promise<void> done;
      asio::post(connection->strand(), [&] {
        connection->close("test over");
        done.set_value();
      });
      done.get_future().wait_for(kWait);
    }
  }
  Connection::Callbacks callbacks(std::function<void(Stream)> on_stream) {
    return {std::move(on_stream), [](Connection&) {}, log.sink()};
  }
  Log log;  // outlives the io thread, which logs into it
  IoThread thread;
  std::shared_ptr<Connection> dialer;
  std::shared_ptr<Connection> listener;
  bool established = false;
};

std::string as_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }
Bytes as_bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

// The listener answers each stream slowly: it reads the request, waits 300 ms, writes its
// answer and closes its side.
asio::awaitable<void> slow_answer(Stream stream) {
  auto request = co_await stream.read(64);
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(300));
  co_await timer.async_wait(asio::use_awaitable);
  if (request) (void)co_await stream.write(as_bytes_of("answer to " + as_text(*request)));
  (void)co_await stream.close();
}

// The dialer's side: opens a stream, sends `request`, reads the answer to the end.
asio::awaitable<Result<std::string>> ask(std::shared_ptr<Connection> connection, std::string request) {
  CAIRN_CO_TRY(Stream stream, co_await run_on(connection->strand(), connection->open_stream()));
  CAIRN_CO_TRY_STATUS(co_await stream.write(as_bytes_of(request)));
  std::string answer;
  for (;;) {
    CAIRN_CO_TRY(Bytes part, co_await stream.read(1024));
    if (part.empty()) break;
    answer += as_text(part);
  }
  CAIRN_CO_TRY_STATUS(co_await stream.close());
  co_return answer;
}

TEST(GracefulClose, OpenStreamsFinishThenTheConnectionCloses) {
  std::shared_ptr<Pair> pair;
  pair = std::make_shared<Pair>([](Stream stream) {
    const Strand strand = stream.connection().strand();  // before the stream moves
    asio::co_spawn(strand, slow_answer(std::move(stream)), asio::detached);
  });
  ASSERT_TRUE(pair->established) << pair->log.all();
  auto answer = spawn_future(pair->thread.io.get_executor(), ask(pair->dialer, "q1"));
  // The listener holds the stream for 300 ms; shut it down meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = SteadyClock::now();
  auto shut = spawn_future(pair->listener->strand(), pair->listener->shut_down(std::chrono::seconds(4)));
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  auto got = answer.get();
  ASSERT_TRUE(got) << got.error().message << pair->log.all();
  EXPECT_EQ(*got, "answer to q1");
  ASSERT_EQ(shut.wait_for(kWait), std::future_status::ready);
  shut.get();
  // It closed once the stream was done, well before the grace period ran out.
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(pair->listener->closed());
  EXPECT_TRUE(pair->log.has("peer sent GoAway 0")) << pair->log.all();
  EXPECT_TRUE(pair->log.wait_for("closed: shut down")) << pair->log.all();
  EXPECT_FALSE(pair->log.has("still open"));
}

TEST(GracefulClose, NoNewStreamsAfterGoAwayAndTheGraceBoundsTheWait) {
  std::shared_ptr<Pair> pair;
  std::vector<Stream> held;  // the listener never finishes these
  std::mutex held_mutex;
  pair = std::make_shared<Pair>([&](Stream stream) {
    std::lock_guard lock(held_mutex);
    held.push_back(std::move(stream));
  });
  ASSERT_TRUE(pair->established) << pair->log.all();
  auto stuck = spawn_future(pair->thread.io.get_executor(), ask(pair->dialer, "never answered"));
  const auto seen = SteadyClock::now() + kWait;
  while (SteadyClock::now() < seen) {
    {
      std::lock_guard lock(held_mutex);
      if (!held.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto start = SteadyClock::now();
  auto shut =
      spawn_future(pair->listener->strand(), pair->listener->shut_down(std::chrono::milliseconds(300)));
  // The dialer learns of the GoAway and can open no new stream.
  ASSERT_TRUE(pair->log.wait_for("peer sent GoAway 0")) << pair->log.all();
  auto refused = run(pair->thread.io, run_on(pair->dialer->strand(), pair->dialer->open_stream()));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok());
  ASSERT_EQ(shut.wait_for(kWait), std::future_status::ready);
  const auto took = SteadyClock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_TRUE(pair->log.has("1 stream(s) still open after the grace period")) << pair->log.all();
  // The stuck request fails: the connection is gone.
  ASSERT_EQ(stuck.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(stuck.get());
  std::lock_guard lock(held_mutex);
  held.clear();
}

TEST(GracefulClose, ShutDownOfAClosedConnectionReturnsAtOnce) {
  Pair pair([](Stream) {});
  ASSERT_TRUE(pair.established);
  asio::post(pair.listener->strand(), [&] { pair.listener->close("first"); });
  auto shut = spawn_future(pair.listener->strand(), pair.listener->shut_down(std::chrono::seconds(10)));
  ASSERT_EQ(shut.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_TRUE(pair.listener->closed());
}

}  // namespace
}  // namespace cairn::net
