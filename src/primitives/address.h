// Addresses: an OutputLock written as Bech32m with a per-network prefix.
//
//   address = bech32m(hrp(network), [kind - 1] ‖ 8-to-5-bit(32-byte hash))
//
// The first 5-bit symbol is the lock kind (0 = key hash, 1 = lock hash), so every address
// says what it pays to. Decoding refuses other networks' prefixes, unknown kinds, bad
// checksums and wrong lengths, each with its own message.
#pragma once

#include <string>
#include <string_view>

#include "primitives/lock.h"
#include "primitives/network.h"
#include "util/result.h"

namespace cairn {

std::string encode_address(Network net, const OutputLock& lock);
Result<OutputLock> decode_address(Network net, std::string_view address);

}  // namespace cairn
