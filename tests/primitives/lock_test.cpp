#include "primitives/lock.h"

#include <gtest/gtest.h>

#include "primitives/samples.h"

namespace cairn {
namespace {

using test::all_sat;
using test::any_sat;
using test::concat;
using test::decode_one;
using test::encode_one;
using test::expect_decode_error;
using test::expect_strict_framing;
using test::filled;
using test::hash_sat;
using test::key_node;
using test::key_sat;
using test::multi_node;
using test::multi_sat;
using test::parent_node;
using test::sample_key;
using test::sample_signature;
using test::tag_sat;
using test::time_node;

Result<OutputLock> decode_output_lock_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_output_lock(r); });
}
Result<Lock> decode_lock_bytes(ByteSpan b) { return decode_lock(b); }
Result<Satisfaction> decode_satisfaction_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_satisfaction(r); });
}
Result<Witness> decode_witness_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_witness(r); });
}

// `levels` nested nodes of `tag`, each with one child, around a key: `levels` ALL/ANY nodes
// on the path to the leaf.
LockNode nested_lock(LockTag tag, size_t levels) {
  LockNode node = key_node(1);
  for (size_t i = 0; i < levels; ++i) node = parent_node(tag, {node});
  return node;
}

Satisfaction nested_satisfaction(LockTag tag, size_t levels) {
  Satisfaction s = key_sat(sample_signature(1));
  for (size_t i = 0; i < levels; ++i) s = tag == LockTag::any ? any_sat(0, s) : all_sat({s});
  return s;
}

// An ALL of `groups` ALLs holding `leaves` time-lock leaves between them: 1 + groups + leaves nodes.
LockNode lock_with_nodes(size_t groups, size_t leaves) {
  std::vector<LockNode> parents(groups, parent_node(LockTag::all, {}));
  for (size_t i = 0; i < leaves; ++i) {
    parents[i % groups].children.push_back(time_node(LockTag::after, TimeKind::height, i));
  }
  return parent_node(LockTag::all, parents);
}

std::string nested_path(const std::string& root, size_t levels, const std::string& child) {
  std::string path = root;
  for (size_t i = 0; i < levels; ++i) path += "." + child;
  return path;
}

// ---- OutputLock ----

TEST(OutputLock, RoundTripsBothKindsIn33Bytes) {
  for (auto kind : {OutputLockKind::key_hash, OutputLockKind::lock_hash}) {
    const OutputLock lock{kind, filled<32>(7)};
    const Bytes bytes = encode_one(lock);
    ASSERT_EQ(bytes.size(), 33u);
    EXPECT_EQ(bytes[0], static_cast<uint8_t>(kind));
    EXPECT_EQ(test::ok(decode_output_lock_bytes(bytes)), lock);
    expect_strict_framing(bytes, decode_output_lock_bytes);
  }
}

TEST(OutputLock, UnknownKindIsRejected) {
  for (uint8_t kind : std::initializer_list<uint8_t>{0, 3, 255}) {
    Bytes bytes = encode_one(OutputLock{OutputLockKind::key_hash, filled<32>(7)});
    bytes[0] = kind;
    expect_decode_error(bytes, decode_output_lock_bytes,
                        "kind: unknown output lock kind " + std::to_string(kind));
  }
}

TEST(OutputLock, HashesUseTheirOwnContexts) {
  const PublicKey key = sample_key(9);
  EXPECT_EQ(key_hash(key), hash(HashContext::key_hash, key));
  EXPECT_EQ(key_hash_lock(key), (OutputLock{OutputLockKind::key_hash, key_hash(key)}));
  const Lock lock = test::sample_lock();
  EXPECT_EQ(lock_hash(lock), hash(HashContext::lock, encode(lock)));
  EXPECT_EQ(lock_hash_lock(lock), (OutputLock{OutputLockKind::lock_hash, lock_hash(lock)}));
  EXPECT_NE(key_hash(key), lock_hash(Lock{kLockVersion, key_node(9)}));
}

// ---- TypedSignature ----

