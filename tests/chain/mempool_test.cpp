#include "chain/mempool.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "chain/parallel_verify.h"
#include "consensus/contract_rules.h"
#include "primitives/contract.h"
#include "support/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);
constexpr uint64_t kTipHeight = 1000;
constexpr Amount kFunding = 10 * kCoin;

class MapCoinView final : public CoinView {
 public:
  Result<std::optional<Coin>> get_coin(const OutPoint& outpoint) const override {
    if (fail) return Error{ErrorCode::io, "disk on fire"};
    auto it = coins.find(outpoint);
    if (it == coins.end()) return std::optional<Coin>{};
    return std::optional<Coin>{it->second};
  }
  std::map<OutPoint, Coin> coins;
  bool fail = false;
};

const KeyPair& owner() { return test::test_key(0); }

class MempoolTest : public ::testing::Test {
 protected:
  MempoolTest() : clock_(1'700'000'000), rng_(42), cache_(rng_) {
    next_.height = kTipHeight + 1;
    next_.median_time = 1'700'000'000;
    next_.median_time_at = [](uint64_t height) { return 1'600'000'000 + height * 600; };
  }

  MempoolOptions options(size_t max_bytes = kDefaultMaxMempoolBytes) const {
    MempoolOptions o;
    o.genesis = genesis_;
    o.max_bytes = max_bytes;
    o.limits = consensus_params(Network::regtest).limits;
    return o;
  }
  Mempool& pool() {
    if (!pool_) pool_ = std::make_unique<Mempool>(options(), clock_, cache_, 7);
    return *pool_;
  }
  void reset_pool(size_t max_bytes) {
    pool_ = std::make_unique<Mempool>(options(max_bytes), clock_, cache_, 7);
  }

  // A chain coin of kFunding paying to owner().
  OutPoint fund(uint64_t n, bool coinbase = false, uint64_t height = 10) {
    Writer w;
    w.u64(n);
    const OutPoint o{blake3(w.data()), 0};
    view_.coins[o] = Coin{TxOut{kFunding, key_hash_lock(owner().public_key())}, height, coinbase};
    known_[o] = view_.coins[o].output;
    return o;
  }

  // A signed transaction spending `inputs` (outputs known to the test) to outputs of
  // `values`, all paying to owner().
  Transaction spend(const std::vector<OutPoint>& inputs, const std::vector<Amount>& values,
                    uint64_t lock_time = 0, Payload payload = {}) {
    Transaction tx;
    tx.lock_time = lock_time;
    tx.payload = std::move(payload);
    std::vector<TxOut> spent;
    for (const auto& in : inputs) {
      tx.inputs.push_back(TxIn{in, {}});
      spent.push_back(known_.at(in));
    }
    for (Amount v : values) tx.outputs.push_back(TxOut{v, key_hash_lock(owner().public_key())});
    const SighashDigests d = compute_sighash_digests(tx, spent).value();
    for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
      tx.inputs[i].witness =
          KeySpend{owner().public_key(),
                   TypedSignature{owner().sign(signature_hash(tx, d, i, kAll, genesis_).value()), kAll}};
    }
    const Txid id = txid(tx);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) known_[OutPoint{id, i}] = tx.outputs[i];
    return tx;
  }
  // Spends `input` (worth `in_value`) to one output, leaving exactly `fee`.
  Transaction spend_with_fee(const OutPoint& input, Amount in_value, Amount fee) {
    return spend({input}, {in_value - fee});
  }

  MempoolVerdict accept(const Transaction& tx) { return pool().accept(tx, view_, next_); }
  // The fee that exactly meets the minimum relay rate for a transaction of tx's shape.
  static Amount min_fee(const Transaction& tx) {
    return FeeRate{kDefaultMinRelayFeePerKb}.fee_for(encode(tx).size());
  }

  // Confirms `txs` in a block: the view loses their inputs and gains their outputs.
  Block confirm(const std::vector<Transaction>& txs) {
    Block block;
    block.transactions = txs;
    for (const auto& tx : txs) {
      for (const auto& in : tx.inputs) view_.coins.erase(in.prevout);
      const Txid id = txid(tx);
      for (uint32_t i = 0; i < tx.outputs.size(); ++i)
        view_.coins[OutPoint{id, i}] = Coin{tx.outputs[i], next_.height, false};
    }
    return block;
  }

  Hash256 genesis_ = blake3(as_bytes("mempool test network"));
  ManualClock clock_;
  DeterministicRng rng_;
  SignatureCache cache_;
  MapCoinView view_;
  NextBlock next_;
  std::map<OutPoint, TxOut> known_;
  std::unique_ptr<Mempool> pool_;
};

#define EXPECT_ACCEPTED(verdict) \
  EXPECT_EQ((verdict).status, TxStatus::accepted) << to_string((verdict).reason)
#define EXPECT_REJECTED(verdict, why)                  \
  do {                                                 \
    const MempoolVerdict v_ = (verdict);               \
    EXPECT_EQ(v_.status, TxStatus::rejected);          \
    EXPECT_EQ(v_.reason, why) << to_string(v_.reason); \
  } while (false)

