// Addresses: an Account (an OutputLock or a contract) written as Bech32m with a
// per-network prefix.
//
//   address = bech32m(hrp(network), [kind - 1] ‖ 8-to-5-bit(32-byte hash))
//
// The first 5-bit symbol is the account kind (0 = key hash, 1 = lock hash, 2 = contract),
// so every address says what it pays to. Decoding refuses other networks' prefixes, unknown kinds, bad
// checksums and wrong lengths, each with its own message.
#pragma once

#include <string>
#include <string_view>

#include "primitives/contract.h"
#include "primitives/lock.h"
#include "primitives/network.h"
#include "util/result.h"

namespace cairn {

std::string encode_address(Network net, const OutputLock& lock);
std::string encode_address(Network net, const Account& account);
// An address of an output lock: a contract's address is refused (coins reach a contract
// only through a call transaction's value).
Result<OutputLock> decode_address(Network net, std::string_view address);
// An address of any kind.
Result<Account> decode_account_address(Network net, std::string_view address);

}  // namespace cairn
