// Cairn against js-libp2p (the js_node.mjs peer, run by Node.js as a child process on
// 127.0.0.1): both dial directions, ping, and identify each way; gossipsub under both
// signature policies (GRAFT both ways, /meshsub/1.2.0 negotiated, messages each way with the
// same message id on both sides); Kademlia on /cairn/regtest/kad/1.0.0, each side finding a
// peer of the other kind that it never dialled, through a node that knows it; private
// networks (pnet): with the same pre-shared key each side dials the other, pings and
// identifies, with different keys neither can connect. The js peer
// prints one JSON object per line on stdout; every wait here is bounded and the child is
// stopped by PID.
// Exits 77 (skipped) when Node.js or this folder's node_modules is missing.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "interop/js_process.h"
#include "net/gossipsub_service.h"
#include "net/host.h"
#include "net/host_support.h"
#include "net/kademlia_service.h"
#include "net/ping.h"

namespace cairn::net {
namespace {

using nlohmann::json;
using testing::IoThread;
using testing::run;

constexpr auto kEventTimeout = std::chrono::seconds(20);
// js-libp2p's default agent version: "js-libp2p/<version> node/<version>".
constexpr std::string_view kJsAgentPrefix = "js-libp2p/3.2.0 ";

// node js_node.mjs <args>.
class JsNode : public test::JsProcess {
 public:
  explicit JsNode(const std::vector<std::string>& args) : JsProcess("js_node.mjs", args, kEventTimeout) {}
};

bool contains(const json& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

struct CairnNode {
  explicit CairnNode(asio::io_context& io, HostOptions options = {})
      : host(Host::create(io, KeyPair::generate(), std::move(options))),
        address(host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value()) {}
  ~CairnNode() { host->stop(); }
  std::shared_ptr<Host> host;
  Multiaddr address;
};

// Cairn identifies every new connection on its own. (Asking again at the same time would
// fail: js-libp2p serves one inbound identify stream per connection at a time.)
std::optional<IdentifyInfo> wait_for_identify(const Host& host, const PeerId& peer) {
  const auto deadline = SteadyClock::now() + kEventTimeout;
  for (;;) {
    if (auto info = host.peer_info(peer)) return info;
    if (SteadyClock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// What js learned about Cairn from identify.
void expect_js_identified_cairn(const json& identified, const CairnNode& cairn) {
  EXPECT_EQ(identified.value("peerId", ""), cairn.host->peer_id().to_base58());
  EXPECT_EQ(identified.value("agentVersion", ""), "cairn/0.1.0");
  EXPECT_EQ(identified.value("protocolVersion", ""), "ipfs/0.1.0");
  EXPECT_TRUE(contains(identified["protocols"], kPingProtocolId)) << identified.dump();
  EXPECT_TRUE(contains(identified["protocols"], kIdentifyProtocolId)) << identified.dump();
  const std::string listen = cairn.address.to_string();
  const bool listed = std::any_of(identified["listenAddrs"].begin(), identified["listenAddrs"].end(),
                                  [&](const json& a) { return a.get<std::string>().starts_with(listen); });
  EXPECT_TRUE(listed) << identified.dump();
  EXPECT_TRUE(identified.value("observedAddr", "").starts_with("/ip4/127.0.0.1/tcp/")) << identified.dump();
}

// What Cairn learned about js from identify.
void expect_cairn_identified_js(const IdentifyInfo& info, const std::optional<Multiaddr>& js_listen) {
  EXPECT_TRUE(info.agent_version.starts_with(kJsAgentPrefix)) << info.agent_version;
  EXPECT_TRUE(contains(info.protocols, kPingProtocolId));
  EXPECT_TRUE(contains(info.protocols, kIdentifyProtocolId));
  if (js_listen) {
    EXPECT_NE(std::find(info.listen_addrs.begin(), info.listen_addrs.end(), *js_listen),
              info.listen_addrs.end());
  }
  ASSERT_TRUE(info.observed_addr);
  EXPECT_TRUE(info.observed_addr->to_string().starts_with("/ip4/127.0.0.1/tcp/"))
      << info.observed_addr->to_string();
}

// Cairn, with `options`, dials a listening js node started with `js_extra` more arguments:
// the dial, identify both ways and ping work.
void check_cairn_dials_js(HostOptions options, const std::vector<std::string>& js_extra) {
  IoThread thread;
  CairnNode cairn(thread.io, std::move(options));
  std::vector<std::string> args{"listen"};
  args.insert(args.end(), js_extra.begin(), js_extra.end());
  JsNode js(args);
  auto listening = js.wait_for("listening");
  ASSERT_TRUE(listening) << "js did not start";
  const auto js_address = Multiaddr::parse((*listening)["addrs"][0].get<std::string>()).value();
  const auto js_peer = js_address.peer_id().value();

  auto dialled = run(thread.io, cairn.host->dial(js_address), kEventTimeout);
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
  EXPECT_EQ(**dialled, js_peer);

  auto info = wait_for_identify(*cairn.host, js_peer);
  ASSERT_TRUE(info) << "Cairn did not identify js";
  const std::string js_text = js_address.to_string();
  expect_cairn_identified_js(*info, Multiaddr::parse(js_text.substr(0, js_text.find("/p2p/"))).value());

  auto rtt = run(thread.io, cairn.host->ping(js_peer), kEventTimeout);
  ASSERT_TRUE(rtt && rtt->ok()) << (rtt ? rtt->error().to_string() : "timeout");

  auto identified = js.wait_for("identified");
  ASSERT_TRUE(identified) << "js did not identify Cairn";
  expect_js_identified_cairn(*identified, cairn);
}

// A js node started with `js_extra` more arguments dials Cairn (with `options`): identify
// both ways and ping work.
void check_js_dials_cairn(HostOptions options, const std::vector<std::string>& js_extra) {
  IoThread thread;
  CairnNode cairn(thread.io, std::move(options));
  std::vector<std::string> args{"dial",
                                cairn.address.with_peer_id(cairn.host->peer_id()).value().to_string()};
  args.insert(args.end(), js_extra.begin(), js_extra.end());
  JsNode js(args);
  auto listening = js.wait_for("listening");
  ASSERT_TRUE(listening) << "js did not start";
  const auto js_peer = PeerId::parse((*listening)["peerId"].get<std::string>()).value();

  auto identified = js.wait_for("identified");
  ASSERT_TRUE(identified) << "js did not identify Cairn";
  expect_js_identified_cairn(*identified, cairn);
  auto pinged = js.wait_for("ping");
  ASSERT_TRUE(pinged) << "js could not ping Cairn";

  // js does not listen in this mode, so it announces no listen address.
  auto info = wait_for_identify(*cairn.host, js_peer);
  ASSERT_TRUE(info) << "Cairn did not identify js";
  expect_cairn_identified_js(*info, std::nullopt);
  auto rtt = run(thread.io, cairn.host->ping(js_peer), kEventTimeout);
  ASSERT_TRUE(rtt && rtt->ok()) << (rtt ? rtt->error().to_string() : "timeout");
}

TEST(Libp2pInterop, CairnDialsJs) { check_cairn_dials_js({}, {}); }

TEST(Libp2pInterop, JsDialsCairn) { check_js_dials_cairn({}, {}); }

// ---- private networks: js-libp2p's preSharedKey() connection protector (@libp2p/pnet) ----

// A pnet key file (mode 0600) in the temporary directory, removed with this object.
class PskFile {
 public:
  explicit PskFile(std::string_view hex_key)
      : path_(std::filesystem::temp_directory_path() /
              ("cairn_interop_psk_" + std::to_string(getpid()) + "_" + std::string(hex_key.substr(0, 8)))) {
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path_.string());
    std::string contents(kPskV1Header);
    contents.append("\n/base16/\n").append(hex_key).append("\n");
    const bool written = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
    close(fd);
    if (!written) throw std::runtime_error("cannot write " + path_.string());
  }
  PskFile(const PskFile&) = delete;
  PskFile& operator=(const PskFile&) = delete;
  ~PskFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

const std::string kNetworkKey = "dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d";
const std::string kOtherKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// Cairn reads the same file js is given.
HostOptions in_network(const PskFile& file) {
  HostOptions options;
  options.connection.psk = Psk::load(file.path()).value();
  options.connection.handshake_read_timeout = std::chrono::seconds(2);
  options.connection.handshake_timeout = std::chrono::seconds(4);
  options.log = [](const std::string&) {};
  return options;
}

TEST(PnetInterop, CairnDialsJsWithTheSameKey) {
  PskFile key(kNetworkKey);
  check_cairn_dials_js(in_network(key), {"--psk", key.path().string()});
}

TEST(PnetInterop, JsDialsCairnWithTheSameKey) {
  PskFile key(kNetworkKey);
  check_js_dials_cairn(in_network(key), {"--psk", key.path().string()});
}

TEST(PnetInterop, DifferentKeysFailInBothDirections) {
  PskFile cairn_key(kNetworkKey);
  PskFile js_key(kOtherKey);
  IoThread thread;
  CairnNode cairn(thread.io, in_network(cairn_key));

  // Cairn dials js.
  JsNode listener({"listen", "--psk", js_key.path().string()});
  auto listening = listener.wait_for("listening");
  ASSERT_TRUE(listening) << "js did not start";
  const auto js_address = Multiaddr::parse((*listening)["addrs"][0].get<std::string>()).value();
  auto dialled = run(thread.io, cairn.host->dial(js_address), kEventTimeout);
  ASSERT_TRUE(dialled) << "the dial did not end";
  EXPECT_FALSE(dialled->ok());
  EXPECT_FALSE(cairn.host->connected(js_address.peer_id().value()));

  // js dials Cairn: its dial fails (js_node prints an error and exits).
  JsNode dialer({"dial", cairn.address.with_peer_id(cairn.host->peer_id()).value().to_string(), "--psk",
                 js_key.path().string()});
  auto started = dialer.wait_for("listening");
  ASSERT_TRUE(started) << "js did not start";
  EXPECT_TRUE(dialer.wait_for("error")) << "js connected to Cairn with another key";
  EXPECT_FALSE(cairn.host->connected(PeerId::parse((*started)["peerId"].get<std::string>()).value()));
  EXPECT_EQ(cairn.host->connection_count(), 0u);
}

// A Cairn host with gossipsub; it remembers every message delivered to it.
struct GossipNode {
  explicit GossipNode(asio::io_context& io, GossipsubConfig config = {}) {
    Seed seed;
    OsRng().fill(seed.span());
    host = Host::create(io, KeyPair::from_seed(seed));
    address = host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
    GossipsubServiceOptions options;
    options.router = std::move(config);
    options.on_message = [this](const Delivery& d) {
      std::lock_guard lock(mutex);
      received.emplace_back(d.message.data(), to_hex(as_bytes(d.id)));
    };
    gossip = GossipsubService::create(io, host, KeyPair::from_seed(seed), options).value();
  }
  ~GossipNode() {
    gossip->stop();
    host->stop();
  }
  bool received_data(const std::string& data) {
    std::lock_guard lock(mutex);
    return std::any_of(received.begin(), received.end(), [&](const auto& r) { return r.first == data; });
  }
  std::shared_ptr<Host> host;
  std::optional<Multiaddr> address;
  std::shared_ptr<GossipsubService> gossip;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> received;  // data, message id in hex
};

bool wait_until(const std::function<bool()>& done) {
  const auto deadline = SteadyClock::now() + kEventTimeout;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class GossipInterop : public ::testing::TestWithParam<std::string> {};

TEST_P(GossipInterop, MeshFormsAndMessagesFlowBothWays) {
  const std::string policy = GetParam();
  // Cairn's topics are StrictNoSign, every other topic StrictSign (pubsub_message.h).
  const std::string topic = policy == "StrictNoSign" ? "/cairn/regtest/tx/1" : "interop-chat";
  IoThread thread;
  GossipNode cairn(thread.io);
  ASSERT_TRUE(run(thread.io, cairn.gossip->subscribe(topic)).value());
  JsNode js({"gossip", policy, topic});
  auto listening = js.wait_for("listening");
  ASSERT_TRUE(listening) << "js did not start";
  const auto js_address = Multiaddr::parse((*listening)["addrs"][0].get<std::string>()).value();
  const auto js_peer = js_address.peer_id().value();
  auto dialled = run(thread.io, cairn.host->dial(js_address), kEventTimeout);
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
  ASSERT_TRUE(run(thread.io, cairn.gossip->add_peer(js_peer)).value().ok());

  // GRAFT: js reports the Cairn peer in its mesh, and Cairn has js in its own.
  auto graft = js.wait_for("graft");
  ASSERT_TRUE(graft) << "js saw no GRAFT";
  EXPECT_EQ(graft->value("peerId", ""), cairn.host->peer_id().to_base58());
  EXPECT_EQ(graft->value("topic", ""), topic);
  EXPECT_TRUE(
      wait_until([&] { return run(thread.io, cairn.gossip->mesh(topic)).value().contains(js_peer); }));

  js.send(R"({"cmd":"status"})");
  auto status = js.wait_for("status");
  ASSERT_TRUE(status);
  EXPECT_TRUE(contains((*status)["protocols"], kMeshsubV12)) << status->dump();

  // Cairn -> js, with the same message id on both sides.
  const std::string from_cairn = "from cairn under " + policy;
  auto id = run(thread.io, cairn.gossip->publish(topic, Bytes(from_cairn.begin(), from_cairn.end())));
  ASSERT_TRUE(id && id->ok()) << (id ? id->error().to_string() : "timeout");
  auto message = js.wait_for("message");
  ASSERT_TRUE(message) << "js did not receive Cairn's message";
  EXPECT_EQ(message->value("data", ""), from_cairn);
  EXPECT_EQ(message->value("topic", ""), topic);
  EXPECT_EQ(message->value("msgId", ""), to_hex(as_bytes(**id)));

  // js -> Cairn.
  const std::string from_js = "from js under " + policy;
  js.send(json{{"cmd", "publish"}, {"data", from_js}}.dump());
  EXPECT_TRUE(js.wait_for("published"));
  EXPECT_TRUE(wait_until([&] { return cairn.received_data(from_js); }))
      << "Cairn did not receive js's message";
}

// The mesh of js's topic, from its status line.
size_t js_mesh_size(JsNode& js) {
  js.send(R"({"cmd":"status"})");
  auto status = js.wait_for("status");
  return status ? (*status)["mesh"].size() : 0;
}

// js -> Cairn -> js -> Cairn: the first js peer reaches the last Cairn node only through a
// Cairn forwarder and a js forwarder. The second js peer dials the last Cairn node itself.
TEST_P(GossipInterop, MessagesCrossThreeHopsJsCairnJsCairn) {
  const std::string policy = GetParam();
  const std::string topic = policy == "StrictNoSign" ? "/cairn/regtest/block/1" : "interop-relay";
  IoThread thread;
  GossipNode forwarder(thread.io);
  GossipNode last(thread.io);
  ASSERT_TRUE(run(thread.io, forwarder.gossip->subscribe(topic)).value());
  ASSERT_TRUE(run(thread.io, last.gossip->subscribe(topic)).value());
  JsNode first({"gossip", policy, topic});
  const std::string last_address = last.address->with_peer_id(last.host->peer_id()).value().to_string();
  JsNode middle({"gossip", policy, topic, last_address});
  std::vector<PeerId> js_peers;
  for (JsNode* js : {&first, &middle}) {
    auto listening = js->wait_for("listening");
    ASSERT_TRUE(listening) << "js did not start";
    const auto address = Multiaddr::parse((*listening)["addrs"][0].get<std::string>()).value();
    js_peers.push_back(address.peer_id().value());
    auto dialled = run(thread.io, forwarder.host->dial(address), kEventTimeout);
    ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timeout");
    ASSERT_TRUE(run(thread.io, forwarder.gossip->add_peer(js_peers.back())).value().ok());
  }
  // Every link is in both meshes before anything is published.
  ASSERT_TRUE(wait_until([&] {
    return run(thread.io, forwarder.gossip->mesh(topic)).value().size() == 2 &&
           run(thread.io, last.gossip->mesh(topic)).value().size() == 1;
  }));
  ASSERT_TRUE(wait_until([&] { return js_mesh_size(first) == 1 && js_mesh_size(middle) == 2; }));

  const std::string data = "three hops under " + policy;
  first.send(json{{"cmd", "publish"}, {"data", data}}.dump());
  EXPECT_TRUE(wait_until([&] { return last.received_data(data); }))
      << "the last Cairn node did not receive it";
  EXPECT_TRUE(forwarder.received_data(data));
}

// A Cairn node that keeps no mesh (D = D_lo = D_hi = 0) prunes js's GRAFT, so js's messages
// can reach it only as gossip: js's IHAVE, Cairn's IWANT, js's answer.
TEST_P(GossipInterop, AMeshlessCairnNodeGetsMessagesThroughIHaveAndIWant) {
  const std::string policy = GetParam();
  const std::string topic = policy == "StrictNoSign" ? "/cairn/regtest/vote/1" : "interop-gossip";
  IoThread thread;
  GossipsubConfig meshless;
  meshless.d = meshless.d_lo = meshless.d_hi = meshless.d_score = meshless.d_out = 0;
  GossipNode cairn(thread.io, meshless);
  ASSERT_TRUE(run(thread.io, cairn.gossip->subscribe(topic)).value());
  // js dials, so its GRAFT comes from an inbound peer, which a full mesh turns away.
  JsNode js(
      {"gossip", policy, topic, cairn.address->with_peer_id(cairn.host->peer_id()).value().to_string()});
  ASSERT_TRUE(js.wait_for("listening")) << "js did not start";
  auto graft = js.wait_for("graft");
  ASSERT_TRUE(graft) << "js never tried to graft Cairn";
  auto prune = js.wait_for("prune");
  ASSERT_TRUE(prune) << "Cairn did not prune js";
  EXPECT_EQ(prune->value("direction", ""), "inbound");
  EXPECT_EQ(js_mesh_size(js), 0u);

  const std::string data = "gossiped under " + policy;
  js.send(json{{"cmd", "publish"}, {"data", data}}.dump());
  EXPECT_TRUE(wait_until([&] { return cairn.received_data(data); })) << "no IHAVE/IWANT round brought it";
  EXPECT_TRUE(run(thread.io, cairn.gossip->mesh(topic)).value().empty());
}

INSTANTIATE_TEST_SUITE_P(BothPolicies, GossipInterop, ::testing::Values("StrictSign", "StrictNoSign"));

// ---- Kademlia: js runs its DHT on Cairn's protocol id, in server mode, keeping loopback
// addresses (js_node.mjs kad) --------------------------------------------------------------

const std::string kKadProtocol = "/cairn/regtest/kad/1.0.0";

// A Cairn host with the DHT in server mode.
struct KadNode {
  explicit KadNode(asio::io_context& io) : node(io) {
    KademliaServiceOptions options;
    options.protocol = kKadProtocol;
    options.log = [](const std::string&) {};
    kad = KademliaService::create(io, node.host, options).value();
  }
  ~KadNode() { kad->stop(); }
  Multiaddr full_address() const { return node.address.with_peer_id(node.host->peer_id()).value(); }
  CairnNode node;
  std::shared_ptr<KademliaService> kad;
};

// Polls js's routing table until it holds `peer` (js adds a peer once it answered ping).
bool js_table_has(JsNode& js, const std::string& peer) {
  const auto deadline = SteadyClock::now() + kEventTimeout;
  while (SteadyClock::now() < deadline) {
    js.send(R"({"cmd":"table"})");
    auto table = js.wait_for("table");
    if (table && contains((*table)["peers"], peer)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string without_p2p(const std::string& address) { return address.substr(0, address.find("/p2p/")); }

// Cairn finds js2, which it never dialled: js1 (bootstrap of Cairn) knows js2.
TEST(KadInterop, CairnFindsAJsPeerThroughJs) {
  IoThread thread;
  JsNode js1({"kad", kKadProtocol});
  auto listening1 = js1.wait_for("listening");
  ASSERT_TRUE(listening1) << "js1 did not start";
  const std::string js1_address = (*listening1)["addrs"][0].get<std::string>();
  JsNode js2({"kad", kKadProtocol, js1_address});
  auto listening2 = js2.wait_for("listening");
  ASSERT_TRUE(listening2) << "js2 did not start";
  const std::string js2_address = (*listening2)["addrs"][0].get<std::string>();
  const PeerId js2_peer = PeerId::parse((*listening2)["peerId"].get<std::string>()).value();
  ASSERT_TRUE(js_table_has(js1, js2_peer.to_base58())) << "js1 never added js2";

  KadNode cairn(thread.io);
  auto answered =
      run(thread.io, cairn.kad->bootstrap({Multiaddr::parse(js1_address).value()}), kEventTimeout);
  ASSERT_TRUE(answered);
  ASSERT_EQ(*answered, 1u);
  auto found = run(thread.io, cairn.kad->find_peer(js2_peer), kEventTimeout);
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found) << found->error().message;
  std::vector<std::string> addrs;
  for (const Multiaddr& a : (*found)->addrs) addrs.push_back(a.to_string());
  EXPECT_TRUE(contains(addrs, without_p2p(js2_address))) << js2_address;
  EXPECT_FALSE(cairn.node.host->connected(js2_peer));
  // js1 adds Cairn to its table too: Cairn answers its ping on the kad protocol.
  EXPECT_TRUE(js_table_has(js1, cairn.node.host->peer_id().to_base58()));
}

// js finds Cairn node B, which it never dialled: Cairn node A (js's only contact) knows B.
TEST(KadInterop, JsFindsACairnPeerThroughCairn) {
  IoThread thread;
  KadNode a(thread.io);
  KadNode b(thread.io);
  auto answered = run(thread.io, b.kad->bootstrap({a.full_address()}), kEventTimeout);
  ASSERT_TRUE(answered);
  ASSERT_EQ(*answered, 1u);
  // A admits B once B answered A's ping.
  const auto deadline = SteadyClock::now() + kEventTimeout;
  while (!run(thread.io, a.kad->in_table(b.node.host->peer_id())).value_or(false) &&
         SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(run(thread.io, a.kad->in_table(b.node.host->peer_id())).value_or(false));

  JsNode js({"kad", kKadProtocol, a.full_address().to_string()});
  auto listening = js.wait_for("listening");
  ASSERT_TRUE(listening) << "js did not start";
  const PeerId js_peer = PeerId::parse((*listening)["peerId"].get<std::string>()).value();
  ASSERT_TRUE(js_table_has(js, a.node.host->peer_id().to_base58())) << "js never added Cairn A";

  js.send(json{{"cmd", "findPeer"}, {"peerId", b.node.host->peer_id().to_base58()}}.dump());
  auto found = js.wait_for("found");
  ASSERT_TRUE(found) << "js did not find Cairn B";
  EXPECT_EQ(found->value("peerId", ""), b.node.host->peer_id().to_base58());
  EXPECT_TRUE(contains((*found)["addrs"], b.node.address.to_string())) << found->dump();
  EXPECT_FALSE(b.node.host->connected(js_peer));
  js.send(R"({"cmd":"connections"})");
  auto connections = js.wait_for("connections");
  ASSERT_TRUE(connections);
  EXPECT_FALSE(contains((*connections)["peers"], b.node.host->peer_id().to_base58()));
}

}  // namespace
}  // namespace cairn::net

int main(int argc, char** argv) {
  const std::filesystem::path modules = std::filesystem::path(CAIRN_INTEROP_DIR) / "node_modules";
  if (std::string_view(CAIRN_NODE_EXECUTABLE).empty() || !std::filesystem::is_directory(modules)) {
    std::cerr << "libp2p interop: skipped: needs Node.js and `npm ci` in " << CAIRN_INTEROP_DIR << '\n';
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
