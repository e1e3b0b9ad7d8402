// The breaker trips, backs off, probes and closes as specified, and stays sound across threads.
#include "fusebox/gateway/breaker.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox::gateway {
namespace {

constexpr TimeNs kFast = from_ms(1);

// Small numbers so that each rule shows in a few calls.
BreakerConfig test_config() {
  BreakerConfig c;
  c.window_ns = from_s(10);
  c.bucket_ns = from_ms(100);
  c.failure_rate = 0.5;
  c.slow_call_rate = 1.0;
  c.slow_call_ns = from_s(1);
  c.minimum_calls = 10;
  c.open_ns = from_s(1);
  c.max_open_ns = from_s(5);
  c.backoff = 2.0;
  c.half_open_probes = 2;
  c.probes_to_close = 2;
  c.probe_lease_ns = from_s(1);
  return c;
}

// A config that only counts: nothing trips.
BreakerConfig counting_config() {
  BreakerConfig c = test_config();
  c.failure_rate = kRateOff;
  c.slow_call_rate = kRateOff;
  c.minimum_calls = 1;
  return c;
}

void call(Breaker& breaker, CallResult result, TimeNs now, TimeNs latency_ns = kFast) {
  const Permit permit = breaker.try_acquire(now);
  ASSERT_TRUE(permit.admitted()) << "at " << now;
  ASSERT_FALSE(permit.is_probe());
  breaker.record(permit, result, latency_ns, now);
}

void calls(Breaker& breaker, int count, CallResult result, TimeNs now, TimeNs latency = kFast) {
  for (int i = 0; i < count; ++i)
    call(breaker, result, now, latency);
}

std::vector<BreakerEvent> drain(Breaker& breaker) {
  std::vector<BreakerEvent> out(Breaker::kEventCapacity);
  out.resize(breaker.drain_events(out));
  return out;
}

// Trips at t=0 (test_config: minimum 10 calls, all failing).
void trip(Breaker& breaker, TimeNs now = 0) {
  calls(breaker, 10, CallResult::failure, now);
  ASSERT_EQ(breaker.snapshot(now).state, BreakerState::open);
}

// --- the sliding window ---

TEST(BreakerWindow, CallsLeaveTheWindowExactlyAtItsEdge) {
  Breaker breaker(counting_config());
  calls(breaker, 3, CallResult::success, 0);             // bucket 0
  calls(breaker, 2, CallResult::failure, from_ms(150));  // bucket 1
  EXPECT_EQ(breaker.snapshot(from_s(10) - 1).calls, 5u);
  EXPECT_EQ(breaker.snapshot(from_s(10)).calls, 2u);  // bucket 0 has left, bucket 1 has not
  EXPECT_EQ(breaker.snapshot(from_s(10)).failures, 2u);
  EXPECT_EQ(breaker.snapshot(from_ms(10'100) - 1).calls, 2u);
  EXPECT_EQ(breaker.snapshot(from_ms(10'100)).calls, 0u);
}

TEST(BreakerWindow, SlidesBucketByBucketNotInFixedSlots) {
  Breaker breaker(counting_config());
  for (int i = 0; i < 20; ++i)
    call(breaker, CallResult::failure, from_ms(500) * i);
  EXPECT_EQ(breaker.snapshot(from_ms(9'999)).calls, 20u);
  EXPECT_EQ(breaker.snapshot(from_s(10)).calls, 19u);
  EXPECT_EQ(breaker.snapshot(from_ms(10'500)).calls, 18u);
  EXPECT_EQ(breaker.snapshot(from_s(20)).calls, 0u);
  // Recording later rotates the ring in place of the read-only view; same answer.
  call(breaker, CallResult::success, from_ms(10'500));
  EXPECT_EQ(breaker.snapshot(from_ms(10'500)).calls, 19u);
  EXPECT_EQ(breaker.snapshot(from_ms(10'500)).failures, 18u);
}

TEST(BreakerWindow, TripsOnlyOnCallsStillInsideTheWindow) {
  Breaker inside(test_config());
  calls(inside, 9, CallResult::failure, 0);
  call(inside, CallResult::failure, from_s(10) - 1);  // the first nine still count: 10 calls
  EXPECT_EQ(inside.snapshot(from_s(10) - 1).state, BreakerState::open);

  Breaker outside(test_config());
  calls(outside, 9, CallResult::failure, 0);
  call(outside, CallResult::failure, from_s(10));  // they have just left: 1 call
  EXPECT_EQ(outside.snapshot(from_s(10)).state, BreakerState::closed);
  EXPECT_EQ(outside.snapshot(from_s(10)).calls, 1u);
}

TEST(BreakerWindow, LongIdleGapsEmptyTheWindow) {
  Breaker breaker(counting_config());
  calls(breaker, 5, CallResult::failure, from_s(1));
  call(breaker, CallResult::success, from_s(3600));
  EXPECT_EQ(breaker.snapshot(from_s(3600)).calls, 1u);
  EXPECT_EQ(breaker.snapshot(from_s(3600)).failures, 0u);
}

// --- tripping ---

TEST(BreakerTrip, WaitsForTheMinimumCallCount) {
  Breaker breaker(test_config());
  calls(breaker, 9, CallResult::failure, 0);
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::closed);
  EXPECT_EQ(breaker.snapshot(0).failure_rate, 1.0);
  call(breaker, CallResult::failure, 0);
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::open);
  EXPECT_EQ(breaker.snapshot(0).trips, 1u);
}

TEST(BreakerTrip, TripsWhenTheFailureRateReachesItsThreshold) {
  Breaker breaker(test_config());
  calls(breaker, 6, CallResult::success, 0);
  calls(breaker, 5, CallResult::failure, 0);  // 5 of 11
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::closed);
  call(breaker, CallResult::failure, 0);  // 6 of 12: exactly 0.5
  const BreakerSnapshot s = breaker.snapshot(0);
  EXPECT_EQ(s.state, BreakerState::open);
  EXPECT_EQ(s.open_until_ns, from_s(1));
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, BreakerReason::failure_rate);
  EXPECT_EQ(events[0].failure_rate, 0.5);
  EXPECT_EQ(events[0].calls, 12u);
}

TEST(BreakerTrip, ThresholdsAreComparedAsExactFractions) {
  BreakerConfig config = test_config();
  config.failure_rate = 0.1;
  config.minimum_calls = 30;
  Breaker breaker(config);
  calls(breaker, 27, CallResult::success, 0);
  calls(breaker, 3, CallResult::failure, 0);  // 3 / 30 is 0.1; 0.1 * 30 would round above 3
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::open);
}

TEST(BreakerTrip, TripsOnTheSlowCallRate) {
  BreakerConfig config = test_config();
  config.slow_call_rate = 0.5;
  Breaker breaker(config);
  calls(breaker, 5, CallResult::success, 0, from_s(1) - 1);  // just under slow_call_ns
  calls(breaker, 4, CallResult::success, 0, from_s(1));      // at slow_call_ns: slow
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::closed);
  EXPECT_EQ(breaker.snapshot(0).slow_calls, 4u);
  call(breaker, CallResult::success, 0, from_s(1));
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::open);
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, BreakerReason::slow_call_rate);
  EXPECT_EQ(events[0].slow_call_rate, 0.5);
}

TEST(BreakerTrip, SlowCallRateOfOneNeedsEveryCallSlowAndOffNeverTrips) {
  Breaker all(test_config());  // slow_call_rate 1.0
  calls(all, 9, CallResult::success, 0, from_s(2));
  call(all, CallResult::success, 0, kFast);
  EXPECT_EQ(all.snapshot(0).state, BreakerState::closed);
  calls(all, 10, CallResult::success, from_s(20), from_s(2));
  EXPECT_EQ(all.snapshot(from_s(20)).state, BreakerState::open);

  BreakerConfig config = test_config();
  config.slow_call_rate = kRateOff;
  Breaker off(config);
  calls(off, 100, CallResult::success, 0, from_s(2));
  EXPECT_EQ(off.snapshot(0).state, BreakerState::closed);
  EXPECT_EQ(off.snapshot(0).slow_call_rate, 1.0);
}

TEST(BreakerTrip, IgnoredResultsCountForNothing) {
  Breaker breaker(test_config());
  calls(breaker, 100, CallResult::ignored, 0, from_s(5));
  calls(breaker, 9, CallResult::failure, 0);
  BreakerSnapshot s = breaker.snapshot(0);
  EXPECT_EQ(s.state, BreakerState::closed);
  EXPECT_EQ(s.calls, 9u);
  EXPECT_EQ(s.slow_calls, 0u);
  call(breaker, CallResult::failure, 0);
  EXPECT_EQ(breaker.snapshot(0).state, BreakerState::open);
}

TEST(BreakerTrip, ResultsOfCallsAdmittedBeforeATripAreLate) {
  Breaker breaker(test_config());
  const Permit early = breaker.try_acquire(0);
  trip(breaker);
  breaker.record(early, CallResult::failure, kFast, from_ms(10));
  const BreakerSnapshot s = breaker.snapshot(from_ms(10));
  EXPECT_EQ(s.late_results, 1u);
  EXPECT_EQ(s.calls, 0u);  // opening cleared the window and the late result stays out of it
  breaker.record(Permit{}, CallResult::failure, kFast, from_ms(10));  // a rejection: nothing
  EXPECT_EQ(breaker.snapshot(from_ms(10)).late_results, 1u);
}

// --- open, half-open, back-off ---

TEST(BreakerOpen, RejectsAndCountsRejections) {
  Breaker breaker(test_config());
  trip(breaker);
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(breaker.try_acquire(from_ms(500)).admitted());
  const BreakerSnapshot s = breaker.snapshot(from_ms(500));
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(s.open_until_ns, from_s(1));
  EXPECT_EQ(s.consecutive_trips, 1u);
  EXPECT_EQ(s.calls, 0u);
}

TEST(BreakerOpen, TurnsHalfOpenWhenTheIntervalHasElapsed) {
  Breaker breaker(test_config());
  trip(breaker, from_ms(100));
  EXPECT_FALSE(breaker.try_acquire(from_ms(1100) - 1).admitted());
  EXPECT_EQ(breaker.state(from_ms(1100) - 1), BreakerState::open);
  EXPECT_EQ(breaker.state(from_ms(1100)), BreakerState::half_open);
  const Permit probe = breaker.try_acquire(from_ms(1100));
  EXPECT_TRUE(probe.admitted());
  EXPECT_TRUE(probe.is_probe());
  EXPECT_EQ(probe.lease_until_ns(), from_ms(2100));
}

TEST(BreakerOpen, LateNoticedTransitionsAreStampedWhenTheyWereDue) {
  Breaker breaker(test_config());
  trip(breaker);
  (void)drain(breaker);
  EXPECT_EQ(breaker.state(from_s(30)), BreakerState::half_open);
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, BreakerReason::open_interval_elapsed);
  EXPECT_EQ(events[0].at_ns, from_s(1));
}

TEST(BreakerOpen, BackOffDoublesOnEachFailedProbeUpToTheCap) {
  Breaker breaker(test_config());  // open 1 s, x2, at most 5 s
  trip(breaker);
  TimeNs now = 0;
  const std::vector<TimeNs> intervals{from_s(1), from_s(2), from_s(4), from_s(5), from_s(5)};
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    const BreakerSnapshot s = breaker.snapshot(now);
    EXPECT_EQ(s.open_until_ns, now + intervals[i]) << "trip " << i + 1;
    EXPECT_EQ(s.consecutive_trips, i + 1);
    now = s.open_until_ns;
    const Permit probe = breaker.try_acquire(now);
    ASSERT_TRUE(probe.is_probe());
    breaker.record(probe, CallResult::failure, kFast, now);
  }
  EXPECT_EQ(breaker.snapshot(now).trips, 6u);
}

TEST(BreakerOpen, ClosingResetsTheBackOff) {
  Breaker breaker(test_config());
  trip(breaker);
  Permit probe = breaker.try_acquire(from_s(1));
  breaker.record(probe, CallResult::failure, kFast, from_s(1));  // second trip: 2 s
  ASSERT_EQ(breaker.snapshot(from_s(1)).open_until_ns, from_s(3));
  for (int i = 0; i < 2; ++i) {
    probe = breaker.try_acquire(from_s(3));
    ASSERT_TRUE(probe.is_probe());
    breaker.record(probe, CallResult::success, kFast, from_s(3));
  }
  EXPECT_EQ(breaker.state(from_s(3)), BreakerState::closed);
  EXPECT_EQ(breaker.snapshot(from_s(3)).consecutive_trips, 0u);
  EXPECT_EQ(breaker.snapshot(from_s(3)).calls, 0u);
  trip(breaker, from_s(4));
  EXPECT_EQ(breaker.snapshot(from_s(4)).open_until_ns, from_s(5));  // 1 s again
}

TEST(BreakerOpen, SlowProbesFailAndIgnoredProbesFreeTheirSlot) {
  BreakerConfig config = test_config();
  config.slow_call_rate = 0.9;
  Breaker breaker(config);
  trip(breaker);
  const Permit ignored = breaker.try_acquire(from_s(1));
  breaker.record(ignored, CallResult::ignored, kFast, from_s(1));
  EXPECT_EQ(breaker.snapshot(from_s(1)).probes_in_flight, 0u);
  EXPECT_EQ(breaker.snapshot(from_s(1)).probe_successes, 0u);
  const Permit slow = breaker.try_acquire(from_s(1));
  breaker.record(slow, CallResult::success, from_s(1), from_s(2) - 1);
  EXPECT_EQ(breaker.state(from_s(2) - 1), BreakerState::open);
  const auto events = drain(breaker);
  EXPECT_EQ(events.back().reason, BreakerReason::probe_failed);
}

// --- probes ---

TEST(BreakerProbes, AtMostTheConfiguredNumberAreInFlight) {
  Breaker breaker(test_config());  // 2 probes, 2 successes to close
  trip(breaker);
  const TimeNs t = from_s(1);
  const Permit first = breaker.try_acquire(t);
  const Permit second = breaker.try_acquire(t);
  ASSERT_TRUE(first.is_probe());
  ASSERT_TRUE(second.is_probe());
  EXPECT_NE(first.probe_slot(), second.probe_slot());
  EXPECT_FALSE(breaker.try_acquire(t).admitted());
  EXPECT_EQ(breaker.snapshot(t).probes_in_flight, 2u);

  breaker.record(first, CallResult::success, kFast, t);
  EXPECT_EQ(breaker.snapshot(t).probe_successes, 1u);
  const Permit third = breaker.try_acquire(t);  // the freed slot takes another probe
  ASSERT_TRUE(third.is_probe());
  EXPECT_EQ(third.probe_slot(), first.probe_slot());
  breaker.record(second, CallResult::success, kFast, t);
  EXPECT_EQ(breaker.state(t), BreakerState::closed);

  breaker.record(third, CallResult::failure, kFast, t);  // its episode is over: harmless
  EXPECT_EQ(breaker.state(t), BreakerState::closed);
  EXPECT_EQ(breaker.snapshot(t).late_results, 1u);
  EXPECT_TRUE(breaker.try_acquire(t).admitted());
}

TEST(BreakerProbes, AnExpiredLeaseFreesItsSlotAndCountsAsAFailure) {
  Breaker breaker(test_config());  // lease 1 s
  trip(breaker);
  const Permit lost = breaker.try_acquire(from_s(1));
  const Permit slow = breaker.try_acquire(from_ms(1200));
  ASSERT_TRUE(lost.is_probe());
  ASSERT_TRUE(slow.is_probe());
  (void)drain(breaker);
  EXPECT_FALSE(breaker.try_acquire(from_s(2) - 1).admitted());  // both slots still held
  EXPECT_EQ(breaker.state(from_s(2) - 1), BreakerState::half_open);

  EXPECT_FALSE(breaker.try_acquire(from_ms(2050)).admitted());  // noticed late, stamped at 2 s
  BreakerSnapshot s = breaker.snapshot(from_ms(2050));
  EXPECT_EQ(s.state, BreakerState::open);
  EXPECT_EQ(s.open_until_ns, from_s(4));  // second trip: 2 s from the lease's end
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, BreakerReason::probe_lease_expired);
  EXPECT_EQ(events[0].at_ns, from_s(2));

  breaker.record(lost, CallResult::success, kFast, from_ms(2100));  // harmless
  breaker.record(slow, CallResult::success, kFast, from_ms(2100));  // harmless too
  s = breaker.snapshot(from_ms(2100));
  EXPECT_EQ(s.state, BreakerState::open);
  EXPECT_EQ(s.open_until_ns, from_s(4));
  EXPECT_EQ(s.late_results, 2u);

  // The next half-open episode has both slots again.
  EXPECT_TRUE(breaker.try_acquire(from_s(4)).is_probe());
  EXPECT_TRUE(breaker.try_acquire(from_s(4)).is_probe());
}

TEST(BreakerProbes, ARecordAfterTheLeaseIsTheLeaseExpiring) {
  Breaker breaker(test_config());
  trip(breaker);
  const Permit probe = breaker.try_acquire(from_s(1));
  (void)drain(breaker);
  breaker.record(probe, CallResult::success, kFast, from_s(2));  // nobody polled in between
  EXPECT_EQ(breaker.state(from_s(2)), BreakerState::open);
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, BreakerReason::probe_lease_expired);
  EXPECT_EQ(events[0].at_ns, from_s(2));
}

TEST(BreakerProbes, AnEarlierLostProbeOutranksALaterSuccess) {
  BreakerConfig config = test_config();
  config.probes_to_close = 1;
  Breaker breaker(config);
  trip(breaker);
  const Permit lost = breaker.try_acquire(from_s(1));  // lease ends at 2 s
  const Permit good = breaker.try_acquire(from_ms(1500));
  ASSERT_TRUE(lost.is_probe());
  ASSERT_TRUE(good.is_probe());
  breaker.record(good, CallResult::success, kFast, from_ms(2200));  // after the loss
  EXPECT_EQ(breaker.state(from_ms(2200)), BreakerState::open);
  EXPECT_EQ(breaker.snapshot(from_ms(2200)).open_until_ns, from_s(4));
  EXPECT_EQ(breaker.snapshot(from_ms(2200)).late_results, 1u);
}

// --- forcing ---

TEST(BreakerForce, ForcedOpenRejectsAndNeverHalfOpens) {
  Breaker breaker(test_config());
  breaker.force(ForceMode::forced_open, from_s(1));
  breaker.force(ForceMode::forced_open, from_s(2));  // already: no event
  EXPECT_FALSE(breaker.try_acquire(from_s(1)).admitted());
  EXPECT_EQ(breaker.state(from_s(3600)), BreakerState::open);
  const BreakerSnapshot s = breaker.snapshot(from_s(3600));
  EXPECT_EQ(s.force, ForceMode::forced_open);
  EXPECT_EQ(s.open_until_ns, 0);
  EXPECT_EQ(s.trips, 0u);  // forcing is not a trip
  EXPECT_EQ(drain(breaker).size(), 1u);
}

TEST(BreakerForce, ForcedClosedAdmitsAndMeasuresButNeverTrips) {
  Breaker breaker(test_config());
  trip(breaker);
  breaker.force(ForceMode::forced_closed, from_ms(10));
  calls(breaker, 100, CallResult::failure, from_ms(20));
  BreakerSnapshot s = breaker.snapshot(from_ms(20));
  EXPECT_EQ(s.state, BreakerState::closed);
  EXPECT_EQ(s.force, ForceMode::forced_closed);
  EXPECT_EQ(s.calls, 100u);
  EXPECT_EQ(s.failure_rate, 1.0);

  breaker.force(ForceMode::none, from_ms(30));  // a fresh closed breaker
  s = breaker.snapshot(from_ms(30));
  EXPECT_EQ(s.force, ForceMode::none);
  EXPECT_EQ(s.calls, 0u);
  EXPECT_EQ(s.consecutive_trips, 0u);
  calls(breaker, 9, CallResult::failure, from_ms(40));
  EXPECT_EQ(breaker.state(from_ms(40)), BreakerState::closed);
  call(breaker, CallResult::failure, from_ms(40));
  EXPECT_EQ(breaker.snapshot(from_ms(40)).open_until_ns, from_ms(1040));  // back-off reset

  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].reason, BreakerReason::forced_closed);
  EXPECT_EQ(events[1].from, BreakerState::open);
  EXPECT_EQ(events[2].reason, BreakerReason::force_cleared);
  EXPECT_EQ(events[2].at_ns, from_ms(30));
}

TEST(BreakerForce, ProbesOfAForcedAwayEpisodeAreHarmless) {
  Breaker breaker(test_config());
  trip(breaker);
  const Permit probe = breaker.try_acquire(from_s(1));
  ASSERT_TRUE(probe.is_probe());
  breaker.force(ForceMode::forced_open, from_s(1));
  breaker.record(probe, CallResult::failure, kFast, from_s(1));
  EXPECT_EQ(breaker.snapshot(from_s(1)).force, ForceMode::forced_open);
  EXPECT_EQ(breaker.snapshot(from_s(1)).late_results, 1u);
}

// --- events ---

TEST(BreakerEvents, EveryTransitionIsRecordedWithItsReasonAndTime) {
  Breaker breaker(test_config());
  trip(breaker, from_ms(100));                                       // closed -> open
  Permit probe = breaker.try_acquire(from_ms(1100));                 // -> half_open
  breaker.record(probe, CallResult::failure, kFast, from_ms(1200));  // -> open, 2 s
  probe = breaker.try_acquire(from_ms(3200));                        // -> half_open
  breaker.record(probe, CallResult::success, kFast, from_ms(3300));
  probe = breaker.try_acquire(from_ms(3300));
  breaker.record(probe, CallResult::success, kFast, from_ms(3400));  // -> closed
  breaker.force(ForceMode::forced_open, from_ms(3500));
  breaker.force(ForceMode::none, from_ms(3600));

  struct Expected {
    TimeNs at_ns;
    BreakerState from, to;
    BreakerReason reason;
  };
  using S = BreakerState;
  using R = BreakerReason;
  const std::vector<Expected> expected{
      {from_ms(100), S::closed, S::open, R::failure_rate},
      {from_ms(1100), S::open, S::half_open, R::open_interval_elapsed},
      {from_ms(1200), S::half_open, S::open, R::probe_failed},
      {from_ms(3200), S::open, S::half_open, R::open_interval_elapsed},
      {from_ms(3400), S::half_open, S::closed, R::probes_succeeded},
      {from_ms(3500), S::closed, S::open, R::forced_open},
      {from_ms(3600), S::open, S::closed, R::force_cleared},
  };
  std::vector<BreakerEvent> events(3);
  ASSERT_EQ(breaker.drain_events(events), 3u);  // a short span takes the oldest first
  events.resize(3 + expected.size());
  ASSERT_EQ(breaker.drain_events(std::span(events).subspan(3)), expected.size() - 3);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(events[i].at_ns, expected[i].at_ns) << i;
    EXPECT_EQ(events[i].from, expected[i].from) << i;
    EXPECT_EQ(events[i].to, expected[i].to) << i;
    EXPECT_EQ(events[i].reason, expected[i].reason) << i;
  }
  EXPECT_EQ(events[0].calls, 10u);
  EXPECT_EQ(events[0].failure_rate, 1.0);
  EXPECT_EQ(events[0].open_until_ns, from_ms(1100));
  EXPECT_EQ(events[2].open_until_ns, from_ms(3200));
  EXPECT_TRUE(drain(breaker).empty());
}

TEST(BreakerEvents, TheRingKeepsTheNewestAndCountsWhatItDropped) {
  Breaker breaker(test_config());
  constexpr int kTransitions = 300;
  for (int i = 0; i < kTransitions; ++i) {
    breaker.force(i % 2 == 0 ? ForceMode::forced_open : ForceMode::none, i);
  }
  const auto events = drain(breaker);
  ASSERT_EQ(events.size(), Breaker::kEventCapacity);
  EXPECT_EQ(events.front().at_ns, kTransitions - 256);
  EXPECT_EQ(events.back().at_ns, kTransitions - 1);
  EXPECT_EQ(breaker.snapshot(0).events_dropped, 44u);
}

// --- configuration and names ---

TEST(BreakerConfigCheck, DefaultsAreValid) { EXPECT_EQ(BreakerConfig{}.validate(), std::nullopt); }

TEST(BreakerConfigCheck, MessagesNameTheBadField) {
  const auto message_for = [](auto change) {
    BreakerConfig c;
    change(c);
    return c.validate().value_or("(valid)");
  };
  const auto starts = [](const std::string& message, const std::string& prefix) {
    return message.rfind(prefix, 0) == 0;
  };
  EXPECT_EQ(message_for([](BreakerConfig& c) { c.bucket_ns = from_ms(250); }),
            "bucket_ns: expected at most 100 ms, got 250000000 ns");
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.bucket_ns = 10; }), "bucket_ns:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.window_ns = from_ms(1050); }),
                     "window_ns: expected a positive multiple of bucket_ns"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.window_ns = from_s(200); }),
                     "window_ns: expected at most 1024 buckets"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.failure_rate = 1.5; }), "failure_rate:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.failure_rate = 0.0; }), "failure_rate:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.slow_call_rate = std::nan(""); }),
                     "slow_call_rate:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.slow_call_ns = 0; }), "slow_call_ns:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.minimum_calls = 0; }), "minimum_calls:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.open_ns = 0; }), "open_ns:"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.max_open_ns = from_s(1); }),
                     "max_open_ns: expected at least open_ns"));
  EXPECT_TRUE(starts(message_for([](BreakerConfig& c) { c.backoff = 0.5; }), "backoff:"));
  EXPECT_TRUE(
      starts(message_for([](BreakerConfig& c) { c.half_open_probes = 65; }), "half_open_probes:"));
  EXPECT_TRUE(
      starts(message_for([](BreakerConfig& c) { c.probes_to_close = 0; }), "probes_to_close:"));
  EXPECT_TRUE(
      starts(message_for([](BreakerConfig& c) { c.probe_lease_ns = -1; }), "probe_lease_ns:"));
  EXPECT_EQ(message_for([](BreakerConfig& c) { c.slow_call_rate = kRateOff; }), "(valid)");
}

