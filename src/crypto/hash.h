// BLAKE3-256 and the table of hashing contexts.
//
// Every consensus use of BLAKE3 has its own context string. The context is turned into a
// 32-byte key once with BLAKE3's derive_key mode, and the data is hashed in keyed mode
// under that key, so no two uses can ever produce the same digest for the same bytes.
// The table below is the single source of truth; docs/consensus.md lists the same rows
// and tests/crypto/hash_test.cpp checks each key against an independent computation.
//
// Hashes compare and print as 32-byte big-endian unsigned integers (byte 0 is the most
// significant): `hash <= target` is a byte-wise comparison, hex is the bytes in order.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <blake3.h>

#include "util/bytes.h"

namespace cairn {

using Hash256 = FixedBytes<32>;

// DO NOT CHANGE THESE VALUES OR STRINGS: they are consensus.
enum class HashContext : uint8_t {
  header,       // block header -> block hash and proof of work
  txid,         // transaction without witnesses
  wtxid,        // transaction with witnesses
  merkle_leaf,  // RFC 6962 leaf
  merkle_node,  // RFC 6962 interior node (and the empty tree)
  sighash,      // the signature message of one input
  sighash_prevouts,
  sighash_values,
  sighash_locks,
  sighash_outputs,
  sighash_payload,
  lock,            // a revealed lock -> the lock hash an output commits to
  key_hash,        // an Ed25519 public key -> the key hash an output commits to
  compact,         // compact-block short-id key (BIP-152 style)
  lthash_element,  // state element -> 2048-byte LtHash vector (XOF)
  lthash_root,     // LtHash lanes -> state root
  vote,            // finality vote id (vote root leaves)
  vote_sign,       // the message a validator signs for a vote
  unbond_sign,     // the message a voting key signs to unbond
  gossip_id,       // gossipsub message id of Cairn's topics (StrictNoSign)
  contract_code,   // a contract's original module -> its code hash
  contract_id,     // deployer, salt and code hash -> the contract id
  kCount,
};

struct HashContextInfo {
  HashContext id;
  std::string_view context;  // the derive_key context string
};

inline constexpr std::array<HashContextInfo, static_cast<size_t>(HashContext::kCount)> kHashContexts{{
    {HashContext::header, "cairn v1 header"},
    {HashContext::txid, "cairn v1 txid"},
    {HashContext::wtxid, "cairn v1 wtxid"},
    {HashContext::merkle_leaf, "cairn v1 merkle leaf"},
    {HashContext::merkle_node, "cairn v1 merkle node"},
    {HashContext::sighash, "cairn v1 sighash"},
    {HashContext::sighash_prevouts, "cairn v1 sighash prevouts"},
    {HashContext::sighash_values, "cairn v1 sighash values"},
    {HashContext::sighash_locks, "cairn v1 sighash locks"},
    {HashContext::sighash_outputs, "cairn v1 sighash outputs"},
    {HashContext::sighash_payload, "cairn v1 sighash payload"},
    {HashContext::lock, "cairn v1 lock"},
    {HashContext::key_hash, "cairn v1 key hash"},
    {HashContext::compact, "cairn v1 compact"},
    {HashContext::lthash_element, "cairn v1 lthash element"},
    {HashContext::lthash_root, "cairn v1 lthash root"},
    {HashContext::vote, "cairn v1 vote"},
    {HashContext::vote_sign, "cairn v1 vote sign"},
    {HashContext::unbond_sign, "cairn v1 unbond sign"},
    {HashContext::gossip_id, "cairn v1 gossip id"},
    {HashContext::contract_code, "cairn v1 contract code"},
    {HashContext::contract_id, "cairn v1 contract id"},
}};

std::string_view context_string(HashContext ctx);
// The 32-byte key derived from the context string (computed once, then cached).
const Hash256& context_key(HashContext ctx);

// Plain (unkeyed) BLAKE3-256, for uses outside consensus domains (hash-lock preimages,
// which other chains must be able to compute too).
Hash256 blake3(ByteSpan data);
// Keyed BLAKE3-256 under the context's derived key.
Hash256 hash(HashContext ctx, ByteSpan data);
// BLAKE3 derive_key(context, material) with a caller-chosen context (non-consensus uses).
Hash256 derive_key(std::string_view context, ByteSpan material);

// Incremental hashing in any of BLAKE3's three modes, with extendable output.
// Not thread-safe; cheap to copy (the state is ~2 KiB, no heap).
class Hasher {
 public:
  static Hasher plain();
  static Hasher keyed(const Hash256& key);
  static Hasher keyed(HashContext ctx) { return keyed(context_key(ctx)); }
  static Hasher derive_key(std::string_view context);

  Hasher& update(ByteSpan data);
  Hash256 finalize() const;
  // Extendable output: fills `out` with the stream starting at byte `seek`.
  void finalize_xof(std::span<uint8_t> out, uint64_t seek = 0) const;

 private:
  Hasher() = default;
  blake3_hasher h_;
};

}  // namespace cairn
