// Hierarchical deterministic keys of a Cairn wallet: SLIP-0010 Ed25519 on the hardened
// BIP44-shaped path m/44'/<coin>'/<account>'/<change>'/<index>' (docs/wallet.md).
//
// <coin> is 1 on testnet and regtest (SLIP-0044's "testnet, all coins") and 24601 on
// mainnet (not registered in SLIP-0044). <change> is 0 for receive addresses and 1 for
// change. Every level is hardened: Ed25519 has no public derivation, so new addresses
// always need the seed (hence the wallet's lookahead, wallet.h).
//
// All functions are thread-safe (no shared state).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/ed25519.h"
#include "crypto/slip10.h"
#include "primitives/network.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::wallet {

inline constexpr uint32_t kPurpose = 44;
inline constexpr uint32_t kTestCoinType = 1;         // testnet and regtest
inline constexpr uint32_t kMainnetCoinType = 24601;  // mainnet (unregistered)
// Accounts and indexes are below 2^31 (the hardened bit is added by the path).
inline constexpr uint32_t kMaxChildIndex = slip10::kHardened - 1;
inline constexpr size_t kPathDepth = 5;

// The <change> level. DO NOT CHANGE THE VALUES: they are path elements and stored.
enum class Chain : uint32_t { receive = 0, change = 1 };
inline constexpr std::array<Chain, 2> kAllChains{Chain::receive, Chain::change};

std::string_view chain_name(Chain chain);  // "receive", "change"
std::optional<Chain> chain_from_name(std::string_view name);

uint32_t coin_type(Network net);

// The path elements with the hardened bit set. REQUIRES: account, index <= kMaxChildIndex.
std::array<uint32_t, kPathDepth> derivation_path(Network net, uint32_t account, Chain chain, uint32_t index);
// "m/44'/1'/0'/0'/5'".
std::string derivation_path_string(Network net, uint32_t account, Chain chain, uint32_t index);

// The account node m/44'/<coin>'/<account>' of a BIP39 seed, from which addresses are
// derived two levels further down; deriving many addresses from it saves three levels
// each. Errors: a seed outside SLIP-0010's sizes, an account above kMaxChildIndex.
class AccountKey {
 public:
  static Result<AccountKey> derive(ByteSpan seed, Network net, uint32_t account);

  Network network() const { return net_; }
  uint32_t account() const { return account_; }
  // The key pair at <chain>/<index> under this account. Error: index > kMaxChildIndex.
  Result<KeyPair> key(Chain chain, uint32_t index) const;

 private:
  AccountKey(slip10::ExtendedKey node, Network net, uint32_t account)
      : node_(std::move(node)), net_(net), account_(account) {}
  slip10::ExtendedKey node_;
  Network net_;
  uint32_t account_;
};

// The key pair at m/44'/<coin>'/<account>'/<chain>'/<index>' of `seed` (one-off; use
// AccountKey for many).
Result<KeyPair> derive_key(ByteSpan seed, Network net, uint32_t account, Chain chain, uint32_t index);

}  // namespace cairn::wallet
