#include "primitives/lock.h"

#include <cassert>
#include <string>
#include <type_traits>

namespace cairn {
namespace {

// encode(Witness) writes the variant's index as the WitnessKind.
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(WitnessKind::none), Witness>,
                             std::monostate>);
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<size_t>(WitnessKind::key), Witness>, KeySpend>);
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<size_t>(WitnessKind::lock), Witness>, LockSpend>);

// ---- encoding ----

void encode(Writer& w, const LockTime& t) {
  w.u8(static_cast<uint8_t>(t.kind));
  w.u64(t.value);
}

void encode(Writer& w, const LockNode& node) {
  w.u8(static_cast<uint8_t>(node.tag));
  switch (node.tag) {
    case LockTag::key:
      assert(node.keys.size() == 1 && "a key node has exactly one key");
      w.raw(node.keys[0]);
      break;
    case LockTag::multi:
      assert(node.threshold <= 0xff && "the threshold is encoded as a u8");
      w.u8(static_cast<uint8_t>(node.threshold));
      w.varint(node.keys.size());
      for (const auto& key : node.keys) w.raw(key);
      break;
    case LockTag::hash:
      w.raw(node.digest);
      break;
    case LockTag::after:
    case LockTag::older:
      encode(w, node.time);
      break;
    case LockTag::all:
    case LockTag::any:
      w.varint(node.children.size());
      for (const auto& child : node.children) encode(w, child);
      break;
  }
}

void encode(Writer& w, const std::optional<TypedSignature>& sig) {
  w.u8(sig ? 1 : 0);
  if (sig) encode(w, *sig);
}

// ---- decoding ----

bool is_known_tag(uint8_t tag) {
  return tag >= static_cast<uint8_t>(LockTag::key) && tag <= static_cast<uint8_t>(LockTag::any);
}

bool is_combinator(LockTag tag) { return tag == LockTag::all || tag == LockTag::any; }

// Reads a node's tag, enforcing the limits shared by lock and satisfaction trees: at most
// kMaxLockNodes nodes, and a combinator only where it keeps the ALL/ANY nesting within
// kMaxLockDepth. Checking depth here, before any child is decoded, bounds the recursion
// whatever the input. Returns nullopt (with the error recorded) if the node is refused.
std::optional<LockTag> read_tag(Reader& r, size_t& nodes, size_t depth) {
  if (++nodes > kMaxLockNodes) {
    r.fail(ErrorCode::limit, "", "more than " + std::to_string(kMaxLockNodes) + " nodes in one tree");
    return std::nullopt;
  }
  const uint8_t raw = r.u8("tag");
  if (!r.ok()) return std::nullopt;
  if (!is_known_tag(raw)) {
    r.fail(ErrorCode::decode, "tag", "unknown tag " + std::to_string(raw));
    return std::nullopt;
  }
  const auto tag = static_cast<LockTag>(raw);
  if (is_combinator(tag) && depth >= kMaxLockDepth) {
    r.fail(ErrorCode::limit, "tag",
           "all/any nested more than " + std::to_string(kMaxLockDepth) + " levels deep");
    return std::nullopt;
  }
  return tag;
}

// A count of at least one and at most `max` (an empty multisig, ALL or ANY is meaningless).
size_t read_nonempty_count(Reader& r, const char* field, size_t max) {
  const size_t n = r.count(field, max);
  if (r.ok() && n == 0) r.fail(ErrorCode::decode, field, "must not be empty");
  return n;
}

LockTime decode_lock_time(Reader& r) {
  auto scope = r.scope("time");
  LockTime t;
  const uint8_t kind = r.u8("kind");
  if (r.ok() && kind > static_cast<uint8_t>(TimeKind::seconds)) {
    r.fail(ErrorCode::decode, "kind", "unknown time kind " + std::to_string(kind));
  }
  t.kind = static_cast<TimeKind>(kind);
  t.value = r.u64("value");
  return t;
}