TEST(TypedSignature, AnyTypeByteDecodes) {
  for (uint8_t type : std::initializer_list<uint8_t>{0x00, 0x01, 0x02, 0xff}) {
    const TypedSignature sig{filled<64>(3), type};
    const Bytes bytes = encode_one(sig);
    ASSERT_EQ(bytes.size(), 65u);
    EXPECT_EQ(bytes.back(), type);
    EXPECT_EQ(test::ok(decode_one(bytes, [](Reader& r) { return decode_typed_signature(r); })), sig);
  }
}

// ---- Lock ----

TEST(Lock, SampleWithEveryTagRoundTrips) {
  const Lock lock = test::sample_lock();
  const Bytes bytes = encode(lock);
  EXPECT_EQ(encode_one(lock), bytes);
  EXPECT_EQ(test::ok(decode_lock(bytes)), lock);
  expect_strict_framing(bytes, decode_lock_bytes);
}

TEST(Lock, EncodingFollowsTheDocumentedLayout) {
  const PublicKey k1 = sample_key(1), k2 = sample_key(2);
  EXPECT_EQ(encode(Lock{kLockVersion, key_node(1)}), concat({Bytes{0x01, 0x01}, k1}));
  Lock multi{kLockVersion, multi_node(1, 2, 1)};
  EXPECT_EQ(encode(multi), concat({Bytes{0x01, 0x02, 0x01, 0x02}, k1, k2}));
  Lock after{kLockVersion, time_node(LockTag::older, TimeKind::seconds, 0x0102)};
  EXPECT_EQ(encode(after), (Bytes{0x01, 0x05, 0x01, 0x02, 0x01, 0, 0, 0, 0, 0, 0}));
  Lock any{kLockVersion, parent_node(LockTag::any, {key_node(1), key_node(2)})};
  EXPECT_EQ(encode(any), concat({Bytes{0x01, 0x07, 0x02, 0x01}, k1, Bytes{0x01}, k2}));
}

TEST(Lock, UnknownVersionIsRejected) {
  for (uint8_t version : std::initializer_list<uint8_t>{0, 2}) {
    Bytes bytes = encode(Lock{kLockVersion, key_node(1)});
    bytes[0] = version;
    expect_decode_error(bytes, decode_lock_bytes,
                        "lock.version: unknown lock version " + std::to_string(version));
  }
}

TEST(Lock, UnknownTagIsRejectedAtAnyDepth) {
  expect_decode_error({0x01, 0x00}, decode_lock_bytes, "lock.tag: unknown tag 0");
  expect_decode_error({0x01, 0x08}, decode_lock_bytes, "lock.tag: unknown tag 8");
  Bytes nested = encode(Lock{kLockVersion, parent_node(LockTag::all, {key_node(1), key_node(2)})});
  nested[3 + 33] = 0x08;  // the second child's tag
  expect_decode_error(nested, decode_lock_bytes, "lock.children[1].tag: unknown tag 8");
}

TEST(Lock, UnknownTimeKindIsRejected) {
  Bytes bytes = encode(Lock{kLockVersion, time_node(LockTag::after, TimeKind::height, 5)});
  bytes[2] = 2;
  expect_decode_error(bytes, decode_lock_bytes, "lock.time.kind: unknown time kind 2");
}

TEST(Lock, NestingDepthLimit) {
  for (auto tag : {LockTag::all, LockTag::any}) {
    const Lock at_limit{kLockVersion, nested_lock(tag, kMaxLockDepth)};
    EXPECT_EQ(test::ok(decode_lock(encode(at_limit))), at_limit);
    const Lock over{kLockVersion, nested_lock(tag, kMaxLockDepth + 1)};
    expect_decode_error(
        encode(over), decode_lock_bytes,
        nested_path("lock", kMaxLockDepth, "children[0]") + ".tag: all/any nested more than 8 levels deep");
  }
}

TEST(Lock, HostileNestingIsRefusedWithoutDeepRecursion) {
  // 100,000 nested one-child ALLs: the decoder must stop at the limit, not recurse.
  Bytes bytes{kLockVersion};
  for (int i = 0; i < 100'000; ++i) bytes.insert(bytes.end(), {0x06, 0x01});
  auto result = decode_lock(bytes);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::limit);
}

