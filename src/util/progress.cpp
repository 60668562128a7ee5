#include "util/progress.h"

#include <iterator>

namespace cairn {

std::string progress_percent(uint64_t done, uint64_t total) {
  if (total == 0 || done >= total) return "100.0%";
  // Tenths of a percent, rounded down; 128 bits cannot overflow.
  __extension__ using U128 = unsigned __int128;
  const auto tenths = static_cast<uint64_t>(U128{done} * 1000 / total);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

std::string format_duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t h = seconds / 3600;
  const int64_t m = seconds / 60 % 60;
  const int64_t s = seconds % 60;
  auto two_digits = [](int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (h > 0) return std::to_string(h) + "h" + two_digits(m) + "m";
  if (m > 0) return std::to_string(m) + "m" + two_digits(s) + "s";
  return std::to_string(s) + "s";
}

void RateWindow::record(int64_t now_ns, uint64_t done_total) {
  if (!samples_.empty() && (now_ns < samples_.back().first || done_total < samples_.back().second)) return;
  samples_.emplace_back(now_ns, done_total);
  // Keep one sample at or before the window's start: the baseline the window's work is
  // measured from.
  while (samples_.size() > 2 && now_ns - samples_[1].first >= window_ns_) samples_.pop_front();
}

double RateWindow::per_second(int64_t now_ns) const {
  if (samples_.size() < 2) return 0;
  // The baseline: the newest sample at or before the window's start, else the first.
  auto base = samples_.begin();
  while (std::next(base) != samples_.end() && now_ns - std::next(base)->first >= window_ns_) ++base;
  if (now_ns <= base->first) return 0;
  const uint64_t done = samples_.back().second - base->second;
  return static_cast<double>(done) * 1e9 / static_cast<double>(now_ns - base->first);
}

std::optional<int64_t> RateWindow::eta_seconds(int64_t now_ns, uint64_t remaining) const {
  const double rate = per_second(now_ns);
  if (rate <= 0) return std::nullopt;
  return static_cast<int64_t>(static_cast<double>(remaining) / rate + 0.5);
}

}  // namespace cairn
