// Chain queries (chain/chain_queries.h) on a test chain with spends: transactions found at
// their position, inclusion proofs that verify and fail when tampered with, address pages
// that cover every output exactly once, balances that equal the unspent outputs, spent
// outputs in the history, and pruned blocks as a clear error.
#include "chain/chain_queries.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "storage/memory_store.h"

namespace cairn {
namespace {

using test::pay_to;
using test::submit_ok;
using test::TestChain;

constexpr uint64_t kMaturity = TestChainRules::kDefaultCoinbaseMaturity;

class ChainQueriesTest : public ::testing::Test {
 protected:
  void open(const ChainManagerOptions& options = {}) {
    manager_ = test::open_or_fail(store_, chain_.rules(), checker_, options);
    ASSERT_NE(manager_, nullptr);
  }

  void extend(size_t count) {
    for (size_t i = 0; i < count; ++i) submit(chain_.empty_block(manager_->tip().hash));
  }
  void submit(const Block& block) {
    blocks_[block.header.height] = block;
    submit_ok(*manager_, block);
  }

  // Mature coinbases, then a block of three spends (key 0 -> keys 1, 2; five outputs to
  // key 1) and a block spending one of key 1's outputs to key 3.
  void build_history() {
    extend(kMaturity + 2);
    test::BlockBuilder b = chain_.builder(manager_->tip().hash);
    spend_a_ =
        b.spend({TestChain::coinbase_outpoint(blocks_.at(1))},
                {TxOut{10 * kCoin, pay_to(1)}, TxOut{10 * kCoin, pay_to(1)}, TxOut{10 * kCoin, pay_to(1)},
                 TxOut{10 * kCoin, pay_to(1)}, TxOut{9 * kCoin, pay_to(1)}});
    spend_b_ = b.spend({TestChain::coinbase_outpoint(blocks_.at(2))}, {TxOut{49 * kCoin, pay_to(2)}});
    spend_c_ = b.spend({TestChain::coinbase_outpoint(blocks_.at(3))},
                       {TxOut{25 * kCoin, pay_to(2)}, TxOut{24 * kCoin, pay_to(0)}});
    submit(b.build());
    spends_height_ = manager_->tip().height();
    test::BlockBuilder c = chain_.builder(manager_->tip().hash);
    spend_d_ = c.spend({OutPoint{txid(spend_a_), 2}}, {TxOut{9 * kCoin, pay_to(3)}});
    submit(c.build());
    extend(2);
  }

  // Every page of `lock`'s outputs with `limit` items, collected.
  std::vector<AddressOutput> all_pages(const OutputLock& lock, size_t limit, AddressFilter filter,
                                       size_t max_scanned = kMaxAddressEntriesScanned) {
    std::vector<AddressOutput> out;
    std::optional<AddressKey> after;
    for (size_t pages = 0; pages < 1000; ++pages) {
      auto page = address_outputs(store_, AddressPageRequest{lock, after, limit, filter, max_scanned});
      EXPECT_TRUE(page.ok()) << page.error().to_string();
      if (!page) break;
      EXPECT_LE(page->items.size(), limit);
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (!page->next) return out;
      // A cursor round-trips through its string form.
      after = decode_address_cursor(lock, encode_address_cursor(*page->next)).value();
    }
    ADD_FAILURE() << "pagination did not end";
    return out;
  }

  // The address index entries of `lock`, straight from the column.
  std::vector<AddressOutput> index_of(const OutputLock& lock) {
    std::vector<AddressOutput> out;
    auto it = store_.iterator(Column::address_index, address_prefix(lock));
    for (it->seek_to_first(); it->valid(); it->next()) {
      out.push_back(
          AddressOutput{decode_address_key(it->key()).value(), decode_address_entry(it->value()).value()});
    }
    return out;
  }

