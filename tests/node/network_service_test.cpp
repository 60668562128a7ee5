// cairnd's peer-to-peer network in-process: regtest nodes on 127.0.0.1 exchange the status
// handshake, sync blocks header-first, relay transactions by gossip and blocks as compact
// blocks rebuilt from the mempool, and ban a peer that sends garbage, by peer id and
// address group, across a restart. (Multi-process scenarios: tests/apps/network_test.py.)
#include <array>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "net/chain_protocol.h"
#include "net/gossipsub_service.h"
#include "net/host.h"
#include "net/host_support.h"
#include "net/multiformats.h"
#include "net/peer_rate_limits.h"
#include "node/running_node.h"
#include "primitives/sighash.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using namespace std::chrono_literals;
using test::RunningNode;

constexpr auto kWait = 60s;
constexpr Amount kFee = 10'000;

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::unique_ptr<RunningNode> start(const TempDir& dir, test::RunningNodeOptions options = {}) {
  auto node = RunningNode::start(dir.path(), std::move(options));
  EXPECT_TRUE(node.ok()) << node.error().to_string();
  return node ? std::move(*node) : nullptr;
}

size_t handshaken_peers(NetworkService& network) {
  size_t count = 0;
  for (const PeerView& peer : network.peers()) count += peer.handshaken ? 1 : 0;
  return count;
}

// A transaction paying output 0 of `funding` (a coin of test key 0) less kFee to key `to`.
Transaction signed_spend(const Transaction& funding, size_t to, const BlockHash& genesis) {
  return test::signed_spend(funding, key_hash_lock(test::test_key(to).public_key()), kFee, genesis);
}

TEST(NetworkService, NewNodeSyncsHeaderFirstFromAPeer) {
  TempDir a_dir;
  TempDir b_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->node().generate(120, test::miner_lock()).ok());
  auto b = start(b_dir, {.bootstrap = {a->address()}});
  ASSERT_TRUE(b);
  ASSERT_TRUE(wait_until([&] { return b->height() == 120; })) << "b stays at " << b->height();
  EXPECT_EQ(b->on_chain([&] { return b->node().chain().tip().hash; }),
            a->on_chain([&] { return a->node().chain().tip().hash; }));
  EXPECT_EQ(handshaken_peers(b->network()), 1u);
  ASSERT_TRUE(wait_until([&] { return handshaken_peers(a->network()) == 1; }));
  const NetworkStats served = a->network().stats();
  const std::string blocks = net::blocks_protocol(Network::regtest);
  ASSERT_TRUE(served.protocols.contains(blocks));
  EXPECT_GE(served.protocols.at(blocks).messages_out, 120u) << "every block went out on the blocks protocol";
  const std::vector<PeerView> peers = b->network().peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].blocks_delivered, 120u);
  EXPECT_EQ(peers[0].direction, "outbound");
  EXPECT_EQ(peers[0].best_height, 120u) << "the status handshake carried a's tip";
  EXPECT_FALSE(b->network().sync_status().syncing);
}

TEST(NetworkService, TransactionsGossipAndBlocksRebuildFromTheMempool) {
  TempDir a_dir;
  TempDir b_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  const uint64_t maturity = a->node().params().coinbase_maturity;
  constexpr size_t kSpends = 20;
  ASSERT_TRUE(a->node().generate(maturity + kSpends, test::miner_lock()).ok());
  auto b = start(b_dir, {.bootstrap = {a->address()}});
  ASSERT_TRUE(b);
  ASSERT_TRUE(wait_until([&] { return b->height() == maturity + kSpends; }));
  ASSERT_TRUE(wait_until([&] { return handshaken_peers(a->network()) == 1; }));

  const BlockHash genesis = a->node().params().genesis_hash;
  for (uint64_t height = 1; height <= kSpends; ++height) {
    const MempoolVerdict verdict = a->on_chain([&] {
      const Block block = a->node().chain().read_block(a->node().chain().at_height(height)->hash).value();
      return a->node().submit_transaction(signed_spend(block.transactions.at(0), 1, genesis));
    });
    ASSERT_EQ(verdict.status, TxStatus::accepted) << to_string(verdict.reason);
  }
  ASSERT_TRUE(wait_until([&] { return b->on_chain([&] { return b->node().mempool().size(); }) == kSpends; }))
      << "b's mempool holds " << b->on_chain([&] { return b->node().mempool().size(); });

  ASSERT_TRUE(a->node().generate(1, test::miner_lock()).ok());
  const uint64_t tip = maturity + kSpends + 1;
  ASSERT_TRUE(wait_until([&] { return b->height() == tip; }));
  EXPECT_EQ(b->on_chain([&] { return b->node().mempool().size(); }), 0u) << "the block confirmed them all";
  const NetworkStats stats = b->network().stats();
  EXPECT_EQ(stats.compact_blocks_received, 1u);
  EXPECT_EQ(stats.compact_blocks_reconstructed, 1u) << "rebuilt from the mempool alone";
  EXPECT_EQ(stats.blocktxn_requests, 0u);
  EXPECT_EQ(stats.compact_blocks_full_fallback, 0u);
  EXPECT_EQ(a->network().stats().blocks_relayed, 1u);
  const std::vector<PeerView> peers = b->network().peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].transactions_received, kSpends);
}

