#include "net/block_sync.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "net/block_sync_sim.h"
#include "storage/fault_store.h"

namespace cairn::net {
namespace {

using test::RegtestNode;
using test::sim_peer_id;
using test::SimChain;
using test::SimNetwork;
using test::SimPeer;

constexpr uint64_t kMainHeight = 2'100;
constexpr uint64_t kForkPoint = 20;
constexpr uint64_t kForkHeight = 60;

// Regtest chains mined once for every test: the main chain, and a fork of it that leaves
// it after kForkPoint and grows longer than a local node synced to height 30.
struct Chains {
  SimChain main;
  SimChain fork;
};

SimChain mine(RegtestNode& node, uint64_t height) {
  SimChain chain;
  for (uint64_t h = 0; h <= node.manager_->tip().height(); ++h) {
    const BlockNode* block = node.manager_->at_height(h);
    chain.push(node.manager_->read_block(block->hash).value(), block->work);
  }
  while (chain.tip_height() < height) {
    Block block = node.next_block();
    EXPECT_EQ(node.submit(block), std::nullopt);
    chain.push(block, node.manager_->tip().work);
  }
  return chain;
}

const Chains& chains() {
  static const Chains built = [] {
    Chains out;
    RegtestNode remote;
    out.main = mine(remote, kMainHeight);
    RegtestNode other;
    for (uint64_t h = 1; h <= kForkPoint; ++h) EXPECT_EQ(other.submit(out.main.blocks[h]), std::nullopt);
    other.coinbase_extra_ = {0x42};
    out.fork = mine(other, kForkHeight);
    return out;
  }();
  return built;
}

SimPeer serving(const SimChain& chain) { return SimPeer{chain, false, false, std::nullopt, {}}; }

std::vector<uint64_t> heights_of(const BlockSync::BlocksRequest& request, const SimChain& chain) {
  std::vector<uint64_t> out;
  for (const auto& hash : request.hashes) out.push_back(chain.heights.at(hash));
  return out;
}

class BlockSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { (void)chains(); }
  SimNetwork network(BlockSyncOptions options = {}) {
    return SimNetwork(*local_.manager_, local_.rules_, local_.clock_, options);
  }
  RegtestNode local_;
  const SimChain& main_ = chains().main;
  const SimChain& fork_ = chains().fork;
};

TEST_F(BlockSyncTest, SyncsALongChainFromSeveralPeersAndDropsAStaller) {
  SimNetwork net = network();
  const PeerId a = sim_peer_id(10), staller = sim_peer_id(11), c = sim_peer_id(12);
  net.connect(a, serving(main_));
  SimPeer stalling = serving(main_);
  stalling.stalls = true;
  net.connect(staller, stalling);
  net.connect(c, serving(main_));

  std::optional<BlockSync::Progress> mid;
  net.observer = [&](const BlockSync::Actions&) {
    if (!mid && net.tip_height() >= 1'000) mid = net.sync.progress(net.now);
  };
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == kMainHeight; }));
  EXPECT_EQ(local_.manager_->tip().hash, main_.hash_at(kMainHeight));

  // The staller was penalised and dropped; nobody else was.
  ASSERT_EQ(net.penalties.size(), 1U);
  EXPECT_EQ(net.penalties[0].peer, staller);
  EXPECT_EQ(net.penalties[0].reason, Misbehavior::stalling);
  EXPECT_EQ(net.disconnected, std::vector<PeerId>{staller});

  const BlockSync::Progress done = net.sync.progress(net.now);
  EXPECT_FALSE(done.syncing);
  EXPECT_EQ(done.best_header_height, kMainHeight);
  EXPECT_EQ(done.blocks_delivered.count(staller), 0U);
  ASSERT_EQ(done.blocks_delivered.size(), 2U);
  EXPECT_GT(done.blocks_delivered.at(a), 0U);
  EXPECT_GT(done.blocks_delivered.at(c), 0U);
  EXPECT_EQ(done.blocks_delivered.at(a) + done.blocks_delivered.at(c), kMainHeight);
  EXPECT_EQ(done.blocks_in_flight, 0U);
  EXPECT_EQ(done.buffered_blocks, 0U);
  EXPECT_EQ(done.headers_in_tree, 0U);

  ASSERT_TRUE(mid.has_value());
  EXPECT_TRUE(mid->syncing);
  EXPECT_GT(mid->blocks_per_second, 0.0);
  EXPECT_TRUE(mid->eta_seconds.has_value());

  // A block was requested again only when the staller had held it.
  std::map<uint64_t, int> times;
  for (uint64_t h : net.requested_heights(a, main_)) ++times[h];
  for (uint64_t h : net.requested_heights(c, main_)) ++times[h];
  std::set<uint64_t> held;
  for (const auto& request : net.held) {
    for (uint64_t h : heights_of(request, main_)) held.insert(h);
  }
  EXPECT_FALSE(held.empty());
  for (uint64_t h = 1; h <= kMainHeight; ++h) EXPECT_EQ(times[h], 1) << "height " << h;
}

