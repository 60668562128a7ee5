// Test and benchmark helpers for the asynchronous net code: an io_context on its own thread, a bounded
// wait for a coroutine's result or a condition, and a log sink tests can inspect.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "net/coro.h"

namespace cairn::net::testing {

class IoThread {
 public:
  IoThread() : work_(io.get_executor()), thread_([this] { io.run(); }) {}
  ~IoThread() {
    work_.reset();
    io.stop();
    thread_.join();
  }
  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Starts `op` on `io`; the future holds its result.
template <class T>
std::future<T> spawn_future(asio::io_context& io, asio::awaitable<T> op) {
  auto done = std::make_shared<std::promise<T>>();
  auto future = done->get_future();
  asio::co_spawn(
      io,
      [op = std::move(op), done]() mutable -> asio::awaitable<void> {
        done->set_value(co_await std::move(op));
      },
      asio::detached);
  return future;
}

// The result of `op` run on `io`, or nullopt if it did not finish within `timeout`.
template <class T>
std::optional<T> run(asio::io_context& io, asio::awaitable<T> op,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::future<T> future = spawn_future(io, std::move(op));
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// Polls `done` until it holds or `timeout` passes; whether it held.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Collects log lines from any thread.
class LogLines {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  size_t count(std::string_view fragment) const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& line : lines_) {
      if (line.find(fragment) != std::string::npos) ++n;
    }
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace cairn::net::testing
