// Proof of work: the compact target encoding (Bitcoin's nBits), the header check
// `H("cairn v1 header", header) <= target`, and the work a target proves.
// docs/consensus.md "Proof of work". Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "consensus/uint256.h"
#include "primitives/block.h"

namespace cairn {

// Decodes a compact target exactly as Bitcoin's SetCompact: exponent = top byte, mantissa
// = low 23 bits, target = mantissa * 256^(exponent - 3) (shifted right when exponent < 3).
// nullopt when the sign bit (0x00800000) is set with a non-zero mantissa (negative) or
// the value does not fit in 256 bits (overflow). Zero decodes to zero.
std::optional<Uint256> decode_compact(uint32_t compact);
// Encodes exactly as Bitcoin's GetCompact: the shortest exponent, the mantissa's sign bit
// clear (a mantissa that would set it moves one byte right). Lossy below the top 3 bytes.
uint32_t encode_compact(const Uint256& target);

// True when `hash`, read as a 256-bit big-endian integer, is at most `target`.
bool hash_meets_target(const BlockHash& hash, const Uint256& target);
// The header's own proof of work: its target decodes, is not zero, and its hash meets it.
// (That the target is the right one is block_rules' bad_difficulty check.)
bool check_pow(const BlockHeader& header);

// floor(2^256 / (target + 1)): the expected number of hashes to meet `target`. Zero for a
// compact value that does not decode or decodes to zero (such a header fails check_pow).
Uint256 block_work(uint32_t compact);

}  // namespace cairn