// `depth` counts the ALL/ANY ancestors of the node.
LockNode decode_lock_node(Reader& r, size_t& nodes, size_t depth) {
  LockNode node;
  const auto tag = read_tag(r, nodes, depth);
  if (!tag) return node;
  node.tag = *tag;
  switch (node.tag) {
    case LockTag::key:
      node.keys.push_back(r.fixed<32>("public_key"));
      break;
    case LockTag::multi: {
      node.threshold = r.u8("threshold");
      const size_t n = read_nonempty_count(r, "keys", kMaxMultisigKeys);
      if (r.ok() && (node.threshold < 1 || node.threshold > n)) {
        r.fail(ErrorCode::decode, "threshold",
               std::to_string(node.threshold) + " is not between 1 and the " + std::to_string(n) + " keys");
      }
      for (size_t i = 0; i < n && r.ok(); ++i) {
        auto scope = r.scope("keys", static_cast<int64_t>(i));
        node.keys.push_back(r.fixed<32>(""));
      }
      break;
    }
    case LockTag::hash:
      node.digest = r.fixed<32>("digest");
      break;
    case LockTag::after:
    case LockTag::older:
      node.time = decode_lock_time(r);
      break;
    case LockTag::all:
    case LockTag::any: {
      const size_t n = read_nonempty_count(r, "children", kMaxLockChildren);
      node.children.reserve(n);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        auto scope = r.scope("children", static_cast<int64_t>(i));
        node.children.push_back(decode_lock_node(r, nodes, depth + 1));
      }
      break;
    }
  }
  return node;
}

std::optional<TypedSignature> decode_opt_signature(Reader& r) {
  const uint8_t present = r.u8("present");
  if (!r.ok() || present == 0) return std::nullopt;
  if (present != 1) {
    r.fail(ErrorCode::decode, "present", "must be 0 or 1, got " + std::to_string(present));
    return std::nullopt;
  }
  return decode_typed_signature(r);
}

Satisfaction decode_satisfaction_node(Reader& r, size_t& nodes, size_t depth) {
  Satisfaction s;
  const auto tag = read_tag(r, nodes, depth);
  if (!tag) return s;
  s.tag = *tag;
  switch (s.tag) {
    case LockTag::key:
      s.signatures.push_back(decode_opt_signature(r));
      break;
    case LockTag::multi: {
      const size_t n = read_nonempty_count(r, "signatures", kMaxMultisigKeys);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        auto scope = r.scope("signatures", static_cast<int64_t>(i));
        s.signatures.push_back(decode_opt_signature(r));
      }
      break;
    }
    case LockTag::hash:
      s.preimage = r.bytes("preimage", kMaxPreimageBytes);
      break;
    case LockTag::after:
    case LockTag::older:
      break;
    case LockTag::all: {
      const size_t n = read_nonempty_count(r, "children", kMaxLockChildren);
      s.children.reserve(n);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        auto scope = r.scope("children", static_cast<int64_t>(i));
        s.children.push_back(decode_satisfaction_node(r, nodes, depth + 1));
      }
      break;
    }
    case LockTag::any: {
      s.branch = r.u8("branch");
      if (r.ok() && s.branch >= kMaxLockChildren) {
        r.fail(ErrorCode::limit, "branch",
               std::to_string(s.branch) + " is not below the limit of " + std::to_string(kMaxLockChildren) +
                   " children");
        break;
      }
      auto scope = r.scope("child");
      s.children.push_back(decode_satisfaction_node(r, nodes, depth + 1));
      break;
    }
  }
  return s;
}

}  // namespace

Hash256 key_hash(const PublicKey& key) { return hash(HashContext::key_hash, key); }
Hash256 lock_hash(const Lock& lock) { return hash(HashContext::lock, encode(lock)); }
OutputLock key_hash_lock(const PublicKey& key) { return {OutputLockKind::key_hash, key_hash(key)}; }
OutputLock lock_hash_lock(const Lock& lock) { return {OutputLockKind::lock_hash, lock_hash(lock)}; }

void encode(Writer& w, const OutputLock& lock) {
  w.u8(static_cast<uint8_t>(lock.kind));
  w.raw(lock.hash);
}

void encode(Writer& w, const TypedSignature& sig) {
  w.raw(sig.signature);
  w.u8(sig.type);
}

void encode(Writer& w, const Lock& lock) {
  w.u8(lock.version);
  encode(w, lock.root);
}

Bytes encode(const Lock& lock) {
  Writer w;
  encode(w, lock);
  return w.take();
}

