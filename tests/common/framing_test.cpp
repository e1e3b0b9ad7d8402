// Proves length-prefixed framing survives frames split at every byte and packed together,
// and that an oversized announcement breaks the stream instead of buffering it.
#include "fusebox/common/framing.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

TEST(FramingTest, PrefixIsBigEndianLength) {
  EXPECT_EQ(frame("abc"), std::string("\x00\x03"
                                      "abc",
                                      5));
  EXPECT_EQ(frame(std::string(300, 'x')).substr(0, 2), std::string("\x01\x2c", 2));
  EXPECT_EQ(frame(""), std::string("\x00\x00", 2));
}

TEST(FramingTest, FramesSplitAtEveryByteReassemble) {
  const std::string stream = frame("first") + frame("") + frame(std::string(200, 'z'));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader reader(1'024);
    std::vector<std::string> got;
    ASSERT_TRUE(reader.feed(stream.substr(0, cut)));
    while (auto f = reader.next())
      got.push_back(*f);
    ASSERT_TRUE(reader.feed(stream.substr(cut)));
    while (auto f = reader.next())
      got.push_back(*f);
    ASSERT_EQ(got.size(), 3U) << "cut at " << cut;
    EXPECT_EQ(got[0], "first");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2], std::string(200, 'z'));
    EXPECT_EQ(reader.buffered(), 0U);
  }
}

TEST(FramingTest, OversizedAnnouncementBreaksTheStream) {
  FrameReader reader(100);
  EXPECT_FALSE(reader.feed(std::string("\x00\x65", 2)));  // 101 > 100
  EXPECT_TRUE(reader.broken());
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_FALSE(reader.feed(frame("ok")));
}

TEST(FramingTest, LongStreamsKeepTheBufferSmall) {
  FrameReader reader(64);
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(reader.feed(frame("message " + std::to_string(i))));
    ASSERT_EQ(reader.next(), "message " + std::to_string(i));
  }
  EXPECT_EQ(reader.buffered(), 0U);
}

}  // namespace
}  // namespace fusebox
