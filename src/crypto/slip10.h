// SLIP-0010 key derivation for Ed25519
// (https://github.com/satoshilabs/slips/blob/master/slip-0010.md): a master key from a
// seed by HMAC-SHA512 under "ed25519 seed", and hardened children only — Ed25519 has no
// public derivation, so a non-hardened index is refused, never silently hardened.
//
// Paths are written m/44'/1'/0'/0'/5' (an apostrophe or h marks a hardened index; an
// index is below 2^31). Keys are secrets held in SecretBytes. Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/secret.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::slip10 {

inline constexpr uint32_t kHardened = 0x8000'0000;
// Seeds SLIP-0010 accepts: 128 to 512 bits.
inline constexpr size_t kMinSeedBytes = 16;
inline constexpr size_t kMaxSeedBytes = 64;
// Deepest path accepted by parse_path (BIP44 paths have 5 levels).
inline constexpr size_t kMaxPathDepth = 255;

// A node of the tree: its 32-byte private key (an Ed25519 seed) and chain code.
struct ExtendedKey {
  SecretBytes key;         // 32 bytes
  SecretBytes chain_code;  // 32 bytes
};

Result<ExtendedKey> master_key(ByteSpan seed);
// The child at `index`, which must be hardened (>= kHardened).
Result<ExtendedKey> derive_child(const ExtendedKey& parent, uint32_t index);
// Walks `path` (indexes with the hardened bit set) from the master key of `seed`.
Result<ExtendedKey> derive_path(ByteSpan seed, std::span<const uint32_t> path);

// "m/44'/1'/0'" -> indexes with the hardened bit set. Errors name the bad element; an
// unhardened element is refused with the reason (Ed25519 derivation is hardened-only).
Result<std::vector<uint32_t>> parse_path(std::string_view path);
// The path in the form parse_path reads, with apostrophes.
std::string format_path(std::span<const uint32_t> path);

// The Ed25519 key pair whose RFC 8032 seed is the node's private key.
KeyPair key_pair(const ExtendedKey& node);

}  // namespace cairn::slip10