TEST(Lock, NodeCountLimit) {
  // 1 + 4 + 59 = 64 nodes; one more leaf makes 65.
  const Lock at_limit{kLockVersion, lock_with_nodes(4, 59)};
  EXPECT_EQ(test::ok(decode_lock(encode(at_limit))), at_limit);
  const Lock over{kLockVersion, lock_with_nodes(4, 60)};
  auto result = decode_lock(encode(over));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::limit);
  EXPECT_EQ(result.error().message, "lock.children[3].children[14]: more than 64 nodes in one tree");
}

TEST(Lock, ChildrenCountLimits) {
  const auto with_children = [](size_t n) {
    std::vector<LockNode> leaves(n, time_node(LockTag::older, TimeKind::height, 1));
    return Lock{kLockVersion, parent_node(LockTag::any, leaves)};
  };
  EXPECT_EQ(test::ok(decode_lock(encode(with_children(kMaxLockChildren)))), with_children(kMaxLockChildren));
  expect_decode_error(encode(with_children(kMaxLockChildren + 1)), decode_lock_bytes,
                      "lock.children: 17 exceeds the limit of 16");
  expect_decode_error(encode(with_children(0)), decode_lock_bytes, "lock.children: must not be empty");
}

TEST(Lock, MultisigKeyCountLimits) {
  const Lock at_limit{kLockVersion, multi_node(1, kMaxMultisigKeys, 0)};
  EXPECT_EQ(test::ok(decode_lock(encode(at_limit))), at_limit);
  expect_decode_error(encode(Lock{kLockVersion, multi_node(1, kMaxMultisigKeys + 1, 0)}), decode_lock_bytes,
                      "lock.keys: 21 exceeds the limit of 20");
  expect_decode_error(encode(Lock{kLockVersion, multi_node(0, 0, 0)}), decode_lock_bytes,
                      "lock.keys: must not be empty");
}

TEST(Lock, MultisigThresholdMustBeBetweenOneAndN) {
  for (uint32_t threshold : {1u, 3u}) {
    const Lock ok{kLockVersion, multi_node(threshold, 3, 0)};
    EXPECT_EQ(test::ok(decode_lock(encode(ok))), ok);
  }
  for (uint32_t threshold : {0u, 4u}) {
    expect_decode_error(encode(Lock{kLockVersion, multi_node(threshold, 3, 0)}), decode_lock_bytes,
                        "lock.threshold: " + std::to_string(threshold) + " is not between 1 and the 3 keys");
  }
}

TEST(Lock, EncodedSizeLimit) {
  // version 1 + all 2 + three 20-key multisigs 3 * 643 = 1932 bytes, plus 116 or 117.
  const auto lock_of = [](std::vector<LockNode> tail) {
    std::vector<LockNode> children(3, multi_node(1, kMaxMultisigKeys, 0));
    children.insert(children.end(), tail.begin(), tail.end());
    return Lock{kLockVersion, parent_node(LockTag::all, children)};
  };
  const std::vector<LockNode> five_afters(5, time_node(LockTag::after, TimeKind::height, 1));
  std::vector<LockNode> tail_116 = five_afters;  // 5 * 10 + 2 * 33
  tail_116.insert(tail_116.end(), {key_node(1), key_node(2)});
  std::vector<LockNode> tail_117 = five_afters;  // 5 * 10 + 67
  tail_117.push_back(multi_node(1, 2, 0));

  const Lock at_limit = lock_of(tail_116);
  ASSERT_EQ(encode(at_limit).size(), kMaxLockBytes);
  EXPECT_EQ(test::ok(decode_lock(encode(at_limit))), at_limit);
  const Bytes over = encode(lock_of(tail_117));
  ASSERT_EQ(over.size(), kMaxLockBytes + 1);
  auto result = decode_lock(over);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::limit);
  EXPECT_EQ(result.error().message, "lock: encoded size 2049 exceeds the limit of 2048 bytes");
}

TEST(Lock, NonCanonicalCountIsRejected) {
  // any with one child, its count written as the two-byte varint 0x81 0x00.
  const Bytes bytes = concat({Bytes{0x01, 0x07, 0x81, 0x00, 0x01}, sample_key(1)});
  expect_decode_error(bytes, decode_lock_bytes,
                      "lock.children: non-canonical varint (redundant trailing zero group)");
}