  TestChain chain_;
  MemoryStore store_;
  DirectSignatureChecker checker_;
  std::unique_ptr<ChainManager> manager_;
  std::map<uint64_t, Block> blocks_;
  Transaction spend_a_, spend_b_, spend_c_, spend_d_;
  uint64_t spends_height_ = 0;
};

TEST_F(ChainQueriesTest, FindsTransactionsAtTheirPosition) {
  open();
  build_history();
  const BlockNode& block = *manager_->at_height(spends_height_);
  const auto tip = manager_->tip().height();
  const std::vector<Transaction> txs = {spend_a_, spend_b_, spend_c_};
  for (uint32_t i = 0; i < txs.size(); ++i) {
    auto found = find_transaction(store_, *manager_, txid(txs[i]));
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->tx, txs[i]);
    EXPECT_EQ((*found)->where, (TxPosition{block.hash, spends_height_, i + 1, tip - spends_height_ + 1}));
  }
  // The coinbase of the tip: position 0, one confirmation.
  auto coinbase = find_transaction(store_, *manager_, txid(blocks_.at(tip).transactions[0]));
  ASSERT_TRUE(coinbase.ok() && coinbase->has_value());
  EXPECT_EQ((*coinbase)->where.position, 0u);
  EXPECT_EQ((*coinbase)->where.confirmations, 1u);

  auto unknown = find_transaction(store_, *manager_, Txid{});
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(ChainQueriesTest, ConfirmedFeesComeFromTheUndoData) {
  open();
  build_history();
  // Every spend of build_history pays one coin: 50 in and 49 out, or 10 in and 9 out.
  for (const Transaction* tx : {&spend_a_, &spend_b_, &spend_c_}) {
    auto fee = confirmed_fee(store_, *manager_, txid(*tx));
    ASSERT_TRUE(fee.ok()) << fee.error().to_string();
    EXPECT_EQ(*fee, std::optional<Amount>{kCoin});
  }
  EXPECT_EQ(confirmed_fee(store_, *manager_, txid(spend_d_)).value(), std::optional<Amount>{1 * kCoin});
  const Txid coinbase = txid(blocks_.at(spends_height_).transactions[0]);
  EXPECT_EQ(confirmed_fee(store_, *manager_, coinbase).value(), std::nullopt);
  EXPECT_EQ(confirmed_fee(store_, *manager_, Txid{}).value(), std::nullopt);
}

TEST_F(ChainQueriesTest, ProofVerifiesAndFailsWhenTampered) {
  open();
  build_history();
  const Block& block = blocks_.at(spends_height_);
  for (const Transaction& tx : block.transactions) {
    auto proof = transaction_proof(store_, *manager_, txid(tx));
    ASSERT_TRUE(proof.ok() && proof->has_value());
    const TxInclusionProof& p = **proof;
    EXPECT_EQ(p.tx_root, block.header.tx_root);
    EXPECT_TRUE(verify_transaction_proof(p));

    TxInclusionProof wrong_txid = p;
    wrong_txid.txid = txid(spend_d_);
    EXPECT_FALSE(verify_transaction_proof(wrong_txid));
    TxInclusionProof wrong_root = p;
    wrong_root.tx_root = block.header.witness_root;
    EXPECT_FALSE(verify_transaction_proof(wrong_root));
    TxInclusionProof wrong_position = p;
    wrong_position.where.position = (p.where.position + 1) % 4;
    wrong_position.proof.index = wrong_position.where.position;
    EXPECT_FALSE(verify_transaction_proof(wrong_position));
    ASSERT_FALSE(p.proof.path.empty());
    TxInclusionProof wrong_path = p;
    wrong_path.proof.path[0].bytes[0] ^= 1;
    EXPECT_FALSE(verify_transaction_proof(wrong_path));
  }
  auto unknown = transaction_proof(store_, *manager_, Txid{});
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(ChainQueriesTest, PagesCoverEveryOutputExactlyOnce) {
  open();
  build_history();
  for (const OutputLock& lock : {pay_to(0), pay_to(1), pay_to(2), pay_to(3)}) {
    const auto expected = index_of(lock);
    ASSERT_FALSE(expected.empty());
    for (size_t limit : {size_t{1}, size_t{2}, size_t{3}, expected.size(), kMaxAddressPageLimit}) {
      const auto got = all_pages(lock, limit, AddressFilter::all);
      ASSERT_EQ(got.size(), expected.size()) << "limit " << limit;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].key, expected[i].key);
        EXPECT_EQ(got[i].entry, expected[i].entry);
      }
    }
  }
  // A full last page says there is no more only when nothing follows.
  const auto key1 = index_of(pay_to(1));
  auto exact = address_outputs(store_, AddressPageRequest{pay_to(1), {}, key1.size(), AddressFilter::all});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), key1.size());
  EXPECT_FALSE(exact->next);
  auto short_by_one =
      address_outputs(store_, AddressPageRequest{pay_to(1), {}, key1.size() - 1, AddressFilter::all});
  ASSERT_TRUE(short_by_one.ok());
  ASSERT_TRUE(short_by_one->next);
  EXPECT_EQ(*short_by_one->next, key1[key1.size() - 2].key);
}

