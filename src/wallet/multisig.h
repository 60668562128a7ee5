// M-of-N multisig specs: a threshold over Ed25519 public keys, the Lock{multi} they make,
// its lock-hash OutputLock and its bech32m address, and a text form.
//
// Keys are kept sorted (lexicographic bytes) and distinct, so every co-signer who enters the
// same keys in any order gets the same lock, lock hash and address. Values only:
// thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "primitives/lock.h"
#include "primitives/network.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::wallet {

struct MultisigSpec {
  uint32_t threshold = 0;       // M: signatures needed, 1..N
  std::vector<PublicKey> keys;  // N keys, strictly increasing, N <= kMaxMultisigKeys
  bool operator==(const MultisigSpec&) const = default;
};

// Sorts `keys` and checks 1 <= threshold <= N <= kMaxMultisigKeys and that no key repeats;
// each violation is an Error saying which.
Result<MultisigSpec> make_multisig(uint32_t threshold, std::vector<PublicKey> keys);

// The lock {version 1, multi(threshold, keys)}.
Lock multisig_lock(const MultisigSpec& spec);
// lock_hash_lock(multisig_lock(spec)): what outputs paying the setup commit to.
OutputLock multisig_output_lock(const MultisigSpec& spec);
std::string multisig_address(Network net, const MultisigSpec& spec);

// The setup a lock expresses: a version-1 lock whose root is one `multi` node with sorted,
// distinct keys (what make_multisig produces); anything else is an Error.
Result<MultisigSpec> multisig_from_lock(const Lock& lock);
// The same from an encoded Lock (e.g. the lock hex a wallet file stores).
Result<MultisigSpec> multisig_from_lock_bytes(ByteSpan encoded);

// Text form "multi(M,KEYHEX,KEYHEX,...)" with the keys in sorted order.
std::string format_multisig(const MultisigSpec& spec);
// Parses the text form; keys may come in any order (they are sorted), hex of either case.
Result<MultisigSpec> parse_multisig(std::string_view text);

// A 32-byte Ed25519 public key as 64 hex digits; a clear Error otherwise.
Result<PublicKey> parse_public_key(std::string_view hex);

}  // namespace cairn::wallet
