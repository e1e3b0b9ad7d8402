// The core's sharded order index: the lookups the core relies on, across every shard.

#include "order_index.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox::gateway {
namespace {

struct Entry {
  int value = 0;
};

TEST(OrderIndex, FindsWhatWasIndexedAndNothingElse) {
  OrderIndex<Entry> index;
  Entry a{1};
  Entry b{2};
  EXPECT_TRUE(index.emplace("P000000000001", &a));
  EXPECT_TRUE(index.emplace("P000000000002", &b));
  EXPECT_EQ(index.find("P000000000001"), &a);
  EXPECT_EQ(&index.at("P000000000002"), &b);
  EXPECT_TRUE(index.contains("P000000000002"));
  EXPECT_EQ(index.find("P000000000003"), nullptr);
  EXPECT_FALSE(index.contains(""));
}

TEST(OrderIndex, AnIdAlreadyIndexedKeepsItsFirstEntry) {
  OrderIndex<Entry> index;
  Entry first{1};
  Entry second{2};
  EXPECT_TRUE(index.emplace("m-1", &first));
  EXPECT_FALSE(index.emplace("m-1", &second));
  EXPECT_EQ(index.find("m-1"), &first);
}

TEST(OrderIndex, AtAMissingIdThrowsNamingIt) {
  OrderIndex<Entry> index;
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
    OrderIndex<Entry> index;
    index.reserve(reserved);
    constexpr std::size_t kIds = 50'000;
    std::vector<Entry> entries(kIds);
    for (std::size_t i = 0; i < kIds; ++i) {
      entries[i].value = static_cast<int>(i);
      ASSERT_TRUE(index.emplace("order-" + std::to_string(i), &entries[i])) << i;
    }
    for (std::size_t i = 0; i < kIds; ++i) {
      const Entry* found = index.find("order-" + std::to_string(i));
      ASSERT_NE(found, nullptr) << i;
      ASSERT_EQ(found->value, static_cast<int>(i));
    }
    EXPECT_EQ(index.find("order-" + std::to_string(kIds)), nullptr);
  }
}

}  // namespace
}  // namespace fusebox::gateway