TEST_F(BlockSyncTest, RestartResumesFromTheStoredChain) {
  const PeerId peer = sim_peer_id(10);
  uint64_t stored = 0;
  {
    SimNetwork net = network();
    net.connect(peer, serving(main_));
    // The peer goes quiet mid-sync; then the node "crashes".
    net.observer = [&](const BlockSync::Actions&) {
      if (net.tip_height() >= 700) net.peers.at(peer).silent = true;
    };
    ASSERT_TRUE(net.run_until([&] { return net.tip_height() >= 700; }));
    stored = net.tip_height();
    ASSERT_LT(stored, kMainHeight);
  }
  // A restarted node: the manager reopened over the same store, a new BlockSync.
  local_.manager_.reset();
  local_.manager_ = ChainManager::open(local_.store_, local_.rules_, local_.checker_, local_.clock_).value();
  ASSERT_EQ(local_.manager_->tip().height(), stored);

  SimNetwork net = network();
  net.connect(peer, serving(main_));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == kMainHeight; }));
  for (uint64_t h : net.requested_heights(peer, main_)) ASSERT_GT(h, stored);
  // Headers are fetched again from the stored tip, with a locator of Bitcoin's shape.
  ASSERT_FALSE(net.headers_requests.empty());
  const std::vector<BlockHash>& locator = net.headers_requests.front().locator;
  ASSERT_LE(locator.size(), kMaxLocatorHashes);
  ASSERT_GT(locator.size(), 10U);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(locator[i], main_.hash_at(stored - i));
  EXPECT_EQ(locator[10], main_.hash_at(stored - 11));
  EXPECT_EQ(locator[11], main_.hash_at(stored - 15));
  EXPECT_EQ(locator.back(), main_.hash_at(0));
  EXPECT_TRUE(net.penalties.empty());
}

TEST_F(BlockSyncTest, RequestsStayWithinTheWindow) {
  BlockSyncOptions options;
  options.window = 40;
  SimNetwork net = network(options);
  const PeerId peer = sim_peer_id(10);
  const SimChain chain = main_.prefix(300);
  net.connect(peer, serving(chain));

  // First step by hand: the headers, then exactly the window's 40 blocks (16 + 16 + 8).
  BlockSync::Actions first = net.sync.take_actions();
  ASSERT_EQ(first.headers.size(), 1U);
  std::vector<BlockHeader> headers;
  for (uint64_t h = 1; h <= 300; ++h) headers.push_back(chain.blocks[h].header);
  net.sync.on_headers(peer, headers, net.now);
  BlockSync::Actions second = net.sync.take_actions();
  std::vector<uint64_t> requested;
  std::vector<size_t> sizes;
  for (const auto& request : second.blocks) {
    sizes.push_back(request.hashes.size());
    for (uint64_t h : heights_of(request, chain)) requested.push_back(h);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 8}));
  std::vector<uint64_t> expected(40);
  for (uint64_t i = 0; i < 40; ++i) expected[i] = i + 1;
  EXPECT_EQ(requested, expected);

  // Answer those by hand, then let the network run: no request ever goes past tip + 40.
  for (const auto& request : second.blocks) {
    for (const auto& hash : request.hashes)
      net.sync.on_block(peer, chain.blocks[chain.heights.at(hash)], net.now);
  }
  net.observer = [&](const BlockSync::Actions& actions) {
    for (const auto& request : actions.blocks) {
      EXPECT_LE(request.hashes.size(), kMaxBlocksPerRequest);
      for (uint64_t h : heights_of(request, chain)) EXPECT_LE(h, net.tip_height() + 40);
    }
  };
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 300; }));
}

