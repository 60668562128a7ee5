// Instruments for Prometheus metrics (docs/metrics.md) and the text exposition format
// 0.0.4 that a scrape reads.
//
// There is no global registry: each component owns the Counters, Gauges and Histograms it
// updates (so several nodes in one process keep their own numbers), and whoever renders a
// /metrics page reads them, with the component's other statistics, into a TextWriter at
// scrape time.
//
// Thread-safety: Counter, Gauge and Histogram are lock-free; any thread may update or read
// them at any time. A Histogram snapshot taken during observations may see an observation
// in its count before its sum (never a bucket count above the total). TextWriter is a plain
// value: one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::metrics {

// The Content-Type of a page in the text format.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// A count that only goes up.
class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// What a Histogram held at one moment: cumulative counts per upper bound, as the text
// format wants them (the +Inf bucket is `count`).
struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // ascending, finite
  std::vector<uint64_t> cumulative;  // cumulative[i]: observations <= upper_bounds[i]
  uint64_t count = 0;                // every observation
  double sum = 0;
};

// Bounds that grow by `factor` from `start`: start, start*factor, ... (`count` of them).
// REQUIRES: start > 0, factor > 1, count >= 1.
std::vector<double> exponential_buckets(double start, double factor, size_t count);

// Seconds from 100 µs to 10 s: latencies of RPC calls and block validation.
std::vector<double> default_seconds_buckets();

// Observations counted into fixed buckets; lock-free.
class Histogram {
 public:
  // REQUIRES (asserted): 1..kMaxBuckets finite, strictly ascending bounds; the +Inf
  // bucket is implicit.
  static constexpr size_t kMaxBuckets = 64;
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value (the +Inf bucket when none).
  // A NaN is counted in +Inf and makes the sum NaN, as Prometheus's clients do.
  void observe(double value);
  HistogramSnapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  // Per bucket (not cumulative), the last one +Inf.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// A label name and value. Values may hold any UTF-8 (escaped on output).
using Labels = std::vector<std::pair<std::string, std::string>>;

// Whether `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name
// ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", which Prometheus reserves).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// A label value as it is written between quotes: backslash, double quote and line feed
// escaped.
std::string escape_label_value(std::string_view value);
// A HELP text as written: backslash and line feed escaped.
std::string escape_help(std::string_view help);
// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN", else %g style with
// the fewest digits that read back the same (as Prometheus's Go client: "0.0001", "1e+20").
std::string format_value(double value);

enum class Type { counter, gauge, histogram };
const char* to_string(Type type);

// Builds a page in the text format 0.0.4: each family's # HELP and # TYPE lines, then its
// samples. Names come from code, so mistakes are programmer errors (asserted): an invalid
// name, a sample outside its family, or a family written twice (the text format requires
// each family's samples together).
class TextWriter {
 public:
  // Starts family `name` (HELP and TYPE); its samples follow.
  void family(std::string_view name, Type type, std::string_view help);
  // One sample of the current family; `name` is the family's, or for a histogram its
  // name with _bucket, _sum or _count.
  void sample(std::string_view name, const Labels& labels, double value);
  // One histogram series of the current family: its _bucket lines (le="..." last among its
  // labels, the final one le="+Inf"), _sum and _count.
  void histogram(const Labels& labels, const HistogramSnapshot& snapshot);

  // A family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sample_line(std::string_view name, const Labels& labels, const std::pair<std::string, std::string>* le,
                   std::string_view value);

  std::string out_;
  std::string current_;  // the family being written
  Type current_type_ = Type::gauge;
  std::set<std::string, std::less<>> written_;
};

}  // namespace cairn::metrics
