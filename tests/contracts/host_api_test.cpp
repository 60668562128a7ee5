// The host functions one by one, against a fake instance (a memory and a gas counter), so
// every charge, limit and memory check is seen exactly. executor_test.cpp runs them from
// real contracts.
#include "contracts/host_api.h"

#include <cstring>
#include <initializer_list>

#include <gtest/gtest.h>

#include "consensus/contract_rules.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace cairn::contracts {
namespace {

constexpr size_t kMemoryBytes = 131'072;  // two pages
constexpr uint64_t kGas = 10'000'000;
constexpr uint64_t kI32None = 0xFFFF'FFFF;

class FakeInstance : public Instance {
 public:
  std::optional<Trap> run(std::string_view) override { return std::nullopt; }
  uint64_t gas_left() const override { return gas_; }
  void set_gas_left(uint64_t gas) override { gas_ = gas; }
  std::span<uint8_t> memory() override { return memory_; }

  void put(uint64_t at, ByteSpan bytes) { std::memcpy(memory_.data() + at, bytes.data(), bytes.size()); }
  Bytes get(uint64_t at, size_t len) const {
    return Bytes(memory_.begin() + static_cast<ptrdiff_t>(at),
                 memory_.begin() + static_cast<ptrdiff_t>(at + len));
  }

