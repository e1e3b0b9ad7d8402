// Proves each distribution draws what it promises: the measured p50 and p99 of 1e6 draws are
// within 2% of the asked values, and the config forms parse with precise errors.
#include "fusebox/common/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/common/config.hpp"

namespace fusebox {
namespace {

constexpr int kDraws = 1'000'000;
constexpr std::uint64_t kSeed = 20261125;

struct Measured {
  double p50, p99, mean;
};

Measured measure(const Distribution& dist, std::uint64_t seed = kSeed) {
  Rng rng(seed);
  std::vector<double> draws(kDraws);
  double sum = 0;
  for (double& x : draws) {
    x = dist.sample(rng);
    sum += x;
  }
  auto at = [&draws](double q) {
    const auto k = static_cast<std::ptrdiff_t>(q * (kDraws - 1));
    std::nth_element(draws.begin(), draws.begin() + k, draws.end());
    return draws[static_cast<std::size_t>(k)];
  };
  const double p50 = at(0.50);
  const double p99 = at(0.99);
  return {p50, p99, sum / kDraws};
}

void expect_within_2_percent(const Distribution& dist, double p50, double p99) {
  SCOPED_TRACE(dist.describe() + ", seed " + std::to_string(kSeed));
  const Measured m = measure(dist);
  EXPECT_NEAR(m.p50, p50, 0.02 * std::abs(p50)) << "p50";
  EXPECT_NEAR(m.p99, p99, 0.02 * std::abs(p99)) << "p99";
}

TEST(DistributionTest, InverseNormalCdfKnownValues) {
  EXPECT_NEAR(inverse_normal_cdf(0.5), 0.0, 1e-9);
  EXPECT_NEAR(inverse_normal_cdf(0.975), 1.959963984540054, 1e-8);
  EXPECT_NEAR(inverse_normal_cdf(0.99), kZ99, 1e-8);
  EXPECT_NEAR(inverse_normal_cdf(0.01), -kZ99, 1e-8);
  EXPECT_NEAR(inverse_normal_cdf(1e-6), -4.753424308822899, 1e-7);
  EXPECT_NEAR(inverse_normal_cdf(0.02425), -1.9729610513118845, 1e-8) << "at the region boundary";
}

// Reference quantiles from Python's statistics.NormalDist (Wichura's AS241, ~1e-16).
TEST(DistributionTest, InverseNormalCdfAccuracyAcrossTheRange) {
  const std::vector<std::pair<double, double>> reference{
      {1e-12, -7.034483825301132}, {1e-9, -5.9978070150076865},  {0.001, -3.090232306167813},
      {0.2, -0.8416212335729142},  {0.7, 0.5244005127080407},    {0.97576, 1.9731366119445435},
      {0.999, 3.090232306167813},  {1 - 1e-9, 5.997807019601638}};
  for (const auto& [p, z] : reference) {
    EXPECT_NEAR(inverse_normal_cdf(p), z, 2e-9 * std::max(1.0, std::abs(z))) << "p = " << p;
  }
}

// The ziggurat against the exact normal CDF: a Kolmogorov-Smirnov distance over 1e6 draws
// below the 0.1% critical value, unit variance, and the tail (drawn by its own slow path)
// as often as it should be.
TEST(DistributionTest, StandardNormalMatchesTheNormalCdf) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Rng rng(kSeed);
  std::vector<double> draws(kDraws);
  double sum = 0, sum_squares = 0;
  int beyond_tail_start = 0;
  for (double& z : draws) {
    z = standard_normal(rng);
    sum += z;
    sum_squares += z * z;
    beyond_tail_start += std::abs(z) > 3.442619855899 ? 1 : 0;
  }
  std::sort(draws.begin(), draws.end());
  double ks = 0;
  for (std::size_t i = 0; i < draws.size(); i += 97) {
    const double cdf = 0.5 * std::erfc(-draws[i] / std::sqrt(2.0));
    ks = std::max(ks, std::abs(cdf - static_cast<double>(i) / kDraws));
  }
  EXPECT_LT(ks, 1.95 / std::sqrt(static_cast<double>(kDraws)));
  EXPECT_NEAR(sum / kDraws, 0.0, 0.005);
  EXPECT_NEAR(sum_squares / kDraws, 1.0, 0.005);
  const double tail_expected = kDraws * std::erfc(3.442619855899 / std::sqrt(2.0));  // ~576
  EXPECT_NEAR(beyond_tail_start, tail_expected, 5 * std::sqrt(tail_expected));
  EXPECT_GT(draws.back(), 4.0);
  EXPECT_LT(draws.front(), -4.0);
}

TEST(DistributionTest, FixedAlwaysDrawsItsValue) {
  Rng rng(1);
  const auto d = Distribution::fixed(7.5);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(d.sample(rng), 7.5);
}

TEST(DistributionTest, UniformPercentilesAndBounds) {
  const auto d = Distribution::uniform(10, 20);
  expect_within_2_percent(d, 15, 19.9);
  Rng rng(2);
  for (int i = 0; i < 100'000; ++i) {
    const double x = d.sample(rng);
    ASSERT_GE(x, 10);
    ASSERT_LT(x, 20);
  }
}

TEST(DistributionTest, NormalPercentilesAndMean) {
  const auto d = Distribution::normal(100, 10);
  expect_within_2_percent(d, 100, 100 + 10 * kZ99);
  EXPECT_NEAR(measure(d).mean, 100, 0.1);
}

TEST(DistributionTest, LognormalIsSetByItsP50AndP99) {
  expect_within_2_percent(Distribution::lognormal(20, 250), 20, 250);
  expect_within_2_percent(Distribution::lognormal(0.2, 0.3), 0.2, 0.3);
}

TEST(DistributionTest, ParetoFromPercentiles) {
  expect_within_2_percent(Distribution::pareto_from_percentiles(20, 900), 20, 900);
}

TEST(DistributionTest, ParetoFromScaleAndShape) {
  const auto d = Distribution::pareto(10, 2);
  expect_within_2_percent(d, 10 * std::sqrt(2.0), 100);
  EXPECT_NEAR(d.quantile(0.99), 100, 1e-9);
}

TEST(DistributionTest, BimodalMixtureOfTwoLognormals) {
  const auto fast = Distribution::lognormal(10, 20);
  const auto slow = Distribution::lognormal(1000, 2000);
  const auto d = Distribution::mixture({9, 1}, {fast, slow});
  // The modes barely overlap, so the mixture's p50 is fast's 0.5/0.9 quantile and its p99 is
  // slow's (0.99 - 0.9) / 0.1 quantile.
  expect_within_2_percent(d, fast.quantile(0.5 / 0.9), slow.quantile(0.9));
}

TEST(DistributionTest, EmpiricalInterpolatesItsTable) {
  const auto d = Distribution::empirical({{0, 1}, {0.5, 20}, {0.9, 60}, {0.99, 300}, {1, 2000}});
  expect_within_2_percent(d, 20, 300);
  EXPECT_DOUBLE_EQ(d.quantile(0.7), 40);
}

TEST(DistributionTest, BernoulliFrequency) {
  Rng rng(kSeed);
  const Bernoulli b(0.3);
  int hits = 0;
  for (int i = 0; i < kDraws; ++i)
    hits += b.sample(rng) ? 1 : 0;
  EXPECT_NEAR(hits / static_cast<double>(kDraws), 0.3, 0.002);  // ~4.4 standard deviations
}

TEST(DistributionTest, ClampBoundsEveryDraw) {
  const auto d = Distribution::normal(0, 100).clamped(-1, 1);
  Rng rng(4);
  for (int i = 0; i < 10'000; ++i) {
    const double x = d.sample(rng);
    ASSERT_GE(x, -1);
    ASSERT_LE(x, 1);
  }
}

TEST(DistributionTest, SameSeedSameDraws) {
  const auto d = Distribution::mixture(
      {1, 1}, {Distribution::lognormal(5, 50), Distribution::pareto_from_percentiles(5, 500)});
  Rng a(123), b(123);
  for (int i = 0; i < 10'000; ++i)
    ASSERT_EQ(d.sample(a), d.sample(b));
}

// Golden draws pin the numbers themselves, bit for bit: a change of algorithm, of
// floating-point contraction or of libm would silently change every replay, and fails here.
TEST(DistributionTest, GoldenDraws) {
  Rng lognormal_rng(42);
  const auto lognormal = Distribution::lognormal(20, 250);
  EXPECT_EQ(lognormal.sample(lognormal_rng), 0x1.e0b531532fd02p+4);
  EXPECT_EQ(lognormal.sample(lognormal_rng), 0x1.af5b5e21c4f25p+4);
  EXPECT_EQ(lognormal.sample(lognormal_rng), 0x1.cd029804473b5p+3);
  Rng pareto_rng(42);
  const auto pareto = Distribution::pareto_from_percentiles(20, 900);
  EXPECT_EQ(pareto.sample(pareto_rng), 0x1.c69366f0a75b2p+6);
  EXPECT_EQ(pareto.sample(pareto_rng), 0x1.a30bd8d175146p+4);
  Rng normal_rng(42);
  const auto normal = Distribution::normal(100, 10);
  EXPECT_EQ(normal.sample(normal_rng), 0x1.9efe1ab8c54ddp+6);
  EXPECT_EQ(normal.sample(normal_rng), 0x1.9b006ea7e1564p+6);
}

TEST(DistributionTest, FactoriesRejectBadParameters) {
  EXPECT_THROW((void)Distribution::uniform(2, 1), std::invalid_argument);
  EXPECT_THROW((void)Distribution::normal(0, -1), std::invalid_argument);
  EXPECT_THROW((void)Distribution::lognormal(0, 10), std::invalid_argument);
  EXPECT_THROW((void)Distribution::lognormal(10, 10), std::invalid_argument);
  EXPECT_THROW((void)Distribution::pareto(1, 0), std::invalid_argument);
  EXPECT_THROW((void)Distribution::mixture({1}, {}), std::invalid_argument);
  EXPECT_THROW(
      (void)Distribution::mixture({0, 0}, {Distribution::fixed(1), Distribution::fixed(2)}),
      std::invalid_argument);
  EXPECT_THROW((void)Distribution::empirical({{0.1, 1}, {1, 2}}), std::invalid_argument);
  EXPECT_THROW((void)Distribution::empirical({{0, 5}, {1, 2}}), std::invalid_argument);
  EXPECT_THROW(Bernoulli(1.5), std::invalid_argument);
}

Distribution parse(const std::string& text, bool non_negative = true) {
  return parse_distribution(ConfigDocument::parse("test.json", text).root(), non_negative);
}

std::string parse_error(const std::string& text, bool non_negative = true) {
  try {
    (void)parse(text, non_negative);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DistributionConfigTest, ParsesEveryForm) {
  EXPECT_EQ(parse("20").describe(), "fixed(20)");
  EXPECT_EQ(parse("-3", false).describe(), "fixed(-3)");
  EXPECT_EQ(parse(R"({"kind": "uniform", "min": 5, "max": 50})", false).describe(),
            "uniform(5, 50)");
  EXPECT_EQ(parse(R"({"kind": "normal", "mean": 20, "stddev": 4})", false).describe(),
            "normal(mean=20, stddev=4)");
  EXPECT_EQ(parse(R"({"kind": "lognormal", "p50": 20, "p99": 250})", false).describe(),
            "lognormal(p50=20, p99=250)");
  EXPECT_EQ(parse(R"({"kind": "pareto", "scale": 10, "shape": 1.5})", false).describe(),
            "pareto(scale=10, shape=1.5)");
  EXPECT_NEAR(parse(R"({"kind": "pareto", "p50": 20, "p99": 900})").quantile(0.99), 900, 1e-6);
  EXPECT_EQ(parse(R"({"kind": "bimodal", "parts": [{"weight": 3, "dist": 1},
                                                    {"weight": 1, "dist": 100}]})",
                  false)
                .describe(),
            "mixture(0.75*fixed(1), 0.25*fixed(100))");
  EXPECT_DOUBLE_EQ(parse(R"({"kind": "empirical", "percentiles": [[0, 1], [50, 20], [100, 40]]})")
                       .quantile(0.75),
                   30);
  EXPECT_EQ(parse(R"({"kind": "normal", "mean": 20, "stddev": 4, "clamp": [10, 30]})").describe(),
            "normal(mean=20, stddev=4) clamped to [10, 30]");
}

