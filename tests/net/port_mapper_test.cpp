// PortMapper against a fake NAT-PMP/PCP gateway: a UDP server on 127.0.0.1 in this process
// that answers as a PCP gateway, as a NAT-PMP-only one, or not at all. Every wait is bounded.
#include "net/port_mapper.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <gtest/gtest.h>

#include "net/host_support.h"

namespace cairn::net {
namespace {

using asio::ip::udp;
using namespace std::chrono_literals;

const Ipv4Bytes kExternal{11, 22, 33, 1};
constexpr uint16_t kExternalPort = 5001;
constexpr uint16_t kInternalPort = 4001;

enum class GatewayMode { pcp, nat_pmp_only, silent, pcp_ignores_deletion };

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// A gateway on 127.0.0.1 run by its own io_context thread; it records what it received.
class FakeGateway {
 public:
  explicit FakeGateway(GatewayMode mode)
      : mode_(mode), socket_(io_, udp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  // Closing the socket ends serve(), and with it io_.run().
  ~FakeGateway() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      socket_.close(ec);
    });
    thread_.join();
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<Bytes> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Deletions seen: PCP MAP or NAT-PMP TCP map requests with lifetime 0.
  size_t deletions() const {
    size_t n = 0;
    for (const Bytes& r : received()) {
      if (r.size() == kPcpMapMessageSize && r[0] == kPcpVersion && read_u32(&r[4]) == 0) ++n;
      if (r.size() == kNatPmpMapRequestSize && r[0] == 0 && read_u32(&r[8]) == 0) ++n;
    }
    return n;
  }

