// Lock evaluation (docs/consensus.md §5): every LockError reason with a case that triggers
// it beside one that passes, every limit at its boundary, and end-to-end spends of a
// transaction signed over its real sighashes.
#include "consensus/lock_eval.h"

#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);

const KeyPair& key(size_t index) { return test::test_key(index); }

PublicKey pub(size_t i) { return key(i).public_key(); }

std::vector<PublicKey> pubs(size_t first, size_t count) {
  std::vector<PublicKey> out;
  for (size_t i = first; i < first + count; ++i) out.push_back(pub(i));
  return out;
}

// ---- lock builders ----

LockNode key_node(const PublicKey& k) {
  LockNode n;
  n.tag = LockTag::key;
  n.keys = {k};
  return n;
}

LockNode multi_node(uint32_t threshold, std::vector<PublicKey> keys) {
  LockNode n;
  n.tag = LockTag::multi;
  n.threshold = threshold;
  n.keys = std::move(keys);
  return n;
}

LockNode hash_node(const Hash256& digest) {
  LockNode n;
  n.tag = LockTag::hash;
  n.digest = digest;
  return n;
}

LockNode time_node(LockTag tag, TimeKind kind, uint64_t value) {
  LockNode n;
  n.tag = tag;
  n.time = {kind, value};
  return n;
}

LockNode parent(LockTag tag, std::vector<LockNode> children) {
  LockNode n;
  n.tag = tag;
  n.children = std::move(children);
  return n;
}

Lock make_lock(LockNode root) { return Lock{kLockVersion, std::move(root)}; }

// ---- satisfaction builders ----

Satisfaction key_sat(std::optional<TypedSignature> sig) {
  Satisfaction s;
  s.tag = LockTag::key;
  s.signatures = {sig};
  return s;
}

Satisfaction multi_sat(std::vector<std::optional<TypedSignature>> sigs) {
  Satisfaction s;
  s.tag = LockTag::multi;
  s.signatures = std::move(sigs);
  return s;
}

Satisfaction hash_sat(Bytes preimage) {
  Satisfaction s;
  s.tag = LockTag::hash;
  s.preimage = std::move(preimage);
  return s;
}

Satisfaction leaf_sat(LockTag tag) {
  Satisfaction s;
  s.tag = tag;
  return s;
}

Satisfaction all_sat(std::vector<Satisfaction> children) {
  Satisfaction s;
  s.tag = LockTag::all;
  s.children = std::move(children);
  return s;
}

Satisfaction any_sat(uint32_t branch, Satisfaction child) {
  Satisfaction s;
  s.tag = LockTag::any;
  s.branch = branch;
  s.children = {std::move(child)};
  return s;
}

const Bytes kPreimage = {'o', 'p', 'e', 'n', ' ', 's', 'e', 's', 'a', 'm', 'e'};

// A lock whose evaluation takes 255 + extra_hashes steps when fully signed:
//   all(hash × extra_hashes, 12 × multi 19-of-20, key)
// = 1 (all) + extra_hashes + 12 × (1 + 20) + (1 + 1). No lock that fits kMaxLockBytes can
// take this many steps, so it is built in memory.
LockNode heavy_lock(size_t extra_hashes) {
  std::vector<LockNode> children(extra_hashes, hash_node(blake3(kPreimage)));
  for (int i = 0; i < 12; ++i) children.push_back(multi_node(19, pubs(0, 20)));
  children.push_back(key_node(pub(0)));
  return parent(LockTag::all, std::move(children));
}

// A valid lock of exactly `total` nodes (9 ≤ total ≤ 69): all(4 × all(key leaves)).
LockNode lock_of_nodes(size_t total) {
  std::vector<LockNode> groups(4, parent(LockTag::all, {}));
  for (size_t i = 0; i + 5 < total; ++i) groups[i % 4].children.push_back(key_node(pub(0)));
  return parent(LockTag::all, std::move(groups));
}

// `leaf` inside `depth` nested ALL nodes.
LockNode nested(size_t depth, LockNode leaf) {
  for (size_t i = 0; i < depth; ++i) leaf = parent(LockTag::all, {std::move(leaf)});
  return leaf;
}

Satisfaction nested_sat(size_t depth, Satisfaction leaf) {
  for (size_t i = 0; i < depth; ++i) leaf = all_sat({std::move(leaf)});
  return leaf;
}

// Counts the signatures it is asked to check and passes them on.
class CountingChecker final : public SignatureChecker {
 public:
  bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) override {
    ++calls;
    return direct_.verify(message, key, signature);
  }
  size_t calls = 0;

 private:
  DirectSignatureChecker direct_;
};

// A checker with a fixed verdict: shows that verify_input takes the checker's word.
class FixedChecker final : public SignatureChecker {
 public:
  explicit FixedChecker(bool verdict) : verdict_(verdict) {}
  bool verify(const Hash256&, const PublicKey&, const Signature&) override { return verdict_; }

 private:
  bool verdict_;
};

