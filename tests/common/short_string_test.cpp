// ShortString: texts inline up to 15 characters and on the heap past that, copied, moved and
// reassigned without a leak or a dangling view (the asan-ubsan preset runs these too).

#include "fusebox/common/short_string.hpp"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

TEST(ShortString, HoldsAnyTextInlineOrOnTheHeap) {
  EXPECT_EQ(sizeof(ShortString), 16U);
  for (const std::string& text :
       {std::string(), std::string("P000000123456"), std::string(15, 'a'), std::string(16, 'b'),
        std::string(300, 'c'), std::string("with\0nul", 8)}) {
    const ShortString s = text;
    EXPECT_EQ(s.view(), text);
    EXPECT_EQ(s.size(), text.size());
    EXPECT_EQ(s.empty(), text.empty());
    EXPECT_EQ(s.str(), text);
  }
  EXPECT_TRUE(ShortString().empty());
}

TEST(ShortString, CopiesMovesAndReassignmentsKeepEachText) {
  std::vector<ShortString> texts{"short", std::string(40, 'L'), ""};
  std::vector<ShortString> copies = texts;
  std::vector<ShortString> moved = std::move(texts);
  EXPECT_EQ(copies, moved);
  ShortString a = std::string(20, 'x');
  ShortString b = "tiny";
  a = b;  // heap to inline
  EXPECT_EQ(a, "tiny");
  b = std::string(50, 'y');  // inline to heap
  a = std::move(b);
  EXPECT_EQ(a.view(), std::string(50, 'y'));
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from string is empty
  a = a;                   // NOLINT: self-assignment keeps the text
  EXPECT_EQ(a.view(), std::string(50, 'y'));
  a = a.view().substr(0, 3);  // a view of its own heap text
  EXPECT_EQ(a, "yyy");
  a = a.view().substr(1);  // a view of its own inline text
  EXPECT_EQ(a, "yy");
}

TEST(ShortString, ComparesAndJoinsLikeAString) {
  const ShortString order = "P000000000042";
  EXPECT_TRUE(order == "P000000000042");
  EXPECT_TRUE(order == std::string("P000000000042"));
  EXPECT_FALSE(order == ShortString("P000000000043"));
  EXPECT_LT(order, ShortString("P000000000043"));
  EXPECT_EQ("order " + order, "order P000000000042");
  EXPECT_EQ(order + " paid", "P000000000042 paid");
  const std::string as_string = order;
  EXPECT_EQ(as_string, "P000000000042");
  std::ostringstream out;
  out << order;
  EXPECT_EQ(out.str(), "P000000000042");
}

}  // namespace
}  // namespace fusebox
