// Measures the histogram's hot path (record) and its report-time operations.
// Targets: record <= 5 ns per value; a percentile over a full histogram < 50 us.
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "fusebox/common/histogram.hpp"

namespace fusebox {
namespace {

constexpr std::size_t kCycledSamples = 4'096;

// Latencies in ns with a 2 ms median and a long tail; seeded so every run records the same.
std::vector<std::int64_t> lognormal_latencies_ns(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> lognormal(std::log(2'000'000.0), 0.8);
  std::vector<std::int64_t> samples(n);
  for (std::int64_t& sample : samples)
    sample = std::llround(lognormal(rng));
  return samples;
}

// Every slot up to highest_trackable non-empty: the worst case for scans and encoding.
Histogram full_latency_histogram() {
  Histogram histogram(latency_histogram_config());
  const std::int64_t highest = histogram.config().highest_trackable;
  std::uint64_t slot = 0;
  for (std::int64_t v = 0; v <= highest; v = histogram.highest_equivalent(v) + 1) {
    histogram.record_n(v, slot % 7 + 1);
    ++slot;
    if (histogram.highest_equivalent(v) >= highest) break;
  }
  return histogram;
}

Histogram latencies_histogram(std::size_t n) {
  Histogram histogram(latency_histogram_config());
  for (const std::int64_t v : lognormal_latencies_ns(n, 11))
    histogram.record(v);
  return histogram;
}

// Reports seconds per value; the console prints it with an SI prefix (e.g. "2.5n" = 2.5 ns).
void set_per_value_counter(benchmark::State& state, std::size_t values_per_iteration) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values_per_iteration));
  state.counters["per_value"] = benchmark::Counter(
      static_cast<double>(values_per_iteration),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<std::int64_t> samples = lognormal_latencies_ns(kCycledSamples, 1);
  Histogram histogram(latency_histogram_config());
  for (auto _ : state) {
    for (const std::int64_t v : samples)
      histogram.record(v);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(histogram.count());
  set_per_value_counter(state, samples.size());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramRecordUniformWide(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<std::int64_t> uniform(-1'000, 70'000'000'000);  // incl. clamps
  std::vector<std::int64_t> samples(kCycledSamples);
  for (std::int64_t& sample : samples)
    sample = uniform(rng);
  Histogram histogram(latency_histogram_config());
  for (auto _ : state) {
    for (const std::int64_t v : samples)
      histogram.record(v);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(histogram.count());
  set_per_value_counter(state, samples.size());
}
BENCHMARK(BM_HistogramRecordUniformWide);

void BM_HistogramValueAtPercentile99(benchmark::State& state) {
  const Histogram histogram = full_latency_histogram();
  for (auto _ : state)
    benchmark::DoNotOptimize(histogram.value_at_percentile(99.0));
}
BENCHMARK(BM_HistogramValueAtPercentile99);

void BM_HistogramValuesAtReportPercentiles(benchmark::State& state) {
  const Histogram histogram = full_latency_histogram();
  constexpr std::array<double, 11> kPercentiles = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
  for (auto _ : state)
    benchmark::DoNotOptimize(histogram.values_at_percentiles(kPercentiles));
}
BENCHMARK(BM_HistogramValuesAtReportPercentiles);

void BM_HistogramMerge(benchmark::State& state) {
  const Histogram source = full_latency_histogram();
  Histogram target = full_latency_histogram();
  for (auto _ : state) {
    benchmark::DoNotOptimize(target.merge(source));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HistogramMerge);

void BM_HistogramSerializeFull(benchmark::State& state) {
  const Histogram histogram = full_latency_histogram();
  std::size_t chars = 0;
  for (auto _ : state) {
    const std::string text = histogram.serialize();
    chars = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["chars"] = static_cast<double>(chars);
}
BENCHMARK(BM_HistogramSerializeFull);

void BM_HistogramSerialize10kLatencies(benchmark::State& state) {
  const Histogram histogram = latencies_histogram(10'000);
  std::size_t chars = 0;
  for (auto _ : state) {
    const std::string text = histogram.serialize();
    chars = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["chars"] = static_cast<double>(chars);
}
BENCHMARK(BM_HistogramSerialize10kLatencies);

void BM_HistogramDeserialize10kLatencies(benchmark::State& state) {
  const std::string text = latencies_histogram(10'000).serialize();
  for (auto _ : state) {
    auto histogram = Histogram::deserialize(text, nullptr);
    benchmark::DoNotOptimize(histogram);
  }
}
BENCHMARK(BM_HistogramDeserialize10kLatencies);

}  // namespace
}  // namespace fusebox