// Input 0 of a one-input transaction spends `spent_`; sign() signs input 0 over the
// current digests, so call pay_to()/lock_with() before signing.
class LockEvalTest : public ::testing::Test {
 protected:
  LockEvalTest() {
    tx_.inputs.push_back(TxIn{OutPoint{blake3(as_bytes("funding")), 3}, {}});
    tx_.outputs.push_back(TxOut{kCoin, key_hash_lock(pub(31))});
    genesis_ = blake3(as_bytes("test genesis"));
    pay_to(key_hash_lock(pub(0)));
  }

  void pay_to(const OutputLock& lock) {
    spent_ = TxOut{5 * kCoin, lock};
    digests_ = compute_sighash_digests(tx_, std::span(&spent_, 1)).value();
  }

  void lock_with(LockNode root) {
    lock_ = make_lock(std::move(root));
    pay_to(lock_hash_lock(lock_));
  }

  TypedSignature sign(const KeyPair& k) const {
    const Hash256 message = signature_hash(tx_, digests_, 0, kAll, genesis_).value();
    return TypedSignature{k.sign(message), kAll};
  }

  // sign() with its first byte flipped: the right shape, but it does not verify.
  TypedSignature bad_sign(const KeyPair& k) const {
    TypedSignature sig = sign(k);
    sig.signature.bytes[0] ^= 0x01;
    return sig;
  }

  LockError verify_witness(Witness witness) {
    tx_.inputs[0].witness = std::move(witness);
    return verify_input(tx_, 0, spent_, digests_, genesis_, context_, *checker_);
  }

  LockError verify_sat(Satisfaction sat) { return verify_witness(LockSpend{lock_, std::move(sat)}); }

  Transaction tx_;
  TxOut spent_;
  SighashDigests digests_;
  Hash256 genesis_;
  Lock lock_;
  SpendContext context_;
  DirectSignatureChecker direct_;
  SignatureChecker* checker_ = &direct_;
};

// ---- witness kinds and commitments ----

TEST_F(LockEvalTest, KeySpendVerifies) {
  EXPECT_EQ(verify_witness(KeySpend{pub(0), sign(key(0))}), LockError::ok);
}

TEST_F(LockEvalTest, MissingWitness) {
  EXPECT_EQ(verify_witness(std::monostate{}), LockError::missing_witness);
}

TEST_F(LockEvalTest, InputIndexPastTheInputsFailsClosed) {
  tx_.inputs[0].witness = KeySpend{pub(0), sign(key(0))};
  EXPECT_EQ(verify_input(tx_, 0, spent_, digests_, genesis_, context_, direct_), LockError::ok);
  EXPECT_EQ(verify_input(tx_, 1, spent_, digests_, genesis_, context_, direct_), LockError::missing_witness);
}

TEST_F(LockEvalTest, KeySpendOfLockHashOutputIsKindMismatch) {
  OutputLock lock = key_hash_lock(pub(0));
  lock.kind = OutputLockKind::lock_hash;
  pay_to(lock);
  EXPECT_EQ(verify_witness(KeySpend{pub(0), sign(key(0))}), LockError::witness_kind_mismatch);
}

TEST_F(LockEvalTest, LockSpendOfKeyHashOutputIsKindMismatch) {
  lock_with(key_node(pub(0)));
  OutputLock lock = lock_hash_lock(lock_);
  lock.kind = OutputLockKind::key_hash;
  pay_to(lock);
  EXPECT_EQ(verify_sat(key_sat(sign(key(0)))), LockError::witness_kind_mismatch);
  lock.kind = OutputLockKind::lock_hash;
  pay_to(lock);
  EXPECT_EQ(verify_sat(key_sat(sign(key(0)))), LockError::ok);
}

TEST_F(LockEvalTest, UndefinedOutputKindMatchesNoWitness) {
  OutputLock lock = key_hash_lock(pub(0));
  lock.kind = static_cast<OutputLockKind>(3);
  pay_to(lock);
  EXPECT_EQ(verify_witness(KeySpend{pub(0), sign(key(0))}), LockError::witness_kind_mismatch);
  lock_ = make_lock(key_node(pub(0)));
  EXPECT_EQ(verify_sat(key_sat(sign(key(0)))), LockError::witness_kind_mismatch);
}

TEST_F(LockEvalTest, KeyHashMismatch) {
  // Key 1's valid signature does not help: the output commits to key 0.
  EXPECT_EQ(verify_witness(KeySpend{pub(1), sign(key(1))}), LockError::key_hash_mismatch);
}

TEST_F(LockEvalTest, LockHashMismatch) {
  lock_with(key_node(pub(0)));
  const TypedSignature sig = sign(key(1));
  EXPECT_EQ(verify_witness(LockSpend{make_lock(key_node(pub(1))), key_sat(sig)}),
            LockError::lock_hash_mismatch);
}

TEST_F(LockEvalTest, BadLockVersion) {
  Lock lock = make_lock(key_node(pub(0)));
  lock.version = 2;
  pay_to(lock_hash_lock(lock));
  EXPECT_EQ(verify_witness(LockSpend{lock, key_sat(sign(key(0)))}), LockError::bad_lock_version);
}

