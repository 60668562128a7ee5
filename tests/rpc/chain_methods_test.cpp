// The chain_*, tx_*, address_* and mempool_* methods on a regtest chain with transactions,
// called through the Registry's handlers: every result satisfies its method's own result
// schema; unknown blocks and transactions are not_found, pruned blocks pruned, bad
// addresses and cursors invalid_params; tx_send_raw accepts a valid transaction and
// rejects an invalid one with the mempool's reason; tx_get_proof's proof verifies.
#include "rpc/chain_methods.h"

#include <algorithm>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "chain/regtest_fixture.h"
#include "crypto/merkle.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"
#include "rpc/method_caller.h"
#include "rpc/schema.h"
#include "util/rng.h"

namespace cairn::rpc {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);
constexpr Amount kFee = 10'000;

// A transaction spending output `index` of `funding` (a coin of test key 0) into `outputs`.
Transaction signed_spend(const Transaction& funding, uint32_t index, std::vector<TxOut> outputs,
                         const BlockHash& genesis) {
  Transaction tx;
  tx.inputs = {TxIn{OutPoint{txid(funding), index}, {}}};
  tx.outputs = std::move(outputs);
  const std::vector<TxOut> spent = {funding.outputs[index]};
  const auto digests = compute_sighash_digests(tx, spent).value();
  const Hash256 msg = signature_hash(tx, digests, 0, kAll, genesis).value();
  tx.inputs[0].witness =
      KeySpend{test::test_key(0).public_key(), TypedSignature{test::test_key(0).sign(msg), kAll}};
  return tx;
}

OutputLock key_lock(size_t key) { return key_hash_lock(test::test_key(key).public_key()); }

class ChainMethodsTest : public ::testing::Test {
 protected:
  ChainMethodsTest() : rng_(1), cache_(rng_), pool_(pool_options(), clock_, cache_, 7) {}

  MempoolOptions pool_options() const {
    MempoolOptions o;
    o.genesis = node_.params().genesis_hash;
    o.coinbase_maturity = node_.params().coinbase_maturity;
    o.finality = node_.params().finality;
    return o;
  }

  void SetUp() override {
    listener_ = std::make_unique<MempoolChainListener>(pool_, *node_.manager_);
    node_.manager_->add_listener(*listener_);
    for (uint64_t h = 0; h < node_.params().coinbase_maturity + 3; ++h) mine();
    // One block with two payments: key 0 -> key 1 (two outputs) and key 0 -> key 2.
    pay1_ =
        signed_spend(blocks_.at(0).transactions[0], 0,
                     {TxOut{kCoin, key_lock(1)}, TxOut{2 * kCoin, key_lock(1)},
                      TxOut{blocks_.at(0).transactions[0].outputs[0].value - 3 * kCoin - kFee, key_lock(0)}},
                     genesis());
    pay2_ =
        signed_spend(blocks_.at(1).transactions[0], 0,
                     {TxOut{blocks_.at(1).transactions[0].outputs[0].value - kFee, key_lock(2)}}, genesis());
    mine({pay1_, pay2_}, 2 * kFee);
    payments_height_ = node_.manager_->tip().height();
    mine();
    services_ = std::make_unique<ChainServices>(ChainServices{
        *node_.manager_, pool_, node_.store_, Network::regtest, node_.params().coinbase_maturity,
        kDefaultMaxMempoolBytes, FeeRate{kDefaultMinRelayFeePerKb}, 1'000'000, [this](const Transaction& tx) {
          return pool_.accept(tx, node_.manager_->coins(), next_block(*node_.manager_));
        }});
    const Status status = register_chain_methods(registry_, *services_);
    ASSERT_TRUE(status.ok()) << status.error().to_string();
  }

  void mine(std::vector<Transaction> txs = {}, Amount fees = 0) {
    blocks_.push_back(node_.next_block(std::move(txs), fees));
    ASSERT_EQ(node_.submit(blocks_.back()), std::nullopt);
  }
  BlockHash genesis() const { return node_.params().genesis_hash; }
  std::string address(size_t key, Network network = Network::regtest) const {
    return encode_address(network, key_lock(key));
  }