TEST(FeeRate, RoundsUpAndComparesExactly) {
  const FeeRate rate{1000};
  EXPECT_EQ(rate.fee_for(0), 0u);
  EXPECT_EQ(rate.fee_for(1), 1u);
  EXPECT_EQ(FeeRate{1}.fee_for(1), 1u);  // a fraction of a unit still costs one
  EXPECT_EQ(FeeRate{1}.fee_for(1000), 1u);
  EXPECT_EQ(FeeRate{1}.fee_for(1001), 2u);
  EXPECT_EQ(FeeRate{kMaxMoney}.fee_for(kMaxStandardTxBytes), kMaxMoney / 1000 * kMaxStandardTxBytes);
  EXPECT_TRUE(compare_rate({1, 3}, {1, 3}) == 0);
  EXPECT_TRUE(compare_rate({2, 6}, {1, 3}) == 0);
  EXPECT_TRUE(compare_rate({kMaxMoney, 1}, {kMaxMoney - 1, 1}) > 0);
  // M / (M - 1) < (M - 1) / (M - 2) by about 1 / M^2: no floating-point type would see it.
  EXPECT_TRUE(compare_rate({kMaxMoney, kMaxMoney - 1}, {kMaxMoney - 1, kMaxMoney - 2}) < 0);
}

TEST_F(MempoolTest, AcceptsAValidSpend) {
  const Transaction tx = spend({fund(1)}, {kCoin, kFunding - kCoin - 1000});
  EXPECT_ACCEPTED(accept(tx));
  EXPECT_TRUE(pool().contains(txid(tx)));
  EXPECT_EQ(pool().bytes(), encode(tx).size());
  EXPECT_EQ(pool().ancestor_package(txid(tx))->fee, 1000u);
  EXPECT_REJECTED(accept(tx), MempoolReject::already_known);
}

TEST_F(MempoolTest, StatelessRejections) {
  Transaction coinbase;
  coinbase.payload.kind = PayloadKind::coinbase;
  coinbase.outputs = {TxOut{kCoin, key_hash_lock(owner().public_key())}};
  EXPECT_REJECTED(accept(coinbase), MempoolReject::coinbase);

  Transaction no_inputs;
  no_inputs.outputs = coinbase.outputs;
  EXPECT_REJECTED(accept(no_inputs), MempoolReject::no_inputs);

  EXPECT_REJECTED(accept(spend({fund(1)}, {})), MempoolReject::no_outputs);
  const OutPoint coin = fund(2);
  EXPECT_REJECTED(accept(spend({coin, coin}, {kCoin})), MempoolReject::duplicate_input);
  EXPECT_REJECTED(accept(spend({fund(3)}, {kMaxMoney + 1})), MempoolReject::bad_amount);
  EXPECT_REJECTED(accept(spend({fund(4)}, {kFunding + 1})), MempoolReject::insufficient_funds);
}

TEST_F(MempoolTest, StorageErrorIsARejection) {
  const Transaction tx = spend({fund(1)}, {kCoin});
  view_.fail = true;
  EXPECT_REJECTED(accept(tx), MempoolReject::storage_error);
}

TEST_F(MempoolTest, MissingOutputIndexOfAPoolTransaction) {
  const Transaction parent = spend({fund(1)}, {kCoin});
  ASSERT_EQ(accept(parent).status, TxStatus::accepted);
  known_[OutPoint{txid(parent), 1}] = parent.outputs[0];
  EXPECT_REJECTED(accept(spend({OutPoint{txid(parent), 1}}, {1000})), MempoolReject::missing_input);
}

TEST_F(MempoolTest, MinimumRelayFeeBoundary) {
  const OutPoint a = fund(1), b = fund(2);
  const Amount fee = min_fee(spend({a}, {kCoin}));  // size does not depend on the values
  EXPECT_REJECTED(accept(spend_with_fee(a, kFunding, fee - 1)), MempoolReject::fee_too_low);
  EXPECT_ACCEPTED(accept(spend_with_fee(b, kFunding, fee)));
}

TEST_F(MempoolTest, StandardSizeBoundary) {
  // Outputs are fixed-size, so add them until one more would cross the limit.
  std::vector<Amount> values{1000};
  while (encode(spend({fund(1)}, std::vector<Amount>(values.size() + 1, 1000))).size() <=
         kMaxStandardTxBytes) {
    values.push_back(1000);
  }
  const Transaction largest = spend({fund(1)}, values);
  ASSERT_LE(encode(largest).size(), kMaxStandardTxBytes);
  values.push_back(1000);
  const Transaction too_large = spend({fund(2)}, values);
  ASSERT_GT(encode(too_large).size(), kMaxStandardTxBytes);
  EXPECT_REJECTED(accept(too_large), MempoolReject::too_large);
  EXPECT_ACCEPTED(accept(largest));
}

TEST_F(MempoolTest, LockTimeMustBeReachedByTheNextBlock) {
  EXPECT_REJECTED(accept(spend({fund(1)}, {kCoin}, next_.height + 1)), MempoolReject::non_final);
  EXPECT_ACCEPTED(accept(spend({fund(2)}, {kCoin}, next_.height)));
  EXPECT_REJECTED(accept(spend({fund(3)}, {kCoin}, next_.median_time + 1)), MempoolReject::non_final);
  EXPECT_ACCEPTED(accept(spend({fund(4)}, {kCoin}, next_.median_time)));
}

