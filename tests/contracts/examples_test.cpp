// The four example contracts (examples/contracts/, docs/contracts.md §11) run through
// LocalChain from the .wasm and .abi.json files the build made: arguments are encoded and
// return data and events decoded by a small ABI codec driven by the ABI JSON (so the ABI
// files are checked against the modules too), independently of the SDK's own codec.
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "contracts/local_chain.h"
#include "crypto/hash.h"
#include "util/codec.h"

namespace cairn::contracts {
namespace {

using nlohmann::json;

#ifdef CAIRN_EXAMPLES_DIR
constexpr const char* kExamplesDir = CAIRN_EXAMPLES_DIR;
#else
constexpr const char* kExamplesDir = "";
#endif

constexpr Amount kDeployValue = 10'000'000;  // covers every example's storage deposits here

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Account key_account(uint8_t n) {
  Account a;
  a.kind = AccountKind::key;
  a.hash.bytes[0] = 0xA0;
  a.hash.bytes[31] = n;
  return a;
}

// Accounts travel in the test's JSON values as the hex of their 33-byte encoding.
std::string hex_of(const Account& a) { return to_hex(encode(a)); }

// ---- A canonical-encoding codec driven by ABI type names (docs/contracts.md §10) ---------

class AbiCodec {
 public:
  explicit AbiCodec(json abi) : abi_(std::move(abi)) {}

  // The input of `method` ("init" for the constructor) from JSON values in parameter order.
  Bytes args(const std::string& method, const json& values) const {
    const json& inputs =
        method == "init" ? abi_.at("constructor").at("inputs") : find_method(method).at("inputs");
    EXPECT_EQ(inputs.size(), values.size()) << method;
    Writer w;
    for (size_t i = 0; i < inputs.size() && i < values.size(); ++i)
      encode(w, inputs[i].at("type").get<std::string>(), values[i]);
    return w.take();
  }

  // The return data of `method` decoded to JSON (null when the method returns nothing).
  json output(const std::string& method, ByteSpan data) const {
    const json& type = find_method(method).at("output");
    if (type.is_null()) {
      EXPECT_TRUE(data.empty());
      return nullptr;
    }
    Reader r(data);
    json value = decode(r, type.get<std::string>());
    EXPECT_TRUE(r.ok() && r.remaining() == 0) << method;
    return value;
  }

  const json& event(const std::string& name) const {
    for (const json& e : abi_.at("events"))
      if (e.at("name") == name) return e;
    ADD_FAILURE() << "no event " << name;
    static const json none;
    return none;
  }

  // An event's fields decoded from its data, by name.
  json event_fields(const std::string& name, ByteSpan data) const {
    Reader r(data);
    json out = json::object();
    for (const json& f : event(name).at("fields"))
      out[f.at("name").get<std::string>()] = decode(r, f.at("type").get<std::string>());
    EXPECT_TRUE(r.ok() && r.remaining() == 0) << name;
    return out;
  }

  void encode(Writer& w, const std::string& type, const json& v) const {
    if (type == "u8") return w.u8(v.get<uint8_t>());
    if (type == "u16") return w.u16(v.get<uint16_t>());
    if (type == "u32") return w.u32(v.get<uint32_t>());
    if (type == "u64") return w.u64(v.get<uint64_t>());
    if (type == "i32") return w.u32(static_cast<uint32_t>(v.get<int32_t>()));
    if (type == "i64") return w.u64(static_cast<uint64_t>(v.get<int64_t>()));
    if (type == "bool") return w.u8(v.get<bool>() ? 1 : 0);
    if (type == "string") return w.bytes(as_bytes(v.get<std::string>()));
    if (type == "bytes") return w.bytes(from_hex(v.get<std::string>()).value());
    if (type == "account" || type == "hash") return w.raw(from_hex(v.get<std::string>()).value());
    if (type.starts_with("list<")) {
      w.varint(v.size());
      for (const json& item : v) encode(w, type.substr(5, type.size() - 6), item);
      return;
    }
    const json& s = find_struct(type);
    for (const json& f : s.at("fields"))
      encode(w, f.at("type").get<std::string>(), v.at(f.at("name").get<std::string>()));
  }

  json decode(Reader& r, const std::string& type) const {
    if (type == "u8") return r.u8("u8");
    if (type == "u16") return r.u16("u16");
    if (type == "u32") return r.u32("u32");
    if (type == "u64") return r.u64("u64");
    if (type == "i32") return static_cast<int32_t>(r.u32("i32"));
    if (type == "i64") return static_cast<int64_t>(r.u64("i64"));
    if (type == "bool") return r.u8("bool") == 1;
    if (type == "string") {
      Bytes b = r.bytes("string", 1 << 20);
      return std::string(b.begin(), b.end());
    }
    if (type == "bytes") return to_hex(r.bytes("bytes", 1 << 20));
    if (type == "account") return to_hex(r.fixed<kAccountBytes>("account").bytes);
    if (type == "hash") return to_hex(r.fixed<32>("hash").bytes);
    if (type.starts_with("list<")) {
      json out = json::array();
      uint64_t n = r.varint("count");
      for (uint64_t i = 0; i < n && r.ok(); ++i) out.push_back(decode(r, type.substr(5, type.size() - 6)));
      return out;
    }
    json out = json::object();
    for (const json& f : find_struct(type).at("fields"))
      out[f.at("name").get<std::string>()] = decode(r, f.at("type").get<std::string>());
    return out;
  }

