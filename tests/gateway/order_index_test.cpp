// The core's sharded order index: the lookups the core relies on, across every shard.

#include "order_index.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox::gateway {
namespace {

// The index keeps no copy of an id: each entry holds its own.
struct Entry {
  std::string id;
  int value = 0;
};
struct IdOf {
  const std::string& operator()(const Entry* e) const { return e->id; }
};
using Index = OrderIndex<Entry, IdOf>;

TEST(OrderIndex, FindsWhatWasIndexedAndNothingElse) {
  Index index;
  Entry a{"P000000000001", 1};
  Entry b{"P000000000002", 2};
  EXPECT_TRUE(index.emplace(&a));
  EXPECT_TRUE(index.emplace(&b));
  EXPECT_EQ(index.find("P000000000001"), &a);
  EXPECT_EQ(&index.at("P000000000002"), &b);
  EXPECT_TRUE(index.contains("P000000000002"));
  EXPECT_EQ(index.find("P000000000003"), nullptr);
  EXPECT_FALSE(index.contains(""));
}

TEST(OrderIndex, AnIdAlreadyIndexedKeepsItsFirstEntry) {
  Index index;
  Entry first{"m-1", 1};
  Entry second{"m-1", 2};
  EXPECT_TRUE(index.emplace(&first));
  EXPECT_FALSE(index.emplace(&second));
  EXPECT_EQ(index.find("m-1"), &first);
}

TEST(OrderIndex, AtAMissingIdThrowsNamingIt) {
  Index index;
  try {
    (void)index.at("R000000000009");
    FAIL() << "expected std::logic_error";
  } catch (const std::logic_error& error) {
    EXPECT_NE(std::string(error.what()).find("R000000000009"), std::string::npos);
  }
}

// Enough ids that every shard holds many and grows several times, reserved or not.
TEST(OrderIndex, ManyIdsAcrossEveryShardStayFindable) {
  for (const std::size_t reserved : {std::size_t{0}, std::size_t{50'000}}) {
    Index index;
    index.reserve(reserved);
    constexpr std::size_t kIds = 50'000;
    std::vector<Entry> entries(kIds);
    for (std::size_t i = 0; i < kIds; ++i) {
      entries[i] = Entry{"order-" + std::to_string(i), static_cast<int>(i)};
      ASSERT_TRUE(index.emplace(&entries[i])) << i;
    }
    for (std::size_t i = 0; i < kIds; ++i) {
      const Entry* found = index.find("order-" + std::to_string(i));
      ASSERT_NE(found, nullptr) << i;
      ASSERT_EQ(found->value, static_cast<int>(i));
    }
    EXPECT_EQ(index.find("order-" + std::to_string(kIds)), nullptr);
  }
}

// The core lets final orders go: erasing some ids leaves every other one findable.
TEST(OrderIndex, ErasedIdsAreGoneAndTheRestStay) {
  Index index;
  constexpr std::size_t kIds = 20'000;
  std::vector<Entry> entries(kIds);
  for (std::size_t i = 0; i < kIds; ++i) {
    entries[i] = Entry{"P" + std::to_string(i), static_cast<int>(i)};
    ASSERT_TRUE(index.emplace(&entries[i]));
  }
  for (std::size_t i = 0; i < kIds; i += 3)
    index.erase(entries[i].id);
  index.erase("never-indexed");
  for (std::size_t i = 0; i < kIds; ++i) {
    ASSERT_EQ(index.find(entries[i].id), i % 3 == 0 ? nullptr : &entries[i]) << i;
  }
}

}  // namespace
}  // namespace fusebox::gateway
