#include "consensus/contract_rules.h"

#include <gtest/gtest.h>

#include "consensus/block_rules.h"
#include "consensus/pow.h"
#include "consensus/seal.h"

namespace cairn {
namespace {

using test::seal;

const BlockLimits& limits() { return consensus_params(Network::regtest).limits; }

Transaction call_tx(uint64_t gas_limit, uint64_t gas_price = 1, Amount value = 0, uint8_t tag = 1) {
  CallBody body;
  body.gas = GasTerms{gas_limit, gas_price};
  body.value = value;
  body.method = "run";
  Transaction tx;
  OutPoint prevout;
  prevout.txid.bytes[0] = tag;
  tx.inputs = {TxIn{prevout, {}}};
  tx.payload = Payload{kCallPayload, encode_call_body(body)};
  return tx;
}

uint64_t call_intrinsic() { return intrinsic_gas(call_tx(0).payload.body.size(), 0); }

std::optional<BlockError> verdict(const Transaction& tx) {
  auto refused = check_contract_tx(tx, limits());
  return refused ? std::optional<BlockError>(refused->reason) : std::nullopt;
}

TEST(ContractRules, IntrinsicGasIsTheDocumentedFormula) {
  EXPECT_EQ(intrinsic_gas(0, 0), kGasTxBase);
  EXPECT_EQ(intrinsic_gas(100, 0), 10'000u + 10 * 100);
  EXPECT_EQ(intrinsic_gas(1'000, 900), 10'000u + 10 * 1'000 + 50 * 900);
  // The largest module fits in one transaction's gas (docs/consensus.md, max_tx_gas).
  EXPECT_LE(intrinsic_gas(kMaxCodeBytes + 200, kMaxCodeBytes), limits().max_tx_gas);
}

TEST(ContractRules, GasLimitBetweenIntrinsicAndMaximum) {
  EXPECT_EQ(verdict(call_tx(call_intrinsic())), std::nullopt);
  EXPECT_EQ(verdict(call_tx(call_intrinsic() - 1)), BlockError::bad_payload);
  EXPECT_EQ(verdict(call_tx(limits().max_tx_gas)), std::nullopt);
  EXPECT_EQ(verdict(call_tx(limits().max_tx_gas + 1)), BlockError::bad_payload);
}

TEST(ContractRules, DeployIntrinsicGasCountsTheCode) {
  DeployBody body;
  body.code.assign(1'000, 0);
  Transaction tx = call_tx(0);
  body.gas.limit = intrinsic_gas(encode_deploy_body(body).size(), 1'000);
  tx.payload = Payload{kDeployPayload, encode_deploy_body(body)};
  EXPECT_EQ(verdict(tx), std::nullopt);
  body.gas.limit -= 1;
  tx.payload = Payload{kDeployPayload, encode_deploy_body(body)};
  EXPECT_EQ(verdict(tx), BlockError::bad_payload);
}

TEST(ContractRules, StructureAndAmounts) {
  Transaction no_input = call_tx(1'000'000);
  no_input.inputs.clear();
  EXPECT_EQ(verdict(no_input), BlockError::bad_payload);
  EXPECT_EQ(verdict(call_tx(1'000'000, kMaxMoney)), BlockError::bad_amount);
  EXPECT_EQ(verdict(call_tx(1'000'000, kMaxMoney / 1'000'000)), std::nullopt);
  EXPECT_EQ(verdict(call_tx(1'000'000, 1, kMaxMoney + 1)), BlockError::bad_amount);

  DeployBody body;
  body.admin = contract_account(Hash256{});
  body.gas.limit = 1'000'000;
  Transaction deploy = call_tx(0);
  deploy.payload = Payload{kDeployPayload, encode_deploy_body(body)};
  EXPECT_EQ(verdict(deploy), BlockError::bad_payload);
  body.admin = Account{AccountKind::key, Hash256{}};
  deploy.payload = Payload{kDeployPayload, encode_deploy_body(body)};
  EXPECT_EQ(verdict(deploy), std::nullopt);
}

TEST(ContractRules, SettlementPaysUsedGasAndRefundsTheRest) {
  const ContractTerms terms{GasTerms{1'000, 3}, 50};
  // inputs 10,000; outputs 5,000; value 50; max fee 3,000; so 1,950 is the plain fee.
  const ContractSettlement ok = settle_contract_tx(10'000, 5'000, terms, 400, true);
  EXPECT_EQ(ok.fee, 1'950u + 400 * 3);
  EXPECT_EQ(ok.refund, 600u * 3);
  const ContractSettlement failed = settle_contract_tx(10'000, 5'000, terms, 1'000, false);
  EXPECT_EQ(failed.fee, 1'950u + 3'000);
  EXPECT_EQ(failed.refund, 50u);
  // Every unit is accounted for: fee + refund + value kept = inputs - outputs.
  EXPECT_EQ(ok.fee + ok.refund + terms.value, 5'000u);
  EXPECT_EQ(failed.fee + failed.refund, 5'000u);
}

TEST(ContractRules, StorageDeposit) {
  EXPECT_EQ(storage_entry_bytes(10, 20), 94u);
  EXPECT_EQ(storage_deposit(94), 9'400u);
  EXPECT_EQ(storage_deposit(kMaxMoney / kDepositPerByte), kMaxMoney / kDepositPerByte * kDepositPerByte);
  EXPECT_EQ(storage_deposit(kMaxMoney / kDepositPerByte + 1), std::nullopt);
}

// ---- check_block: the block's contract rules --------------------------------------------

Block block_with(std::vector<Transaction> txs) {
  const ConsensusParams& params = consensus_params(Network::regtest);
  Block b;
  b.header.height = 1;
  b.header.prev = params.genesis_hash;
  b.header.timestamp = params.genesis.header.timestamp + 1;
  b.header.target = params.pow_limit;
  Transaction cb;
  cb.payload = Payload{PayloadKind::coinbase, encode_coinbase_body(CoinbaseBody{1, {}})};
  b.transactions.push_back(cb);
  for (auto& tx : txs) b.transactions.push_back(std::move(tx));
  seal(b);
  return b;
}

std::optional<BlockError> block_verdict(const Block& b) {
  auto v = check_block(consensus_params(Network::regtest), b);
  return v ? std::optional<BlockError>(v->reason) : std::nullopt;
}

TEST(ContractBlockRules, GasLimitsSumToAtMostTheBlockGas) {
  const uint64_t per_tx = limits().max_tx_gas;
  const uint64_t n = limits().max_block_gas / per_tx;
  ASSERT_EQ(n * per_tx, limits().max_block_gas);
  std::vector<Transaction> full;
  for (uint64_t i = 0; i < n; ++i) full.push_back(call_tx(per_tx, 1, 0, static_cast<uint8_t>(i + 1)));
  EXPECT_EQ(block_verdict(block_with(full)), std::nullopt);
  full.push_back(call_tx(call_intrinsic(), 1, 0, 99));
  EXPECT_EQ(block_verdict(block_with(full)), BlockError::too_much_gas);
}

TEST(ContractBlockRules, StatelessRulesApplyInBlocks) {
  EXPECT_EQ(block_verdict(block_with({call_tx(call_intrinsic() - 1)})), BlockError::bad_payload);
  EXPECT_EQ(block_verdict(block_with({call_tx(1'000'000, kMaxMoney)})), BlockError::bad_amount);
}

}  // namespace
}  // namespace cairn
