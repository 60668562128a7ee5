#include "wallet/session.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"
#include "util/file.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'800'000'000;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : clock_(kNow), store_(dir_.path() / "wallet", id(), dir_.path() / "keys", clock_) {
    fs::create_directory(dir_.path() / "wallet");
  }
  static WalletId id() {
    WalletId w;
    w.bytes.fill(0x5a);
    return w;
  }
  static Bytes secret() { return Bytes(97, 0x33); }

  TempDir dir_;
  ManualClock clock_;
  SessionStore store_;
  DeterministicRng rng_{1};
};

TEST_F(SessionTest, UnlockThenReadTheSecret) {
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  auto got = store_.secret();
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Bytes((*got)->span().begin(), (*got)->span().end()), secret());
  EXPECT_EQ(*store_.expiry(), kNow + 300);
  EXPECT_EQ(store_.key_path().parent_path(), dir_.path() / "keys");
  EXPECT_EQ(store_.key_path().extension(), ".key");
  EXPECT_EQ(store_.session_path(), dir_.path() / "wallet" / "session");
  struct stat st {};
  ASSERT_EQ(::stat(store_.session_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(store_.key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() / "keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // The session file does not contain the secret in clear.
  const Bytes file = *read_private_file(store_.session_path(), 4096);
  EXPECT_EQ(std::search(file.begin(), file.end(), secret().begin(), secret().begin() + 16), file.end());
}

TEST_F(SessionTest, TwoWalletsWithOneIdKeepSeparateSessions) {
  // A backup imported beside its original has the same wallet id.
  fs::create_directory(dir_.path() / "copy");
  SessionStore copy(dir_.path() / "copy", id(), dir_.path() / "keys", clock_);
  EXPECT_NE(copy.key_path(), store_.key_path());
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  const Bytes other(40, 0x44);
  ASSERT_TRUE(copy.unlock(other, 300, rng_).ok());
  auto first = store_.secret();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(Bytes((*first)->span().begin(), (*first)->span().end()), secret());
  ASSERT_TRUE(copy.lock().ok());
  EXPECT_TRUE(store_.secret().ok());
}

TEST_F(SessionTest, ExpiresAtTheExactBoundaryAndIsDeletedOnSight) {
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  clock_.set_unix_seconds(kNow + 299);
  ASSERT_TRUE(store_.secret()->has_value());
  clock_.set_unix_seconds(kNow + 300);
  auto expired = store_.secret();
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  EXPECT_FALSE(fs::exists(store_.session_path()));
  EXPECT_FALSE(fs::exists(store_.key_path()));
}

TEST_F(SessionTest, ExpiryQueryAlsoDeletesAnExpiredSession) {
  ASSERT_TRUE(store_.unlock(secret(), 1, rng_).ok());
  clock_.advance_seconds(1);
  EXPECT_FALSE(store_.expiry()->has_value());
  EXPECT_FALSE(fs::exists(store_.session_path()));
  EXPECT_FALSE(fs::exists(store_.key_path()));
}

TEST_F(SessionTest, LockDeletesBothFiles) {
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  ASSERT_TRUE(store_.lock().ok());
  EXPECT_FALSE(fs::exists(store_.session_path()));
  EXPECT_FALSE(fs::exists(store_.key_path()));
  EXPECT_FALSE(store_.secret()->has_value());
  EXPECT_TRUE(store_.lock().ok());  // nothing to lock is fine
}

TEST_F(SessionTest, LostKeyEndsTheSession) {
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  fs::remove(store_.key_path());  // as after a reboot: the key was on tmpfs
  auto got = store_.secret();
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_FALSE(fs::exists(store_.session_path()));
}

TEST_F(SessionTest, MovingTheExpiryBreaksDecryption) {
  ASSERT_TRUE(store_.unlock(secret(), 300, rng_).ok());
  Bytes file = *read_private_file(store_.session_path(), 4096);
  file[9] = static_cast<uint8_t>(file[9] + 100);  // expiry, little-endian low byte: later
  ASSERT_TRUE(write_file_atomically(store_.session_path(), file, true).ok());
  auto got = store_.secret();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("does not decrypt"), std::string::npos);
}

TEST_F(SessionTest, TimeoutBounds) {
  EXPECT_FALSE(store_.unlock(secret(), 0, rng_).ok());
  EXPECT_FALSE(store_.unlock(secret(), kMaxUnlockSeconds + 1, rng_).ok());
  EXPECT_FALSE(fs::exists(store_.session_path()));
  EXPECT_TRUE(store_.unlock(secret(), kMinUnlockSeconds, rng_).ok());
  EXPECT_TRUE(store_.unlock(secret(), kMaxUnlockSeconds, rng_).ok());
  EXPECT_EQ(*store_.expiry(), kNow + kMaxUnlockSeconds);
}

TEST_F(SessionTest, RefusesAKeyDirectoryOthersCanEnter) {
  fs::create_directory(dir_.path() / "keys");
  ASSERT_EQ(::chmod((dir_.path() / "keys").c_str(), 0755), 0);
  auto refused = store_.unlock(secret(), 300, rng_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("open to group or others"), std::string::npos);
  EXPECT_FALSE(fs::exists(store_.session_path()));
}

TEST_F(SessionTest, RefusesASymlinkedKeyDirectory) {
  fs::create_directory(dir_.path() / "elsewhere");
  fs::create_directory_symlink(dir_.path() / "elsewhere", dir_.path() / "keys");
  auto refused = store_.unlock(secret(), 300, rng_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not a directory"), std::string::npos);
}

TEST(SessionKeyDir, FollowsXdgRuntimeDir) {
  const char* saved = std::getenv("XDG_RUNTIME_DIR");
  const std::string restore = saved ? saved : "";
  ::setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
  EXPECT_EQ(default_session_key_dir(), fs::path("/run/user/1234/cairn"));
  ::unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(default_session_key_dir(), fs::path("/dev/shm/cairn-" + std::to_string(::getuid())));
  if (saved) ::setenv("XDG_RUNTIME_DIR", restore.c_str(), 1);
}

}  // namespace
}  // namespace cairn::wallet
