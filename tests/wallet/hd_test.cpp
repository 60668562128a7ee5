#include "wallet/hd.h"

#include <array>
#include <set>

#include <gtest/gtest.h>

#include "crypto/slip10.h"

namespace cairn::wallet {
namespace {

Bytes test_seed(uint8_t fill = 0x42) { return Bytes(64, fill); }

TEST(Hd, CoinTypes) {
  EXPECT_EQ(coin_type(Network::mainnet), 24601u);
  EXPECT_EQ(coin_type(Network::testnet), 1u);
  EXPECT_EQ(coin_type(Network::regtest), 1u);
}

TEST(Hd, ChainNames) {
  EXPECT_EQ(chain_name(Chain::receive), "receive");
  EXPECT_EQ(chain_name(Chain::change), "change");
  EXPECT_EQ(chain_from_name("change"), Chain::change);
  EXPECT_EQ(chain_from_name("receive"), Chain::receive);
  EXPECT_EQ(chain_from_name("Change"), std::nullopt);
}

TEST(Hd, PathsAreHardenedBip44) {
  EXPECT_EQ(derivation_path_string(Network::regtest, 0, Chain::receive, 5), "m/44'/1'/0'/0'/5'");
  EXPECT_EQ(derivation_path_string(Network::mainnet, 3, Chain::change, 0), "m/44'/24601'/3'/1'/0'");
  const auto path = derivation_path(Network::testnet, 2, Chain::change, kMaxChildIndex);
  const std::array<uint32_t, 5> expected{44 | slip10::kHardened, 1 | slip10::kHardened, 2 | slip10::kHardened,
                                         1 | slip10::kHardened, 0xffff'ffffu};
  EXPECT_EQ(path, expected);
}

TEST(Hd, AccountKeyMatchesFullPathDerivation) {
  const Bytes seed = test_seed();
  auto account = AccountKey::derive(seed, Network::regtest, 7);
  ASSERT_TRUE(account.ok()) << account.error().message;
  for (const Chain chain : kAllChains) {
    for (const uint32_t index : {0u, 1u, 19u, kMaxChildIndex}) {
      const auto path = derivation_path(Network::regtest, 7, chain, index);
      auto node = slip10::derive_path(seed, path);
      ASSERT_TRUE(node.ok()) << node.error().message;
      auto key = account->key(chain, index);
      ASSERT_TRUE(key.ok()) << key.error().message;
      EXPECT_EQ(key->public_key(), slip10::key_pair(*node).public_key());
      auto one_off = derive_key(seed, Network::regtest, 7, chain, index);
      ASSERT_TRUE(one_off.ok());
      EXPECT_EQ(one_off->public_key(), key->public_key());
    }
  }
}

TEST(Hd, KeysDifferByNetworkAccountChainAndIndex) {
  const Bytes seed = test_seed();
  std::set<PublicKey> keys;
  for (const Network net : {Network::mainnet, Network::regtest}) {
    for (const uint32_t account : {0u, 1u}) {
      for (const Chain chain : kAllChains) {
        for (const uint32_t index : {0u, 1u})
          keys.insert(derive_key(seed, net, account, chain, index)->public_key());
      }
    }
  }
  EXPECT_EQ(keys.size(), 16u);
  // testnet and regtest share coin type 1, hence keys.
  EXPECT_EQ(derive_key(seed, Network::testnet, 0, Chain::receive, 0)->public_key(),
            derive_key(seed, Network::regtest, 0, Chain::receive, 0)->public_key());
}

TEST(Hd, IndexAndAccountAboveTheHardenedRangeAreRefused) {
  const Bytes seed = test_seed();
  EXPECT_TRUE(AccountKey::derive(seed, Network::regtest, kMaxChildIndex).ok());
  EXPECT_FALSE(AccountKey::derive(seed, Network::regtest, kMaxChildIndex + 1).ok());
  auto account = AccountKey::derive(seed, Network::regtest, 0);
  ASSERT_TRUE(account.ok());
  EXPECT_TRUE(account->key(Chain::receive, kMaxChildIndex).ok());
  auto above = account->key(Chain::receive, kMaxChildIndex + 1);
  ASSERT_FALSE(above.ok());
  EXPECT_NE(above.error().message.find("above"), std::string::npos);
}

TEST(Hd, SeedSizesFollowSlip10) {
  EXPECT_FALSE(AccountKey::derive(Bytes(15, 1), Network::regtest, 0).ok());
  EXPECT_TRUE(AccountKey::derive(Bytes(16, 1), Network::regtest, 0).ok());
  EXPECT_TRUE(AccountKey::derive(Bytes(64, 1), Network::regtest, 0).ok());
  EXPECT_FALSE(AccountKey::derive(Bytes(65, 1), Network::regtest, 0).ok());
}

}  // namespace
}  // namespace cairn::wallet