TEST_F(ChainQueriesTest, UnspentPagesSkipSpentOutputsWithinTheScanBound) {
  open();
  build_history();
  // Key 0's coinbases 1..3 were spent: they lead its index.
  std::vector<AddressKey> unspent;
  for (const auto& o : index_of(pay_to(0))) {
    if (!o.entry.spent) unspent.push_back(o.key);
  }
  for (size_t max_scanned : {size_t{1}, size_t{2}, size_t{5}, kMaxAddressEntriesScanned}) {
    const auto got = all_pages(pay_to(0), 2, AddressFilter::unspent, max_scanned);
    ASSERT_EQ(got.size(), unspent.size()) << "max_scanned " << max_scanned;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].key, unspent[i]);
  }
  // Scanning one spent entry: an empty page that says where to go on.
  const auto index = index_of(pay_to(0));
  size_t spent = 0;
  while (spent < index.size() && !index[spent].entry.spent) ++spent;
  ASSERT_LT(spent, index.size());
  std::optional<AddressKey> after;
  if (spent > 0) after = index[spent - 1].key;
  auto page = address_outputs(store_, AddressPageRequest{pay_to(0), after, 2, AddressFilter::unspent, 1});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  ASSERT_TRUE(page->next);
  EXPECT_EQ(*page->next, index[spent].key);
}

