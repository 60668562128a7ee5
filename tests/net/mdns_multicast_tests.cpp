// mDNS discovery over real multicast: two Cairn MdnsServices on one host find each other and
// dial the addresses they learned; Cairn and js-libp2p's @libp2p/mdns (tests/interop/
// js_mdns.mjs, run by Node.js as a child process) find each other in both directions.
//
// Run by tests/net/run_in_netns.sh in a private network namespace whose loopback carries
// multicast (224.0.0.0/4 routed to lo), so nothing leaves the host and port 5353 is free.
// Every wait is bounded and the child is stopped by PID. Exits 77 (skipped) if a js test
// could not run because Node.js or tests/interop/node_modules is missing.
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "interop/js_process.h"
#include "net/host.h"
#include "net/host_support.h"
#include "net/mdns_service.h"

namespace cairn::net {
namespace {

using nlohmann::json;
using testing::IoThread;
using testing::run;

constexpr auto kDiscoveryTimeout = std::chrono::seconds(15);
// Both sides query every second so that a lost datagram costs little.
constexpr int64_t kQueryIntervalNs = 1'000'000'000;
constexpr std::string_view kJsQueryIntervalMs = "1000";

bool g_skipped = false;

bool wait_until(const std::function<bool()>& done) {
  const auto deadline = SteadyClock::now() + kDiscoveryTimeout;
  while (SteadyClock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// What a service's callback saw, from the service's strand.
class Found {
 public:
  void add(const MdnsDiscovery& discovery) {
    std::lock_guard lock(mutex_);
    found_.push_back(discovery);
  }
  std::optional<MdnsDiscovery> find(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    for (const auto& discovery : found_) {
      if (discovery.peer == peer) return discovery;
    }
    return std::nullopt;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return found_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<MdnsDiscovery> found_;
};

struct CairnNode {
  explicit CairnNode(asio::io_context& io) : host(Host::create(io, KeyPair::generate(), quiet_host())) {
    (void)host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
    MdnsServiceOptions options;
    options.core.query_interval_ns = kQueryIntervalNs;
    options.interface_address = asio::ip::make_address_v4("127.0.0.1");
    std::weak_ptr<Host> weak = host;
    auto addresses = [weak] {
      auto locked = weak.lock();
      return locked ? locked->listen_addresses() : std::vector<Multiaddr>{};
    };
    auto created = MdnsService::create(
        io, host->peer_id(), addresses,
        [found = found](const MdnsDiscovery& discovery) { found->add(discovery); }, options);
    if (!created) throw std::runtime_error(created.error().to_string());
    mdns = std::move(created).value();
  }
  ~CairnNode() {
    mdns->stop();
    host->stop();
  }
  static HostOptions quiet_host() {
    HostOptions options;
    options.log = [](const std::string&) {};
    return options;
  }
  std::shared_ptr<Host> host;
  std::shared_ptr<Found> found = std::make_shared<Found>();
  std::shared_ptr<MdnsService> mdns;
};

TEST(MdnsService, TwoCairnNodesFindAndDialEachOther) {
  IoThread io;
  CairnNode a(io.io);
  CairnNode b(io.io);
  ASSERT_TRUE(
      wait_until([&] { return a.found->find(b.host->peer_id()) && b.found->find(a.host->peer_id()); }));
  EXPECT_FALSE(a.found->find(a.host->peer_id()));
  EXPECT_FALSE(b.found->find(b.host->peer_id()));
  const MdnsDiscovery b_seen = *a.found->find(b.host->peer_id());
  ASSERT_EQ(b_seen.addrs.size(), 1u);
  EXPECT_EQ(b_seen.addrs[0], b.host->listen_addresses().at(0).with_peer_id(b.host->peer_id()).value());
  // What was announced dials.
  const auto dialled = run(io.io, a.host->dial(b_seen.addrs[0]));
  ASSERT_TRUE(dialled && dialled->ok());
  EXPECT_EQ(dialled->value(), b.host->peer_id());
}

TEST(MdnsService, StopsCleanly) {
  IoThread io;
  auto node = std::make_unique<CairnNode>(io.io);
  node->mdns->stop();
  node->mdns->stop();  // idempotent
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const size_t before = node->found->size();
  CairnNode other(io.io);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(node->found->size(), before);  // a stopped service reports nothing
  node.reset();
  // Port 5353 is free again for a new service.
  CairnNode again(io.io);
  EXPECT_TRUE(wait_until([&] { return again.found->find(other.host->peer_id()).has_value(); }));
}

// node js_mdns.mjs <query interval>.
class JsMdnsNode : public test::JsProcess {
 public:
  JsMdnsNode() : JsProcess("js_mdns.mjs", {std::string(kJsQueryIntervalMs)}, kDiscoveryTimeout) {}
};

bool js_available() {
  const std::filesystem::path mdns_package =
      std::filesystem::path(CAIRN_INTEROP_DIR) / "node_modules" / "@libp2p" / "mdns" / "package.json";
  return std::string_view(CAIRN_NODE_EXECUTABLE).size() > 0 && std::filesystem::exists(mdns_package);
}

#define REQUIRE_JS()                                                                    \
  if (!js_available()) {                                                                \
    g_skipped = true;                                                                   \
    GTEST_SKIP() << "Node.js or tests/interop/node_modules (npm ci) missing; skipping"; \
  }

bool is_event(const json& event, std::string_view name) { return event.value("event", "") == name; }

TEST(MdnsJs, JsDiscoversCairn) {
  REQUIRE_JS();
  JsMdnsNode js;
  ASSERT_TRUE(js.wait_for([](const json& e) { return is_event(e, "listening"); }));
  IoThread io;
  CairnNode cairn(io.io);
  const std::string id = cairn.host->peer_id().to_base58();
  const auto found =
      js.wait_for([&](const json& e) { return is_event(e, "discovered") && e.value("peerId", "") == id; });
  ASSERT_TRUE(found) << "js did not discover Cairn";
  // js strips the /p2p suffix from what it reports.
  const std::vector<std::string> expected{cairn.host->listen_addresses().at(0).to_string()};
  EXPECT_EQ(found->at("addrs").get<std::vector<std::string>>(), expected);
}

TEST(MdnsJs, CairnDiscoversJs) {
  REQUIRE_JS();
  JsMdnsNode js;
  const auto listening = js.wait_for([](const json& e) { return is_event(e, "listening"); });
  ASSERT_TRUE(listening);
  const PeerId js_id = PeerId::parse(listening->at("peerId").get<std::string>()).value();
  IoThread io;
  CairnNode cairn(io.io);
  ASSERT_TRUE(wait_until([&] { return cairn.found->find(js_id).has_value(); }))
      << "Cairn did not discover js";
  const MdnsDiscovery seen = *cairn.found->find(js_id);
  std::vector<std::string> found;
  for (const auto& address : seen.addrs) found.push_back(address.to_string());
  EXPECT_EQ(found, listening->at("addrs").get<std::vector<std::string>>());
  // The address js announced dials.
  const auto dialled = run(io.io, cairn.host->dial(seen.addrs.at(0)));
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
  EXPECT_EQ(dialled->value(), js_id);
}

}  // namespace
}  // namespace cairn::net

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (RUN_ALL_TESTS() != 0) return 1;
  return cairn::net::g_skipped ? 77 : 0;
}
