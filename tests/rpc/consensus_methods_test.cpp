// finality_get_status, staking_get_validators and staking_get_validator on a regtest chain
// with two bonded validators, through the Registry's handlers, each result validated against
// its method's result schema; a chain without finality answers unavailable.
#include "rpc/consensus_methods.h"

#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_fixture.h"
#include "chain/regtest_fixture.h"
#include "primitives/address.h"
#include "rpc/method_caller.h"

namespace cairn::rpc {
namespace {

constexpr Amount kBond = 5 * kCoin;
constexpr Amount kFee = 10'000;

PublicKey voting_key(size_t i) { return test::test_key(10 + i).public_key(); }

class ConsensusMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ConsensusParams& params = node_.params();
    std::vector<Block> blocks;
    for (uint64_t h = 0; h < params.coinbase_maturity + 2; ++h) {
      blocks.push_back(node_.next_block());
      ASSERT_EQ(node_.submit(blocks.back()), std::nullopt);
    }
    std::vector<Transaction> bonds;
    for (size_t i = 0; i < 2; ++i) {
      bonds.push_back(
          test::signed_bond(blocks[i].transactions[0], voting_key(i), kBond, kFee, params.genesis_hash));
    }
    ASSERT_EQ(node_.submit(node_.next_block(bonds, 2 * kFee)), std::nullopt);
    ASSERT_EQ(node_.manager_->stake().validators.size(), 2u);
    services_ = std::make_unique<ConsensusServices>(
        ConsensusServices{*node_.manager_, Network::regtest, params.finality});
    const Status status = register_consensus_methods(registry_, *services_);
    ASSERT_TRUE(status.ok()) << status.error().to_string();
  }

  test::RegtestNode node_;
  std::unique_ptr<ConsensusServices> services_;
  Registry registry_;
  testing::MethodCaller rpc_{registry_};
};

TEST_F(ConsensusMethodsTest, FinalityStatusDescribesTheTip) {
  const json status = rpc_.ok("finality_get_status");
  EXPECT_EQ(status["height"], node_.manager_->tip().height());
  EXPECT_EQ(status["epoch_length"], node_.params().finality.epoch_length);
  EXPECT_EQ(status["validator_count"], 2);
  EXPECT_EQ(status["last_finalized"]["height"], node_.manager_->finalized_height());
  for (const MethodSpec& spec : registry_.methods()) EXPECT_FALSE(spec.examples.empty()) << spec.name;
}

TEST_F(ConsensusMethodsTest, ValidatorsArePagedByVotingKey) {
  const json all = rpc_.ok("staking_get_validators");
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  const json first = rpc_.ok("staking_get_validators", {{"limit", 1}});
  ASSERT_EQ(first["items"].size(), 1u);
  ASSERT_TRUE(first["next_cursor"].is_string());
  const json second = rpc_.ok("staking_get_validators", {{"limit", 1}, {"cursor", first["next_cursor"]}});
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_TRUE(second["next_cursor"].is_null());
  EXPECT_EQ(json({first["items"][0], second["items"][0]}), all["items"]);
  const auto bad = rpc_.call("staking_get_validators", {{"cursor", "nope"}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(bad));
  EXPECT_EQ(std::get<RpcError>(bad).code, error_code::invalid_params);
}

TEST_F(ConsensusMethodsTest, ValidatorByVotingKey) {
  const json v = rpc_.ok("staking_get_validator", {{"voting_key", voting_key(1).hex()}});
  EXPECT_EQ(v["stake"], std::to_string(kBond));
  EXPECT_EQ(v["owner"], encode_address(Network::regtest, test::miner_lock()));
  EXPECT_EQ(v["slashed"], false);
  EXPECT_TRUE(v["end_dynasty"].is_null());
  const auto unknown = rpc_.call("staking_get_validator", {{"voting_key", voting_key(5).hex()}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(unknown));
  EXPECT_EQ(std::get<RpcError>(unknown).code, error_code::not_found);
}

TEST(ConsensusMethodsWithoutFinalityTest, AnswerUnavailable) {
  test::TestChain chain;
  MemoryStore store;
  DirectSignatureChecker checker;
  auto manager = test::open_or_fail(store, chain.rules(), checker);
  ASSERT_NE(manager, nullptr);
  ASSERT_FALSE(manager->has_finality());
  const ConsensusServices services{*manager, Network::regtest, FinalityParams{}};
  Registry registry;
  ASSERT_TRUE(register_consensus_methods(registry, services).ok());
  for (const auto& [name, params] : std::vector<std::pair<std::string, json>>{
           {"finality_get_status", json::object()},
           {"staking_get_validators", json::object()},
           {"staking_get_validator", {{"voting_key", voting_key(0).hex()}}}}) {
    const auto result = testing::MethodCaller(registry).call(name, params);
    ASSERT_TRUE(std::holds_alternative<RpcError>(result)) << name;
    EXPECT_EQ(std::get<RpcError>(result).code, error_code::unavailable) << name;
  }
}

}  // namespace
}  // namespace cairn::rpc