TEST_F(ChainQueriesTest, PageLimitsAreEnforcedAtTheBoundary) {
  open();
  build_history();
  auto request = [&](size_t limit, size_t max_scanned) {
    return address_outputs(store_, AddressPageRequest{pay_to(0), {}, limit, AddressFilter::all, max_scanned});
  };
  EXPECT_TRUE(request(kMaxAddressPageLimit, kMaxAddressEntriesScanned).ok());
  EXPECT_EQ(request(0, kMaxAddressEntriesScanned).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(request(kMaxAddressPageLimit + 1, kMaxAddressEntriesScanned).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(request(1, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(request(1, kMaxAddressEntriesScanned + 1).error().code, ErrorCode::invalid_argument);
}

TEST_F(ChainQueriesTest, CursorsOfAnotherAddressOrMalformedAreRefused) {
  open();
  build_history();
  const AddressKey key1 = index_of(pay_to(1)).front().key;
  const std::string cursor = encode_address_cursor(key1);
  EXPECT_EQ(decode_address_cursor(pay_to(1), cursor).value(), key1);
  EXPECT_EQ(decode_address_cursor(pay_to(2), cursor).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(decode_address_cursor(pay_to(1), "zz").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(decode_address_cursor(pay_to(1), cursor.substr(0, cursor.size() - 2)).error().code,
            ErrorCode::invalid_argument);
  auto foreign = address_outputs(store_, AddressPageRequest{pay_to(2), key1, 10, AddressFilter::all});
  EXPECT_EQ(foreign.error().code, ErrorCode::invalid_argument);
}

TEST_F(ChainQueriesTest, BalanceIsTheSumOfUnspentOutputs) {
  open();
  build_history();
  const uint64_t tip = manager_->tip().height();
  for (const OutputLock& lock : {pay_to(0), pay_to(1), pay_to(2), pay_to(3), pay_to(4)}) {
    AddressBalance expected;
    for (const auto& [k, v] : test::column(store_, Column::utxo)) {
      const Coin coin = decode_coin_value(v).value();
      if (coin.output.lock != lock) continue;
      const bool mature = !coin.coinbase || coin.height + kMaturity <= tip + 1;
      (mature ? expected.confirmed : expected.immature) += coin.output.value;
      ++expected.utxo_count;
    }
    auto balance = address_balance(store_, lock, tip, kMaturity);
    ASSERT_TRUE(balance.ok()) << balance.error().to_string();
    EXPECT_EQ(*balance, expected);
  }
  // Key 0 has both: old coinbases are mature, the last kMaturity - 1 are not.
  const auto key0 = address_balance(store_, pay_to(0), tip, kMaturity).value();
  EXPECT_GT(key0.immature, 0u);
  EXPECT_GT(key0.confirmed, 0u);
  EXPECT_EQ(address_balance(store_, pay_to(4), tip, kMaturity).value(), AddressBalance{});
}

TEST_F(ChainQueriesTest, SpentOutputsShowInTheHistory) {
  open();
  build_history();
  const auto history = all_pages(pay_to(1), kDefaultAddressPageLimit, AddressFilter::all);
  ASSERT_EQ(history.size(), 5u);
  for (const auto& o : history) {
    EXPECT_EQ(o.key.height, spends_height_);
    EXPECT_EQ(o.key.outpoint.txid, txid(spend_a_));
    if (o.key.outpoint.index == 2) {
      ASSERT_TRUE(o.entry.spent);
      EXPECT_EQ(*o.entry.spent, (SpentBy{txid(spend_d_), 0, spends_height_ + 1}));
    } else {
      EXPECT_FALSE(o.entry.spent);
    }
  }
  EXPECT_EQ(all_pages(pay_to(1), 2, AddressFilter::unspent).size(), 4u);
}

TEST_F(ChainQueriesTest, CoinbaseMaturityBoundary) {
  // A coinbase of height 10 with maturity 5 is spendable from height 15: tip 14.
  EXPECT_FALSE(coin_mature(true, 10, 13, 5));
  EXPECT_TRUE(coin_mature(true, 10, 14, 5));
  EXPECT_TRUE(coin_mature(false, 10, 10, 5));
  EXPECT_TRUE(coin_mature(true, 0, 0, 1));
  EXPECT_FALSE(coin_mature(true, UINT64_MAX, 10, 5));
}

TEST_F(ChainQueriesTest, PrunedBlockIsAnErrorNamingThePruneHeight) {
  ChainManagerOptions options;
  options.prune_depth = 4;
  open(options);
  build_history();
  extend(6);
  ASSERT_GT(manager_->prune_height(), spends_height_);
  const Txid id = txid(spend_b_);
  auto where = locate_transaction(store_, *manager_, id);
  ASSERT_TRUE(where.ok() && where->has_value()) << "the index survives pruning";
  EXPECT_TRUE(body_pruned(*manager_, *manager_->find((*where)->block)));

  auto found = find_transaction(store_, *manager_, id);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::not_found);
  EXPECT_NE(found.error().message.find("pruned"), std::string::npos) << found.error().message;
  EXPECT_NE(found.error().message.find("from height " + std::to_string(manager_->prune_height())),
            std::string::npos)
      << found.error().message;
  EXPECT_FALSE(transaction_proof(store_, *manager_, id).ok());
  EXPECT_FALSE(confirmed_fee(store_, *manager_, id).ok());

  // The tip's coinbase is kept.
  const Txid recent = txid(blocks_.at(manager_->tip().height()).transactions[0]);
  EXPECT_FALSE(body_pruned(*manager_, manager_->tip()));
  auto kept = find_transaction(store_, *manager_, recent);
  ASSERT_TRUE(kept.ok() && kept->has_value());
}

}  // namespace
}  // namespace cairn
