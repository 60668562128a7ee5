#include "contracts/local_chain.h"

#include <gtest/gtest.h>

#include "contracts/executor_contracts.h"

namespace cairn::contracts {
namespace {

using testing::test_contract;

Account key_account(uint8_t n) {
  Account a;
  a.kind = AccountKind::key;
  a.hash.bytes.fill(n);
  return a;
}

uint64_t read_le64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{b.at(at + i)} << (8 * i);
  return v;
}

TEST(LocalChain, EachTransactionRunsInItsOwnBlock) {
  LocalChain chain;
  const BlockEnv start = chain.env();
  EXPECT_EQ(start.height, 1u);
  EXPECT_EQ(start.time, kLocalGenesisTime + kLocalBlockSeconds);
  auto deployed = chain.deploy(test_contract(), {}, key_account(1), 1'000'000);
  ASSERT_TRUE(deployed.ok());
  ASSERT_EQ(deployed->status, ExecStatus::success) << deployed->message;
  EXPECT_EQ(chain.env().height, start.height + 1);

  auto info = chain.call(deployed->contract, "info", {}, key_account(1));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(read_le64(info->return_data, 49), start.height + 1);
  EXPECT_EQ(read_le64(info->return_data, 57), start.time + kLocalBlockSeconds);

  // A query runs in the present block and does not move on.
  const BlockEnv before = chain.env();
  auto queried = chain.query(deployed->contract, "info", {});
  ASSERT_TRUE(queried.ok());
  EXPECT_EQ(read_le64(queried->return_data, 49), before.height);
  EXPECT_EQ(chain.env().height, before.height);

  chain.next_block(3'600);
  EXPECT_EQ(chain.env().height, before.height + 1);
  EXPECT_EQ(chain.env().time, before.time + 3'600);
}

TEST(LocalChain, FailedTransactionsStillMakeABlockButChangeNothing) {
  LocalChain chain;
  auto deployed = chain.deploy(test_contract(), {}, key_account(1), 1'000'000);
  ASSERT_TRUE(deployed.ok());
  const ContractId id = deployed->contract;
  const BlockEnv before = chain.env();
  auto failed = chain.call(id, "fail", {}, key_account(1), 10);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, ExecStatus::trapped);
  EXPECT_EQ(chain.env().height, before.height + 1);
  EXPECT_EQ(chain.record(id)->balance, 1'000'000u);
  EXPECT_EQ(chain.storage(id, as_bytes("after")), std::nullopt);
  EXPECT_EQ(chain.received(testing::fail_payee()), 0u);
}

TEST(LocalChain, ReceivedCountsTransfersToKeyAndLockAccounts) {
  LocalChain chain;
  const Account owner = key_account(1);
  Account lock = key_account(2);
  lock.kind = AccountKind::lock;
  auto deployed = chain.deploy(test_contract(), {}, owner, 1'000'000);
  ASSERT_TRUE(deployed.ok());
  auto pay = [&](const Account& to, uint64_t amount) {
    Bytes args = encode(to);
    for (size_t i = 0; i < 8; ++i) args.push_back(static_cast<uint8_t>(amount >> (8 * i)));
    auto r = chain.call(deployed->contract, "pay", args, owner);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->return_data, Bytes{0});
  };
  pay(owner, 10);
  pay(lock, 20);
  pay(owner, 5);
  EXPECT_EQ(chain.received(owner), 15u);
  EXPECT_EQ(chain.received(lock), 20u);
  EXPECT_EQ(chain.received(key_account(3)), 0u);
  EXPECT_EQ(chain.record(deployed->contract)->balance, 1'000'000u - 35);
}

TEST(LocalChain, UnknownContractsReadAsAbsent) {
  LocalChain chain;
  ContractId nobody;
  nobody.bytes.fill(1);
  EXPECT_EQ(chain.record(nobody), std::nullopt);
  EXPECT_EQ(chain.storage(nobody, as_bytes("k")), std::nullopt);
}

}  // namespace
}  // namespace cairn::contracts
