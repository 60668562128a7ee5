// The contract_* methods, tx_get's receipt, decoded contract payloads and the
// `contract_events` topic on a regtest chain with real contract transactions (a deploy,
// calls that write storage, emit events and pay out, and an upgrade), called through the
// Registry's handlers: every result satisfies its method's result schema; unknown
// contracts and receipts are not_found, bad contracts, methods, cursors and transactions
// invalid_params; pages resume where they stopped; events of a connected block and, after a
// reorganisation, of the disconnected block reach the subscribers whose filter matches.
#include "rpc/contract_methods.h"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "consensus/block_rules.h"
#include "consensus/contract_rules.h"
#include "contracts/wat.h"
#include "primitives/address.h"
#include "primitives/sighash.h"
#include "rpc/chain_events.h"
#include "rpc/chain_json.h"
#include "rpc/chain_methods.h"
#include "rpc/method_caller.h"
#include "rpc/schema.h"
#include "util/rng.h"

namespace cairn::rpc {
namespace {

using test::miner_lock;
using test::RegtestNode;

// bump: adds 1 to storage "k", emits topic A with the count, returns it. mark: emits topic
// B. fill: writes "a", "b", "c". pay: sends 1,000 units to the caller. fail: traps.
constexpr std::string_view kCounter = R"((module
  (import "cairn" "storage_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "cairn" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "cairn" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "cairn" "transfer" (func $transfer (param i32 i64) (result i32)))
  (import "cairn" "caller" (func $caller (param i32)))
  (import "cairn" "set_return" (func $ret (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (data (i32.const 64) "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
  (data (i32.const 96) "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
  (data (i32.const 128) "abc")
  (func (export "bump")
    (drop (call $read (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8)))
    (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
    (call $write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $emit (i32.const 64) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $ret (i32.const 16) (i32.const 8)))
  (func (export "mark")
    (call $emit (i32.const 96) (i32.const 1) (i32.const 0) (i32.const 1)))
  (func (export "fill")
    (call $write (i32.const 128) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $write (i32.const 129) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $write (i32.const 130) (i32.const 1) (i32.const 16) (i32.const 8)))
  (func (export "pay")
    (call $caller (i32.const 32))
    (drop (call $transfer (i32.const 32) (i64.const 1000))))
  (func (export "fail") unreachable))
)";
// What the upgrade installs: a module with one method.
constexpr std::string_view kSecond = R"((module
  (memory (export "memory") 1)
  (func (export "noop")))
)";

constexpr uint64_t kGasLimit = 2'000'000;
constexpr Amount kGasPrice = 2;
constexpr Amount kDeployValue = 1'000'000;

std::string hex_of(std::string_view text) {
  return to_hex(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
const std::string kA = hex_of(std::string(32, 'A'));
const std::string kB = hex_of(std::string(32, 'B'));

// A WebSocket connection's stand-in: keeps every notification it is sent.
class RecordingSink : public NotificationSink {
 public:
  bool send(std::string text) override {
    const std::lock_guard lock(mutex_);
    received_.push_back(json::parse(text));
    return true;
  }
  // The results of the notifications of subscription `id`.
  std::vector<json> take(const std::string& id) {
    const std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const json& m : received_) {
      if (m["params"]["subscription"] == id) out.push_back(m["params"]["result"]);
    }
    return out;
  }
  void clear() {
    const std::lock_guard lock(mutex_);
    received_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<json> received_;
};

class ContractMethodsTest : public ::testing::Test {
 protected:
  ContractMethodsTest() : rng_(1), cache_(rng_), pool_(pool_options(), clock_, cache_, 7) {}

  MempoolOptions pool_options() const {
    MempoolOptions o;
    o.genesis = node_.params().genesis_hash;
    o.coinbase_maturity = node_.params().coinbase_maturity;
    o.finality = node_.params().finality;
    return o;
  }

  void SetUp() override {
    code_ = contracts::testing::wat(kCounter);
    second_code_ = contracts::testing::wat(kSecond);
    for (int i = 0; i < 20; ++i) mine({});
    chain_services_ = std::make_unique<ChainServices>(
        ChainServices{chain(), pool_, node_.store_, Network::regtest, node_.params().coinbase_maturity,
                      kDefaultMaxMempoolBytes, FeeRate{kDefaultMinRelayFeePerKb}, 1'000'000,
                      [](const Transaction&) { return MempoolVerdict{}; }});
    services_ = std::make_unique<ContractServices>(ContractServices{
        chain(), pool_, node_.store_, Network::regtest, node_.params().limits, [] { return uint64_t{0}; }});
    Registry chain_methods;
    ASSERT_TRUE(register_chain_methods(chain_methods, *chain_services_).ok());
    for (MethodSpec spec : chain_methods.methods()) {
      if (spec.name == "tx_get") spec = with_contract_receipt(std::move(spec), *services_);
      const Status added = registry_.add(std::move(spec));
      ASSERT_TRUE(added.ok()) << added.error().to_string();
    }
    const Status status = register_contract_methods(registry_, *services_);
    ASSERT_TRUE(status.ok()) << status.error().to_string();

    publisher_ = std::make_unique<ContractEventPublisher>(chain(), node_.store_, Network::regtest, hub_);
    chain().add_listener(*publisher_);
    all_ = hub_.subscribe(sink_, kContractEventsTopic, nullptr).value();
    only_b_ = hub_.subscribe(sink_, kContractEventsTopic, json{{"topics", {kB}}}).value();
    other_contract_ =
        hub_.subscribe(sink_, kContractEventsTopic, json{{"contract", std::string(64, '1')}}).value();

    deploy_ = deploy_tx(coinbase_at(1));
    mine({deploy_});
    bump1_ = call_tx(coinbase_at(2), "bump");
    bump2_ = call_tx(coinbase_at(3), "bump");
    mark_ = call_tx(coinbase_at(4), "mark");
    mine({bump1_, bump2_, mark_});
    events_height_ = chain().tip().height();
    fill_ = call_tx(coinbase_at(5), "fill");
    pay_ = call_tx(coinbase_at(6), "pay");
    mine({fill_, pay_});
  }

  ChainManager& chain() { return *node_.manager_; }
  std::string address() const { return encode_address(Network::regtest, contract_account(contract())); }
  std::string miner_address() const { return encode_address(Network::regtest, miner_lock()); }

  Transaction coinbase_at(uint64_t height) {
    return chain().read_block(chain().at_height(height)->hash).value().transactions[0];
  }

  // A contract transaction spending output 0 of `funding`, `kept` of it back to key 0.
  Transaction contract_tx(const Transaction& funding, PayloadKind kind, Bytes body, Amount kept,
                          bool sign = true) {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {TxOut{kept, miner_lock()}};
    tx.payload = Payload{kind, std::move(body)};
    if (sign) test::sign_with_key0(tx, funding, node_.params().genesis_hash);
    return tx;
  }
  Transaction deploy_tx(const Transaction& funding, Hash256 salt = {}) {
    DeployBody body;
    body.gas = GasTerms{kGasLimit, kGasPrice};
    body.value = kDeployValue;
    body.salt = salt;
    body.admin = account_of(miner_lock());
    body.code = code_;
    const Amount spent = kDeployValue + kGasLimit * kGasPrice + 1'000;
    return contract_tx(funding, kDeployPayload, encode_deploy_body(body), funding.outputs[0].value - spent);
  }
  Transaction call_tx(const Transaction& funding, const std::string& method, bool sign = true,
                      uint64_t gas = kGasLimit) {
    CallBody body;
    body.gas = GasTerms{gas, kGasPrice};
    body.contract = contract();
    body.method = method;
    const Amount spent = kGasLimit * kGasPrice + 1'000;
    return contract_tx(funding, kCallPayload, encode_call_body(body), funding.outputs[0].value - spent, sign);
  }
  Transaction upgrade_tx(const Transaction& funding) {
    UpgradeBody body;
    body.gas = GasTerms{kGasLimit, kGasPrice};
    body.contract = contract();
    body.code = second_code_;
    const Amount spent = kGasLimit * kGasPrice + 1'000;
    return contract_tx(funding, kUpgradePayload, encode_upgrade_body(body), funding.outputs[0].value - spent);
  }
  ContractId contract() const {
    return contract_id(account_of(miner_lock()), Hash256{}, contract_code_hash(code_));
  }

  Block mine_on(RegtestNode& node, std::vector<Transaction> txs) {
    Block block = node.next_block(txs);
    auto check = node.manager_->state_root_on_tip(block);
    EXPECT_TRUE(check.ok());
    const auto* ok = std::get_if<ChainManager::TemplateCheck>(&*check);
    EXPECT_NE(ok, nullptr);
    if (ok != nullptr && ok->coinbase_allowance > block.transactions[0].outputs[0].value) {
      block =
          node.next_block(txs, ok->coinbase_allowance - block_subsidy(node.params(), block.header.height));
    }
    EXPECT_EQ(node.submit(block), std::nullopt);
    return block;
  }
  Block mine(std::vector<Transaction> txs) { return mine_on(node_, std::move(txs)); }

  // Whether the param schema of `name`.`param` accepts `value`.
  bool param_accepts(const std::string& name, const std::string& param, const json& value) {
    for (const ParamSpec& p : registry_.find(name)->params) {
      if (p.name == param) return !schema_violation(p.schema, value, "params." + param);
    }
    ADD_FAILURE() << name << " has no parameter " << param;
    return false;
  }

  RegtestNode node_;
  DeterministicRng rng_;
  SignatureCache cache_;
  ManualClock clock_{1'700'000'000};
  Mempool pool_;
  Bytes code_, second_code_;
  std::unique_ptr<ChainServices> chain_services_;
  std::unique_ptr<ContractServices> services_;
  Registry registry_;
  SubscriptionHub hub_;
  std::unique_ptr<ContractEventPublisher> publisher_;
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::string all_, only_b_, other_contract_;
  Transaction deploy_, bump1_, bump2_, mark_, fill_, pay_;
  uint64_t events_height_ = 0;
  testing::MethodCaller rpc_{registry_};
};

TEST_F(ContractMethodsTest, RegistersEveryMethodOfTheSpecWithExamples) {
  for (const std::string name :
       {"contract_get", "contract_get_code", "contract_get_storage", "contract_list_storage",
        "contract_query", "contract_estimate", "contract_get_receipt", "contract_get_events"}) {
    const MethodSpec* spec = registry_.find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_FALSE(spec->examples.empty()) << name;
    EXPECT_EQ(spec->group, MethodGroup::public_group) << name;
  }
}

TEST_F(ContractMethodsTest, GetShowsTheRecordByAddressOrId) {
  const json by_address = rpc_.ok("contract_get", {{"contract", address()}});
  EXPECT_EQ(by_address, rpc_.ok("contract_get", {{"contract", contract().hex()}}));
  EXPECT_EQ(by_address["id"], contract().hex());
  EXPECT_EQ(by_address["address"], address());
  EXPECT_EQ(by_address["code_hash"], contract_code_hash(code_).hex());
  EXPECT_EQ(by_address["admin"], miner_address());
  // "k", "a", "b", "c": 4 entries of 1-byte keys and 8-byte values.
  EXPECT_EQ(by_address["storage_bytes"], 4 * (1 + 8 + 64));
  EXPECT_EQ(by_address["deposit"], std::to_string(4 * 73 * 100));
  EXPECT_EQ(by_address["balance"], std::to_string(kDeployValue - 1'000));
  EXPECT_EQ(by_address["free_balance"], std::to_string(kDeployValue - 1'000 - 4 * 73 * 100));

  EXPECT_EQ(rpc_.fails("contract_get", {{"contract", std::string(64, '1')}}).code, error_code::not_found);
  EXPECT_EQ(rpc_.fails("contract_get", {{"contract", miner_address()}}).code, error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_get",
                       {{"contract", encode_address(Network::mainnet, contract_account(contract()))}})
                .code,
            error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_get", {{"contract", "zz"}}).code, error_code::invalid_params);
}

TEST_F(ContractMethodsTest, CodeAndStorageAreReadFromTheTipState) {
  const json code = rpc_.ok("contract_get_code", {{"contract", address()}});
  EXPECT_EQ(code["code"], to_hex(code_));
  EXPECT_EQ(code["code_hash"], contract_code_hash(code_).hex());
  EXPECT_EQ(rpc_.ok("contract_get_storage", {{"contract", address()}, {"key", "6b"}})["value"],
            "0200000000000000");
  EXPECT_TRUE(rpc_.ok("contract_get_storage", {{"contract", address()}, {"key", "6c"}})["value"].is_null());
  EXPECT_EQ(rpc_.fails("contract_get_storage", {{"contract", std::string(64, '2')}, {"key", "6b"}}).code,
            error_code::not_found);
  EXPECT_EQ(rpc_.fails("contract_get_code", {{"contract", std::string(64, '2')}}).code,
            error_code::not_found);
  // Keys are 1..256 bytes.
  EXPECT_FALSE(param_accepts("contract_get_storage", "key", ""));
  EXPECT_TRUE(param_accepts("contract_get_storage", "key", std::string(2 * kMaxStorageKeyBytes, 'a')));
  EXPECT_FALSE(param_accepts("contract_get_storage", "key", std::string(2 * kMaxStorageKeyBytes + 2, 'a')));
}

TEST_F(ContractMethodsTest, ListStoragePagesInKeyOrderWithPrefixAndAfter) {
  const json first = rpc_.ok("contract_list_storage", {{"contract", address()}, {"limit", 2}});
  ASSERT_EQ(first["entries"].size(), 2u);
  EXPECT_EQ(first["entries"][0]["key"], "61");
  EXPECT_EQ(first["entries"][1]["key"], "62");
  EXPECT_EQ(first["next"], "62");
  const json second =
      rpc_.ok("contract_list_storage", {{"contract", address()}, {"limit", 2}, {"after", "62"}});
  ASSERT_EQ(second["entries"].size(), 2u);
  EXPECT_EQ(second["entries"][0]["key"], "63");
  EXPECT_EQ(second["entries"][1]["key"], "6b");
  EXPECT_EQ(second["entries"][1]["value"], "0200000000000000");
  EXPECT_TRUE(second["next"].is_null());
  const json all = rpc_.ok("contract_list_storage", {{"contract", address()}});
  EXPECT_EQ(all["entries"].size(), 4u);
  EXPECT_TRUE(all["next"].is_null());
  const json prefixed = rpc_.ok("contract_list_storage", {{"contract", address()}, {"prefix", "6b"}});
  ASSERT_EQ(prefixed["entries"].size(), 1u);
  EXPECT_EQ(prefixed["entries"][0]["key"], "6b");
  // An `after` below the prefix starts at the prefix; one past every key gives nothing.
  EXPECT_EQ(rpc_.ok("contract_list_storage",
                    {{"contract", address()}, {"prefix", "6b"}, {"after", "61"}})["entries"]
                .size(),
            1u);
  EXPECT_TRUE(
      rpc_.ok("contract_list_storage", {{"contract", address()}, {"after", "ff"}})["entries"].empty());
  EXPECT_EQ(rpc_.fails("contract_list_storage", {{"contract", std::string(64, '3')}}).code,
            error_code::not_found);
  EXPECT_TRUE(param_accepts("contract_list_storage", "limit", kMaxContractPageLimit));
  EXPECT_FALSE(param_accepts("contract_list_storage", "limit", kMaxContractPageLimit + 1));
  EXPECT_FALSE(param_accepts("contract_list_storage", "limit", 0));
}

TEST_F(ContractMethodsTest, QueryRunsReadOnlyOnTheTip) {
  const json bumped = rpc_.ok("contract_query", {{"contract", address()}, {"method", "bump"}});
  EXPECT_EQ(bumped["status"], "success");
  EXPECT_EQ(bumped["return_data"], "0300000000000000");
  ASSERT_EQ(bumped["events"].size(), 1u);
  EXPECT_EQ(bumped["events"][0]["topics"][0], kA);
  EXPECT_EQ(bumped["events"][0]["address"], address());
  // Nothing was kept.
  EXPECT_EQ(rpc_.ok("contract_get_storage", {{"contract", address()}, {"key", "6b"}})["value"],
            "0200000000000000");
  EXPECT_EQ(rpc_.ok("contract_query", {{"contract", contract().hex()}, {"method", "nope"}})["status"],
            "no_method");
  EXPECT_EQ(rpc_.ok("contract_query", {{"contract", address()}, {"method", "fail"}})["status"], "trapped");
  EXPECT_EQ(rpc_.ok("contract_query", {{"contract", address()}, {"method", "bump"}, {"gas", 10}})["status"],
            "out_of_gas");
  // The caller is any address.
  EXPECT_EQ(rpc_.ok("contract_query",
                    {{"contract", address()}, {"method", "pay"}, {"caller", miner_address()}})["status"],
            "success");
  EXPECT_EQ(rpc_.fails("contract_query", {{"contract", address()}, {"method", "Bad"}}).code,
            error_code::invalid_params);
  EXPECT_EQ(
      rpc_.fails("contract_query", {{"contract", address()}, {"method", "bump"}, {"caller", "rcairn1xyz"}})
          .code,
      error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_query", {{"contract", std::string(64, '4')}, {"method", "bump"}}).code,
            error_code::not_found);
  EXPECT_TRUE(param_accepts("contract_query", "gas", node_.params().limits.max_tx_gas));
  EXPECT_FALSE(param_accepts("contract_query", "gas", node_.params().limits.max_tx_gas + 1));
}

TEST_F(ContractMethodsTest, EstimateRunsATransactionAsTheNextBlockWould) {
  // Unsigned: witnesses may be absent. The caller is input 0's coin's lock.
  const Transaction bump = call_tx(coinbase_at(7), "bump", /*sign=*/false);
  const json run = rpc_.ok("contract_estimate", {{"transaction", to_hex(encode(bump))}});
  EXPECT_EQ(run["status"], "success");
  EXPECT_EQ(run["return_data"], "0300000000000000");
  EXPECT_EQ(run["contract"], contract().hex());
  EXPECT_EQ(run["address"], address());
  EXPECT_EQ(run["intrinsic_gas"], contract_intrinsic_gas(bump));
  EXPECT_GT(run["gas_used"].get<uint64_t>(), contract_intrinsic_gas(bump));

  // A deploy's contract is its new id, which depends on the caller.
  const Transaction deploy = deploy_tx(coinbase_at(7), Hash256::from_hex(std::string(64, '5')).value());
  const json deployed = rpc_.ok("contract_estimate", {{"transaction", to_hex(encode(deploy))}});
  EXPECT_EQ(deployed["status"], "success");
  EXPECT_EQ(deployed["contract"],
            contract_id(account_of(miner_lock()), Hash256::from_hex(std::string(64, '5')).value(),
                        contract_code_hash(code_))
                .hex());

  // Input 0 spends an unknown coin: a caller must be given.
  Transaction unknown = bump;
  unknown.inputs[0].prevout.txid = Hash256::from_hex(std::string(64, '6')).value();
  EXPECT_EQ(rpc_.fails("contract_estimate", {{"transaction", to_hex(encode(unknown))}}).code,
            error_code::invalid_params);
  EXPECT_EQ(rpc_.ok("contract_estimate",
                    {{"transaction", to_hex(encode(unknown))}, {"caller", miner_address()}})["status"],
            "success");
  // Refused by the contract rules, not a contract transaction, not a transaction.
  const Transaction starved = call_tx(coinbase_at(7), "bump", false, /*gas=*/100);
  EXPECT_EQ(rpc_.fails("contract_estimate", {{"transaction", to_hex(encode(starved))}}).code,
            error_code::invalid_params);
  Transaction plain = bump;
  plain.payload = Payload{};
  EXPECT_EQ(rpc_.fails("contract_estimate", {{"transaction", to_hex(encode(plain))}}).code,
            error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_estimate", {{"transaction", "00"}}).code, error_code::invalid_params);
}

TEST_F(ContractMethodsTest, ReceiptsShowOutcomeEventsAndCreatedOutputs) {
  const json deploy = rpc_.ok("contract_get_receipt", {{"txid", txid(deploy_).hex()}});
  EXPECT_EQ(deploy["status"], "success");
  EXPECT_EQ(deploy["contract"], contract().hex());
  EXPECT_EQ(deploy["address"], address());
  EXPECT_EQ(deploy["height"], 21);
  EXPECT_EQ(deploy["position"], 1);
  EXPECT_EQ(deploy["block_hash"], chain().at_height(21)->hash.hex());
  ASSERT_EQ(deploy["created_outputs"].size(), 1u);
  const uint64_t gas_used = deploy["gas_used"].get<uint64_t>();
  const json& refund = deploy["created_outputs"][0];
  EXPECT_EQ(refund["txid"], txid(deploy_).hex());
  EXPECT_EQ(refund["index"], 1);
  EXPECT_EQ(refund["value"], std::to_string((kGasLimit - gas_used) * kGasPrice));
  EXPECT_EQ(refund["address"], miner_address());
  EXPECT_EQ(refund["spent"], false);

  const json pay = rpc_.ok("contract_get_receipt", {{"txid", txid(pay_).hex()}});
  ASSERT_EQ(pay["created_outputs"].size(), 2u);
  EXPECT_EQ(pay["created_outputs"][1]["index"], 2);
  EXPECT_EQ(pay["created_outputs"][1]["value"], "1000");
  EXPECT_EQ(pay["created_outputs"][1]["address"], miner_address());

  const json bump = rpc_.ok("contract_get_receipt", {{"txid", txid(bump2_).hex()}});
  EXPECT_EQ(bump["return_data"], "0200000000000000");
  ASSERT_EQ(bump["events"].size(), 1u);
  EXPECT_EQ(bump["events"][0]["data"], "0200000000000000");

  // Spent created outputs: the refund is still known, a transfer is not.
  const std::vector<TxOut> spent = {
      TxOut{(kGasLimit - pay["gas_used"].get<uint64_t>()) * kGasPrice, miner_lock()},
      TxOut{1'000, miner_lock()}};
  Transaction spend;
  spend.inputs = {TxIn{OutPoint{txid(pay_), 1}, {}}, TxIn{OutPoint{txid(pay_), 2}, {}}};
  spend.outputs = {TxOut{spent[0].value + spent[1].value - 1'000, miner_lock()}};
  const auto digests = compute_sighash_digests(spend, spent).value();
  const auto all = static_cast<uint8_t>(SighashType::all);
  for (uint32_t i = 0; i < 2; ++i) {
    const Hash256 msg = signature_hash(spend, digests, i, all, node_.params().genesis_hash).value();
    spend.inputs[i].witness =
        KeySpend{test::test_key(0).public_key(), TypedSignature{test::test_key(0).sign(msg), all}};
  }
  mine({spend});
  const json after = rpc_.ok("contract_get_receipt", {{"txid", txid(pay_).hex()}});
  EXPECT_EQ(after["created_outputs"][0]["spent"], true);
  EXPECT_EQ(after["created_outputs"][0]["value"], pay["created_outputs"][0]["value"]);
  EXPECT_EQ(after["created_outputs"][0]["address"], miner_address());
  EXPECT_EQ(after["created_outputs"][1]["spent"], true);
  EXPECT_TRUE(after["created_outputs"][1]["value"].is_null());

  EXPECT_EQ(rpc_.fails("contract_get_receipt", {{"txid", std::string(64, '7')}}).code, error_code::not_found);
  EXPECT_EQ(rpc_.fails("contract_get_receipt", {{"txid", txid(coinbase_at(3)).hex()}}).code,
            error_code::not_found);
}

TEST_F(ContractMethodsTest, EventsPageInChainOrderFilteredByTopicsAndHeights) {
  const json all = rpc_.ok("contract_get_events", {{"contract", address()}});
  ASSERT_EQ(all["events"].size(), 3u);
  EXPECT_TRUE(all["next"].is_null());
  EXPECT_EQ(all["events"][0]["txid"], txid(bump1_).hex());
  EXPECT_EQ(all["events"][0]["height"], events_height_);
  EXPECT_EQ(all["events"][0]["position"], 1);
  EXPECT_EQ(all["events"][0]["index"], 0);
  EXPECT_EQ(all["events"][1]["txid"], txid(bump2_).hex());
  EXPECT_EQ(all["events"][2]["txid"], txid(mark_).hex());
  EXPECT_EQ(all["events"][2]["topics"][0], kB);

  const json a = rpc_.ok("contract_get_events", {{"contract", address()}, {"topics", {kA}}});
  ASSERT_EQ(a["events"].size(), 2u);
  EXPECT_EQ(rpc_.ok("contract_get_events", {{"contract", address()}, {"topics", {nullptr}}})["events"].size(),
            3u);
  EXPECT_TRUE(
      rpc_.ok("contract_get_events", {{"contract", address()}, {"topics", {nullptr, kA}}})["events"].empty());

  // One at a time: each page's next resumes after it.
  json page = rpc_.ok("contract_get_events", {{"contract", address()}, {"limit", 1}});
  std::vector<std::string> seen;
  for (int i = 0; i < 5 && !page.is_null(); ++i) {
    for (const json& e : page["events"]) seen.push_back(e["txid"]);
    if (page["next"].is_null()) break;
    page = rpc_.ok("contract_get_events", {{"contract", address()}, {"limit", 1}, {"after", page["next"]}});
  }
  EXPECT_EQ(seen, (std::vector<std::string>{txid(bump1_).hex(), txid(bump2_).hex(), txid(mark_).hex()}));

  EXPECT_TRUE(
      rpc_.ok("contract_get_events", {{"contract", address()}, {"from_height", events_height_ + 1}})["events"]
          .empty());
  EXPECT_TRUE(
      rpc_.ok("contract_get_events", {{"contract", address()}, {"to_height", events_height_ - 1}})["events"]
          .empty());
  EXPECT_EQ(rpc_.ok("contract_get_events", {{"contract", address()},
                                            {"from_height", events_height_},
                                            {"to_height", events_height_}})["events"]
                .size(),
            3u);
  // Above the tip is "nothing yet" (a follower polls there), above an explicit to_height an error.
  const json beyond =
      rpc_.ok("contract_get_events", {{"contract", address()}, {"from_height", chain().tip().height() + 1}});
  EXPECT_TRUE(beyond["events"].empty());
  EXPECT_TRUE(beyond["next"].is_null());
  EXPECT_EQ(
      rpc_.fails("contract_get_events", {{"contract", address()}, {"from_height", 5}, {"to_height", 4}}).code,
      error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_get_events", {{"contract", address()}, {"after", "0011"}}).code,
            error_code::invalid_params);
  EXPECT_EQ(rpc_.fails("contract_get_events", {{"contract", std::string(64, '8')}}).code,
            error_code::not_found);
  EXPECT_TRUE(param_accepts("contract_get_events", "topics", json{nullptr, kA, nullptr, kB}));
  EXPECT_FALSE(param_accepts("contract_get_events", "topics", json{nullptr, kA, nullptr, kB, nullptr}));
  EXPECT_FALSE(param_accepts("contract_get_events", "topics", json{"00"}));
}

TEST_F(ContractMethodsTest, TransactionsShowDecodedPayloadsAndTheirReceipt) {
  const json deploy = rpc_.ok("tx_get", {{"txid", txid(deploy_).hex()}});
  ASSERT_TRUE(deploy["payload"].contains("contract")) << deploy.dump();
  ASSERT_TRUE(deploy.contains("receipt")) << deploy.dump();
  const json& d = deploy["payload"]["contract"];
  EXPECT_EQ(deploy["payload"]["kind"], "deploy");
  EXPECT_EQ(d["code_hash"], contract_code_hash(code_).hex());
  EXPECT_EQ(d["code_size"], code_.size());
  EXPECT_EQ(d["admin"], miner_address());
  EXPECT_EQ(d["value"], std::to_string(kDeployValue));
  EXPECT_EQ(d["gas_limit"], kGasLimit);
  EXPECT_EQ(d["gas_price"], std::to_string(kGasPrice));
  EXPECT_EQ(d["salt"], std::string(64, '0'));
  EXPECT_EQ(d["args"], "");
  EXPECT_EQ(deploy["receipt"]["contract"], contract().hex());
  EXPECT_EQ(deploy["receipt"]["created_outputs"].size(), 1u);

  const json call = rpc_.ok("tx_get", {{"txid", txid(bump1_).hex()}});
  EXPECT_EQ(call["payload"]["contract"]["method"], "bump");
  EXPECT_EQ(call["payload"]["contract"]["contract"], contract().hex());
  EXPECT_EQ(call["payload"]["contract"]["address"], address());
  EXPECT_EQ(call["receipt"]["return_data"], "0100000000000000");

  const Transaction upgrade = upgrade_tx(coinbase_at(8));
  const Block block = mine({upgrade});
  const json up = rpc_.ok("tx_get", {{"txid", txid(upgrade).hex()}});
  EXPECT_EQ(up["payload"]["contract"]["code_hash"], contract_code_hash(second_code_).hex());
  EXPECT_EQ(up["payload"]["contract"]["code_size"], second_code_.size());
  EXPECT_EQ(up["receipt"]["status"], "success");
  EXPECT_EQ(rpc_.ok("contract_get_code", {{"contract", address()}})["code"], to_hex(second_code_));
  // A block's full transactions carry the decoded payload; a plain transaction has none.
  const json full = rpc_.ok("chain_get_block", {{"block", block.header.height}, {"transactions", "full"}});
  EXPECT_FALSE(full["transactions"][0]["payload"].contains("contract"));
  EXPECT_EQ(full["transactions"][1]["payload"]["contract"]["code_hash"],
            contract_code_hash(second_code_).hex());
  EXPECT_FALSE(rpc_.ok("tx_get", {{"txid", txid(coinbase_at(3)).hex()}}).contains("receipt"));
}

TEST_F(ContractMethodsTest, EveryContractMethodWasCalledWithASchemaValidResult) {
  rpc_.ok("contract_get", {{"contract", address()}});
  rpc_.ok("contract_get_code", {{"contract", address()}});
  rpc_.ok("contract_get_storage", {{"contract", address()}, {"key", "6b"}});
  rpc_.ok("contract_list_storage", {{"contract", address()}});
  rpc_.ok("contract_query", {{"contract", address()}, {"method", "bump"}});
  rpc_.ok("contract_estimate", {{"transaction", to_hex(encode(call_tx(coinbase_at(7), "bump", false)))}});
  rpc_.ok("contract_get_receipt", {{"txid", txid(pay_).hex()}});
  rpc_.ok("contract_get_events", {{"contract", address()}});
  for (const MethodSpec& spec : registry_.methods()) {
    if (spec.name.starts_with("contract_")) {
      EXPECT_TRUE(rpc_.answered(spec.name)) << spec.name;
    }
  }
}

TEST_F(ContractMethodsTest, EventsTopicNotifiesConnectedThenDisconnectedEvents) {
  // SetUp's blocks: three events, all on `all_`, B's on `only_b_`, none for another contract.
  const std::vector<json> connected = sink_->take(all_);
  ASSERT_EQ(connected.size(), 3u);
  EXPECT_EQ(connected[0]["event"], "connected");
  EXPECT_EQ(connected[0]["txid"], txid(bump1_).hex());
  EXPECT_EQ(connected[0]["height"], events_height_);
  EXPECT_EQ(connected[0]["block_hash"], chain().at_height(events_height_)->hash.hex());
  EXPECT_EQ(connected[0]["position"], 1);
  EXPECT_EQ(connected[0]["index"], 0);
  EXPECT_EQ(connected[0]["contract"], contract().hex());
  EXPECT_EQ(connected[0]["address"], address());
  EXPECT_EQ(connected[0]["topics"], json::array({kA}));
  EXPECT_EQ(connected[0]["data"], "0100000000000000");
  EXPECT_EQ(connected[2]["txid"], txid(mark_).hex());
  const std::vector<json> b = sink_->take(only_b_);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["txid"], txid(mark_).hex());
  EXPECT_TRUE(sink_->take(other_contract_).empty());
  sink_->clear();

  // A longer branch from below the events' block disconnects it.
  RegtestNode rival;
  for (uint64_t h = 1; h < events_height_; ++h)
    ASSERT_EQ(rival.submit(chain().read_block(chain().at_height(h)->hash).value()), std::nullopt);
  rival.coinbase_extra_ = {1};
  std::vector<Block> branch;
  for (int i = 0; i < 4; ++i) branch.push_back(mine_on(rival, {}));
  for (const Block& block : branch) node_.submit(block);
  ASSERT_EQ(chain().tip().hash, block_hash(branch.back().header));
  const std::vector<json> gone = sink_->take(all_);
  ASSERT_EQ(gone.size(), 3u);
  EXPECT_EQ(gone[0]["event"], "disconnected");
  EXPECT_EQ(gone[0]["txid"], txid(mark_).hex());  // last first
  EXPECT_EQ(gone[2]["txid"], txid(bump1_).hex());
  EXPECT_EQ(gone[2]["height"], events_height_);
  EXPECT_EQ(sink_->take(only_b_).size(), 1u);
  EXPECT_TRUE(sink_->take(other_contract_).empty());
  EXPECT_TRUE(rpc_.ok("contract_get_events", {{"contract", address()}})["events"].empty());
}

TEST_F(ContractMethodsTest, APublisherMadeLaterKnowsRecentEventsForDisconnection) {
  SubscriptionHub hub;
  ContractEventPublisher late(chain(), node_.store_, Network::regtest, hub);
  const auto sink = std::make_shared<RecordingSink>();
  const std::string id = hub.subscribe(sink, kContractEventsTopic, nullptr).value();
  late.block_disconnected(chain().read_block(chain().at_height(events_height_)->hash).value(),
                          events_height_);
  EXPECT_EQ(sink->take(id).size(), 3u);
}

TEST(ContractEventsFilter, ContractsMustBeOfThisNetworkAndTopicsMatchByPosition) {
  const ContractId id = Hash256::from_hex(std::string(64, 'a')).value();
  const std::string address = encode_address(Network::regtest, contract_account(id));
  EXPECT_FALSE(contract_events_filter_error(json{{"contract", address}}, Network::regtest));
  EXPECT_FALSE(contract_events_filter_error(json{{"contract", id.hex()}}, Network::regtest));
  EXPECT_TRUE(contract_events_filter_error(json{{"contract", address}}, Network::mainnet));
  EXPECT_TRUE(contract_events_filter_error(
      json{{"contract", encode_address(Network::regtest, account_of(miner_lock()))}}, Network::regtest));
  EXPECT_FALSE(contract_events_filter_error(json{{"topics", {nullptr}}}, Network::regtest));

  const Event event{id, {Hash256::from_hex(kA).value(), Hash256::from_hex(kB).value()}, {}};
  EXPECT_TRUE(contract_event_matches(nullptr, event, Network::regtest));
  EXPECT_TRUE(
      contract_event_matches(json{{"contract", address}, {"topics", {kA, kB}}}, event, Network::regtest));
  EXPECT_TRUE(contract_event_matches(json{{"topics", {nullptr, kB}}}, event, Network::regtest));
  EXPECT_FALSE(contract_event_matches(json{{"topics", {kB}}}, event, Network::regtest));
  EXPECT_FALSE(contract_event_matches(json{{"topics", {kA, kB, nullptr}}}, event, Network::regtest));
  EXPECT_FALSE(contract_event_matches(json{{"contract", std::string(64, 'b')}}, event, Network::regtest));
  // The filter schema: at most four topics, 32-byte hex or null.
  const json schema = contract_events_filter_schema();
  EXPECT_FALSE(schema_violation(schema, json{{"topics", {nullptr, nullptr, nullptr, nullptr}}}, "filter"));
  EXPECT_TRUE(
      schema_violation(schema, json{{"topics", {nullptr, nullptr, nullptr, nullptr, nullptr}}}, "filter"));
  EXPECT_TRUE(schema_violation(schema, json{{"other", 1}}, "filter"));
}

}  // namespace
}  // namespace cairn::rpc