TEST_F(LockEvalTest, InvalidLockIsRefusedBeforeItsHashIsCompared) {
  // The output commits to nothing in particular; structure is checked first.
  LockNode bad = multi_node(0, pubs(0, 2));
  pay_to(lock_hash_lock(make_lock(key_node(pub(0)))));
  EXPECT_EQ(verify_witness(LockSpend{make_lock(bad), multi_sat({sign(key(0)), std::nullopt})}),
            LockError::invalid_lock);
}

TEST_F(LockEvalTest, KeylessLockIsRefusedEvenWhenCommitted) {
  lock_with(parent(LockTag::any, {hash_node(blake3(kPreimage)), key_node(pub(0))}));
  EXPECT_EQ(verify_sat(any_sat(0, hash_sat(kPreimage))), LockError::keyless_path);
}

// ---- signatures ----

TEST_F(LockEvalTest, BadSignature) {
  EXPECT_EQ(verify_witness(KeySpend{pub(0), bad_sign(key(0))}), LockError::bad_signature);
  lock_with(key_node(pub(0)));
  EXPECT_EQ(verify_sat(key_sat(bad_sign(key(0)))), LockError::bad_signature);
  EXPECT_EQ(verify_sat(key_sat(sign(key(1)))), LockError::bad_signature);
  EXPECT_EQ(verify_sat(key_sat(sign(key(0)))), LockError::ok);
}

TEST_F(LockEvalTest, EveryUndefinedSighashTypeIsRefused) {
  lock_with(key_node(pub(0)));
  for (unsigned type = 0; type <= 0xff; ++type) {
    TypedSignature sig = sign(key(0));
    sig.type = static_cast<uint8_t>(type);
    const LockError expected = type == kAll ? LockError::ok : LockError::bad_sighash_type;
    EXPECT_EQ(verify_sat(key_sat(sig)), expected) << "type " << type;
  }
}

TEST_F(LockEvalTest, UndefinedSighashTypeInKeySpend) {
  TypedSignature sig = sign(key(0));
  sig.type = 0x81;
  EXPECT_EQ(verify_witness(KeySpend{pub(0), sig}), LockError::bad_sighash_type);
}

TEST_F(LockEvalTest, MissingSignatureOfKeyNode) {
  lock_with(key_node(pub(0)));
  EXPECT_EQ(verify_sat(key_sat(std::nullopt)), LockError::missing_signature);
}

TEST_F(LockEvalTest, SignaturesGoThroughTheChecker) {
  lock_with(multi_node(2, pubs(0, 3)));
  CountingChecker counting;
  checker_ = &counting;
  EXPECT_EQ(verify_sat(multi_sat({sign(key(0)), std::nullopt, sign(key(2))})), LockError::ok);
  EXPECT_EQ(counting.calls, 2u);

  // A cache that vouches for a signature is believed; one that refuses is too.
  FixedChecker yes(true);
  checker_ = &yes;
  EXPECT_EQ(verify_sat(multi_sat({bad_sign(key(0)), bad_sign(key(1)), std::nullopt})), LockError::ok);
  FixedChecker no(false);
  checker_ = &no;
  EXPECT_EQ(verify_sat(multi_sat({sign(key(0)), sign(key(1)), std::nullopt})), LockError::bad_signature);
}

// ---- multisig ----

class LockMultisigTest : public LockEvalTest {
 protected:
  LockMultisigTest() { lock_with(multi_node(2, pubs(0, 3))); }

  // Signatures by the keys whose slots are set in `mask` (bit i = key i).
  Satisfaction signed_by(unsigned mask) const {
    std::vector<std::optional<TypedSignature>> sigs(3);
    for (size_t i = 0; i < 3; ++i) {
      if (mask & (1u << i)) sigs[i] = sign(key(i));
    }
    return multi_sat(std::move(sigs));
  }
};

TEST_F(LockMultisigTest, AnyTwoOrAllThreeOfThreeVerify) {
  for (unsigned mask : {0b011u, 0b101u, 0b110u, 0b111u}) {
    EXPECT_EQ(verify_sat(signed_by(mask)), LockError::ok) << "mask " << mask;
  }
}

TEST_F(LockMultisigTest, FewerThanThresholdIsMissingSignature) {
  for (unsigned mask : {0b000u, 0b001u, 0b010u, 0b100u}) {
    EXPECT_EQ(verify_sat(signed_by(mask)), LockError::missing_signature) << "mask " << mask;
  }
}

TEST_F(LockMultisigTest, OneInvalidPresentSignatureFailsEvenAboveThreshold) {
  // Two valid signatures would suffice; the third, present and invalid, still fails it.
  Satisfaction sat = signed_by(0b011);
  sat.signatures[2] = bad_sign(key(2));
  EXPECT_EQ(verify_sat(sat), LockError::bad_signature);
  sat = signed_by(0b111);
  sat.signatures[0] = bad_sign(key(0));
  EXPECT_EQ(verify_sat(sat), LockError::bad_signature);
}

