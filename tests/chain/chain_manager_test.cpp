// The chain manager on one chain: genesis, contextual validation of transactions against
// the UTXO set, the indexes, and that refused blocks change nothing.
#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

using test::BlockBuilder;
using test::pay_to;
using test::submit_ok;
using test::submit_reason;
using test::TestChain;

class ChainManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_);
    ASSERT_NE(manager_, nullptr);
  }

  // Empty blocks on the tip until `height`.
  void mine_to(uint64_t height) {
    while (manager_->tip().height() < height) submit_ok(*manager_, chain_.empty_block(manager_->tip().hash));
  }
  BlockBuilder next() { return chain_.builder(manager_->tip().hash); }
  OutPoint genesis_coin() const { return TestChain::coinbase_outpoint(chain_.genesis()); }
  const uint64_t maturity_ = TestChainRules::kDefaultCoinbaseMaturity;

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
};

TEST(ChainWork, AddsWithCarryAndRefusesOverflow) {
  const ChainWork max_u64 = ChainWork::from_u64(UINT64_MAX);
  const ChainWork sum = max_u64.checked_add(ChainWork::from_u64(1)).value();
  EXPECT_EQ(sum.value.bytes[23], 1);  // 2^64: the carry crossed into the ninth byte from the end
  EXPECT_GT(sum, max_u64);
  ChainWork top;
  top.value.bytes.fill(0xff);
  EXPECT_FALSE(top.checked_add(ChainWork::from_u64(1)).has_value());
  EXPECT_EQ(top.checked_add(ChainWork{}).value(), top);
}

TEST_F(ChainManagerTest, OpensAnEmptyStoreAtGenesis) {
  EXPECT_EQ(manager_->tip().hash, chain_.genesis_hash());
  EXPECT_EQ(manager_->state().root(), chain_.genesis().header.state_root);
  EXPECT_EQ(test::column(store_, Column::utxo).size(), 1u);
  EXPECT_TRUE(manager_->coins().get_coin(genesis_coin()).value().has_value());
}

TEST_F(ChainManagerTest, ConnectsASpendAndUpdatesTheIndexes) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  const Transaction tx =
      b.spend({genesis_coin()}, {TxOut{30 * kCoin, pay_to(1)}, TxOut{19 * kCoin, pay_to(2)}});
  const Block block = b.build();
  submit_ok(*manager_, block);
  const BlockHash hash = block_hash(block.header);
  EXPECT_EQ(manager_->tip().hash, hash);
  EXPECT_EQ(manager_->state().root(), block.header.state_root);
  EXPECT_FALSE(manager_->coins().get_coin(genesis_coin()).value().has_value());
  const Txid id = txid(tx);
  EXPECT_EQ(manager_->coins().get_coin(OutPoint{id, 1}).value()->output.value, 19 * kCoin);

  auto loc = store_.get(Column::tx_index, tx_index_key(id)).value();
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(decode_tx_location(*loc).value(), (TxLocation{hash, 1}));

  // The spent genesis coin's address entry now names its spender; the new output is unspent.
  auto spent =
      store_.get(Column::address_index, address_key(AddressKey{pay_to(0), 0, genesis_coin()})).value();
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(decode_address_entry(*spent).value().spent, (SpentBy{id, 0, block.header.height}));
  auto fresh = store_
                   .get(Column::address_index,
                        address_key(AddressKey{pay_to(2), block.header.height, OutPoint{id, 1}}))
                   .value();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(decode_address_entry(*fresh).value(), (AddressEntry{19 * kCoin, false, std::nullopt}));
  // The fee went to the coinbase.
  EXPECT_EQ(manager_->coins().get_coin(TestChain::coinbase_outpoint(block)).value()->output.value,
            TestChainRules::kSubsidy + kCoin);
}

TEST_F(ChainManagerTest, ATransactionMaySpendAnEarlierOneInTheSameBlock) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  const Transaction first = b.spend({genesis_coin()}, {TxOut{50 * kCoin, pay_to(1)}});
  const Transaction second = b.spend({OutPoint{txid(first), 0}}, {TxOut{50 * kCoin, pay_to(2)}});
  const Block block = b.build();
  submit_ok(*manager_, block);
  EXPECT_FALSE(manager_->coins().get_coin(OutPoint{txid(first), 0}).value().has_value());
  EXPECT_TRUE(manager_->coins().get_coin(OutPoint{txid(second), 0}).value().has_value());
  EXPECT_FALSE(store_.get(Column::utxo, utxo_key(OutPoint{txid(first), 0})).value().has_value());
}