TEST_F(MempoolTest, CoinbaseMaturityBoundary) {
  const uint64_t maturity = options().coinbase_maturity;
  const OutPoint young = fund(1, true, next_.height - maturity + 1);
  const OutPoint mature = fund(2, true, next_.height - maturity);
  EXPECT_REJECTED(accept(spend({young}, {kCoin})), MempoolReject::immature_coinbase);
  EXPECT_ACCEPTED(accept(spend({mature}, {kCoin})));
}

TEST_F(MempoolTest, BadSignatureIsRefusedWithItsInput) {
  Transaction tx = spend({fund(1), fund(2)}, {kCoin});
  std::get<KeySpend>(tx.inputs[1].witness).signature.signature.bytes[0] ^= 1;
  const MempoolVerdict v = accept(tx);
  EXPECT_EQ(v.reason, MempoolReject::lock_failed);
  EXPECT_EQ(v.lock_error, LockError::bad_signature);
  EXPECT_EQ(v.input, 1u);
}

TEST_F(MempoolTest, DoubleSpendWithoutMoreFeeIsRefused) {
  const OutPoint coin = fund(1);
  const Transaction first = spend_with_fee(coin, kFunding, 10'000);
  const Transaction second = spend({coin}, {kFunding - 10'000, 0});  // same fee, larger
  ASSERT_EQ(accept(first).status, TxStatus::accepted);
  EXPECT_REJECTED(accept(second), MempoolReject::replacement_rate_too_low);
  EXPECT_TRUE(pool().contains(txid(first)));
  EXPECT_FALSE(pool().contains(txid(second)));
}

TEST_F(MempoolTest, ChainOfDependentTransactions) {
  const Transaction a = spend_with_fee(fund(1), kFunding, 1000);
  const Transaction b = spend_with_fee(OutPoint{txid(a), 0}, a.outputs[0].value, 2000);
  const Transaction c = spend_with_fee(OutPoint{txid(b), 0}, b.outputs[0].value, 3000);
  EXPECT_ACCEPTED(accept(a));
  EXPECT_ACCEPTED(accept(b));
  EXPECT_ACCEPTED(accept(c));
  const FeeAndSize package = *pool().ancestor_package(txid(c));
  EXPECT_EQ(package.fee, 6000u);
  EXPECT_EQ(package.size, encode(a).size() + encode(b).size() + encode(c).size());
  // Spending a pool output twice is a conflict like any other.
  EXPECT_REJECTED(accept(spend_with_fee(OutPoint{txid(a), 0}, a.outputs[0].value, 1500)),
                  MempoolReject::replacement_rate_too_low);
}

TEST_F(MempoolTest, AncestorLimitBoundary) {
  OutPoint prev = fund(1);
  Amount value = kFunding;
  for (size_t i = 0; i < kMaxAncestors; ++i) {
    const Transaction tx = spend_with_fee(prev, value, 1000);
    ASSERT_EQ(accept(tx).status, TxStatus::accepted) << i;
    prev = OutPoint{txid(tx), 0};
    value = tx.outputs[0].value;
  }
  EXPECT_REJECTED(accept(spend_with_fee(prev, value, 1000)), MempoolReject::too_many_ancestors);
}

TEST_F(MempoolTest, DescendantLimitBoundary) {
  const Transaction parent = spend({fund(1)}, std::vector<Amount>(kMaxDescendants + 1, kCoin / 100));
  ASSERT_EQ(accept(parent).status, TxStatus::accepted);
  for (uint32_t i = 0; i + 1 < kMaxDescendants; ++i) {
    ASSERT_EQ(accept(spend_with_fee(OutPoint{txid(parent), i}, kCoin / 100, 1000)).status,
              TxStatus::accepted);
  }
  EXPECT_REJECTED(accept(spend_with_fee(OutPoint{txid(parent), kMaxDescendants}, kCoin / 100, 1000)),
                  MempoolReject::too_many_descendants);
}

TEST_F(MempoolTest, ReplacementFeeBoundary) {
  const OutPoint coin = fund(1);
  const Transaction original = spend_with_fee(coin, kFunding, 10'000);
  const Transaction child = spend_with_fee(OutPoint{txid(original), 0}, original.outputs[0].value, 5'000);
  ASSERT_EQ(accept(original).status, TxStatus::accepted);
  ASSERT_EQ(accept(child).status, TxStatus::accepted);
  // Must pay for both replaced transactions plus its own relay.
  const Amount needed = 15'000 + min_fee(original);
  EXPECT_REJECTED(accept(spend_with_fee(coin, kFunding, needed - 1)), MempoolReject::replacement_fee_too_low);
  const Transaction replacement = spend_with_fee(coin, kFunding, needed);
  EXPECT_ACCEPTED(accept(replacement));
  EXPECT_FALSE(pool().contains(txid(original)));
  EXPECT_FALSE(pool().contains(txid(child)));
  EXPECT_EQ(pool().size(), 1u);
}

TEST_F(MempoolTest, ReplacementMustRaiseTheFeeRate) {
  const OutPoint coin = fund(1);
  ASSERT_EQ(accept(spend_with_fee(coin, kFunding, 100'000)).status, TxStatus::accepted);
  // More absolute fee, but spread over a much larger transaction: a lower rate.
  const Transaction bigger = spend({coin}, std::vector<Amount>(200, (kFunding - 150'000) / 200));
  ASSERT_TRUE(compare_rate({150'000, encode(bigger).size()}, {100'000, 100}) < 0);
  EXPECT_REJECTED(accept(bigger), MempoolReject::replacement_rate_too_low);
}

TEST_F(MempoolTest, ReplacementMayNotSpendWhatItReplaces) {
  const OutPoint coin = fund(1);
  const Transaction original = spend_with_fee(coin, kFunding, 1000);
  ASSERT_EQ(accept(original).status, TxStatus::accepted);
  EXPECT_REJECTED(accept(spend({coin, OutPoint{txid(original), 0}}, {kCoin})),
                  MempoolReject::replacement_spends_conflict);
}

TEST_F(MempoolTest, ReplacedCountBoundary) {
  std::vector<OutPoint> coins;
  for (uint64_t i = 0; i <= kMaxReplaced; ++i) {
    coins.push_back(fund(i));
    ASSERT_EQ(accept(spend_with_fee(coins.back(), kFunding, 1000)).status, TxStatus::accepted);
  }
  const std::vector<OutPoint> at_limit(coins.begin(), coins.begin() + kMaxReplaced);
  EXPECT_REJECTED(accept(spend(coins, {kCoin})), MempoolReject::too_many_replaced);
  EXPECT_ACCEPTED(accept(spend(at_limit, {kCoin})));
  EXPECT_EQ(pool().size(), 2u);
}

TEST_F(MempoolTest, OrphanIsAcceptedWhenItsParentArrives) {
  const Transaction parent = spend_with_fee(fund(1), kFunding, 1000);
  const Transaction child = spend_with_fee(OutPoint{txid(parent), 0}, parent.outputs[0].value, 1000);
  const Transaction grandchild = spend_with_fee(OutPoint{txid(child), 0}, child.outputs[0].value, 1000);
  EXPECT_EQ(accept(grandchild).status, TxStatus::orphaned);
  EXPECT_EQ(accept(child).status, TxStatus::orphaned);
  EXPECT_EQ(pool().orphan_count(), 2u);
  EXPECT_REJECTED(accept(child), MempoolReject::already_known);
  EXPECT_ACCEPTED(accept(parent));
  EXPECT_TRUE(pool().contains(txid(child)));
  EXPECT_TRUE(pool().contains(txid(grandchild)));
  EXPECT_EQ(pool().orphan_count(), 0u);
}

TEST_F(MempoolTest, OrphanCountLimit) {
  std::vector<Transaction> orphans;
  for (uint64_t i = 0; i <= kMaxOrphans; ++i) {
    Writer w;
    w.u64(i);
    const OutPoint unknown{blake3(w.data()), 7};
    known_[unknown] = TxOut{kCoin, key_hash_lock(owner().public_key())};
    orphans.push_back(spend({unknown}, {kCoin / 2}));
  }
  for (size_t i = 0; i < kMaxOrphans; ++i) ASSERT_EQ(accept(orphans[i]).status, TxStatus::orphaned);
  EXPECT_EQ(pool().orphan_count(), kMaxOrphans);
  EXPECT_EQ(accept(orphans.back()).status, TxStatus::orphaned);
  EXPECT_EQ(pool().orphan_count(), kMaxOrphans);  // one was evicted to make room
  EXPECT_TRUE(pool().contains_orphan(txid(orphans.back())));
}

TEST_F(MempoolTest, OrphanSizeLimit) {
  const OutPoint unknown{blake3(as_bytes("unknown parent")), 0};
  known_[unknown] = TxOut{kFunding, key_hash_lock(owner().public_key())};
  std::vector<Amount> values{1};
  while (encode(spend({unknown}, std::vector<Amount>(values.size() + 1, 1))).size() <= kMaxOrphanTxBytes) {
    values.push_back(1);
  }
  const Transaction largest = spend({unknown}, values);
  values.push_back(1);
  const Transaction too_large = spend({unknown}, values);
  EXPECT_REJECTED(accept(too_large), MempoolReject::orphan_refused);
  EXPECT_EQ(accept(largest).status, TxStatus::orphaned);
}

TEST_F(MempoolTest, OrphansExpire) {
  const OutPoint unknown{blake3(as_bytes("unknown parent")), 0};
  known_[unknown] = TxOut{kFunding, key_hash_lock(owner().public_key())};
  const Transaction orphan = spend({unknown}, {kCoin});
  ASSERT_EQ(accept(orphan).status, TxStatus::orphaned);
  clock_.advance_seconds(kOrphanExpirySeconds - 1);
  pool().expire();
  EXPECT_TRUE(pool().contains_orphan(txid(orphan)));
  clock_.advance_seconds(1);
  pool().expire();
  EXPECT_FALSE(pool().contains_orphan(txid(orphan)));
}

TEST_F(MempoolTest, TransactionsExpireWithTheirDescendants) {
  const Transaction old_tx = spend_with_fee(fund(1), kFunding, 1000);
  ASSERT_EQ(accept(old_tx).status, TxStatus::accepted);
  clock_.advance_seconds(10);
  const Transaction child = spend_with_fee(OutPoint{txid(old_tx), 0}, old_tx.outputs[0].value, 1000);
  ASSERT_EQ(accept(child).status, TxStatus::accepted);
  clock_.advance_seconds(kMempoolExpirySeconds - 11);
  pool().expire();
  EXPECT_EQ(pool().size(), 2u);
  clock_.advance_seconds(1);
  pool().expire();
  EXPECT_EQ(pool().size(), 0u);
  EXPECT_EQ(pool().bytes(), 0u);
}

TEST_F(MempoolTest, EvictsTheLowestDescendantFeeRateWhenFull) {
  const Transaction low = spend_with_fee(fund(1), kFunding, 1000);
  const Transaction mid = spend_with_fee(fund(2), kFunding, 2000);
  const Transaction high = spend_with_fee(fund(3), kFunding, 3000);
  const size_t size = encode(low).size();
  ASSERT_EQ(encode(high).size(), size);
  reset_pool(2 * size);  // exactly two fit
  ASSERT_EQ(accept(low).status, TxStatus::accepted);
  ASSERT_EQ(accept(mid).status, TxStatus::accepted);
  EXPECT_EQ(pool().bytes(), 2 * size);  // at the bound: nothing evicted
  EXPECT_ACCEPTED(accept(high));
  EXPECT_FALSE(pool().contains(txid(low)));
  EXPECT_EQ(pool().size(), 2u);
  // A child paying a high fee rescues its parent: the package's rate is what counts.
  const Transaction cheap = spend_with_fee(fund(4), kFunding, 1500);
  EXPECT_REJECTED(accept(cheap), MempoolReject::pool_full);
  EXPECT_EQ(pool().size(), 2u);
}

TEST_F(MempoolTest, TemplateTakesAncestorPackagesByFeeRate) {
  const Transaction parent = spend_with_fee(fund(1), kFunding, 1000);
  const Transaction child = spend_with_fee(OutPoint{txid(parent), 0}, parent.outputs[0].value, 9000);
  const Transaction other = spend_with_fee(fund(2), kFunding, 4000);
  ASSERT_EQ(accept(parent).status, TxStatus::accepted);
  ASSERT_EQ(accept(child).status, TxStatus::accepted);
  ASSERT_EQ(accept(other).status, TxStatus::accepted);
  const size_t size = encode(parent).size();

  // Package (parent, child) pays 10000 for two sizes, more per byte than `other`.
  EXPECT_EQ(pool().select_for_block({10 * size, 10}), (std::vector<Transaction>{parent, child, other}));
  EXPECT_EQ(pool().select_for_block({2 * size, 10}), (std::vector<Transaction>{parent, child}));
  // Room for one: the package does not fit, the next best does.
  EXPECT_EQ(pool().select_for_block({2 * size - 1, 10}), (std::vector<Transaction>{other}));
  EXPECT_EQ(pool().select_for_block({10 * size, 2}), (std::vector<Transaction>{parent, child}));
  EXPECT_EQ(pool().select_for_block({10 * size, 1}), (std::vector<Transaction>{other}));
  EXPECT_TRUE(pool().select_for_block({10 * size, 0}).empty());
}

TEST_F(MempoolTest, TemplateRerankAfterAParentIsTaken) {
  // a (high) has two children: b (low) and c (mid). Once a is in, c ranks alone.
  const Transaction a = spend({fund(1)}, {kCoin, kCoin, kFunding - 2 * kCoin - 50'000});
  const Transaction b = spend_with_fee(OutPoint{txid(a), 0}, kCoin, 1000);
  const Transaction c = spend_with_fee(OutPoint{txid(a), 1}, kCoin, 5000);
  const Transaction d = spend_with_fee(fund(2), kFunding, 3000);
  for (const auto* tx : {&a, &b, &c, &d}) ASSERT_EQ(accept(*tx).status, TxStatus::accepted);
  EXPECT_EQ(pool().select_for_block({1'000'000, 10}), (std::vector<Transaction>{a, c, d, b}));
}

TEST_F(MempoolTest, BlockConnectRemovesConfirmedAndConflicting) {
  const OutPoint contested = fund(2);
  const Transaction a = spend_with_fee(fund(1), kFunding, 1000);
  const Transaction a_child = spend_with_fee(OutPoint{txid(a), 0}, a.outputs[0].value, 1000);
  const Transaction loser = spend_with_fee(contested, kFunding, 1000);
  const Transaction loser_child = spend_with_fee(OutPoint{txid(loser), 0}, loser.outputs[0].value, 1000);
  for (const auto* tx : {&a, &a_child, &loser, &loser_child})
    ASSERT_EQ(accept(*tx).status, TxStatus::accepted);
  const Transaction winner = spend({contested}, {kCoin});

  pool().block_connected(confirm({a, winner}), view_, next_);
  EXPECT_FALSE(pool().contains(txid(a)));
  EXPECT_FALSE(pool().contains(txid(loser)));
  EXPECT_FALSE(pool().contains(txid(loser_child)));
  EXPECT_TRUE(pool().contains(txid(a_child)));
  EXPECT_EQ(pool().ancestor_package(txid(a_child))->size, encode(a_child).size());  // no pool parent now
  EXPECT_EQ(pool().bytes(), encode(a_child).size());
}

TEST_F(MempoolTest, BlockConnectAdoptsOrphansOfItsTransactions) {
  const Transaction parent = spend({fund(1)}, {kCoin});
  const Transaction orphan = spend_with_fee(OutPoint{txid(parent), 0}, kCoin, 1000);
  ASSERT_EQ(accept(orphan).status, TxStatus::orphaned);
  pool().block_connected(confirm({parent}), view_, next_);
  EXPECT_TRUE(pool().contains(txid(orphan)));
}

TEST_F(MempoolTest, BlockDisconnectReturnsItsTransactions) {
  const OutPoint coin = fund(1);
  const Transaction t1 = spend_with_fee(coin, kFunding, 1000);
  const Transaction t2 = spend_with_fee(OutPoint{txid(t1), 0}, t1.outputs[0].value, 1000);
  const Coin funding_coin = view_.coins.at(coin);
  const Block block = confirm({t1, t2});
  pool().block_connected(block, view_, next_);
  // A pool transaction spending the block's output.
  const Transaction t3 = spend_with_fee(OutPoint{txid(t2), 0}, t2.outputs[0].value, 1000);
  ASSERT_EQ(accept(t3).status, TxStatus::accepted);

  // Undo the block in the view, then tell the pool.
  for (const auto* tx : {&t1, &t2}) {
    for (uint32_t i = 0; i < tx->outputs.size(); ++i) view_.coins.erase(OutPoint{txid(*tx), i});
  }
  view_.coins[coin] = funding_coin;
  pool().block_disconnected(block, view_, next_);
  EXPECT_TRUE(pool().contains(txid(t1)));
  EXPECT_TRUE(pool().contains(txid(t2)));
  EXPECT_TRUE(pool().contains(txid(t3)));
  EXPECT_EQ(pool().ancestor_package(txid(t3))->fee, 3000u);
  EXPECT_EQ(pool().select_for_block({1'000'000, 10}), (std::vector<Transaction>{t1, t2, t3}));
}

TEST_F(MempoolTest, BlockDisconnectDropsSpendersOfWhatCannotReturn) {
  const Transaction t1 = spend_with_fee(fund(1), kFunding, 1000);
  const Block block = confirm({t1});
  pool().block_connected(block, view_, next_);
  const Transaction t2 = spend_with_fee(OutPoint{txid(t1), 0}, t1.outputs[0].value, 1000);
  ASSERT_EQ(accept(t2).status, TxStatus::accepted);
  // The view after the disconnect lacks t1's input too (spent elsewhere in the new branch).
  view_.coins.erase(OutPoint{txid(t1), 0});
  pool().block_disconnected(block, view_, next_);
  EXPECT_FALSE(pool().contains(txid(t1)));
  EXPECT_FALSE(pool().contains(txid(t2)));
}

// Random spends, replacements, blocks and expiry; after each step an unlimited template
// holds every pool transaction exactly once, parents first, and the byte count agrees.
TEST_F(MempoolTest, RandomOperationsKeepThePoolConsistent) {
  reset_pool(20'000);  // small enough that eviction happens
  DeterministicRng random(99);
  std::vector<std::pair<OutPoint, Amount>> spendable;
  for (uint64_t i = 0; i < 40; ++i) spendable.emplace_back(fund(i), kFunding);
  size_t accepted = 0, confirmed = 0;
  for (int step = 0; step < 300; ++step) {
    const uint64_t action = random.uniform(10);
    if (action < 7 && !spendable.empty()) {
      // Spend one or two random outputs (possibly spent already: a conflict).
      std::vector<OutPoint> inputs;
      Amount in = 0;
      for (uint64_t n = 0; n <= random.uniform(2); ++n) {
        const auto& [o, v] = spendable[random.uniform(spendable.size())];
        if (std::find(inputs.begin(), inputs.end(), o) != inputs.end()) continue;
        inputs.push_back(o);
        in += v;
      }
      const Amount fee = 300 + random.uniform(20'000);
      const Transaction tx = spend(inputs, {(in - fee) / 2, (in - fee) - (in - fee) / 2});
      if (accept(tx).status == TxStatus::accepted) {
        ++accepted;
        for (uint32_t i = 0; i < 2; ++i) spendable.emplace_back(OutPoint{txid(tx), i}, tx.outputs[i].value);
      }
    } else if (action < 9) {
      std::vector<Transaction> txs = pool().select_for_block({3'000, 10});
      confirmed += txs.size();
      pool().block_connected(confirm(txs), view_, next_);
      ++next_.height;
    } else {
      clock_.advance_seconds(kMempoolExpirySeconds / 4);
    }
    const std::vector<Transaction> all = pool().select_for_block({SIZE_MAX, SIZE_MAX});
    ASSERT_EQ(all.size(), pool().size());
    size_t bytes = 0;
    std::set<Txid> seen;
    for (const auto& tx : all) {
      for (const auto& in : tx.inputs) {
        if (pool().contains(in.prevout.txid)) {
          ASSERT_TRUE(seen.contains(in.prevout.txid)) << "child before parent";
        }
      }
      ASSERT_TRUE(seen.insert(txid(tx)).second);
      bytes += encode(tx).size();
    }
    ASSERT_EQ(bytes, pool().bytes());
    ASSERT_LE(bytes, 20'000u);
  }
  // The run exercised what it is meant to (values of this seed).
  EXPECT_GT(accepted, 50u);
  EXPECT_GT(confirmed, 30u);
  EXPECT_GT(pool().size(), 0u);
}

TEST_F(MempoolTest, EntryHasTheTransactionItsFeeSizeTimeAndPackage) {
  const Transaction parent = spend_with_fee(fund(1), kFunding, 1000);
  ASSERT_EQ(accept(parent).status, TxStatus::accepted);
  const int64_t parent_time = clock_.unix_seconds();
  clock_.advance_seconds(30);
  const Transaction child = spend_with_fee(OutPoint{txid(parent), 0}, parent.outputs[0].value, 2500);
  ASSERT_EQ(accept(child).status, TxStatus::accepted);

  const std::optional<MempoolEntryInfo> e = pool().entry(txid(child));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->txid, txid(child));
  EXPECT_EQ(e->tx, child);
  EXPECT_EQ(e->size, encode(child).size());
  EXPECT_EQ(e->fee, 2500u);
  EXPECT_EQ(e->time, parent_time + 30);
  EXPECT_EQ(e->ancestor_package.fee, 3500u);
  EXPECT_EQ(e->ancestor_package.size, encode(parent).size() + encode(child).size());
  EXPECT_EQ(pool().entry(txid(parent))->time, parent_time);
  EXPECT_EQ(pool().entry(txid(parent))->ancestor_package.fee, 1000u);

  EXPECT_FALSE(pool().entry(blake3(as_bytes("not in the pool"))).has_value());
  // An orphan is not an entry.
  const Transaction unseen = spend_with_fee(fund(2), kFunding, 1000);
  const Transaction orphan = spend_with_fee(OutPoint{txid(unseen), 0}, unseen.outputs[0].value, 1000);
  ASSERT_EQ(accept(orphan).status, TxStatus::orphaned);
  EXPECT_FALSE(pool().entry(txid(orphan)).has_value());
  EXPECT_EQ(pool().entries(std::nullopt, 10).size(), 2u);
}

TEST_F(MempoolTest, EntriesArePagesInTxidOrder) {
  std::vector<Txid> ids;
  for (uint64_t i = 0; i < 7; ++i) {
    const Transaction tx = spend_with_fee(fund(i), kFunding, 1000 + i);
    ASSERT_EQ(accept(tx).status, TxStatus::accepted);
    ids.push_back(txid(tx));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(pool().entries(std::nullopt, 0).empty());
  const std::vector<MempoolEntryInfo> all = pool().entries(std::nullopt, 100);
  ASSERT_EQ(all.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(all[i].txid, ids[i]);

  // Pages of 3 resume after the last txid of the previous page.
  std::vector<Txid> paged;
  std::optional<Txid> after;
  for (int pages = 0; pages < 10; ++pages) {
    const std::vector<MempoolEntryInfo> page = pool().entries(after, 3);
    EXPECT_LE(page.size(), 3u);
    for (const auto& e : page) paged.push_back(e.txid);
    if (page.size() < 3) break;
    after = page.back().txid;
  }
  EXPECT_EQ(paged, ids);
  EXPECT_TRUE(pool().entries(ids.back(), 100).empty());

  // A cursor that left the pool still marks a place in the order.
  pool().block_connected(confirm({pool().entry(ids[2])->tx}), view_, next_);
  const std::vector<MempoolEntryInfo> rest = pool().entries(ids[2], 100);
  ASSERT_EQ(rest.size(), 4u);
  EXPECT_EQ(rest.front().txid, ids[3]);
}

TEST_F(MempoolTest, OutputOfAPoolTransaction) {
  const Transaction tx = spend({fund(1)}, {kCoin, kFunding - kCoin - 1000});
  ASSERT_EQ(accept(tx).status, TxStatus::accepted);
  EXPECT_EQ(pool().output(OutPoint{txid(tx), 1}), tx.outputs[1]);
  EXPECT_FALSE(pool().output(OutPoint{txid(tx), 2}).has_value());
  EXPECT_FALSE(pool().output(OutPoint{blake3(as_bytes("elsewhere")), 0}).has_value());
}

// The running total equals the sum of the entries' fees through acceptance, replacement,
// eviction, confirmation and expiry.
TEST_F(MempoolTest, TotalFeesIsTheSumOfTheEntriesFees) {
  reset_pool(20'000);
  auto summed = [&] {
    Amount sum = 0;
    for (const auto& e : pool().entries(std::nullopt, SIZE_MAX)) sum += e.fee;
    return sum;
  };
  EXPECT_EQ(pool().total_fees(), 0u);
  const OutPoint coin = fund(1);
  const Transaction original = spend_with_fee(coin, kFunding, 10'000);
  ASSERT_EQ(accept(original).status, TxStatus::accepted);
  EXPECT_EQ(pool().total_fees(), 10'000u);
  const Transaction replacement = spend_with_fee(coin, kFunding, 10'000 + min_fee(original));
  ASSERT_EQ(accept(replacement).status, TxStatus::accepted);
  EXPECT_EQ(pool().total_fees(), 10'000u + min_fee(original));

  DeterministicRng random(7);
  std::vector<std::pair<OutPoint, Amount>> spendable;
  for (uint64_t i = 2; i < 30; ++i) spendable.emplace_back(fund(i), kFunding);
  for (int step = 0; step < 150; ++step) {
    const uint64_t action = random.uniform(10);
    if (action < 7) {
      const auto [o, v] = spendable[random.uniform(spendable.size())];
      const Transaction tx = spend_with_fee(o, v, 300 + random.uniform(20'000));
      if (accept(tx).status == TxStatus::accepted)
        spendable.emplace_back(OutPoint{txid(tx), 0}, tx.outputs[0].value);
    } else if (action < 9) {
      pool().block_connected(confirm(pool().select_for_block({3'000, 10})), view_, next_);
      ++next_.height;
    } else {
      clock_.advance_seconds(kMempoolExpirySeconds / 3);
      pool().expire();
    }
    ASSERT_EQ(pool().total_fees(), summed()) << "step " << step;
  }
  clock_.advance_seconds(kMempoolExpirySeconds);
  pool().expire();
  EXPECT_EQ(pool().size(), 0u);
  EXPECT_EQ(pool().total_fees(), 0u);
}

// A transaction's txid does not commit to its witnesses; the signature cache must not
// let a changed witness ride on the verdict of the original.
TEST_F(MempoolTest, ChangedWitnessWithTheSameTxidIsStillVerified) {
  const Transaction tx = spend_with_fee(fund(1), kFunding, 1000);
  Transaction forged = tx;
  std::get<KeySpend>(forged.inputs[0].witness).signature.signature.bytes[9] ^= 1;
  ASSERT_EQ(txid(forged), txid(tx));
  ASSERT_EQ(accept(tx).status, TxStatus::accepted);
  EXPECT_GE(cache_.size(), 1u);

  // Another pool sharing the cache (as a restarted pool would) sees the forged copy.
  Mempool other(options(), clock_, cache_, 8);
  const MempoolVerdict v = other.accept(forged, view_, next_);
  EXPECT_EQ(v.reason, MempoolReject::lock_failed);
  EXPECT_EQ(v.lock_error, LockError::bad_signature);

  // And a block carrying the forged copy fails verification at connect.
  CachingSignatureChecker checker(cache_);
  ThreadPool workers("verify", 2);
  const std::vector<TxVerifyJob> jobs{
      TxVerifyJob{&forged, {known_.at(tx.inputs[0].prevout)}, {SpendContext{}}}};
  EXPECT_EQ(verify_parallel(jobs, genesis_, checker, workers),
            (InputFailure{0, 0, LockError::bad_signature}));
  const std::vector<TxVerifyJob> honest{
      TxVerifyJob{&tx, {known_.at(tx.inputs[0].prevout)}, {SpendContext{}}}};
  EXPECT_EQ(verify_parallel(honest, genesis_, checker, workers), std::nullopt);
}

// ---- contract transactions (docs/contracts.md §2) ----------------------------------------

Payload call_payload(uint64_t gas_limit, Amount gas_price, Amount value = 0) {
  CallBody body;
  body.gas = GasTerms{gas_limit, gas_price};
  body.value = value;
  body.method = "run";
  return Payload{kCallPayload, encode_call_body(body)};
}

TEST_F(MempoolTest, ContractTransactionsPayAtLeastTheirIntrinsicGas) {
  const OutPoint coin = fund(1);
  const Payload payload = call_payload(100'000, 2, 500);
  // Inputs cover outputs + value + the maximum gas fee; 1,000 is left as the plain fee.
  const Transaction tx = spend({coin}, {kFunding - 500 - 200'000 - 1'000}, 0, payload);
  ASSERT_EQ(accept(tx).status, TxStatus::accepted) << to_string(accept(tx).reason);
  const uint64_t intrinsic = contract_intrinsic_gas(tx);
  EXPECT_EQ(pool().fee(txid(tx)), 1'000 + intrinsic * 2);
}

TEST_F(MempoolTest, ContractTransactionsMayHaveNoOutputs) {
  const Transaction tx = spend({fund(1)}, {}, 0, call_payload(100'000, 1));
  EXPECT_EQ(accept(tx).status, TxStatus::accepted) << to_string(accept(tx).reason);
}

TEST_F(MempoolTest, ContractTransactionsMustFundTheirMaximumGas) {
  const Transaction tx = spend({fund(1)}, {kFunding - 100'000 + 1}, 0, call_payload(100'000, 1));
  EXPECT_EQ(accept(tx).reason, MempoolReject::insufficient_funds);
}

TEST_F(MempoolTest, ContractRulesAndGasPrice) {
  const auto refused = accept(spend({fund(1)}, {1'000}, 0, call_payload(1, 1)));
  EXPECT_EQ(refused.reason, MempoolReject::contract_rejected);
  ASSERT_TRUE(refused.rule_error.has_value());
  EXPECT_EQ(refused.rule_error->reason, BlockError::bad_payload);
  EXPECT_EQ(accept(spend({fund(2)}, {1'000}, 0, call_payload(100'000, 0))).reason,
            MempoolReject::gas_price_too_low);
}

TEST_F(MempoolTest, TemplatesKeepTheBlockGasLimit) {
  const Transaction a = spend({fund(1)}, {kFunding - 3'000'000}, 0, call_payload(2'000'000, 1));
  const Transaction b = spend({fund(2)}, {kFunding - 3'000'000}, 0, call_payload(2'000'000, 1));
  ASSERT_EQ(accept(a).status, TxStatus::accepted);
  ASSERT_EQ(accept(b).status, TxStatus::accepted);
  EXPECT_EQ(pool().select_for_block({1'000'000, 10, 4'000'000}).size(), 2u);
  EXPECT_EQ(pool().select_for_block({1'000'000, 10, 3'999'999}).size(), 1u);
  EXPECT_TRUE(pool().select_for_block({1'000'000, 10, 1'999'999}).empty());
}

}  // namespace
}  // namespace cairn
