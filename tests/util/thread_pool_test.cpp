#include "util/thread_pool.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pthread.h>

namespace cairn {
namespace {

TEST(ThreadPool, RunsEveryTaskOfAGroup) {
  ThreadPool pool("test", 3);
  std::atomic<int> sum{0};
  TaskGroup group(pool);
  for (int i = 1; i <= 1000; ++i) group.run([&sum, i] { sum += i; });
  group.wait();
  EXPECT_EQ(sum.load(), 500500);
}

TEST(ThreadPool, WorkersAreNamed) {
  ThreadPool pool("named", 2);
  Mutex mutex;
  std::set<std::string> names;
  TaskGroup group(pool);
  for (int i = 0; i < 50; ++i) {
    group.run([&] {
      char name[16] = {};
      pthread_getname_np(pthread_self(), name, sizeof name);
      MutexLock lock(mutex);
      names.insert(name);
    });
  }
  group.wait();
  for (const auto& n : names) EXPECT_TRUE(n == "named.0" || n == "named.1") << n;
}

// A queue of one task: submit() blocks until a worker takes the queued task, and every
// task still runs.
TEST(ThreadPool, BoundedQueueBlocksAndLosesNothing) {
  ThreadPool pool("bound", 1, 1);
  std::atomic<int> count{0};
  TaskGroup group(pool);
  for (int i = 0; i < 200; ++i) group.run([&count] { ++count; });
  group.wait();
  EXPECT_EQ(count.load(), 200);
}

TEST(ThreadPool, ShutdownRunsQueuedTasksThenRefuses) {
  std::atomic<int> count{0};
  ThreadPool pool("stop", 1);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.submit([&count] { ++count; }));
  pool.shutdown();
  EXPECT_EQ(count.load(), 100);
  EXPECT_FALSE(pool.submit([&count] { ++count; }));
  pool.shutdown();  // idempotent
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPool, GroupOnAStoppedPoolRunsInline) {
  ThreadPool pool("inline", 1);
  pool.shutdown();
  int ran = 0;
  TaskGroup group(pool);
  group.run([&ran] { ++ran; });
  group.wait();
  EXPECT_EQ(ran, 1);
}

// Several threads run groups on one small pool at once; each group waits for its own tasks.
TEST(ThreadPool, ConcurrentGroups) {
  ThreadPool pool("groups", 2, 4);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      std::atomic<int> mine{0};
      TaskGroup group(pool);
      for (int i = 0; i < 100; ++i) group.run([&] { ++mine; });
      group.wait();
      EXPECT_EQ(mine.load(), 100);
      total += mine;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 400);
}

TEST(ThreadPool, NameLimit) {
  ThreadPool pool(std::string(ThreadPool::kMaxNameLength, 'x'), 1);
  EXPECT_EQ(pool.threads(), 1u);
}

}  // namespace
}  // namespace cairn
