#include "chain/miner.h"

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "consensus/block_rules.h"
#include "consensus/pow.h"

namespace cairn {
namespace {

const ConsensusParams& regtest() { return consensus_params(Network::regtest); }

BlockTemplate on_genesis() {
  BlockTemplate tmpl;
  tmpl.parent = regtest().genesis.header;
  tmpl.parent_hash = regtest().genesis_hash;
  tmpl.coinbase_extra = {1, 2, 3};
  tmpl.fees = 7;
  tmpl.timestamp = tmpl.parent.timestamp + 1;
  return tmpl;
}

TEST(Miner, FindsAValidNonceForARegtestBlock) {
  Block block = assemble_block(regtest(), on_genesis()).value();
  const std::atomic<bool> stop{false};
  const auto solved = mine_header(block.header, MineOptions{.threads = 2}, stop);
  ASSERT_TRUE(solved);
  EXPECT_TRUE(check_pow(*solved));
  block.header = *solved;
  EXPECT_EQ(check_block(regtest(), block), std::nullopt);
  const BlockHeader& g = regtest().genesis.header;
  EXPECT_EQ(check_header(regtest(), block.header, HeaderContext{g, g.timestamp, g.timestamp}), std::nullopt);
}

TEST(Miner, EachThreadSearchesItsOwnRange) {
  // A harder target: a solution is found by whichever thread owns it, and it is in range.
  BlockHeader h = regtest().genesis.header;
  h.target = 0x1f00ffff;  // about one hash in 2^16
  const std::atomic<bool> stop{false};
  const MineOptions options{.threads = 3, .first_nonce = 1'000'000, .nonce_count = 3'000'000};
  const auto solved = mine_header(h, options, stop);
  ASSERT_TRUE(solved);
  EXPECT_TRUE(check_pow(*solved));
  EXPECT_GE(solved->nonce, options.first_nonce);
  EXPECT_LT(solved->nonce, options.first_nonce + options.nonce_count);
}

TEST(Miner, ExhaustedRangeGivesNothing) {
  BlockHeader h = regtest().genesis.header;
  h.target = 0x01010000;  // target 1: no hash in a small range meets it
  const std::atomic<bool> stop{false};
  EXPECT_FALSE(mine_header(h, MineOptions{.threads = 2, .first_nonce = 0, .nonce_count = 10'000}, stop));
  h.target = 0;  // an invalid target is not searched at all
  EXPECT_FALSE(mine_header(h, MineOptions{}, stop));
}

TEST(Miner, StopFlagEndsAnImpossibleSearchPromptly) {
  BlockHeader h = regtest().genesis.header;
  h.target = 0x01010000;
  std::atomic<bool> stop{false};
  auto search =
      std::async(std::launch::async, [&] { return mine_header(h, MineOptions{.threads = 2}, stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.store(true);
  ASSERT_EQ(search.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(search.get());
}

TEST(Miner, AssemblesCoinbaseRootsAndTarget) {
  BlockTemplate tmpl = on_genesis();
  tmpl.coinbase_lock = key_hash_lock(PublicKey{});
  const Block block = assemble_block(regtest(), tmpl).value();
  ASSERT_EQ(block.transactions.size(), 1U);
  const Transaction& cb = block.transactions[0];
  EXPECT_TRUE(cb.is_coinbase());
  EXPECT_EQ(cb.outputs.at(0).value, block_subsidy(regtest(), 1) + 7);
  EXPECT_EQ(cb.outputs.at(0).lock, tmpl.coinbase_lock);
  EXPECT_EQ(decode_coinbase_body(cb.payload.body)->extra, tmpl.coinbase_extra);
  EXPECT_EQ(block.header.height, 1U);
  EXPECT_EQ(block.header.prev, regtest().genesis_hash);
  EXPECT_EQ(block.header.target, next_target(regtest(), tmpl.parent));
  EXPECT_EQ(block.header.tx_root, compute_tx_root(block));
  EXPECT_TRUE(block.header.state_root.is_zero());  // the caller's to fill

  tmpl.fees = kMaxMoney;  // subsidy + fees leaves the money range
  EXPECT_FALSE(assemble_block(regtest(), tmpl));
}

}  // namespace
}  // namespace cairn