TEST_F(LockMultisigTest, SignatureInAnotherKeysSlotFails) {
  Satisfaction sat = signed_by(0b011);
  std::swap(sat.signatures[0], sat.signatures[1]);
  EXPECT_EQ(verify_sat(sat), LockError::bad_signature);
}

TEST_F(LockMultisigTest, UndefinedTypeOnAnyPresentSignatureFails) {
  Satisfaction sat = signed_by(0b111);
  sat.signatures[1]->type = 0x02;
  EXPECT_EQ(verify_sat(sat), LockError::bad_sighash_type);
}

TEST_F(LockMultisigTest, TwentyOfTwentyVerifies) {
  lock_with(multi_node(20, pubs(0, 20)));
  std::vector<std::optional<TypedSignature>> sigs;
  for (size_t i = 0; i < 20; ++i) sigs.emplace_back(sign(key(i)));
  EXPECT_EQ(verify_sat(multi_sat(sigs)), LockError::ok);
  sigs[19].reset();
  EXPECT_EQ(verify_sat(multi_sat(sigs)), LockError::missing_signature);
}

// ---- shape ----

TEST_F(LockEvalTest, SatisfactionMustMirrorTheLock) {
  lock_with(parent(LockTag::all, {key_node(pub(0)), multi_node(1, pubs(1, 2)),
                                  parent(LockTag::any, {key_node(pub(3)), hash_node(blake3(kPreimage))})}));
  const TypedSignature s0 = sign(key(0));
  const TypedSignature s1 = sign(key(1));
  const TypedSignature s3 = sign(key(3));
  const auto good = [&] {
    return all_sat({key_sat(s0), multi_sat({s1, std::nullopt}), any_sat(0, key_sat(s3))});
  };
  ASSERT_EQ(verify_sat(good()), LockError::ok);

  using Break = void (*)(Satisfaction&);
  const std::pair<const char*, Break> breaks[] = {
      {"tag differs at the root", [](Satisfaction& s) { s = leaf_sat(LockTag::after); }},
      {"one child short", [](Satisfaction& s) { s.children.pop_back(); }},
      {"one child too many", [](Satisfaction& s) { s.children.push_back(leaf_sat(LockTag::after)); }},
      {"key with two slots", [](Satisfaction& s) { s.children[0].signatures.push_back(std::nullopt); }},
      {"key with no slot", [](Satisfaction& s) { s.children[0].signatures.clear(); }},
      {"multi with a slot short", [](Satisfaction& s) { s.children[1].signatures.pop_back(); }},
      {"multi with a slot too many",
       [](Satisfaction& s) { s.children[1].signatures.push_back(std::nullopt); }},
      {"branch out of range", [](Satisfaction& s) { s.children[2].branch = 2; }},
      {"any without its child", [](Satisfaction& s) { s.children[2].children.clear(); }},
      {"any with two children",
       [](Satisfaction& s) { s.children[2].children.push_back(hash_sat(kPreimage)); }},
      {"child for another branch", [](Satisfaction& s) { s.children[2].branch = 1; }},
  };
  for (const auto& [what, apply] : breaks) {
    Satisfaction sat = good();
    apply(sat);
    EXPECT_EQ(verify_sat(sat), LockError::shape_mismatch) << what;
  }
}

TEST_F(LockEvalTest, ShapeIsCheckedBeforeAnySignature) {
  lock_with(parent(LockTag::all, {key_node(pub(0)), key_node(pub(1))}));
  CountingChecker counting;
  checker_ = &counting;
  // The first child's signature is fine; the second child has the wrong tag.
  EXPECT_EQ(verify_sat(all_sat({key_sat(sign(key(0))), hash_sat(kPreimage)})), LockError::shape_mismatch);
  EXPECT_EQ(counting.calls, 0u);
}

// ---- hash-locks ----

TEST_F(LockEvalTest, HashLockUsesPlainBlake3) {
  // BLAKE3 of the bytes 00 01 02: the official test vector (input_len 3), unkeyed.
  const Hash256 digest =
      Hash256::from_hex("e1be4d7a8ab5560aa4199eea339849ba8e293d55ca0a81006726d184519e647f").value();
  lock_with(parent(LockTag::all, {hash_node(digest), key_node(pub(0))}));
  const TypedSignature sig = sign(key(0));
  EXPECT_EQ(verify_sat(all_sat({hash_sat({0, 1, 2}), key_sat(sig)})), LockError::ok);
  EXPECT_EQ(verify_sat(all_sat({hash_sat({0, 1, 3}), key_sat(sig)})), LockError::hash_preimage_mismatch);
  EXPECT_EQ(verify_sat(all_sat({hash_sat({0, 1}), key_sat(sig)})), LockError::hash_preimage_mismatch);
  EXPECT_EQ(verify_sat(all_sat({hash_sat({}), key_sat(sig)})), LockError::hash_preimage_mismatch);
}