  test::RegtestNode node_;
  DeterministicRng rng_;
  SignatureCache cache_;
  ManualClock clock_{1'700'000'000};
  Mempool pool_;
  std::unique_ptr<MempoolChainListener> listener_;
  std::vector<Block> blocks_;  // mined here, from height 1
  Transaction pay1_, pay2_;
  uint64_t payments_height_ = 0;
  std::unique_ptr<ChainServices> services_;
  Registry registry_;
  testing::MethodCaller rpc_{registry_};
};

TEST_F(ChainMethodsTest, RegistersEveryMethodOfThePlanWithExamples) {
  const std::vector<std::string> plan = {"chain_get_info",      "chain_get_block_hash",
                                         "chain_get_header",    "chain_get_block",
                                         "chain_get_raw_block", "tx_get",
                                         "tx_get_raw",          "tx_get_receipt",
                                         "tx_get_proof",        "tx_send_raw",
                                         "tx_estimate_fee",     "address_get_balance",
                                         "address_get_utxos",   "address_get_history",
                                         "mempool_get_info",    "mempool_get_transactions",
                                         "mempool_get_entry"};
  ASSERT_EQ(registry_.methods().size(), plan.size());
  for (const std::string& name : plan) {
    const MethodSpec* spec = registry_.find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_FALSE(spec->examples.empty()) << name;
    EXPECT_EQ(spec->group, name == "tx_send_raw" ? MethodGroup::admin_group : MethodGroup::public_group)
        << name;
  }
}

TEST_F(ChainMethodsTest, ChainMethodsDescribeTheBestChain) {
  const BlockNode& tip = node_.manager_->tip();
  const json info = rpc_.ok("chain_get_info");
  EXPECT_EQ(info["network"], "regtest");
  EXPECT_EQ(info["height"], tip.height());
  EXPECT_EQ(info["best_hash"], tip.hash.hex());
  EXPECT_EQ(info["genesis_hash"], genesis().hex());

  EXPECT_EQ(rpc_.ok("chain_get_block_hash", {{"height", payments_height_}}),
            node_.manager_->at_height(payments_height_)->hash.hex());
  const json by_height = rpc_.ok("chain_get_header", {{"block", payments_height_}});
  const json by_hash = rpc_.ok("chain_get_header", {{"block", by_height["hash"]}});
  EXPECT_EQ(by_height, by_hash);
  EXPECT_EQ(by_height["confirmations"], 2);
  EXPECT_EQ(by_height["in_best_chain"], true);

  const Block& block = blocks_.at(payments_height_ - 1);
  const json none = rpc_.ok("chain_get_block", {{"block", payments_height_}, {"transactions", "none"}});
  EXPECT_FALSE(none.contains("transactions"));
  EXPECT_EQ(none["tx_count"], 3);
  const json ids = rpc_.ok("chain_get_block", {{"block", payments_height_}});
  EXPECT_EQ(ids["transactions"],
            json({txid(block.transactions[0]).hex(), txid(pay1_).hex(), txid(pay2_).hex()}));
  const json full = rpc_.ok("chain_get_block", {{"block", payments_height_}, {"transactions", "full"}});
  EXPECT_EQ(full["transactions"][1]["outputs"][0]["address"], address(1));
  EXPECT_EQ(full["transactions"][1]["outputs"][0]["value"], std::to_string(kCoin));

  const json raw = rpc_.ok("chain_get_raw_block", {{"block", payments_height_}});
  EXPECT_EQ(decode_block(from_hex(raw.get<std::string>()).value()).value(), block);
}

TEST_F(ChainMethodsTest, TransactionMethodsFindConfirmedTransactions) {
  const json tx = rpc_.ok("tx_get", {{"txid", txid(pay2_).hex()}});
  EXPECT_EQ(tx["in_mempool"], false);
  EXPECT_EQ(tx["location"]["height"], payments_height_);
  EXPECT_EQ(tx["location"]["position"], 2);
  EXPECT_EQ(tx["location"]["confirmations"], 2);
  EXPECT_EQ(tx["outputs"][0]["address"], address(2));

  EXPECT_EQ(rpc_.ok("tx_get_raw", {{"txid", txid(pay1_).hex()}}), to_hex(encode(pay1_)));
  const json receipt = rpc_.ok("tx_get_receipt", {{"txid", txid(pay1_).hex()}});
  EXPECT_EQ(receipt["status"], "confirmed");
  EXPECT_EQ(receipt["position"], 1);
  EXPECT_EQ(receipt["fee"], std::to_string(kFee));
}

TEST_F(ChainMethodsTest, ProofsVerifyAgainstTheHeader) {
  for (const Transaction& t : blocks_.at(payments_height_ - 1).transactions) {
    const json proof = rpc_.ok("tx_get_proof", {{"txid", txid(t).hex()}});
    MerkleProof p;
    p.index = proof["position"].get<uint64_t>();
    p.size = proof["tx_count"].get<uint64_t>();
    for (const auto& h : proof["branch"]) p.path.push_back(Hash256::from_hex(h.get<std::string>()).value());
    const Hash256 root = Hash256::from_hex(proof["merkle_root"].get<std::string>()).value();
    EXPECT_EQ(root, blocks_.at(payments_height_ - 1).header.tx_root);
    EXPECT_TRUE(verify_merkle_proof(txid(t), p, root));
    EXPECT_FALSE(verify_merkle_proof(txid(pay1_) == txid(t) ? txid(pay2_) : txid(pay1_), p, root));
  }
}

TEST_F(ChainMethodsTest, UnknownBlocksAndTransactionsAreNotFound) {
  const std::string unknown(64, 'e');
  EXPECT_EQ(rpc_.fails("chain_get_header", {{"block", unknown}}).code, error_code::not_found);
  EXPECT_EQ(rpc_.fails("chain_get_block", {{"block", unknown}}).code, error_code::not_found);
  EXPECT_EQ(rpc_.fails("chain_get_raw_block", {{"block", node_.manager_->tip().height() + 1}}).code,
            error_code::not_found);
  EXPECT_EQ(rpc_.fails("chain_get_block_hash", {{"height", node_.manager_->tip().height() + 1}}).code,
            error_code::not_found);
  EXPECT_TRUE(std::holds_alternative<json>(
      rpc_.call("chain_get_block_hash", {{"height", node_.manager_->tip().height()}})));
  for (const char* method : {"tx_get", "tx_get_raw", "tx_get_receipt", "tx_get_proof", "mempool_get_entry"}) {
    EXPECT_EQ(rpc_.fails(method, {{"txid", unknown}}).code, error_code::not_found) << method;
  }
}

TEST_F(ChainMethodsTest, AddressesOfAnotherNetworkOrMalformedAreInvalidParams) {
  for (const char* method : {"address_get_balance", "address_get_utxos", "address_get_history"}) {
    const RpcError wrong_network = rpc_.fails(method, {{"address", address(1, Network::mainnet)}});
    EXPECT_EQ(wrong_network.code, error_code::invalid_params) << method;
    EXPECT_EQ(wrong_network.message.rfind("address: ", 0), 0u) << wrong_network.message;
    EXPECT_EQ(rpc_.fails(method, {{"address", "rcairn1notanaddress"}}).code, error_code::invalid_params)
        << method;
  }
  // A cursor of another address, and one that is not a cursor.
  const json page = rpc_.ok("address_get_history", {{"address", address(0)}, {"limit", 1}});
  ASSERT_TRUE(page["next_cursor"].is_string());
  const RpcError foreign =
      rpc_.fails("address_get_history", {{"address", address(1)}, {"cursor", page["next_cursor"]}});
  EXPECT_EQ(foreign.code, error_code::invalid_params);
  EXPECT_EQ(foreign.message.rfind("cursor: ", 0), 0u) << foreign.message;
  EXPECT_EQ(rpc_.fails("address_get_utxos", {{"address", address(0)}, {"cursor", "xyz"}}).code,
            error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("mempool_get_transactions", {{"cursor", "xyz"}}).code, error_code::invalid_params);
}

TEST_F(ChainMethodsTest, AddressMethodsReadTheIndex) {
  const json balance = rpc_.ok("address_get_balance", {{"address", address(1)}});
  EXPECT_EQ(balance["confirmed"], std::to_string(3 * kCoin));
  EXPECT_EQ(balance["utxo_count"], 2);
  EXPECT_EQ(balance["immature"], "0");
  const json miner = rpc_.ok("address_get_balance", {{"address", address(0)}});
  EXPECT_NE(miner["immature"], "0");

  const json utxos = rpc_.ok("address_get_utxos", {{"address", address(1)}});
  ASSERT_EQ(utxos["items"].size(), 2u);
  EXPECT_EQ(utxos["items"][0]["txid"], txid(pay1_).hex());
  EXPECT_EQ(utxos["items"][1]["value"], std::to_string(2 * kCoin));
  EXPECT_EQ(utxos["items"][1]["mature"], true);
  EXPECT_TRUE(utxos["next_cursor"].is_null());

  // Key 0's history, one item a page, equals it in one page; the spent coinbases show
  // their spenders.
  const json all = rpc_.ok("address_get_history", {{"address", address(0)}, {"limit", 1000}});
  json paged = json::array();
  json cursor = nullptr;
  for (int i = 0; i < 100; ++i) {
    json params = {{"address", address(0)}, {"limit", 1}};
    if (!cursor.is_null()) params["cursor"] = cursor;
    const json page = rpc_.ok("address_get_history", params);
    for (const auto& item : page["items"]) paged.push_back(item);
    cursor = page["next_cursor"];
    if (cursor.is_null()) break;
  }
  EXPECT_EQ(paged, all["items"]);
  size_t spent = 0;
  for (const auto& item : all["items"]) {
    if (item["spent"].is_null()) continue;
    ++spent;
    EXPECT_EQ(item["spent"]["height"], payments_height_);
  }
  EXPECT_EQ(spent, 2u);
}

TEST_F(ChainMethodsTest, SendRawAcceptsAValidTransactionAndRejectsAnInvalidOne) {
  const Transaction& coinbase = blocks_.at(2).transactions[0];
  const Transaction tx =
      signed_spend(coinbase, 0, {TxOut{coinbase.outputs[0].value - kFee, key_lock(3)}}, genesis());
  const json sent = rpc_.ok("tx_send_raw", {{"tx", to_hex(encode(tx))}});
  EXPECT_EQ(sent["txid"], txid(tx).hex());
  EXPECT_EQ(sent["status"], "accepted");

  // Now pending everywhere.
  const json got = rpc_.ok("tx_get", {{"txid", txid(tx).hex()}});
  EXPECT_EQ(got["in_mempool"], true);
  EXPECT_TRUE(got["location"].is_null());
  EXPECT_EQ(rpc_.ok("tx_get_receipt", {{"txid", txid(tx).hex()}})["status"], "pending");
  EXPECT_EQ(rpc_.ok("mempool_get_entry", {{"txid", txid(tx).hex()}})["fee"], std::to_string(kFee));
  const json info = rpc_.ok("mempool_get_info");
  EXPECT_EQ(info["count"], 1);
  EXPECT_EQ(info["total_fees"], std::to_string(kFee));
  EXPECT_EQ(rpc_.ok("mempool_get_transactions")["items"], json({txid(tx).hex()}));
  const json verbose = rpc_.ok("mempool_get_transactions", {{"verbose", true}});
  EXPECT_EQ(verbose["items"][0]["fee"], std::to_string(kFee));
  EXPECT_EQ(rpc_.ok("address_get_balance", {{"address", address(3)}})["unconfirmed_incoming"],
            std::to_string(coinbase.outputs[0].value - kFee));
  EXPECT_EQ(rpc_.ok("address_get_balance", {{"address", address(0)}})["unconfirmed_outgoing"],
            std::to_string(coinbase.outputs[0].value));
  EXPECT_EQ(rpc_.fails("tx_get_proof", {{"txid", txid(tx).hex()}}).code, error_code::not_found);
  EXPECT_EQ(rpc_.ok("tx_estimate_fee")["fee_rate"], std::to_string(kDefaultMinRelayFeePerKb));

  // Spending more than the coin holds.
  const Transaction overspend = signed_spend(blocks_.at(3).transactions[0], 0,
                                             {TxOut{coinbase.outputs[0].value + 1, key_lock(3)}}, genesis());
  const RpcError rejected = rpc_.fails("tx_send_raw", {{"tx", to_hex(encode(overspend))}});
  EXPECT_EQ(rejected.code, error_code::rejected);
  EXPECT_NE(rejected.message.find(to_string(MempoolReject::insufficient_funds)), std::string::npos)
      << rejected.message;
  ASSERT_TRUE(rejected.data);
  EXPECT_EQ((*rejected.data)["reason"], to_string(MempoolReject::insufficient_funds));
  // Bytes that are no transaction.
  EXPECT_EQ(rpc_.fails("tx_send_raw", {{"tx", "00ff"}}).code, error_code::invalid_params);
}

// Regtest does not prune above the finalized checkpoint, which this chain never moves: a
// test chain without finality, pruned to a window of 3 blocks.
TEST(ChainMethodsPrunedTest, PrunedBlocksArePrunedErrors) {
  test::TestChain chain;
  MemoryStore store;
  DirectSignatureChecker checker;
  ChainManagerOptions options;
  options.prune_depth = 3;
  auto manager = test::open_or_fail(store, chain.rules(), checker, options);
  ASSERT_NE(manager, nullptr);
  std::vector<Block> blocks = chain.line(manager->tip().hash, 8);
  for (const Block& b : blocks) test::submit_ok(*manager, b);
  const uint64_t old_height = 2;
  ASSERT_GT(manager->prune_height(), old_height);
  const Txid old_tx = txid(blocks.at(old_height - 1).transactions[0]);

  ManualClock clock{1'700'000'000};
  DeterministicRng rng(1);
  SignatureCache cache(rng);
  Mempool pool(MempoolOptions{}, clock, cache, 7);
  const ChainServices services{*manager,
                               pool,
                               store,
                               Network::regtest,
                               TestChainRules::kDefaultCoinbaseMaturity,
                               kDefaultMaxMempoolBytes,
                               FeeRate{kDefaultMinRelayFeePerKb},
                               1'000'000,
                               [](const Transaction&) { return MempoolVerdict{}; }};
  Registry registry;
  ASSERT_TRUE(register_chain_methods(registry, services).ok());
  testing::MethodCaller rpc_(registry);
  auto error_of = [&](const std::string& name, const json& params) {
    const MethodResult result = rpc_.call(name, params);
    EXPECT_TRUE(std::holds_alternative<RpcError>(result)) << name;
    return std::holds_alternative<RpcError>(result) ? std::get<RpcError>(result) : RpcError{};
  };

  const RpcError block = error_of("chain_get_block", {{"block", old_height}, {"transactions", "ids"}});
  EXPECT_EQ(block.code, error_code::pruned);
  EXPECT_NE(block.message.find("from height " + std::to_string(manager->prune_height())), std::string::npos)
      << block.message;
  EXPECT_EQ(error_of("chain_get_raw_block", {{"block", old_height}}).code, error_code::pruned);
  EXPECT_EQ(error_of("tx_get", {{"txid", old_tx.hex()}}).code, error_code::pruned);
  EXPECT_EQ(error_of("tx_get_raw", {{"txid", old_tx.hex()}}).code, error_code::pruned);
  EXPECT_EQ(error_of("tx_get_proof", {{"txid", old_tx.hex()}}).code, error_code::pruned);
  // What needs no body still answers.
  const MethodResult receipt = rpc_.call("tx_get_receipt", {{"txid", old_tx.hex()}});
  ASSERT_TRUE(std::holds_alternative<json>(receipt));
  EXPECT_EQ(std::get<json>(receipt)["height"], old_height);
  const MethodResult header = rpc_.call("chain_get_header", {{"block", old_height}});
  ASSERT_TRUE(std::holds_alternative<json>(header));
  EXPECT_EQ(std::get<json>(header)["height"], old_height);
  const MethodResult info = rpc_.call("chain_get_info", json::object());
  ASSERT_TRUE(std::holds_alternative<json>(info));
  EXPECT_EQ(std::get<json>(info)["prune_height"], manager->prune_height());
}

TEST_F(ChainMethodsTest, EveryMethodWasCalledWithASchemaValidResult) {
  rpc_.ok("chain_get_info");
  rpc_.ok("chain_get_block_hash", {{"height", 1}});
  rpc_.ok("chain_get_header", {{"block", 0}});
  rpc_.ok("chain_get_block", {{"block", 1}, {"transactions", "full"}});
  rpc_.ok("chain_get_raw_block", {{"block", 1}});
  rpc_.ok("tx_get", {{"txid", txid(pay1_).hex()}});
  rpc_.ok("tx_get_raw", {{"txid", txid(pay1_).hex()}});
  rpc_.ok("tx_get_receipt", {{"txid", txid(pay1_).hex()}});
  rpc_.ok("tx_get_proof", {{"txid", txid(pay1_).hex()}});
  const Transaction& coinbase = blocks_.at(2).transactions[0];
  const Transaction tx =
      signed_spend(coinbase, 0, {TxOut{coinbase.outputs[0].value - kFee, key_lock(3)}}, genesis());
  rpc_.ok("tx_send_raw", {{"tx", to_hex(encode(tx))}});
  rpc_.ok("tx_estimate_fee", {{"target_blocks", 1}});
  rpc_.ok("address_get_balance", {{"address", address(0)}});
  rpc_.ok("address_get_utxos", {{"address", address(0)}, {"limit", 2}});
  rpc_.ok("address_get_history", {{"address", address(1)}});
  rpc_.ok("mempool_get_info");
  rpc_.ok("mempool_get_transactions", {{"verbose", true}, {"limit", 1}});
  rpc_.ok("mempool_get_entry", {{"txid", txid(tx).hex()}});
  for (const MethodSpec& spec : registry_.methods()) EXPECT_TRUE(rpc_.answered(spec.name)) << spec.name;
}

// What chain_json.h says kExampleAddress is.
TEST(ChainJsonExamples, ExampleAddressIsTheRegtestKeyHashAddressOfTheRfc8032Key) {
  const PublicKey key =
      PublicKey::from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a").value();
  EXPECT_EQ(std::string(kExampleAddress), encode_address(Network::regtest, key_hash_lock(key)));
}

TEST_F(ChainMethodsTest, MempoolEntriesHaveTheirEntryTimeAndPageInTxidOrder) {
  std::vector<Transaction> sent;
  for (size_t i = 2; i < 5; ++i) {
    const Transaction& coinbase = blocks_.at(i).transactions[0];
    sent.push_back(
        signed_spend(coinbase, 0, {TxOut{coinbase.outputs[0].value - kFee, key_lock(3)}}, genesis()));
    ASSERT_EQ(rpc_.ok("tx_send_raw", {{"tx", to_hex(encode(sent.back()))}})["status"], "accepted");
    clock_.advance_seconds(5);
  }
  const json entry = rpc_.ok("mempool_get_entry", {{"txid", txid(sent[1]).hex()}});
  EXPECT_EQ(entry["time"], 1'700'000'005);
  EXPECT_EQ(entry["size"], encode(sent[1]).size());
  EXPECT_EQ(entry["ancestor_fee"], std::to_string(kFee));
  EXPECT_EQ(rpc_.ok("mempool_get_info")["total_fees"], std::to_string(3 * kFee));

  std::vector<std::string> ids;
  for (const Transaction& tx : sent) ids.push_back(txid(tx).hex());
  std::sort(ids.begin(), ids.end());
  const json first = rpc_.ok("mempool_get_transactions", {{"limit", 2}, {"verbose", true}});
  ASSERT_EQ(first["items"].size(), 2u);
  EXPECT_EQ(first["items"][0]["txid"], ids[0]);
  EXPECT_EQ(first["items"][1]["txid"], ids[1]);
  EXPECT_EQ(first["next_cursor"], ids[1]);
  const json last = rpc_.ok("mempool_get_transactions", {{"limit", 2}, {"cursor", first["next_cursor"]}});
  EXPECT_EQ(last["items"], json({ids[2]}));
  EXPECT_TRUE(last["next_cursor"].is_null());
  // A page that ends exactly at the pool's end has no next page.
  EXPECT_TRUE(rpc_.ok("mempool_get_transactions", {{"limit", 3}})["next_cursor"].is_null());

  // Key 3 receives all three, unconfirmed.
  EXPECT_EQ(rpc_.ok("address_get_balance", {{"address", address(3)}})["unconfirmed_incoming"],
            std::to_string(blocks_.at(2).transactions[0].outputs[0].value +
                           blocks_.at(3).transactions[0].outputs[0].value +
                           blocks_.at(4).transactions[0].outputs[0].value - 3 * kFee));
  // tx_get finds a pool transaction.
  EXPECT_EQ(rpc_.ok("tx_get", {{"txid", ids[0]}})["in_mempool"], true);
}

}  // namespace
}  // namespace cairn::rpc
