// FlatIndex against std::unordered_map as the reference: the same inserts, finds and erases
// (seeded, including runs that wrap around the end of a small table) give the same answers.
#include "fusebox/common/flat_index.hpp"

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

// A table that owns its keys, as the index's users do.
struct Table {
  std::vector<std::string> keys;
  FlatIndex index;
  [[nodiscard]] auto key_of() const {
    return [this](std::uint32_t row) -> const std::string& { return keys[row]; };
  }
  bool add(const std::string& key) {
    const auto row = static_cast<std::uint32_t>(keys.size());
    keys.push_back(key);
    if (index.insert(key, row, key_of())) return true;
    keys.pop_back();
    return false;
  }
  [[nodiscard]] std::uint32_t find(const std::string& key) const {
    return index.find(key, key_of());
  }
};

TEST(FlatIndexTest, FindsWhatWasInsertedAndRefusesADuplicate) {
  Table t;
  EXPECT_EQ(t.find("a"), FlatIndex::none);  // empty: no slots yet
  EXPECT_TRUE(t.add("a"));
  EXPECT_TRUE(t.add("b"));
  EXPECT_FALSE(t.add("a"));
  EXPECT_EQ(t.find("a"), 0U);
  EXPECT_EQ(t.find("b"), 1U);
  EXPECT_EQ(t.find("c"), FlatIndex::none);
  EXPECT_EQ(t.index.size(), 2U);
}

// emplace() is how an interner uses the index: the row is only added once the key proved new,
// so key_of() is never asked about the value being offered.
TEST(FlatIndexTest, EmplaceAnswersTheRowAlreadyIndexedOrTakesTheNewOne) {
  Table t;
  for (const std::string key : {"a", "b", "a", "c", "b"}) {
    const auto next = static_cast<std::uint32_t>(t.keys.size());
    const auto [row, added] = t.index.emplace(key, next, t.key_of());
    if (added) t.keys.push_back(key);
    EXPECT_EQ(added, row == next) << key;
  }
  EXPECT_EQ(t.keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.index.emplace("b", 7, t.key_of()), std::make_pair(std::uint32_t{1}, false));
  EXPECT_EQ(t.find("c"), 2U);
  EXPECT_THROW((void)t.index.emplace("d", FlatIndex::none, t.key_of()), std::invalid_argument);
  EXPECT_EQ(t.index.size(), 3U);
}

TEST(FlatIndexTest, GrowsPastItsFirstSizeKeepingEveryKey) {
  Table t;
  for (int i = 0; i < 100'000; ++i)
    ASSERT_TRUE(t.add("order-" + std::to_string(i)));
  for (int i = 0; i < 100'000; ++i)
    ASSERT_EQ(t.find("order-" + std::to_string(i)), static_cast<std::uint32_t>(i));
  EXPECT_EQ(t.find("order-100000"), FlatIndex::none);
}

TEST(FlatIndexTest, EraseForgetsOneKeyAndKeepsTheRest) {
  Table t;
  for (int i = 0; i < 1000; ++i)
    t.add(std::to_string(i));
  EXPECT_TRUE(t.index.erase("500", t.key_of()));
  EXPECT_FALSE(t.index.erase("500", t.key_of()));
  EXPECT_FALSE(t.index.erase("nope", t.key_of()));
  EXPECT_EQ(t.find("500"), FlatIndex::none);
  for (int i = 0; i < 1000; ++i) {
    if (i == 500) continue;
    ASSERT_EQ(t.find(std::to_string(i)), static_cast<std::uint32_t>(i)) << i;
  }
  EXPECT_EQ(t.index.size(), 999U);
}

// Random inserts and erases on a table kept small (about 12 of 16 slots used), so runs wrap
// around its end and the back shift after an erase crosses it.
TEST(FlatIndexTest, AgreesWithAnUnorderedMapUnderRandomInsertsAndErases) {
  const std::uint64_t seed = 7;
  Rng rng(seed);
  Table t;
  std::unordered_map<std::string, std::uint32_t> reference;
  for (int step = 0; step < 200'000; ++step) {
    const std::string key = "k" + std::to_string(rng.below(24));
    const bool erase = reference.size() >= 12 || rng.below(3) == 0;
    if (erase) {
      const bool was = reference.erase(key) == 1;
      ASSERT_EQ(t.index.erase(key, t.key_of()), was) << "seed " << seed << " step " << step;
    } else {
      const bool fresh = reference.count(key) == 0;
      const auto row = static_cast<std::uint32_t>(t.keys.size());
      ASSERT_EQ(t.add(key), fresh) << "seed " << seed << " step " << step;
      if (fresh) reference.emplace(key, row);
    }
    for (int probe = 0; probe < 24; ++probe) {
      const std::string k = "k" + std::to_string(probe);
      const auto it = reference.find(k);
      ASSERT_EQ(t.find(k), it == reference.end() ? FlatIndex::none : it->second)
          << "seed " << seed << " step " << step << " key " << k;
    }
    ASSERT_EQ(t.index.size(), reference.size());
  }
}

TEST(FlatIndexTest, ReserveKeepsEveryKeyAndTheMissValueIsRefused) {
  Table t;
  t.add("x");
  t.index.reserve(5000);
  EXPECT_EQ(t.find("x"), 0U);
  std::vector<std::string> keys{"y"};
  auto key_of = [&keys](std::uint32_t) -> const std::string& { return keys[0]; };
  EXPECT_THROW(t.index.insert("y", FlatIndex::none, key_of), std::invalid_argument);
  EXPECT_EQ(t.index.size(), 1U);
}

}  // namespace
}  // namespace fusebox