TEST_F(LockEvalTest, HashLockIsCheckedBeforeLaterSignatures) {
  lock_with(parent(LockTag::all, {hash_node(blake3(kPreimage)), key_node(pub(0))}));
  CountingChecker counting;
  checker_ = &counting;
  EXPECT_EQ(verify_sat(all_sat({hash_sat({'x'}), key_sat(sign(key(0)))})), LockError::hash_preimage_mismatch);
  EXPECT_EQ(counting.calls, 0u);
}

TEST_F(LockEvalTest, PreimageLongerThanDecodingAdmitsNeverMatches) {
  for (size_t size : {kMaxPreimageBytes, kMaxPreimageBytes + 1}) {
    const Bytes preimage(size, 0xab);
    lock_with(parent(LockTag::all, {hash_node(blake3(preimage)), key_node(pub(0))}));
    const LockError expected = size <= kMaxPreimageBytes ? LockError::ok : LockError::hash_preimage_mismatch;
    EXPECT_EQ(verify_sat(all_sat({hash_sat(preimage), key_sat(sign(key(0)))})), expected) << size;
  }
}

// ---- time-locks ----

class TimeLockTest : public LockEvalTest {
 protected:
  // Spends all(key 0, `time`) under the current context.
  LockError spend_after_or_older(LockNode time) {
    lock_with(parent(LockTag::all, {key_node(pub(0)), time}));
    return verify_sat(all_sat({key_sat(sign(key(0))), leaf_sat(lock_.root.children[1].tag)}));
  }
  LockError after(TimeKind kind, uint64_t value, uint64_t tx_lock_time) {
    tx_.lock_time = tx_lock_time;  // before signing: the sighash commits to it
    return spend_after_or_older(time_node(LockTag::after, kind, value));
  }
  LockError older(TimeKind kind, uint64_t value, uint64_t coin, uint64_t spend) {
    // The other kind's fields are set so they would fail if they were (wrongly) read.
    if (kind == TimeKind::height) {
      context_ = {.spend_height = spend, .spend_time = 0, .coin_height = coin, .coin_time = 1'000'000};
    } else {
      context_ = {.spend_height = 0, .spend_time = spend, .coin_height = 1'000'000, .coin_time = coin};
    }
    return spend_after_or_older(time_node(LockTag::older, kind, value));
  }
};

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

TEST_F(TimeLockTest, AfterHeight) {
  EXPECT_EQ(after(TimeKind::height, 100, 100), LockError::ok);
  EXPECT_EQ(after(TimeKind::height, 100, kLockTimeThreshold - 1), LockError::ok);
  EXPECT_EQ(after(TimeKind::height, 100, 99), LockError::lock_time_unmet);
  EXPECT_EQ(after(TimeKind::height, 100, 0), LockError::lock_time_unmet);
  // A time in seconds is numerically larger but of the other kind.
  EXPECT_EQ(after(TimeKind::height, 100, kLockTimeThreshold), LockError::lock_time_unmet);
  EXPECT_EQ(after(TimeKind::height, 0, 0), LockError::ok);
}

TEST_F(TimeLockTest, AfterSeconds) {
  constexpr uint64_t t = 1'700'000'000;
  EXPECT_EQ(after(TimeKind::seconds, t, t), LockError::ok);
  EXPECT_EQ(after(TimeKind::seconds, t, kMaxU64), LockError::ok);
  EXPECT_EQ(after(TimeKind::seconds, t, t - 1), LockError::lock_time_unmet);
  EXPECT_EQ(after(TimeKind::seconds, kLockTimeThreshold, kLockTimeThreshold), LockError::ok);
  // A height is never a time in seconds.
  EXPECT_EQ(after(TimeKind::seconds, kLockTimeThreshold, kLockTimeThreshold - 1), LockError::lock_time_unmet);
}

TEST_F(TimeLockTest, OlderHeight) {
  EXPECT_EQ(older(TimeKind::height, 10, 100, 110), LockError::ok);
  EXPECT_EQ(older(TimeKind::height, 10, 100, kMaxU64), LockError::ok);
  EXPECT_EQ(older(TimeKind::height, 10, 100, 109), LockError::relative_time_unmet);
  EXPECT_EQ(older(TimeKind::height, 0, 100, 100), LockError::ok);
}

TEST_F(TimeLockTest, OlderSeconds) {
  EXPECT_EQ(older(TimeKind::seconds, 3600, 1'000'000, 1'003'600), LockError::ok);
  EXPECT_EQ(older(TimeKind::seconds, 3600, 1'000'000, 1'003'599), LockError::relative_time_unmet);
  // Seconds values are not limited to either side of the threshold.
  EXPECT_EQ(older(TimeKind::seconds, kLockTimeThreshold, 0, kLockTimeThreshold), LockError::ok);
  EXPECT_EQ(older(TimeKind::seconds, kLockTimeThreshold, 1, kLockTimeThreshold),
            LockError::relative_time_unmet);
}

