// The contract methods and the `contract_events` topic as cairnd serves them: a regtest
// Node behind RpcService on 127.0.0.1, a contract deployed and called through tx_send_raw
// and miner_generate, the contract_* methods and tx_get's receipt over HTTP (so on the chain
// thread), and the events of the mined call on a WebSocket subscription whose filter names
// the contract; a filter naming another network's address is refused. Every contract_*
// method is called here, its result checked against its schema.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chain/regtest_fixture.h"
#include "contracts/wat.h"
#include "node/running_node.h"
#include "primitives/address.h"
#include "rpc/contract_methods.h"
#include "rpc/cookie.h"
#include "rpc/jsonrpc.h"
#include "rpc/rpc_test_client.h"
#include "rpc/schema.h"
#include "rpc/subscriptions.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using rpc::json;
using rpc::testing::basic_auth;
using rpc::testing::HttpClient;
using rpc::testing::WsClient;
using rpc::testing::WsOptions;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;
constexpr uint64_t kGasLimit = 1'000'000;
constexpr Amount kGasPrice = 1;

// bump: adds 1 to storage "k", emits it under one topic (32 'A's) and returns it.
constexpr std::string_view kCounter = R"((module
  (import "cairn" "storage_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "cairn" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "cairn" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "cairn" "set_return" (func $ret (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (data (i32.const 64) "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
  (func (export "bump")
    (drop (call $read (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8)))
    (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
    (call $write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $emit (i32.const 64) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $ret (i32.const 16) (i32.const 8))))
)";

std::string request(const std::string& method, const json& params = json::object(), int id = 1) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}, {"id", id}}.dump();
}

class ContractRpcTest : public ::testing::Test {
 protected:
  static test::RunningNodeOptions rpc_options() {
    test::RunningNodeOptions options;
    options.rpc = true;
    return options;
  }

  void SetUp() override {
    auto started = test::RunningNode::start(dir_.path(), rpc_options());
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    node_ = std::move(*started);
    port_ = node_->rpc().endpoints().at(0).port();
    auto cookie = rpc::read_cookie(dir_.path() / "regtest" / rpc::kCookieFileName);
    ASSERT_TRUE(cookie.ok()) << cookie.error().to_string();
    admin_auth_ = basic_auth(cookie->user, cookie->password);
    http_ = std::make_unique<HttpClient>(port_);
  }

  json call(const std::string& method, const json& params = json::object()) {
    auto res = http_->post(request(method, params), admin_auth_);
    EXPECT_TRUE(res) << method << ": no HTTP response";
    return res ? json::parse(res->body(), nullptr, false) : json();
  }
  // The result of a call that must succeed, checked against the method's result schema.
  json ok(const std::string& method, const json& params = json::object()) {
    const json response = call(method, params);
    EXPECT_TRUE(response.is_object() && response.contains("result"))
        << method << " " << params.dump() << " -> " << response.dump();
    if (!response.is_object() || !response.contains("result")) return json();
    const auto violation = rpc::schema_violation(node_->rpc().registry().find(method)->result_schema,
                                                 response["result"], "result");
    EXPECT_FALSE(violation) << method << ": " << violation.value_or("");
    called_.insert(method);
    return response["result"];
  }

  Transaction coinbase_at(uint64_t height) {
    const json raw = ok("chain_get_raw_block", {{"block", height}});
    auto block = decode_block(from_hex(raw.get<std::string>()).value());
    EXPECT_TRUE(block.ok());
    return block ? block->transactions.at(0) : Transaction{};
  }