 private:
  uint64_t gas_ = kGas;
  Bytes memory_ = Bytes(kMemoryBytes);
};

ContractId id_of(uint8_t n) {
  ContractId id;
  id.bytes[0] = n;
  return id;
}

Account key_account(uint8_t n) {
  Account a;
  a.kind = AccountKind::key;
  a.hash.bytes[5] = n;
  return a;
}

Bytes filled(size_t n, uint8_t byte) { return Bytes(n, byte); }

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

class HostApiTest : public ::testing::Test {
 protected:
  HostApiTest() { set_balance(self, 1'000'000'000); }

  void set_balance(const ContractId& id, Amount balance, uint64_t storage_bytes = 0) {
    ContractRecord r;
    r.balance = balance;
    r.storage_bytes = storage_bytes;
    state.put_record(id, r);
  }
  ContractRecord record(const ContractId& id) {
    auto r = state.record(id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return **r;
  }

  HostApi& host() {
    if (!host_) {
      host_.emplace(tx, Frame{self, caller, 77, input},
                    [this](const CallRequest& request) -> Result<CallOutcome> {
                      requests.push_back(request);
                      CallOutcome out = next_outcome;
                      out.gas_used = std::min(out.gas_used, request.gas);
                      return out;
                    });
    }
    return *host_;
  }

  std::variant<uint64_t, Trap> call(HostFunction f, std::initializer_list<uint64_t> args) {
    std::vector<uint64_t> a(args);
    return host().call(f, a, instance);
  }
  // Calls f, expects a value, and checks that exactly `gas` was charged.
  uint64_t ok(HostFunction f, std::initializer_list<uint64_t> args, uint64_t gas) {
    const uint64_t before = instance.gas_left();
    auto r = call(f, args);
    if (const Trap* t = std::get_if<Trap>(&r)) {
      ADD_FAILURE() << host_signature(f).name << " trapped: " << t->message;
      return 0;
    }
    EXPECT_EQ(before - instance.gas_left(), gas) << host_signature(f).name;
    return std::get<uint64_t>(r);
  }
  // Calls f, expects a trap of `kind`, and checks that `charged` was charged: nothing for
  // bad arguments, which are checked before gas is taken (unchecked when out of gas).
  Trap trapped(HostFunction f, std::initializer_list<uint64_t> args, TrapKind kind = TrapKind::trapped,
               uint64_t charged = 0) {
    const uint64_t before = instance.gas_left();
    auto r = call(f, args);
    if (!std::holds_alternative<Trap>(r)) {
      ADD_FAILURE() << host_signature(f).name << " did not trap";
      return {};
    }
    const Trap t = std::get<Trap>(r);
    EXPECT_EQ(t.kind, kind) << t.message;
    if (kind != TrapKind::out_of_gas) {
      EXPECT_EQ(before - instance.gas_left(), charged) << host_signature(f).name;
    }
    return t;
  }

  ContractId self = id_of(1);
  Account caller = key_account(9);
  Bytes input = {1, 2, 3, 4, 5};
  MemoryContractStore store;
  StateOverlay state{store};
  ExecOptions options;
  TxContext tx{state, BlockEnv{12, 3456}, options, {}, {}, {self}, std::nullopt};
  FakeInstance instance;
  std::vector<CallRequest> requests;
  CallOutcome next_outcome;

 private:
  std::optional<HostApi> host_;
};

constexpr uint64_t kEnd = kMemoryBytes;  // first offset outside memory

TEST_F(HostApiTest, InputSizeAndCopy) {
  EXPECT_EQ(ok(HostFunction::input_size, {}, kGasHostCall), input.size());
  EXPECT_EQ(ok(HostFunction::input_copy, {100}, kGasHostCall + input.size()), 0u);
  EXPECT_EQ(instance.get(100, input.size()), input);
  ok(HostFunction::input_copy, {kEnd - input.size()}, kGasHostCall + input.size());
  trapped(HostFunction::input_copy, {kEnd - input.size() + 1});
}

TEST_F(HostApiTest, SetReturnKeepsTheLastAndIsLimited) {
  instance.put(0, Bytes{7, 8, 9});
  ok(HostFunction::set_return, {0, 3}, kGasHostCall + 3);
  ok(HostFunction::set_return, {1, 2}, kGasHostCall + 2);
  EXPECT_EQ(host().return_data(), (Bytes{8, 9}));
  ok(HostFunction::set_return, {0, kMaxReturnDataBytes}, kGasHostCall + kMaxReturnDataBytes);
  EXPECT_EQ(host().return_data().size(), kMaxReturnDataBytes);
  const Trap t = trapped(HostFunction::set_return, {0, kMaxReturnDataBytes + 1});
  EXPECT_NE(t.message.find("set_return"), std::string::npos);
  trapped(HostFunction::set_return, {kEnd - 2, 3});
}

TEST_F(HostApiTest, CallerAndSelf) {
  ok(HostFunction::caller, {10}, kGasHostCall + kAccountBytes);
  EXPECT_EQ(instance.get(10, kAccountBytes), encode(caller));
  ok(HostFunction::self_id, {50}, kGasHostCall + 32);
  EXPECT_EQ(instance.get(50, 32), Bytes(self.begin(), self.end()));
  trapped(HostFunction::caller, {kEnd - kAccountBytes + 1});
  trapped(HostFunction::self_id, {kEnd - 31});
  trapped(HostFunction::self_id, {0xFFFF'FFFF});
}

TEST_F(HostApiTest, ValuesOfTheCallAndTheBlock) {
  EXPECT_EQ(ok(HostFunction::value, {}, kGasHostCall), 77u);
  EXPECT_EQ(ok(HostFunction::block_height, {}, kGasHostCall), 12u);
  EXPECT_EQ(ok(HostFunction::block_time, {}, kGasHostCall), 3456u);
  EXPECT_EQ(ok(HostFunction::balance, {}, kGasHostCall), 1'000'000'000u);
  // gas_left reports what is left after its own charge.
  const uint64_t reported = ok(HostFunction::gas_left, {}, kGasHostCall);
  EXPECT_EQ(reported, instance.gas_left());
}

TEST_F(HostApiTest, BalanceOfIsMinusOneForNoContract) {
  set_balance(id_of(2), 555);
  instance.put(0, id_of(2));
  instance.put(32, id_of(3));
  EXPECT_EQ(ok(HostFunction::balance_of, {0}, kGasHostCall + 32), 555u);
  EXPECT_EQ(ok(HostFunction::balance_of, {32}, kGasHostCall + 32), ~uint64_t{0});
  trapped(HostFunction::balance_of, {kEnd - 31});
}

TEST_F(HostApiTest, StorageWriteReadRemove) {
  instance.put(0, as_bytes("key"));
  instance.put(100, as_bytes("hello world"));
  // Absent: −1 as an i32, charged for the key only.
  EXPECT_EQ(ok(HostFunction::storage_read, {0, 3, 200, 64}, kGasHostCall + 3 + kGasStorageRead), kI32None);
  ok(HostFunction::storage_write, {0, 3, 100, 11},
     kGasHostCall + 14 + kGasStorageWrite + kGasStorageWritePerByte * 14);
  EXPECT_EQ(record(self).storage_bytes, storage_entry_bytes(3, 11));
  // Present: the full length, min(len, cap) bytes copied and charged.
  EXPECT_EQ(ok(HostFunction::storage_read, {0, 3, 200, 64}, kGasHostCall + 3 + 11 + kGasStorageRead), 11u);
  EXPECT_EQ(instance.get(200, 11), bytes_of("hello world"));
  EXPECT_EQ(ok(HostFunction::storage_read, {0, 3, 300, 5}, kGasHostCall + 3 + 5 + kGasStorageRead), 11u);
  EXPECT_EQ(instance.get(300, 6), (Bytes{'h', 'e', 'l', 'l', 'o', 0}));
  // Overwrite: storage_bytes follows the new size.
  ok(HostFunction::storage_write, {0, 3, 100, 5},
     kGasHostCall + 8 + kGasStorageWrite + kGasStorageWritePerByte * 8);
  EXPECT_EQ(record(self).storage_bytes, storage_entry_bytes(3, 5));
  // An empty value is a value.
  ok(HostFunction::storage_write, {0, 3, 100, 0},
     kGasHostCall + 3 + kGasStorageWrite + kGasStorageWritePerByte * 3);
  EXPECT_EQ(ok(HostFunction::storage_read, {0, 3, 300, 5}, kGasHostCall + 3 + kGasStorageRead), 0u);
  EXPECT_EQ(ok(HostFunction::storage_remove, {0, 3}, kGasHostCall + 3 + kGasStorageRemove), 1u);
  EXPECT_EQ(record(self).storage_bytes, 0u);
  EXPECT_EQ(ok(HostFunction::storage_remove, {0, 3}, kGasHostCall + 3 + kGasStorageRemove), 0u);
  auto stored = state.storage(self, as_bytes("key"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::nullopt);
}

TEST_F(HostApiTest, StorageKeyAndValueLimits) {
  ok(HostFunction::storage_write, {0, kMaxStorageKeyBytes, 0, 0},
     kGasHostCall + kMaxStorageKeyBytes + kGasStorageWrite + kGasStorageWritePerByte * kMaxStorageKeyBytes);
  trapped(HostFunction::storage_write, {0, kMaxStorageKeyBytes + 1, 0, 0});
  trapped(HostFunction::storage_write, {0, 0, 0, 0});
  trapped(HostFunction::storage_read, {0, 0, 0, 0});
  trapped(HostFunction::storage_read, {0, kMaxStorageKeyBytes + 1, 0, 0});
  trapped(HostFunction::storage_remove, {0, 0});
  trapped(HostFunction::storage_remove, {0, kMaxStorageKeyBytes + 1});
  const uint64_t bytes = 1 + kMaxStorageValueBytes;
  ok(HostFunction::storage_write, {0, 1, 0, kMaxStorageValueBytes},
     kGasHostCall + bytes + kGasStorageWrite + kGasStorageWritePerByte * bytes);
  const Trap t = trapped(HostFunction::storage_write, {0, 1, 0, kMaxStorageValueBytes + 1});
  EXPECT_NE(t.message.find("storage value"), std::string::npos);
  // Ranges.
  trapped(HostFunction::storage_write, {kEnd - 1, 2, 0, 0});
  trapped(HostFunction::storage_write, {0, 1, kEnd - 1, 2});
  trapped(HostFunction::storage_read, {kEnd - 1, 2, 0, 0});
  trapped(HostFunction::storage_read, {0, 1, kEnd - 1, 2});
  trapped(HostFunction::storage_remove, {kEnd, 1});
}

TEST_F(HostApiTest, StorageDepositAtTheBoundary) {
  // Exactly the deposit of one 1-byte key with a 10-byte value.
  const Amount deposit = *storage_deposit(storage_entry_bytes(1, 10));
  set_balance(self, deposit);
  instance.put(0, Bytes{1, 2});
  // The deposit is checked when the write is made: after its gas is charged.
  const uint64_t gas12 = kGasHostCall + 12 + kGasStorageWrite + kGasStorageWritePerByte * 12;
  const Trap t = trapped(HostFunction::storage_write, {0, 1, 0, 11}, TrapKind::trapped, gas12);
  EXPECT_NE(t.message.find("deposit"), std::string::npos);
  ok(HostFunction::storage_write, {0, 1, 0, 10},
     kGasHostCall + 11 + kGasStorageWrite + kGasStorageWritePerByte * 11);
  // Shrinking needs less; a second entry needs more than there is.
  ok(HostFunction::storage_write, {0, 1, 0, 9},
     kGasHostCall + 10 + kGasStorageWrite + kGasStorageWritePerByte * 10);
  trapped(HostFunction::storage_write, {1, 1, 0, 0}, TrapKind::trapped,
          kGasHostCall + 1 + kGasStorageWrite + kGasStorageWritePerByte * 1);
  EXPECT_EQ(record(self).storage_bytes, storage_entry_bytes(1, 9));
}

TEST_F(HostApiTest, EmitAndItsLimits) {
  instance.put(0, filled(32 * 4, 0xAB));
  instance.put(1000, as_bytes("data"));
  ok(HostFunction::emit, {0, 2, 1000, 4},
     kGasHostCall + 64 + 4 + kGasEmit + 2 * kGasEmitPerTopic + 4 * kGasEmitPerByte);
  ASSERT_EQ(tx.events.size(), 1u);
  EXPECT_EQ(tx.events[0].contract, self);
  ASSERT_EQ(tx.events[0].topics.size(), 2u);
  EXPECT_EQ(tx.events[0].topics[1].bytes[31], 0xAB);
  EXPECT_EQ(tx.events[0].data, (Bytes{'d', 'a', 't', 'a'}));

  ok(HostFunction::emit, {0, kMaxEventTopics, 0, kMaxEventDataBytes},
     kGasHostCall + 32 * kMaxEventTopics + kMaxEventDataBytes + kGasEmit +
         kMaxEventTopics * kGasEmitPerTopic + kMaxEventDataBytes * kGasEmitPerByte);
  trapped(HostFunction::emit, {0, kMaxEventTopics + 1, 0, 0});
  trapped(HostFunction::emit, {0, 0, 0, kMaxEventDataBytes + 1});
  trapped(HostFunction::emit, {kEnd - 32, 2, 0, 0});
  trapped(HostFunction::emit, {0, 0, kEnd - 1, 2});
  while (tx.events.size() < kMaxEventsPerTransaction)
    ok(HostFunction::emit, {0, 0, 0, 0}, kGasHostCall + kGasEmit);
  const Trap t = trapped(HostFunction::emit, {0, 0, 0, 0});
  EXPECT_NE(t.message.find("events"), std::string::npos);
}

TEST_F(HostApiTest, CallHandsTheRequestOnAndChargesTheCallee) {
  const ContractId other = id_of(2);
  instance.put(0, other);
  instance.put(40, as_bytes("transfer"));
  instance.put(60, Bytes{1, 2, 3});
  next_outcome = CallOutcome{ExecStatus::success, 700, Bytes{4, 5}};
  const uint64_t base = kGasHostCall + 32 + 8 + 3 + kGasContractCall;
  EXPECT_EQ(ok(HostFunction::call, {0, 40, 8, 60, 3, 9, 5'000}, base + 700), 0u);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].contract, other);
  EXPECT_EQ(requests[0].method, "transfer");
  EXPECT_EQ(requests[0].input, (Bytes{1, 2, 3}));
  EXPECT_EQ(requests[0].value, 9u);
  EXPECT_EQ(requests[0].gas, 5'000u);
  EXPECT_EQ(ok(HostFunction::return_data_size, {}, kGasHostCall), 2u);
  ok(HostFunction::return_data_copy, {500}, kGasHostCall + 2);
  EXPECT_EQ(instance.get(500, 2), (Bytes{4, 5}));
  trapped(HostFunction::return_data_copy, {kEnd - 1});

  // gas 0 and gas above what is left both give all that is left; a failure's status is
  // the result and its return data is empty.
  next_outcome = CallOutcome{ExecStatus::out_of_gas, ~uint64_t{0}, {}};
  const uint64_t left = instance.gas_left() - base;
  EXPECT_EQ(ok(HostFunction::call, {0, 40, 8, 60, 3, 0, 0}, base + left), 2u);
  EXPECT_EQ(requests[1].gas, left);
  EXPECT_EQ(instance.gas_left(), 0u);
  instance.set_gas_left(kGas);
  next_outcome = CallOutcome{ExecStatus::reentrancy, 0, {}};
  EXPECT_EQ(ok(HostFunction::call, {0, 40, 8, 60, 3, 0, kGas * 2}, base), 10u);
  EXPECT_EQ(requests[2].gas, kGas - base);
  EXPECT_EQ(ok(HostFunction::return_data_size, {}, kGasHostCall), 0u);

  trapped(HostFunction::call, {kEnd - 31, 40, 8, 60, 3, 0, 0});
  trapped(HostFunction::call, {0, kEnd - 7, 8, 60, 3, 0, 0});
  trapped(HostFunction::call, {0, 40, 8, kEnd - 2, 3, 0, 0});
  EXPECT_EQ(requests.size(), 3u);
}

TEST_F(HostApiTest, TransferCodes) {
  set_balance(self, 1'000, 5);  // deposit 500: 500 may leave
  set_balance(id_of(2), 10);
  const Account to_key = key_account(4);
  Account to_lock = key_account(5);
  to_lock.kind = AccountKind::lock;
  instance.put(0, encode(to_key));
  instance.put(40, encode(to_lock));
  instance.put(80, encode(contract_account(id_of(2))));
  instance.put(120, encode(contract_account(id_of(3))));
  Bytes bad = encode(to_key);
  bad[0] = 4;
  instance.put(160, bad);
  const uint64_t gas = kGasHostCall + kAccountBytes + kGasTransfer;

  EXPECT_EQ(ok(HostFunction::transfer, {0, 100}, gas), 0u);
  EXPECT_EQ(ok(HostFunction::transfer, {40, 150}, gas), 0u);
  EXPECT_EQ(ok(HostFunction::transfer, {80, 50}, gas), 0u);
  EXPECT_EQ(record(self).balance, 700u);
  EXPECT_EQ(record(id_of(2)).balance, 60u);
  ASSERT_EQ(tx.transfers.size(), 2u);
  EXPECT_EQ(tx.transfers[0], (TxOut{100, *output_lock_of(to_key)}));
  EXPECT_EQ(tx.transfers[1], (TxOut{150, *output_lock_of(to_lock)}));

  EXPECT_EQ(ok(HostFunction::transfer, {120, 1}, gas), 2u);            // no such contract
  EXPECT_EQ(ok(HostFunction::transfer, {160, 1}, gas), 3u);            // bad kind
  EXPECT_EQ(ok(HostFunction::transfer, {0, 0}, gas), 3u);              // nothing
  EXPECT_EQ(ok(HostFunction::transfer, {0, ~uint64_t{0}}, gas), 3u);   // negative
  EXPECT_EQ(ok(HostFunction::transfer, {0, kMaxMoney + 1}, gas), 3u);  // above all money
  EXPECT_EQ(ok(HostFunction::transfer, {0, 201}, gas), 1u);            // 200 above the deposit
  EXPECT_EQ(ok(HostFunction::transfer, {0, 200}, gas), 0u);            // exactly what is free
  EXPECT_EQ(ok(HostFunction::transfer, {0, 1}, gas), 1u);
  EXPECT_EQ(record(self).balance, *storage_deposit(5));
  EXPECT_EQ(tx.transfers.size(), 3u);
  trapped(HostFunction::transfer, {kEnd - 32, 1});
}

TEST_F(HostApiTest, Blake3IsPlain) {
  instance.put(0, as_bytes("abc"));
  ok(HostFunction::blake3, {0, 3, 100}, kGasHostCall + 3 + 32);
  const Hash256 expected = cairn::blake3(as_bytes("abc"));
  EXPECT_EQ(instance.get(100, 32), Bytes(expected.begin(), expected.end()));
  EXPECT_EQ(to_hex(instance.get(100, 32)),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
  trapped(HostFunction::blake3, {kEnd - 2, 3, 100});
  trapped(HostFunction::blake3, {0, 3, kEnd - 31});
}

TEST_F(HostApiTest, Ed25519Verify) {
  Seed seed;
  seed.bytes[0] = 42;
  const KeyPair key = KeyPair::from_seed(seed);
  const Signature sig = key.sign(as_bytes("message"));
  instance.put(0, key.public_key());
  instance.put(100, as_bytes("message"));
  instance.put(200, sig);
  const uint64_t gas = kGasHostCall + 32 + 7 + 64 + kGasEd25519Verify;
  EXPECT_EQ(ok(HostFunction::ed25519_verify, {0, 100, 7, 200}, gas), 1u);
  EXPECT_EQ(ok(HostFunction::ed25519_verify, {0, 100, 6, 200}, gas - 1), 0u);
  instance.put(200, Bytes{static_cast<uint8_t>(sig.bytes[0] ^ 1)});
  EXPECT_EQ(ok(HostFunction::ed25519_verify, {0, 100, 7, 200}, gas), 0u);
  trapped(HostFunction::ed25519_verify, {kEnd - 31, 100, 7, 200});
  trapped(HostFunction::ed25519_verify, {0, kEnd - 6, 7, 200});
  trapped(HostFunction::ed25519_verify, {0, 100, 7, kEnd - 63});
}

TEST_F(HostApiTest, AbortKeepsTheFirst256Bytes) {
  instance.put(0, as_bytes("stop here"));
  Trap t = trapped(HostFunction::abort, {0, 9}, TrapKind::aborted, kGasHostCall + 9);
  EXPECT_EQ(t.message, "stop here");
  instance.put(1000, filled(300, 'x'));
  // Only the kept bytes are copied, and charged.
  t = trapped(HostFunction::abort, {1000, 300}, TrapKind::aborted, kGasHostCall + kMaxStatusMessageBytes);
  EXPECT_EQ(t.message, std::string(kMaxStatusMessageBytes, 'x'));
  trapped(HostFunction::abort, {kEnd - 1, 2});
}

TEST_F(HostApiTest, DebugLogIsChargedWithOrWithoutAListener) {
  instance.put(0, as_bytes("hi there"));
  ok(HostFunction::debug_log, {0, 8}, kGasHostCall + 8);
  std::vector<std::string> lines;
  options.debug_log = [&](std::string_view line) { lines.emplace_back(line); };
  ok(HostFunction::debug_log, {0, 2}, kGasHostCall + 2);
  EXPECT_EQ(lines, std::vector<std::string>{"hi"});
  trapped(HostFunction::debug_log, {kEnd - 1, 2});
}

TEST_F(HostApiTest, OutOfGasLeavesNothingAndTheCounterAtZero) {
  instance.put(0, as_bytes("key"));
  instance.set_gas_left(kGasHostCall + 3 + kGasStorageWrite + kGasStorageWritePerByte * 3 - 1);
  trapped(HostFunction::storage_write, {0, 3, 0, 0}, TrapKind::out_of_gas);
  EXPECT_EQ(instance.gas_left(), 0u);
  auto stored = state.storage(self, as_bytes("key"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::nullopt);
  // Exactly enough is enough.
  instance.set_gas_left(kGasHostCall + 3 + kGasStorageWrite + kGasStorageWritePerByte * 3);
  ok(HostFunction::storage_write, {0, 3, 0, 0}, instance.gas_left());
  EXPECT_EQ(instance.gas_left(), 0u);
}

TEST_F(HostApiTest, TraceRecordsEachCall) {
  std::vector<HostCallTrace> trace;
  options.trace = &trace;
  ok(HostFunction::input_size, {}, kGasHostCall);
  trapped(HostFunction::input_copy, {kEnd});
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].function, HostFunction::input_size);
  EXPECT_EQ(trace[0].depth, 1u);
  EXPECT_EQ(trace[0].contract, self);
  EXPECT_EQ(trace[0].result, input.size());
  EXPECT_EQ(trace[0].gas_before - trace[0].gas_after, kGasHostCall);
  EXPECT_EQ(trace[1].function, HostFunction::input_copy);
  EXPECT_EQ(trace[1].args, std::vector<uint64_t>{kEnd});
}

}  // namespace
}  // namespace cairn::contracts
