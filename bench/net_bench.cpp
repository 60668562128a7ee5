// Networking benchmarks over loopback, both ends in this process (bench/README.md,
// "Networking"): plain TCP as the baseline, Noise+Yamux throughput with 1 and 16 streams,
// handshakes per second, small messages per second on one stream, gossipsub delivery
// latency across 10 nodes, and the resident memory of an idle connection. All wall time
// (UseRealTime): the work runs on the io thread(s), not the benchmark thread.
// bench/net_bench.sh runs these and js-libp2p doing the same, and prints the ratios.
// GCC 12's false -Wnull-dereference in Boost 1.74's Asio scheduler (net/coro.h explains);
// it must be off before the first Asio header is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <algorithm>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/write.hpp>

#include "net/connection.h"
#include "net/gossipsub_service.h"
#include "net/host.h"
#include "net/host_support.h"

namespace cairn::net {
namespace {

using asio::ip::tcp;

constexpr size_t kChunk = 64 * 1024;  // one application write
constexpr std::string_view kSinkProtocol = "/cairn/bench/sink/1.0.0";
constexpr auto kBenchTimeout = std::chrono::seconds(60);

using testing::IoThread;  // one io thread: the node's configuration on a 2-core machine
using testing::spawn_future;

template <class T>
T wait(std::future<T> future) {
  if (future.wait_for(kBenchTimeout) != std::future_status::ready)
    throw std::runtime_error("bench: timed out");
  return future.get();
}

HostOptions quiet() {
  HostOptions options;
  options.log = [](const std::string&) {};
  return options;
}

const Multiaddr& loopback() {
  static const Multiaddr address = Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value();
  return address;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// ---- plain TCP: the same bytes through a socket pair, no security, no muxer ----

void BM_NetPlainTcp(benchmark::State& state) {
  const size_t total = static_cast<size_t>(state.range(0)) << 20;
  IoThread thread;
  tcp::acceptor acceptor(thread.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(thread.io), server(thread.io);
  client.connect(acceptor.local_endpoint());
  acceptor.accept(server);
  const Bytes chunk(kChunk, 0x5a);
  for (auto _ : state) {
    auto sink = [&]() -> asio::awaitable<size_t> {
      Bytes buffer(kChunk);
      size_t got = 0;
      while (got < total) got += co_await server.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      co_return got;
    };
    auto source = [&]() -> asio::awaitable<size_t> {
      for (size_t sent = 0; sent < total; sent += kChunk) {
        co_await asio::async_write(client, asio::buffer(chunk), asio::use_awaitable);
      }
      co_return total;
    };
    auto received = spawn_future(thread.io, sink());
    wait(spawn_future(thread.io, source()));
    benchmark::DoNotOptimize(wait(std::move(received)));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total));
}

// ---- Cairn hosts: a sink protocol that reads a stream to its end and answers "ok" ----

asio::awaitable<void> sink(Stream stream) {
  size_t got = 0;
  for (;;) {
    auto part = co_await stream.read(kChunk);
    if (!part || part->empty()) break;
    got += part->size();
  }
  benchmark::DoNotOptimize(got);
  Bytes answer(2, 'k');  // (not a braced list inside co_await: GCC 12 miscompiles it)
  (void)co_await stream.write(std::move(answer));
}

struct HostPair {
  HostPair() {
    receiver->set_handler(std::string(kSinkProtocol), sink);
    const Multiaddr address = receiver->listen(loopback()).value().with_peer_id(receiver->peer_id()).value();
    if (!wait(spawn_future(thread.io, sender->dial(address)))) throw std::runtime_error("bench: dial failed");
  }
  ~HostPair() {
    sender->stop();
    receiver->stop();
  }
  IoThread thread;
  std::shared_ptr<Host> sender = Host::create(thread.io, KeyPair::generate(), quiet());
  std::shared_ptr<Host> receiver = Host::create(thread.io, KeyPair::generate(), quiet());
};

// Sends `messages` writes of `size` bytes on one new sink stream and waits for the answer.
asio::awaitable<Status> send_on_stream(std::shared_ptr<Host> host, PeerId peer, size_t messages,
                                       size_t size) {
  std::vector<std::string> protocols(1, std::string(kSinkProtocol));
  CAIRN_CO_TRY(Stream stream, co_await host->new_stream(peer, std::move(protocols)));
  const Bytes message(size, 0x5a);
  for (size_t i = 0; i < messages; ++i) CAIRN_CO_TRY_STATUS(co_await stream.write(message));
  CAIRN_CO_TRY_STATUS(co_await stream.close());
  CAIRN_CO_TRY(Bytes answer, co_await stream.read_exact(2));
  if (answer.size() != 2) co_return Error{ErrorCode::io, "no answer from the sink"};
  co_return Status{};
}

// Noise+Yamux: `total` MiB split over N concurrent streams (stream opening included).
void BM_NetNoiseYamux(benchmark::State& state) {
  const size_t total = static_cast<size_t>(state.range(0)) << 20;
  const auto streams = static_cast<size_t>(state.range(1));
  HostPair pair;
  const size_t per_stream = total / streams / kChunk;
  for (auto _ : state) {
    std::vector<std::future<Status>> done;
    for (size_t i = 0; i < streams; ++i) {
      done.push_back(spawn_future(pair.thread.io,
                                  send_on_stream(pair.sender, pair.receiver->peer_id(), per_stream, kChunk)));
    }
    for (auto& f : done) {
      if (auto status = wait(std::move(f)); !status) state.SkipWithError(status.error().message.c_str());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(per_stream * streams * kChunk));
}

// Small messages: `range(0)` writes of 64 bytes on one stream, each its own Yamux frame and
// Noise message.
void BM_NetSmallMessages(benchmark::State& state) {
  const auto messages = static_cast<size_t>(state.range(0));
  HostPair pair;
  for (auto _ : state) {
    auto status = wait(
        spawn_future(pair.thread.io, send_on_stream(pair.sender, pair.receiver->peer_id(), messages, 64)));
    if (!status) state.SkipWithError(status.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(messages));
  state.SetLabel("messages");
}

// ---- bare connections: handshakes and idle memory ----

struct ConnectionPair {
  std::shared_ptr<Connection> dialer, listener;
};

Connection::Callbacks silent_callbacks() {
  return {[](Stream) {}, [](Connection&) {}, [](const std::string&) {}};
}

// One TCP connect plus the full upgrade (multistream, Noise XX, Yamux) on both ends.
ConnectionPair connect_pair(asio::io_context& io, tcp::acceptor& acceptor,
                            const std::shared_ptr<const KeyPair>& dialer_key,
                            const std::shared_ptr<const KeyPair>& listener_key, bool serve) {
  const Strand dialer_strand = asio::make_strand(io);
  const Strand listener_strand = asio::make_strand(io);
  ConnectionPair pair;
  pair.dialer = std::make_shared<Connection>(dialer_strand, tcp::socket(dialer_strand), Direction::outbound,
                                             dialer_key, ConnectionOptions{}, silent_callbacks());
  auto dialed = spawn_future(
      io, run_on(dialer_strand, pair.dialer->establish(acceptor.local_endpoint(), std::nullopt)));
  tcp::socket accepted(listener_strand);
  acceptor.accept(accepted);
  pair.listener = std::make_shared<Connection>(listener_strand, std::move(accepted), Direction::inbound,
                                               listener_key, ConnectionOptions{}, silent_callbacks());
  auto listened =
      spawn_future(io, run_on(listener_strand, pair.listener->establish(std::nullopt, std::nullopt)));
  if (!wait(std::move(dialed)) || !wait(std::move(listened)))
    throw std::runtime_error("bench: handshake failed");
  if (serve) {
    asio::co_spawn(dialer_strand, pair.dialer->serve(), asio::detached);
    asio::co_spawn(listener_strand, pair.listener->serve(), asio::detached);
  }
  return pair;
}

void close_all(std::vector<ConnectionPair>& pairs) {
  std::vector<std::future<void>> closed;
  for (auto& pair : pairs) {
    for (auto& connection : {pair.dialer, pair.listener}) {
      auto done = std::make_shared<std::promise<void>>();
      closed.push_back(done->get_future());
      asio::post(connection->strand(), [connection, done] {
        connection->close("bench over");
        done->set_value();
      });
    }
  }
  for (auto& f : closed) wait(std::move(f));
  pairs.clear();
}

void BM_NetHandshake(benchmark::State& state) {
  IoThread thread;
  tcp::acceptor acceptor(thread.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto dialer_key = std::make_shared<const KeyPair>(KeyPair::generate());
  const auto listener_key = std::make_shared<const KeyPair>(KeyPair::generate());
  std::vector<ConnectionPair> pairs;
  for (auto _ : state) {
    pairs.push_back(connect_pair(thread.io, acceptor, dialer_key, listener_key, false));
    if (pairs.size() == 64) {
      state.PauseTiming();
      close_all(pairs);
      state.ResumeTiming();
    }
  }
  close_all(pairs);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("handshakes");
}

// Resident memory per idle upgraded connection: range(0) pairs (both ends in this process,
// so 2 × range(0) connections), RSS after − before, divided by the connection count.
void BM_NetIdleConnectionMemory(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  IoThread thread;
  tcp::acceptor acceptor(thread.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), true);
  acceptor.listen(static_cast<int>(count));
  const auto key = std::make_shared<const KeyPair>(KeyPair::generate());
  // Warm-up: the first connections pay for one-time allocations (strand pools, libsodium).
  std::vector<ConnectionPair> pairs;
  for (int i = 0; i < 8; ++i) pairs.push_back(connect_pair(thread.io, acceptor, key, key, true));
  double per_connection_kib = 0;
  for (auto _ : state) {
    const long before = rss_kib();
    std::vector<ConnectionPair> idle;
    for (size_t i = 0; i < count; ++i) idle.push_back(connect_pair(thread.io, acceptor, key, key, true));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the read loops park
    per_connection_kib = static_cast<double>(rss_kib() - before) / static_cast<double>(2 * count);
    state.PauseTiming();
    close_all(idle);
    state.ResumeTiming();
  }
  close_all(pairs);
  state.counters["rss_KiB_per_connection"] = per_connection_kib;
}

// ---- gossipsub: delivery latency across 10 nodes ----

struct GossipNode {
  std::shared_ptr<Host> host;
  std::shared_ptr<GossipsubService> gossip;
  std::optional<Multiaddr> address;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// Ten nodes on a ring where each also dials the node three ahead (degree 4: sparse, 2–3
// hops across); every message carries its send time, every delivery records the delay.
void BM_NetGossipsubLatency(benchmark::State& state) {
  constexpr size_t kNodes = 10;
  const auto messages = static_cast<size_t>(state.range(0));
  const std::string topic = "/cairn/bench/tx/1";
  IoThread thread;
  std::mutex mutex;
  std::vector<int64_t> delays;
  std::vector<GossipNode> nodes;
  for (size_t i = 0; i < kNodes; ++i) {
    Seed seed;
    OsRng().fill(seed.span());
    GossipNode node;
    node.host = Host::create(thread.io, KeyPair::from_seed(seed), quiet());
    node.address = node.host->listen(loopback()).value().with_peer_id(node.host->peer_id()).value();
    GossipsubServiceOptions options;
    options.router.heartbeat_interval_ns = 100'000'000;
    options.log = [](const std::string&) {};
    options.on_message = [&](const Delivery& d) {
      const std::string& data = d.message.data();
      if (data.size() < sizeof(int64_t)) return;
      int64_t sent = 0;
      std::memcpy(&sent, data.data(), sizeof sent);
      std::lock_guard lock(mutex);
      delays.push_back(now_ns() - sent);
    };
    node.gossip = GossipsubService::create(thread.io, node.host, KeyPair::from_seed(seed), options).value();
    wait(spawn_future(thread.io, node.gossip->subscribe(topic)));
    nodes.push_back(std::move(node));
  }
  for (size_t i = 0; i < kNodes; ++i) {
    for (size_t step : {size_t{1}, size_t{3}}) {
      const GossipNode& to = nodes[(i + step) % kNodes];
      if (wait(spawn_future(thread.io, nodes[i].host->dial(*to.address)))) {
        (void)wait(spawn_future(thread.io, nodes[i].gossip->add_peer(to.host->peer_id())));
      }
    }
  }
  // Meshes form over a few heartbeats.
  const auto formed = SteadyClock::now() + std::chrono::seconds(10);
  while (SteadyClock::now() < formed) {
    const bool all = std::all_of(nodes.begin(), nodes.end(), [&](const GossipNode& n) {
      return !wait(spawn_future(thread.io, n.gossip->mesh(topic))).empty();
    });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto _ : state) {
    {
      std::lock_guard lock(mutex);
      delays.clear();
    }
    for (size_t m = 0; m < messages; ++m) {
      Bytes data(64, 0);
      const int64_t sent = now_ns();
      std::memcpy(data.data(), &sent, sizeof sent);
      data[sizeof sent] = static_cast<uint8_t>(m);
      data[sizeof sent + 1] = static_cast<uint8_t>(m >> 8);
      (void)wait(spawn_future(thread.io, nodes[m % kNodes].gossip->publish(topic, std::move(data))));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (SteadyClock::now() < deadline) {
      std::lock_guard lock(mutex);
      if (delays.size() >= messages * (kNodes - 1)) break;
    }
  }
  std::vector<int64_t> sorted;
  {
    std::lock_guard lock(mutex);
    sorted = delays;
  }
  std::sort(sorted.begin(), sorted.end());
  const auto percentile = [&](double p) {
    if (sorted.empty()) return 0.0;
    return static_cast<double>(sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))]) / 1e6;
  };
  state.counters["p50_ms"] = percentile(0.50);
  state.counters["p99_ms"] = percentile(0.99);
  state.counters["delivered_fraction"] =
      static_cast<double>(sorted.size()) / static_cast<double>(messages * (kNodes - 1));
  for (auto& node : nodes) {
    node.gossip->stop();
    node.host->stop();
  }
}

BENCHMARK(BM_NetPlainTcp)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetNoiseYamux)->Args({64, 1})->Args({64, 16})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetSmallMessages)->Arg(10'000)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetHandshake)->UseRealTime()->Unit(benchmark::kMicrosecond);
// One run each, whatever --benchmark_repetitions says: memory freed by a first run stays with
// the allocator, so a second one would measure nothing; and the mesh takes seconds to form.
BENCHMARK(BM_NetIdleConnectionMemory)
    ->Arg(100)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetGossipsubLatency)
    ->Arg(100)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn::net