 private:
  const json& find_method(const std::string& name) const {
    for (const json& m : abi_.at("methods"))
      if (m.at("name") == name) return m;
    ADD_FAILURE() << "no method " << name;
    static const json none = json{{"inputs", json::array()}, {"output", nullptr}};
    return none;
  }
  const json& find_struct(const std::string& name) const {
    for (const json& s : abi_.at("structs"))
      if (s.at("name") == name) return s;
    throw std::runtime_error("unknown ABI type " + name);
  }

  json abi_;
};

// ---- One example contract on a LocalChain ------------------------------------------------

class ExampleTest : public ::testing::Test {
 protected:
  // Loads <name>.wasm and <name>.abi.json and deploys with `init_args` (JSON, ABI order).
  void deploy(const std::string& name, const json& init_args, const Account& from,
              Amount value = kDeployValue) {
    if (std::string(kExamplesDir).empty())
      GTEST_SKIP() << "the examples were not built (no clang-14/wasm-ld-14)";
    std::string base = std::string(kExamplesDir) + "/" + name;
    code_ = read_file(base + ".wasm");
    ASSERT_FALSE(code_.empty()) << base << ".wasm";
    std::ifstream abi_file(base + ".abi.json");
    abi_ = std::make_unique<AbiCodec>(json::parse(abi_file));
    Bytes args = init_args.is_null() ? Bytes{} : abi_->args("init", init_args);
    auto run = chain_.deploy(code_, args, from, value);
    ASSERT_TRUE(run.ok()) << run.error().message;
    ASSERT_EQ(run->status, ExecStatus::success) << run->message;
    contract_ = run->contract;
    last_ = *run;
  }

  // A call transaction; last_ keeps its Execution.
  ExecStatus call(const std::string& method, const json& args, const Account& from, Amount value = 0) {
    auto run = chain_.call(contract_, method, abi_->args(method, args), from, value);
    EXPECT_TRUE(run.ok());
    if (!run.ok()) return ExecStatus::trapped;
    last_ = *run;
    return run->status;
  }

  // Expects the call to abort with `message`.
  void expect_abort(const std::string& method, const json& args, const Account& from,
                    const std::string& message, Amount value = 0) {
    EXPECT_EQ(call(method, args, from, value), ExecStatus::aborted) << method;
    EXPECT_EQ(last_.message, message) << method;
    EXPECT_TRUE(last_.events.empty());
    EXPECT_TRUE(last_.transfers.empty());
  }

  // The decoded result of a successful call.
  json call_ok(const std::string& method, const json& args, const Account& from, Amount value = 0) {
    EXPECT_EQ(call(method, args, from, value), ExecStatus::success) << method << ": " << last_.message;
    return abi_->output(method, last_.return_data);
  }

  // A read-only query's decoded result.
  json query(const std::string& method, const json& args = json::array(),
             const Account& from = key_account(0)) {
    auto run = chain_.query(contract_, method, abi_->args(method, args), from);
    EXPECT_TRUE(run.ok());
    if (!run.ok()) return nullptr;
    EXPECT_EQ(run->status, ExecStatus::success) << method << ": " << run->message;
    return abi_->output(method, run->return_data);
  }

  // Checks that event `index` of the last execution is `name` with `fields`, its topic 0
  // the ABI's id (= BLAKE3 of the name) and one topic per indexed field (events.h).
  void expect_event(size_t index, const std::string& name, const json& fields) {
    ASSERT_LT(index, last_.events.size());
    const Event& e = last_.events[index];
    EXPECT_EQ(e.contract, contract_);
    const json& spec = abi_->event(name);
    ASSERT_FALSE(e.topics.empty());
    EXPECT_EQ(e.topics[0], blake3(as_bytes(name)));
    EXPECT_EQ(e.topics[0].hex(), spec.at("id").get<std::string>());
    EXPECT_EQ(abi_->event_fields(name, e.data), fields);
    size_t topic = 1;
    for (const json& f : spec.at("fields")) {
      if (!f.at("indexed").get<bool>()) continue;
      ASSERT_LT(topic, e.topics.size());
      Writer w;
      abi_->encode(w, f.at("type").get<std::string>(), fields.at(f.at("name").get<std::string>()));
      Hash256 expected;
      const std::string type = f.at("type").get<std::string>();
      if (type == "account" || type == "string" || type == "bytes" || type.starts_with("list<") ||
          !(type.starts_with("u") || type.starts_with("i") || type == "bool" || type == "hash")) {
        expected = blake3(w.data());
      } else {
        std::memcpy(expected.bytes.data(), w.data().data(), w.data().size());
      }
      EXPECT_EQ(e.topics[topic], expected) << name << "." << f.at("name");
      ++topic;
    }
    EXPECT_EQ(topic, e.topics.size());
  }