TEST_F(BlockSyncTest, RequestsPerPeerAreCapped) {
  BlockSyncOptions options;
  options.window = 100;
  SimNetwork net = network(options);
  const PeerId peer = sim_peer_id(10);
  const SimChain chain = main_.prefix(300);
  net.connect(peer, serving(chain));
  (void)net.sync.take_actions();
  std::vector<BlockHeader> headers;
  for (uint64_t h = 1; h <= 300; ++h) headers.push_back(chain.blocks[h].header);
  net.sync.on_headers(peer, headers, net.now);
  const BlockSync::Actions actions = net.sync.take_actions();
  // 4 requests of 16: heights 1..64, though the window allows 100.
  ASSERT_EQ(actions.blocks.size(), kDefaultMaxRequestsPerPeer);
  EXPECT_EQ(heights_of(actions.blocks.back(), chain).back(), 64U);
  EXPECT_EQ(net.sync.progress(net.now).blocks_in_flight, 64U);
}

TEST_F(BlockSyncTest, FullBufferOnlyLetsLowerBlocksBeRequested) {
  for (const size_t buffer : {size_t{1}, kDefaultMaxBufferedBlockBytes}) {
    RegtestNode local;
    BlockSyncOptions options;
    options.window = 200;
    options.max_buffered_block_bytes = buffer;
    BlockSync sync(*local.manager_, local.rules_, local.clock_, options);
    const PeerId peer = sim_peer_id(10);
    const SimChain chain = main_.prefix(300);
    sync.add_peer(peer, chain.state(), 0);
    (void)sync.take_actions();
    std::vector<BlockHeader> headers;
    for (uint64_t h = 1; h <= 300; ++h) headers.push_back(chain.blocks[h].header);
    sync.on_headers(peer, headers, 0);
    const BlockSync::Actions first = sync.take_actions();
    ASSERT_EQ(first.blocks.size(), 4U);
    // Blocks 17..64 arrive; 1..16 are still missing, so they wait in the buffer.
    for (size_t r = 1; r < 4; ++r) {
      for (const auto& hash : first.blocks[r].hashes)
        sync.on_block(peer, chain.blocks[chain.heights.at(hash)], 0);
    }
    const BlockSync::Progress progress = sync.progress(0);
    EXPECT_EQ(progress.buffered_blocks, 48U);
    EXPECT_EQ(local.manager_->tip().height(), 0U);
    const BlockSync::Actions next = sync.take_actions();
    if (buffer == 1) {
      // Over the bound: nothing above the lowest waiting block (17) is asked for.
      EXPECT_TRUE(next.blocks.empty());
    } else {
      ASSERT_EQ(next.blocks.size(), 3U);
      EXPECT_EQ(heights_of(next.blocks.front(), chain).front(), 65U);
    }
    // The missing blocks let the buffer drain in order.
    for (const auto& hash : first.blocks[0].hashes)
      sync.on_block(peer, chain.blocks[chain.heights.at(hash)], 0);
    EXPECT_EQ(local.manager_->tip().height(), 64U);
    EXPECT_EQ(sync.progress(0).buffered_bytes, 0U);
  }
}

TEST_F(BlockSyncTest, HeaderTreeIsBounded) {
  BlockSyncOptions options;
  options.max_header_tree = 100;
  SimNetwork net = network(options);
  const PeerId peer = sim_peer_id(10);
  net.connect(peer, serving(main_.prefix(350)));
  size_t most = 0;
  net.observer = [&](const BlockSync::Actions&) {
    most = std::max(most, net.sync.progress(net.now).headers_in_tree);
  };
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 350; }));
  EXPECT_EQ(most, 100U);
  EXPECT_TRUE(net.penalties.empty());
}