TEST(BreakerConfigCheck, TheConstructorRefusesAnInvalidConfig) {
  BreakerConfig config;
  config.half_open_probes = 0;
  EXPECT_THROW(Breaker{config}, std::invalid_argument);
}

TEST(BreakerNames, AreLowerSnakeCase) {
  EXPECT_EQ(to_string(BreakerState::half_open), "half_open");
  EXPECT_EQ(to_string(ForceMode::forced_closed), "forced_closed");
  EXPECT_EQ(to_string(CallResult::ignored), "ignored");
  EXPECT_EQ(to_string(BreakerReason::probe_lease_expired), "probe_lease_expired");
  EXPECT_EQ(to_string(BreakerReason::force_cleared), "force_cleared");
}

// --- determinism ---

// One scripted run with pseudo-random outcomes, latencies and gaps; returns its event log.
std::vector<BreakerEvent> scripted_run(std::uint64_t seed) {
  Breaker breaker(test_config());
  std::uint64_t x = seed;
  const auto next = [&x] {  // xorshift64: the test only needs a fixed, seeded sequence
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  TimeNs now = 0;
  std::vector<BreakerEvent> log;
  for (int i = 0; i < 20'000; ++i) {
    now += static_cast<TimeNs>(next() % 20'000'000);
    const Permit permit = breaker.try_acquire(now);
    const auto roll = next() % 10;
    const bool bad_phase = (i / 1'000) % 2 == 0;  // the channel sickens and recovers
    const CallResult result = roll < (bad_phase ? 7u : 2u) ? CallResult::failure
                              : roll < 9                   ? CallResult::success
                                                           : CallResult::ignored;
    if (permit.admitted() && next() % 8 != 0) {  // some probes are lost
      breaker.record(permit, result, static_cast<TimeNs>(next() % 1'500'000'000), now);
    }
    const auto drained = drain(breaker);
    log.insert(log.end(), drained.begin(), drained.end());
  }
  return log;
}

TEST(BreakerDeterminism, TheSameCallsGiveTheSameEvents) {
  const auto first = scripted_run(42);
  const auto second = scripted_run(42);
  ASSERT_GT(first.size(), 20u);  // the script exercises trips, probes and closes
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].at_ns, second[i].at_ns) << i;
    EXPECT_EQ(first[i].reason, second[i].reason) << i;
    EXPECT_EQ(first[i].to, second[i].to) << i;
    EXPECT_EQ(first[i].open_until_ns, second[i].open_until_ns) << i;
  }
  const auto has = [&first](BreakerReason reason) {
    return std::any_of(first.begin(), first.end(),
                       [reason](const BreakerEvent& e) { return e.reason == reason; });
  };
  EXPECT_TRUE(has(BreakerReason::failure_rate));
  EXPECT_TRUE(has(BreakerReason::probes_succeeded));
  EXPECT_TRUE(has(BreakerReason::probe_failed));
  EXPECT_TRUE(has(BreakerReason::probe_lease_expired));
}

// Against a reference that keeps every call and counts the window from scratch: the breaker
// trips at exactly the same record, over thousands of random records and many windows.
TEST(BreakerDeterminism, TripsExactlyWhenAFromScratchCountSaysSo) {
  BreakerConfig config = test_config();
  config.window_ns = from_s(1);
  config.minimum_calls = 20;
  config.failure_rate = 0.3;
  config.slow_call_rate = 0.4;
  config.slow_call_ns = from_ms(500);
  Breaker breaker(config);
  struct Call {
    std::int64_t bucket;
    bool failed, slow;
  };
  std::vector<Call> episode;  // every call since the breaker last (re)started closed
  std::uint64_t x = 7;
  const auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  TimeNs now = 0;
  int trips = 0;
  for (int i = 0; i < 50'000; ++i) {
    now += static_cast<TimeNs>(next() % 4'000'000);
    const bool sick = (i / 3'000) % 2 == 1;
    const bool failed = next() % 100 < (sick ? 35u : 10u);
    const TimeNs latency = static_cast<TimeNs>(next() % (sick ? 900'000'000 : 600'000'000));
    call(breaker, failed ? CallResult::failure : CallResult::success, now, latency);
    const std::int64_t bucket = now / config.bucket_ns;
    episode.push_back({bucket, failed, latency >= config.slow_call_ns});
    std::uint64_t calls = 0, failures = 0, slow = 0;
    for (const Call& c : episode) {
      if (c.bucket <= bucket - 10) continue;
      ++calls;
      failures += c.failed;
      slow += c.slow;
    }
    const bool should_trip =
        calls >= 20 && (static_cast<double>(failures) / static_cast<double>(calls) >= 0.3 ||
                        static_cast<double>(slow) / static_cast<double>(calls) >= 0.4);
    ASSERT_EQ(breaker.snapshot(now).state == BreakerState::open, should_trip)
        << "record " << i << ": " << calls << " calls, " << failures << " failed, " << slow
        << " slow";
    ASSERT_EQ(breaker.snapshot(now).calls, should_trip ? 0u : calls) << "record " << i;
    if (should_trip) {
      ++trips;
      breaker.force(ForceMode::forced_closed, now);  // back to closed, with a fresh window
      breaker.force(ForceMode::none, now);
      episode.clear();
    }
  }
  EXPECT_GT(trips, 10);
}

// --- threads ---

constexpr int kThreads = 4;
constexpr int kCallsPerThread = 20'000;

TEST(BreakerThreads, ConcurrentRecordsAllCount) {
  Breaker breaker(counting_config());
  call(breaker, CallResult::success, 0);  // the first record lays out the window's ring
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&breaker, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Spread over 5 s so the buckets rotate while the threads race, each at its own pace.
        const TimeNs now = from_ms(1) + static_cast<TimeNs>(i) * 250'000 + t;
        const Permit permit = breaker.try_acquire(now);
        const CallResult result = i % 4 == 0   ? CallResult::failure
                                  : i % 4 == 1 ? CallResult::ignored
                                               : CallResult::success;
        breaker.record(permit, result, i % 5 == 0 ? from_s(2) : kFast, now);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  const BreakerSnapshot s = breaker.snapshot(from_s(6));
  EXPECT_EQ(s.calls, 1u + kThreads * kCallsPerThread * 3 / 4);
  EXPECT_EQ(s.failures, static_cast<std::uint64_t>(kThreads * kCallsPerThread / 4));
  int slow_per_thread = 0;  // slow among the non-ignored
  for (int i = 0; i < kCallsPerThread; ++i)
    slow_per_thread += (i % 5 == 0 && i % 4 != 1);
  EXPECT_EQ(s.slow_calls, static_cast<std::uint64_t>(kThreads * slow_per_thread));
  EXPECT_EQ(s.rejected, 0u);
}

TEST(BreakerThreads, ConcurrentProbesNeverExceedTheLimit) {
  BreakerConfig config = test_config();
  config.half_open_probes = 3;
  config.probe_lease_ns = BreakerConfig::kMaxIntervalNs;
  Breaker breaker(config);
  trip(breaker);
  ASSERT_EQ(breaker.state(from_s(1)), BreakerState::half_open);
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  std::atomic<std::uint64_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const Permit permit = breaker.try_acquire(from_s(1) + i);
        if (!permit.admitted()) continue;
        admitted.fetch_add(1);
        const int now_in_flight = in_flight.fetch_add(1) + 1;
        int seen = most.load();
        while (now_in_flight > seen && !most.compare_exchange_weak(seen, now_in_flight)) {
        }
        in_flight.fetch_sub(1);
        // Ignored probes free their slot and count for nothing: the episode never ends.
        breaker.record(permit, CallResult::ignored, kFast, from_s(1) + i);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
  const BreakerSnapshot s = breaker.snapshot(from_s(2));
  EXPECT_EQ(s.state, BreakerState::half_open);
  EXPECT_EQ(s.probes_in_flight, 0u);
  EXPECT_EQ(s.rejected + admitted.load(), static_cast<std::uint64_t>(kThreads * kCallsPerThread));
}

TEST(BreakerThreads, TripsProbesAndClosesStayConsistentUnderContention) {
  BreakerConfig config = test_config();
  config.window_ns = from_s(1);
  config.bucket_ns = from_ms(10);
  config.open_ns = from_ms(1);
  config.max_open_ns = from_ms(8);
  config.probe_lease_ns = from_ms(2);
  Breaker breaker(config);
  std::atomic<std::uint64_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&breaker, &admitted, t] {
      std::uint64_t mine = 0;
      for (int i = 0; i < kCallsPerThread; ++i) {
        const TimeNs now = static_cast<TimeNs>(i) * 10'000 + t;
        const Permit permit = breaker.try_acquire(now);
        if (!permit.admitted()) continue;
        ++mine;
        // Failing half the time in bursts, so the breaker cycles through every state.
        const bool bad = (i / 500) % 2 == 0 && i % 3 != 0;
        if (i % 17 != 0)
          breaker.record(permit, bad ? CallResult::failure : CallResult::success, kFast,
                         now + 5'000);
      }
      admitted.fetch_add(mine);
    });
  }
  std::vector<BreakerEvent> events;
  std::vector<BreakerEvent> chunk(64);
  for (int i = 0; i < 200; ++i) {  // a reader drains while the writers run
    const std::size_t n = breaker.drain_events(chunk);
    events.insert(events.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    std::this_thread::yield();
  }
  for (auto& thread : threads)
    thread.join();
  const BreakerSnapshot s = breaker.snapshot(from_s(1));
  EXPECT_EQ(s.rejected + admitted.load(), static_cast<std::uint64_t>(kThreads * kCallsPerThread));
  EXPECT_GE(s.trips, 1u);
  const auto rest = drain(breaker);
  events.insert(events.end(), rest.begin(), rest.end());
  EXPECT_GE(events.size() + s.events_dropped, s.trips);
  for (const BreakerEvent& e : events)
    EXPECT_NE(e.from, e.to);  // nobody forced anything
}

}  // namespace
}  // namespace fusebox::gateway
