#include "wallet/hd.h"

#include <cassert>
#include <utility>

namespace cairn::wallet {

std::string_view chain_name(Chain chain) { return chain == Chain::receive ? "receive" : "change"; }

std::optional<Chain> chain_from_name(std::string_view name) {
  if (name == "receive") return Chain::receive;
  if (name == "change") return Chain::change;
  return std::nullopt;
}

uint32_t coin_type(Network net) { return net == Network::mainnet ? kMainnetCoinType : kTestCoinType; }

std::array<uint32_t, kPathDepth> derivation_path(Network net, uint32_t account, Chain chain, uint32_t index) {
  assert(account <= kMaxChildIndex && index <= kMaxChildIndex);
  return {kPurpose | slip10::kHardened, coin_type(net) | slip10::kHardened, account | slip10::kHardened,
          static_cast<uint32_t>(chain) | slip10::kHardened, index | slip10::kHardened};
}

std::string derivation_path_string(Network net, uint32_t account, Chain chain, uint32_t index) {
  const auto path = derivation_path(net, account, chain, index);
  return slip10::format_path(path);
}

Result<AccountKey> AccountKey::derive(ByteSpan seed, Network net, uint32_t account) {
  if (account > kMaxChildIndex) {
    return Error{ErrorCode::invalid_argument,
                 "account " + std::to_string(account) + " is above " + std::to_string(kMaxChildIndex)};
  }
  const std::array<uint32_t, 3> path{kPurpose | slip10::kHardened, coin_type(net) | slip10::kHardened,
                                     account | slip10::kHardened};
  CAIRN_TRY(auto node, slip10::derive_path(seed, path));
  return AccountKey(std::move(node), net, account);
}

Result<KeyPair> AccountKey::key(Chain chain, uint32_t index) const {
  if (index > kMaxChildIndex) {
    return Error{ErrorCode::invalid_argument,
                 "address index " + std::to_string(index) + " is above " + std::to_string(kMaxChildIndex)};
  }
  CAIRN_TRY(const auto chain_node,
            slip10::derive_child(node_, static_cast<uint32_t>(chain) | slip10::kHardened));
  CAIRN_TRY(const auto leaf, slip10::derive_child(chain_node, index | slip10::kHardened));
  return slip10::key_pair(leaf);
}

Result<KeyPair> derive_key(ByteSpan seed, Network net, uint32_t account, Chain chain, uint32_t index) {
  CAIRN_TRY(const auto account_key, AccountKey::derive(seed, net, account));
  return account_key.key(chain, index);
}

}  // namespace cairn::wallet
