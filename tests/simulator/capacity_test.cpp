// Proves the capacity model queues past its concurrency, rejects past its queue, and lets
// latency grow with load.
#include "fusebox/simulator/capacity.hpp"

#include <gtest/gtest.h>

namespace fusebox::sim {
namespace {

TEST(CapacityModelTest, UnlimitedNeverQueues) {
  CapacityModel capacity({});
  for (int i = 0; i < 1'000; ++i)
    EXPECT_EQ(capacity.admit(5, 10), 15);
}

TEST(CapacityModelTest, QueuesPastConcurrencyAndRejectsPastTheQueue) {
  CapacityModel capacity({.max_concurrency = 2, .max_queue = 1});
  EXPECT_EQ(capacity.admit(0, from_ms(10)), from_ms(10));
  EXPECT_EQ(capacity.admit(0, from_ms(10)), from_ms(10));
  EXPECT_EQ(capacity.admit(0, from_ms(10)), from_ms(20)) << "waits for the first free server";
  EXPECT_EQ(capacity.waiting(0), 1U);
  EXPECT_EQ(capacity.admit(0, from_ms(10)), std::nullopt) << "queue full: rejected";
  EXPECT_EQ(capacity.waiting(from_ms(10)), 0U) << "the queued one started at 10 ms";
  EXPECT_EQ(capacity.admit(from_ms(10), from_ms(10)), from_ms(20));
}

TEST(CapacityModelTest, LatencyGrowsWithOfferedLoad) {
  // One server of 1 ms: at 500/s it keeps up, at 2,000/s the queue fills and sheds.
  auto run = [](TimeNs gap_ns) {
    CapacityModel capacity({.max_concurrency = 1, .max_queue = 100});
    TimeNs worst_ns = 0;
    int rejected = 0;
    for (int i = 0; i < 1'000; ++i) {
      const TimeNs now = i * gap_ns;
      const auto done = capacity.admit(now, from_ms(1));
      if (!done) {
        ++rejected;
        continue;
      }
      worst_ns = std::max(worst_ns, *done - now);
    }
    return std::make_pair(worst_ns, rejected);
  };
  const auto [light_worst, light_rejected] = run(from_ms(2));
  EXPECT_EQ(light_worst, from_ms(1));
  EXPECT_EQ(light_rejected, 0);
  const auto [heavy_worst, heavy_rejected] = run(kNsPerMs / 2);
  EXPECT_GE(heavy_worst, from_ms(100));
  EXPECT_GT(heavy_rejected, 300);
}

}  // namespace
}  // namespace fusebox::sim
