// Multisig specs: key order independence, every bound at its edge, the lock and address,
// and the text form.
#include "wallet/multisig.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/lock_eval.h"
#include "primitives/address.h"
#include "support/keys.h"

namespace cairn::wallet {
namespace {

PublicKey pub(size_t i) { return test::test_key(i).public_key(); }

std::vector<PublicKey> pubs(size_t count) {
  std::vector<PublicKey> out;
  for (size_t i = 0; i < count; ++i) out.push_back(pub(i));
  return out;
}

TEST(Multisig, KeyOrderDoesNotMatter) {
  auto a = make_multisig(2, {pub(3), pub(1), pub(2)});
  auto b = make_multisig(2, {pub(2), pub(3), pub(1)});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(std::is_sorted(a->keys.begin(), a->keys.end()));
  EXPECT_EQ(multisig_address(Network::regtest, *a), multisig_address(Network::regtest, *b));
  EXPECT_EQ(multisig_output_lock(*a), multisig_output_lock(*b));
}

TEST(Multisig, Bounds) {
  EXPECT_FALSE(make_multisig(1, {}).ok());
  EXPECT_FALSE(make_multisig(0, pubs(3)).ok());
  EXPECT_FALSE(make_multisig(4, pubs(3)).ok());
  EXPECT_TRUE(make_multisig(3, pubs(3)).ok());
  EXPECT_TRUE(make_multisig(1, pubs(1)).ok());
  EXPECT_TRUE(make_multisig(kMaxMultisigKeys, pubs(kMaxMultisigKeys)).ok());
  auto too_many = make_multisig(1, pubs(kMaxMultisigKeys + 1));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("at most 20"), std::string::npos);
  auto dup = make_multisig(2, {pub(1), pub(2), pub(1)});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("more than once"), std::string::npos);
}

TEST(Multisig, LockIsAValidMultiLockAndItsAddressPaysToItsHash) {
  auto spec = make_multisig(2, pubs(3));
  ASSERT_TRUE(spec.ok());
  const Lock lock = multisig_lock(*spec);
  EXPECT_EQ(check_lock(lock), LockError::ok);
  EXPECT_EQ(lock.root.tag, LockTag::multi);
  EXPECT_EQ(lock.root.threshold, 2u);
  auto decoded = decode_address(Network::regtest, multisig_address(Network::regtest, *spec));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->kind, OutputLockKind::lock_hash);
  EXPECT_EQ(*decoded, lock_hash_lock(lock));
  EXPECT_NE(multisig_address(Network::regtest, *spec), multisig_address(Network::testnet, *spec));
}

TEST(Multisig, FromLock) {
  auto spec = make_multisig(2, pubs(3));
  ASSERT_TRUE(spec.ok());
  auto back = multisig_from_lock_bytes(encode(multisig_lock(*spec)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *spec);

  Lock unsorted = multisig_lock(*spec);
  std::swap(unsorted.root.keys[0], unsorted.root.keys[1]);
  EXPECT_FALSE(multisig_from_lock(unsorted).ok());
  Lock single;
  single.root.keys = {pub(0)};
  EXPECT_FALSE(multisig_from_lock(single).ok());
  EXPECT_FALSE(multisig_from_lock_bytes(Bytes{1, 2}).ok());
}

TEST(Multisig, TextRoundTripAndErrors) {
  auto spec = make_multisig(2, pubs(3));
  ASSERT_TRUE(spec.ok());
  const std::string text = format_multisig(*spec);
  EXPECT_EQ(text.rfind("multi(2,", 0), 0u);
  auto parsed = parse_multisig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, *spec);

  // Any order, spaces, upper case.
  std::string shuffled = "multi(2, " + pub(2).hex() + ", " + pub(0).hex() + "," + pub(1).hex() + ")";
  for (auto& c : shuffled) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  shuffled.replace(0, 5, "multi");
  parsed = parse_multisig(shuffled);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, *spec);

  EXPECT_FALSE(parse_multisig("multi(2)").ok());
  EXPECT_FALSE(parse_multisig("multi(x," + pub(0).hex() + ")").ok());
  EXPECT_FALSE(parse_multisig("multi(0," + pub(0).hex() + ")").ok());
  EXPECT_FALSE(parse_multisig("multi(1," + pub(0).hex() + "00)").ok());
  EXPECT_FALSE(parse_multisig("2 of " + pub(0).hex()).ok());
}

TEST(Multisig, ParsePublicKey) {
  auto key = parse_public_key(pub(5).hex());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, pub(5));
  EXPECT_FALSE(parse_public_key(pub(5).hex().substr(2)).ok());
  std::string bad = pub(5).hex();
  bad[10] = 'g';
  EXPECT_FALSE(parse_public_key(bad).ok());
}

}  // namespace
}  // namespace cairn::wallet