void encode(Writer& w, const Satisfaction& s) {
  w.u8(static_cast<uint8_t>(s.tag));
  switch (s.tag) {
    case LockTag::key:
      assert(s.signatures.size() == 1 && "a key satisfaction has exactly one signature slot");
      encode(w, s.signatures[0]);
      break;
    case LockTag::multi:
      w.varint(s.signatures.size());
      for (const auto& sig : s.signatures) encode(w, sig);
      break;
    case LockTag::hash:
      w.bytes(s.preimage);
      break;
    case LockTag::after:
    case LockTag::older:
      break;
    case LockTag::all:
      w.varint(s.children.size());
      for (const auto& child : s.children) encode(w, child);
      break;
    case LockTag::any:
      assert(s.branch <= 0xff && s.children.size() == 1 && "an any satisfaction holds the one chosen child");
      w.u8(static_cast<uint8_t>(s.branch));
      encode(w, s.children[0]);
      break;
  }
}

void encode(Writer& w, const Witness& witness) {
  w.u8(static_cast<uint8_t>(witness.index()));
  if (const auto* key = std::get_if<KeySpend>(&witness)) {
    w.raw(key->key);
    encode(w, key->signature);
  } else if (const auto* spend = std::get_if<LockSpend>(&witness)) {
    encode(w, spend->lock);
    encode(w, spend->satisfaction);
  }
}

OutputLock decode_output_lock(Reader& r) {
  OutputLock lock;
  const uint8_t kind = r.u8("kind");
  if (r.ok() && kind != static_cast<uint8_t>(OutputLockKind::key_hash) &&
      kind != static_cast<uint8_t>(OutputLockKind::lock_hash)) {
    r.fail(ErrorCode::decode, "kind", "unknown output lock kind " + std::to_string(kind));
  }
  lock.kind = static_cast<OutputLockKind>(kind);
  lock.hash = r.fixed<32>("hash");
  return lock;
}

TypedSignature decode_typed_signature(Reader& r) {
  TypedSignature sig;
  sig.signature = r.fixed<64>("signature");
  sig.type = r.u8("sighash_type");
  return sig;
}

Lock decode_lock(Reader& r) {
  const size_t start = r.position();
  Lock lock;
  lock.version = r.u8("version");
  if (r.ok() && lock.version != kLockVersion) {
    r.fail(ErrorCode::decode, "version", "unknown lock version " + std::to_string(lock.version));
    return lock;
  }
  size_t nodes = 0;
  lock.root = decode_lock_node(r, nodes, 0);
  // The node and key limits already bound the work; this is the size limit of the format.
  if (const size_t size = r.position() - start; r.ok() && size > kMaxLockBytes) {
    r.fail(ErrorCode::limit, "",
           "encoded size " + std::to_string(size) + " exceeds the limit of " + std::to_string(kMaxLockBytes) +
               " bytes");
  }
  return lock;
}

Result<Lock> decode_lock(ByteSpan bytes) {
  Reader r(bytes);
  Lock lock;
  {
    auto scope = r.scope("lock");
    lock = decode_lock(r);
  }
  return r.finish(std::move(lock));
}

Satisfaction decode_satisfaction(Reader& r) {
  size_t nodes = 0;
  return decode_satisfaction_node(r, nodes, 0);
}

Witness decode_witness(Reader& r) {
  const uint8_t kind = r.u8("kind");
  if (!r.ok()) return {};
  switch (kind) {
    case static_cast<uint8_t>(WitnessKind::none):
      return std::monostate{};
    case static_cast<uint8_t>(WitnessKind::key): {
      KeySpend spend;
      spend.key = r.fixed<32>("public_key");
      spend.signature = decode_typed_signature(r);
      return spend;
    }
    case static_cast<uint8_t>(WitnessKind::lock): {
      LockSpend spend;
      {
        auto scope = r.scope("lock");
        spend.lock = decode_lock(r);
      }
      auto scope = r.scope("satisfaction");
      spend.satisfaction = decode_satisfaction(r);
      return spend;
    }
    default:
      r.fail(ErrorCode::decode, "kind", "unknown witness kind " + std::to_string(kind));
      return {};
  }
}

}  // namespace cairn
