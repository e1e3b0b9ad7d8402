// Proves the PRNG gives the reference xoshiro256** numbers (so every compiler agrees), that
// named streams are independent and stable, and that bounded draws are uniform.
#include "fusebox/common/rng.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

// Reference values computed independently from the published xoshiro256** and splitmix64
// definitions (a few lines of Python with 64-bit masking).
TEST(RngTest, MatchesTheReferenceSequence) {
  Rng rng(42);
  EXPECT_EQ(rng.next_u64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(rng.next_u64(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(rng.next_u64(), 0xae17533239e499a1ULL);
  EXPECT_EQ(rng.next_u64(), 0xecb8ad4703b360a1ULL);
}

TEST(RngTest, NamedStreamsMatchTheReferenceDerivation) {
  EXPECT_EQ(derive_seed(42, "load.arrivals"), 0x9f28c3f48b5b9ce2ULL);
  Rng stream = Rng::stream(42, "load.arrivals");
  EXPECT_EQ(stream.next_u64(), 0x0a387460ebbefaa0ULL);
  EXPECT_EQ(stream.next_u64(), 0x4c10dc1451105705ULL);
}

TEST(RngTest, StreamsDifferByNameAndByMasterSeed) {
  std::set<std::uint64_t> firsts;
  for (const std::uint64_t master : {1ULL, 2ULL, 3ULL}) {
    for (const char* name : {"a", "b", "sim.wallet-json.latency", "sim.wallet-xml.latency", ""}) {
      firsts.insert(Rng::stream(master, name).next_u64());
    }
  }
  EXPECT_EQ(firsts.size(), 15U);
}

TEST(RngTest, DoublesStayInTheirIntervals) {
  Rng rng(7);
  double lowest = 1, highest = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double x = rng.next_double();
    const double y = rng.next_open_double();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
    ASSERT_GT(y, 0.0);
    ASSERT_LT(y, 1.0);
    lowest = std::min(lowest, x);
    highest = std::max(highest, x);
  }
  EXPECT_LT(lowest, 1e-5);
  EXPECT_GT(highest, 1 - 1e-5);
}

TEST(RngTest, BelowIsUniformByChiSquare) {
  const std::uint64_t seed = 99;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  constexpr std::uint64_t kBuckets = 10;
  constexpr int kDraws = 1'000'000;
  std::array<int, kBuckets> counts{};
  for (int i = 0; i < kDraws; ++i)
    ++counts[rng.below(kBuckets)];
  double chi_square = 0;
  const double expected = kDraws / static_cast<double>(kBuckets);
  for (const int c : counts)
    chi_square += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi_square, 27.88) << "chi-square with 9 degrees of freedom, p = 0.001";
}

TEST(RngTest, BetweenCoversBothEndsAndTheFullRange) {
  Rng rng(3);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 10'000; ++i) {
    const std::int64_t x = rng.between(-2, 2);
    ASSERT_GE(x, -2);
    ASSERT_LE(x, 2);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 5U);
  EXPECT_EQ(rng.between(5, 5), 5);
  // The full int64 range must not divide by zero or loop.
  (void)rng.between(std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max());
}

TEST(RngTest, ChanceHonoursItsProbability) {
  Rng rng(11);
  int hits = 0;
  for (int i = 0; i < 1'000'000; ++i)
    hits += rng.chance(0.25) ? 1 : 0;
  EXPECT_NEAR(hits / 1e6, 0.25, 0.002);
  EXPECT_FALSE(rng.chance(0.0));
  EXPECT_TRUE(rng.chance(1.0));
}

TEST(RngTest, ShuffleIsAPermutationAndSeeded) {
  std::vector<int> a(100);
  std::iota(a.begin(), a.end(), 0);
  std::vector<int> b = a;
  Rng r1(5), r2(5);
  r1.shuffle(std::span<int>(a));
  r2.shuffle(std::span<int>(b));
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_FALSE(std::is_sorted(a.begin(), a.end()));
}

}  // namespace
}  // namespace fusebox
