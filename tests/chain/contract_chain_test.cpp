// Contract transactions in blocks (docs/contracts.md §2, §6–§8): execution when a block
// connects, fees claimed by the coinbase, created outputs (refund, transfers), receipts and
// events, and all of it undone by a reorganisation and redone after it.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_audit.h"
#include "chain/regtest_fixture.h"
#include "consensus/block_rules.h"
#include "consensus/contract_rules.h"
#include "contracts/wat.h"
#include "primitives/contract.h"
#include "storage/keys.h"

namespace cairn {
namespace {

using test::miner_lock;
using test::RegtestNode;

// A counter: bump adds 1 to storage key "k", emits the count and returns it; pay sends
// 1,000 units to its caller; fail traps.
constexpr std::string_view kCounter = R"((module
  (import "cairn" "storage_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "cairn" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "cairn" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "cairn" "transfer" (func $transfer (param i32 i64) (result i32)))
  (import "cairn" "caller" (func $caller (param i32)))
  (import "cairn" "set_return" (func $ret (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (func (export "bump")
    (drop (call $read (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8)))
    (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
    (call $write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8))
    (call $emit (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 8))
    (call $ret (i32.const 16) (i32.const 8)))
  (func (export "pay")
    (call $caller (i32.const 32))
    (drop (call $transfer (i32.const 32) (i64.const 1000))))
  (func (export "fail") unreachable))
)";

constexpr uint64_t kGasLimit = 2'000'000;
constexpr Amount kGasPrice = 2;
constexpr Amount kDeployValue = 100'000;

class ContractChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    code_ = contracts::testing::wat(kCounter);
    // Coinbases of key 0 to spend: mature after coinbase_maturity blocks.
    for (int i = 0; i < 20; ++i) mine({});
  }

  ChainManager& chain() { return *node_.manager_; }

  // The best-chain coinbase at `height`: a coin of key 0 in its output 0.
  Transaction coinbase_at(uint64_t height) {
    return chain().read_block(chain().at_height(height)->hash).value().transactions[0];
  }

  // A contract transaction spending output 0 of `funding`, `kept` of it back to key 0.
  Transaction contract_tx(const Transaction& funding, PayloadKind kind, Bytes body, Amount kept) {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {TxOut{kept, miner_lock()}};
    tx.payload = Payload{kind, std::move(body)};
    test::sign_with_key0(tx, funding, node_.params().genesis_hash);
    return tx;
  }

  Transaction deploy_tx(const Transaction& funding) {
    DeployBody body;
    body.gas = GasTerms{kGasLimit, kGasPrice};
    body.value = kDeployValue;
    body.code = code_;
    const Amount spent = kDeployValue + kGasLimit * kGasPrice + 1'000;
    return contract_tx(funding, kDeployPayload, encode_deploy_body(body), funding.outputs[0].value - spent);
  }

  Transaction call_tx(const Transaction& funding, const std::string& method, Amount value = 0) {
    CallBody body;
    body.gas = GasTerms{kGasLimit, kGasPrice};
    body.value = value;
    body.contract = contract();
    body.method = method;
    const Amount spent = value + kGasLimit * kGasPrice + 1'000;
    return contract_tx(funding, kCallPayload, encode_call_body(body), funding.outputs[0].value - spent);
  }

  ContractId contract() const {
    return contract_id(account_of(miner_lock()), Hash256{}, contract_code_hash(code_));
  }

  // Mines a block with `txs` whose coinbase claims everything it may; returns it.
  Block mine(std::vector<Transaction> txs) {
    Block block = node_.next_block(txs);
    auto check = chain().state_root_on_tip(block);
    EXPECT_TRUE(check.ok());
    const auto* ok = std::get_if<ChainManager::TemplateCheck>(&*check);
    EXPECT_NE(ok, nullptr);
    if (ok != nullptr && ok->coinbase_allowance > block.transactions[0].outputs[0].value) {
      block =
          node_.next_block(txs, ok->coinbase_allowance - block_subsidy(node_.params(), block.header.height));
    }
    EXPECT_EQ(node_.submit(block), std::nullopt);
    return block;
  }

  Receipt receipt(const Transaction& tx) {
    auto raw = node_.store_.get(Column::contracts, contract_receipt_key(txid(tx))).value();
    EXPECT_TRUE(raw.has_value()) << "no receipt";
    return raw ? decode_receipt(*raw).value() : Receipt{};
  }

  std::optional<Coin> coin(const OutPoint& outpoint) { return chain().coins().get_coin(outpoint).value(); }

  void expect_sound() {
    auto audit = audit_chain_state(node_.store_, chain()).value();
    EXPECT_TRUE(audit.ok()) << (audit.problems.empty() ? "" : audit.problems.front());
    ASSERT_TRUE(audit_by_replay(node_.store_, chain(), node_.rules_, audit).ok());
    EXPECT_TRUE(audit.ok()) << (audit.problems.empty() ? "" : audit.problems.front());
  }

  RegtestNode node_;
  Bytes code_;
};

TEST_F(ContractChainTest, DeployRunsAndTheCoinbaseClaimsTheGasUsed) {
  const Transaction deploy = deploy_tx(coinbase_at(1));
  const Block block = mine({deploy});

  const Receipt r = receipt(deploy);
  EXPECT_EQ(r.status, ExecStatus::success) << r.message;
  EXPECT_EQ(r.contract, contract());
  EXPECT_GE(r.gas_used, contract_intrinsic_gas(deploy));
  const auto record = chain().contract_state().record(contract()).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->balance, kDeployValue);
  EXPECT_EQ(record->code_hash, contract_code_hash(code_));
  EXPECT_EQ(chain().contract_state().code(record->code_hash).value(), code_);