TEST_F(TimeLockTest, CoinNewerThanSpendIsUnmetNotWrapped) {
  // spend − coin would wrap to a huge age; it must count as no age at all.
  EXPECT_EQ(older(TimeKind::height, 10, 200, 100), LockError::relative_time_unmet);
  EXPECT_EQ(older(TimeKind::height, 0, 101, 100), LockError::relative_time_unmet);
  EXPECT_EQ(older(TimeKind::height, 1, kMaxU64, 0), LockError::relative_time_unmet);
  EXPECT_EQ(older(TimeKind::seconds, 1, kMaxU64, 0), LockError::relative_time_unmet);
  EXPECT_EQ(older(TimeKind::seconds, 60, 2'000'000, 1'000'000), LockError::relative_time_unmet);
}

// ---- structure: check_lock ----

TEST(CheckLock, Version) {
  Lock lock = make_lock(key_node(pub(0)));
  EXPECT_EQ(check_lock(lock), LockError::ok);
  for (const uint8_t version : std::initializer_list<uint8_t>{0, 2, 255}) {
    lock.version = version;
    EXPECT_EQ(check_lock(lock), LockError::bad_lock_version) << int{version};
  }
}

TEST(CheckLock, KeyNodeHasExactlyOneKey) {
  LockNode node = key_node(pub(0));
  EXPECT_EQ(check_lock(make_lock(node)), LockError::ok);
  node.keys.clear();
  EXPECT_EQ(check_lock(make_lock(node)), LockError::invalid_lock);
  node.keys = pubs(0, 2);
  EXPECT_EQ(check_lock(make_lock(node)), LockError::invalid_lock);
}

TEST(CheckLock, MultisigThresholdAndKeyCount) {
  EXPECT_EQ(check_lock(make_lock(multi_node(1, pubs(0, 1)))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(multi_node(3, pubs(0, 3)))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(multi_node(1, pubs(0, kMaxMultisigKeys)))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(multi_node(20, pubs(0, kMaxMultisigKeys)))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(multi_node(1, pubs(0, kMaxMultisigKeys + 1)))), LockError::invalid_lock);
  EXPECT_EQ(check_lock(make_lock(multi_node(0, pubs(0, 3)))), LockError::invalid_lock);
  EXPECT_EQ(check_lock(make_lock(multi_node(4, pubs(0, 3)))), LockError::invalid_lock);
  EXPECT_EQ(check_lock(make_lock(multi_node(0, {}))), LockError::invalid_lock);
}

TEST(CheckLock, ChildrenCount) {
  for (LockTag tag : {LockTag::all, LockTag::any}) {
    std::vector<LockNode> children(kMaxLockChildren, key_node(pub(0)));
    EXPECT_EQ(check_lock(make_lock(parent(tag, children))), LockError::ok);
    children.push_back(key_node(pub(0)));
    EXPECT_EQ(check_lock(make_lock(parent(tag, children))), LockError::invalid_lock);
    EXPECT_EQ(check_lock(make_lock(parent(tag, {key_node(pub(0))}))), LockError::ok);
    EXPECT_EQ(check_lock(make_lock(parent(tag, {}))), LockError::invalid_lock);
  }
}

TEST(CheckLock, Depth) {
  EXPECT_EQ(check_lock(make_lock(nested(kMaxLockDepth, key_node(pub(0))))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(nested(kMaxLockDepth + 1, key_node(pub(0))))), LockError::invalid_lock);
  // Depth counts ALL/ANY alike.
  LockNode mixed = parent(LockTag::any, {nested(kMaxLockDepth - 1, key_node(pub(0)))});
  EXPECT_EQ(check_lock(make_lock(mixed)), LockError::ok);
  mixed = parent(LockTag::any, {mixed});
  EXPECT_EQ(check_lock(make_lock(mixed)), LockError::invalid_lock);
  // Only the deepest path counts: a shallow sibling does not excuse a deep one.
  LockNode wide = parent(LockTag::all, {key_node(pub(0)), nested(kMaxLockDepth, key_node(pub(0)))});
  EXPECT_EQ(check_lock(make_lock(wide)), LockError::invalid_lock);
}

TEST(CheckLock, NodeCount) {
  EXPECT_EQ(check_lock(make_lock(lock_of_nodes(kMaxLockNodes))), LockError::ok);
  EXPECT_EQ(check_lock(make_lock(lock_of_nodes(kMaxLockNodes + 1))), LockError::invalid_lock);
}

TEST(CheckLock, TimeValueRanges) {
  struct Case {
    LockTag tag;
    TimeKind kind;
    uint64_t value;
    bool valid;
  };
  const Case cases[] = {
      {LockTag::after, TimeKind::height, 0, true},
      {LockTag::after, TimeKind::height, kLockTimeThreshold - 1, true},
      {LockTag::after, TimeKind::height, kLockTimeThreshold, false},
      {LockTag::after, TimeKind::seconds, kLockTimeThreshold, true},
      {LockTag::after, TimeKind::seconds, kMaxU64, true},
      {LockTag::after, TimeKind::seconds, kLockTimeThreshold - 1, false},
      {LockTag::after, TimeKind::seconds, 0, false},
      {LockTag::older, TimeKind::height, 0, true},
      {LockTag::older, TimeKind::height, kLockTimeThreshold - 1, true},
      {LockTag::older, TimeKind::height, kLockTimeThreshold, false},
      {LockTag::older, TimeKind::seconds, 0, true},
      {LockTag::older, TimeKind::seconds, kMaxU64, true},
  };
  for (const Case& c : cases) {
    const Lock lock = make_lock(parent(LockTag::all, {key_node(pub(0)), time_node(c.tag, c.kind, c.value)}));
    EXPECT_EQ(check_lock(lock), c.valid ? LockError::ok : LockError::invalid_lock)
        << "tag " << static_cast<int>(c.tag) << " kind " << static_cast<int>(c.kind) << " value " << c.value;
  }
}

