#include "util/thread_pool.h"

#include <cassert>
#include <utility>

#include <pthread.h>

namespace cairn {

ThreadPool::ThreadPool(std::string name, size_t threads, size_t max_queue)
    : thread_count_(threads), max_queue_(max_queue) {
  assert(threads >= 1 && threads <= kMaxThreads);
  assert(max_queue >= 1);
  assert(name.size() <= kMaxNameLength);
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this, thread_name = name + "." + std::to_string(i)] {
      // Named threads show up in top, gdb and perf, which is why they are named at all.
      pthread_setname_np(pthread_self(), thread_name.c_str());
      work();
    });
  }
}

ThreadPool::~ThreadPool() { shutdown(); }

bool ThreadPool::submit(std::function<void()> task) {
  {
    MutexLock lock(mutex_);
    while (!stopping_ && queue_.size() >= max_queue_) lock.wait(not_full_);
    if (stopping_) return false;
    queue_.push_back(std::move(task));
  }
  not_empty_.notify_one();
  return true;
}

void ThreadPool::shutdown() {
  MutexLock join_lock(join_mutex_);
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void ThreadPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && queue_.empty()) lock.wait(not_empty_);
      // Queued tasks still run after shutdown begins: their submitters may be waiting.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    not_full_.notify_one();
    task();
  }
}

void TaskGroup::run(std::function<void()> task) {
  {
    MutexLock lock(mutex_);
    ++pending_;
  }
  auto wrapped = [this, task = std::move(task)] {
    task();
    finished();
  };
  // A pool that has shut down refuses the task; run it here so that wait() still returns.
  if (!pool_.submit(wrapped)) wrapped();
}

void TaskGroup::wait() {
  MutexLock lock(mutex_);
  while (pending_ != 0) lock.wait(done_);
}

void TaskGroup::finished() {
  MutexLock lock(mutex_);
  // Notify with the mutex held: once pending_ reaches 0 a waiter may destroy the group.
  if (--pending_ == 0) done_.notify_all();
}

}  // namespace cairn
