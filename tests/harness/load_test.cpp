// The arrival plan is deterministic and plans the rates, shares, weights and probes its
// load spec asks for; answers are classified as documented; the order book stays bounded.

#include "fusebox/harness/load.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/harness/load_session.hpp"

#include "load_internal.hpp"

namespace fusebox::harness {
namespace {

LoadPhase constant(double at_s, double for_s, double tps) {
  LoadPhase phase;
  phase.kind = LoadPhase::Kind::constant;
  phase.at_s = at_s;
  phase.for_s = for_s;
  phase.tps = tps;
  return phase;
}

LoadPhase ramp(double for_s, double from_tps, double to_tps) {
  LoadPhase phase;
  phase.kind = LoadPhase::Kind::ramp;
  phase.for_s = for_s;
  phase.from_tps = from_tps;
  phase.to_tps = to_tps;
  return phase;
}

LoadSpec spec_of(std::vector<LoadPhase> phases, LoadSpec::Arrivals arrivals) {
  LoadSpec load;
  load.phases = std::move(phases);
  load.arrivals = arrivals;
  return load;
}

std::vector<PlannedRequest> walk(const LoadSpec& load, std::uint64_t seed) {
  ArrivalPlan plan(load, seed);
  std::vector<PlannedRequest> out;
  while (std::optional<PlannedRequest> next = plan.next())
    out.push_back(*next);
  return out;
}

// Arrivals planned in [from_s, to_s).
std::size_t count_between(const std::vector<PlannedRequest>& plan, double from_s, double until_s) {
  std::size_t n = 0;
  for (const PlannedRequest& request : plan) {
    const double t_s = to_s(request.at_ns);
    n += static_cast<std::size_t>(t_s >= from_s && t_s < until_s);
  }
  return n;
}

// |observed - expected| within `relative` of expected.
void expect_near_share(double observed, double expected, double relative, std::uint64_t seed) {
  EXPECT_NEAR(observed, expected, expected * relative)
      << "seed " << seed << ": observed " << observed << ", expected " << expected;
}

constexpr auto kPoisson = LoadSpec::Arrivals::poisson;
constexpr auto kUniform = LoadSpec::Arrivals::uniform;

TEST(LoadPlan, SameSeedGivesTheSameSequence) {
  LoadSpec load = spec_of({constant(0, 20, 200)}, kPoisson);
  load.refund_share = 0.2;
  load.query_share = 0.1;
  load.duplicate_share = 0.1;
  const auto a = walk(load, 7);
  const auto b = walk(load, 7);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].at_ns, b[i].at_ns) << i;
    ASSERT_EQ(a[i].op, b[i].op) << i;
    ASSERT_EQ(a[i].amount_minor, b[i].amount_minor) << i;
    ASSERT_EQ(a[i].probe, b[i].probe) << i;
  }
}

TEST(LoadPlan, DifferentSeedsDiffer) {
  const LoadSpec load = spec_of({constant(0, 10, 100)}, kPoisson);
  const auto a = walk(load, 1);
  const auto b = walk(load, 2);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a[0].at_ns, b[0].at_ns);
  EXPECT_NE(a[0].amount_minor, b[0].amount_minor);
}

// Pinned: a change to the draw order (which would change every replay) must be deliberate.
TEST(LoadPlan, PinnedValues) {
  const LoadSpec load = spec_of({constant(0, 10, 100)}, kPoisson);
  const auto plan = walk(load, 42);
  ASSERT_GE(plan.size(), 3U);
  EXPECT_EQ(plan[0].at_ns, 32207794);
  EXPECT_EQ(plan[1].at_ns, 40467041);
  EXPECT_EQ(plan[2].at_ns, 49617643);
  EXPECT_EQ(plan[0].amount_minor, 15701);
  EXPECT_EQ(plan[1].amount_minor, 66882);
  EXPECT_EQ(plan.size(), 985U);
}