// Drives one headers exchange by hand: the peer's reply is `headers`.
BlockSync::Actions reply_headers(BlockSync& sync, const PeerId& peer, std::vector<BlockHeader> headers) {
  sync.on_headers(peer, std::move(headers), 0);
  return sync.take_actions();
}

std::vector<BlockHeader> headers_of(const SimChain& chain, uint64_t from, uint64_t to) {
  std::vector<BlockHeader> out;
  for (uint64_t h = from; h <= to; ++h) out.push_back(chain.blocks[h].header);
  return out;
}

TEST_F(BlockSyncTest, InvalidHeaderIsPenalised) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(30).state(), 0);
  ASSERT_EQ(sync.take_actions().headers.size(), 1U);
  std::vector<BlockHeader> headers = headers_of(main_, 1, 30);
  headers.back().height += 1;  // bad_height; the last one, so the chain still links
  const BlockSync::Actions actions = reply_headers(sync, peer, headers);
  ASSERT_EQ(actions.penalties.size(), 1U);
  EXPECT_EQ(actions.penalties[0].reason, Misbehavior::invalid_header);
  EXPECT_EQ(actions.penalties[0].peer, peer);
  // The headers before it passed and are kept; no more headers are asked of that peer.
  EXPECT_EQ(sync.progress(0).headers_in_tree, 29U);
  EXPECT_TRUE(actions.headers.empty());
}

TEST_F(BlockSyncTest, NonContinuousHeadersArePenalised) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(30).state(), 0);
  (void)sync.take_actions();
  std::vector<BlockHeader> headers = headers_of(main_, 1, 30);
  headers.erase(headers.begin() + 10);
  const BlockSync::Actions actions = reply_headers(sync, peer, headers);
  ASSERT_EQ(actions.penalties.size(), 1U);
  EXPECT_EQ(actions.penalties[0].reason, Misbehavior::non_continuous_headers);
  EXPECT_EQ(sync.progress(0).headers_in_tree, 0U);
}

TEST_F(BlockSyncTest, UnconnectingHeadersAreToleratedAFewTimes) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(200).state(), 0);
  (void)sync.take_actions();
  const std::vector<BlockHeader> far = headers_of(main_, 100, 110);
  for (uint32_t i = 0; i < kMaxUnconnectingHeadersReplies; ++i) {
    const BlockSync::Actions actions = reply_headers(sync, peer, far);
    EXPECT_TRUE(actions.penalties.empty()) << i;
    EXPECT_EQ(actions.headers.size(), 1U) << i;  // asked again
  }
  const BlockSync::Actions last = reply_headers(sync, peer, far);
  ASSERT_EQ(last.penalties.size(), 1U);
  EXPECT_EQ(last.penalties[0].reason, Misbehavior::unconnecting_headers);
  EXPECT_EQ(sync.progress(0).headers_in_tree, 0U);
}

TEST_F(BlockSyncTest, AConnectingReplyResetsTheUnconnectingCount) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(200).state(), 0);
  (void)sync.take_actions();
  const std::vector<BlockHeader> far = headers_of(main_, 150, 160);
  for (uint32_t i = 0; i < kMaxUnconnectingHeadersReplies; ++i) (void)reply_headers(sync, peer, far);
  // A reply that connects; the peer then announces its chain again.
  (void)reply_headers(sync, peer, headers_of(main_, 1, 100));
  sync.update_peer(peer, main_.prefix(200).state(), 0);
  (void)sync.take_actions();
  for (uint32_t i = 0; i < kMaxUnconnectingHeadersReplies; ++i) {
    EXPECT_TRUE(reply_headers(sync, peer, far).penalties.empty()) << i;
  }
}

