// The recorder counts every answer once per channel and in the whole load, by planned time,
// freezes each second once no answer can still come for it, and keeps what the checker needs.

#include <gtest/gtest.h>

#include "fusebox/harness/load.hpp"

#include "order_store.hpp"

namespace fusebox::harness {
namespace {

constexpr TimeNs kMs = kNsPerMs;

PlannedRequest planned_at(TimeNs at_ns, Op op = Op::pay) {
  PlannedRequest request;
  request.at_ns = at_ns;
  request.op = op;
  return request;
}

// Plans, sends and answers one request `latency_ns` after its planned time.
void play(Recorder& recorder, TimeNs at_ns, TimeNs latency_ns, Outcome outcome,
          const std::string& channel, Op op = Op::pay) {
  const PlannedRequest request = planned_at(at_ns, op);
  recorder.on_planned(request);
  recorder.on_sent(request, at_ns, channel);
  Answer answer;
  answer.op = op;
  answer.channel = channel;
  answer.outcome = outcome;
  answer.planned_ns = at_ns;
  answer.sent_ns = at_ns;
  answer.done_ns = at_ns + latency_ns;
  answer.http_status = 200;
  recorder.on_answer(answer);
}

std::size_t at(Outcome outcome) { return static_cast<std::size_t>(outcome); }

TEST(LoadRecorder, CountsOutcomesPerChannelAndOverall) {
  Recorder recorder({"a", "b"}, {}, 10, 1);
  play(recorder, 100 * kMs, 5 * kMs, Outcome::ok, "a");
  play(recorder, 200 * kMs, 5 * kMs, Outcome::declined, "a");
  play(recorder, 300 * kMs, 5 * kMs, Outcome::rejected, "b");
  play(recorder, 400 * kMs, 5 * kMs, Outcome::timeout, "");
  play(recorder, 500 * kMs, 5 * kMs, Outcome::ok, "unknown");  // counts only overall
  recorder.finish();
  const SecondStats& all = recorder.seconds("").at(0);
  EXPECT_EQ(all.sent, 5U);
  EXPECT_EQ(all.outcomes[at(Outcome::ok)], 2U);
  EXPECT_EQ(all.outcomes[at(Outcome::timeout)], 1U);
  const SecondStats& a = recorder.seconds("a").at(0);
  EXPECT_EQ(a.sent, 2U);
  EXPECT_EQ(a.outcomes[at(Outcome::ok)], 1U);
  EXPECT_EQ(a.outcomes[at(Outcome::declined)], 1U);
  EXPECT_EQ(recorder.seconds("b").at(0).outcomes[at(Outcome::rejected)], 1U);
  EXPECT_EQ(recorder.run_latency("").count(), 5U);
  EXPECT_EQ(recorder.run_latency("a").count(), 2U);
  EXPECT_EQ(recorder.planned(), 5U);
  EXPECT_EQ(recorder.sent(), 5U);
  EXPECT_EQ(recorder.channels(), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW((void)recorder.seconds("unknown"), std::out_of_range);
}

TEST(LoadRecorder, SecondsByPlannedTimeWithPercentiles) {
  Recorder recorder({"a"}, {}, 3, 1);
  for (int i = 0; i < 100; ++i)
    play(recorder, i * kMs, (i + 1) * kMs, Outcome::ok, "a");
  // Planned in second 2, answered 1.5 s later (in second 3): it belongs to second 2.
  play(recorder, 2'100 * kMs, 1'500 * kMs, Outcome::ok, "a");
  recorder.finish();
  const auto& seconds = recorder.seconds("a");
  ASSERT_EQ(seconds.size(), 3U);
  EXPECT_EQ(seconds[0].sent, 100U);
  EXPECT_NEAR(seconds[0].p50_ms, 50, 0.1);
  EXPECT_NEAR(seconds[0].p99_ms, 99, 0.1);
  EXPECT_NEAR(seconds[0].max_ms, 100, 0.1);
  // A second with no answer: zeros, never NaN.
  EXPECT_EQ(seconds[1].sent, 0U);
  EXPECT_EQ(seconds[1].p99_ms, 0);
  EXPECT_EQ(seconds[2].sent, 1U);
  EXPECT_NEAR(seconds[2].max_ms, 1500, 1);
}

TEST(LoadRecorder, SecondClosesOnlyAfterItsEndPlusTheTimeout) {
  Recorder recorder({}, {}, 10, 2);
  play(recorder, 500 * kMs, 40 * kMs, Outcome::ok, "");
  recorder.advance(3'000 * kMs);  // second 0 ends at 1 s; + 2 s timeout = 3 s: still open
  EXPECT_EQ(recorder.seconds("")[0].p50_ms, 0);
  play(recorder, 900 * kMs, 2'000 * kMs, Outcome::ok, "");  // a slow answer still lands
  recorder.advance(3'000 * kMs + 1);
  EXPECT_NEAR(recorder.seconds("")[0].p50_ms, 40, 0.1);
  EXPECT_NEAR(recorder.seconds("")[0].max_ms, 2'000, 2);
  // An answer for a frozen second still counts, but no longer moves its percentiles.
  play(recorder, 800 * kMs, 5'000 * kMs, Outcome::timeout, "");
  EXPECT_EQ(recorder.seconds("")[0].outcomes[at(Outcome::timeout)], 1U);
  EXPECT_NEAR(recorder.seconds("")[0].max_ms, 2'000, 2);
}

TEST(LoadRecorder, RingIsReusedOverALongRun) {
  const int seconds = 40;
  Recorder recorder({"a"}, {}, seconds, 1);  // a ring of 3 slots
  for (int s = 0; s < seconds; ++s) {
    for (int i = 0; i < 10; ++i) {
      play(recorder, s * kNsPerS + i * 10 * kMs, (s + 1) * kMs, Outcome::ok, "a");
    }
    recorder.advance((s + 1) * kNsPerS);
  }
  recorder.finish();
  for (int s = 0; s < seconds; ++s) {
    const SecondStats& stats = recorder.seconds("a")[static_cast<std::size_t>(s)];
    ASSERT_EQ(stats.sent, 10U) << s;
    ASSERT_NEAR(stats.p50_ms, s + 1, 0.01 * (s + 1)) << s;
  }
}

TEST(LoadRecorder, WindowsByPlannedTimeAndOperation) {
  Recorder recorder({"a"}, {{0, 1, "pay"}, {1, 2, "pay"}, {0, 2, ""}, {0, 2, "query"}}, 2, 1);
  play(recorder, 500 * kMs, 10 * kMs, Outcome::ok, "a");
  play(recorder, 999 * kMs, 900 * kMs, Outcome::rejected, "a");  // answered in window 1
  play(recorder, 1'500 * kMs, 30 * kMs, Outcome::declined, "a");
  play(recorder, 1'600 * kMs, 1 * kMs, Outcome::ok, "a", Op::query);
  recorder.finish();
  const WindowStats& first = recorder.window(0, "a");
  EXPECT_EQ(first.sent, 2U);
  EXPECT_EQ(first.outcomes[at(Outcome::ok)], 1U);
  EXPECT_EQ(first.outcomes[at(Outcome::rejected)], 1U);
  EXPECT_EQ(first.latency.count(), 2U);
  EXPECT_EQ(first.rejected_latency.count(), 1U);
  EXPECT_NEAR(static_cast<double>(first.rejected_latency.max()), 900e6, 1e6);
  EXPECT_EQ(recorder.window(1, "a").sent, 1U);
  EXPECT_EQ(recorder.window(1, "a").outcomes[at(Outcome::declined)], 1U);
  EXPECT_EQ(recorder.window(2, "").sent, 4U);  // every op
  EXPECT_EQ(recorder.window(3, "").sent, 1U);  // queries only
  EXPECT_EQ(recorder.window(3, "a").latency.count(), 1U);
}

TEST(LoadRecorder, LateSendsAndLateness) {
  Recorder recorder({}, {}, 1, 1);
  const PlannedRequest request = planned_at(0);
  recorder.on_planned(request);
  recorder.on_sent(request, 25 * kMs, "");
  recorder.on_late(25 * kMs);
  EXPECT_EQ(recorder.late(), 1U);
  EXPECT_EQ(recorder.lateness().count(), 1U);
  EXPECT_NEAR(static_cast<double>(recorder.lateness().max()), 25e6, 0.1e6);
}

TEST(LoadRecorder, SeenOrdersSortedWithDistinctPaymentIds) {
  Recorder recorder({}, {}, 1, 1);
  recorder.on_order_status("m-2", "p2", 50, "PROCESSING");
  recorder.on_order_status("m-1", "p1", 70, "PROCESSING");
  recorder.on_order_status("m-2", "p2", 50, "SUCCEEDED");
  recorder.on_order_status("m-2", "p9", 51, "SUCCEEDED");
  recorder.on_idempotency_breach({"m-2", "two payments"});
  const std::vector<SeenOrder> seen = recorder.seen_orders();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].merchant_order_id, "m-1");
  EXPECT_EQ(seen[1].merchant_order_id, "m-2");
  EXPECT_EQ(seen[1].payment_ids, (std::vector<std::string>{"p2", "p9"}));
  EXPECT_EQ(seen[1].status_count, 3U);
  EXPECT_EQ(seen[1].first_status, "PROCESSING");
  EXPECT_EQ(seen[1].first_final_status, "SUCCEEDED");
  EXPECT_EQ(seen[1].first_final_answer, 2U);
  EXPECT_EQ(seen[1].changed_answer, 0U);
  EXPECT_EQ(seen[1].last_status, "SUCCEEDED");
  EXPECT_EQ(seen[1].amount, 50);
  ASSERT_EQ(recorder.idempotency_breaches().size(), 1U);
  EXPECT_EQ(recorder.idempotency_breaches()[0].merchant_order_id, "m-2");
}

// What the checker compares: ids, amount and the folded statuses.
void expect_same(const SeenOrder& got, const SeenOrder& want) {
  EXPECT_EQ(got.merchant_order_id, want.merchant_order_id);
  EXPECT_EQ(got.payment_ids, want.payment_ids) << want.merchant_order_id;
  EXPECT_EQ(got.amount, want.amount) << want.merchant_order_id;
  EXPECT_EQ(got.status_count, want.status_count) << want.merchant_order_id;
  EXPECT_EQ(got.first_status, want.first_status) << want.merchant_order_id;
  EXPECT_EQ(got.first_final_status, want.first_final_status) << want.merchant_order_id;
  EXPECT_EQ(got.first_final_answer, want.first_final_answer) << want.merchant_order_id;
  EXPECT_EQ(got.changed_status, want.changed_status) << want.merchant_order_id;
  EXPECT_EQ(got.changed_answer, want.changed_answer) << want.merchant_order_id;
  EXPECT_EQ(got.last_status, want.last_status) << want.merchant_order_id;
}

TEST(LoadOrderStore, RecordStaysSmall) { EXPECT_LE(sizeof(load::OrderStore::Record), 40U); }

TEST(LoadOrderStore, FoldsStatusesLikeTheChecker) {
  const std::vector<std::string> statuses{"PROCESSING", "SUCCEEDED", "SUCCEEDED", "PROCESSING",
                                          "CLOSED"};
  load::OrderStore store;
  for (const std::string& status : statuses)
    store.add("run-3", "P000000000003", 70, status);
  const std::optional<SeenOrder> got = store.find("run-3");
  ASSERT_TRUE(got.has_value());
  expect_same(*got, SeenOrder::of("run-3", {"P000000000003"}, statuses, 70));
  EXPECT_EQ(got->first_final_answer, 2U);
  EXPECT_EQ(got->changed_answer, 4U);
  EXPECT_EQ(got->changed_status, "PROCESSING");
  EXPECT_EQ(got->last_status, "CLOSED");
}

// Long payment ids, extra distinct ids and ids that are not "<prefix>-<n>" all come back whole.
TEST(LoadOrderStore, KeepsWhatDoesNotFitWhole) {
  const std::string long_id = "pay_0123456789abcdef_long";
  load::OrderStore store;
  store.add("run-1", long_id, 10, "PROCESSING");
  store.add("run-1", long_id, 10, "SUCCEEDED");
  store.add("run-1", "P2", 10, "SUCCEEDED");
  store.add("run-1", "P3", 10, "");
  store.add("run-1", "P2", 10, "");
  store.add("run-007", "P7", 7, "FAILED");        // not canonical: filed by name
  store.add("other-2", "P8", 8, "FAILED");        // another prefix
  store.add("run-999999999", "P9", 9, "FAILED");  // far past the run so far
  store.add("no_dash", "", 0, "PROCESSING");
  EXPECT_EQ(store.size(), 5U);
  const std::optional<SeenOrder> first = store.find("run-1");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->payment_ids, (std::vector<std::string>{long_id, "P2", "P3"}));
  EXPECT_EQ(first->status_count, 3U);
  for (const std::string id : {"run-007", "other-2", "run-999999999", "no_dash"}) {
    const std::optional<SeenOrder> named = store.find(id);
    ASSERT_TRUE(named.has_value()) << id;
    EXPECT_EQ(named->merchant_order_id, id);
  }
  EXPECT_FALSE(store.find("run-7").has_value());
  EXPECT_FALSE(store.find("run-2").has_value());
  EXPECT_FALSE(store.find("run-100").has_value());
}

// Walking the positions in slices visits every order once, the same as one pass.
TEST(LoadOrderStore, SlicesCoverEveryOrderOnce) {
  load::OrderStore store;
  for (int n = 0; n < 300; n += 3)
    store.add("run-" + std::to_string(n), "P" + std::to_string(n), n + 1, "PROCESSING");
  store.add("named", "PX", 5, "FAILED");
  std::vector<std::string> whole, sliced;
  store.for_each([&](const SeenOrder& order) { whole.push_back(order.merchant_order_id); });
  for (std::size_t from = 0; from < store.positions(); from += 7) {
    store.for_each_in(from, from + 7,
                      [&](const SeenOrder& order) { sliced.push_back(order.merchant_order_id); });
  }
  EXPECT_EQ(whole.size(), 101U);
  EXPECT_EQ(sliced, whole);
  EXPECT_EQ(whole.front(), "run-0");
  EXPECT_EQ(whole.back(), "named");
}

}  // namespace
}  // namespace fusebox::harness
