// Name: interned texts that compare by pointer and read as strings; NameTable: texts numbered.

#include "fusebox/common/name.hpp"

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

TEST(Name, EqualTextsShareOneCopyAndCompareEqual) {
  const std::string built = std::string("char") + "ged";
  const Name a = "charged";
  const Name b = built;
  const Name c = std::string_view("refund_succeeded");
  EXPECT_EQ(&a.str(), &b.str()) << "one copy per text";
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a == "charged");
  EXPECT_TRUE(a == built);
  EXPECT_TRUE(a == std::string_view("charged"));
  EXPECT_FALSE(a == "charge");
  EXPECT_EQ(sizeof(Name), sizeof(void*));
}

TEST(Name, ReadsAsAStringAndPrintsItsText) {
  const Name name = "wallet-a";
  const std::string& text = name;
  const std::string_view view = name;
  EXPECT_EQ(text, "wallet-a");
  EXPECT_EQ(view, "wallet-a");
  EXPECT_EQ(name + " charged", "wallet-a charged");
  EXPECT_EQ("on " + name, "on wallet-a");
  EXPECT_EQ(name.size(), 8U);
  std::ostringstream out;
  out << name;
  EXPECT_EQ(out.str(), "wallet-a");
}

TEST(Name, TheDefaultIsTheEmptyText) {
  const Name none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none == "");
  EXPECT_TRUE(none == Name(""));
  EXPECT_FALSE(none == Name(" "));
}

TEST(Name, ThreadsInterningTheSameTextsGetTheSameCopies) {
  constexpr std::size_t kThreads = 4;
  constexpr int kTexts = 500;
  std::vector<std::vector<const std::string*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kTexts; ++i)
        seen[t].push_back(&Name("thread-text-" + std::to_string(i)).str());
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (std::size_t t = 1; t < kThreads; ++t)
    EXPECT_EQ(seen[t], seen[0]);
}

TEST(NameTable, NumbersTextsInTheOrderFirstSeen) {
  NameTable table;
  EXPECT_EQ(table.intern("CNY"), 0U);
  EXPECT_EQ(table.intern("EUR"), 1U);
  EXPECT_EQ(table.intern("CNY"), 0U);
  EXPECT_EQ(table.intern(""), 2U);
  EXPECT_EQ(table.at(1), "EUR");
  EXPECT_EQ(table.at(2), "");
}

}  // namespace
}  // namespace fusebox