TEST_F(BlockSyncTest, InvalidBlockIsPenalisedAndItsBranchDropped) {
  // A chain whose block 11 commits to a wrong state root: its header is fine.
  SimChain bad = main_.prefix(10);
  Block invalid = main_.blocks[11];
  invalid.header.state_root = Hash256{};
  invalid = RegtestNode::remined(invalid);
  bad.push(invalid, main_.work[11]);

  SimNetwork net = network();
  const PeerId liar = sim_peer_id(10), honest = sim_peer_id(11);
  net.connect(liar, serving(bad));
  net.pump();
  EXPECT_EQ(net.tip_height(), 10U);
  ASSERT_EQ(net.penalties.size(), 1U);
  EXPECT_EQ(net.penalties[0].peer, liar);
  EXPECT_EQ(net.penalties[0].reason, Misbehavior::invalid_block);
  const BlockSync::Progress progress = net.sync.progress(net.now);
  EXPECT_FALSE(progress.syncing);
  EXPECT_EQ(progress.best_header_height, 10U);
  EXPECT_EQ(progress.headers_in_tree, 0U);

  net.connect(honest, serving(main_.prefix(40)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 40; }));
  EXPECT_EQ(local_.manager_->tip().hash, main_.hash_at(40));
  EXPECT_EQ(net.penalties.size(), 1U);
}

TEST_F(BlockSyncTest, MutatedBlockIsPenalisedAndFetchedElsewhere) {
  const SimChain chain = main_.prefix(60);
  SimPeer mutating = serving(chain);
  for (uint64_t h = 1; h <= 60; ++h) {
    Block mutated = chain.blocks[h];
    mutated.transactions[0].outputs[0].value -= 1;  // the header's tx root no longer matches
    mutating.replaced.emplace(h, mutated);
  }

  SimNetwork net = network();
  net.disconnect_on_penalty = true;  // as a ban would
  const PeerId bad = sim_peer_id(10), good = sim_peer_id(11);
  net.connect(bad, mutating);
  net.connect(good, serving(chain));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 60; }));
  EXPECT_EQ(local_.manager_->tip().hash, chain.hash_at(60));
  ASSERT_EQ(net.penalties.size(), 1U);
  EXPECT_EQ(net.penalties[0].peer, bad);
  EXPECT_EQ(net.penalties[0].reason, Misbehavior::invalid_block);
}

TEST_F(BlockSyncTest, UnrequestedBlockIsPenalised) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(5).state(), 0);
  (void)sync.take_actions();
  sync.on_block(peer, main_.blocks[1], 0);
  const BlockSync::Actions actions = sync.take_actions();
  ASSERT_EQ(actions.penalties.size(), 1U);
  EXPECT_EQ(actions.penalties[0].reason, Misbehavior::unrequested_block);
  EXPECT_EQ(local_.manager_->tip().height(), 0U);
}

TEST_F(BlockSyncTest, ReorganisesToABetterChainAPeerAnnounces) {
  SimNetwork net = network();
  net.connect(sim_peer_id(10), serving(main_.prefix(30)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 30; }));

  std::vector<BlockSync::Progress> seen;
  net.observer = [&](const BlockSync::Actions&) {
    if (BlockSync::Progress p = net.sync.progress(net.now); p.syncing) seen.push_back(p);
  };
  const PeerId forked = sim_peer_id(11);
  net.connect(forked, serving(fork_));
  ASSERT_TRUE(net.run_until([&] { return local_.manager_->tip().hash == fork_.hash_at(kForkHeight); }));
  ASSERT_FALSE(seen.empty());
  for (const BlockSync::Progress& p : seen) {
    EXPECT_FALSE(p.following_finality) << "more work: the plain download";
    EXPECT_EQ(p.target_height, kForkHeight);
  }
  EXPECT_EQ(local_.manager_->at_height(kForkPoint)->hash, main_.hash_at(kForkPoint));
  EXPECT_EQ(local_.manager_->at_height(kForkPoint + 1)->hash, fork_.hash_at(kForkPoint + 1));
  // Only the fork's own blocks were fetched from it.
  for (uint64_t h : net.requested_heights(forked, fork_)) EXPECT_GT(h, kForkPoint);
  EXPECT_TRUE(net.penalties.empty());
}