// Transactions a receiver never saw (they reached the miner's pool before the receiver
// connected) come with one blocktxn round trip.
TEST(NetworkService, MissingTransactionsComeByBlocktxn) {
  TempDir a_dir;
  TempDir b_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  const uint64_t maturity = a->node().params().coinbase_maturity;
  constexpr size_t kSpends = 5;
  ASSERT_TRUE(a->node().generate(maturity + kSpends, test::miner_lock()).ok());
  const BlockHash genesis = a->node().params().genesis_hash;
  for (uint64_t height = 1; height <= kSpends; ++height) {
    const MempoolVerdict verdict = a->on_chain([&] {
      const Block block = a->node().chain().read_block(a->node().chain().at_height(height)->hash).value();
      return a->node().submit_transaction(signed_spend(block.transactions.at(0), 1, genesis));
    });
    ASSERT_EQ(verdict.status, TxStatus::accepted) << to_string(verdict.reason);
  }
  auto b = start(b_dir, {.bootstrap = {a->address()}});
  ASSERT_TRUE(b);
  ASSERT_TRUE(wait_until([&] { return b->height() == maturity + kSpends; }));
  ASSERT_TRUE(wait_until([&] { return handshaken_peers(a->network()) == 1; }));
  EXPECT_EQ(b->on_chain([&] { return b->node().mempool().size(); }), 0u) << "b never saw them";

  ASSERT_TRUE(a->node().generate(1, test::miner_lock()).ok());
  ASSERT_TRUE(wait_until([&] { return b->height() == maturity + kSpends + 1; }));
  const NetworkStats stats = b->network().stats();
  EXPECT_EQ(stats.compact_blocks_received, 1u);
  EXPECT_EQ(stats.blocktxn_requests, 1u);
  EXPECT_EQ(stats.compact_blocks_with_blocktxn, 1u);
  EXPECT_EQ(stats.compact_blocks_full_fallback, 0u);
  const std::string blocktxn = net::blocktxn_protocol(Network::regtest);
  ASSERT_TRUE(stats.protocols.contains(blocktxn));
  EXPECT_EQ(stats.protocols.at(blocktxn).messages_out, 1u);
  EXPECT_EQ(stats.protocols.at(blocktxn).messages_in, 1u);
}

// An attacker's libp2p host, dialling from `source` (a loopback address of its own).
struct Attacker {
  explicit Attacker(const std::string& source) {
    net::HostOptions options;
    options.outbound_bind_address = boost::asio::ip::make_address(source);
    host = net::Host::create(thread.io, KeyPair::generate(), std::move(options));
  }
  ~Attacker() { host->stop(); }

  std::optional<Result<net::PeerId>> dial(const std::string& address) {
    return net::testing::run(thread.io, host->dial(net::Multiaddr::parse(address).value()));
  }

  // Sends a frame on the headers protocol that is not a GetHeaders message.
  void send_garbage(const net::PeerId& peer) {
    auto sent = net::testing::run(
        thread.io, [](std::shared_ptr<net::Host> h, net::PeerId p) -> boost::asio::awaitable<bool> {
          const std::vector<std::string> protocols{net::headers_protocol(Network::regtest)};
          auto stream = co_await h->new_stream(p, protocols);
          if (!stream) co_return false;
          Bytes frame;
          net::append_uvarint(frame, 5);
          for (const uint8_t byte : std::array<uint8_t, 5>{0xde, 0xad, 0xbe, 0xef, 0x00})
            frame.push_back(byte);
          const Status written = co_await stream->write(std::move(frame));
          const Status closed = co_await stream->close();
          co_return written.ok() && closed.ok();
        }(host, peer));
    EXPECT_TRUE(sent.value_or(false)) << "the garbage went out";
  }

