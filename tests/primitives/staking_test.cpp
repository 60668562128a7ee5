// Staking payload bodies and validator records (docs/consensus.md "Staking and finality"):
// exact layouts, round trips, and strict decoding.
#include "primitives/staking.h"

#include <gtest/gtest.h>

#include "support/keys.h"

namespace cairn {
namespace {

using test::test_key;

ValidatorRecord sample_record() {
  ValidatorRecord r;
  r.voting_key = test_key(0).public_key();
  r.owner = key_hash_lock(test_key(1).public_key());
  r.bond_id.bytes.fill(7);
  r.stake = 12 * kCoin;
  r.start_dynasty = 3;
  r.end_dynasty = 9;
  r.end_epoch = kUnset;
  r.slashed = false;
  return r;
}

TEST(StakingBodies, BondLayoutAndRoundTrip) {
  const BondBody body{test_key(0).public_key(), key_hash_lock(test_key(1).public_key()), 5 * kCoin};
  const Bytes bytes = encode_bond_body(body);
  ASSERT_EQ(bytes.size(), 32u + 33u + 8u);
  EXPECT_EQ(bytes[32], static_cast<uint8_t>(OutputLockKind::key_hash));
  EXPECT_EQ(bytes[65], static_cast<uint8_t>((5 * kCoin) & 0xff));  // amount little-endian
  auto decoded = decode_bond_body(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, body);
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_FALSE(decode_bond_body(trailing));
  EXPECT_FALSE(decode_bond_body(ByteSpan(bytes.data(), bytes.size() - 1)));
}

TEST(StakingBodies, UnbondWithAndWithoutSignature) {
  const UnbondBody owner_auth{test_key(0).public_key(), std::nullopt};
  const Bytes a = encode_unbond_body(owner_auth);
  ASSERT_EQ(a.size(), 33u);
  EXPECT_EQ(a[32], 0);
  EXPECT_EQ(*decode_unbond_body(a), owner_auth);
  const UnbondBody signed_body{test_key(0).public_key(), test_key(0).sign(Bytes{1, 2, 3})};
  const Bytes b = encode_unbond_body(signed_body);
  ASSERT_EQ(b.size(), 33u + 64u);
  EXPECT_EQ(*decode_unbond_body(b), signed_body);
  Bytes bad_flag = a;
  bad_flag[32] = 2;
  EXPECT_FALSE(decode_unbond_body(bad_flag));
  Bytes missing_signature = a;
  missing_signature[32] = 1;
  EXPECT_FALSE(decode_unbond_body(missing_signature));
}

TEST(StakingBodies, WithdrawAndSlash) {
  const WithdrawBody w{test_key(2).public_key()};
  EXPECT_EQ(encode_withdraw_body(w).size(), 32u);
  EXPECT_EQ(*decode_withdraw_body(encode_withdraw_body(w)), w);
  Vote a;
  a.validator = test_key(0).public_key();
  a.target_epoch = 4;
  Vote b = a;
  b.source_epoch = 1;
  const SlashBody s{a, b};
  const Bytes bytes = encode_slash_body(s);
  ASSERT_EQ(bytes.size(), 2 * kVoteBytes);
  EXPECT_EQ(*decode_slash_body(bytes), s);
  EXPECT_FALSE(decode_slash_body(ByteSpan(bytes.data(), kVoteBytes)));
}

TEST(StakingBodies, PayloadKindsAreStable) {
  EXPECT_EQ(static_cast<uint8_t>(kBondPayload), 2);
  EXPECT_EQ(static_cast<uint8_t>(kUnbondPayload), 3);
  EXPECT_EQ(static_cast<uint8_t>(kWithdrawPayload), 4);
  EXPECT_EQ(static_cast<uint8_t>(kSlashPayload), 5);
  EXPECT_TRUE(is_staking_payload(kSlashPayload));
  EXPECT_FALSE(is_staking_payload(PayloadKind::coinbase));
  EXPECT_FALSE(is_staking_payload(PayloadKind::none));
}

TEST(UnbondMessage, BindsGenesisKeyAndBond) {
  BlockHash g;
  Txid bond;
  const PublicKey k = test_key(0).public_key();
  const Hash256 m = unbond_signing_message(g, k, bond);
  Writer w;
  w.raw(g);
  w.raw(k);
  w.raw(bond);
  EXPECT_EQ(m, hash(HashContext::unbond_sign, w.data()));
  Txid other_bond;
  other_bond.bytes[0] = 1;
  EXPECT_NE(m, unbond_signing_message(g, k, other_bond));
  BlockHash other_genesis;
  other_genesis.bytes[31] = 1;
  EXPECT_NE(m, unbond_signing_message(other_genesis, k, bond));
}

TEST(ValidatorRecordEncoding, LayoutRoundTripAndStrictness) {
  const ValidatorRecord r = sample_record();
  const Bytes bytes = encode(r);
  ASSERT_EQ(bytes.size(), 1u + 32 + 33 + 32 + 8 + 8 + 8 + 8 + 1);
  EXPECT_EQ(bytes[0], kValidatorRecordVersion);
  auto decoded = decode_validator_record(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, r);
  Bytes bad_version = bytes;
  bad_version[0] = 2;
  EXPECT_FALSE(decode_validator_record(bad_version));
  Bytes bad_flag = bytes;
  bad_flag.back() = 2;
  EXPECT_FALSE(decode_validator_record(bad_flag));
  const Bytes element = validator_state_element(r);
  EXPECT_EQ(element[0], kValidatorStateElement);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), element.begin() + 1, element.end()));
}

}  // namespace
}  // namespace cairn