// Each refused block leaves the tip, the UTXO set and the state where they were.
class RefusedBlockTest : public ChainManagerTest {
 protected:
  void expect_refused(const Block& block, BlockError reason) {
    const BlockHash tip = manager_->tip().hash;
    const auto utxo = test::column(store_, Column::utxo);
    const Hash256 root = manager_->state().root();
    EXPECT_EQ(submit_reason(*manager_, block), reason);
    EXPECT_EQ(manager_->tip().hash, tip);
    EXPECT_EQ(test::column(store_, Column::utxo), utxo);
    EXPECT_EQ(manager_->state().root(), root);
  }
};

TEST_F(RefusedBlockTest, DoubleSpendInsideABlock) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(2)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, DoubleSpendInsideATransaction) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin(), genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, DoubleSpendAcrossBlocks) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  submit_ok(*manager_, b.build());
  // The model no longer has the coin: sign against the genesis state instead.
  BlockBuilder again = next();
  Transaction tx;
  tx.inputs = {TxIn{genesis_coin(), {}}};
  tx.outputs = {TxOut{10 * kCoin, pay_to(2)}};
  again.add(chain_.sign(tx, {TxOut{TestChainRules::kSubsidy, pay_to(0)}}));
  expect_refused(again.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, SpendOfAnUnknownOutpoint) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({OutPoint{blake3(as_bytes("nowhere")), 0}}, {TxOut{1, pay_to(1)}});
  expect_refused(b.build(), BlockError::missing_input);
}

TEST_F(RefusedBlockTest, ImmatureCoinbaseThenMature) {
  mine_to(maturity_ - 2);
  BlockBuilder early = next();  // at height maturity - 1
  early.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  expect_refused(early.build(), BlockError::immature_coinbase);
  mine_to(maturity_ - 1);
  BlockBuilder ripe = next();  // at height maturity
  ripe.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  submit_ok(*manager_, ripe.build());
}

TEST_F(RefusedBlockTest, Overspend) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{TestChainRules::kSubsidy + 1, pay_to(1)}});
  expect_refused(b.build(), BlockError::overspend);
}

TEST_F(RefusedBlockTest, OutputsOutsideTheMoneyRange) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{kMaxMoney, pay_to(1)}, TxOut{kMaxMoney, pay_to(1)}});
  expect_refused(b.build(), BlockError::bad_amount);
}

TEST_F(RefusedBlockTest, CoinbaseClaimingMoreThanSubsidyAndFees) {
  expect_refused(next().build(0, 1), BlockError::coinbase_overpays);
}

TEST_F(RefusedBlockTest, BadSignatureCommittedByTheHeaderMarksTheBlockFailed) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  Transaction tx;
  tx.inputs = {TxIn{genesis_coin(), {}}};
  tx.outputs = {TxOut{10 * kCoin, pay_to(1)}};
  tx = chain_.sign(tx, {TxOut{TestChainRules::kSubsidy, pay_to(0)}});
  std::get<KeySpend>(tx.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  b.add(tx);
  const Block block = b.build();
  expect_refused(block, BlockError::bad_lock);
  EXPECT_NE(manager_->find(block_hash(block.header))->status & kBlockFailed, 0);
  // Its child is refused for its ancestry.
  EXPECT_EQ(submit_reason(*manager_, chain_.empty_block(block_hash(block.header))),
            BlockError::invalid_parent);
}

TEST_F(RefusedBlockTest, AMutatedWitnessIsNotHeldAgainstTheHeader) {
  mine_to(maturity_ - 1);
  BlockBuilder b = next();
  b.spend({genesis_coin()}, {TxOut{10 * kCoin, pay_to(1)}});
  const Block honest = b.build();
  Block mutated = honest;
  std::get<KeySpend>(mutated.transactions[1].inputs[0].witness).signature.signature.bytes[0] ^= 1;
  ASSERT_EQ(txid(mutated.transactions[1]), txid(honest.transactions[1])) << "same txid, other witness";
  expect_refused(mutated, BlockError::mutated);
  EXPECT_EQ(manager_->find(block_hash(honest.header)), nullptr) << "nothing recorded against the header";
  submit_ok(*manager_, honest);
  EXPECT_EQ(manager_->tip().hash, block_hash(honest.header));
}