  // A signed contract transaction spending output 0 of `funding` (a coin of test key 0).
  Transaction contract_tx(const Transaction& funding, PayloadKind kind, Bytes body, Amount value = 0) {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {
        TxOut{funding.outputs[0].value - value - kGasLimit * kGasPrice - 10'000, test::miner_lock()}};
    tx.payload = Payload{kind, std::move(body)};
    test::sign_with_key0(tx, funding, node_->node().params().genesis_hash);
    return tx;
  }

  void mine(uint64_t count) {
    const json mined =
        ok("miner_generate",
           {{"count", count}, {"address", encode_address(Network::regtest, test::miner_lock())}});
    EXPECT_EQ(mined.size(), count);
  }

  TempDir dir_;
  std::unique_ptr<test::RunningNode> node_;
  uint16_t port_ = 0;
  std::string admin_auth_;
  std::unique_ptr<HttpClient> http_;
  std::set<std::string> called_;  // methods that answered with a schema-valid result
};

TEST_F(ContractRpcTest, MethodsAndTheEventsTopicServeAContractMinedThroughTheNode) {
  const Bytes code = contracts::testing::wat(kCounter);
  const ContractId id = contract_id(account_of(test::miner_lock()), Hash256{}, contract_code_hash(code));
  const std::string address = encode_address(Network::regtest, contract_account(id));
  mine(node_->node().params().coinbase_maturity + 3);

  WsClient ws(port_);
  ASSERT_TRUE(ws.connect());
  // Another network's contract address is refused; this one's is taken.
  const json refused = json::parse(
      ws.call(request("node_subscribe",
                      {{"topic", rpc::kContractEventsTopic},
                       {"filter", {{"contract", encode_address(Network::mainnet, contract_account(id))}}}}))
          .value_or("{}"));
  EXPECT_EQ(refused["error"]["code"], rpc::error_code::invalid_params) << refused.dump();
  const json subscribed =
      json::parse(ws.call(request("node_subscribe", {{"topic", rpc::kContractEventsTopic},
                                                     {"filter", {{"contract", address}}}}))
                      .value_or("{}"));
  ASSERT_TRUE(subscribed.contains("result")) << subscribed.dump();
  const std::string subscription = subscribed["result"];

  DeployBody deploy_body;
  deploy_body.gas = GasTerms{kGasLimit, kGasPrice};
  deploy_body.value = 100'000;
  deploy_body.code = code;
  const Transaction deploy =
      contract_tx(coinbase_at(1), kDeployPayload, encode_deploy_body(deploy_body), 100'000);
  EXPECT_EQ(ok("tx_send_raw", {{"tx", to_hex(encode(deploy))}}).value("status", ""), "accepted");
  // Pending: the decoded payload, no receipt yet.
  const json pending = ok("tx_get", {{"txid", txid(deploy).hex()}});
  EXPECT_EQ(pending["payload"]["contract"]["code_hash"], contract_code_hash(code).hex());
  EXPECT_FALSE(pending.contains("receipt"));
  mine(1);
  EXPECT_EQ(ok("tx_get", {{"txid", txid(deploy).hex()}})["receipt"]["contract"], id.hex());
  EXPECT_EQ(ok("contract_get", {{"contract", address}})["balance"], "100000");

  CallBody call_body;
  call_body.gas = GasTerms{kGasLimit, kGasPrice};
  call_body.contract = id;
  call_body.method = "bump";
  const Transaction bump = contract_tx(coinbase_at(2), kCallPayload, encode_call_body(call_body));
  const json estimate = ok("contract_estimate", {{"transaction", to_hex(encode(bump))}});
  EXPECT_EQ(estimate["status"], "success");
  EXPECT_EQ(estimate["return_data"], "0100000000000000");
  EXPECT_EQ(ok("tx_send_raw", {{"tx", to_hex(encode(bump))}}).value("status", ""), "accepted");
  mine(1);

  const auto text = ws.receive(std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
  ASSERT_TRUE(text) << "no contract_events notice";
  const json notice = json::parse(*text);
  EXPECT_EQ(notice["method"], rpc::kNotificationMethod);
  EXPECT_EQ(notice["params"]["subscription"], subscription);
  EXPECT_EQ(notice["params"]["topic"], rpc::kContractEventsTopic);
  const json& event = notice["params"]["result"];
  EXPECT_EQ(event["event"], "connected");
  EXPECT_EQ(event["txid"], txid(bump).hex());
  EXPECT_EQ(event["address"], address);
  EXPECT_EQ(event["data"], "0100000000000000");

  EXPECT_EQ(ok("contract_query", {{"contract", address}, {"method", "bump"}})["return_data"],
            "0200000000000000");
  EXPECT_EQ(ok("contract_get_storage", {{"contract", address}, {"key", "6b"}})["value"], "0100000000000000");
  EXPECT_EQ(ok("contract_list_storage", {{"contract", address}})["entries"].size(), 1u);
  EXPECT_EQ(ok("contract_get_code", {{"contract", id.hex()}})["code"], to_hex(code));
  EXPECT_EQ(ok("contract_get_receipt", {{"txid", txid(bump).hex()}})["events"].size(), 1u);
  EXPECT_EQ(ok("contract_get_events", {{"contract", address}})["events"].size(), 1u);
  EXPECT_EQ(call("contract_get", {{"contract", std::string(64, '1')}})["error"]["code"],
            rpc::error_code::not_found);
  // Every contract method the node serves was called above (rpc_service_test leaves them here).
  for (const rpc::MethodSpec& method : node_->rpc().registry().methods()) {
    if (method.name.starts_with("contract_")) {
      EXPECT_TRUE(called_.contains(method.name)) << method.name;
    }
  }
}

}  // namespace
}  // namespace cairn