TEST(CheckLock, UndefinedTagsAndTimeKinds) {
  for (const uint8_t tag : std::initializer_list<uint8_t>{0, 8, 255}) {
    LockNode node = key_node(pub(0));
    node.tag = static_cast<LockTag>(tag);
    EXPECT_EQ(check_lock(make_lock(parent(LockTag::all, {key_node(pub(0)), node}))), LockError::invalid_lock);
  }
  LockNode time = time_node(LockTag::older, TimeKind::height, 1);
  time.time.kind = static_cast<TimeKind>(2);
  EXPECT_EQ(check_lock(make_lock(parent(LockTag::all, {key_node(pub(0)), time}))), LockError::invalid_lock);
}

// ---- keyless paths ----

TEST(CheckLock, EveryPathNeedsASignature) {
  const LockNode k = key_node(pub(0));
  const LockNode m = multi_node(1, pubs(1, 2));
  const LockNode h = hash_node(blake3(kPreimage));
  const LockNode a = time_node(LockTag::after, TimeKind::height, 5);
  const LockNode o = time_node(LockTag::older, TimeKind::seconds, 5);

  const LockNode keyless[] = {
      h,
      a,
      o,
      parent(LockTag::any, {h, k}),
      parent(LockTag::any, {k, m, o}),
      parent(LockTag::all, {h, a, o}),
      parent(LockTag::all, {parent(LockTag::any, {k, h}), a}),
      parent(LockTag::any, {parent(LockTag::all, {k, h}), parent(LockTag::all, {h, a})}),
  };
  for (size_t i = 0; i < std::size(keyless); ++i) {
    EXPECT_FALSE(lock_requires_signature(keyless[i])) << i;
    EXPECT_EQ(check_lock(make_lock(keyless[i])), LockError::keyless_path) << i;
  }

  const LockNode signing[] = {
      k,
      m,
      parent(LockTag::all, {h, k}),
      parent(LockTag::any, {k, m}),
      parent(LockTag::all, {parent(LockTag::any, {k, h}), m}),
      parent(LockTag::any, {parent(LockTag::all, {k, h}), parent(LockTag::all, {a, m, o})}),
  };
  for (size_t i = 0; i < std::size(signing); ++i) {
    EXPECT_TRUE(lock_requires_signature(signing[i])) << i;
    EXPECT_EQ(check_lock(make_lock(signing[i])), LockError::ok) << i;
  }
}

// ---- limits in evaluation ----

TEST_F(LockEvalTest, DeepestAndLargestLocksSpend) {
  lock_with(nested(kMaxLockDepth, key_node(pub(0))));
  EXPECT_EQ(verify_sat(nested_sat(kMaxLockDepth, key_sat(sign(key(0))))), LockError::ok);

  lock_with(lock_of_nodes(kMaxLockNodes));
  const TypedSignature sig = sign(key(0));
  Satisfaction sat = all_sat({});
  for (const LockNode& group : lock_.root.children) {
    sat.children.push_back(all_sat(std::vector<Satisfaction>(group.children.size(), key_sat(sig))));
  }
  EXPECT_EQ(verify_sat(sat), LockError::ok);
}

class LockStepLimitTest : public LockEvalTest {
 protected:
  // Satisfies heavy_lock(extra_hashes) with every signature present and valid.
  Satisfaction heavy_sat(size_t extra_hashes) const {
    std::vector<std::optional<TypedSignature>> sigs;
    for (size_t i = 0; i < 20; ++i) sigs.emplace_back(sign(key(i)));
    std::vector<Satisfaction> children(extra_hashes, hash_sat(kPreimage));
    for (int i = 0; i < 12; ++i) children.push_back(multi_sat(sigs));
    children.push_back(key_sat(sigs[0]));
    return all_sat(std::move(children));
  }
};

TEST_F(LockStepLimitTest, ExactlyAtTheLimitPasses) {
  static_assert(kMaxLockEvalSteps == 256, "heavy_lock(1) is sized for 256 steps");
  lock_with(heavy_lock(1));
  EXPECT_EQ(verify_sat(heavy_sat(1)), LockError::ok);
}

TEST_F(LockStepLimitTest, OneStepOverFailsWithoutTakingThatStep) {
  lock_with(heavy_lock(2));
  CountingChecker counting;
  checker_ = &counting;
  EXPECT_EQ(verify_sat(heavy_sat(2)), LockError::too_many_steps);
  // Step 257 is the last signature check: the 240 multisig signatures ran, it did not.
  EXPECT_EQ(counting.calls, 240u);
}

