#include "chain/network_rules.h"

#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "consensus/block_rules.h"
#include "consensus/pow.h"
#include "primitives/sighash.h"
#include "storage/memory_store.h"
#include "support/keys.h"
#include "util/clock.h"

namespace cairn {
namespace {

using test::miner_lock;

// A regtest chain on a MemoryStore, driven by the tests below.
class RegtestChain : public ::testing::Test, protected test::RegtestNode {};

TEST_F(RegtestChain, MinedBlocksAreAcceptedAndASpendConnects) {
  std::vector<Block> mined;
  for (uint64_t i = 0; i < params().coinbase_maturity; ++i) {
    mined.push_back(next_block());
    ASSERT_EQ(submit(mined.back()), std::nullopt) << "height " << i + 1;
  }
  ASSERT_EQ(manager_->tip().height(), params().coinbase_maturity);

  // The first coinbase is mature in the next block: spend it, paying a fee to that block.
  const Transaction& coinbase = mined[0].transactions[0];
  Transaction tx;
  tx.inputs = {TxIn{OutPoint{txid(coinbase), 0}, {}}};
  constexpr Amount kFee = 1'000;
  tx.outputs = {TxOut{coinbase.outputs[0].value - kFee, key_hash_lock(test::test_key(1).public_key())}};
  const auto digests = compute_sighash_digests(tx, coinbase.outputs).value();
  const auto all = static_cast<uint8_t>(SighashType::all);
  const Hash256 msg = signature_hash(tx, digests, 0, all, params().genesis_hash).value();
  tx.inputs[0].witness =
      KeySpend{test::test_key(0).public_key(), TypedSignature{test::test_key(0).sign(msg), all}};

  const Block with_spend = next_block({tx}, kFee);
  ASSERT_EQ(submit(with_spend), std::nullopt);
  EXPECT_EQ(manager_->tip().hash, block_hash(with_spend.header));
  EXPECT_EQ(manager_->state().root(), with_spend.header.state_root);
}

TEST_F(RegtestChain, WorkIsTheTargetsWork) {
  const Block b = next_block();
  ASSERT_EQ(submit(b), std::nullopt);
  const Uint256 genesis_work = block_work(params().pow_limit);
  EXPECT_EQ(manager_->tip().work.to_uint256(), *genesis_work.checked_add(genesis_work));
}

TEST_F(RegtestChain, WrongTargetIsRefused) {
  Block b = next_block();
  b.header.target = 0x207ffffe;
  EXPECT_EQ(submit(remined(b)), BlockError::bad_difficulty);
}

TEST_F(RegtestChain, BadProofOfWorkIsRefused) {
  Block b = next_block();
  do {
    ++b.header.nonce;
  } while (check_pow(b.header));
  EXPECT_EQ(submit(b), BlockError::bad_pow);
}

TEST_F(RegtestChain, TimestampNotAboveMedianTimePastIsRefused) {
  Block b = next_block();
  b.header.timestamp = manager_->tip().header.timestamp;  // the median of genesis alone
  EXPECT_EQ(submit(remined(b)), BlockError::time_too_old);
}

TEST_F(RegtestChain, TimestampTooFarAheadIsRefusedUntilTheClockCatchesUp) {
  Block b = next_block();
  b.header.timestamp = static_cast<uint64_t>(clock_.unix_seconds()) + params().max_future_drift + 1;
  b = remined(b);
  EXPECT_EQ(submit(b), BlockError::time_too_new);
  clock_.advance_seconds(1);
  EXPECT_EQ(submit(b), std::nullopt);
}

}  // namespace
}  // namespace cairn
