#include "util/file.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn-file-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(FileTest, AtomicWriteIsPrivateAndLeavesNothingElse) {
  const fs::path path = dir_ / "secret";
  ASSERT_TRUE(write_file_atomically(path, Bytes{1, 2, 3}, false).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  EXPECT_EQ(read_private_file(path, 3).value(), (Bytes{1, 2, 3}));

  auto refused = write_file_atomically(path, Bytes{9}, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read_private_file(path, 3).value(), (Bytes{1, 2, 3}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);

  ASSERT_TRUE(write_file_atomically(path, Bytes{9}, true).ok());
  EXPECT_EQ(read_private_file(path, 3).value(), (Bytes{9}));
}

TEST_F(FileTest, AFailedWriteLeavesNothing) {
  const auto missing = write_file_atomically(dir_ / "no-such-dir" / "f", Bytes{1}, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::io);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0);
}

TEST_F(FileTest, ReadLimitIsInclusive) {
  const fs::path path = dir_ / "f";
  ASSERT_TRUE(write_file_atomically(path, Bytes(10, 7), true).ok());
  EXPECT_TRUE(read_private_file(path, 10).ok());
  auto over = read_private_file(path, 9);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::limit);
  EXPECT_NE(over.error().message.find("is 10 bytes"), std::string::npos) << over.error().message;
}

TEST_F(FileTest, PrivateFilesMustBePrivateRegularFiles) {
  const fs::path path = dir_ / "f";
  ASSERT_TRUE(write_file_atomically(path, Bytes{1}, true).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto open = read_private_file(path, 1);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("permissions 0640"), std::string::npos);
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);

  const fs::path link = dir_ / "link";
  fs::create_symlink(path, link);
  EXPECT_NE(read_private_file(link, 1).error().message.find("symbolic link"), std::string::npos);

  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(read_private_file(fifo, 1).error().message.find("not a regular file"), std::string::npos);

  EXPECT_EQ(read_private_file(dir_ / "absent", 1).error().code, ErrorCode::io);
}

}  // namespace
}  // namespace cairn
