#include "primitives/address.h"

#include <cctype>

#include <gtest/gtest.h>

#include "primitives/samples.h"

namespace cairn {
namespace {

// Expected strings computed independently with BIP-350's Python reference code, for the
// hash 00 01 02 .. 1f.
const Hash256 kHash = test::filled<32>(0);

struct Expected {
  Network net;
  OutputLockKind kind;
  const char* address;
};

constexpr Expected kExpected[] = {
    {Network::mainnet, OutputLockKind::key_hash,
     "cairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sc2knnp"},
    {Network::mainnet, OutputLockKind::lock_hash,
     "cairn1pqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s8pxkwl"},
    {Network::testnet, OutputLockKind::key_hash,
     "tcairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sm3d6p8"},
    {Network::testnet, OutputLockKind::lock_hash,
     "tcairn1pqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sy6alue"},
    {Network::regtest, OutputLockKind::key_hash,
     "rcairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s2jtll4"},
    {Network::regtest, OutputLockKind::lock_hash,
     "rcairn1pqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s4em6zt"},
};

std::string error_of(Network net, std::string_view address) {
  auto r = decode_address(net, address);
  EXPECT_FALSE(r) << address;
  return r ? std::string{} : r.error().message;
}

TEST(Address, EncodesTheDocumentedStringPerNetworkAndKind) {
  for (const auto& e : kExpected) {
    const OutputLock lock{e.kind, kHash};
    EXPECT_EQ(encode_address(e.net, lock), e.address);
    EXPECT_EQ(test::ok(decode_address(e.net, e.address)), lock);
  }
}

TEST(Address, RoundTripsOnEveryNetwork) {
  const OutputLock locks[] = {key_hash_lock(test::sample_key(3)), lock_hash_lock(test::sample_lock())};
  for (Network net : kAllNetworks) {
    for (const auto& lock : locks) {
      const std::string address = encode_address(net, lock);
      EXPECT_EQ(address.rfind(std::string(address_hrp(net)) + "1", 0), 0u) << address;
      EXPECT_EQ(test::ok(decode_address(net, address)), lock);
    }
  }
}

TEST(Address, UpperCaseFormIsAccepted) {
  std::string upper = kExpected[0].address;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(test::ok(decode_address(Network::mainnet, upper)), (OutputLock{OutputLockKind::key_hash, kHash}));
}

TEST(Address, OtherNetworksPrefixIsRefusedNamingThatNetwork) {
  EXPECT_EQ(error_of(Network::mainnet, kExpected[2].address),
            "address: this is a testnet address, not mainnet (expected 'cairn' for mainnet)");
  EXPECT_EQ(error_of(Network::testnet, kExpected[0].address),
            "address: this is a mainnet address, not testnet (expected 'tcairn' for testnet)");
  EXPECT_EQ(error_of(Network::regtest, kExpected[3].address),
            "address: this is a testnet address, not regtest (expected 'rcairn' for regtest)");
  EXPECT_EQ(error_of(Network::mainnet, "bc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0shlm7wu"),
            "address: unknown prefix 'bc' (expected 'cairn' for mainnet)");
}

TEST(Address, UnknownKindIsRefused) {
  EXPECT_EQ(error_of(Network::mainnet, "cairn1rqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0ssh0ua2"),
            "address: unknown kind 3 (0 = key hash, 1 = lock hash, 2 = contract)");
  // Kind 2 is a contract: an account, but not something an output can pay.
  EXPECT_EQ(error_of(Network::mainnet, "cairn1zqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s0uleq5"),
            "address: this is a contract's address: coins go to a contract with a call transaction");
}

TEST(Address, WrongLengthIsRefused) {
  EXPECT_EQ(error_of(Network::mainnet, "cairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc87y84l"),
            "address: wrong length: 51 data symbols, expected 53");
  EXPECT_EQ(error_of(Network::mainnet, "cairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sq0ja9tk"),
            "address: wrong length: 54 data symbols, expected 53");
}

TEST(Address, BadChecksumIsRefused) {
  std::string typo = kExpected[0].address;
  typo[10] = typo[10] == 'q' ? 'p' : 'q';
  EXPECT_EQ(error_of(Network::mainnet, typo).rfind("address: ", 0), 0u);
  // The same data under a Bech32 (BIP-173) checksum is not a Bech32m address.
  EXPECT_EQ(error_of(Network::mainnet, "cairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sdkxlkr")
                .rfind("address: ", 0),
            0u);
}

TEST(Address, NonZeroPaddingIsRefused) {
  EXPECT_EQ(error_of(Network::mainnet, "cairn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc039uzxwn")
                .rfind("address: ", 0),
            0u);
}

TEST(Address, GarbageIsRefused) {
  for (const char* text : {"", "cairn1", "cairn", "not an address", "cairn1qqqq"}) {
    EXPECT_EQ(error_of(Network::mainnet, text).rfind("address: ", 0), 0u) << text;
  }
}

}  // namespace
}  // namespace cairn
