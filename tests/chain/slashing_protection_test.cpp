// Slashing protection (chain/slashing_protection.h): refuses double and surround votes,
// re-signs only the identical vote, survives a restart and a restore elsewhere, refuses
// damaged files and another network's, and records nothing when the write fails.
#include "chain/slashing_protection.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "storage/stores.h"
#include "support/keys.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using test::test_key;

BlockHash network(uint8_t tag) {
  BlockHash g;
  g.bytes.fill(tag);
  return g;
}

Vote vote(uint64_t source, uint64_t target, uint8_t target_tag = 1) {
  Vote v;
  v.validator = test_key(0).public_key();
  v.source_epoch = source;
  v.target_epoch = target;
  v.target_hash.bytes.fill(target_tag);
  return v;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status sign(SlashingProtection& p, const Vote& v) {
  return p.check_and_record(v, vote_signing_message(v, network(1)));
}

class Protection : public ::testing::Test {
 protected:
  fs::path file() const { return dir.path() / "slashing_protection"; }
  SlashingProtection open() {
    auto p = SlashingProtection::open(file(), network(1));
    EXPECT_TRUE(p) << p.error().to_string();
    return std::move(*p);
  }
  TempDir dir;
};

TEST_F(Protection, RefusesDoubleAndSurroundVotes) {
  SlashingProtection p = open();
  ASSERT_TRUE(sign(p, vote(2, 5)));
  EXPECT_TRUE(sign(p, vote(2, 5)));      // the identical vote again
  EXPECT_FALSE(sign(p, vote(2, 5, 9)));  // double vote: same target, other hash
  EXPECT_FALSE(sign(p, vote(3, 5)));     // double vote: same target, other source
  EXPECT_FALSE(sign(p, vote(3, 4)));     // surrounded by 2 -> 5 (and an older target)
  EXPECT_FALSE(sign(p, vote(1, 6)));     // surrounds 2 -> 5
  ASSERT_TRUE(sign(p, vote(2, 6)));      // next epoch, same source: fine
  ASSERT_TRUE(sign(p, vote(6, 7)));
  EXPECT_EQ(p.find(test_key(0).public_key())->max_source_epoch, 6u);
  EXPECT_EQ(p.find(test_key(0).public_key())->max_target_epoch, 7u);
  EXPECT_EQ(p.find(test_key(1).public_key()), std::nullopt);
}

TEST_F(Protection, RestartedValidatorRefusesDoubleVote) {
  {
    SlashingProtection p = open();
    ASSERT_TRUE(sign(p, vote(2, 5)));
  }
  SlashingProtection restarted = open();
  EXPECT_FALSE(sign(restarted, vote(2, 5, 9)));
  EXPECT_TRUE(sign(restarted, vote(2, 5)));
}

TEST_F(Protection, RestoreElsewhereRefusesDoubleVote) {
  {
    SlashingProtection p = open();
    ASSERT_TRUE(sign(p, vote(2, 5)));
  }
  TempDir elsewhere;
  fs::copy_file(file(), elsewhere.path() / "restored");
  auto restored = SlashingProtection::open(elsewhere.path() / "restored", network(1));
  ASSERT_TRUE(restored);
  EXPECT_FALSE(sign(*restored, vote(2, 5, 9)));
  EXPECT_FALSE(sign(*restored, vote(1, 6)));
}

TEST_F(Protection, DamagedOrForeignFileRefused) {
  {
    SlashingProtection p = open();
    ASSERT_TRUE(sign(p, vote(2, 5)));
  }
  EXPECT_FALSE(SlashingProtection::open(file(), network(2)));  // another network's record
  std::fstream f(file(), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);
  f.put('\x55');
  f.close();
  auto damaged = SlashingProtection::open(file(), network(1));
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, ErrorCode::decode);
  fs::resize_file(file(), 10);
  EXPECT_FALSE(SlashingProtection::open(file(), network(1)));
}

TEST_F(Protection, FailedWriteRecordsNothing) {
  const fs::path sub = dir.path() / "sub";
  fs::create_directories(sub);
  auto p = SlashingProtection::open(sub / "record", network(1));
  ASSERT_TRUE(p);
  fs::remove_all(sub);  // the record can no longer be written
  const Status s = sign(*p, vote(2, 5));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::io);
  EXPECT_EQ(p->find(test_key(0).public_key()), std::nullopt);
}

TEST_F(Protection, RefusedVoteLeavesFileUnchanged) {
  SlashingProtection p = open();
  ASSERT_TRUE(sign(p, vote(2, 5)));
  const std::string bytes = slurp(file());
  ASSERT_FALSE(sign(p, vote(2, 4)));
  const std::string after = slurp(file());
  EXPECT_EQ(after, bytes);
}

}  // namespace
}  // namespace cairn
