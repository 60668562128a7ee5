#include "net/ping.h"

#include <gtest/gtest.h>

#include "net/host.h"
#include "net/host_support.h"

namespace cairn::net {
namespace {

using testing::IoThread;
using testing::run;

struct Pair {
  explicit Pair(asio::io_context& io)
      : a(Host::create(io, KeyPair::generate(), quiet())),
        b(Host::create(io, KeyPair::generate(), quiet())) {}
  ~Pair() {
    a->stop();
    b->stop();
  }
  static HostOptions quiet() {
    HostOptions options;
    options.log = [](const std::string&) {};
    return options;
  }
  Multiaddr b_address() {
    return b->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value())
        .value()
        .with_peer_id(b->peer_id())
        .value();
  }
  std::shared_ptr<Host> a;
  std::shared_ptr<Host> b;
};

asio::awaitable<Result<std::vector<Duration>>> ping_many(std::shared_ptr<Host> host, PeerId peer,
                                                         size_t count) {
  std::vector<std::string> protocol{std::string(kPingProtocolId)};
  CAIRN_CO_TRY(Stream stream, co_await host->new_stream(peer, std::move(protocol)));
  std::vector<Duration> rtts;
  for (size_t i = 0; i < count; ++i) {
    CAIRN_CO_TRY(Duration rtt, co_await ping_once(stream));
    rtts.push_back(rtt);
  }
  CAIRN_CO_TRY_STATUS(co_await stream.close());
  co_return rtts;
}

TEST(Ping, OneStreamCarriesManyPings) {
  IoThread thread;
  Pair pair(thread.io);
  ASSERT_TRUE(run(thread.io, pair.a->dial(pair.b_address())).value().ok());
  auto rtts = run(thread.io, ping_many(pair.a, pair.b->peer_id(), 5));
  ASSERT_TRUE(rtts && rtts->ok()) << (rtts ? rtts->error().to_string() : "timeout");
  EXPECT_EQ((*rtts)->size(), 5u);
}

TEST(Ping, AWrongEchoIsAnError) {
  IoThread thread;
  Pair pair(thread.io);
  // A peer whose ping answers with different bytes.
  pair.b->set_handler(std::string(kPingProtocolId), [](Stream stream) -> asio::awaitable<void> {
    auto payload = co_await stream.read_exact(kPingPayloadSize);
    if (!payload || payload->empty()) co_return;
    Bytes wrong = std::move(payload).value();
    wrong[0] ^= 1;
    (void)co_await stream.write(std::move(wrong));
  });
  ASSERT_TRUE(run(thread.io, pair.a->dial(pair.b_address())).value().ok());
  auto rtt = run(thread.io, pair.a->ping(pair.b->peer_id()));
  ASSERT_TRUE(rtt);
  ASSERT_FALSE(rtt->ok());
  EXPECT_EQ(rtt->error().code, ErrorCode::verify);
}

TEST(Ping, ASilentPeerTimesOut) {
  IoThread thread;
  HostOptions fast = Pair::quiet();
  fast.connection.stream_timeout = std::chrono::milliseconds(200);
  auto a = Host::create(thread.io, KeyPair::generate(), fast);
  Pair pair(thread.io);
  // Reads the payload and never answers: it waits (up to its own stream timeout) for more.
  pair.b->set_handler(std::string(kPingProtocolId), [](Stream stream) -> asio::awaitable<void> {
    auto received = co_await stream.read_exact(kPingPayloadSize);
    if (received.ok()) received = co_await stream.read(1);
  });
  ASSERT_TRUE(run(thread.io, a->dial(pair.b_address())).value().ok());
  auto rtt = run(thread.io, a->ping(pair.b->peer_id()), std::chrono::seconds(5));
  ASSERT_TRUE(rtt) << "the ping did not time out";
  ASSERT_FALSE(rtt->ok());
  EXPECT_NE(rtt->error().message.find("timed out"), std::string::npos) << rtt->error().message;
  a->stop();
}

}  // namespace
}  // namespace cairn::net
