// Coin selection: branch and bound (Bitcoin Core's SelectCoinsBnB cases, including its
// iteration bound), the fallbacks with change, exact fees, the dust boundary, immature
// coins, required coins, size limits and determinism.
#include "wallet/coin_selection.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "util/codec.h"

namespace cairn::wallet {
namespace {

constexpr size_t kInput = 134;      // a key-spend input
constexpr size_t kBase = 60;        // a transaction with one output and no inputs
constexpr size_t kChange = 41;      // a key-hash change output
constexpr FeeRate kRate{1'000};     // 1 unit per byte
constexpr Amount kInputFee = 134;   // kRate.fee_for(kInput)
constexpr Amount kMinChange = 402;  // the default dust threshold

OutPoint outpoint(uint32_t n) {
  OutPoint o;
  o.txid.bytes[0] = static_cast<uint8_t>(n >> 8);
  o.txid.bytes[1] = static_cast<uint8_t>(n);
  o.index = n;
  return o;
}

CoinCandidate coin(uint32_t n, Amount value, bool mature = true) {
  return {outpoint(n), value, kInput, mature};
}

SelectionParams params(Amount target) {
  SelectionParams p;
  p.target = target;
  p.fee_rate = kRate;
  p.base_size = kBase;
  p.change_size = kChange;
  p.change_spend_size = kInput;
  p.min_change = kMinChange;
  return p;
}

Amount sum_values(std::span<const CoinCandidate> coins, const Selection& s) {
  Amount total = 0;
  for (size_t i : s.chosen) total += coins[i].value;
  return total;
}

size_t size_of(std::span<const CoinCandidate> coins, const Selection& s, bool change) {
  std::vector<size_t> sizes;
  for (size_t i : s.chosen) sizes.push_back(coins[i].input_size);
  return transaction_size(kBase, sizes, change ? kChange : 0);
}

// ---- branch_and_bound itself (Core's coinselector_tests, in units of 1) ----

std::vector<BnbCoin> bnb_coins(std::initializer_list<int64_t> values) {
  std::vector<BnbCoin> out;
  for (int64_t v : values) out.push_back({v, 0});
  return out;
}

TEST(BranchAndBound, FindsExactSubsets) {
  const auto coins = bnb_coins({1, 2, 3, 4});
  EXPECT_EQ(branch_and_bound(coins, 1, 0), (std::vector<size_t>{0}));
  EXPECT_EQ(branch_and_bound(coins, 10, 0), (std::vector<size_t>{0, 1, 2, 3}));
  const auto seven = branch_and_bound(coins, 7, 0);
  ASSERT_TRUE(seven);
  int64_t total = 0;
  for (size_t i : *seven) total += coins[i].effective_value;
  EXPECT_EQ(total, 7);
}

TEST(BranchAndBound, WindowIsTargetToTargetPlusCostOfChange) {
  const auto coins = bnb_coins({4, 8});
  EXPECT_FALSE(branch_and_bound(coins, 3, 0));                         // no subset is exactly 3
  EXPECT_EQ(branch_and_bound(coins, 3, 1), (std::vector<size_t>{0}));  // 4 is within 3 + 1
  EXPECT_FALSE(branch_and_bound(coins, 13, 10));                       // more than all of them
}

TEST(BranchAndBound, PrefersLeastExcess) {
  const auto coins = bnb_coins({10, 6, 5});
  // {10} exceeds the target by 1, {6, 5} by 2.
  EXPECT_EQ(branch_and_bound(coins, 9, 5), (std::vector<size_t>{0}));
}

TEST(BranchAndBound, HighFeesPreferFewerInputs) {
  // Each coin costs 1 more now than later: {7} beats {3, 4} for a target of 7.
  std::vector<BnbCoin> coins = {{3, 1}, {4, 1}, {7, 1}};
  EXPECT_EQ(branch_and_bound(coins, 7, 0), (std::vector<size_t>{2}));
  // When spending now is cheaper than later, consolidating is better.
  coins = {{3, -1}, {4, -1}, {7, -1}};
  EXPECT_EQ(branch_and_bound(coins, 7, 0), (std::vector<size_t>{0, 1}));
}

// Core's make_hard_case: a target no subset meets until the search has tried many sets.
int64_t make_hard_case(int n, std::vector<BnbCoin>& coins) {
  coins.clear();
  int64_t target = 0;
  for (int i = 0; i < n; ++i) {
    target += int64_t{1} << (n + i);
    coins.push_back({int64_t{1} << (n + i), 0});
    coins.push_back({(int64_t{1} << (n + i)) + (int64_t{1} << (n - 1 - i)), 0});
  }
  return target;
}

TEST(BranchAndBound, StopsAtTheIterationBound) {
  std::vector<BnbCoin> coins;
  int64_t target = make_hard_case(17, coins);
  EXPECT_FALSE(branch_and_bound(coins, target, 1));  // exhausts kBnbMaxTries
  target = make_hard_case(14, coins);
  EXPECT_TRUE(branch_and_bound(coins, target, 1));  // found within it
  EXPECT_FALSE(branch_and_bound(coins, target, 1, 100));
}

TEST(BranchAndBound, EmptyOrShortPoolFindsNothing) {
  EXPECT_FALSE(branch_and_bound({}, 1, 10));
  EXPECT_FALSE(branch_and_bound(bnb_coins({1, 2}), 4, 0));
}

// ---- select_coins ----

TEST(SelectCoins, BranchAndBoundFindsAChangelessSet) {
  // Effective values 1000, 2000, 3000 and 5000; the fee of everything but inputs is 60.
  const std::vector<CoinCandidate> coins = {coin(1, 1000 + kInputFee), coin(2, 2000 + kInputFee),
                                            coin(3, 3000 + kInputFee), coin(4, 5000 + kInputFee)};
  auto s = select_coins(coins, params(8000 - 60));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, SelectionAlgorithm::branch_and_bound);
  EXPECT_EQ(s->change, 0u);
  EXPECT_EQ(s->value, sum_values(coins, *s));
  EXPECT_EQ(s->value, 8000 - 60 + s->fee);
  EXPECT_EQ(s->size, size_of(coins, *s, false));
  // Changeless: the fee meets the rate, and exceeds it by less than the cost of change.
  EXPECT_GE(s->fee, kRate.fee_for(s->size));
  EXPECT_LE(s->fee - kRate.fee_for(s->size), kRate.fee_for(kChange) + kRate.fee_for(kInput));
}

TEST(SelectCoins, FallsBackToTheSmallestCoverWithExactChange) {
  const std::vector<CoinCandidate> coins = {coin(1, 50'000), coin(2, 20'000), coin(3, 100'000)};
  auto s = select_coins(coins, params(10'000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, SelectionAlgorithm::single_coin);
  EXPECT_EQ(s->chosen, (std::vector<size_t>{1}));
  EXPECT_EQ(s->size, size_of(coins, *s, true));
  EXPECT_EQ(s->fee, kRate.fee_for(s->size));
  EXPECT_EQ(s->change, 20'000 - 10'000 - s->fee);
}

TEST(SelectCoins, LargestFirstWhenNoSingleCoinCovers) {
  const std::vector<CoinCandidate> coins = {coin(1, 30'000), coin(2, 20'000), coin(3, 40'000),
                                            coin(4, 10'000)};
  auto s = select_coins(coins, params(65'000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, SelectionAlgorithm::largest_first);
  EXPECT_EQ(s->chosen, (std::vector<size_t>{0, 2}));  // 40'000, then 30'000
  EXPECT_EQ(s->fee, kRate.fee_for(s->size));
  EXPECT_EQ(s->value, 65'000 + s->fee + s->change);
}

TEST(SelectCoins, InsufficientFundsSaysWhatIsNeededAndWhatIsImmature) {
  const std::vector<CoinCandidate> coins = {coin(1, 10'000), coin(2, 5'000), coin(3, 7 * kCoin, false)};
  auto s = select_coins(coins, params(20'000));
  ASSERT_FALSE(s.ok());
  const std::string& m = s.error().message;
  EXPECT_NE(m.find("insufficient funds"), std::string::npos) << m;
  EXPECT_NE(m.find("need 0.00020"), std::string::npos) << m;
  EXPECT_NE(m.find("spendable 0.00015000"), std::string::npos) << m;
  EXPECT_NE(m.find("7.00000000 is immature"), std::string::npos) << m;
}

TEST(SelectCoins, NeverSpendsImmatureCoins) {
  const std::vector<CoinCandidate> coins = {coin(1, kCoin, false), coin(2, 30'000), coin(3, 30'000)};
  auto s = select_coins(coins, params(40'000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->chosen, (std::vector<size_t>{1, 2}));
  const size_t required[] = {0};
  EXPECT_FALSE(select_coins(coins, params(40'000), required).ok());
}

TEST(SelectCoins, ChangeAtTheDustThresholdIsKeptBelowItGoesToTheFee) {
  const Amount target = 100'000;
  const Amount fee_with_change = kRate.fee_for(transaction_size(kBase, std::vector<size_t>{kInput}, kChange));
  const Amount fee_without = kRate.fee_for(transaction_size(kBase, std::vector<size_t>{kInput}, 0));

  std::vector<CoinCandidate> coins = {coin(1, target + fee_with_change + kMinChange)};
  auto s = select_coins(coins, params(target));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->change, kMinChange);
  EXPECT_EQ(s->fee, fee_with_change);

  coins = {coin(1, target + fee_with_change + kMinChange - 1)};
  s = select_coins(coins, params(target));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->change, 0u);
  EXPECT_EQ(s->fee, fee_with_change + kMinChange - 1);  // the would-be change is fee
  EXPECT_GT(s->fee, fee_without);

  // Exactly the changeless fee: still enough; one unit less is not.
  coins = {coin(1, target + fee_without)};
  s = select_coins(coins, params(target));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->fee, fee_without);
  coins = {coin(1, target + fee_without - 1)};
  EXPECT_FALSE(select_coins(coins, params(target)).ok());
}

TEST(SelectCoins, RequiredChangeNeedsChangeAboveDust) {
  SelectionParams p = params(0);
  p.require_change = true;
  const Amount fee = kRate.fee_for(transaction_size(kBase, std::vector<size_t>{kInput}, kChange));
  std::vector<CoinCandidate> coins = {coin(1, fee + kMinChange)};
  auto s = select_coins(coins, p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->change, kMinChange);
  coins = {coin(1, fee + kMinChange - 1)};
  EXPECT_FALSE(select_coins(coins, p).ok());
}

TEST(SelectCoins, RequiredCoinsAreAlwaysSpent) {
  const std::vector<CoinCandidate> coins = {coin(1, 100'000), coin(2, 600), coin(3, 50'000)};
  const size_t required[] = {1};
  auto s = select_coins(coins, params(60'000), required);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(std::find(s->chosen.begin(), s->chosen.end(), 1u) != s->chosen.end());
  EXPECT_EQ(s->value, 60'000 + s->fee + s->change);

  // Enough on their own.
  s = select_coins(coins, params(100), required);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, SelectionAlgorithm::preselected);
  EXPECT_EQ(s->chosen, (std::vector<size_t>{1}));
}

TEST(SelectCoins, RefusesATransactionOverTheSizeLimit) {
  std::vector<CoinCandidate> coins;
  for (uint32_t i = 0; i < 20; ++i) coins.push_back(coin(i, 1'000));
  SelectionParams p = params(10'000);
  p.max_size = transaction_size(kBase, std::vector<size_t>(10, kInput), kChange);
  auto s = select_coins(coins, p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::limit);
  EXPECT_NE(s.error().message.find("consolidate"), std::string::npos);
}

TEST(SelectCoins, IsDeterministicWhateverTheCandidateOrder) {
  std::vector<CoinCandidate> coins;
  for (uint32_t i = 0; i < 30; ++i) coins.push_back(coin(i, 1'000 + 997 * ((i * 7) % 30)));
  auto chosen_outpoints = [](const std::vector<CoinCandidate>& cs, const Selection& s) {
    std::vector<OutPoint> out;
    for (size_t i : s.chosen) out.push_back(cs[i].outpoint);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto first = select_coins(coins, params(23'456));
  ASSERT_TRUE(first.ok());
  std::vector<CoinCandidate> reversed(coins.rbegin(), coins.rend());
  auto second = select_coins(reversed, params(23'456));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(chosen_outpoints(coins, *first), chosen_outpoints(reversed, *second));
  EXPECT_EQ(first->fee, second->fee);
}

TEST(SelectCoins, UneconomicalCoinsAreSkipped) {
  // A coin worth less than the fee to spend it never helps.
  const std::vector<CoinCandidate> coins = {coin(1, kInputFee), coin(2, 50'000)};
  auto s = select_coins(coins, params(10'000));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->chosen, (std::vector<size_t>{1}));
}

TEST(TransactionSize, CountsTheInputCountVarint) {
  EXPECT_EQ(transaction_size(kBase, std::vector<size_t>(127, kInput), 0), kBase + 127 * kInput);
  EXPECT_EQ(transaction_size(kBase, std::vector<size_t>(128, kInput), 0), kBase + 1 + 128 * kInput);
  EXPECT_EQ(transaction_size(kBase, {}, kChange), kBase + kChange);
}

}  // namespace
}  // namespace cairn::wallet