TEST_F(RefusedBlockTest, WrongStateRoot) {
  Block block = next().build();
  block.header.state_root = blake3(as_bytes("wrong"));
  expect_refused(block, BlockError::bad_state_root);
  EXPECT_NE(manager_->find(block_hash(block.header))->status & kBlockFailed, 0);
}

TEST_F(RefusedBlockTest, UnknownParent) {
  Block block = next().build();
  block.header.prev = blake3(as_bytes("elsewhere"));
  expect_refused(block, BlockError::unknown_parent);
}

TEST_F(RefusedBlockTest, WrongHeight) {
  Block block = next().build();
  block.header.height += 1;
  expect_refused(block, BlockError::bad_header);
}

// A coin locked to key 1 and "3 blocks after its creation" (relative height lock).
TEST_F(ChainManagerTest, RelativeTimeLocksCountFromTheCoinsBlock) {
  constexpr uint64_t kAge = 3;
  LockNode key_node;
  key_node.keys = {test::test_key(1).public_key()};
  LockNode older_node;
  older_node.tag = LockTag::older;
  older_node.time = LockTime{TimeKind::height, kAge};
  LockNode both;
  both.tag = LockTag::all;
  both.children = {key_node, older_node};
  const Lock lock{kLockVersion, both};
  const TxOut locked{10 * kCoin, lock_hash_lock(lock)};

  mine_to(maturity_ - 1);
  BlockBuilder fund = next();
  const Transaction funding = fund.spend({genesis_coin()}, {locked});
  submit_ok(*manager_, fund.build());
  const uint64_t coin_height = manager_->tip().height();

  auto spend_block = [&] {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {TxOut{9 * kCoin, pay_to(2)}};
    const SighashDigests digests = compute_sighash_digests(tx, std::vector<TxOut>{locked}).value();
    const Hash256 msg = signature_hash(tx, digests, 0, test::kSighashAll, chain_.genesis_hash()).value();
    Satisfaction key_sat;
    key_sat.signatures = {TypedSignature{test::test_key(1).sign(msg), test::kSighashAll}};
    Satisfaction older_sat;
    older_sat.tag = LockTag::older;
    Satisfaction sat;
    sat.tag = LockTag::all;
    sat.children = {key_sat, older_sat};
    tx.inputs[0].witness = LockSpend{lock, sat};
    BlockBuilder b = next();
    b.add(tx);
    return b.build();
  };
  while (manager_->tip().height() + 1 < coin_height + kAge) {
    EXPECT_EQ(submit_reason(*manager_, spend_block()), BlockError::bad_lock);
    submit_ok(*manager_, chain_.empty_block(manager_->tip().hash));
  }
  submit_ok(*manager_, spend_block());
  EXPECT_EQ(manager_->tip().height(), coin_height + kAge);
}

TEST_F(ChainManagerTest, OfTwoBranchesWithEqualWorkTheFirstSeenStays) {
  const Block a = chain_.empty_block(manager_->tip().hash);
  const Block b = chain_.empty_block(manager_->tip().hash);
  submit_ok(*manager_, a);
  submit_ok(*manager_, b);
  EXPECT_EQ(manager_->tip().hash, block_hash(a.header));
  // One more block on b gives it more work.
  const Block c = chain_.empty_block(block_hash(b.header));
  submit_ok(*manager_, c);
  EXPECT_EQ(manager_->tip().hash, block_hash(c.header));
}

TEST_F(ChainManagerTest, ResubmittingAKnownBlockIsHarmless) {
  const Block a = chain_.empty_block(manager_->tip().hash);
  submit_ok(*manager_, a);
  submit_ok(*manager_, a);
  EXPECT_EQ(manager_->tip().hash, block_hash(a.header));
}

}  // namespace
}  // namespace cairn
