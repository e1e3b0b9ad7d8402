// Proves the schedulers fire in (deadline, sequence) order, honour cancellation and their
// bound, and that a virtual run is the same every time for the same insertions.
#include "fusebox/common/scheduler.hpp"

#include <atomic>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

TEST(EventQueueTest, PopsInDeadlineThenInsertionOrder) {
  EventQueue queue(16);
  std::vector<int> order;
  for (const auto& [deadline, tag] :
       std::vector<std::pair<TimeNs, int>>{{30, 0}, {10, 1}, {20, 2}, {10, 3}, {30, 4}, {10, 5}}) {
    ASSERT_TRUE(queue.push(deadline, [&order, t = tag] { order.push_back(t); }));
  }
  TimeNs deadline = 0;
  Task task;
  std::vector<TimeNs> deadlines;
  while (queue.pop_due(100, deadline, task)) {
    deadlines.push_back(deadline);
    task();
  }
  EXPECT_EQ(order, (std::vector<int>{1, 3, 5, 2, 0, 4}));
  EXPECT_EQ(deadlines, (std::vector<TimeNs>{10, 10, 10, 20, 30, 30}));
  EXPECT_TRUE(queue.empty());
}

TEST(EventQueueTest, PopDueStopsAtTheLimit) {
  EventQueue queue(4);
  ASSERT_TRUE(queue.push(10, [] {}));
  ASSERT_TRUE(queue.push(20, [] {}));
  TimeNs deadline = 0;
  Task task;
  EXPECT_TRUE(queue.pop_due(15, deadline, task));
  EXPECT_EQ(deadline, 10);
  EXPECT_FALSE(queue.pop_due(15, deadline, task));
  EXPECT_EQ(queue.next_deadline(), 20);
}

TEST(EventQueueTest, RejectsPushesPastItsBoundAndAcceptsAgainAfterAPop) {
  EventQueue queue(3);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(queue.push(i, [] {}));
  EXPECT_FALSE(queue.push(99, [] {}));
  EXPECT_EQ(queue.size(), 3U);
  TimeNs deadline = 0;
  Task task;
  ASSERT_TRUE(queue.pop_due(0, deadline, task));
  EXPECT_TRUE(queue.push(99, [] {}));
}

TEST(EventQueueTest, CancelledEventsNeverFireAndFreeTheirPlace) {
  EventQueue queue(2);
  bool fired = false;
  auto id = queue.push(10, [&fired] { fired = true; });
  ASSERT_TRUE(id);
  ASSERT_TRUE(queue.push(20, [] {}));
  EXPECT_TRUE(queue.cancel(*id));
  EXPECT_FALSE(queue.cancel(*id)) << "a second cancel is a no-op";
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_TRUE(queue.push(30, [] {})) << "a cancelled event no longer counts against the bound";
  EXPECT_EQ(queue.next_deadline(), 20);
  TimeNs deadline = 0;
  Task task;
  while (queue.pop_due(100, deadline, task))
    task();
  EXPECT_FALSE(fired);
}

TEST(EventQueueTest, StaleIdDoesNotCancelTheEventThatReusedItsSlot) {
  EventQueue queue(1);
  auto first = queue.push(10, [] {});
  ASSERT_TRUE(first);
  TimeNs deadline = 0;
  Task task;
  ASSERT_TRUE(queue.pop_due(10, deadline, task));
  auto second = queue.push(20, [] {});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->slot, first->slot);
  EXPECT_FALSE(queue.cancel(*first));
  EXPECT_EQ(queue.size(), 1U);
}

TEST(EventQueueTest, ManyCancellationsKeepTheHeapBounded) {
  EventQueue queue(8);
  for (int round = 0; round < 10'000; ++round) {
    auto id = queue.push(1'000'000 + round, [] {});
    ASSERT_TRUE(id);
    ASSERT_TRUE(queue.cancel(*id));
  }
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.next_deadline(), std::nullopt);
}