TEST_F(BlockSyncTest, BetterChainAnnouncedLaterByAKnownPeer) {
  SimNetwork net = network();
  const PeerId peer = sim_peer_id(10);
  net.connect(peer, serving(main_.prefix(30)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 30; }));
  net.peers.at(peer).chain = fork_;
  net.sync.update_peer(peer, fork_.state(), net.now);
  ASSERT_TRUE(net.run_until([&] { return local_.manager_->tip().hash == fork_.hash_at(kForkHeight); }));
}

// The fork choice ranks the justified checkpoint before work: a peer whose finalized
// checkpoint our chain lacks may be on the chain we should follow though it has less work,
// so its chain is fetched and handed to the chain manager, which decides by counting its votes.
TEST_F(BlockSyncTest, FetchesALighterChainWithAFinalizedCheckpointWeLack) {
  SimNetwork net = network();
  net.connect(sim_peer_id(10), serving(main_.prefix(30)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 30; }));

  const uint64_t light_height = kForkPoint + 5;
  const SimChain light = fork_.prefix(light_height);
  ASSERT_LT(light.work.back(), local_.manager_->tip().work);
  PeerChainState claim = light.state();
  claim.finalized_hash = light.hash_at(light_height - 1);
  claim.finalized_height = light_height - 1;
  std::vector<BlockSync::Progress> seen;
  net.observer = [&](const BlockSync::Actions&) {
    if (BlockSync::Progress p = net.sync.progress(net.now); p.syncing) seen.push_back(p);
  };
  const PeerId finalized = sim_peer_id(11);
  net.connect(finalized, serving(light));
  net.sync.update_peer(finalized, claim, net.now);
  ASSERT_TRUE(net.run_until([&] { return local_.manager_->find(light.hash_at(light_height)) != nullptr; }));
  for (uint64_t h = kForkPoint + 1; h <= light_height; ++h) {
    EXPECT_NE(local_.manager_->find(light.hash_at(h)), nullptr) << "height " << h;
  }
  // The progress says which chain is fetched: not the best header by work, our own tip.
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(seen.front().following_finality);
  EXPECT_EQ(seen.front().target_height, light_height);
  EXPECT_EQ(seen.front().blocks_remaining, light_height - kForkPoint);
  EXPECT_EQ(seen.front().best_header_height, 30u);
  // Without finality its votes justify nothing here: the most work still wins.
  EXPECT_EQ(local_.manager_->tip().hash, main_.hash_at(30));
  for (uint64_t h : net.requested_heights(finalized, light)) EXPECT_GT(h, kForkPoint);
  EXPECT_TRUE(net.penalties.empty());
  // Stored, the claim asks for nothing more.
  const size_t requests = net.blocks_requests.size();
  net.run_until([] { return false; }, 20'000'000'000);
  EXPECT_EQ(net.blocks_requests.size(), requests);
  EXPECT_FALSE(net.sync.progress(net.now).syncing);
}

TEST_F(BlockSyncTest, ALighterChainWithoutAFinalizedCheckpointWeLackIsNotFetched) {
  SimNetwork net = network();
  net.connect(sim_peer_id(10), serving(main_.prefix(30)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 30; }));

  const SimChain light = fork_.prefix(kForkPoint + 5);
  const PeerId plain = sim_peer_id(11);
  net.connect(plain, serving(light));
  // Its finalized checkpoint is on our chain: nothing to gain from its branch.
  const PeerId shared = sim_peer_id(12);
  net.connect(shared, serving(light));
  PeerChainState claim = light.state();
  claim.finalized_hash = main_.hash_at(kForkPoint);
  claim.finalized_height = kForkPoint;
  net.sync.update_peer(shared, claim, net.now);
  net.run_until([] { return false; }, 20'000'000'000);
  EXPECT_TRUE(net.requested_heights(plain, light).empty());
  EXPECT_TRUE(net.requested_heights(shared, light).empty());
  EXPECT_EQ(local_.manager_->find(light.hash_at(kForkPoint + 1)), nullptr);
}

