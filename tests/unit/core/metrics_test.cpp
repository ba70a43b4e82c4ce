#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace tapedeck {
namespace {

TEST(Metrics, RendersCountersAndGaugesInPrometheusTextFormat) {
  Metrics metrics;
  metrics.counter("tapedeck_events_in_total", "Events read", {{"component", "transform"}}).inc(3);
  metrics.gauge("tapedeck_lag_seconds", "Lag").set(1.5);
  const auto text = metrics.render();
  EXPECT_NE(text.find("# TYPE tapedeck_events_in_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tapedeck_events_in_total{component=\"transform\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP tapedeck_lag_seconds Lag\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tapedeck_lag_seconds 1.5\n"), std::string::npos) << text;
}

TEST(Metrics, ReturnsTheSameCounterForTheSameNameAndLabels) {
  Metrics metrics;
  auto& first = metrics.counter("c_total", "c", {{"a", "1"}});
  auto& second = metrics.counter("c_total", "c", {{"a", "1"}});
  auto& other = metrics.counter("c_total", "c", {{"a", "2"}});
  EXPECT_EQ(&first, &second);
  EXPECT_NE(&first, &other);
}

TEST(Metrics, RendersHistogramBucketsCumulatively) {
  Metrics metrics;
  auto& histogram = metrics.histogram("batch_seconds", "Batch latency", {0.1, 1.0});
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(0.7);
  histogram.observe(3);
  const auto text = metrics.render();
  EXPECT_NE(text.find("batch_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("batch_seconds_bucket{le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("batch_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("batch_seconds_count 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("batch_seconds_sum 4.25\n"), std::string::npos) << text;
}

TEST(Metrics, EscapesLabelValues) {
  Metrics metrics;
  metrics.counter("x_total", "x", {{"path", "a\"b\\c"}}).inc();
  EXPECT_NE(metrics.render().find(R"(x_total{path="a\"b\\c"} 1)"), std::string::npos);
}

TEST(Metrics, CountsCorrectlyFromManyThreads) {
  Metrics metrics;
  auto& counter = metrics.counter("n_total", "n");
  auto& gauge = metrics.gauge("g", "g");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        gauge.add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000u);
  EXPECT_EQ(gauge.value(), 40000.0);
}

TEST(Metrics, RefusesOneNameWithTwoTypes) {
  Metrics metrics;
  metrics.counter("same", "s");
  EXPECT_ANY_THROW(metrics.gauge("same", "s"));
}

}  // namespace
}  // namespace tapedeck