  // The refund is the first created output: unused gas back to the caller.
  ASSERT_EQ(r.created_outputs, 1u);
  const auto refund = coin(OutPoint{txid(deploy), 1});
  ASSERT_TRUE(refund.has_value());
  EXPECT_EQ(refund->output, (TxOut{(kGasLimit - r.gas_used) * kGasPrice, miner_lock()}));
  // The coinbase claimed the plain fee (1,000) and the gas used, exactly.
  EXPECT_EQ(block.transactions[0].outputs[0].value,
            block_subsidy(node_.params(), block.header.height) + 1'000 + r.gas_used * kGasPrice);
  expect_sound();
}

TEST_F(ContractChainTest, ACoinbaseClaimingOneUnitMoreIsRefused) {
  const Transaction deploy = deploy_tx(coinbase_at(1));
  Block block = node_.next_block({deploy});
  const auto check = std::get<ChainManager::TemplateCheck>(chain().state_root_on_tip(block).value());
  const Amount fees = check.coinbase_allowance - block_subsidy(node_.params(), block.header.height);
  const Block exact = node_.next_block({deploy}, fees);
  Block greedy = exact;
  greedy.transactions[0].outputs[0].value += 1;
  greedy.header.tx_root = compute_tx_root(greedy);
  greedy.header.witness_root = compute_witness_root(greedy);
  EXPECT_EQ(node_.submit(RegtestNode::remined(greedy)), BlockError::coinbase_overpays);
  EXPECT_EQ(node_.submit(exact), std::nullopt);
}

TEST_F(ContractChainTest, CallsSeeEarlierTransactionsOfTheirBlock) {
  mine({deploy_tx(coinbase_at(1))});
  const Transaction first = call_tx(coinbase_at(2), "bump");
  const Transaction second = call_tx(coinbase_at(3), "bump");
  const Block block = mine({first, second});
  EXPECT_EQ(receipt(first).return_data, (Bytes{1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(receipt(second).return_data, (Bytes{2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(chain().contract_state().storage(contract(), Bytes{'k'}).value(),
            (Bytes{2, 0, 0, 0, 0, 0, 0, 0}));

  // Events are indexed by contract, height, position and index.
  const auto event =
      node_.store_.get(Column::contracts, contract_event_key(EventKey{contract(), block.header.height, 2, 0}))
          .value();
  ASSERT_TRUE(event.has_value());
  const auto [emitter, decoded] = decode_event_entry(*event).value();
  EXPECT_EQ(emitter, txid(second));
  EXPECT_EQ(decoded.data, (Bytes{2, 0, 0, 0, 0, 0, 0, 0}));
  // The deposit for "k" (1 + 8 + 64 bytes) is held from the balance.
  EXPECT_EQ(chain().contract_state().record(contract()).value()->storage_bytes, 73u);
  expect_sound();
}

TEST_F(ContractChainTest, ATrapRefundsTheValueAndUnusedGas) {
  mine({deploy_tx(coinbase_at(1))});
  const Transaction call = call_tx(coinbase_at(2), "fail", 5'000);
  mine({call});
  const Receipt r = receipt(call);
  EXPECT_EQ(r.status, ExecStatus::trapped);
  ASSERT_EQ(r.created_outputs, 1u);
  EXPECT_EQ(coin(OutPoint{txid(call), 1})->output.value, (kGasLimit - r.gas_used) * kGasPrice + 5'000);
  EXPECT_EQ(chain().contract_state().record(contract()).value()->balance, kDeployValue);
  expect_sound();
}

TEST_F(ContractChainTest, TransfersBecomeOutputsAfterTheRefund) {
  mine({deploy_tx(coinbase_at(1))});
  const Transaction call = call_tx(coinbase_at(2), "pay");
  mine({call});
  const Receipt r = receipt(call);
  ASSERT_EQ(r.status, ExecStatus::success) << r.message;
  ASSERT_EQ(r.created_outputs, 2u);
  EXPECT_EQ(coin(OutPoint{txid(call), 1})->output.value, (kGasLimit - r.gas_used) * kGasPrice);
  EXPECT_EQ(coin(OutPoint{txid(call), 2})->output, (TxOut{1'000, miner_lock()}));
  EXPECT_EQ(chain().contract_state().record(contract()).value()->balance, kDeployValue - 1'000);
  expect_sound();
}

TEST_F(ContractChainTest, AReorganisationUndoesAndRedoesContractState) {
  const uint64_t fork_height = chain().tip().height();
  const BlockHash fork = chain().tip().hash;
  const Transaction deploy = deploy_tx(coinbase_at(1));
  const Transaction bump = call_tx(coinbase_at(2), "bump");
  const Transaction pay = call_tx(coinbase_at(3), "pay");
  mine({deploy});
  mine({bump, pay});
  const auto contract_root = chain().state();

  // A longer branch from the fork without any contract transaction.
  RegtestNode other;
  for (uint64_t h = 1; h <= fork_height; ++h)
    ASSERT_EQ(other.submit(chain().read_block(chain().at_height(h)->hash).value()), std::nullopt);
  ASSERT_EQ(other.manager_->tip().hash, fork);
  other.coinbase_extra_ = {1};
  std::vector<Block> branch;
  for (int i = 0; i < 3; ++i) {
    branch.push_back(other.next_block());
    ASSERT_EQ(other.submit(branch.back()), std::nullopt);
  }
  for (const Block& b : branch) node_.submit(b);
  ASSERT_EQ(chain().tip().hash, block_hash(branch.back().header));

  EXPECT_EQ(chain().contract_state().record(contract()).value(), std::nullopt);
  EXPECT_EQ(chain().contract_state().storage(contract(), Bytes{'k'}).value(), std::nullopt);
  EXPECT_EQ(chain().contract_state().code(contract_code_hash(code_)).value(), std::nullopt);
  EXPECT_FALSE(node_.store_.get(Column::contracts, contract_receipt_key(txid(pay))).value().has_value());
  EXPECT_FALSE(coin(OutPoint{txid(pay), 2}).has_value());
  EXPECT_EQ(chain().state(), other.manager_->state());
  expect_sound();

  // Back: the contract branch grows longer again and everything is as it was.
  node_.coinbase_extra_ = {2};
  mine({deploy});
  mine({bump, pay});
  for (int i = 0; i < 2; ++i) mine({});
  EXPECT_EQ(chain().contract_state().storage(contract(), Bytes{'k'}).value(),
            (Bytes{1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(coin(OutPoint{txid(pay), 2})->output, (TxOut{1'000, miner_lock()}));
  EXPECT_NE(contract_root, chain().state());  // other blocks, other coinbases
  expect_sound();
}

}  // namespace
}  // namespace cairn
