// The ABI tools of `cairn contract` (contract_abi.h): arguments from JSON values into the
// canonical encoding of docs/contracts.md §10, byte for byte, results and events decoded
// back, strict decoding, and the ABI JSON's checks.
#include "contract_abi.h"

#include <gtest/gtest.h>

#include "primitives/address.h"

namespace cairn::app {
namespace {

using json = nlohmann::json;

const json kAbiJson = json::parse(R"({
  "abi_version": 1, "name": "probe",
  "constructor": {"inputs": [{"name": "n", "type": "u64"}], "payable": true},
  "methods": [
    {"name": "put", "readonly": false, "payable": true,
     "inputs": [{"name": "who", "type": "account"}, {"name": "deal", "type": "Deal"},
                {"name": "tags", "type": "list<u16>"}], "output": "bool"},
    {"name": "get", "readonly": true, "payable": false, "inputs": [], "output": "Deal"}
  ],
  "events": [{"name": "Put", "fields": [{"name": "id", "type": "u64", "indexed": true},
                                        {"name": "note", "type": "string", "indexed": false}]}],
  "structs": [{"name": "Deal", "fields": [{"name": "amount", "type": "i64"}, {"name": "ok", "type": "bool"},
                                          {"name": "data", "type": "bytes"}]}]
})");

Abi abi() { return parse_abi(kAbiJson).value(); }

std::string hex_of(const std::string& type, const json& value) {
  auto encoded = encode_value(abi(), type, value, Network::regtest);
  return encoded ? to_hex(*encoded) : "error: " + encoded.error().message;
}

TEST(ContractAbi, EncodesEveryTypeCanonically) {
  EXPECT_EQ(hex_of("u8", 255), "ff");
  EXPECT_EQ(hex_of("u16", "513"), "0102");
  EXPECT_EQ(hex_of("u32", 1), "01000000");
  EXPECT_EQ(hex_of("u64", "18446744073709551615"), "ffffffffffffffff");
  EXPECT_EQ(hex_of("i32", -2), "feffffff");
  EXPECT_EQ(hex_of("i64", -1), "ffffffffffffffff");
  EXPECT_EQ(hex_of("bool", true), "01");
  EXPECT_EQ(hex_of("string", "ab"), "026162");
  EXPECT_EQ(hex_of("bytes", "0x00ff"), "0200ff");
  EXPECT_EQ(hex_of("hash", std::string(64, 'a')), std::string(64, 'a'));
  EXPECT_EQ(hex_of("list<u16>", json::array({1, 2})), "0201000200");
  EXPECT_EQ(hex_of("Deal", json{{"amount", 5}, {"ok", false}, {"data", ""}}), "05000000000000000000");
  EXPECT_EQ(hex_of("Deal", json::array({5, false, ""})), "05000000000000000000");
  Account account{AccountKind::contract, Hash256{}};
  account.hash.bytes[0] = 0x11;
  EXPECT_EQ(hex_of("account", encode_address(Network::regtest, account)), "0311" + std::string(62, '0'));
}

TEST(ContractAbi, RefusesValuesOutOfRangeOrOfTheWrongKind) {
  for (const auto& [type, value] : std::vector<std::pair<std::string, json>>{
           {"u8", 256},
           {"u16", -1},
           {"i32", 2147483648LL},
           {"u64", "12x"},
           {"u64", 1.5},
           {"bool", 1},
           {"hash", "00"},
           {"bytes", "zz"},
           {"account", "rcairn1notanaddress"},
           {"Deal", json{{"amount", 1}, {"ok", true}}},
           {"Deal", json{{"amount", 1}, {"ok", true}, {"data", ""}, {"extra", 1}}},
           {"list<u8>", 3},
           {"nosuchtype", 1},
       }) {
    EXPECT_FALSE(encode_value(abi(), type, value, Network::regtest).ok()) << type << " " << value.dump();
  }
}

TEST(ContractAbi, ArgumentsByPositionOrNameInParameterOrder) {
  const Abi a = abi();
  const AbiMethod* put = a.method("put");
  ASSERT_NE(put, nullptr);
  Account who{AccountKind::key, Hash256{}};
  const std::string address = encode_address(Network::regtest, who);
  const json deal{{"amount", -1}, {"ok", true}, {"data", "aa"}};
  const Bytes by_position =
      encode_args(a, put->inputs, json::array({address, deal, json::array({7})}), Network::regtest).value();
  const Bytes by_name =
      encode_args(a, put->inputs, json{{"tags", json::array({7})}, {"deal", deal}, {"who", address}},
                  Network::regtest)
          .value();
  EXPECT_EQ(by_position, by_name);
  EXPECT_EQ(to_hex(by_position), "01" + std::string(64, '0') + "ffffffffffffffff" + "01" + "01aa" + "010700");
  EXPECT_FALSE(encode_args(a, put->inputs, json::array({address}), Network::regtest).ok());
  EXPECT_FALSE(encode_args(a, put->inputs, json{{"who", address}}, Network::regtest).ok());
}

TEST(ContractAbi, DecodesStrictly) {
  const Abi a = abi();
  EXPECT_EQ(decode_value(a, "Deal", from_hex("ffffffffffffffff0102abcd").value(), Network::regtest).value(),
            (json{{"amount", -1}, {"ok", true}, {"data", "abcd"}}));
  EXPECT_EQ(decode_value(a, "list<u16>", from_hex("0201000200").value(), Network::regtest).value(),
            json::array({1, 2}));
  EXPECT_EQ(decode_value(a, "string", from_hex("026162").value(), Network::regtest).value(), "ab");
  EXPECT_FALSE(decode_value(a, "bool", from_hex("02").value(), Network::regtest).ok());
  EXPECT_FALSE(decode_value(a, "u32", from_hex("010000").value(), Network::regtest).ok());
  EXPECT_FALSE(decode_value(a, "u8", from_hex("0101").value(), Network::regtest).ok());  // trailing byte
  EXPECT_FALSE(decode_value(a, "string", from_hex("05ab").value(), Network::regtest).ok());
  EXPECT_FALSE(
      decode_value(a, "account", from_hex("04" + std::string(64, '0')).value(), Network::regtest).ok());
  const AbiMethod* put = a.method("put");
  EXPECT_EQ(decode_output(a, *put, from_hex("01").value(), Network::regtest).value(), true);
}

TEST(ContractAbi, DecodesEventsByTheirId) {
  const Abi a = abi();
  const Hash256 id = blake3(as_bytes(std::string("Put")));
  ASSERT_EQ(a.events.at(0).id, id);
  const Bytes data = from_hex(
                         "0700000000000000"
                         "026869")
                         .value();
  auto decoded = decode_event(a, {id, Hash256{}}, data, Network::regtest).value();
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, (json{{"name", "Put"}, {"fields", {{"id", 7}, {"note", "hi"}}}}));
  EXPECT_FALSE(decode_event(a, {Hash256{}}, data, Network::regtest).value());  // unknown id
  EXPECT_FALSE(decode_event(a, {id}, from_hex("07").value(), Network::regtest).ok());
}

TEST(ContractAbi, ParseChecksTheDocument) {
  json doc = kAbiJson;
  EXPECT_TRUE(parse_abi(doc).ok());
  doc["abi_version"] = 2;
  EXPECT_FALSE(parse_abi(doc).ok());
  doc = kAbiJson;
  doc["events"][0]["id"] = std::string(64, '0');  // not BLAKE3("Put")
  EXPECT_FALSE(parse_abi(doc).ok());
  doc = kAbiJson;
  doc.erase("methods");
  EXPECT_FALSE(parse_abi(doc).ok());
  EXPECT_EQ(method_signature(*abi().method("get")), "get() -> Deal [view]");
}

}  // namespace
}  // namespace cairn::app