TEST_F(BlockSyncTest, PeerMissingBlocksIsNotAskedForThemAgain) {
  SimNetwork net = network();
  const PeerId partial = sim_peer_id(10), full = sim_peer_id(11);
  SimPeer lacking = serving(main_.prefix(200));
  lacking.serves_up_to = 50;
  net.connect(partial, lacking);
  net.pump();
  EXPECT_EQ(net.tip_height(), 50U);
  EXPECT_EQ(net.sync.progress(net.now).blocks_in_flight, 0U);

  net.connect(full, serving(main_.prefix(200)));
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 200; }));
  std::map<uint64_t, int> asked;
  for (uint64_t h : net.requested_heights(partial, main_)) ++asked[h];
  for (const auto& [height, times] : asked) EXPECT_EQ(times, 1) << height;
  EXPECT_TRUE(net.penalties.empty());
}

TEST_F(BlockSyncTest, UnansweredRequestTimesOut) {
  BlockSync sync(*local_.manager_, local_.rules_, local_.clock_);
  const PeerId peer = sim_peer_id(10);
  sync.add_peer(peer, main_.prefix(30).state(), 0);
  ASSERT_EQ(sync.take_actions().headers.size(), 1U);
  sync.tick(kDefaultRequestTimeoutNs);
  EXPECT_TRUE(sync.take_actions().disconnect.empty());
  sync.tick(kDefaultRequestTimeoutNs + 1);
  const BlockSync::Actions actions = sync.take_actions();
  EXPECT_EQ(actions.disconnect, std::vector<PeerId>{peer});
  ASSERT_EQ(actions.penalties.size(), 1U);
  EXPECT_EQ(actions.penalties[0].reason, Misbehavior::stalling);
  EXPECT_EQ(sync.progress(0).peers, 0U);
}

TEST_F(BlockSyncTest, StallTimeoutBoundary) {
  // One peer holds block 1; another has nothing left to fetch within the window.
  BlockSyncOptions options;
  options.window = 32;
  SimNetwork net = network(options);
  const PeerId staller = sim_peer_id(10), other = sim_peer_id(11);
  const SimChain chain = main_.prefix(100);
  SimPeer stalling = serving(chain);
  stalling.stalls = true;
  net.connect(staller, stalling);
  net.pump();  // headers from the staller, then it holds blocks 1..32
  net.connect(other, serving(chain));
  net.pump();
  ASSERT_EQ(net.tip_height(), 0U);
  const int64_t waiting_since = net.now;
  net.sync.tick(waiting_since + kDefaultStallTimeoutNs);
  net.pump();
  EXPECT_TRUE(net.disconnected.empty());
  net.sync.tick(waiting_since + kDefaultStallTimeoutNs + 1);
  net.now = waiting_since + kDefaultStallTimeoutNs + 1;
  net.pump();
  EXPECT_EQ(net.disconnected, std::vector<PeerId>{staller});
  ASSERT_TRUE(net.run_until([&] { return net.tip_height() == 100; }));
}

TEST_F(BlockSyncTest, StoreFailureIsFatal) {
  MemoryStore memory;
  FaultInjectingStore store(memory);
  ManualClock clock(local_.clock_.unix_seconds());
  DirectSignatureChecker checker;
  auto manager = ChainManager::open(store, local_.rules_, checker, clock).value();
  SimNetwork net(*manager, local_.rules_, clock);
  net.connect(sim_peer_id(10), serving(main_.prefix(100)));
  store.fail_write(20);
  net.pump();
  ASSERT_TRUE(net.fatal.has_value());
  EXPECT_EQ(net.fatal->code, ErrorCode::io);
  EXPECT_LT(manager->tip().height(), 20U);
  // Stopped: nothing more is requested.
  net.sync.tick(net.now + 1);
  net.sync.add_peer(sim_peer_id(11), main_.prefix(100).state(), net.now);
  const BlockSync::Actions after = net.sync.take_actions();
  EXPECT_TRUE(after.blocks.empty());
  EXPECT_TRUE(after.headers.empty());
  EXPECT_FALSE(after.fatal.has_value());
}

}  // namespace
}  // namespace cairn::net