  LocalChain chain_;
  Bytes code_;
  std::unique_ptr<AbiCodec> abi_;
  ContractId contract_;
  Execution last_;
};

// A salt other than the fixture's (0), for a second deploy of the same code by kAlice.
Hash256 other_salt() {
  Hash256 salt;
  salt.bytes[0] = 1;
  return salt;
}

const Account kAlice = key_account(1);
const Account kBob = key_account(2);
const Account kCarol = key_account(3);
const Account kDave = key_account(4);

// ---- token -------------------------------------------------------------------------------

class TokenTest : public ExampleTest {
 protected:
  void SetUp() override { deploy("token", {"Cairn Test Token", "CTT", 8, 1'000'000}, kAlice); }
  uint64_t balance(const Account& who) { return query("balance_of", {hex_of(who)}).get<uint64_t>(); }
};

TEST_F(TokenTest, InitMintsTheSupplyToTheDeployer) {
  EXPECT_EQ(query("name"), "Cairn Test Token");
  EXPECT_EQ(query("symbol"), "CTT");
  EXPECT_EQ(query("decimals"), 8);
  EXPECT_EQ(query("total_supply"), 1'000'000);
  EXPECT_EQ(balance(kAlice), 1'000'000u);
  EXPECT_EQ(balance(kBob), 0u);
  ASSERT_EQ(last_.events.size(), 1u);
  expect_event(0, "Minted", {{"to", hex_of(kAlice)}, {"amount", 1'000'000}});
}

TEST_F(TokenTest, InitRefusesBadMetadata) {
  auto run = chain_.deploy(code_, abi_->args("init", {"Name", "", 8, 1}), kAlice, kDeployValue,
                           kLocalDefaultGas, other_salt());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, ExecStatus::aborted);
  EXPECT_EQ(run->message, "symbol: 1 to 12 bytes");
  run = chain_.deploy(code_, abi_->args("init", {"Name", "SYM", 19, 1}), kAlice, kDeployValue,
                      kLocalDefaultGas, other_salt());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->message, "decimals: at most 18");
}