// ---- Satisfaction ----

TEST(Satisfaction, SamplesRoundTrip) {
  for (const auto& s : {test::sample_satisfaction(), test::sample_satisfaction_all_tags()}) {
    const Bytes bytes = encode_one(s);
    EXPECT_EQ(test::ok(decode_satisfaction_bytes(bytes)), s);
    expect_strict_framing(bytes, decode_satisfaction_bytes);
  }
}

TEST(Satisfaction, EncodingFollowsTheDocumentedLayout) {
  const TypedSignature sig = sample_signature(4);
  const Bytes sig_bytes = concat({sig.signature, Bytes{sig.type}});
  EXPECT_EQ(encode_one(key_sat(sig)), concat({Bytes{0x01, 0x01}, sig_bytes}));
  EXPECT_EQ(encode_one(multi_sat({std::nullopt, sig})), concat({Bytes{0x02, 0x02, 0x00, 0x01}, sig_bytes}));
  EXPECT_EQ(encode_one(hash_sat({0xaa})), (Bytes{0x03, 0x01, 0xaa}));
  EXPECT_EQ(encode_one(tag_sat(LockTag::older)), (Bytes{0x05}));
  EXPECT_EQ(encode_one(any_sat(3, tag_sat(LockTag::after))), (Bytes{0x07, 0x03, 0x04}));
}

TEST(Satisfaction, PresentByteMustBeZeroOrOne) {
  Bytes key = encode_one(key_sat(std::nullopt));
  key[1] = 2;
  expect_decode_error(key, decode_satisfaction_bytes, "present: must be 0 or 1, got 2");
  Bytes multi = encode_one(multi_sat({std::nullopt, std::nullopt}));
  multi[3] = 0xff;
  expect_decode_error(multi, decode_satisfaction_bytes, "signatures[1].present: must be 0 or 1, got 255");
}

TEST(Satisfaction, PreimageSizeLimit) {
  const Satisfaction at_limit = hash_sat(Bytes(kMaxPreimageBytes, 0x5a));
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(at_limit))), at_limit);
  expect_decode_error(encode_one(hash_sat(Bytes(kMaxPreimageBytes + 1, 0))), decode_satisfaction_bytes,
                      "preimage: 65 exceeds the limit of 64");
}

TEST(Satisfaction, SignatureCountLimits) {
  const auto with = [](size_t n) { return multi_sat(std::vector<std::optional<TypedSignature>>(n)); };
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(with(kMaxMultisigKeys)))), with(kMaxMultisigKeys));
  expect_decode_error(encode_one(with(kMaxMultisigKeys + 1)), decode_satisfaction_bytes,
                      "signatures: 21 exceeds the limit of 20");
  expect_decode_error(encode_one(with(0)), decode_satisfaction_bytes, "signatures: must not be empty");
}

TEST(Satisfaction, ChildrenCountLimits) {
  const auto with = [](size_t n) { return all_sat(std::vector<Satisfaction>(n, tag_sat(LockTag::after))); };
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(with(kMaxLockChildren)))), with(kMaxLockChildren));
  expect_decode_error(encode_one(with(kMaxLockChildren + 1)), decode_satisfaction_bytes,
                      "children: 17 exceeds the limit of 16");
  expect_decode_error(encode_one(with(0)), decode_satisfaction_bytes, "children: must not be empty");
}

TEST(Satisfaction, BranchMustBeBelowTheChildLimit) {
  const auto with = [](uint32_t branch) { return any_sat(branch, tag_sat(LockTag::after)); };
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(with(kMaxLockChildren - 1)))),
            with(kMaxLockChildren - 1));
  expect_decode_error(encode_one(with(kMaxLockChildren)), decode_satisfaction_bytes,
                      "branch: 16 is not below the limit of 16 children");
}

