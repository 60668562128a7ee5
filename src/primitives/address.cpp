#include "primitives/address.h"

#include <cassert>

#include "crypto/bech32m.h"

namespace cairn {
namespace {

// 256 bits of hash in 5-bit symbols, the last one zero-padded.
constexpr size_t kHashSymbols = (8 * Hash256::kSize + 4) / 5;
// One kind symbol, then the hash.
constexpr size_t kAddressSymbols = 1 + kHashSymbols;
static_assert(kHashSymbols == 52);

Error address_error(const std::string& what) {
  return Error{ErrorCode::invalid_argument, "address: " + what};
}

// The message for a prefix that is not `net`'s: name the network it belongs to, if any,
// because pasting a testnet address into a mainnet wallet is the common mistake.
Error wrong_prefix(Network net, std::string_view hrp) {
  const std::string expected =
      " (expected '" + std::string(address_hrp(net)) + "' for " + std::string(network_name(net)) + ")";
  for (Network other : kAllNetworks) {
    if (hrp == address_hrp(other)) {
      return address_error("this is a " + std::string(network_name(other)) + " address, not " +
                           std::string(network_name(net)) + expected);
    }
  }
  return address_error("unknown prefix '" + std::string(hrp) + "'" + expected);
}

}  // namespace

std::string encode_address(Network net, const Account& account) {
  Bytes data{static_cast<uint8_t>(static_cast<uint8_t>(account.kind) - 1)};
  auto hash5 = convert_bits(account.hash, 8, 5, /*pad=*/true);
  assert(hash5 && hash5->size() == kHashSymbols && "regrouping with padding cannot fail");
  data.insert(data.end(), hash5->begin(), hash5->end());
  return bech32m_encode(address_hrp(net), data);
}

std::string encode_address(Network net, const OutputLock& lock) {
  assert((lock.kind == OutputLockKind::key_hash || lock.kind == OutputLockKind::lock_hash) &&
         "an OutputLock of unknown kind has no address");
  return encode_address(net, account_of(lock));
}

Result<Account> decode_account_address(Network net, std::string_view address) {
  auto decoded = bech32m_decode(address);
  if (!decoded) return Error{decoded.error().code, "address: " + decoded.error().message};
  if (decoded->hrp != address_hrp(net)) return wrong_prefix(net, decoded->hrp);
  const Bytes& data = decoded->data;
  if (data.size() != kAddressSymbols) {
    return address_error("wrong length: " + std::to_string(data.size()) + " data symbols, expected " +
                         std::to_string(kAddressSymbols));
  }
  const uint8_t kind = data[0];
  if (kind > 2) {
    return address_error("unknown kind " + std::to_string(kind) +
                         " (0 = key hash, 1 = lock hash, 2 = contract)");
  }
  auto hash = convert_bits(ByteSpan(data).subspan(1), 5, 8, /*pad=*/false);
  if (!hash) return Error{hash.error().code, "address: " + hash.error().message};
  auto fixed = Hash256::from_span(*hash);
  if (!fixed) return address_error(fixed.error().message);
  return Account{static_cast<AccountKind>(kind + 1), *fixed};
}

Result<OutputLock> decode_address(Network net, std::string_view address) {
  CAIRN_TRY(const Account account, decode_account_address(net, address));
  if (auto lock = output_lock_of(account)) return *lock;
  return address_error("this is a contract's address: coins go to a contract with a call transaction");
}

}  // namespace cairn
