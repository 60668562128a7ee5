// A fixed set of named worker threads fed from one bounded queue, and TaskGroup, which
// runs a batch of tasks on a pool and waits for all of them.
//
// The queue is bounded (a limit on everything, DESIGN.md): submit() blocks while it is
// full, so a producer can never pile up unbounded work. Tasks must not throw (an escaping
// exception terminates the process, as from any std::thread) and must not wait for other
// tasks of the same pool: with every worker waiting, nothing would run them.
//
// Thread safety: every member function may be called from any thread, except that the
// destructor and shutdown() must not be called from a worker of the same pool.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "util/thread_annotations.h"

namespace cairn {

class ThreadPool {
 public:
  static constexpr size_t kMaxThreads = 256;
  static constexpr size_t kDefaultMaxQueue = 4096;
  // Linux thread names hold 15 characters; the pool appends ".N" to `name`.
  static constexpr size_t kMaxNameLength = 10;

  // Starts `threads` workers (1..kMaxThreads) named "<name>.0", "<name>.1", ...
  ThreadPool(std::string name, size_t threads, size_t max_queue = kDefaultMaxQueue);
  // shutdown().
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`, blocking while the queue holds max_queue tasks. Returns false (and
  // drops the task) once shutdown has begun.
  bool submit(std::function<void()> task) EXCLUDES(mutex_);

  // Refuses new tasks, runs every task already queued, and joins the workers. Idempotent.
  void shutdown() EXCLUDES(mutex_);

  size_t threads() const { return thread_count_; }

 private:
  void work() EXCLUDES(mutex_);

  const size_t thread_count_;
  const size_t max_queue_;
  Mutex mutex_;
  std::condition_variable not_empty_;  // a task was queued, or shutdown began
  std::condition_variable not_full_;   // a task was taken, or shutdown began
  std::deque<std::function<void()>> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  Mutex join_mutex_;  // serialises concurrent shutdown() calls
  std::vector<std::thread> workers_ GUARDED_BY(join_mutex_);
};

// Tasks run on a pool, waited for together. A TaskGroup must outlive its tasks, so the
// destructor waits too. If the pool has shut down, run() executes the task inline, so a
// group's work is always done.
class TaskGroup {
 public:
  explicit TaskGroup(ThreadPool& pool) : pool_(pool) {}
  ~TaskGroup() { wait(); }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  void run(std::function<void()> task) EXCLUDES(mutex_);
  // Returns when every task passed to run() so far has finished.
  void wait() EXCLUDES(mutex_);

 private:
  void finished() EXCLUDES(mutex_);

  ThreadPool& pool_;
  Mutex mutex_;
  std::condition_variable done_;
  size_t pending_ GUARDED_BY(mutex_) = 0;
};

}  // namespace cairn
