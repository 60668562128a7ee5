#include "net/gossipsub_service.h"

#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "net/host_support.h"
#include "net/multiformats.h"
#include "net/peer_record.h"

namespace cairn::net {
namespace {

using testing::IoThread;
using testing::run;

const std::string kTxTopic = "/cairn/regtest/tx/1";  // StrictNoSign
const std::string kChatTopic = "chat";               // StrictSign

// Polls `done` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

struct Node {
  explicit Node(asio::io_context& io, const std::function<void(GossipsubServiceOptions&)>& configure = {}) {
    OsRng().fill(seed.span());
    HostOptions host_options;
    host_options.log = [](const std::string&) {};
    host = Host::create(io, KeyPair::from_seed(seed), host_options);
    address = host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value())
                  .value()
                  .with_peer_id(host->peer_id())
                  .value();
    GossipsubServiceOptions options;
    options.router.heartbeat_interval_ns = 100'000'000;  // 100 ms keeps the test short
    options.router.flood_publish = false;
    options.router.score.ip_colocation_factor_weight = 0;  // every peer is on 127.0.0.1
    options.log = [](const std::string&) {};
    options.on_message = [this](const Delivery& d) {
      std::lock_guard lock(mutex);
      received.push_back(d.message.data());
    };
    if (configure) configure(options);
    gossip = GossipsubService::create(io, host, KeyPair::from_seed(seed), options).value();
  }
  ~Node() {
    gossip->stop();
    host->stop();
  }
  size_t count(const std::string& data) {
    std::lock_guard lock(mutex);
    return static_cast<size_t>(std::count(received.begin(), received.end(), data));
  }
  Seed seed;
  std::shared_ptr<Host> host;
  std::optional<Multiaddr> address;
  std::shared_ptr<GossipsubService> gossip;
  std::mutex mutex;
  std::vector<std::string> received;
};

void link(asio::io_context& io, Node& dialer, Node& listener) {
  ASSERT_TRUE(run(io, dialer.host->dial(*listener.address)).value().ok());
  ASSERT_TRUE(run(io, dialer.gossip->add_peer(listener.host->peer_id())).value().ok());
}

TEST(GossipsubService, MessagesCrossAChainOfHostsUnderBothPolicies) {
  IoThread thread;
  std::vector<std::unique_ptr<Node>> nodes;
  for (int i = 0; i < 4; ++i) nodes.push_back(std::make_unique<Node>(thread.io));
  for (auto& node : nodes) {
    ASSERT_TRUE(run(thread.io, node->gossip->subscribe(kTxTopic)).value());
    ASSERT_TRUE(run(thread.io, node->gossip->subscribe(kChatTopic)).value());
  }
  for (size_t i = 0; i + 1 < nodes.size(); ++i) link(thread.io, *nodes[i], *nodes[i + 1]);

  // Every link ends up in both meshes.
  for (const std::string& topic : {kTxTopic, kChatTopic}) {
    ASSERT_TRUE(wait_until([&] {
      for (size_t i = 0; i < nodes.size(); ++i) {
        const size_t expected = (i == 0 || i + 1 == nodes.size()) ? 1 : 2;
        if (run(thread.io, nodes[i]->gossip->mesh(topic)).value().size() != expected) return false;
      }
      return true;
    })) << topic;
  }
  for (const std::string& topic : {kTxTopic, kChatTopic}) {
    const std::string forth = topic + " from the first";
    const std::string back = topic + " from the last";
    auto sent = run(thread.io, nodes.front()->gossip->publish(topic, Bytes(forth.begin(), forth.end())));
    ASSERT_TRUE(sent && sent->ok()) << (sent ? sent->error().to_string() : "timeout");
    sent = run(thread.io, nodes.back()->gossip->publish(topic, Bytes(back.begin(), back.end())));
    ASSERT_TRUE(sent && sent->ok()) << (sent ? sent->error().to_string() : "timeout");
    EXPECT_TRUE(
        wait_until([&] { return nodes.back()->count(forth) == 1 && nodes.front()->count(back) == 1; }));
    for (size_t i = 1; i + 1 < nodes.size(); ++i) {
      EXPECT_EQ(nodes[i]->count(forth), 1u);
      EXPECT_EQ(nodes[i]->count(back), 1u);
    }
  }
}

TEST(GossipsubService, TenHostsInASparseTopologyDeliverEverythingWithBoundedMeshes) {
  IoThread thread;
  constexpr size_t kNodes = 10;
  std::vector<std::unique_ptr<Node>> nodes;
  for (size_t i = 0; i < kNodes; ++i) nodes.push_back(std::make_unique<Node>(thread.io));
  for (auto& node : nodes) ASSERT_TRUE(run(thread.io, node->gossip->subscribe(kTxTopic)).value());
  // Each node dials at most 3 others: a ring plus chords across it.
  for (size_t i = 0; i < kNodes; ++i) link(thread.io, *nodes[i], *nodes[(i + 1) % kNodes]);
  for (size_t i = 0; i < kNodes / 2; ++i) link(thread.io, *nodes[i], *nodes[i + kNodes / 2]);
  const GossipsubConfig config;
  ASSERT_TRUE(wait_until([&] {
    for (auto& node : nodes) {
      const size_t degree = run(thread.io, node->gossip->mesh(kTxTopic)).value().size();
      if (degree < 3 || degree > config.d_hi) return false;  // 3: every node has 3 peers
    }
    return true;
  }));
  for (size_t origin = 0; origin < kNodes; origin += 3) {
    const std::string data = "from " + std::to_string(origin);
    auto sent = run(thread.io, nodes[origin]->gossip->publish(kTxTopic, Bytes(data.begin(), data.end())));
    ASSERT_TRUE(sent && sent->ok()) << (sent ? sent->error().to_string() : "timeout");
    EXPECT_TRUE(wait_until([&] {
      for (size_t i = 0; i < kNodes; ++i) {
        if (i != origin && nodes[i]->count(data) != 1) return false;
      }
      return true;
    })) << data;
  }
}

TEST(GossipsubService, APrunedPeerDialsThePeersExchangedWithSignedRecords) {
  IoThread thread;
  // The pruner keeps a mesh of one; on PRUNE it hands out its mesh peer with the signed
  // record that peer sent in identify.
  Node pruner(thread.io, [](GossipsubServiceOptions& options) {
    options.router.d = options.router.d_lo = options.router.d_hi = 1;
    options.router.d_score = 1;
    options.router.d_out = 0;
    options.router.do_px = true;
  });
  Node meshed(thread.io);
  // A fresh peer scores 0 at first; the default acceptance threshold wants a proven peer.
  Node pruned(thread.io,
              [](GossipsubServiceOptions& options) { options.router.thresholds.accept_px_threshold = 0; });
  for (Node* node : {&pruner, &meshed, &pruned})
    ASSERT_TRUE(run(thread.io, node->gossip->subscribe(kTxTopic)).value());
  link(thread.io, meshed, pruner);
  ASSERT_TRUE(wait_until([&] { return run(thread.io, pruner.gossip->mesh(kTxTopic)).value().size() == 1; }));
  ASSERT_TRUE(wait_until([&] { return pruner.host->peer_record(meshed.host->peer_id()).has_value(); }));
  const auto record = open_peer_record(*pruner.host->peer_record(meshed.host->peer_id()));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->addresses, meshed.host->announced_addresses());
  link(thread.io, pruned, pruner);
  // Pruned with PX, the new peer dials the exchanged one on its own and meshes with it.
  EXPECT_TRUE(wait_until([&] { return pruned.host->connected(meshed.host->peer_id()); }));
  EXPECT_TRUE(wait_until([&] {
    return run(thread.io, pruned.gossip->mesh(kTxTopic)).value().contains(meshed.host->peer_id());
  }));
}