TEST_F(LockStepLimitTest, AbsentSignaturesAndUntakenBranchesCostNothing) {
  // With one signature absent from each 19-of-20 the over-limit lock fits again: 257 − 12.
  lock_with(heavy_lock(2));
  Satisfaction sat = heavy_sat(2);
  for (size_t i = 2; i < 14; ++i) sat.children[i].signatures[19].reset();
  EXPECT_EQ(verify_sat(sat), LockError::ok);

  // Behind an ANY, only the chosen branch is evaluated.
  lock_with(parent(LockTag::any, {heavy_lock(2), key_node(pub(5))}));
  EXPECT_EQ(verify_sat(any_sat(1, key_sat(sign(key(5))))), LockError::ok);
  EXPECT_EQ(verify_sat(any_sat(0, heavy_sat(2))), LockError::too_many_steps);
}

// ---- end to end ----

TEST(LockEvalEndToEnd, SignedTransactionWithBothKindsOfInputsVerifies) {
  const Hash256 genesis = blake3(as_bytes("end-to-end genesis"));
  const Hash256 secret_digest = blake3(kPreimage);
  const std::vector<Lock> locks = {
      make_lock(multi_node(2, pubs(1, 3))),
      make_lock(parent(LockTag::all, {key_node(pub(5)), time_node(LockTag::after, TimeKind::height, 100)})),
      make_lock(parent(LockTag::any, {parent(LockTag::all, {hash_node(secret_digest), key_node(pub(6))}),
                                      multi_node(1, pubs(7, 2))})),
      make_lock(parent(LockTag::all, {key_node(pub(8)), time_node(LockTag::older, TimeKind::seconds, 3600)})),
  };

  Transaction tx;
  tx.lock_time = 150;
  std::vector<TxOut> spent;
  auto add_input = [&](uint32_t n, OutputLock lock) {
    tx.inputs.push_back(TxIn{OutPoint{blake3(as_bytes("prev")), n}, {}});
    spent.push_back(TxOut{(n + 1) * kCoin, lock});
  };
  add_input(0, key_hash_lock(pub(0)));
  add_input(1, lock_hash_lock(locks[0]));
  add_input(2, key_hash_lock(pub(4)));
  add_input(3, lock_hash_lock(locks[1]));
  add_input(4, lock_hash_lock(locks[2]));
  add_input(5, lock_hash_lock(locks[3]));
  tx.outputs = {TxOut{3 * kCoin, key_hash_lock(pub(10))}, TxOut{17 * kCoin, lock_hash_lock(locks[0])}};

  const SighashDigests digests = compute_sighash_digests(tx, spent).value();
  auto sign = [&](uint32_t input, size_t k) {
    return TypedSignature{key(k).sign(signature_hash(tx, digests, input, kAll, genesis).value()), kAll};
  };
  tx.inputs[0].witness = KeySpend{pub(0), sign(0, 0)};
  tx.inputs[1].witness = LockSpend{locks[0], multi_sat({sign(1, 1), std::nullopt, sign(1, 3)})};
  tx.inputs[2].witness = KeySpend{pub(4), sign(2, 4)};
  tx.inputs[3].witness = LockSpend{locks[1], all_sat({key_sat(sign(3, 5)), leaf_sat(LockTag::after)})};
  tx.inputs[4].witness = LockSpend{locks[2], any_sat(0, all_sat({hash_sat(kPreimage), key_sat(sign(4, 6))}))};
  tx.inputs[5].witness = LockSpend{locks[3], all_sat({key_sat(sign(5, 8)), leaf_sat(LockTag::older)})};

  const SpendContext context{
      .spend_height = 500, .spend_time = 10'000, .coin_height = 400, .coin_time = 6'400};
  DirectSignatureChecker checker;
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    EXPECT_EQ(verify_input(tx, i, spent[i], digests, genesis, context, checker), LockError::ok)
        << "input " << i;
  }

  // The same verdicts after a round trip through the wire format.
  const Transaction decoded = decode_transaction(encode(tx)).value();
  ASSERT_EQ(decoded, tx);
  for (uint32_t i = 0; i < decoded.inputs.size(); ++i) {
    EXPECT_EQ(verify_input(decoded, i, spent[i], digests, genesis, context, checker), LockError::ok) << i;
  }

  // Signatures made for another input's index do not verify here.
  tx.inputs[1].witness = LockSpend{locks[0], multi_sat({sign(0, 1), std::nullopt, sign(0, 3)})};
  EXPECT_EQ(verify_input(tx, 1, spent[1], digests, genesis, context, checker), LockError::bad_signature);
}

TEST(LockErrorNames, EveryReasonHasAName) {
  for (int e = 0; e <= static_cast<int>(LockError::too_many_steps); ++e) {
    EXPECT_STRNE(to_string(static_cast<LockError>(e)), "unknown lock error") << e;
  }
  EXPECT_STREQ(to_string(LockError::ok), "ok");
}

}  // namespace
}  // namespace cairn
