// Locks (spending conditions) and witnesses (what satisfies them).
//
// An output commits to a 33-byte OutputLock: either the hash of one Ed25519 public key
// (the common, small case) or the hash of a Lock that the spender reveals. A Lock is a
// small tree: single keys, M-of-N multisig, a BLAKE3 hash-lock, absolute and relative
// time-locks, and ALL/ANY combinations. A Satisfaction mirrors the tree: the signatures,
// preimage and branch choices that meet it. Evaluation is consensus/lock_eval.h.
//
// Encodings in docs/consensus.md "Locks and witnesses". Hard limits bound a lock's size,
// depth and node count, so decoding and evaluation are cheap however hostile the input.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "util/codec.h"

namespace cairn {

inline constexpr uint8_t kLockVersion = 1;
// Decoding enforces every limit below. A satisfaction mirrors its lock, so the depth, node,
// key and children limits bound satisfactions too (an ANY's branch is below kMaxLockChildren).
inline constexpr size_t kMaxLockBytes = 2'048;   // encoded Lock
inline constexpr size_t kMaxLockDepth = 8;       // ALL/ANY nodes on one root-to-leaf path
inline constexpr size_t kMaxLockNodes = 64;      // nodes in one lock
inline constexpr size_t kMaxMultisigKeys = 20;   // N of M-of-N
inline constexpr size_t kMaxPreimageBytes = 64;  // hash-lock preimage
inline constexpr size_t kMaxLockChildren = 16;   // children of one ALL/ANY

// DO NOT CHANGE THESE VALUES: consensus.
enum class OutputLockKind : uint8_t {
  key_hash = 1,   // hash = H("cairn v1 key hash", public key)
  lock_hash = 2,  // hash = H("cairn v1 lock", encoded Lock)
};

struct OutputLock {
  OutputLockKind kind = OutputLockKind::key_hash;
  Hash256 hash;
  bool operator==(const OutputLock&) const = default;
};

// DO NOT CHANGE THESE VALUES: consensus.
enum class SighashType : uint8_t { all = 0x01 };

// A signature and the sighash type it signs under (encoded as 64 + 1 bytes). Any type
// byte decodes; only defined types verify.
struct TypedSignature {
  Signature signature;
  uint8_t type = static_cast<uint8_t>(SighashType::all);
  bool operator==(const TypedSignature&) const = default;
};

// DO NOT CHANGE THESE VALUES: consensus.
enum class LockTag : uint8_t {
  key = 1,    // one public key must sign
  multi = 2,  // `threshold` of `keys` must sign
  hash = 3,   // plain BLAKE3(preimage) == digest (interoperable with other chains' tools)
  after = 4,  // absolute: the transaction's lock_time is at least `time` (same kind)
  older = 5,  // relative: the spent coin is at least `time` old
  all = 6,    // every child
  any = 7,    // one child, chosen by the spender
};

// DO NOT CHANGE THESE VALUES: consensus.
enum class TimeKind : uint8_t { height = 0, seconds = 1 };

struct LockTime {
  TimeKind kind = TimeKind::height;
  uint64_t value = 0;
  bool operator==(const LockTime&) const = default;
};

// One node of a lock tree; which fields matter depends on `tag`.
struct LockNode {
  LockTag tag = LockTag::key;
  uint32_t threshold = 0;          // multi
  std::vector<PublicKey> keys;     // key (exactly one), multi (1..kMaxMultisigKeys)
  Hash256 digest;                  // hash
  LockTime time;                   // after, older
  std::vector<LockNode> children;  // all, any (1..kMaxLockChildren)
  bool operator==(const LockNode&) const = default;
};

struct Lock {
  uint8_t version = kLockVersion;
  LockNode root;
  bool operator==(const Lock&) const = default;
};

// Mirrors a LockNode. For `key`, `signatures` has one entry; for `multi`, one per key, in
// key order, absent (nullopt) where that key has not signed. `branch` picks the child of
// `any`; `children` has one entry per child of `all` and exactly one for `any`.
// Absent signatures let an input exist while it is being signed; only a satisfaction
// with enough present, valid signatures is valid.
struct Satisfaction {
  LockTag tag = LockTag::key;
  std::vector<std::optional<TypedSignature>> signatures;
  Bytes preimage;
  uint32_t branch = 0;
  std::vector<Satisfaction> children;
  bool operator==(const Satisfaction&) const = default;
};

struct KeySpend {
  PublicKey key;
  TypedSignature signature;
  bool operator==(const KeySpend&) const = default;
};

struct LockSpend {
  Lock lock;
  Satisfaction satisfaction;
  bool operator==(const LockSpend&) const = default;
};

// The witness of one input: nothing yet (unsigned), a key spend, or a revealed lock and
// its satisfaction. The alternatives are in the order of WitnessKind.
using Witness = std::variant<std::monostate, KeySpend, LockSpend>;

// The first byte of an encoded Witness. DO NOT CHANGE THESE VALUES: consensus.
enum class WitnessKind : uint8_t { none = 0, key = 1, lock = 2 };

OutputLock key_hash_lock(const PublicKey& key);
OutputLock lock_hash_lock(const Lock& lock);
Hash256 key_hash(const PublicKey& key);
Hash256 lock_hash(const Lock& lock);

void encode(Writer& w, const OutputLock& lock);
void encode(Writer& w, const TypedSignature& sig);
void encode(Writer& w, const Lock& lock);
void encode(Writer& w, const Satisfaction& s);
void encode(Writer& w, const Witness& witness);
Bytes encode(const Lock& lock);

OutputLock decode_output_lock(Reader& r);
TypedSignature decode_typed_signature(Reader& r);
Lock decode_lock(Reader& r);
Satisfaction decode_satisfaction(Reader& r);
Witness decode_witness(Reader& r);
Result<Lock> decode_lock(ByteSpan bytes);

}  // namespace cairn
