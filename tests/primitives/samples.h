// Sample structures for the primitives tests: deterministic, and covering every tag, kind
// and optional field of the encodings. The known-answer vectors in tests/data pin their
// encodings, so changing a sample means regenerating those vectors.
#pragma once

#include <cstdint>

#include <gtest/gtest.h>

#include "primitives/block.h"
#include "primitives/lock.h"
#include "primitives/transaction.h"
#include "util/codec.h"

namespace cairn::test {

// A FixedBytes whose byte i is seed + i (mod 256).
template <size_t N>
FixedBytes<N> filled(uint8_t seed) {
  FixedBytes<N> out;
  for (size_t i = 0; i < N; ++i) out.bytes[i] = static_cast<uint8_t>(seed + i);
  return out;
}

inline PublicKey sample_key(uint8_t seed) { return filled<32>(seed); }
inline TypedSignature sample_signature(uint8_t seed) { return {filled<64>(seed), 0x01}; }

// Builders for lock and satisfaction nodes (plain assignments: GCC 12 warns about
// designated initializers that leave members to their defaults).
inline LockNode key_node(uint8_t seed) {
  LockNode node;
  node.tag = LockTag::key;
  node.keys = {sample_key(seed)};
  return node;
}
inline LockNode hash_node(const Hash256& digest) {
  LockNode node;
  node.tag = LockTag::hash;
  node.digest = digest;
  return node;
}
inline LockNode time_node(LockTag tag, TimeKind kind, uint64_t value) {
  LockNode node;
  node.tag = tag;
  node.time = {kind, value};
  return node;
}
inline LockNode multi_node(uint32_t threshold, size_t n_keys, uint8_t seed) {
  LockNode node;
  node.tag = LockTag::multi;
  node.threshold = threshold;
  for (size_t i = 0; i < n_keys; ++i) node.keys.push_back(sample_key(static_cast<uint8_t>(seed + i)));
  return node;
}
inline LockNode parent_node(LockTag tag, std::vector<LockNode> children) {
  LockNode node;
  node.tag = tag;
  node.children = std::move(children);
  return node;
}

// A satisfaction node with nothing but its tag (after, older; or to fill in).
inline Satisfaction tag_sat(LockTag tag) {
  Satisfaction s;
  s.tag = tag;
  return s;
}
inline Satisfaction key_sat(std::optional<TypedSignature> sig) {
  Satisfaction s = tag_sat(LockTag::key);
  s.signatures = {sig};
  return s;
}
inline Satisfaction multi_sat(std::vector<std::optional<TypedSignature>> sigs) {
  Satisfaction s = tag_sat(LockTag::multi);
  s.signatures = std::move(sigs);
  return s;
}
inline Satisfaction hash_sat(Bytes preimage) {
  Satisfaction s = tag_sat(LockTag::hash);
  s.preimage = std::move(preimage);
  return s;
}
inline Satisfaction all_sat(std::vector<Satisfaction> children) {
  Satisfaction s = tag_sat(LockTag::all);
  s.children = std::move(children);
  return s;
}
inline Satisfaction any_sat(uint32_t branch, Satisfaction child) {
  Satisfaction s = tag_sat(LockTag::any);
  s.branch = branch;
  s.children = {std::move(child)};
  return s;
}

// any(all(key, after height 100), multi 2-of-3, all(hash, older 3600 s, key)): every tag.
inline Lock sample_lock() {
  return {
      kLockVersion,
      parent_node(
          LockTag::any,
          {parent_node(LockTag::all, {key_node(0x10), time_node(LockTag::after, TimeKind::height, 100)}),
           multi_node(2, 3, 0x20),
           parent_node(LockTag::all, {hash_node(filled<32>(0x90)),
                                      time_node(LockTag::older, TimeKind::seconds, 3600), key_node(0x30)})})};
}

// Takes the multisig branch of sample_lock(), with the second of three signatures absent.
inline Satisfaction sample_satisfaction() {
  return any_sat(1, multi_sat({sample_signature(0x40), std::nullopt, sample_signature(0x50)}));
}

// An all() satisfaction over every other tag, so each satisfaction encoding appears once.
inline Satisfaction sample_satisfaction_all_tags() {
  return all_sat({key_sat(sample_signature(0x60)), key_sat(std::nullopt), hash_sat({'c', 'a', 'i', 'r', 'n'}),
                  tag_sat(LockTag::after), tag_sat(LockTag::older), sample_satisfaction()});
}

inline OutputLock sample_output_lock(uint8_t seed) { return {OutputLockKind::key_hash, filled<32>(seed)}; }

// Two inputs (a key spend and a lock spend), two outputs (key hash and lock hash).
inline Transaction sample_transaction() {
  Transaction tx;
  tx.inputs.push_back({{filled<32>(0xa0), 0}, KeySpend{sample_key(0x01), sample_signature(0x02)}});
  tx.inputs.push_back({{filled<32>(0xb0), 7}, LockSpend{sample_lock(), sample_satisfaction()}});
  tx.outputs.push_back({50 * kCoin, sample_output_lock(0xc0)});
  tx.outputs.push_back({12'345, lock_hash_lock(sample_lock())});
  tx.lock_time = 1'000;
  return tx;
}

// The outputs sample_transaction() spends, in input order.
inline std::vector<TxOut> sample_spent_outputs() {
  return {{70 * kCoin, key_hash_lock(sample_key(0x01))}, {5 * kCoin, lock_hash_lock(sample_lock())}};
}

inline Transaction sample_coinbase(uint64_t height) {
  Transaction tx;
  tx.outputs.push_back({50 * kCoin, sample_output_lock(0xd0)});
  tx.payload = {PayloadKind::coinbase, encode_coinbase_body({height, {'h', 'i'}})};
  return tx;
}

inline BlockHeader sample_header() {
  return {.version = kHeaderVersion,
          .height = 42,
          .prev = filled<32>(0x01),
          .tx_root = filled<32>(0x21),
          .witness_root = filled<32>(0x41),
          .state_root = filled<32>(0x61),
          .vote_root = filled<32>(0x81),
          .timestamp = 1'700'000'000,
          .target = 0x1d00ffff,
          .nonce = 0x0123456789abcdefULL};
}

inline Vote sample_vote(uint8_t seed) {
  return {.version = kVoteVersion,
          .validator = filled<32>(seed),
          .source_hash = filled<32>(static_cast<uint8_t>(seed + 1)),
          .source_epoch = 3,
          .target_hash = filled<32>(static_cast<uint8_t>(seed + 2)),
          .target_epoch = 4,
          .signature = filled<64>(static_cast<uint8_t>(seed + 3))};
}

inline Block sample_block() {
  Block b{.header = sample_header(),
          .transactions = {sample_coinbase(42), sample_transaction()},
          .votes = {sample_vote(0x11), sample_vote(0x22)}};
  b.header.tx_root = compute_tx_root(b);
  b.header.witness_root = compute_witness_root(b);
  b.header.vote_root = compute_vote_root(b);
  return b;
}

// The value of a Result that must hold one. On an Error the test fails with its message
// and carries on with a default value, instead of stopping the whole run on an assertion.
template <class T>
T ok(Result<T> result) {
  if (!result) {
    ADD_FAILURE() << "unexpected error: " << result.error().to_string();
    return T{};
  }
  return std::move(result).value();
}

// Encodes any value that has an encode(Writer&, const T&) overload.
template <class T>
Bytes encode_one(const T& value) {
  Writer w;
  encode(w, value);
  return w.take();
}

// Decodes exactly one value with a Reader-based decoder; trailing bytes are an error.
template <class Decode>
auto decode_one(ByteSpan bytes, Decode decode) {
  Reader r(bytes);
  auto value = decode(r);
  return r.finish(std::move(value));
}

// Every strict prefix of `bytes` must fail to decode with a truncation error (not crash,
// not succeed), and appending a byte must fail as trailing data.
template <class Decode>
void expect_strict_framing(const Bytes& bytes, Decode decode) {
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto result = decode(ByteSpan(bytes).first(cut));
    ASSERT_FALSE(result) << "a prefix of " << cut << " of " << bytes.size() << " bytes decoded";
    EXPECT_NE(result.error().message.find("truncated"), std::string::npos)
        << "cut at " << cut << ": " << result.error().message;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  auto result = decode(longer);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "1 trailing bytes after the end of the structure");
}

// Decoding `bytes` fails with an error whose message is exactly `message`.
template <class Decode>
void expect_decode_error(const Bytes& bytes, Decode decode, const std::string& message) {
  auto result = decode(bytes);
  ASSERT_FALSE(result) << "expected: " << message;
  EXPECT_EQ(result.error().message, message);
}

inline Bytes concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace cairn::test