  // The dialler's side of a status exchange: ours out, the node's back.
  std::optional<net::StatusMessage> exchange_status(const net::PeerId& peer, const net::StatusMessage& ours) {
    auto reply = net::testing::run(
        thread.io,
        [](std::shared_ptr<net::Host> h, net::PeerId p,
           Bytes message) -> boost::asio::awaitable<Result<Bytes>> {
          const std::vector<std::string> protocols{net::status_protocol(Network::regtest)};
          auto stream = co_await h->new_stream(p, protocols);
          if (!stream) co_return stream.error();
          Bytes frame;
          net::append_uvarint(frame, message.size());
          frame.insert(frame.end(), message.begin(), message.end());
          if (auto written = co_await stream->write(std::move(frame)); !written) co_return written.error();
          auto read = co_await net::read_length_prefixed(*stream, net::kMaxStatusFrameBytes);
          (void)co_await stream->close();
          co_return read;
        }(host, peer, net::encode(ours)));
    if (!reply || !*reply) return std::nullopt;
    auto status = net::decode_status(**reply);
    return status ? std::optional{*status} : std::nullopt;
  }

  net::testing::IoThread thread;
  std::shared_ptr<net::Host> host;
};

// A peer's status may be sent again on the same connection with its chain moved (the node
// refreshes statuses when its finalized checkpoint moves): the node takes the new chain. A
// later status that changes the peer's version or agent contradicts the first.
TEST(NetworkService, ALaterStatusMovesThePeersChainAndAContradictoryOneIsPenalised) {
  TempDir a_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->node().generate(3, test::miner_lock()).ok());
  Attacker peer("127.0.0.4");
  auto dialled = peer.dial(a->address());
  ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timed out");
  const net::PeerId a_id = **dialled;

  net::StatusMessage status;
  status.genesis = a->on_chain([&] { return a->node().chain().at_height(0)->hash; });
  status.best_hash = status.genesis;
  status.finalized_hash = status.genesis;
  status.user_agent = "cairn-test/1";
  const auto reply = peer.exchange_status(a_id, status);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->best_height, 3u);
  auto view = [&]() -> std::optional<PeerView> {
    for (const PeerView& p : a->network().peers()) {
      if (p.peer_id == peer.host->peer_id().to_base58()) return p;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(wait_until([&] { return view() && view()->handshaken; }));
  EXPECT_EQ(view()->best_height, 0u);

  status.best_hash = BlockHash::from_hex(std::string(64, '7')).value();
  status.best_height = 2;
  ASSERT_TRUE(peer.exchange_status(a_id, status)) << "a later status is answered";
  ASSERT_TRUE(wait_until([&] { return view() && view()->best_height == 2; }))
      << "the node keeps the later chain: " << (view() ? view()->best_height : 0);
  EXPECT_EQ(view()->ban_score, 0u) << "moving its chain is no fault";

  status.user_agent = "someone-else/2";
  (void)peer.exchange_status(a_id, status);
  ASSERT_TRUE(
      wait_until([&] { return a->network().stats().misbehavior.count("incompatible_handshake") == 1; }));
  EXPECT_TRUE(!view() || view()->best_height == 2) << "the contradictory status is not taken";
}

TEST(NetworkService, GarbageBansThePeerAndItsGroupAcrossARestart) {
  TempDir a_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  const std::string target = a->address();
  {
    Attacker attacker("127.0.0.2");
    auto dialled = attacker.dial(target);
    ASSERT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timed out");
    attacker.send_garbage(**dialled);
    ASSERT_TRUE(wait_until([&] { return !a->network().bans().empty(); })) << "no ban";
  }
  auto banned_group = [&] {
    for (const BanView& ban : a->network().bans()) {
      if (ban.kind == "group" && ban.target == "127.0.0.2/32") return true;
    }
    return false;
  };
  EXPECT_TRUE(banned_group());
  EXPECT_EQ(a->network().stats().misbehavior.count("malformed_message"), 1u);
  {
    Attacker again("127.0.0.2");  // a new key from the same address group
    auto dialled = again.dial(target);
    EXPECT_TRUE(!dialled || !dialled->ok()) << "a banned group gets no connection";
  }

  a->stop();
  a = start(a_dir);
  ASSERT_TRUE(a);
  EXPECT_TRUE(banned_group()) << "the ban survives the restart";
  {
    Attacker after_restart("127.0.0.2");
    auto dialled = after_restart.dial(a->address());
    EXPECT_TRUE(!dialled || !dialled->ok()) << "still refused after the restart";
  }
  {
    Attacker bystander("127.0.0.3");  // another group is welcome
    auto dialled = bystander.dial(a->address());
    EXPECT_TRUE(dialled && dialled->ok()) << (dialled ? dialled->error().to_string() : "timed out");
  }
  ASSERT_TRUE(a->network().unban("127.0.0.2").ok());
  EXPECT_FALSE(banned_group());
}

// An attacker floods the transaction topic: first with distinct transactions spending outputs
// nobody has (orphans: not invalid, but far over the rate limit, so most are dropped unseen),
// then with transactions the consensus rules refuse (no inputs), which get it banned.
TEST(NetworkService, ATransactionFloodIsRateLimitedWhileBlocksFlow) {
  TempDir a_dir;
  TempDir b_dir;
  auto a = start(a_dir);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->node().generate(5, test::miner_lock()).ok());
  auto b = start(b_dir, {.bootstrap = {a->address()}});
  ASSERT_TRUE(b);
  ASSERT_TRUE(wait_until([&] { return b->height() == 5; }));

  net::testing::IoThread thread;
  net::HostOptions host_options;
  host_options.outbound_bind_address = boost::asio::ip::make_address("127.0.0.4");
  Seed seed;
  OsRng().fill(seed.span());
  auto host = net::Host::create(thread.io, KeyPair::from_seed(seed), host_options);
  net::GossipsubServiceOptions gossip_options;
  gossip_options.max_queued_rpcs = 100'000;  // the attacker's own queue must not be the limit
  gossip_options.log = [](const std::string&) {};
  auto gossip =
      net::GossipsubService::create(thread.io, host, KeyPair::from_seed(seed), gossip_options).value();
  const std::string topic = net::tx_topic(Network::regtest);
  auto dialled = net::testing::run(thread.io, host->dial(net::Multiaddr::parse(b->address()).value()));
  ASSERT_TRUE(dialled && dialled->ok());
  ASSERT_TRUE(net::testing::run(thread.io, gossip->subscribe(topic)).value_or(false));
  ASSERT_TRUE(net::testing::run(thread.io, gossip->add_peer(**dialled)).has_value());
  ASSERT_TRUE(wait_until([&] {
    return net::testing::run(thread.io, gossip->topic_peers(topic))
               .value_or(std::set<net::PeerId>{})
               .size() == 1;
  }));

  // Twice the tx bucket's burst, faster than it refills.
  const size_t flood = 2 * net::kPeerRateTable[static_cast<size_t>(net::ProtocolKind::tx)].burst;
  for (size_t i = 0; i < flood; ++i) {
    Transaction tx;
    Hash256 unknown;
    for (size_t byte = 0; byte < 8; ++byte) unknown.bytes[byte] = static_cast<uint8_t>((i + 1) >> (8 * byte));
    tx.inputs = {TxIn{OutPoint{unknown, 0}, {}}};
    tx.outputs = {TxOut{1'000, test::miner_lock()}};
    auto published = net::testing::run(thread.io, gossip->publish(topic, encode(tx)));
    ASSERT_TRUE(published && published->ok()) << "orphans cost no points: the attacker stays connected";
  }
  // Blocks keep flowing from a to b meanwhile.
  ASSERT_TRUE(a->node().generate(3, test::miner_lock()).ok());
  EXPECT_TRUE(wait_until([&] { return b->height() == 8; })) << "b stays at " << b->height();
  ASSERT_TRUE(wait_until([&] { return b->network().stats().rate_limited.contains("tx"); }));
  const NetworkStats stats = b->network().stats();
  EXPECT_GT(stats.rate_limited.at("tx"), 0u);
  EXPECT_LE(b->on_chain([&] { return b->node().mempool().orphan_count(); }), kMaxOrphans);
  EXPECT_TRUE(b->network().bans().empty()) << "dropped over the rate, not punished";

  // Wait for the bucket to refill, then invalid transactions: ten cost the ban threshold.
  std::this_thread::sleep_for(1500ms);
  for (uint64_t i = 0; i < 20; ++i) {
    Transaction invalid;
    invalid.outputs = {TxOut{i + 1, test::miner_lock()}};
    auto published = net::testing::run(thread.io, gossip->publish(topic, encode(invalid)));
    if (!published || !published->ok()) break;  // disconnected: banned
  }
  EXPECT_TRUE(wait_until([&] { return !b->network().bans().empty(); })) << "the invalid flood is banned";
  EXPECT_GE(b->network().stats().misbehavior["invalid_transaction"], 10u);
  gossip->stop();
  host->stop();
}

}  // namespace
}  // namespace cairn