// A reference model: a sorted set of (deadline, sequence). The queue must agree with it on
// every pop, peek and cancel over a long random mix of operations.
struct Model {
  std::set<std::tuple<TimeNs, std::uint64_t, int>> pending;
  std::uint64_t sequence = 0;
  TimeNs floor = std::numeric_limits<TimeNs>::min();  // the last deadline popped
};

void differential_run(std::uint64_t seed, std::uint64_t renumber_after) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", renumber_after " +
               std::to_string(renumber_after));
  Rng rng(seed);
  EventQueue queue(512, renumber_after);
  Model model;
  std::map<int, std::pair<TimerId, std::tuple<TimeNs, std::uint64_t, int>>> ids;
  int fired_tag = -1;
  TimeNs limit = 0;
  for (int tag = 0; tag < 20'000; ++tag) {
    const std::uint64_t op = rng.below(10);
    if (op < 5) {  // push, sometimes at an equal or past deadline
      const TimeNs deadline =
          limit - 50 + static_cast<TimeNs>(rng.below(rng.chance(0.5) ? 100 : 1'000'000));
      const auto id = queue.push(deadline, [&fired_tag, tag] { fired_tag = tag; });
      if (model.pending.size() >= 512) {
        ASSERT_FALSE(id);
        continue;
      }
      ASSERT_TRUE(id);
      const auto key = std::make_tuple(std::max(deadline, model.floor), model.sequence++, tag);
      model.pending.insert(key);
      ids[tag] = {*id, key};
    } else if (op < 7 && !ids.empty()) {  // cancel, possibly one already fired
      auto it = ids.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng.below(ids.size())));
      const bool was_pending = model.pending.erase(it->second.second) > 0;
      ASSERT_EQ(queue.cancel(it->second.first), was_pending);
      ids.erase(it);
    } else if (op < 9) {  // pop with a limit that only moves forward
      limit += static_cast<TimeNs>(rng.below(200'000));
      TimeNs deadline = 0;
      Task task;
      const bool popped = queue.pop_due(limit, deadline, task);
      const bool due = !model.pending.empty() && std::get<0>(*model.pending.begin()) <= limit;
      ASSERT_EQ(popped, due);
      if (!popped) continue;
      task();
      const auto expected = *model.pending.begin();
      model.pending.erase(model.pending.begin());
      ASSERT_EQ(fired_tag, std::get<2>(expected));
      ASSERT_EQ(deadline, std::get<0>(expected));
      model.floor = deadline;
      ids.erase(fired_tag);
    } else {  // peek
      const auto next = queue.next_deadline();
      ASSERT_EQ(next.has_value(), !model.pending.empty());
      if (next) {
        ASSERT_EQ(*next, std::get<0>(*model.pending.begin()));
      }
    }
    ASSERT_EQ(queue.size(), model.pending.size());
  }
}

TEST(EventQueueTest, AgreesWithASortedReferenceModel) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed)
    differential_run(seed, UINT64_MAX);
}