 private:
  asio::awaitable<void> serve() {
    std::array<uint8_t, 2048> buffer{};
    for (;;) {
      udp::endpoint from;
      boost::system::error_code ec;
      const size_t n = co_await socket_.async_receive_from(asio::buffer(buffer), from,
                                                           asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      if (ec) continue;
      Bytes request(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      {
        std::lock_guard lock(mutex_);
        received_.push_back(request);
      }
      const Bytes answer = respond(request);
      if (!answer.empty()) socket_.send_to(asio::buffer(answer), from, 0, ec);
    }
  }

  Bytes respond(const Bytes& request) const {
    if (mode_ == GatewayMode::silent || request.size() < 2) return {};
    if (request[0] == kPcpVersion) {
      if (mode_ == GatewayMode::nat_pmp_only) return Bytes{0, 0x81, 0, 1, 0, 0, 0, 9};  // RFC 6886 §3.5
      if (request.size() != kPcpMapMessageSize) return {};
      const uint32_t lifetime = read_u32(&request[4]);
      if (lifetime == 0 && mode_ == GatewayMode::pcp_ignores_deletion) return {};
      Bytes answer(request);  // the MAP payload comes back with the assigned values
      answer[1] = 0x81;
      answer[2] = 0;
      answer[3] = 0;  // SUCCESS
      for (size_t i = 8; i < 24; ++i) answer[i] = 0;
      answer[11] = 9;  // epoch
      const uint16_t port = lifetime == 0 ? 0 : kExternalPort;
      answer[42] = static_cast<uint8_t>(port >> 8);
      answer[43] = static_cast<uint8_t>(port);
      for (size_t i = 0; i < 4; ++i) answer[56 + i] = kExternal[i];
      return answer;
    }
    if (request[0] != 0) return {};
    if (request[1] == 0 && request.size() == 2) {
      Bytes answer{0, 0x80, 0, 0, 0, 0, 0, 9};
      for (uint8_t b : kExternal) answer.push_back(b);
      return answer;
    }
    if (request[1] == 2 && request.size() == kNatPmpMapRequestSize) {
      const uint32_t lifetime = read_u32(&request[8]);
      const uint16_t port = lifetime == 0 ? 0 : kExternalPort;
      Bytes answer{0,
                   0x82,
                   0,
                   0,
                   0,
                   0,
                   0,
                   9,
                   request[4],
                   request[5],
                   static_cast<uint8_t>(port >> 8),
                   static_cast<uint8_t>(port)};
      for (size_t i = 8; i < kNatPmpMapRequestSize; ++i) answer.push_back(request[i]);  // lifetime as asked
      return answer;
    }
    return {};
  }

  GatewayMode mode_;
  asio::io_context io_;
  udp::socket socket_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Bytes> received_;
};

// What a PortMapper reported, collected from its strand.
struct Reports {
  mutable std::mutex mutex;
  std::vector<std::string> lines;
  std::vector<std::string> addresses;

  size_t line_count() const {
    std::lock_guard lock(mutex);
    return lines.size();
  }
  size_t address_count() const {
    std::lock_guard lock(mutex);
    return addresses.size();
  }
};

PortMapperOptions options_for(uint16_t gateway_port, const std::shared_ptr<Reports>& reports) {
  PortMapperOptions options;
  options.internal_port = kInternalPort;
  options.gateway = asio::ip::address_v4::loopback();
  options.gateway_port = gateway_port;
  options.pcp = RetrySchedule{20ms, 80ms, 3};
  options.nat_pmp = RetrySchedule{20ms, 80ms, 3};
  options.stop_timeout = 300ms;
  options.log = [reports](const std::string& line) {
    std::lock_guard lock(reports->mutex);
    reports->lines.push_back(line);
  };
  options.on_external_address = [reports](const Multiaddr& address) {
    std::lock_guard lock(reports->mutex);
    reports->addresses.push_back(address.to_string());
  };
  return options;
}

template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(PortMapper, MapsWithPcpAndDeletesOnStop) {
  FakeGateway gateway(GatewayMode::pcp);
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto mapper = PortMapper::create(io.io, options_for(gateway.port(), reports));
  mapper->start();
  ASSERT_TRUE(wait_until([&] { return reports->address_count() == 1; }));
  EXPECT_EQ(reports->addresses[0], "/ip4/11.22.33.1/tcp/5001");
  EXPECT_EQ(mapper->external_address()->to_string(), "/ip4/11.22.33.1/tcp/5001");
  // The request carried our address as seen by the gateway, ::ffff:127.0.0.1.
  const Bytes first = gateway.received().at(0);
  ASSERT_EQ(first.size(), kPcpMapMessageSize);
  EXPECT_EQ(to_hex(ByteSpan(first).subspan(8, 16)), "00000000000000000000ffff7f000001");

  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
  EXPECT_TRUE(*confirmed);
  EXPECT_EQ(gateway.deletions(), 1u);
  EXPECT_FALSE(mapper->external_address());
  ASSERT_EQ(reports->line_count(), 1u);
  EXPECT_EQ(reports->lines[0], "NAT: TCP port 4001 mapped to /ip4/11.22.33.1/tcp/5001 by PCP for 7200 s");
}

TEST(PortMapper, FallsBackToNatPmp) {
  FakeGateway gateway(GatewayMode::nat_pmp_only);
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto mapper = PortMapper::create(io.io, options_for(gateway.port(), reports));
  mapper->start();
  ASSERT_TRUE(wait_until([&] { return reports->address_count() == 1; }));
  EXPECT_EQ(reports->addresses[0], "/ip4/11.22.33.1/tcp/5001");
  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
  EXPECT_TRUE(*confirmed);
  EXPECT_EQ(gateway.deletions(), 1u);
  EXPECT_EQ(reports->lines.at(0),
            "NAT: TCP port 4001 mapped to /ip4/11.22.33.1/tcp/5001 by NAT-PMP for 7200 s");
}

TEST(PortMapper, SilentGatewayIsOneInfoLine) {
  FakeGateway gateway(GatewayMode::silent);
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto mapper = PortMapper::create(io.io, options_for(gateway.port(), reports));
  mapper->start();
  // 3 PCP tries: 20 + 40 + 80 ms.
  ASSERT_TRUE(wait_until([&] { return reports->line_count() == 1; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(reports->line_count(), 1u);
  EXPECT_EQ(reports->address_count(), 0u);
  EXPECT_EQ(gateway.received().size(), 3u);
  EXPECT_EQ(reports->lines[0], "NAT: 127.0.0.1: no NAT-PMP or PCP answer after 3 tries; port mapping off");
  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
  EXPECT_FALSE(*confirmed);
  EXPECT_EQ(reports->line_count(), 1u);
}

TEST(PortMapper, NobodyListeningIsOneInfoLine) {
  // A port with no socket: the ICMP errors must not add lines.
  uint16_t port = 0;
  {
    FakeGateway closed(GatewayMode::silent);
    port = closed.port();
  }
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto mapper = PortMapper::create(io.io, options_for(port, reports));
  mapper->start();
  ASSERT_TRUE(wait_until([&] { return reports->line_count() == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(reports->line_count(), 1u);
  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
}

TEST(PortMapper, StopWaitIsBoundedWhenDeletionIsNotAnswered) {
  FakeGateway gateway(GatewayMode::pcp_ignores_deletion);
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto options = options_for(gateway.port(), reports);
  options.pcp = RetrySchedule{1s, 1s, 3};  // the stop timeout (300 ms) ends the wait first
  auto mapper = PortMapper::create(io.io, options);
  mapper->start();
  ASSERT_TRUE(wait_until([&] { return reports->address_count() == 1; }));
  const auto started = std::chrono::steady_clock::now();
  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
  EXPECT_FALSE(*confirmed);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(gateway.deletions(), 1u);
}

TEST(PortMapper, NoDefaultGatewayIsOneInfoLine) {
  const auto path = std::filesystem::temp_directory_path() / ("cairn_route_" + std::to_string(::getpid()));
  {
    std::ofstream file(path);
    file << "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n";
  }
  testing::IoThread io;
  auto reports = std::make_shared<Reports>();
  auto options = options_for(kNatPmpPort, reports);
  options.gateway.reset();
  options.route_table_path = path.string();
  auto mapper = PortMapper::create(io.io, options);
  mapper->start();
  ASSERT_TRUE(wait_until([&] { return reports->line_count() == 1; }));
  EXPECT_EQ(reports->lines[0], "NAT: no default IPv4 gateway; port mapping off");
  auto confirmed = testing::run(io.io, mapper->stop(), 5s);
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(reports->line_count(), 1u);
  std::filesystem::remove(path);
}

// The route table is read up to kMaxRouteTableSize bytes: a default route (via 127.0.0.1,
// where the fake gateway listens) that ends at the limit is found, one just past it is not.
TEST(PortMapper, RouteTableIsReadUpToItsLimit) {
  const std::string route = "lo\t00000000\t0100007F\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  for (const size_t header_size : {kMaxRouteTableSize - route.size(), kMaxRouteTableSize}) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("cairn_route_limit_" + std::to_string(::getpid()) + "_" + std::to_string(header_size));
    {
      std::ofstream file(path);
      file << std::string(header_size - 1, 'H') << '\n' << route;
    }
    FakeGateway gateway(GatewayMode::pcp);
    testing::IoThread io;
    auto reports = std::make_shared<Reports>();
    auto options = options_for(gateway.port(), reports);
    options.gateway.reset();
    options.route_table_path = path.string();
    auto mapper = PortMapper::create(io.io, options);
    mapper->start();
    ASSERT_TRUE(wait_until([&] { return reports->line_count() == 1; }));
    const bool within = header_size + route.size() <= kMaxRouteTableSize;
    EXPECT_EQ(reports->address_count(), within ? 1u : 0u) << header_size;
    EXPECT_EQ(gateway.received().empty(), !within);
    ASSERT_TRUE(testing::run(io.io, mapper->stop(), 5s));
    std::filesystem::remove(path);
  }
}

TEST(PortMapper, ParsesTheDefaultGatewayFromProcNetRoute) {
  const std::string table =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  auto gateway = parse_default_gateway(table);
  ASSERT_TRUE(gateway);
  EXPECT_EQ(gateway->to_string(), "192.168.1.1");
  // A default route without the gateway flag, a down route, junk: none.
  EXPECT_FALSE(parse_default_gateway("h\neth0\t00000000\t0101A8C0\t0001\t0\t0\t0\t00000000\n"));
  EXPECT_FALSE(parse_default_gateway("h\neth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\n"));
  EXPECT_FALSE(parse_default_gateway("h\neth0\tzz\t0101A8C0\t0003\t0\t0\t0\t00000000\n"));
  EXPECT_FALSE(parse_default_gateway(""));
  EXPECT_FALSE(parse_default_gateway("h\neth0\t00000000\t0101A8C0\t0003\t0\t0\n"));  // too few columns
}

}  // namespace
}  // namespace cairn::net