TEST(Satisfaction, NestingDepthLimit) {
  const Satisfaction at_limit = nested_satisfaction(LockTag::any, kMaxLockDepth);
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(at_limit))), at_limit);
  expect_decode_error(
      encode_one(nested_satisfaction(LockTag::any, kMaxLockDepth + 1)), decode_satisfaction_bytes,
      nested_path("child", kMaxLockDepth - 1, "child") + ".tag: all/any nested more than 8 levels deep");
  expect_decode_error(encode_one(nested_satisfaction(LockTag::all, kMaxLockDepth + 1)),
                      decode_satisfaction_bytes,
                      nested_path("children[0]", kMaxLockDepth - 1, "children[0]") +
                          ".tag: all/any nested more than 8 levels deep");
}

TEST(Satisfaction, NodeCountLimit) {
  // An ALL of 4 ALLs holding 59 (64 nodes) or 60 (65 nodes) leaves.
  const auto with_leaves = [](size_t leaves) {
    std::vector<Satisfaction> groups(4, tag_sat(LockTag::all));
    for (size_t i = 0; i < leaves; ++i) groups[i % 4].children.push_back(tag_sat(LockTag::older));
    return all_sat(groups);
  };
  EXPECT_EQ(test::ok(decode_satisfaction_bytes(encode_one(with_leaves(59)))), with_leaves(59));
  expect_decode_error(encode_one(with_leaves(60)), decode_satisfaction_bytes,
                      "children[3].children[14]: more than 64 nodes in one tree");
}

TEST(Satisfaction, UnknownTagIsRejected) {
  expect_decode_error({0x00}, decode_satisfaction_bytes, "tag: unknown tag 0");
  expect_decode_error({0x06, 0x01, 0x09}, decode_satisfaction_bytes, "children[0].tag: unknown tag 9");
}

// ---- Witness ----

TEST(Witness, EveryKindRoundTrips) {
  const std::vector<Witness> witnesses{
      std::monostate{},
      KeySpend{sample_key(1), sample_signature(2)},
      LockSpend{test::sample_lock(), test::sample_satisfaction()},
  };
  for (const auto& w : witnesses) {
    const Bytes bytes = encode_one(w);
    EXPECT_EQ(bytes[0], w.index());
    EXPECT_EQ(test::ok(decode_witness_bytes(bytes)), w);
    expect_strict_framing(bytes, decode_witness_bytes);
  }
}

TEST(Witness, EncodingFollowsTheDocumentedLayout) {
  EXPECT_EQ(encode_one(Witness{}), (Bytes{0x00}));
  const KeySpend key{sample_key(1), sample_signature(2)};
  EXPECT_EQ(encode_one(Witness{key}), concat({Bytes{0x01}, key.key, key.signature.signature, Bytes{0x01}}));
  const LockSpend spend{test::sample_lock(), test::sample_satisfaction()};
  EXPECT_EQ(encode_one(Witness{spend}),
            concat({Bytes{0x02}, encode(spend.lock), encode_one(spend.satisfaction)}));
}

TEST(Witness, UnknownKindIsRejected) {
  expect_decode_error({0x03}, decode_witness_bytes, "kind: unknown witness kind 3");
}

TEST(Witness, ErrorsNameTheLockOrTheSatisfaction) {
  const LockSpend spend{Lock{kLockVersion, key_node(1)}, key_sat(std::nullopt)};
  Bytes bad_lock = encode_one(Witness{spend});
  bad_lock[1] = 2;
  expect_decode_error(bad_lock, decode_witness_bytes, "lock.version: unknown lock version 2");
  Bytes bad_satisfaction = encode_one(Witness{spend});
  bad_satisfaction[1 + 34] = 9;
  expect_decode_error(bad_satisfaction, decode_witness_bytes, "satisfaction.tag: unknown tag 9");
}

TEST(Witness, OversizedLockInsideAWitnessIsRefused) {
  const Lock big{kLockVersion,
                 parent_node(LockTag::all, std::vector<LockNode>(4, multi_node(1, kMaxMultisigKeys, 0)))};
  const LockSpend spend{big, tag_sat(LockTag::after)};
  auto result = decode_witness_bytes(encode_one(Witness{spend}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "lock: encoded size 2575 exceeds the limit of 2048 bytes");
}

}  // namespace
}  // namespace cairn
