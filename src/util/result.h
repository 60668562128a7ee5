// Result<T>: a value or an Error, the way errors cross layer boundaries in Cairn.
//
// Bad input from a peer or a user is never thrown through a layer: functions that can
// fail on such input return Result<T>. An Error carries a coarse category (ErrorCode)
// for programs and a message for people; the message names what was wrong ("inputs[2]
// .prevout.index: truncated"). Programmer errors are assertions, not Errors.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace cairn {

enum class ErrorCode {
  invalid_argument,  // a caller-supplied value is malformed or out of range
  decode,            // bytes do not decode under the canonical codec
  limit,             // a count or size exceeds its documented limit
  crypto,            // a key, signature or cryptographic operation failed
  verify,            // a signature or proof did not verify
  io,                // the operating system reported an error
  not_found,
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  std::string to_string() const;
  bool operator==(const Error&) const = default;
};

template <class T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::decay_t<T>, Error>);
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{ErrorCode::invalid_argument, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cairn

// Propagates an Error: `CAIRN_TRY(auto tx, decode_transaction(bytes));`
#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)
#define CAIRN_TRY(lhs, expr)                                                                  \
  auto CAIRN_CONCAT(cairn_try_, __LINE__) = (expr);                                           \
  if (!CAIRN_CONCAT(cairn_try_, __LINE__)) return CAIRN_CONCAT(cairn_try_, __LINE__).error(); \
  lhs = std::move(CAIRN_CONCAT(cairn_try_, __LINE__)).value()
#define CAIRN_TRY_STATUS(expr)                                                     \
  do {                                                                             \
    if (auto cairn_status_ = (expr); !cairn_status_) return cairn_status_.error(); \
  } while (false)
