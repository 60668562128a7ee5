// Contract transactions built from the wallet's coins (wallet/tx_builder.h build_contract):
// the inputs cover outputs + value + gas_limit × gas_price + the byte fee exactly, the
// caller is input 0's coin, the deploy's contract id follows from it, the transaction
// passes the stateless contract rules, and bad terms are refused before anything is signed.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/contract_rules.h"
#include "consensus/params.h"
#include "wallet/test_keys.h"
#include "wallet/tx_builder.h"

namespace cairn::wallet {
namespace {

using test_keys::genesis;
using test_keys::pub;

SpendableCoin coin(uint8_t n, size_t key_index, Amount value) {
  SpendableCoin c;
  c.utxo.outpoint.txid.bytes[0] = n;
  c.utxo.output = TxOut{value, key_hash_lock(pub(key_index))};
  c.utxo.height = 5;
  c.spend = pub(key_index);
  return c;
}

Funding funding(std::vector<SpendableCoin> coins) {
  Funding f;
  f.coins = std::move(coins);
  f.change_lock = key_hash_lock(pub(9));
  f.fee_rate = FeeRate{1'000};
  return f;
}

Payload deploy_payload(uint64_t gas_limit, uint64_t gas_price, Amount value) {
  DeployBody body;
  body.gas = {gas_limit, gas_price};
  body.value = value;
  body.salt.bytes[0] = 7;
  body.code = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  return Payload{kDeployPayload, encode_deploy_body(body)};
}

Payload call_payload(uint64_t gas_limit, uint64_t gas_price, Amount value) {
  CallBody body;
  body.gas = {gas_limit, gas_price};
  body.value = value;
  body.contract.bytes[0] = 1;
  body.method = "transfer";
  return Payload{kCallPayload, encode_call_body(body)};
}

Amount inputs_of(const BuiltTx& b) {
  Amount total = 0;
  for (const auto& c : b.inputs) total += c.utxo.output.value;
  return total;
}

Amount outputs_of(const Transaction& tx) {
  Amount total = 0;
  for (const auto& o : tx.outputs) total += o.value;
  return total;
}

TEST(ContractTxBuilder, FundsValueMaxGasFeeAndByteFeeExactly) {
  const Payload payload = call_payload(100'000, 3, 5'000);
  auto built = build_contract(payload, funding({coin(1, 0, 200'000), coin(2, 1, 900'000)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->tx.payload, payload);
  const Amount max_fee = 100'000 * 3;
  EXPECT_EQ(inputs_of(*built), outputs_of(built->tx) + 5'000 + max_fee + built->fee);
  EXPECT_EQ(built->fee, FeeRate{1'000}.fee_for(built->size));
  KeyPairSigner signer;
  signer.add(KeyPair::from_seed(test_keys::key(0).seed()));
  signer.add(KeyPair::from_seed(test_keys::key(1).seed()));
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  EXPECT_EQ(encode(*signed_tx).size(), built->size);
  EXPECT_FALSE(check_contract_tx(*signed_tx, consensus_params(Network::regtest).limits).has_value());
}

TEST(ContractTxBuilder, CallerIsInputZerosCoinAndDeployIdFollows) {
  auto built = build_contract(deploy_payload(500'000, 1, 0), funding({coin(3, 2, 10'000'000)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Account caller = contract_caller(*built).value();
  EXPECT_EQ(caller, account_of(key_hash_lock(pub(2))));
  const DeployBody body = decode_deploy_body(built->tx.payload.body).value();
  EXPECT_EQ(deployed_contract_id(*built).value(),
            contract_id(caller, body.salt, contract_code_hash(body.code)));
  // A call has no deploy id.
  auto call = build_contract(call_payload(50'000, 1, 0), funding({coin(3, 2, 10'000'000)}));
  ASSERT_TRUE(call.ok());
  EXPECT_FALSE(deployed_contract_id(*call).ok());
}

TEST(ContractTxBuilder, NoChangeNeededWhenCoinsMatch) {
  // A first build tells the exact total; a coin of exactly that funds it with no output.
  auto probe = build_contract(call_payload(40'000, 1, 0), funding({coin(1, 0, 1'000'000)}));
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(probe->change_index);
  const Amount change = probe->tx.outputs[*probe->change_index].value;
  // Without the change output the byte fee drops by the output's bytes; the coin below
  // leaves change under the dust threshold, which goes to the fee.
  const Amount exact = 1'000'000 - change + 100;
  auto built = build_contract(call_payload(40'000, 1, 0), funding({coin(1, 0, exact)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_TRUE(built->tx.outputs.empty());
  EXPECT_EQ(inputs_of(*built), 40'000 + built->fee);
}

TEST(ContractTxBuilder, RefusesBadTerms) {
  const Funding f = funding({coin(1, 0, 1'000'000)});
  EXPECT_FALSE(build_contract(Payload{}, f).ok());
  EXPECT_FALSE(build_contract(Payload{kCallPayload, {1, 2, 3}}, f).ok());
  // gas_limit × gas_price beyond the money supply.
  auto over = build_contract(call_payload(uint64_t{1} << 40, uint64_t{1} << 40, 0), f);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("money"), std::string::npos);
  // More than the coins hold: the value and the maximum gas fee count.
  EXPECT_FALSE(build_contract(call_payload(100'000, 1, 950'000), f).ok());
  EXPECT_TRUE(build_contract(call_payload(100'000, 1, 850'000), f).ok());
}

}  // namespace
}  // namespace cairn::wallet
