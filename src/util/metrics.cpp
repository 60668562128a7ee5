#include "util/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

namespace cairn::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

std::vector<double> exponential_buckets(double start, double factor, size_t count) {
  assert(start > 0 && factor > 1 && count >= 1);
  std::vector<double> bounds;
  bounds.reserve(count);
  double bound = start;
  for (size_t i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> default_seconds_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  assert(!bounds_.empty() && bounds_.size() <= kMaxBuckets);
  assert(std::all_of(bounds_.begin(), bounds_.end(), [](double b) { return std::isfinite(b); }));
  assert(std::adjacent_find(bounds_.begin(), bounds_.end(), std::greater_equal<>()) == bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  // lower_bound: the first bound >= value (le is "less than or equal"); NaN compares false
  // with everything, so it lands in +Inf.
  const auto bucket =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double seen = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(seen, seen + value, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.upper_bounds = bounds_;
  s.cumulative.reserve(bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running + counts_[bounds_.size()].load(std::memory_order_relaxed);
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

bool valid_metric_name(std::string_view name) { return valid_name(name, /*colon=*/true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, /*colon=*/false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integers below 2^53 are exact in a double: written without exponent or fraction.
  constexpr double kExactIntegers = 9007199254740992.0;
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[64];
  // %g style with the shortest digits that read back the same, as Prometheus's Go client
  // writes values (so le="0.0001", not "1e-04": bucket labels are compared as strings).
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general);
  assert(ec == std::errc());
  return std::string(buffer, end);
}

const char* to_string(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

void TextWriter::family(std::string_view name, Type type, std::string_view help) {
  assert(valid_metric_name(name));
  [[maybe_unused]] const bool fresh = written_.emplace(name).second;
  assert(fresh);
  current_ = name;
  current_type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += to_string(type);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, const Labels& labels, double value) {
  assert(!current_.empty());
  assert(name == current_ ||
         (current_type_ == Type::histogram && name.starts_with(current_) &&
          (name.substr(current_.size()) == "_bucket" || name.substr(current_.size()) == "_sum" ||
           name.substr(current_.size()) == "_count")));
  sample_line(name, labels, nullptr, format_value(value));
}

void TextWriter::histogram(const Labels& labels, const HistogramSnapshot& snapshot) {
  assert(current_type_ == Type::histogram);
  assert(snapshot.cumulative.size() == snapshot.upper_bounds.size());
  const std::string bucket = current_ + "_bucket";
  for (size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
    const std::pair<std::string, std::string> le{"le", format_value(snapshot.upper_bounds[i])};
    sample_line(bucket, labels, &le, std::to_string(snapshot.cumulative[i]));
  }
  const std::pair<std::string, std::string> inf{"le", "+Inf"};
  sample_line(bucket, labels, &inf, std::to_string(snapshot.count));
  sample_line(current_ + "_sum", labels, nullptr, format_value(snapshot.sum));
  sample_line(current_ + "_count", labels, nullptr, std::to_string(snapshot.count));
}

void TextWriter::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, Type::counter, help);
  sample_line(name, {}, nullptr, std::to_string(value));
}

void TextWriter::gauge(std::string_view name, std::string_view help, double value) {
  family(name, Type::gauge, help);
  sample(name, {}, value);
}

void TextWriter::sample_line(std::string_view name, const Labels& labels,
                             const std::pair<std::string, std::string>* le, std::string_view value) {
  out_ += name;
  if (!labels.empty() || le != nullptr) {
    out_ += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& label) {
      assert(valid_label_name(label.first));
      if (!first) out_ += ',';
      first = false;
      out_ += label.first;
      out_ += "=\"";
      out_ += escape_label_value(label.second);
      out_ += '"';
    };
    for (const auto& label : labels) add(label);
    if (le != nullptr) add(*le);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

}  // namespace cairn::metrics
