// Test helpers for the asynchronous net code: an io_context on its own thread and a bounded
// wait for a coroutine's result.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

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

// The result of `op` run on `io`, or nullopt if it did not finish within `timeout`.
template <class T>
std::optional<T> run(asio::io_context& io, asio::awaitable<T> op,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto done = std::make_shared<std::promise<T>>();
  auto future = done->get_future();
  asio::co_spawn(
      io,
      [op = std::move(op), done]() mutable -> asio::awaitable<void> {
        done->set_value(co_await std::move(op));
      },
      asio::detached);
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

}  // namespace cairn::net::testing
