// Time is injected: logic code asks a Clock, never the system, so tests and the
// deterministic simulation control it.
#pragma once

#include <cstdint>

namespace cairn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (UTC).
  virtual int64_t unix_seconds() const = 0;
  // A monotonic reading in nanoseconds, for timeouts and rates; its origin is arbitrary.
  virtual int64_t monotonic_nanos() const = 0;
};

// The operating system's clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t unix_seconds() const override;
  int64_t monotonic_nanos() const override;
};

// A clock that moves only when told to. Not thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_seconds = 0) : unix_(unix_seconds) {}
  int64_t unix_seconds() const override { return unix_; }
  int64_t monotonic_nanos() const override { return mono_; }
  void advance_seconds(int64_t s) {
    unix_ += s;
    mono_ += s * 1'000'000'000;
  }
  void set_unix_seconds(int64_t s) { unix_ = s; }

 private:
  int64_t unix_;
  int64_t mono_ = 0;
};

}  // namespace cairn