TEST_F(TokenTest, TransferMovesCoinsAndEmitsTransfer) {
  EXPECT_EQ(call_ok("transfer", {hex_of(kBob), 300}, kAlice), true);
  ASSERT_EQ(last_.events.size(), 1u);
  expect_event(0, "Transfer", {{"from", hex_of(kAlice)}, {"to", hex_of(kBob)}, {"amount", 300}});
  EXPECT_EQ(balance(kAlice), 999'700u);
  EXPECT_EQ(balance(kBob), 300u);
  EXPECT_EQ(call_ok("transfer", {hex_of(kAlice), 300}, kAlice), true);  // to oneself: nothing changes
  EXPECT_EQ(balance(kAlice), 999'700u);
  EXPECT_EQ(query("total_supply"), 1'000'000);
}

// What the SDK's code costs, so a change that bloats it shows (docs/contracts.md §11 quotes
// these figures): a deploy of the token and a transfer to a new holder.
TEST_F(TokenTest, DeployAndTransferGasStayBounded) {
  auto run = chain_.deploy(code_, abi_->args("init", {"Name", "SYM", 8, 1'000}), kAlice, kDeployValue,
                           kLocalDefaultGas, other_salt());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, ExecStatus::success);
  // 60 gas per code byte: 50 for code and 10 for payload bytes (docs/contracts.md §3).
  EXPECT_LT(run->gas_used, 800'000u) << "deploy";  // 721,952 when written (11,389 bytes)
  call_ok("transfer", {hex_of(kBob), 1}, kAlice);
  EXPECT_LT(last_.gas_used, 45'000u) << "transfer";  // 37,817 when written
}

TEST_F(TokenTest, InsufficientBalanceAbortsAndKeepsBalances) {
  call_ok("transfer", {hex_of(kBob), 100}, kAlice);
  expect_abort("transfer", {hex_of(kCarol), 101}, kBob, "insufficient balance");
  EXPECT_EQ(balance(kBob), 100u);
  EXPECT_EQ(balance(kCarol), 0u);
  expect_abort("transfer", {hex_of(kAlice), 1}, kDave, "insufficient balance");
}

TEST_F(TokenTest, AnEmptiedBalanceIsErasedFromStorage) {
  call_ok("transfer", {hex_of(kBob), 100}, kAlice);
  // docs/contracts.md §10: Map "balances" keys are "balances:" ‖ enc(account).
  Bytes key(std::string_view("balances:").begin(), std::string_view("balances:").end());
  Bytes bob = encode(kBob);
  key.insert(key.end(), bob.begin(), bob.end());
  auto stored = chain_.storage(contract_, key);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, (Bytes{100, 0, 0, 0, 0, 0, 0, 0}));
  call_ok("transfer", {hex_of(kCarol), 100}, kBob);
  EXPECT_FALSE(chain_.storage(contract_, key).has_value());
}

TEST_F(TokenTest, ApproveAndTransferFromSpendTheAllowance) {
  EXPECT_EQ(call_ok("approve", {hex_of(kBob), 500}, kAlice), true);
  expect_event(0, "Approval", {{"owner", hex_of(kAlice)}, {"spender", hex_of(kBob)}, {"amount", 500}});
  EXPECT_EQ(query("allowance", {hex_of(kAlice), hex_of(kBob)}), 500);
  EXPECT_EQ(call_ok("transfer_from", {hex_of(kAlice), hex_of(kCarol), 200}, kBob), true);
  expect_event(0, "Transfer", {{"from", hex_of(kAlice)}, {"to", hex_of(kCarol)}, {"amount", 200}});
  EXPECT_EQ(query("allowance", {hex_of(kAlice), hex_of(kBob)}), 300);
  EXPECT_EQ(balance(kCarol), 200u);
  expect_abort("transfer_from", {hex_of(kAlice), hex_of(kCarol), 301}, kBob, "insufficient allowance");
  expect_abort("transfer_from", {hex_of(kAlice), hex_of(kDave), 1}, kCarol, "insufficient allowance");
  EXPECT_EQ(call_ok("transfer_from", {hex_of(kAlice), hex_of(kBob), 300}, kBob), true);
  EXPECT_EQ(query("allowance", {hex_of(kAlice), hex_of(kBob)}), 0);
}

TEST_F(TokenTest, AllowanceDoesNotOutrunTheOwnersBalance) {
  call_ok("transfer", {hex_of(kBob), 10}, kAlice);
  call_ok("approve", {hex_of(kCarol), 1'000}, kBob);
  expect_abort("transfer_from", {hex_of(kBob), hex_of(kCarol), 11}, kCarol, "insufficient balance");
  EXPECT_EQ(query("allowance", {hex_of(kBob), hex_of(kCarol)}), 1'000);  // reverted with the call
}

TEST_F(TokenTest, OwnerPausesAndUnpausesTransfers) {
  EXPECT_EQ(query("owner"), hex_of(kAlice));
  // docs/contracts.md §10: the SDK's owner entry is ".owner" = enc(account).
  EXPECT_EQ(chain_.storage(contract_, as_bytes(".owner")), encode(kAlice));
  expect_abort("pause", json::array(), kBob, "caller is not the owner");
  call_ok("pause", json::array(), kAlice);
  EXPECT_EQ(query("paused"), true);
  EXPECT_EQ(chain_.storage(contract_, as_bytes(".paused")), (Bytes{1}));
  expect_abort("transfer", {hex_of(kBob), 1}, kAlice, "paused");
  expect_abort("approve", {hex_of(kBob), 1}, kAlice, "paused");
  call_ok("unpause", json::array(), kAlice);
  EXPECT_EQ(query("paused"), false);
  EXPECT_FALSE(chain_.storage(contract_, as_bytes(".paused")).has_value());
  EXPECT_EQ(call_ok("transfer", {hex_of(kBob), 1}, kAlice), true);
}

TEST_F(TokenTest, OnlyMintersMintAndTheOwnerGrantsTheRole) {
  expect_abort("mint", {hex_of(kCarol), 50}, kBob, "caller lacks the role");
  expect_abort("grant_minter", {hex_of(kBob)}, kBob, "caller is not the owner");
  call_ok("grant_minter", {hex_of(kBob)}, kAlice);
  EXPECT_EQ(query("is_minter", {hex_of(kBob)}), true);
  call_ok("mint", {hex_of(kCarol), 50}, kBob);
  expect_event(0, "Minted", {{"to", hex_of(kCarol)}, {"amount", 50}});
  EXPECT_EQ(balance(kCarol), 50u);
  EXPECT_EQ(query("total_supply"), 1'000'050);
  expect_abort("mint", {hex_of(kCarol), UINT64_MAX}, kBob, "overflow");
  call_ok("revoke_minter", {hex_of(kBob)}, kAlice);
  expect_abort("mint", {hex_of(kCarol), 1}, kBob, "caller lacks the role");
  EXPECT_EQ(query("total_supply"), 1'000'050);
}

TEST_F(TokenTest, OwnershipCanBeHandedOver) {
  expect_abort("transfer_ownership", {hex_of(kBob)}, kBob, "caller is not the owner");
  call_ok("transfer_ownership", {hex_of(kBob)}, kAlice);
  EXPECT_EQ(query("owner"), hex_of(kBob));
  expect_abort("pause", json::array(), kAlice, "caller is not the owner");
  call_ok("pause", json::array(), kBob);
}

TEST_F(TokenTest, NonPayableMethodsRefuseValueAndFundAcceptsIt) {
  expect_abort("transfer", {hex_of(kBob), 1}, kAlice, "method is not payable", 5);
  Amount before = chain_.record(contract_)->balance;
  EXPECT_EQ(call("fund", json::array(), kBob, 1'000), ExecStatus::success);
  EXPECT_EQ(chain_.record(contract_)->balance, before + 1'000);
}

TEST_F(TokenTest, MalformedInputAborts) {
  Bytes args = abi_->args("transfer", {hex_of(kBob), 1});
  args.push_back(0);  // a trailing byte
  auto run = chain_.call(contract_, "transfer", args, kAlice);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, ExecStatus::aborted);
  EXPECT_EQ(run->message, "bad input: trailing bytes");
  args.resize(10);  // truncated
  run = chain_.call(contract_, "transfer", args, kAlice);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->message, "bad input: truncated");
  Bytes bad_kind = abi_->args("transfer", {hex_of(kBob), 1});
  bad_kind[0] = 9;
  run = chain_.call(contract_, "transfer", bad_kind, kAlice);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->message, "bad input: account kind");
}

TEST_F(TokenTest, ConstructorAndReservedNamesCannotBeCalled) {
  auto run = chain_.call(contract_, "init", abi_->args("init", {"X", "X", 0, 1}), kAlice);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, ExecStatus::no_method);
}

// ---- escrow ------------------------------------------------------------------------------

class EscrowTest : public ExampleTest {
 protected:
  static constexpr Amount kAmount = 5'000'000;
  void SetUp() override {
    deploy("escrow", json::array(), kAlice, 100'000);
    deposit_ = query("deal_deposit").get<uint64_t>();
  }
  // kAlice buys from kBob with kCarol as arbiter; returns the deal id.
  uint64_t open(uint64_t deadline) {
    return call_ok("open", {hex_of(kBob), hex_of(kCarol), deadline}, kAlice, kAmount + deposit_)
        .get<uint64_t>();
  }
  uint64_t deposit_ = 0;
};

TEST_F(EscrowTest, BuyerReleasesToTheSeller) {
  uint64_t id = open(100);
  EXPECT_EQ(id, 1u);
  expect_event(0, "Opened",
               {{"id", 1},
                {"buyer", hex_of(kAlice)},
                {"seller", hex_of(kBob)},
                {"arbiter", hex_of(kCarol)},
                {"amount", kAmount},
                {"deadline", 100}});
  EXPECT_EQ(query("status", {id}), 1);
  json deal = query("deal", {id});
  EXPECT_EQ(deal.at("amount"), kAmount);
  EXPECT_EQ(deal.at("buyer"), hex_of(kAlice));
  call_ok("release", {id}, kAlice);
  ASSERT_EQ(last_.transfers.size(), 1u);
  EXPECT_EQ(last_.transfers[0].value, kAmount);
  EXPECT_EQ(chain_.received(kBob), kAmount);
  expect_event(0, "Released", {{"id", 1}, {"to", hex_of(kBob)}, {"amount", kAmount}});
  EXPECT_EQ(query("status", {id}), 2);
  expect_abort("release", {id}, kAlice, "deal already settled");
  expect_abort("refund", {id}, kCarol, "deal already settled");
  EXPECT_EQ(chain_.received(kBob), kAmount);
}

TEST_F(EscrowTest, ArbiterReleasesOrRefundsAndStrangersCannot) {
  uint64_t first = open(100);
  uint64_t second = open(100);
  expect_abort("release", {first}, kBob, "only the buyer or the arbiter may release");
  expect_abort("release", {first}, kDave, "only the buyer or the arbiter may release");
  expect_abort("refund", {first}, kDave, "refund not allowed");
  call_ok("release", {first}, kCarol);
  EXPECT_EQ(chain_.received(kBob), kAmount);
  call_ok("refund", {second}, kCarol);
  EXPECT_EQ(chain_.received(kAlice), kAmount);
  EXPECT_EQ(query("status", {second}), 3);
  expect_abort("release", {99}, kAlice, "no such deal");
}

TEST_F(EscrowTest, SellerMayRefund) {
  uint64_t id = open(100);
  call_ok("refund", {id}, kBob);
  EXPECT_EQ(chain_.received(kAlice), kAmount);
  expect_event(0, "Refunded", {{"id", 1}, {"to", hex_of(kAlice)}, {"amount", kAmount}});
}

TEST_F(EscrowTest, BuyerRefundsAloneOnlyFromTheDeadline) {
  uint64_t deadline = chain_.env().height + 3;
  uint64_t id = open(deadline);
  while (chain_.env().height + 1 < deadline) chain_.next_block();
  ASSERT_EQ(chain_.env().height, deadline - 1);
  expect_abort("refund", {id}, kAlice, "refund not allowed");  // ran at deadline − 1
  ASSERT_EQ(chain_.env().height, deadline);
  call_ok("refund", {id}, kAlice);
  EXPECT_EQ(chain_.received(kAlice), kAmount);
}

TEST_F(EscrowTest, OpenRefusesTooLittleValueOrAPastDeadline) {
  expect_abort("open", {hex_of(kBob), hex_of(kCarol), 100}, kAlice, "value must exceed the deal deposit",
               deposit_);
  expect_abort("open", {hex_of(kBob), hex_of(kCarol), chain_.env().height}, kAlice, "deadline already passed",
               kAmount);
  EXPECT_EQ(query("deal_count"), 0);
}

// ---- multisig ----------------------------------------------------------------------------

class MultisigTest : public ExampleTest {
 protected:
  void SetUp() override {
    deploy("multisig", {json::array({hex_of(kAlice), hex_of(kBob), hex_of(kCarol)}), 2}, kAlice,
           kDeployValue);
  }
};

TEST_F(MultisigTest, NeedsTheThresholdOfApprovalsToPay) {
  EXPECT_EQ(query("threshold"), 2);
  EXPECT_EQ(query("owners").size(), 3u);
  uint64_t id = call_ok("propose", {hex_of(kDave), 1'000}, kAlice).get<uint64_t>();
  EXPECT_EQ(id, 1u);
  expect_event(0, "Proposed",
               {{"id", 1}, {"proposer", hex_of(kAlice)}, {"to", hex_of(kDave)}, {"amount", 1'000}});
  expect_event(1, "Approved", {{"id", 1}, {"owner", hex_of(kAlice)}});
  // One approval of two: M − 1 cannot execute.
  expect_abort("execute", {id}, kAlice, "not enough approvals");
  call_ok("approve", {id}, kBob);
  EXPECT_EQ(query("proposal", {id}).at("approvals"), 2);
  call_ok("execute", {id}, kCarol);
  EXPECT_EQ(chain_.received(kDave), 1'000u);
  expect_event(0, "Executed", {{"id", 1}, {"to", hex_of(kDave)}, {"amount", 1'000}});
  expect_abort("execute", {id}, kAlice, "proposal already executed");
  expect_abort("approve", {id}, kCarol, "proposal already executed");
  EXPECT_EQ(chain_.received(kDave), 1'000u);
}

TEST_F(MultisigTest, NonOwnersAreRefused) {
  expect_abort("propose", {hex_of(kDave), 1}, kDave, "caller is not an owner");
  uint64_t id = call_ok("propose", {hex_of(kDave), 1}, kAlice).get<uint64_t>();
  expect_abort("approve", {id}, kDave, "caller is not an owner");
  expect_abort("execute", {id}, kDave, "caller is not an owner");
}

TEST_F(MultisigTest, ApprovalsCountOncePerOwnerAndCanBeRevoked) {
  uint64_t id = call_ok("propose", {hex_of(kDave), 10}, kAlice).get<uint64_t>();
  expect_abort("approve", {id}, kAlice, "already approved");
  call_ok("approve", {id}, kBob);
  call_ok("revoke", {id}, kBob);
  expect_event(0, "Revoked", {{"id", 1}, {"owner", hex_of(kBob)}});
  EXPECT_EQ(query("has_approved", {id, hex_of(kBob)}), false);
  expect_abort("revoke", {id}, kBob, "not approved");
  expect_abort("execute", {id}, kAlice, "not enough approvals");
  call_ok("approve", {id}, kCarol);
  call_ok("execute", {id}, kAlice);
  EXPECT_EQ(chain_.received(kDave), 10u);
}

TEST_F(MultisigTest, PaymentAboveTheBalanceFailsAndCanBeRetriedAfterADeposit) {
  uint64_t id = call_ok("propose", {hex_of(kDave), 2 * kDeployValue}, kAlice).get<uint64_t>();
  call_ok("approve", {id}, kBob);
  expect_abort("execute", {id}, kAlice, "transfer failed");
  call_ok("deposit", json::array(), kDave, 2 * kDeployValue);
  expect_event(0, "Deposited", {{"from", hex_of(kDave)}, {"amount", 2 * kDeployValue}});
  call_ok("execute", {id}, kAlice);
  EXPECT_EQ(chain_.received(kDave), 2 * kDeployValue);
}

TEST_F(MultisigTest, InitRefusesBadOwnerSets) {
  auto deploy_with = [&](const json& owners, uint32_t threshold) {
    auto run = chain_.deploy(code_, abi_->args("init", {owners, threshold}), kAlice, kDeployValue,
                             kLocalDefaultGas, other_salt());
    EXPECT_TRUE(run.ok());
    return run.ok() ? run->message : std::string();
  };
  EXPECT_EQ(deploy_with(json::array({hex_of(kAlice), hex_of(kBob)}), 3), "threshold must be 1..owners");
  EXPECT_EQ(deploy_with(json::array({hex_of(kAlice), hex_of(kBob)}), 0), "threshold must be 1..owners");
  EXPECT_EQ(deploy_with(json::array({hex_of(kAlice), hex_of(kAlice)}), 1), "duplicate owner");
  EXPECT_EQ(deploy_with(json::array(), 1), "1 to 16 owners");
}

// ---- voting ------------------------------------------------------------------------------

class VotingTest : public ExampleTest {
 protected:
  void SetUp() override { deploy("voting", {json::array({"yes", "no", "abstain"}), 10}, kAlice); }
};

TEST_F(VotingTest, TalliesOneVotePerAccount) {
  EXPECT_EQ(query("options"), json::array({"yes", "no", "abstain"}));
  call_ok("vote", {0}, kAlice);
  expect_event(0, "Voted", {{"voter", hex_of(kAlice)}, {"option", 0}});
  call_ok("vote", {0}, kBob);
  call_ok("vote", {2}, kCarol);
  EXPECT_EQ(query("results"), json::array({2, 0, 1}));
  expect_abort("vote", {1}, kBob, "already voted");
  EXPECT_EQ(query("has_voted", {hex_of(kBob)}), true);
  EXPECT_EQ(query("has_voted", {hex_of(kDave)}), false);
  expect_abort("vote", {3}, kDave, "no such option");
  EXPECT_EQ(query("results"), json::array({2, 0, 1}));
}

TEST_F(VotingTest, VotesStopAtTheEndHeight) {
  while (chain_.env().height + 1 < 10) chain_.next_block();
  call_ok("vote", {1}, kBob);  // ran at height 9, the last one before the end
  ASSERT_EQ(chain_.env().height, 10u);
  expect_abort("vote", {1}, kCarol, "voting has ended");
  EXPECT_EQ(query("results"), json::array({0, 1, 0}));
}

TEST_F(VotingTest, InitNeedsOptionsAndAFutureEnd) {
  auto run = chain_.deploy(code_, abi_->args("init", {json::array({"only"}), 100}), kAlice, kDeployValue,
                           kLocalDefaultGas, other_salt());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->message, "2 to 16 options");
  run = chain_.deploy(code_, abi_->args("init", {json::array({"a", "b"}), chain_.env().height}), kAlice,
                      kDeployValue, kLocalDefaultGas, other_salt());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->message, "the end must be in the future");
}

// ---- sdk_probe: the SDK itself -----------------------------------------------------------

class SdkProbeTest : public ExampleTest {
 protected:
  void SetUp() override { deploy("sdk_probe", nullptr, kAlice); }
  // Expects `method` with raw `args` to abort with `message`.
  void expect_raw_abort(const std::string& method, const Bytes& args, const std::string& message) {
    auto run = chain_.call(contract_, method, args, kAlice);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->status, ExecStatus::aborted) << method;
    EXPECT_EQ(run->message, message) << method;
  }
};

TEST_F(SdkProbeTest, EchoesEveryTypeAtItsLimits) {
  for (const json& v : {json(0), json(255)}) EXPECT_EQ(query("echo_u8", json::array({v})), v);
  EXPECT_EQ(query("echo_u16", {65'535}), 65'535);
  EXPECT_EQ(query("echo_u32", {4'294'967'295u}), 4'294'967'295u);
  EXPECT_EQ(query("echo_u64", {UINT64_MAX}), UINT64_MAX);
  for (const json& v : {json(INT32_MIN), json(-1), json(INT32_MAX)})
    EXPECT_EQ(query("echo_i32", json::array({v})), v);
  for (const json& v : {json(INT64_MIN), json(-2), json(INT64_MAX)})
    EXPECT_EQ(query("echo_i64", json::array({v})), v);
  EXPECT_EQ(query("echo_bool", {true}), true);
  EXPECT_EQ(query("echo_bool", {false}), false);
  EXPECT_EQ(query("echo_bytes", {""}), "");
  std::string long_text(200, 'x');  // a two-byte varint length
  EXPECT_EQ(query("echo_string", {long_text}), long_text);
  EXPECT_EQ(query("echo_string", {"h\u00e9llo"}), "h\u00e9llo");
  EXPECT_EQ(query("echo_bytes", {"00ff10"}), "00ff10");
  std::string hash_hex = blake3(as_bytes("x")).hex();
  EXPECT_EQ(query("echo_hash", {hash_hex}), hash_hex);
  EXPECT_EQ(query("echo_account", {hex_of(kBob)}), hex_of(kBob));
  json nested = json::array({json::array({1, 2}), json::array(), json::array({65'535})});
  EXPECT_EQ(query("echo_nested", json::array({nested})), nested);
  json pair = {{"number", -5}, {"text", "t"}, {"accounts", json::array({hex_of(kAlice), hex_of(kBob)})}};
  EXPECT_EQ(query("echo_pair", json::array({pair})), pair);
  EXPECT_EQ(query("sum_i32", json::array({json::array({-1, -2, 3})})), 0);
  EXPECT_EQ(query("sum_i32", json::array({json::array({INT32_MIN, -1})})), -2'147'483'649LL);
}

TEST_F(SdkProbeTest, MalformedEncodingsAbort) {
  expect_raw_abort("echo_bool", Bytes{2}, "bad input: bool");
  expect_raw_abort("echo_u8", Bytes{}, "bad input: truncated");
  expect_raw_abort("echo_u16", Bytes{1}, "bad input: truncated");
  expect_raw_abort("echo_u8", Bytes{1, 2}, "bad input: trailing bytes");
  expect_raw_abort("echo_string", Bytes{0x80, 0x00}, "bad input: non-minimal varint");
  expect_raw_abort("echo_string", Bytes{3, 'a', 'b'}, "bad input: truncated");
  expect_raw_abort("echo_bytes", Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02},
                   "bad input: varint overflow");
  expect_raw_abort("echo_nested", Bytes{1, 5, 0}, "bad input: truncated");
  Bytes account = encode(kBob);
  account[0] = 0;
  expect_raw_abort("echo_account", account, "bad input: account kind");
}

TEST_F(SdkProbeTest, EventIdsAndTopicsFollowTheAbi) {
  EXPECT_EQ(query("probe_event_id"), blake3(as_bytes("Probe")).hex());
  Bytes data(100, 7);
  EXPECT_EQ(query("host_blake3", {to_hex(data)}), blake3(data).hex());
  std::string hash_hex = blake3(as_bytes("h")).hex();
  call_ok("emit_probe", {-2, true, "abc", hash_hex}, kAlice);
  ASSERT_EQ(last_.events.size(), 1u);
  expect_event(0, "Probe", {{"number", -2}, {"flag", true}, {"text", "abc"}, {"hash", hash_hex}});
  // The padding rule spelled out: -2 as i64 little-endian, then zeros.
  Hash256 topic;
  for (size_t i = 0; i < 8; ++i) topic.bytes[i] = i == 0 ? 0xFE : 0xFF;
  EXPECT_EQ(last_.events[0].topics[1], topic);
}

TEST_F(SdkProbeTest, ReadOnlyMethodsChangeNothing) {
  expect_abort("view_writes", json::array(), kAlice, "a read-only method cannot write storage");
  expect_abort("view_erases", json::array(), kAlice, "a read-only method cannot write storage");
  expect_abort("view_emits", json::array(), kAlice, "a read-only method cannot emit events");
  expect_abort("view_transfers", json::array(), kAlice, "a read-only method cannot transfer");
  expect_abort("echo_u8", {1}, kAlice, "method is not payable", 1);
}

TEST_F(SdkProbeTest, Map2KeysAreNameColonAndEncodedParts) {
  call_ok("store_pair", {7, "ab", 9}, kAlice);
  Bytes key{'p', 'a', 'i', 'r', 's', ':', 7, 0, 0, 0, 2, 'a', 'b'};
  EXPECT_EQ(chain_.storage(contract_, key), (Bytes{9, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(query("load_pair", {7, "ab"}), 9);
  EXPECT_EQ(query("load_pair", {7, "a"}), 0);
}

TEST_F(SdkProbeTest, TheAllocatorGrowsMemoryUpTo32Pages) {
  EXPECT_LE(query("allocate", {0}).get<uint32_t>(), 2u);
  EXPECT_EQ(query("allocate", {2'000'000}), 32);
  auto run = chain_.query(contract_, "allocate", abi_->args("allocate", {2'100'000}), kAlice);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, ExecStatus::aborted);
  EXPECT_EQ(run->message, "out of memory");
}

TEST_F(SdkProbeTest, ContextAndNestedCalls) {
  EXPECT_EQ(query("whoami", json::array(), kBob), hex_of(kBob));
  EXPECT_EQ(query("self_account"), hex_of(contract_account(contract_)));
  EXPECT_EQ(query("height").get<uint64_t>(), chain_.env().height);
  // A token deployed beside the probe answers the probe's nested call.
  auto token =
      chain_.deploy(read_file(std::string(kExamplesDir) + "/token.wasm"),
                    AbiCodec(json::parse(std::ifstream(std::string(kExamplesDir) + "/token.abi.json")))
                        .args("init", {"T", "T", 0, 77}),
                    kAlice, kDeployValue);
  ASSERT_TRUE(token.ok());
  ASSERT_EQ(token->status, ExecStatus::success) << token->message;
  EXPECT_EQ(call_ok("call_other", {token->contract.hex(), "balance_of", hex_of(kAlice)}, kBob),
            "4d00000000000000");  // 77 as u64
  expect_abort("call_other", {token->contract.hex(), "no_such_method", ""}, kBob, "nested call failed");
}

}  // namespace
}  // namespace cairn::contracts
