#include "consensus/genesis.h"

#include <string>

#include <gtest/gtest.h>

#include "consensus/block_rules.h"
#include "consensus/params.h"
#include "consensus/pow.h"
#include "crypto/lthash.h"

namespace cairn {
namespace {

// Pinned: any change to the genesis block, its encoding or the header hash shows up here.
struct Pinned {
  Network network;
  const char* hash;
};
constexpr Pinned kGenesisHashes[] = {
    {Network::mainnet, "000000a80d165d304b41b481ee88673656755bada59610db90d5b1a558f6570c"},
    {Network::testnet, "0000d0469e3e037e9e86c3e651b87df5a9d02275bfdeb0f0d749554deca482a2"},
    {Network::regtest, "1cbe4604ca52cab9d2b1ca3484ea7184175ced71f48b627795740f31c5e68471"},
};

TEST(Genesis, HashesArePinned) {
  for (const auto& pinned : kGenesisHashes) {
    const ConsensusParams& p = consensus_params(pinned.network);
    EXPECT_EQ(block_hash(p.genesis.header).hex(), pinned.hash) << network_name(pinned.network);
    EXPECT_EQ(p.genesis_hash, block_hash(p.genesis.header));
  }
}

TEST(Genesis, HeaderMeetsThePowLimit) {
  for (Network net : kAllNetworks) {
    const ConsensusParams& p = consensus_params(net);
    EXPECT_EQ(p.genesis.header.target, p.pow_limit) << network_name(net);
    EXPECT_TRUE(check_pow(p.genesis.header)) << network_name(net);
  }
}

TEST(Genesis, IsAWellFormedBlockWithAnEmptyState) {
  for (Network net : kAllNetworks) {
    const ConsensusParams& p = consensus_params(net);
    const Block& g = p.genesis;
    EXPECT_EQ(g.header.height, 0U);
    EXPECT_TRUE(g.header.prev.is_zero());
    EXPECT_EQ(g.header.state_root, LtHash{}.root());
    ASSERT_EQ(g.transactions.size(), 1U);
    EXPECT_TRUE(g.transactions[0].outputs.empty());
    const auto body = decode_coinbase_body(g.transactions[0].payload.body);
    ASSERT_TRUE(body);
    EXPECT_EQ(body->height, 0U);
    EXPECT_FALSE(body->extra.empty());
    EXPECT_FALSE(check_block(p, g)) << network_name(net);  // roots and shape
  }
}

TEST(Genesis, NetworksDiffer) {
  EXPECT_NE(consensus_params(Network::mainnet).genesis_hash, consensus_params(Network::testnet).genesis_hash);
  EXPECT_NE(consensus_params(Network::testnet).genesis_hash, consensus_params(Network::regtest).genesis_hash);
}

TEST(Genesis, BuildIsDeterministic) {
  const GenesisSpec spec{.timestamp = 1, .target = 0x207fffff, .nonce = 2, .message = "x"};
  EXPECT_EQ(build_genesis(spec), build_genesis(spec));
}

}  // namespace
}  // namespace cairn
