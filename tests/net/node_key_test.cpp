#include "net/node_key.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/identity.h"

namespace cairn::net {
namespace {

namespace fs = std::filesystem;

class NodeKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn_node_key_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / kNodeKeyFileName;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_file(const Bytes& bytes, mode_t mode) {
    {
      std::ofstream out(path_, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }

  void expect_refused(std::string_view part) {
    auto key = load_or_create_node_key(path_);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find(part), std::string::npos) << key.error().message;
    EXPECT_NE(key.error().message.find(path_.string()), std::string::npos) << key.error().message;
  }

  fs::path dir_;
  fs::path path_;
};

TEST_F(NodeKeyTest, CreatedOnceThenLoaded) {
  auto created = load_or_create_node_key(path_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(static_cast<size_t>(st.st_size), kEd25519PrivateKeyProtobufLength);
  // Nothing else is left behind (the temporary file was renamed into place).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);

  auto loaded = load_or_create_node_key(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->public_key(), created->public_key());
  EXPECT_EQ(load_node_key(path_)->public_key(), created->public_key());
}

TEST_F(NodeKeyTest, ReadsTheSpecKeyAndReplacesAtomically) {
  // A key written by another libp2p implementation (the peer-ids spec's vector).
  const Bytes spec = from_hex(
                         "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c"
                         "4a144b8be8fd4b47bf3d3b34b"
                         "871c3cacf6010f0e42d474fce27e")
                         .value();
  write_file(spec, 0600);
  auto key = load_node_key(path_);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(PeerId::from_public_key(key->public_key()).to_base58(),
            "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");

  // A stale temporary file from a crash does not stop a save.
  write_file({}, 0600);
  fs::rename(path_, dir_ / "node_key.tmp");
  const KeyPair other = KeyPair::generate();
  ASSERT_TRUE(save_node_key(path_, other).ok());
  EXPECT_EQ(load_node_key(path_)->public_key(), other.public_key());
}

TEST_F(NodeKeyTest, RefusesLoosePermissions) {
  ASSERT_TRUE(load_or_create_node_key(path_).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  expect_refused("permissions 0644");
  ASSERT_EQ(::chmod(path_.c_str(), 0620), 0);
  expect_refused("chmod 600");
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);  // stricter than 0600 is fine
  EXPECT_TRUE(load_node_key(path_).ok());
}

TEST_F(NodeKeyTest, RefusesWrongSizeAndContents) {
  write_file(Bytes(kMaxNodeKeyFileSize + 1, 0), 0600);
  expect_refused("is 129 bytes");
  write_file(Bytes(kMaxNodeKeyFileSize, 0), 0600);  // at the limit it is read, then rejected
  expect_refused("does not hold a libp2p Ed25519 key");
  write_file(Bytes(kEd25519PrivateKeyProtobufLength - 1, 0), 0600);
  expect_refused("67 bytes");
  write_file({}, 0600);
  expect_refused("does not hold a libp2p Ed25519 key");
}

TEST_F(NodeKeyTest, RefusesOtherFileTypes) {
  fs::create_directory(path_);
  expect_refused("not a regular file");
  fs::remove(path_);
  const fs::path target = dir_ / "elsewhere";
  ASSERT_TRUE(save_node_key(target, KeyPair::generate()).ok());
  fs::create_symlink(target, path_);
  expect_refused("symbolic link");
  fs::remove(path_);
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  expect_refused("not a regular file");  // and does not block on the FIFO
}

TEST_F(NodeKeyTest, ReportsIoErrors) {
  auto missing = load_node_key(dir_ / "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::io);
  auto no_dir = save_node_key(dir_ / "no" / "such" / "dir" / "key", KeyPair::generate());
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().code, ErrorCode::io);
}

}  // namespace
}  // namespace cairn::net
