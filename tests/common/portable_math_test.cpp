// Proves the portable exp and log agree with the platform's libm to within 2 ulp across their
// whole range, handle the edges, and keep fixed bits (the point of having them).
#include "fusebox/common/portable_math.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

// Distance in units in the last place between two finite doubles of the same sign.
std::int64_t ulp_distance(double a, double b) {
  const auto ia = std::bit_cast<std::int64_t>(a);
  const auto ib = std::bit_cast<std::int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

TEST(PortableMathTest, ExpWithinTwoUlpOfLibmAcrossItsRange) {
  const std::uint64_t seed = 77;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  for (int i = 0; i < 1'000'000; ++i) {
    const double x = -708.0 + 1417.0 * rng.next_double();
    ASSERT_LE(ulp_distance(portable::exp(x), std::exp(x)), 2) << "x = " << x;
  }
  for (int i = 0; i < 100'000; ++i) {  // the range distributions actually use
    const double x = -10.0 + 20.0 * rng.next_double();
    ASSERT_LE(ulp_distance(portable::exp(x), std::exp(x)), 2) << "x = " << x;
  }
}

TEST(PortableMathTest, LogWithinTwoUlpOfLibmAcrossItsRange) {
  Rng rng(78);
  for (int i = 0; i < 1'000'000; ++i) {
    // Uniform over the bit patterns of positive normal doubles: every exponent is hit.
    const double x = std::bit_cast<double>(rng.between(0x0010000000000000LL, 0x7fefffffffffffffLL));
    const double expected = std::log(x);
    const double got = portable::log(x);
    if (std::abs(expected) < 1e-300) continue;
    ASSERT_LE(ulp_distance(got, expected), 2) << "x = " << x;
  }
  for (int i = 0; i < 100'000; ++i) {  // (0, 1), where inverse CDFs take logs
    const double u = rng.next_open_double();
    ASSERT_LE(ulp_distance(portable::log(u), std::log(u)), 2) << "u = " << u;
  }
}

TEST(PortableMathTest, NearOneLogIsAccurate) {
  for (const double x : {1.0 + 1e-12, 1.0 - 1e-12, 1.0000001, 0.9999999, 1.4142, 0.7072}) {
    EXPECT_NEAR(portable::log(x), std::log(x), 4e-16 * std::max(1.0, std::abs(std::log(x))) + 1e-28)
        << x;
  }
}

TEST(PortableMathTest, Edges) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(portable::exp(0.0), 1.0);
  EXPECT_EQ(portable::exp(800.0), kInf);
  EXPECT_EQ(portable::exp(-800.0), 0.0);
  EXPECT_TRUE(std::isnan(portable::exp(std::nan(""))));
  EXPECT_GT(portable::exp(709.78), 1e308);
  const double tiny = portable::exp(-744.0);  // subnormal result
  EXPECT_GT(tiny, 0.0);
  EXPECT_LE(ulp_distance(tiny, std::exp(-744.0)), 1);
  EXPECT_EQ(portable::log(1.0), 0.0);
  EXPECT_EQ(portable::log(0.0), -kInf);
  EXPECT_EQ(portable::log(kInf), kInf);
  EXPECT_TRUE(std::isnan(portable::log(-1.0)));
  EXPECT_TRUE(std::isnan(portable::log(std::nan(""))));
  const double denormal = std::numeric_limits<double>::denorm_min();
  EXPECT_LE(ulp_distance(portable::log(denormal), std::log(denormal)), 2);
  EXPECT_LE(ulp_distance(portable::pow(2.0, 0.5), std::sqrt(2.0)), 2);
}

// Pinned bits: these must never change, whatever the compiler or libm. A change here
// changes every lognormal latency of every replay.
TEST(PortableMathTest, GoldenBits) {
  EXPECT_EQ(std::bit_cast<std::uint64_t>(portable::exp(1.0)), 0x4005bf0a8b145769ULL);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(portable::log(10.0)), 0x40026bb1bbb55516ULL);
}

}  // namespace
}  // namespace fusebox