TEST(DistributionConfigTest, NonNegativeCutsTheNormalTailAtZero) {
  const auto d = parse(R"({"kind": "normal", "mean": 1, "stddev": 10})");
  Rng rng(8);
  for (int i = 0; i < 10'000; ++i)
    ASSERT_GE(d.sample(rng), 0);
}

TEST(DistributionConfigTest, ErrorsNameThePathAndTheValue) {
  EXPECT_EQ(parse_error("-5"), "test.json: /: expected a number >= 0, got -5");
  EXPECT_EQ(parse_error(R"({"kind": "lognormal", "p50": 20, "p99": 10})"),
            "test.json: /p99: expected a number above p50 (20), got 10");
  EXPECT_EQ(parse_error(R"({"kind": "gamma"})"),
            "test.json: /kind: expected one of \"fixed\", \"uniform\", \"normal\", \"lognormal\", "
            "\"pareto\", \"bimodal\", \"mixture\", \"empirical\", got \"gamma\"");
  EXPECT_EQ(parse_error(R"({"kind": "uniform", "min": 5, "max": 1})"),
            "test.json: /max: expected a number >= 5, got 1");
  EXPECT_EQ(parse_error(R"({"kind": "fixed", "value": 1, "vaule": 2})"),
            "test.json: /vaule: unknown field \"vaule\" (expected one of: kind, value, clamp)");
  EXPECT_EQ(parse_error(R"({"kind": "bimodal", "parts": [{"weight": 1, "dist": 1}]})"),
            "test.json: /parts: expected an array of 2 elements, got 1");
  EXPECT_EQ(
      parse_error(R"({"kind": "mixture", "parts": [{"weight": 1, "dist": {"kind": "fixed"}}]})"),
      "test.json: /parts/0/dist: missing required field \"value\"");
  EXPECT_EQ(parse_error(
                R"({"kind": "empirical", "percentiles": [[0, 1], [50, 20], [40, 30], [100, 40]]})"),
            "test.json: /percentiles/2/0: expected a percentile above the previous row's, got 40");
  EXPECT_EQ(parse_error(R"({"kind": "empirical", "percentiles": [[0, 1], [99, 20]]})"),
            "test.json: /percentiles: expected the table to start at percentile 0 and end at 100");
  EXPECT_EQ(parse_error(R"("fast")"),
            "test.json: /: expected a number or an object with a \"kind\", got \"fast\"");
}

}  // namespace
}  // namespace fusebox
