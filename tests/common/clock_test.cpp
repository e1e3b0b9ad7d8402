// Proves the clocks only move forwards and the manual clock moves exactly as told.
#include "fusebox/common/clock.hpp"

#include <gtest/gtest.h>

namespace fusebox {
namespace {

TEST(ClockTest, MonotonicClockNeverRunsBackwards) {
  MonotonicClock clock;
  TimeNs previous = clock.now_ns();
  EXPECT_GE(previous, 0);
  for (int i = 0; i < 10'000; ++i) {
    const TimeNs now = clock.now_ns();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(from_ms(5));
  EXPECT_EQ(clock.now_ns(), 5'000'000);
  clock.advance(from_s(2));
  EXPECT_EQ(clock.now_ns(), 2'005'000'000);
  clock.set(from_s(3));
  EXPECT_EQ(clock.now_ns(), 3'000'000'000);
}

TEST(ClockTest, UnitConversions) {
  EXPECT_EQ(from_ms(1), kNsPerMs);
  EXPECT_EQ(from_s(60), 60 * kNsPerS);
  EXPECT_DOUBLE_EQ(to_ms(1'500'000), 1.5);
  EXPECT_DOUBLE_EQ(to_s(2'500'000'000), 2.5);
}

}  // namespace
}  // namespace fusebox