TEST(EventQueueTest, RenumberingSequencesKeepsTheOrderAndTheIds) {
  for (std::uint64_t seed = 6; seed <= 8; ++seed)
    differential_run(seed, 1'000);
}

TEST(EventQueueTest, APeekDoesNotDelayAnEarlierEventPushedAfterIt) {
  EventQueue queue(8);
  ASSERT_TRUE(queue.push(1'000, [] {}));
  TimeNs deadline = 0;
  Task task;
  EXPECT_FALSE(queue.pop_due(500, deadline, task));  // looks at the event at 1000
  EXPECT_EQ(queue.next_deadline(), 1'000);
  ASSERT_TRUE(queue.push(600, [] {}));
  ASSERT_TRUE(queue.pop_due(2'000, deadline, task));
  EXPECT_EQ(deadline, 600);
}

TEST(EventQueueTest, NegativeAndExtremeDeadlinesKeepTheirOrder) {
  EventQueue queue(8);
  const std::vector<TimeNs> deadlines{0, -5, std::numeric_limits<TimeNs>::max(),
                                      std::numeric_limits<TimeNs>::min(), 7};
  for (const TimeNs d : deadlines)
    ASSERT_TRUE(queue.push(d, [] {}));
  std::vector<TimeNs> popped;
  TimeNs deadline = 0;
  Task task;
  while (queue.pop_due(std::numeric_limits<TimeNs>::max(), deadline, task))
    popped.push_back(deadline);
  EXPECT_EQ(popped, (std::vector<TimeNs>{std::numeric_limits<TimeNs>::min(), -5, 0, 7,
                                         std::numeric_limits<TimeNs>::max()}));
}

TEST(VirtualSchedulerTest, TimeJumpsToEachEventAndEndsAtTheLimit) {
  VirtualScheduler scheduler(64);
  std::vector<TimeNs> seen;
  auto record = [&] { seen.push_back(scheduler.now_ns()); };
  ASSERT_TRUE(scheduler.schedule_at(from_ms(30), record));
  ASSERT_TRUE(scheduler.schedule_at(from_ms(10), record));
  ASSERT_TRUE(scheduler.schedule_after(from_s(5), record));
  EXPECT_EQ(scheduler.run_until(from_s(1)), 2U);
  EXPECT_EQ(seen, (std::vector<TimeNs>{from_ms(10), from_ms(30)}));
  EXPECT_EQ(scheduler.now_ns(), from_s(1));
  EXPECT_EQ(scheduler.pending(), 1U);
  EXPECT_EQ(scheduler.run_until_idle(), 1U);
  EXPECT_EQ(scheduler.now_ns(), from_s(5));
  EXPECT_EQ(scheduler.fired_total(), 3U);
}

TEST(VirtualSchedulerTest, EventsScheduledByEventsFireInTheSameRun) {
  VirtualScheduler scheduler(64);
  std::vector<std::string> log;
  ASSERT_TRUE(scheduler.schedule_at(10, [&] {
    log.push_back("a@" + std::to_string(scheduler.now_ns()));
    ASSERT_TRUE(scheduler.schedule_after(
        5, [&] { log.push_back("b@" + std::to_string(scheduler.now_ns())); }));
    ASSERT_TRUE(scheduler.schedule_after(
        0, [&] { log.push_back("c@" + std::to_string(scheduler.now_ns())); }));
  }));
  ASSERT_TRUE(scheduler.schedule_at(12, [&] { log.push_back("d@12"); }));
  scheduler.run_until(100);
  EXPECT_EQ(log, (std::vector<std::string>{"a@10", "c@10", "d@12", "b@15"}));
}

TEST(VirtualSchedulerTest, PastDeadlinesFireNowAfterWhatIsAlreadyDue) {
  VirtualScheduler scheduler(8, from_s(10));
  std::vector<int> order;
  ASSERT_TRUE(scheduler.schedule_at(from_s(10), [&] { order.push_back(1); }));
  ASSERT_TRUE(scheduler.schedule_at(from_s(1), [&] { order.push_back(2); }));
  scheduler.run_until_idle();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(scheduler.now_ns(), from_s(10)) << "a past deadline must not move time backwards";
}

TEST(VirtualSchedulerTest, RunUntilIdleStopsAtItsEventBound) {
  VirtualScheduler scheduler(4);
  std::function<void()> forever = [&] { ASSERT_TRUE(scheduler.schedule_after(1, forever)); };
  ASSERT_TRUE(scheduler.schedule_at(0, forever));
  EXPECT_EQ(scheduler.run_until_idle(1'000), 1'000U);
  EXPECT_EQ(scheduler.pending(), 1U);
  EXPECT_EQ(scheduler.now_ns(), 999);
}

TEST(VirtualSchedulerTest, CancelFromInsideAnEvent) {
  VirtualScheduler scheduler(8);
  bool late_fired = false;
  auto late = scheduler.schedule_at(20, [&] { late_fired = true; });
  ASSERT_TRUE(late);
  ASSERT_TRUE(scheduler.schedule_at(10, [&] { EXPECT_TRUE(scheduler.cancel(*late)); }));
  scheduler.run_until_idle();
  EXPECT_FALSE(late_fired);
  EXPECT_EQ(scheduler.fired_total(), 1U);
}

// The same insertions give the same firing order, whatever the interleaving of cancels.
std::vector<std::uint64_t> random_run(std::uint64_t seed) {
  VirtualScheduler scheduler(10'000);
  Rng rng(seed);
  std::vector<std::uint64_t> fired;
  std::vector<TimerId> ids;
  for (std::uint64_t i = 0; i < 5'000; ++i) {
    auto id = scheduler.schedule_at(static_cast<TimeNs>(rng.below(1'000)),
                                    [&fired, i] { fired.push_back(i); });
    EXPECT_TRUE(id);
    ids.push_back(*id);
    if (rng.below(4) == 0) scheduler.cancel(ids[rng.below(ids.size())]);
  }
  scheduler.run_until_idle();
  return fired;
}

TEST(VirtualSchedulerTest, DeterministicForTheSameInsertions) {
  const std::uint64_t seed = 20261125;
  SCOPED_TRACE("seed " + std::to_string(seed));
  const auto first = random_run(seed);
  EXPECT_GT(first.size(), 3'000U);
  EXPECT_EQ(first, random_run(seed));
  EXPECT_NE(first, random_run(seed + 1));
}

TEST(RealTimeSchedulerTest, FiresInOrderNoEarlierThanTheDeadline) {
  RealTimeScheduler scheduler(16);
  std::vector<std::pair<int, TimeNs>> fired;
  const TimeNs start = scheduler.now_ns();
  for (const auto& [delay_ms, tag] : std::vector<std::pair<int, int>>{{6, 2}, {2, 1}, {6, 3}}) {
    const TimeNs deadline = start + from_ms(delay_ms);
    ASSERT_TRUE(scheduler.schedule_at(deadline, [&, deadline, t = tag] {
      fired.emplace_back(t, scheduler.now_ns() - deadline);
    }));
  }
  ASSERT_TRUE(scheduler.schedule_at(start + from_ms(10), [&] { scheduler.stop(); }));
  EXPECT_EQ(scheduler.run(start + from_s(10)), 4U);
  ASSERT_EQ(fired.size(), 3U);
  for (std::size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].first, static_cast<int>(i + 1));
    EXPECT_GE(fired[i].second, 0) << "fired before its deadline";
  }
}

TEST(RealTimeSchedulerTest, AnotherThreadCanScheduleAnEarlierEventAndStop) {
  RealTimeScheduler scheduler(16);
  std::atomic<bool> fired{false};
  ASSERT_TRUE(scheduler.schedule_after(from_s(30), [] {}));
  std::thread producer([&] {
    ASSERT_TRUE(scheduler.schedule_after(from_ms(1), [&] {
      fired = true;
      scheduler.stop();
    }));
  });
  scheduler.run(scheduler.now_ns() + from_s(10));
  producer.join();
  EXPECT_TRUE(fired.load());
}

TEST(RealTimeSchedulerTest, RunReturnsAtItsTimeLimit) {
  RealTimeScheduler scheduler(4);
  ASSERT_TRUE(scheduler.schedule_after(from_s(60), [] { FAIL() << "must not fire"; }));
  const TimeNs until = scheduler.now_ns() + from_ms(5);
  EXPECT_EQ(scheduler.run(until), 0U);
  EXPECT_GE(scheduler.now_ns(), until);
}

}  // namespace
}  // namespace fusebox