TEST(GossipsubService, AnOversizeRpcDropsThePeerButNotTheService) {
  IoThread thread;
  Node server(thread.io);
  // A bare host with no gossipsub service: its only gossipsub stream to the server is the
  // hand-made one below, and it swallows what the server sends on its own stream.
  HostOptions quiet;
  quiet.log = [](const std::string&) {};
  auto client = Host::create(thread.io, KeyPair::generate(), quiet);
  client->set_handler(std::string(kMeshsubV12), [](Stream stream) -> asio::awaitable<void> {
    for (;;) {
      auto bytes = co_await stream.read(kReadChunkSize);
      if (!bytes || bytes->empty()) co_return;
    }
  });
  ASSERT_TRUE(run(thread.io, server.gossip->subscribe(kTxTopic)).value());
  ASSERT_TRUE(run(thread.io, client->dial(*server.address)).value().ok());

  std::vector<std::string> protocols{std::string(kMeshsubV11)};
  auto opened = run(thread.io, client->new_stream(server.host->peer_id(), protocols));
  ASSERT_TRUE(opened && opened->ok());
  Stream stream = std::move(*opened).value();
  pb::RPC hello;
  auto* sub = hello.add_subscriptions();
  sub->set_subscribe(true);
  sub->set_topicid(kTxTopic);
  const std::string body = hello.SerializeAsString();
  Bytes framed;
  append_uvarint(framed, body.size());
  framed.insert(framed.end(), body.begin(), body.end());
  ASSERT_TRUE(run(thread.io, stream.write(framed)).value().ok());
  ASSERT_TRUE(
      wait_until([&] { return run(thread.io, server.gossip->topic_peers(kTxTopic)).value().size() == 1; }));

  Bytes oversize;
  append_uvarint(oversize, kMaxRpcSize + 1);
  ASSERT_TRUE(run(thread.io, stream.write(oversize)).value().ok());
  EXPECT_TRUE(
      wait_until([&] { return run(thread.io, server.gossip->topic_peers(kTxTopic)).value().empty(); }));
  // The host and the service go on: a well-behaved peer still joins.
  Node other(thread.io);
  ASSERT_TRUE(run(thread.io, other.gossip->subscribe(kTxTopic)).value());
  link(thread.io, other, server);
  EXPECT_TRUE(wait_until([&] { return run(thread.io, server.gossip->mesh(kTxTopic)).value().size() == 1; }));
  client->stop();
}

