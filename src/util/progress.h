// Progress of long work, for people watching it: a percentage that reaches 100.0% only when
// the work is done, the recent rate, and an ETA from that rate. Used by the block download's
// log lines (node/chain_relay.cpp via net::BlockSync) and the wallet's restore scan.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace cairn {

// "45.2%": `done` of `total` with one decimal, rounded down, so that 100.0% means done;
// 100.0% when there is nothing to do.
std::string progress_percent(uint64_t done, uint64_t total);
// An ETA or a duration: "2h05m", "4m07s", "12s".
std::string format_duration(int64_t seconds);

// Units of work per second over the last `window_ns` of a monotonic clock: the speed of
// now, not of the whole run, so an ETA follows a run that speeds up or slows down.
//
// Fed with the running total of work done, each time it grows; the rate is the work of the
// samples inside the window over the time since the newest sample before it (or since the
// first sample of all). Time is passed in, so tests are deterministic.
class RateWindow {
 public:
  explicit RateWindow(int64_t window_ns) : window_ns_(window_ns) {}

  // `done_total` units done by `now_ns`. A total or time below the last one is ignored.
  void record(int64_t now_ns, uint64_t done_total);
  // 0 until two samples span some time.
  double per_second(int64_t now_ns) const;
  // Seconds for `remaining` more units at the current rate (rounded), or nullopt without a rate.
  std::optional<int64_t> eta_seconds(int64_t now_ns, uint64_t remaining) const;

 private:
  int64_t window_ns_;
  std::deque<std::pair<int64_t, uint64_t>> samples_;  // (time, done_total), oldest first
};

}  // namespace cairn
