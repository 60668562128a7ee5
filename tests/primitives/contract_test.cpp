#include "primitives/contract.h"

#include <string>

#include <gtest/gtest.h>

#include "primitives/address.h"
#include "primitives/coin.h"

namespace cairn {
namespace {

Hash256 filled(uint8_t b) {
  Hash256 h;
  h.bytes.fill(b);
  return h;
}

DeployBody sample_deploy() {
  DeployBody body;
  body.gas = GasTerms{500'000, 3};
  body.value = 7;
  body.salt = filled(0x11);
  body.admin = Account{AccountKind::lock, filled(0x22)};
  body.code = {0x00, 0x61, 0x73, 0x6d};
  body.args = {1, 2, 3};
  return body;
}

CallBody sample_call() {
  CallBody body;
  body.gas = GasTerms{100'000, 1};
  body.value = 5;
  body.contract = filled(0x33);
  body.method = "transfer_from";
  body.args = {9};
  return body;
}

TEST(ContractBodies, RoundTrip) {
  EXPECT_EQ(*decode_deploy_body(encode_deploy_body(sample_deploy())), sample_deploy());
  DeployBody immutable = sample_deploy();
  immutable.admin.reset();
  EXPECT_EQ(*decode_deploy_body(encode_deploy_body(immutable)), immutable);
  EXPECT_EQ(*decode_call_body(encode_call_body(sample_call())), sample_call());
  const UpgradeBody upgrade{GasTerms{1, 2}, filled(0x44), {0xaa}};
  EXPECT_EQ(*decode_upgrade_body(encode_upgrade_body(upgrade)), upgrade);
}

TEST(ContractBodies, LayoutIsTheDocumentedOne) {
  // docs/contracts.md §2: gas_limit u64, gas_price u64, value u64, contract 32, method, args.
  const Bytes encoded = encode_call_body(sample_call());
  ASSERT_EQ(encoded.size(), 8 + 8 + 8 + 32 + 1 + 13 + 1 + 1);
  EXPECT_EQ(encoded[0], 0xa0);  // 100,000 = 0x0186a0, little-endian
  EXPECT_EQ(encoded[8], 1);
  EXPECT_EQ(encoded[16], 5);
  EXPECT_EQ(encoded[24], 0x33);
  EXPECT_EQ(encoded[56], 13);
  EXPECT_EQ(encoded[57], 't');
}

TEST(ContractBodies, StrictDecoding) {
  Bytes trailing = encode_call_body(sample_call());
  trailing.push_back(0);
  EXPECT_FALSE(decode_call_body(trailing));
  Bytes bad_flag = encode_deploy_body(sample_deploy());
  bad_flag[8 + 8 + 8 + 32] = 2;  // has_admin
  EXPECT_FALSE(decode_deploy_body(bad_flag));
  DeployBody bad_kind = sample_deploy();
  Bytes encoded = encode_deploy_body(bad_kind);
  encoded[8 + 8 + 8 + 32 + 1] = 4;  // account kind 4 does not exist
  EXPECT_FALSE(decode_deploy_body(encoded));
}

TEST(ContractBodies, CodeSizeLimitAtTheBoundary) {
  DeployBody body = sample_deploy();
  body.code.assign(kMaxCodeBytes, 0);
  EXPECT_TRUE(decode_deploy_body(encode_deploy_body(body)));
  body.code.push_back(0);
  EXPECT_FALSE(decode_deploy_body(encode_deploy_body(body)));
  UpgradeBody upgrade{GasTerms{}, filled(1), Bytes(kMaxCodeBytes + 1, 0)};
  EXPECT_FALSE(decode_upgrade_body(encode_upgrade_body(upgrade)));
}

TEST(ContractBodies, MethodNames) {
  EXPECT_TRUE(is_method_name("a"));
  EXPECT_TRUE(is_method_name("balance_of2"));
  EXPECT_TRUE(is_method_name("_private"));
  EXPECT_TRUE(is_method_name(std::string(kMaxMethodNameBytes, 'm')));
  EXPECT_FALSE(is_method_name(std::string(kMaxMethodNameBytes + 1, 'm')));
  EXPECT_FALSE(is_method_name(""));
  EXPECT_FALSE(is_method_name("2fast"));
  EXPECT_FALSE(is_method_name("Transfer"));
  EXPECT_FALSE(is_method_name("a-b"));
  EXPECT_TRUE(is_reserved_method("init"));
  EXPECT_TRUE(is_reserved_method("cairn_abi"));
  EXPECT_FALSE(is_reserved_method("initialize"));

  CallBody body = sample_call();
  body.method = "Bad";
  EXPECT_FALSE(decode_call_body(encode_call_body(body)));
  body.method = std::string(kMaxMethodNameBytes + 1, 'a');
  EXPECT_FALSE(decode_call_body(encode_call_body(body)));
}

TEST(ContractBodies, PayloadKindsDecodeTheirBodies) {
  Transaction tx;
  tx.inputs = {TxIn{OutPoint{filled(1), 0}, {}}};
  tx.payload = Payload{kCallPayload, encode_call_body(sample_call())};
  EXPECT_TRUE(decode_transaction(encode(tx)));
  tx.payload.body.pop_back();
  EXPECT_FALSE(decode_transaction(encode(tx)));
  tx.payload = Payload{static_cast<PayloadKind>(kMaxPayloadKind + 1), {}};
  EXPECT_FALSE(decode_transaction(encode(tx)));
  EXPECT_EQ(*contract_terms(Payload{kDeployPayload, encode_deploy_body(sample_deploy())}),
            (ContractTerms{GasTerms{500'000, 3}, 7}));
  EXPECT_FALSE(contract_terms(Payload{}));
}

TEST(ContractIds, DependOnDeployerSaltAndCode) {
  const Account deployer{AccountKind::key, filled(1)};
  const Hash256 code = contract_code_hash(Bytes{1, 2, 3});
  const ContractId id = contract_id(deployer, filled(2), code);
  EXPECT_NE(id, contract_id(Account{AccountKind::lock, filled(1)}, filled(2), code));
  EXPECT_NE(id, contract_id(deployer, filled(3), code));
  EXPECT_NE(id, contract_id(deployer, filled(2), contract_code_hash(Bytes{1, 2})));
  EXPECT_EQ(code, hash(HashContext::contract_code, Bytes{1, 2, 3}));
  const Hash256 salt = filled(2);
  Bytes preimage = encode(deployer);
  preimage.insert(preimage.end(), salt.bytes.begin(), salt.bytes.end());
  preimage.insert(preimage.end(), code.bytes.begin(), code.bytes.end());
  EXPECT_EQ(id, hash(HashContext::contract_id, preimage));
}

TEST(Accounts, MirrorOutputLocks) {
  const OutputLock lock{OutputLockKind::lock_hash, filled(5)};
  const Account account = account_of(lock);
  EXPECT_EQ(account.kind, AccountKind::lock);
  EXPECT_EQ(output_lock_of(account), lock);
  EXPECT_EQ(output_lock_of(contract_account(filled(5))), std::nullopt);
  EXPECT_EQ(encode(account).size(), kAccountBytes);
  EXPECT_EQ(*decode_account(encode(account)), account);
  EXPECT_FALSE(decode_account(Bytes(kAccountBytes, 0)));  // kind 0
}

TEST(Accounts, ContractAddresses) {
  const Account contract = contract_account(filled(9));
  const std::string address = encode_address(Network::regtest, contract);
  EXPECT_EQ(address.rfind("rcairn1z", 0), 0u) << address;  // kind symbol 2 = 'z'
  EXPECT_EQ(*decode_account_address(Network::regtest, address), contract);
  const auto as_lock = decode_address(Network::regtest, address);
  ASSERT_FALSE(as_lock);
  EXPECT_NE(as_lock.error().message.find("contract"), std::string::npos);
  const OutputLock key{OutputLockKind::key_hash, filled(9)};
  EXPECT_EQ(encode_address(Network::regtest, key), encode_address(Network::regtest, account_of(key)));
}

TEST(ContractState, RecordsAndElements) {
  ContractRecord record{filled(7), Account{AccountKind::key, filled(8)}, 1'000, 96};
  EXPECT_EQ(*decode_contract_record(encode(record)), record);
  record.admin.reset();
  EXPECT_EQ(*decode_contract_record(encode(record)), record);
  Bytes wrong_version = encode(record);
  wrong_version[0] = 2;
  EXPECT_FALSE(decode_contract_record(wrong_version));

  const Bytes element = contract_state_element(filled(1), record);
  EXPECT_EQ(element[0], 4);
  EXPECT_EQ(element.size(), 1 + 32 + encode(record).size());
  const Bytes entry = storage_state_element(filled(1), Bytes{1, 2}, Bytes{3});
  EXPECT_EQ(entry, (Bytes{5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                          1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 3}));
}

TEST(Receipts, RoundTripAndLimits) {
  Receipt receipt;
  receipt.status = ExecStatus::aborted;
  receipt.gas_used = 12'345;
  receipt.contract = filled(3);
  receipt.return_data = {1};
  receipt.message = "insufficient balance";
  receipt.events = {Event{filled(3), {filled(4), filled(5)}, {6, 7}}};
  receipt.created_outputs = 2;
  EXPECT_EQ(*decode_receipt(encode(receipt)), receipt);
  Bytes unknown_status = encode(receipt);
  unknown_status[1] = kMaxExecStatus + 1;
  EXPECT_FALSE(decode_receipt(unknown_status));
  receipt.events[0].topics.assign(kMaxEventTopics + 1, filled(1));
  EXPECT_FALSE(decode_receipt(encode(receipt)));
  EXPECT_STREQ(to_string(ExecStatus::insufficient_value), "insufficient_value");
}

}  // namespace
}  // namespace cairn