TEST(LoadPlan, TimesAreOrderedAndInsideThePhases) {
  const LoadSpec load = spec_of({constant(0, 5, 300), constant(10, 5, 300)}, kPoisson);
  const auto plan = walk(load, 3);
  for (std::size_t i = 1; i < plan.size(); ++i)
    ASSERT_LE(plan[i - 1].at_ns, plan[i].at_ns);
  EXPECT_EQ(count_between(plan, 5, 10), 0U);  // the gap between the phases
  EXPECT_EQ(count_between(plan, 15, 1e9), 0U);
}

TEST(LoadPlan, CountWalksACopyAndLeavesThePlanAlone) {
  const LoadSpec load = spec_of({constant(0, 10, 100)}, kPoisson);
  ArrivalPlan plan(load, 5);
  const std::optional<PlannedRequest> first = plan.next();
  ASSERT_TRUE(first.has_value());
  const std::uint64_t total = plan.count();
  EXPECT_EQ(total, walk(load, 5).size());
  std::uint64_t rest = 0;
  while (plan.next())
    ++rest;
  EXPECT_EQ(rest + 1, total);
}

TEST(LoadPlan, PoissonConstantRate) {
  const std::uint64_t seed = 11;
  const auto plan = walk(spec_of({constant(0, 100, 1000)}, kPoisson), seed);
  expect_near_share(static_cast<double>(plan.size()), 100'000, 0.015, seed);
  // Exponential gaps: the share of gaps above the mean is e^-1.
  std::size_t above = 0;
  for (std::size_t i = 1; i < plan.size(); ++i) {
    above += static_cast<std::size_t>(plan[i].at_ns - plan[i - 1].at_ns > 1'000'000);
  }
  expect_near_share(static_cast<double>(above) / static_cast<double>(plan.size()), std::exp(-1.0),
                    0.03, seed);
}

TEST(LoadPlan, UniformConstantRateIsEvenlySpaced) {
  const auto plan = walk(spec_of({constant(0, 100, 1000)}, kUniform), 1);
  ASSERT_EQ(plan.size(), 100'000U);
  EXPECT_EQ(plan[0].at_ns, 0);
  for (std::size_t i = 1; i < plan.size(); ++i) {
    ASSERT_NEAR(static_cast<double>(plan[i].at_ns - plan[i - 1].at_ns), 1e6, 2) << i;
  }
}

TEST(LoadPlan, RampRates) {
  for (const auto arrivals : {kPoisson, kUniform}) {
    const std::uint64_t seed = 21;
    const auto plan = walk(spec_of({ramp(100, 0, 1000)}, arrivals), seed);
    const double tolerance = arrivals == kPoisson ? 0.03 : 0.001;
    expect_near_share(static_cast<double>(plan.size()), 50'000, tolerance, seed);
    // The first half of a linear ramp from 0 holds a quarter of it.
    expect_near_share(static_cast<double>(count_between(plan, 0, 50)), 12'500, tolerance, seed);
    expect_near_share(static_cast<double>(count_between(plan, 90, 100)), 9'500, 0.04, seed);
  }
}

TEST(LoadPlan, StepRates) {
  LoadPhase step;
  step.kind = LoadPhase::Kind::step;
  step.for_s = 40;
  step.from_tps = 100;
  step.to_tps = 400;
  step.steps = 4;
  for (const auto arrivals : {kPoisson, kUniform}) {
    const std::uint64_t seed = 31;
    const auto plan = walk(spec_of({step}, arrivals), seed);
    const double tolerance = arrivals == kPoisson ? 0.1 : 0.002;
    for (int stair = 0; stair < 4; ++stair) {
      const double from_s = stair * 10.0;
      expect_near_share(static_cast<double>(count_between(plan, from_s, from_s + 10)),
                        (100.0 + 100.0 * stair) * 10, tolerance, seed);
    }
  }
}

TEST(LoadPlan, SpikeRates) {
  LoadPhase spike;
  spike.kind = LoadPhase::Kind::spike;
  spike.at_s = 5;
  spike.for_s = 30;
  spike.tps = 100;
  spike.spike_tps = 2000;
  spike.spike_at_s = 10;
  spike.spike_for_s = 5;
  for (const auto arrivals : {kPoisson, kUniform}) {
    const std::uint64_t seed = 41;
    const auto plan = walk(spec_of({spike}, arrivals), seed);
    const double tolerance = arrivals == kPoisson ? 0.05 : 0.002;
    expect_near_share(static_cast<double>(count_between(plan, 15, 20)), 10'000, tolerance, seed);
    expect_near_share(static_cast<double>(count_between(plan, 5, 15)), 1'000, 0.1, seed);
    expect_near_share(static_cast<double>(count_between(plan, 20, 35)), 1'500, 0.1, seed);
    EXPECT_EQ(count_between(plan, 0, 5), 0U);
  }
}

TEST(LoadPlan, PlannedRateShapes) {
  LoadPhase step;
  step.kind = LoadPhase::Kind::step;
  step.at_s = 10;
  step.for_s = 40;
  step.from_tps = 100;
  step.to_tps = 400;
  step.steps = 4;
  EXPECT_EQ(planned_rate(step, 9.9), 0);
  EXPECT_EQ(planned_rate(step, 10), 100);
  EXPECT_EQ(planned_rate(step, 25), 200);
  EXPECT_EQ(planned_rate(step, 49.9), 400);
  EXPECT_EQ(planned_rate(step, 50), 0);
  EXPECT_DOUBLE_EQ(planned_rate(ramp(10, 100, 200), 5), 150);
}

TEST(LoadPlan, OperationSharesAndProbes) {
  const std::uint64_t seed = 51;
  LoadSpec load = spec_of({constant(0, 100, 1000)}, kUniform);
  load.refund_share = 0.1;
  load.query_share = 0.2;
  load.close_share = 0.05;
  load.duplicate_share = 0.1;
  load.conflict_share = 0.05;
  std::map<Op, double> ops;
  double duplicates = 0, conflicts = 0;
  const auto plan = walk(load, seed);
  for (const PlannedRequest& request : plan) {
    ops[request.op] += 1;
    if (request.probe != PlannedRequest::Probe::none) {
      ASSERT_EQ(request.op, Op::pay);
    }
    duplicates += request.probe == PlannedRequest::Probe::duplicate ? 1 : 0;
    conflicts += request.probe == PlannedRequest::Probe::conflict ? 1 : 0;
  }
  const auto n = static_cast<double>(plan.size());
  expect_near_share(ops[Op::refund] / n, 0.1, 0.05, seed);
  expect_near_share(ops[Op::query] / n, 0.2, 0.05, seed);
  expect_near_share(ops[Op::close] / n, 0.05, 0.05, seed);
  expect_near_share(ops[Op::pay] / n, 0.65, 0.05, seed);
  expect_near_share(duplicates / ops[Op::pay], 0.1, 0.05, seed);
  expect_near_share(conflicts / ops[Op::pay], 0.05, 0.07, seed);
}

TEST(LoadPlan, TargetsByWeight) {
  const std::uint64_t seed = 61;
  LoadSpec load = spec_of({constant(0, 50, 1000)}, kPoisson);
  load.targets = {{"wallet", "a", 1}, {"bank", "b", 3}};
  std::array<double, 2> per{};
  const auto plan = walk(load, seed);
  for (const PlannedRequest& request : plan)
    per.at(request.target) += 1;
  expect_near_share(per[1] / static_cast<double>(plan.size()), 0.75, 0.02, seed);
}

TEST(LoadPlan, AmountsAreRoundedToAtLeastOne) {
  LoadSpec load = spec_of({constant(0, 1, 100)}, kUniform);
  load.amount_minor = Distribution::fixed(123.6);
  for (const PlannedRequest& request : walk(load, 1))
    ASSERT_EQ(request.amount_minor, 124);
  load.amount_minor = Distribution::uniform(0.01, 0.4);
  for (const PlannedRequest& request : walk(load, 1))
    ASSERT_EQ(request.amount_minor, 1);
}

TEST(LoadPlan, ZeroRatePlansNothing) {
  EXPECT_EQ(walk(spec_of({constant(0, 10, 0)}, kPoisson), 1).size(), 0U);
  EXPECT_EQ(walk(spec_of({constant(0, 10, 0)}, kUniform), 1).size(), 0U);
  EXPECT_EQ(walk(spec_of({}, kUniform), 1).size(), 0U);
}

TEST(LoadClassify, PayAnswers) {
  const auto pay = [](int status, const std::string& body) {
    return classify_answer(Op::pay, status, body, false).outcome;
  };
  EXPECT_EQ(pay(200, R"({"payment_id":"p","status":"SUCCEEDED","channel":"a"})"), Outcome::ok);
  EXPECT_EQ(pay(200, R"({"payment_id":"p","status":"PROCESSING"})"), Outcome::ok);
  EXPECT_EQ(pay(200, R"({"status":"FAILED","failure_code":"DECLINED"})"), Outcome::declined);
  EXPECT_EQ(pay(200, R"({"status":"FAILED","failure_code":"CHANNEL_REJECTED:NSF"})"),
            Outcome::declined);
  EXPECT_EQ(pay(200, R"({"status":"FAILED","failure_code":"CHANNEL_UNAVAILABLE"})"),
            Outcome::rejected);
  EXPECT_EQ(pay(200, R"({"status":"FAILED","failure_code":"METHOD_DISABLED"})"), Outcome::rejected);
  EXPECT_EQ(pay(200, R"({"status":"FAILED","failure_code":"NOT_AT_CHANNEL"})"), Outcome::failed);
  EXPECT_EQ(pay(200, "not json"), Outcome::transport_error);
  EXPECT_EQ(pay(409, R"({"error":{"code":"IDEMPOTENCY_CONFLICT"}})"), Outcome::http_error);
  EXPECT_EQ(pay(503, ""), Outcome::http_error);
  EXPECT_EQ(classify_answer(Op::pay, 409, "{}", true).outcome, Outcome::refused);
  const ParsedAnswer parsed = classify_answer(
      Op::pay, 200, R"({"payment_id":"p1","merchant_order_id":"m","status":"SUCCEEDED",
      "channel":"wallet-a","amount":5})",
      false);
  EXPECT_EQ(parsed.payment_id, "p1");
  EXPECT_EQ(parsed.channel, "wallet-a");
  EXPECT_EQ(parsed.amount, 5);
}

TEST(LoadClassify, RefundQueryAndCloseAnswers) {
  EXPECT_EQ(
      classify_answer(Op::refund, 200, R"({"refund_id":"r","status":"PROCESSING"})", false).outcome,
      Outcome::ok);
  EXPECT_EQ(
      classify_answer(Op::refund, 422, R"({"error":{"code":"PAYMENT_NOT_REFUNDABLE"}})", false)
          .outcome,
      Outcome::refused);
  EXPECT_EQ(
      classify_answer(Op::refund, 422, R"({"error":{"code":"REFUND_EXCEEDS_PAYMENT"}})", false)
          .outcome,
      Outcome::refused);
  EXPECT_EQ(
      classify_answer(Op::refund, 400, R"({"error":{"code":"INVALID_FIELD"}})", false).outcome,
      Outcome::http_error);
  EXPECT_EQ(
      classify_answer(Op::query, 200, R"({"payment_id":"p","status":"FAILED"})", false).outcome,
      Outcome::ok);
  EXPECT_EQ(classify_answer(Op::query, 404, "{}", false).outcome, Outcome::http_error);
  EXPECT_EQ(
      classify_answer(Op::close, 200, R"({"payment_id":"p","status":"CLOSED"})", false).outcome,
      Outcome::ok);
}

TEST(LoadOrderBook, BoundedRingWithPickableSubsets) {
  OrderBook book(3);
  Rng rng(1);
  EXPECT_EQ(book.pick_any(rng), nullptr);
  book.update("p1", "m1", "a", 100, "SUCCEEDED");
  book.update("p2", "m2", "a", 100, "PROCESSING");
  ASSERT_NE(book.pick_refundable(rng), nullptr);
  EXPECT_EQ(book.pick_refundable(rng)->payment_id, "p1");
  EXPECT_EQ(book.pick_processing(rng)->payment_id, "p2");
  book.reserve_refund("p1", 100);  // nothing left to refund
  EXPECT_EQ(book.pick_refundable(rng), nullptr);
  book.release_refund("p1", 40);
  EXPECT_EQ(book.pick_refundable(rng)->payment_id, "p1");
  book.update("p2", "", "", 0, "SUCCEEDED");
  EXPECT_EQ(book.pick_processing(rng), nullptr);
  book.update("p3", "m3", "a", 100, "PROCESSING");
  book.update("p4", "m4", "a", 100, "PROCESSING");  // p1, the oldest, leaves
  EXPECT_EQ(book.size(), 3U);
  EXPECT_EQ(book.find("p1"), nullptr);
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(book.pick_refundable(rng)->payment_id, "p2");
}

TEST(LoadBodies, PayAndRefund) {
  EXPECT_EQ(pay_body("x-1", 250, "CNY", LoadTarget{"wallet", "wallet-a", 1}),
            R"({"merchant_order_id":"x-1","amount":250,"currency":"CNY","method":"wallet",)"
            R"("channel":"wallet-a"})");
  EXPECT_EQ(pay_body("x-2", 1, "CNY", LoadTarget{"bank", "", 1}),
            R"({"merchant_order_id":"x-2","amount":1,"currency":"CNY","method":"bank"})");
  EXPECT_EQ(refund_body("p", "x-r1", 7),
            R"({"payment_id":"p","merchant_refund_id":"x-r1","amount":7})");
}

// Sim mode reads the final statuses from the core in place (handle_fetched), the live
// generator over GET /v1/payments/{id} (handle): both must leave the same mark in the
// checker's books, the fetched status last.
TEST(LoadSession, AFinalFetchReadInPlaceCountsAsTheSameGetAnswered) {
  const LoadSpec load = spec_of({constant(0, 10, 1)}, kUniform);
  PendingRequest fetch;
  fetch.kind = PendingRequest::Kind::final_fetch;
  fetch.planned.op = Op::query;
  fetch.merchant_order_id = "m-1";
  fetch.payment_id = "p-1";
  fetch.amount = 500;
  fetch.get = true;
  const auto seen_after = [&](const std::function<void(LoadSession&)>& feed) {
    Recorder recorder({"wallet-a"}, {}, 10, 5);
    recorder.on_order_status("m-1", "p-1", 500, "PROCESSING");  // what the pay answered
    LoadSession session(
        load, 1, "t", recorder, [](PendingRequest) {}, [] { return TimeNs{0}; });
    feed(session);
    return recorder.seen_source().find("m-1");
  };
  const auto over_http = seen_after([&](LoadSession& session) {
    ExchangeResult answer;
    answer.status = 200;
    answer.body = R"({"payment_id":"p-1","merchant_order_id":"m-1","amount":500,)"
                  R"("currency":"CNY","status":"SUCCEEDED","channel":"wallet-a"})";
    EXPECT_EQ(session.handle(fetch, 0, answer), std::nullopt);
  });
  const auto in_place = seen_after([&](LoadSession& session) {
    session.handle_fetched(fetch, {"p-1", "m-1", "wallet-a", "SUCCEEDED", 500});
  });
  ASSERT_TRUE(over_http.has_value());
  ASSERT_TRUE(in_place.has_value());
  EXPECT_EQ(in_place->last_status, "SUCCEEDED");
  EXPECT_EQ(in_place->first_final_status, "SUCCEEDED");
  EXPECT_EQ(in_place->status_count, 2U);
  EXPECT_EQ(in_place->payment_ids, (std::vector<std::string>{"p-1"}));
  EXPECT_EQ(in_place->last_status, over_http->last_status);
  EXPECT_EQ(in_place->status_count, over_http->status_count);
  EXPECT_EQ(in_place->amount, over_http->amount);
}

}  // namespace
}  // namespace fusebox::harness