TEST(GossipsubService, DeferredValidationIsReportedFromAnyThreadAndCounted) {
  std::mutex mutex;  // outlive the io thread, which runs the validator
  std::vector<MessageId> deferred;
  IoThread thread;
  Node first(thread.io), middle(thread.io), last(thread.io);
  for (Node* node : {&first, &middle, &last})
    ASSERT_TRUE(run(thread.io, node->gossip->subscribe(kTxTopic)).value());
  link(thread.io, first, middle);
  link(thread.io, middle, last);
  ASSERT_TRUE(wait_until([&] { return run(thread.io, middle.gossip->mesh(kTxTopic)).value().size() == 2; }));
  ASSERT_TRUE(wait_until([&] { return run(thread.io, first.gossip->mesh(kTxTopic)).value().size() == 1; }));
  ASSERT_TRUE(wait_until([&] { return run(thread.io, last.gossip->mesh(kTxTopic)).value().size() == 1; }));
  Validator defer = [&](const std::string&, const MessageId& id, const pb::Message&, const PeerId&) {
    std::lock_guard lock(mutex);
    deferred.push_back(id);
    return ValidationResult::defer;
  };
  ASSERT_TRUE(run(thread.io, middle.gossip->set_validator(kTxTopic, defer)).value());
  auto deferred_count = [&] {
    std::lock_guard lock(mutex);
    return deferred.size();
  };
  auto report = [&](size_t index, ValidationResult result) {
    MessageId id;
    {
      std::lock_guard lock(mutex);
      id = deferred.at(index);
    }
    // From a thread of its own, as the chain thread would.
    std::thread([&middle, id, result] { middle.gossip->report_validation(id, result); }).join();
  };

  const std::string held = "held for validation";
  ASSERT_TRUE(run(thread.io, first.gossip->publish(kTxTopic, Bytes(held.begin(), held.end()))).value().ok());
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 1; }));
  // Held: a few heartbeats pass, and it is neither delivered nor forwarded.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(middle.count(held), 0u);
  EXPECT_EQ(last.count(held), 0u);
  report(0, ValidationResult::accept);
  EXPECT_TRUE(wait_until([&] { return middle.count(held) == 1 && last.count(held) == 1; }));

  const std::string bad = "rejected later";
  ASSERT_TRUE(run(thread.io, first.gossip->publish(kTxTopic, Bytes(bad.begin(), bad.end()))).value().ok());
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 2; }));
  report(1, ValidationResult::reject);
  ASSERT_TRUE(wait_until([&] { return middle.gossip->topic_counters()[kTxTopic].rejected == 1; }));
  const TopicCounters counters = middle.gossip->topic_counters().at(kTxTopic);
  EXPECT_EQ(counters.messages_in, 2u);
  EXPECT_EQ(counters.bytes_in, held.size() + bad.size());
  EXPECT_EQ(counters.deferred, 2u);
  EXPECT_EQ(counters.delivered, 1u);
  EXPECT_EQ(counters.messages_out, 1u);  // the accepted one, to the last node
  EXPECT_EQ(counters.bytes_out, held.size());
  EXPECT_EQ(last.count(bad), 0u);
  EXPECT_EQ(middle.count(bad), 0u);
}

TEST(GossipsubService, TheKeyMustBeTheHosts) {
  IoThread thread;
  auto host = Host::create(thread.io, KeyPair::generate());
  EXPECT_FALSE(GossipsubService::create(thread.io, host, KeyPair::generate()));
  host->stop();
}

}  // namespace
}  // namespace cairn::net
