// FileLock: one holder at a time (across processes too: flock locks belong to the open file,
// so a second open in this process contends like another process would), the holder's PID
// in the refusal, and the lock gone with the holder.
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"

namespace cairn {
namespace {

std::filesystem::path lock_path() {
  return std::filesystem::temp_directory_path() / ("cairn-lock-test-" + std::to_string(::getpid()) + ".lock");
}

TEST(FileLock, ASecondHolderIsRefusedWithTheFirstsPid) {
  const auto path = lock_path();
  std::filesystem::remove(path);
  {
    auto first = FileLock::acquire(path, "the data directory /x");
    ASSERT_TRUE(first.ok()) << first.error().message;
    std::ifstream in(path);
    long pid = 0;
    in >> pid;
    EXPECT_EQ(pid, ::getpid());
    auto second = FileLock::acquire(path, "the data directory /x");
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().message,
              "the data directory /x is in use by process " + std::to_string(::getpid()));
  }
  // Released with its holder; the file stays (see file.h) and is taken again.
  EXPECT_TRUE(std::filesystem::exists(path));
  auto again = FileLock::acquire(path, "it");
  EXPECT_TRUE(again.ok());
  std::filesystem::remove(path);
}

TEST(FileLock, AnotherProcessIsRefusedAndAKilledHolderLetsGo) {
  const auto path = lock_path();
  std::filesystem::remove(path);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto held = FileLock::acquire(path, "it");
    const char byte = held.ok() ? 'y' : 'n';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
    ::pause();  // until killed
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(byte, 'y');
  auto refused = FileLock::acquire(path, "it");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "it is in use by process " + std::to_string(child));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto taken = FileLock::acquire(path, "it");
  EXPECT_TRUE(taken.ok()) << taken.error().message;
  std::filesystem::remove(path);
}

TEST(FileLock, AnUnopenableFileIsAnIoError) {
  auto missing_dir = FileLock::acquire("/nonexistent-cairn-dir/cairnd.lock", "it");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code, ErrorCode::io);
}

}  // namespace
}  // namespace cairn
