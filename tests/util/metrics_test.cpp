#include "util/metrics.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::metrics {
namespace {

TEST(MetricsCounter, CountsUpFromZero) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(MetricsGauge, SetsAndAdds) {
  Gauge g;
  g.set(10);
  g.add(-15);
  EXPECT_EQ(g.value(), -5);
}

TEST(MetricsHistogram, BucketsAreUpperBoundsInclusive) {
  Histogram h({1, 2, 5});
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.9, 5.0, 5.1, 100.0}) h.observe(v);
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{1, 2, 5}));
  // <=1: 0.5, 1.0; <=2: + 1.5, 2.0; <=5: + 4.9, 5.0; +Inf: + 5.1, 100.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1.0 + 1.5 + 2.0 + 4.9 + 5.0 + 5.1 + 100.0);
}

TEST(MetricsHistogram, NanGoesToInfAndPoisonsTheSum) {
  Histogram h({1});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0}));
  EXPECT_EQ(s.count, 1u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(MetricsHistogram, ConcurrentObservationsAreAllCounted) {
  Histogram h({10});
  constexpr int kThreads = 4;
  constexpr int kEach = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < kEach; ++i) h.observe(1);
    });
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, uint64_t{kThreads} * kEach);
  EXPECT_EQ(s.cumulative[0], uint64_t{kThreads} * kEach);
  EXPECT_DOUBLE_EQ(s.sum, double{kThreads} * kEach);
}

TEST(MetricsHistogram, BucketHelpers) {
  EXPECT_EQ(exponential_buckets(1, 10, 4), (std::vector<double>{1, 10, 100, 1000}));
  const auto seconds = default_seconds_buckets();
  EXPECT_LE(seconds.size(), Histogram::kMaxBuckets);
  Histogram constructible(seconds);  // ascending and finite, or the constructor asserts
  EXPECT_EQ(constructible.upper_bounds().back(), 10);
}

TEST(MetricsText, NamesFollowTheDataModel) {
  EXPECT_TRUE(valid_metric_name("cairn_height"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("cairn-height"));
  EXPECT_TRUE(valid_label_name("method"));
  EXPECT_FALSE(valid_label_name("a:b"));  // colons are for metric names only
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("1x"));
}

TEST(MetricsText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("back\\slash \"quoted\"\nnext"), "back\\\\slash \"quoted\"\\nnext");
}

TEST(MetricsText, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.0001), "0.0001");  // as Go's %g: not "1e-04"
  EXPECT_EQ(format_value(0.00001), "1e-05");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  // Beyond 2^53 a double is not an exact integer: written in the shortest exact form.
  EXPECT_EQ(format_value(1e20), "1e+20");
}

TEST(MetricsText, WritesHelpTypeAndSamples) {
  TextWriter w;
  w.counter("cairn_blocks_connected_total", "Blocks connected.", 7);
  w.gauge("cairn_sync_progress_ratio", "Blocks / headers.", 0.5);
  w.family("cairn_peers", Type::gauge, "Connected peers\nby direction.");
  w.sample("cairn_peers", {{"direction", "inbound"}}, 2);
  w.sample("cairn_peers", {{"direction", "out\"bound"}}, 3);
  EXPECT_EQ(w.text(),
            "# HELP cairn_blocks_connected_total Blocks connected.\n"
            "# TYPE cairn_blocks_connected_total counter\n"
            "cairn_blocks_connected_total 7\n"
            "# HELP cairn_sync_progress_ratio Blocks / headers.\n"
            "# TYPE cairn_sync_progress_ratio gauge\n"
            "cairn_sync_progress_ratio 0.5\n"
            "# HELP cairn_peers Connected peers\\nby direction.\n"
            "# TYPE cairn_peers gauge\n"
            "cairn_peers{direction=\"inbound\"} 2\n"
            "cairn_peers{direction=\"out\\\"bound\"} 3\n");
}

TEST(MetricsText, WritesHistogramsWithCumulativeBucketsAndInf) {
  Histogram h({0.1, 1});
  h.observe(0.0625);
  h.observe(0.5);
  h.observe(3);
  TextWriter w;
  w.family("cairn_rpc_request_duration_seconds", Type::histogram, "Latency.");
  w.histogram({{"method", "chain_get_info"}}, h.snapshot());
  EXPECT_EQ(w.take(),
            "# HELP cairn_rpc_request_duration_seconds Latency.\n"
            "# TYPE cairn_rpc_request_duration_seconds histogram\n"
            "cairn_rpc_request_duration_seconds_bucket{method=\"chain_get_info\",le=\"0.1\"} 1\n"
            "cairn_rpc_request_duration_seconds_bucket{method=\"chain_get_info\",le=\"1\"} 2\n"
            "cairn_rpc_request_duration_seconds_bucket{method=\"chain_get_info\",le=\"+Inf\"} 3\n"
            "cairn_rpc_request_duration_seconds_sum{method=\"chain_get_info\"} 3.5625\n"
            "cairn_rpc_request_duration_seconds_count{method=\"chain_get_info\"} 3\n");
}

TEST(MetricsText, UnlabelledHistogramHasOnlyLe) {
  Histogram h({1});
  TextWriter w;
  w.family("cairn_block_gas_used", Type::histogram, "Gas.");
  w.histogram({}, h.snapshot());
  EXPECT_EQ(w.text(),
            "# HELP cairn_block_gas_used Gas.\n"
            "# TYPE cairn_block_gas_used histogram\n"
            "cairn_block_gas_used_bucket{le=\"1\"} 0\n"
            "cairn_block_gas_used_bucket{le=\"+Inf\"} 0\n"
            "cairn_block_gas_used_sum 0\n"
            "cairn_block_gas_used_count 0\n");
}

}  // namespace
}  // namespace cairn::metrics
