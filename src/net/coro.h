// Small pieces shared by the coroutines that drive Cairn's libp2p cores on Boost.Asio.
//
// Result<T> is not default-constructible, and Boost 1.74's co_spawn needs a default value to
// complete with when a coroutine throws; run_on() therefore carries the result through an
// optional in the awaiting frame, which stays suspended (and alive) until the inner
// coroutine finishes.
#pragma once

#include <optional>
#include <utility>  // before Asio's awaitable: the GCC 12 workaround of DESIGN.md

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "util/result.h"

// GCC 12 reports false positives in code it inlines from Boost 1.74's Asio into every file
// that drives sockets with coroutines: -Wnull-dereference in the epoll reactor's thread-info
// access, and -Wmismatched-new-delete on awaitable frames (Asio's recycling allocator defines
// its own operator new and delete). Silenced from here to the end of each such file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace cairn::net {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;

// CAIRN_TRY for coroutines: `CAIRN_CO_TRY(auto bytes, co_await stream.read(n));`
#define CAIRN_CO_TRY(lhs, expr)                                                                        \
  auto CAIRN_CONCAT(cairn_co_try_, __LINE__) = (expr);                                                 \
  if (!CAIRN_CONCAT(cairn_co_try_, __LINE__)) co_return CAIRN_CONCAT(cairn_co_try_, __LINE__).error(); \
  lhs = std::move(CAIRN_CONCAT(cairn_co_try_, __LINE__)).value()
#define CAIRN_CO_TRY_STATUS(expr)                                                              \
  do {                                                                                         \
    if (auto cairn_co_status_ = (expr); !cairn_co_status_) co_return cairn_co_status_.error(); \
  } while (false)

template <class T>
asio::awaitable<void> store_result(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

// Runs `op` on `strand` and resumes the caller on its own executor with the result.
// (No lambda here: GCC 11 and 12 destroy a capturing lambda passed to co_spawn inside a
// co_await expression twice, chriskohlhoff/asio#858.)
template <class T>
asio::awaitable<T> run_on(Strand strand, asio::awaitable<T> op) {
  std::optional<T> out;
  co_await asio::co_spawn(strand, store_result(std::move(op), &out), asio::use_awaitable);
  co_return std::move(*out);
}

}  // namespace cairn::net
