// The executor (docs/contracts.md §5, §7) running real contracts on the wabt engine, mostly
// through LocalChain (which builds real transactions), and directly where the state
// changes themselves are compared.
#include "contracts/executor.h"

#include <cstring>

#include <gtest/gtest.h>

#include "consensus/contract_rules.h"
#include "contracts/executor_contracts.h"
#include "contracts/local_chain.h"
#include "contracts/wabt_engine.h"

namespace cairn::contracts {
namespace {

using testing::fail_payee;
using testing::test_contract;
using testing::test_contract_v2;

constexpr Amount kFunding = 10'000'000;  // covers the deposits of the tests' storage

Account key_account(uint8_t n) {
  Account a;
  a.kind = AccountKind::key;
  a.hash.bytes.fill(n);
  return a;
}
const Account kAlice = key_account(0xA1);
const Account kBob = key_account(0xB0);

Hash256 salt(uint8_t n) {
  Hash256 s;
  s.bytes[0] = n;
  return s;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes cat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes le64(uint64_t v) {
  Bytes out(8);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

uint64_t read_le64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{b.at(at + i)} << (8 * i);
  return v;
}

Execution must(Result<Execution> r) {
  if (!r) {
    ADD_FAILURE() << "executor error: " << r.error().message;
    return {};
  }
  return std::move(r).value();
}

// The intrinsic gas of LocalChain's transactions (gas price 1).
uint64_t deploy_intrinsic(ByteSpan code, ByteSpan args, Amount value, std::optional<Account> admin) {
  DeployBody body;
  body.gas = {kLocalDefaultGas, 1};
  body.value = value;
  body.admin = admin;
  body.code.assign(code.begin(), code.end());
  body.args.assign(args.begin(), args.end());
  return intrinsic_gas(encode_deploy_body(body).size(), code.size());
}
uint64_t call_intrinsic(std::string_view method, ByteSpan args, Amount value) {
  CallBody body;
  body.gas = {kLocalDefaultGas, 1};
  body.value = value;
  body.method = std::string(method);
  body.args.assign(args.begin(), args.end());
  return intrinsic_gas(encode_call_body(body).size(), 0);
}
uint64_t upgrade_intrinsic(ByteSpan code) {
  UpgradeBody body;
  body.gas = {kLocalDefaultGas, 1};
  body.code.assign(code.begin(), code.end());
  return intrinsic_gas(encode_upgrade_body(body).size(), code.size());
}

class ExecutorTest : public ::testing::Test {
 protected:
  ContractId deploy(uint8_t salt_byte = 0, Amount value = kFunding,
                    std::optional<Account> admin = std::nullopt) {
    Execution e =
        must(chain.deploy(test_contract(), {}, kAlice, value, kLocalDefaultGas, salt(salt_byte), admin));
    EXPECT_EQ(e.status, ExecStatus::success) << e.message;
    return e.contract;
  }
  Execution call(const ContractId& id, std::string_view method, ByteSpan args = {}, Amount value = 0,
                 uint64_t gas = kLocalDefaultGas) {
    return must(chain.call(id, method, args, kAlice, value, gas));
  }
  std::optional<Bytes> stored(const ContractId& id, std::string_view key) {
    return chain.storage(id, as_bytes(key));
  }
  Amount balance(const ContractId& id) {
    auto r = chain.record(id);
    EXPECT_TRUE(r.has_value());
    return r ? r->balance : 0;
  }

  LocalChain chain;
};

// ---- deploy ----

TEST_F(ExecutorTest, DeployCreatesTheRecordAndRunsInitWithTheArgs) {
  const Bytes args = bytes_of("constructor args");
  Execution e = must(chain.deploy(test_contract(), args, kAlice, kFunding, kLocalDefaultGas, salt(3), kBob));
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  const Hash256 code_hash = contract_code_hash(test_contract());
  EXPECT_EQ(e.contract, contract_id(kAlice, salt(3), code_hash));
  EXPECT_GT(e.gas_used, deploy_intrinsic(test_contract(), args, kFunding, kBob));
  auto record = chain.record(e.contract);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->code_hash, code_hash);
  EXPECT_EQ(record->admin, kBob);
  EXPECT_EQ(record->balance, kFunding);
  EXPECT_EQ(record->storage_bytes, storage_entry_bytes(1, args.size()));
  EXPECT_EQ(stored(e.contract, "i"), args);
}

TEST_F(ExecutorTest, DeployWithoutInitRunsNothingAndTakesNoArgs) {
  Execution refused = must(chain.deploy(test_contract_v2(), bytes_of("x"), kAlice));
  EXPECT_EQ(refused.status, ExecStatus::no_method);
  EXPECT_EQ(refused.gas_used, deploy_intrinsic(test_contract_v2(), bytes_of("x"), 0, std::nullopt));
  EXPECT_FALSE(chain.record(refused.contract).has_value());

  Execution e = must(chain.deploy(test_contract_v2(), {}, kAlice));
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  EXPECT_EQ(e.gas_used, deploy_intrinsic(test_contract_v2(), {}, 0, std::nullopt));
  EXPECT_EQ(e.contract, refused.contract);
  EXPECT_TRUE(chain.record(e.contract).has_value());
}

TEST_F(ExecutorTest, DeployRefusesAnInvalidModule) {
  const Bytes garbage = bytes_of("\0asm but not really");
  Execution e = must(chain.deploy(garbage, {}, kAlice, 5));
  EXPECT_EQ(e.status, ExecStatus::invalid_module);
  EXPECT_FALSE(e.message.empty());
  EXPECT_LE(e.message.size(), kMaxStatusMessageBytes);
  EXPECT_EQ(e.gas_used, deploy_intrinsic(garbage, {}, 5, std::nullopt));
  EXPECT_FALSE(chain.record(e.contract).has_value());
}

TEST_F(ExecutorTest, RedeployIsAddressTaken) {
  const ContractId id = deploy(1);
  Execution again = must(chain.deploy(test_contract(), {}, kAlice, 0, kLocalDefaultGas, salt(1)));
  EXPECT_EQ(again.status, ExecStatus::address_taken);
  EXPECT_EQ(again.contract, id);
  EXPECT_EQ(again.gas_used, deploy_intrinsic(test_contract(), {}, 0, std::nullopt));
  // Another salt or another deployer is another contract.
  EXPECT_EQ(must(chain.deploy(test_contract(), {}, kAlice, 0, kLocalDefaultGas, salt(2))).status,
            ExecStatus::success);
  EXPECT_EQ(must(chain.deploy(test_contract(), {}, kBob, 0, kLocalDefaultGas, salt(1))).status,
            ExecStatus::success);
}

// ---- call ----

TEST_F(ExecutorTest, CallsOnlyExistingUnreservedUnitMethods) {
  const ContractId id = deploy();
  ContractId nobody;
  nobody.bytes.fill(0x77);
  Execution missing = call(nobody, "get");
  EXPECT_EQ(missing.status, ExecStatus::no_contract);
  EXPECT_EQ(missing.gas_used, call_intrinsic("get", {}, 0));
  for (std::string_view method : {"nothing", "cairn_hidden", "init", "takes"}) {
    Execution e = call(id, method, {}, 100);
    EXPECT_EQ(e.status, ExecStatus::no_method) << method;
    EXPECT_EQ(e.gas_used, call_intrinsic(method, {}, 100)) << method;
  }
  EXPECT_EQ(balance(id), kFunding);
}

TEST_F(ExecutorTest, CallSeesValueCallerAndBlock) {
  const ContractId id = deploy();
  const BlockEnv env = chain.env();
  Execution e = call(id, "info", {}, 500);
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  ASSERT_EQ(e.return_data.size(), 65u);
  EXPECT_EQ(read_le64(e.return_data, 0), kFunding + 500);  // credited before running
  EXPECT_EQ(read_le64(e.return_data, 8), 500u);
  EXPECT_EQ(Bytes(e.return_data.begin() + 16, e.return_data.begin() + 49), encode(kAlice));
  EXPECT_EQ(read_le64(e.return_data, 49), env.height);
  EXPECT_EQ(read_le64(e.return_data, 57), env.time);
  EXPECT_EQ(balance(id), kFunding + 500);
}

TEST_F(ExecutorTest, StorageRoundTrip) {
  const ContractId id = deploy();
  EXPECT_EQ(call(id, "set", bytes_of("kvalue")).status, ExecStatus::success);
  EXPECT_EQ(stored(id, "k"), bytes_of("value"));
  EXPECT_EQ(call(id, "get", bytes_of("k")).return_data, bytes_of("value"));
  EXPECT_EQ(call(id, "get", bytes_of("z")).return_data, Bytes{});
  EXPECT_EQ(call(id, "remove", bytes_of("k")).return_data, Bytes{1});
  EXPECT_EQ(call(id, "remove", bytes_of("k")).return_data, Bytes{0});
  EXPECT_EQ(stored(id, "k"), std::nullopt);
  EXPECT_EQ(chain.record(id)->storage_bytes, 0u);
}

TEST_F(ExecutorTest, ATrapRevertsEverythingAndRefundsTheValue) {
  const ContractId id = deploy();
  Execution e = call(id, "fail", {}, 1'000);
  EXPECT_EQ(e.status, ExecStatus::trapped);
  EXPECT_FALSE(e.message.empty());
  EXPECT_LT(e.gas_used, kLocalDefaultGas);
  EXPECT_GT(e.gas_used, call_intrinsic("fail", {}, 1'000));
  EXPECT_TRUE(e.events.empty());
  EXPECT_TRUE(e.transfers.empty());
  EXPECT_TRUE(e.return_data.empty());
  EXPECT_EQ(balance(id), kFunding);  // the value was not kept
  EXPECT_EQ(stored(id, "after"), std::nullopt);
  EXPECT_EQ(chain.received(fail_payee()), 0u);
}

TEST_F(ExecutorTest, AbortGivesItsMessage) {
  const ContractId id = deploy();
  Execution e = call(id, "abort_now");
  EXPECT_EQ(e.status, ExecStatus::aborted);
  EXPECT_EQ(e.message, "boom");
}

TEST_F(ExecutorTest, OutOfGasUsesTheWholeLimit) {
  const ContractId id = deploy();
  Execution e = call(id, "spin", {}, 0, 200'000);
  EXPECT_EQ(e.status, ExecStatus::out_of_gas);
  EXPECT_EQ(e.gas_used, 200'000u);
  // A limit below the intrinsic gas (refused by check_contract_tx on chain) is out of gas too.
  Execution tiny = call(id, "spin", {}, 0, 100);
  EXPECT_EQ(tiny.status, ExecStatus::out_of_gas);
  EXPECT_EQ(tiny.gas_used, 100u);
}

TEST_F(ExecutorTest, OutOfGasAtTheExactBoundary) {
  const ContractId id = deploy();
  const Bytes args = bytes_of("kvalue");
  // Find the gas a call uses on a state where it fails, so the state stays the same.
  Execution probe = call(id, "set", args, 0, kLocalDefaultGas);
  ASSERT_EQ(probe.status, ExecStatus::success);
  EXPECT_EQ(call(id, "remove", bytes_of("k")).status, ExecStatus::success);
  const uint64_t used = probe.gas_used;

  Execution short_one = call(id, "set", args, 0, used - 1);
  EXPECT_EQ(short_one.status, ExecStatus::out_of_gas);
  EXPECT_EQ(short_one.gas_used, used - 1);
  EXPECT_EQ(stored(id, "k"), std::nullopt);

  Execution exact = call(id, "set", args, 0, used);
  EXPECT_EQ(exact.status, ExecStatus::success) << exact.message;
  EXPECT_EQ(exact.gas_used, used);
  EXPECT_EQ(stored(id, "k"), bytes_of("value"));
}

TEST_F(ExecutorTest, EventsAndTransfersOfASuccess) {
  const ContractId id = deploy();
  Hash256 topic;
  topic.bytes.fill(0x5A);
  Execution e = call(id, "emit", cat({topic, as_bytes("payload")}));
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  ASSERT_EQ(e.events.size(), 1u);
  EXPECT_EQ(e.events[0], (Event{id, {topic}, bytes_of("payload")}));

  Execution paid = call(id, "pay", cat({encode(kBob), le64(1'234)}));
  ASSERT_EQ(paid.status, ExecStatus::success) << paid.message;
  EXPECT_EQ(paid.return_data, Bytes{0});
  ASSERT_EQ(paid.transfers.size(), 1u);
  EXPECT_EQ(paid.transfers[0], (TxOut{1'234, *output_lock_of(kBob)}));
  EXPECT_EQ(chain.received(kBob), 1'234u);
  EXPECT_EQ(balance(id), kFunding - 1'234);
}

TEST_F(ExecutorTest, StorageDepositIsHeldAndFreedByRemoval) {
  const Amount deposit = *storage_deposit(storage_entry_bytes(1, 10));
  const ContractId id = deploy(0, deposit + 50);
  ASSERT_EQ(call(id, "set", bytes_of("k0123456789")).status, ExecStatus::success);
  EXPECT_EQ(chain.record(id)->storage_bytes, storage_entry_bytes(1, 10));
  // One more byte is more than the balance covers.
  Execution over = call(id, "set", bytes_of("k0123456789A"));
  EXPECT_EQ(over.status, ExecStatus::trapped);
  EXPECT_NE(over.message.find("deposit"), std::string::npos);
  // Only the 50 above the deposit can leave.
  EXPECT_EQ(call(id, "pay", cat({encode(kBob), le64(51)})).return_data, Bytes{1});
  EXPECT_EQ(call(id, "pay", cat({encode(kBob), le64(50)})).return_data, Bytes{0});
  EXPECT_EQ(call(id, "pay", cat({encode(kBob), le64(1)})).return_data, Bytes{1});
  // Removing the entry frees its deposit.
  EXPECT_EQ(call(id, "remove", bytes_of("k")).return_data, Bytes{1});
  EXPECT_EQ(call(id, "pay", cat({encode(kBob), le64(deposit)})).return_data, Bytes{0});
  EXPECT_EQ(balance(id), 0u);
  EXPECT_EQ(chain.received(kBob), deposit + 50);
}

// ---- nested calls ----

TEST_F(ExecutorTest, NestedFailureIsRevertedAndTheCallerContinues) {
  const ContractId a = deploy(1);
  const ContractId b = deploy(2);
  Execution e = call(a, "call_fail", b);
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  EXPECT_EQ(e.return_data, Bytes{static_cast<uint8_t>(ExecStatus::trapped)});
  EXPECT_EQ(stored(b, "after"), std::nullopt);
  EXPECT_EQ(stored(a, "after"), bytes_of("after"));
  ASSERT_EQ(e.events.size(), 1u);  // the caller's; the callee's was undone
  EXPECT_EQ(e.events[0].contract, a);
  EXPECT_TRUE(e.transfers.empty());
  EXPECT_EQ(chain.received(fail_payee()), 0u);
  EXPECT_EQ(balance(b), kFunding);
}

TEST_F(ExecutorTest, ReentrancyIsRefused) {
  const ContractId a = deploy(1);
  const ContractId b = deploy(2);
  // A calls B calls A.
  Execution e = call(a, "relay", cat({b, a}));
  ASSERT_EQ(e.status, ExecStatus::success) << e.message;
  EXPECT_EQ(e.return_data, (Bytes{0, static_cast<uint8_t>(ExecStatus::reentrancy)}));
  // A calls itself.
  EXPECT_EQ(call(a, "relay", a).return_data, Bytes{static_cast<uint8_t>(ExecStatus::reentrancy)});
  EXPECT_EQ(stored(a, "leaf"), std::nullopt);
  // Not re-entrancy: A calls B, then (later, not nested) B is called again.
  EXPECT_EQ(call(a, "relay", b).return_data, (Bytes{0, 'l', 'e', 'a', 'f'}));
  EXPECT_EQ(stored(b, "leaf"), bytes_of("leaf"));
}

TEST_F(ExecutorTest, CallDepthLimitIsEightContracts) {
  std::vector<ContractId> c;
  for (uint8_t i = 0; i <= kMaxContractCallDepth; ++i) c.push_back(deploy(i));
  ASSERT_EQ(c.size(), 9u);
  // c0 -> c1 -> ... -> c7: eight contracts on the stack, the last one runs.
  Bytes eight;
  for (size_t i = 1; i < 8; ++i) eight.insert(eight.end(), c[i].begin(), c[i].end());
  Execution ok = call(c[0], "relay", eight);
  ASSERT_EQ(ok.status, ExecStatus::success) << ok.message;
  EXPECT_EQ(ok.return_data, cat({Bytes(7, 0), as_bytes("leaf")}));
  EXPECT_EQ(stored(c[7], "leaf"), bytes_of("leaf"));
  // One more: c7's call to c8 fails with call_depth without running.
  Bytes nine = eight;
  nine.insert(nine.end(), c[8].begin(), c[8].end());
  Execution deep = call(c[0], "relay", nine);
  ASSERT_EQ(deep.status, ExecStatus::success) << deep.message;
  EXPECT_EQ(deep.return_data, cat({Bytes(7, 0), Bytes{static_cast<uint8_t>(ExecStatus::call_depth)}}));
  EXPECT_EQ(stored(c[8], "leaf"), std::nullopt);
}

TEST_F(ExecutorTest, NestedCallsMoveValueFromAboveTheDeposit) {
  const ContractId a = deploy(1, 1'000);
  const ContractId b = deploy(2);
  EXPECT_EQ(call(a, "send_value", cat({b, le64(300)})).return_data, Bytes{0});
  EXPECT_EQ(balance(a), 700u);
  EXPECT_EQ(balance(b), kFunding + 300);
  EXPECT_EQ(call(a, "send_value", cat({b, le64(701)})).return_data,
            Bytes{static_cast<uint8_t>(ExecStatus::insufficient_value)});
  EXPECT_EQ(balance(a), 700u);
  ContractId nobody;
  nobody.bytes.fill(0x99);
  EXPECT_EQ(call(a, "send_value", cat({nobody, le64(1)})).return_data,
            Bytes{static_cast<uint8_t>(ExecStatus::no_contract)});
  // A value sent to a callee that then fails comes back: b's relay writes "leaf", whose
  // deposit a contract without coins cannot cover.
  const ContractId poor = deploy(3, 0);
  EXPECT_EQ(call(a, "send_value", cat({poor, le64(1)})).return_data,
            Bytes{static_cast<uint8_t>(ExecStatus::trapped)});
  EXPECT_EQ(balance(a), 700u);
  EXPECT_EQ(balance(poor), 0u);
}

TEST_F(ExecutorTest, ACalleeGetsTheGasItIsGivenAndTheCallerPaysIt) {
  const ContractId a = deploy(1);
  const ContractId b = deploy(2);
  const Bytes args = cat({b, le64(50'000)});
  Execution limited = call(a, "call_spin", args);
  ASSERT_EQ(limited.status, ExecStatus::success) << limited.message;
  EXPECT_EQ(limited.return_data, Bytes{static_cast<uint8_t>(ExecStatus::out_of_gas)});
  const uint64_t intrinsic = call_intrinsic("call_spin", args, 0);
  EXPECT_GT(limited.gas_used, intrinsic + 50'000);
  EXPECT_LT(limited.gas_used, intrinsic + 50'000 + 10'000);
  // Gas 0 gives the callee all that is left: the caller then runs out too.
  Execution all = call(a, "call_spin", cat({b, le64(0)}), 0, 300'000);
  EXPECT_EQ(all.status, ExecStatus::out_of_gas);
  EXPECT_EQ(all.gas_used, 300'000u);
}

// ---- upgrade ----

TEST_F(ExecutorTest, UpgradeReplacesTheCodeAndKeepsStorage) {
  const ContractId id = deploy(0, kFunding, kAlice);
  ASSERT_EQ(call(id, "set", bytes_of("kkept")).status, ExecStatus::success);
  Execution up = must(chain.upgrade(id, test_contract_v2(), kAlice));
  ASSERT_EQ(up.status, ExecStatus::success) << up.message;
  EXPECT_EQ(up.contract, id);
  EXPECT_EQ(up.gas_used, upgrade_intrinsic(test_contract_v2()));
  EXPECT_EQ(chain.record(id)->code_hash, contract_code_hash(test_contract_v2()));
  EXPECT_EQ(balance(id), kFunding);
  EXPECT_EQ(call(id, "version").return_data, bytes_of("v2"));
  EXPECT_EQ(call(id, "get", bytes_of("k")).return_data, bytes_of("kept"));
  EXPECT_EQ(call(id, "set", bytes_of("kx")).status, ExecStatus::no_method);
}

TEST_F(ExecutorTest, UpgradeRefusals) {
  const ContractId immutable = deploy(1);
  const ContractId administered = deploy(2, kFunding, kAlice);
  ContractId nobody;
  nobody.bytes.fill(0x55);
  const uint64_t intrinsic = upgrade_intrinsic(test_contract_v2());
  Execution e = must(chain.upgrade(immutable, test_contract_v2(), kAlice));
  EXPECT_EQ(e.status, ExecStatus::immutable);
  EXPECT_EQ(e.gas_used, intrinsic);
  e = must(chain.upgrade(administered, test_contract_v2(), kBob));
  EXPECT_EQ(e.status, ExecStatus::not_admin);
  EXPECT_EQ(e.gas_used, intrinsic);
  e = must(chain.upgrade(nobody, test_contract_v2(), kAlice));
  EXPECT_EQ(e.status, ExecStatus::no_contract);
  e = must(chain.upgrade(administered, bytes_of("not wasm"), kAlice));
  EXPECT_EQ(e.status, ExecStatus::invalid_module);
  EXPECT_EQ(chain.record(administered)->code_hash, contract_code_hash(test_contract()));
  EXPECT_EQ(chain.record(immutable)->code_hash, contract_code_hash(test_contract()));
}

// ---- queries, local-run options ----

TEST_F(ExecutorTest, QueriesKeepNothing) {
  const ContractId id = deploy();
  Execution q = must(chain.query(id, "set", bytes_of("kq")));
  EXPECT_EQ(q.status, ExecStatus::success) << q.message;
  EXPECT_EQ(stored(id, "k"), std::nullopt);
  ASSERT_EQ(call(id, "set", bytes_of("kreal")).status, ExecStatus::success);
  EXPECT_EQ(must(chain.query(id, "get", bytes_of("k"))).return_data, bytes_of("real"));
  EXPECT_EQ(must(chain.query(id, "pay", cat({encode(kBob), le64(5)}))).transfers.size(), 1u);
  EXPECT_EQ(chain.received(kBob), 0u);
  EXPECT_EQ(balance(id), kFunding);
  ContractId nobody;
  nobody.bytes.fill(0x66);
  EXPECT_EQ(must(chain.query(nobody, "get", {})).status, ExecStatus::no_contract);
  EXPECT_EQ(must(chain.query(id, "init", {})).status, ExecStatus::no_method);
  Execution spin = must(chain.query(id, "spin", {}, kAlice, 50'000));
  EXPECT_EQ(spin.status, ExecStatus::out_of_gas);
  EXPECT_EQ(spin.gas_used, 50'000u);
}

TEST_F(ExecutorTest, DebugLogAndTraceInLocalRuns) {
  const ContractId id = deploy();
  std::vector<std::string> lines;
  std::vector<HostCallTrace> trace;
  chain.options().debug_log = [&](std::string_view line) { lines.emplace_back(line); };
  chain.options().trace = &trace;
  Execution logged = call(id, "log", bytes_of("hello, log"));
  ASSERT_EQ(logged.status, ExecStatus::success);
  EXPECT_EQ(lines, std::vector<std::string>{"hello, log"});
  ASSERT_EQ(trace.size(), 3u);  // input_copy, input_size, debug_log
  EXPECT_EQ(trace[2].function, HostFunction::debug_log);
  EXPECT_EQ(trace[2].depth, 1u);
  EXPECT_EQ(trace[2].contract, id);
  EXPECT_EQ(trace[2].gas_before - trace[2].gas_after, kGasHostCall + 10);

  // Gas does not depend on whether anyone listens.
  chain.options() = ExecOptions{};
  EXPECT_EQ(call(id, "log", bytes_of("hello, log")).gas_used, logged.gas_used);

  // Nested frames are traced with their depth.
  trace.clear();
  chain.options().trace = &trace;
  const ContractId other = deploy(9);
  ASSERT_EQ(call(id, "relay", other).status, ExecStatus::success);
  const bool nested = std::any_of(trace.begin(), trace.end(), [&](const HostCallTrace& t) {
    return t.depth == 2 && t.contract == other;
  });
  EXPECT_TRUE(nested);
}

// ---- store failures ----

// A memory store whose storage reads fail once armed, as a broken disk would.
class FlakyStore : public ContractStore {
 public:
  Result<std::optional<ContractRecord>> record(const ContractId& id) const override {
    return inner.record(id);
  }
  Result<std::optional<Bytes>> storage(const ContractId& id, ByteSpan key) const override {
    if (broken) return Error{ErrorCode::io, "disk on fire"};
    return inner.storage(id, key);
  }
  Result<std::optional<Bytes>> code(const Hash256& hash) const override { return inner.code(hash); }

  MemoryContractStore inner;
  bool broken = false;
};

TEST(ExecutorStoreFailure, IsAnErrorAndLeavesNoCheckpointOpen) {
  auto engine = make_wabt_engine();
  Executor executor(*engine);
  FlakyStore store;
  auto transaction = [](PayloadKind kind, Bytes body) {
    Transaction tx;
    tx.inputs.push_back(TxIn{});
    tx.payload = Payload{kind, std::move(body)};
    return tx;
  };
  for (uint8_t s = 1; s <= 2; ++s) {
    StateOverlay overlay(store);
    const Transaction tx = transaction(
        kDeployPayload,
        encode_deploy_body(DeployBody{{kLocalDefaultGas, 1}, kFunding, salt(s), {}, test_contract(), {}}));
    Execution e = must(executor.execute(tx, kAlice, BlockEnv{1, 1}, overlay));
    ASSERT_EQ(e.status, ExecStatus::success) << e.message;
    store.inner.apply(overlay.changes());
  }
  const ContractId a = contract_id(kAlice, salt(1), contract_code_hash(test_contract()));
  const ContractId b = contract_id(kAlice, salt(2), contract_code_hash(test_contract()));
  store.broken = true;
  // A read in the transaction's frame, and a write (which reads the old value) in a
  // nested frame.
  for (auto [method, args] :
       {std::pair<std::string, Bytes>{"get", bytes_of("k")}, {"relay", Bytes(b.begin(), b.end())}}) {
    SCOPED_TRACE(method);
    StateOverlay overlay(store);
    const Transaction tx =
        transaction(kCallPayload, encode_call_body(CallBody{{kLocalDefaultGas, 1}, 7, a, method, args}));
    auto result = executor.execute(tx, kAlice, BlockEnv{2, 2}, overlay);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "disk on fire");
    // Every checkpoint was closed and the value credit undone: changes() may be read.
    const StateChanges changes = overlay.changes();
    EXPECT_TRUE(changes.records.empty());
    EXPECT_TRUE(changes.storage.empty());
  }
}

// ---- determinism ----

// The executor alone on a memory store, as the chain drives it.
struct Node {
  explicit Node(size_t cache_entries) : engine(make_wabt_engine()), executor(*engine, cache_entries) {}

  Execution run(PayloadKind kind, Bytes body, const Account& from, uint64_t height) {
    Transaction tx;
    tx.inputs.push_back(TxIn{});
    tx.payload = Payload{kind, std::move(body)};
    StateOverlay overlay(store);
    Execution e = must(executor.execute(tx, from, BlockEnv{height, 1'000 + height}, overlay));
    changes.push_back(overlay.changes());
    store.apply(changes.back());
    return e;
  }

  std::unique_ptr<Engine> engine;
  MemoryContractStore store;
  Executor executor;
  std::vector<StateChanges> changes;
};

void expect_same(const Execution& a, const Execution& b) {
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.gas_used, b.gas_used);
  EXPECT_EQ(a.contract, b.contract);
  EXPECT_EQ(a.return_data, b.return_data);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.transfers, b.transfers);
}

TEST(ExecutorDeterminism, SameTransactionsGiveSameGasResultsAndChanges) {
  // Module caches of different sizes must not change anything either.
  Node first(kDefaultModuleCacheEntries);
  Node second(0);
  Node third(1);
  auto bodies = [](const ContractId& a, const ContractId& b) {
    std::vector<std::pair<PayloadKind, Bytes>> txs;
    auto call_body = [](const ContractId& id, std::string method, Bytes args, Amount value) {
      return encode_call_body(CallBody{{1'000'000, 1}, value, id, std::move(method), std::move(args)});
    };
    txs.emplace_back(kCallPayload, call_body(a, "set", bytes_of("kvalue"), 5));
    txs.emplace_back(kCallPayload, call_body(a, "relay", Bytes(b.begin(), b.end()), 0));
    txs.emplace_back(kCallPayload, call_body(a, "call_fail", Bytes(b.begin(), b.end()), 0));
    txs.emplace_back(kCallPayload, call_body(b, "pay", cat({encode(kBob), le64(77)}), 0));
    txs.emplace_back(kCallPayload, call_body(b, "fail", {}, 9));
    txs.emplace_back(kCallPayload, call_body(a, "spin", {}, 0));
    txs.emplace_back(kUpgradePayload,
                     encode_upgrade_body(UpgradeBody{{1'000'000, 1}, a, test_contract_v2()}));
    txs.emplace_back(kCallPayload, call_body(a, "get", bytes_of("k"), 0));
    return txs;
  };
  std::vector<Node*> nodes{&first, &second, &third};
  std::vector<std::vector<Execution>> results(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    Node& node = *nodes[n];
    const auto deploy_body = [](uint8_t s, std::optional<Account> admin) {
      return encode_deploy_body(
          DeployBody{{kLocalDefaultGas, 1}, kFunding, salt(s), admin, test_contract(), {}});
    };
    Execution a = node.run(kDeployPayload, deploy_body(1, kAlice), kAlice, 1);
    Execution b = node.run(kDeployPayload, deploy_body(2, std::nullopt), kAlice, 1);
    ASSERT_EQ(a.status, ExecStatus::success) << a.message;
    ASSERT_EQ(b.status, ExecStatus::success) << b.message;
    results[n].push_back(a);
    results[n].push_back(b);
    uint64_t height = 2;
    for (auto& [kind, body] : bodies(a.contract, b.contract))
      results[n].push_back(node.run(kind, body, kAlice, height++));
  }
  ASSERT_EQ(results[0].size(), 10u);
  EXPECT_EQ(results[0][9].return_data, bytes_of("value"));  // upgraded, storage kept
  for (size_t n = 1; n < nodes.size(); ++n) {
    ASSERT_EQ(results[n].size(), results[0].size());
    for (size_t i = 0; i < results[0].size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "node " << n << " transaction " << i);
      expect_same(results[0][i], results[n][i]);
      EXPECT_EQ(nodes[n]->changes[i].records, first.changes[i].records);
      EXPECT_EQ(nodes[n]->changes[i].storage, first.changes[i].storage);
      EXPECT_EQ(nodes[n]->changes[i].codes, first.changes[i].codes);
    }
  }
  // A failed transaction changes nothing.
  EXPECT_TRUE(first.changes[6].records.empty() && first.changes[6].storage.empty());
  EXPECT_TRUE(first.changes[7].records.empty() && first.changes[7].storage.empty());
}

}  // namespace
}  // namespace cairn::contracts
