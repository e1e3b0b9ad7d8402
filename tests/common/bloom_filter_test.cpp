// BloomFilter: never a false "certainly not", false "maybe"s near the rate it is sized for,
// growth in stages that keeps both, and salts that keep kinds of keys apart. Seeded.
#include "fusebox/common/bloom_filter.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

TEST(BloomFilterTest, AnEmptyFilterHoldsNothing) {
  const BloomFilter filter;
  EXPECT_TRUE(filter.empty());
  EXPECT_FALSE(filter.may_contain(BloomFilter::hash_of("m-1")));
  EXPECT_EQ(filter.memory_bytes(), 0U);
}

// A million keys through a first stage sized for a thousand: every one is still found, and
// keys never added are refused nearly always.
TEST(BloomFilterTest, EveryKeyAddedIsFoundThroughEveryStage) {
  constexpr std::uint64_t kSeed = 61;
  BloomFilter filter(1000);
  Rng rng(kSeed);
  for (int i = 0; i < 1'000'000; ++i)
    filter.add(BloomFilter::hash_of("sim-21-" + std::to_string(i)));
  EXPECT_GE(filter.stages(), 10U);
  for (int i = 0; i < 1'000'000; ++i) {
    ASSERT_TRUE(filter.may_contain(BloomFilter::hash_of("sim-21-" + std::to_string(i))))
        << "key " << i << " (seed " << kSeed << ")";
  }
  std::size_t false_maybes = 0;
  constexpr int kProbes = 200'000;
  for (int i = 0; i < kProbes; ++i) {
    const std::string absent = "absent-" + std::to_string(rng.next_u64());
    if (filter.may_contain(BloomFilter::hash_of(absent))) ++false_maybes;
  }
  // About 0.5% per stage, summed over the stages (ten here): well under 10%.
  EXPECT_LT(false_maybes, kProbes / 10) << "seed " << kSeed;
  // About 12 bits per key: growth in doubling stages wastes at most the last one's spare room.
  EXPECT_LT(filter.memory_bytes(), std::size_t{1'000'000} * 12 / 8 * 2);
  EXPECT_EQ(filter.size(), 1'000'000U);
}

TEST(BloomFilterTest, OneStageKeepsNearTheRateItIsSizedFor) {
  constexpr std::uint64_t kSeed = 62;
  BloomFilter filter(100'000);
  Rng rng(kSeed);
  for (int i = 0; i < 100'000; ++i)
    filter.add(rng.next_u64());
  ASSERT_EQ(filter.stages(), 1U);
  std::size_t false_maybes = 0;
  constexpr int kProbes = 100'000;
  for (int i = 0; i < kProbes; ++i) {
    if (filter.may_contain(BloomFilter::hash_of(std::to_string(i), 7))) ++false_maybes;
  }
  EXPECT_LT(false_maybes, kProbes / 100) << "under 1% (seed " << kSeed << ")";
}

TEST(BloomFilterTest, TheSameTextUnderTwoSaltsIsTwoKeys) {
  EXPECT_NE(BloomFilter::hash_of("P000000000001", 1), BloomFilter::hash_of("P000000000001", 2));
  EXPECT_NE(BloomFilter::hash_of("a"), BloomFilter::hash_of("b"));
  EXPECT_EQ(BloomFilter::hash_of("a", 3), BloomFilter::hash_of("a", 3));
  BloomFilter filter;
  filter.add(BloomFilter::hash_of("P000000000001", 1));
  EXPECT_TRUE(filter.may_contain(BloomFilter::hash_of("P000000000001", 1)));
  EXPECT_FALSE(filter.may_contain(BloomFilter::hash_of("P000000000001", 2)));
}

}  // namespace
}  // namespace fusebox
