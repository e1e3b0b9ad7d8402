// Proves the assertion judge gives each assertion kind the right verdict and readable numbers.
#include "fusebox/harness/assertions.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fusebox::harness {
namespace {

using ::testing::HasSubstr;

constexpr double kDurationS = 60;

[[nodiscard]] Window window_of(std::string text, double from_s, double to_s) {
  Window window;
  window.text = std::move(text);
  window.from_s = from_s;
  window.to_s = to_s;
  return window;
}

[[nodiscard]] Window run_window() { return window_of("run", 0, kDurationS); }

// A one-minute run with wallet-a down from 20 s to 40 s, a fault at 0 s and an operator
// switch: the spans the breaker, isolation and settle judges look up.
[[nodiscard]] Scenario base_scenario() {
  Scenario scenario;
  scenario.name = "judge";
  scenario.duration_s = kDurationS;
  scenario.faults.push_back(
      {"outage-a", "wallet-a", 20, 20.0, nlohmann::json::object(), std::nullopt});
  scenario.faults.push_back(
      {"from-zero", "wallet-b", 0, 10.0, nlohmann::json::object(), std::nullopt});
  scenario.faults.push_back(
      {"forever", "wallet-a", 50, std::nullopt, nlohmann::json::object(), std::nullopt});
  TimelineAction off;
  off.name = "off";
  off.channel = "wallet-b";
  off.at_s = 30;
  off.for_s = 5;
  scenario.actions.push_back(off);
  return scenario;
}

[[nodiscard]] Assertion make(Assertion::Kind kind, std::string name, Window window) {
  Assertion assertion;
  assertion.kind = kind;
  assertion.name = std::move(name);
  assertion.window = std::move(window);
  return assertion;
}

// Owns what an Observation points to.
struct JudgedRun {
  Scenario scenario = base_scenario();
  std::unique_ptr<Recorder> recorder;
  CheckReport checker;
  Observation observation;

  explicit JudgedRun(std::vector<Assertion> assertions) {
    scenario.assertions = std::move(assertions);
    recorder = std::make_unique<Recorder>(std::vector<std::string>{"wallet-a", "wallet-b"},
                                          recorder_windows(scenario), kDurationS, 10.0);
    observation.scenario = &scenario;
    observation.recorder = recorder.get();
    observation.checker = &checker;
  }

  // One request planned at t_s, answered `latency_ms` after its planned time.
  void answer(double t_s, const std::string& channel, Outcome outcome, double latency_ms = 20,
              Op op = Op::pay) {
    const auto planned_ns = static_cast<TimeNs>(t_s * 1e9);
    PlannedRequest request;
    request.at_ns = planned_ns;
    request.op = op;
    recorder->on_sent(request, planned_ns, channel);
    Answer response;
    response.op = op;
    response.channel = channel;
    response.outcome = outcome;
    response.planned_ns = planned_ns;
    response.sent_ns = planned_ns;
    response.done_ns = planned_ns + static_cast<TimeNs>(latency_ms * 1e6);
    response.http_status = 200;
    recorder->on_answer(response);
  }
  // `count` requests evenly spread over [from_s, to_s).
  void answer_many(std::size_t count, double from_s, double to_s, const std::string& channel,
                   Outcome outcome, double latency_ms = 20, Op op = Op::pay) {
    for (std::size_t i = 0; i < count; ++i) {
      const double t_s =
          from_s + (to_s - from_s) * static_cast<double>(i) / static_cast<double>(count);
      answer(t_s, channel, outcome, latency_ms, op);
    }
  }

  [[nodiscard]] std::vector<AssertionResult> judge() {
    recorder->finish();
    return evaluate(observation);
  }
  [[nodiscard]] AssertionResult judge_one() {
    auto results = judge();
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? AssertionResult{} : results.front();
  }
};

// ---- recorder windows and the result's shape ------------------------------------------

TEST(JudgeRecorderWindows, OnePerAssertionThenIsolationBaselinesInOrder) {
  Assertion latency = make(Assertion::Kind::latency, "refund p99", window_of("w", 5, 15));
  latency.operation = "refund";
  Assertion first = make(Assertion::Kind::isolation, "iso b", window_of("during outage-a", 20, 40));
  first.channel = "wallet-b";
  first.fault = "outage-a";
  Assertion second = make(Assertion::Kind::isolation, "iso off", window_of("during off", 30, 35));
  second.channel = "wallet-a";
  second.fault = "off";
  Scenario scenario = base_scenario();
  scenario.assertions = {make(Assertion::Kind::success_rate, "rate", run_window()), first, latency,
                         second};

  const auto windows = recorder_windows(scenario);
  ASSERT_EQ(windows.size(), 6u);
  EXPECT_EQ(windows[0].op, "pay");
  EXPECT_DOUBLE_EQ(windows[0].to_s, kDurationS);
  EXPECT_DOUBLE_EQ(windows[1].from_s, 20);
  EXPECT_EQ(windows[2].op, "refund");
  EXPECT_DOUBLE_EQ(windows[2].from_s, 5);
  EXPECT_DOUBLE_EQ(windows[2].to_s, 15);
  // Baselines: [0, fault start), the first isolation assertion's first.
  EXPECT_DOUBLE_EQ(windows[4].from_s, 0);
  EXPECT_DOUBLE_EQ(windows[4].to_s, 20);
  EXPECT_DOUBLE_EQ(windows[5].to_s, 30);  // the action's start
  EXPECT_EQ(windows[5].op, "pay");
  EXPECT_EQ(isolation_baseline_window(scenario, 1), 4u);
  EXPECT_EQ(isolation_baseline_window(scenario, 3), 5u);
}

TEST(JudgeRecorderWindows, FaultAtZeroGetsAnEmptyBaseline) {
  Assertion isolation = make(Assertion::Kind::isolation, "iso", window_of("during", 0, 10));
  isolation.fault = "from-zero";
  Scenario scenario = base_scenario();
  scenario.assertions = {isolation};
  const auto windows = recorder_windows(scenario);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_DOUBLE_EQ(windows[1].from_s, 0);
  EXPECT_DOUBLE_EQ(windows[1].to_s, 0);
  EXPECT_EQ(isolation_baseline_window(scenario, 0), 1u);
}

TEST(JudgeAssertionResult, ToJsonHasTheReportShape) {
  AssertionResult result{"rate", "success_rate", "run", false, ">= 0.990", "0.5 (1 of 2)", "why"};
  const nlohmann::json json = result.to_json();
  EXPECT_EQ(json.size(), 7u);
  EXPECT_EQ(json.at("name"), "rate");
  EXPECT_EQ(json.at("kind"), "success_rate");
  EXPECT_EQ(json.at("window"), "run");
  EXPECT_EQ(json.at("passed"), false);
  EXPECT_EQ(json.at("expected"), ">= 0.990");
  EXPECT_EQ(json.at("observed"), "0.5 (1 of 2)");
  EXPECT_EQ(json.at("detail"), "why");
}

TEST(JudgeEvaluate, KeepsTheScenarioOrderAndNamesKinds) {
  Assertion unnamed = make(Assertion::Kind::tps, "", run_window());
  unnamed.channel = "wallet-a";
  JudgedRun run({make(Assertion::Kind::invariants, "no violations", run_window()), unnamed,
                 make(Assertion::Kind::late_sends, "late", window_of("", 0, 60))});
  const auto results = run.judge();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].name, "no violations");
  EXPECT_EQ(results[0].kind, "invariants");
  EXPECT_EQ(results[1].name, "tps wallet-a");
  EXPECT_EQ(results[1].kind, "tps");
  EXPECT_EQ(results[2].kind, "late_sends");
  EXPECT_EQ(results[2].window, "0s..60s");
}

// ---- success_rate ---------------------------------------------------------------------

TEST(JudgeSuccessRate, PassesWithCountsForPeople) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate", run_window());
  assertion.min = 0.99;
  JudgedRun run({assertion});
  run.answer_many(4'990, 0, 50, "wallet-a", Outcome::ok);
  run.answer_many(10, 50, 55, "wallet-a", Outcome::failed);
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.expected, ">= 0.990");
  EXPECT_EQ(result.observed, "0.998 (4,990 of 5,000)");
  EXPECT_EQ(result.detail, "");
}

TEST(JudgeSuccessRate, FailsAndSaysWhatWentWrong) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate", run_window());
  assertion.min = 0.99;
  JudgedRun run({assertion});
  run.answer_many(90, 0, 30, "wallet-a", Outcome::ok);
  run.answer_many(7, 30, 40, "wallet-a", Outcome::rejected);
  run.answer_many(3, 40, 50, "wallet-a", Outcome::timeout, 10'000);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "0.900 (90 of 100)");
  EXPECT_THAT(result.detail, HasSubstr("7 rejected"));
  EXPECT_THAT(result.detail, HasSubstr("3 timeout"));
}

TEST(JudgeSuccessRate, DeclinesCountAsHandledAndRefusedCountsNowhere) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate", run_window());
  assertion.min = 1.0;
  JudgedRun run({assertion});
  run.answer_many(6, 0, 10, "wallet-a", Outcome::ok);
  run.answer_many(4, 10, 20, "wallet-a", Outcome::declined);
  run.answer_many(50, 20, 30, "wallet-a", Outcome::refused);
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "1.000 (10 of 10)");
}

TEST(JudgeSuccessRate, LooksOnlyAtItsChannelAndWindow) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate b", window_of("w", 10, 20));
  assertion.channel = "wallet-b";
  assertion.min = 0.99;
  JudgedRun run({assertion});
  run.answer_many(20, 10, 20, "wallet-b", Outcome::ok);
  run.answer_many(20, 10, 20, "wallet-a", Outcome::failed);  // another channel
  run.answer_many(20, 0, 10, "wallet-b", Outcome::failed);   // before the window
  run.answer_many(20, 20, 30, "wallet-b", Outcome::failed);  // at and after its end
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "1.000 (20 of 20)");
}

TEST(JudgeSuccessRate, EmptyWindowFails) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate", window_of("w", 10, 20));
  JudgedRun run({assertion});
  run.answer_many(10, 30, 40, "wallet-a", Outcome::ok);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("no requests in the window"));
}

TEST(JudgeSuccessRate, NoRecorderIsNotMeasured) {
  JudgedRun run({make(Assertion::Kind::success_rate, "rate", run_window())});
  run.observation.recorder = nullptr;
  const auto results = evaluate(run.observation);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].observed, "not measured");
}

TEST(JudgeSuccessRate, AFailureJustUnderTheBoundNeverPrintsAsTheBound) {
  Assertion assertion = make(Assertion::Kind::success_rate, "rate", run_window());
  assertion.min = 0.99;
  JudgedRun run({assertion});
  run.answer_many(9'896, 0, 50, "wallet-a", Outcome::ok);
  run.answer_many(104, 50, 55, "wallet-a", Outcome::failed);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "0.9896 (9,896 of 10,000)");
}

// ---- latency --------------------------------------------------------------------------

TEST(JudgeLatency, PassesUnderTheLimit) {
  Assertion assertion = make(Assertion::Kind::latency, "p99", run_window());
  assertion.max_ms = 200;
  JudgedRun run({assertion});
  run.answer_many(100, 0, 50, "wallet-a", Outcome::ok, 50);
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.expected, "p99 <= 200.0 ms");
  EXPECT_THAT(result.observed, HasSubstr("p99 = 50.0 ms (100 samples)"));
}

TEST(JudgeLatency, FailsOverTheLimitAtTheAskedPercentile) {
  Assertion assertion = make(Assertion::Kind::latency, "p90", run_window());
  assertion.percentile = 90;
  assertion.max_ms = 100;
  JudgedRun run({assertion});
  run.answer_many(80, 0, 40, "wallet-a", Outcome::ok, 10);
  run.answer_many(20, 40, 50, "wallet-a", Outcome::ok, 400);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.observed, HasSubstr("p90 = 400."));
  EXPECT_THAT(result.detail, HasSubstr("over the limit of 100.0 ms"));
}

TEST(JudgeLatency, FailsWithoutSamples) {
  Assertion assertion = make(Assertion::Kind::latency, "p99", window_of("w", 10, 20));
  assertion.max_ms = 200;
  JudgedRun run({assertion});
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "no samples");
}

TEST(JudgeLatency, JudgesTheAskedOperation) {
  Assertion assertion = make(Assertion::Kind::latency, "refund p99", run_window());
  assertion.operation = "refund";
  assertion.max_ms = 100;
  JudgedRun run({assertion});
  run.answer_many(50, 0, 50, "wallet-a", Outcome::ok, 5'000, Op::pay);  // slow pays: ignored
  run.answer_many(50, 0, 50, "wallet-a", Outcome::ok, 30, Op::refund);
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_THAT(result.observed, HasSubstr("(50 samples)"));
}

// ---- fail_fast ------------------------------------------------------------------------

TEST(JudgeFailFast, PassesWhenRejectionsAreFastAndEnough) {
  Assertion assertion = make(Assertion::Kind::fail_fast, "ff", run_window());
  assertion.channel = "wallet-a";
  assertion.max_ms = 5;
  assertion.min_count = 10;
  JudgedRun run({assertion});
  run.answer_many(100, 0, 50, "wallet-a", Outcome::ok, 300);
  run.answer_many(20, 20, 30, "wallet-a", Outcome::rejected, 0.25);
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_THAT(result.observed, HasSubstr("over 20 rejected"));
  EXPECT_THAT(result.observed, HasSubstr("p99 = 0.25"));
}

TEST(JudgeFailFast, FailsWhenRejectionsAreSlow) {
  Assertion assertion = make(Assertion::Kind::fail_fast, "ff", run_window());
  assertion.max_ms = 5;
  assertion.min_count = 1;
  JudgedRun run({assertion});
  run.answer_many(20, 20, 30, "wallet-a", Outcome::rejected, 80);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("over the limit of 5.0 ms"));
}

TEST(JudgeFailFast, FailsWithTooFewRejections) {
  Assertion assertion = make(Assertion::Kind::fail_fast, "ff", run_window());
  assertion.max_ms = 5;
  assertion.min_count = 100;
  JudgedRun run({assertion});
  run.answer_many(20, 20, 30, "wallet-a", Outcome::rejected, 1);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("only 20 rejected"));
}

TEST(JudgeFailFast, NoRejectionsFailsWhenSomeWereRequired) {
  Assertion assertion = make(Assertion::Kind::fail_fast, "ff", run_window());
  assertion.max_ms = 5;
  assertion.min_count = 1;
  JudgedRun run({assertion});
  run.answer_many(20, 20, 30, "wallet-a", Outcome::ok, 1);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "no rejected answers");
}

// ---- breaker_opens / breaker_closes ---------------------------------------------------

[[nodiscard]] BreakerTransition transition(std::string channel, std::string from, std::string to,
                                           double t_s, std::string path = "payments") {
  return {std::move(channel), std::move(path), std::move(from), std::move(to), "", t_s};
}

[[nodiscard]] Assertion breaker(Assertion::Kind kind, std::string fault, double within_s) {
  Assertion assertion = make(kind, "breaker", run_window());
  assertion.channel = "wallet-a";
  assertion.fault = std::move(fault);
  assertion.within_s = within_s;
  return assertion;
}

TEST(JudgeBreakerOpens, PassesWithinTheLimit) {
  JudgedRun run({breaker(Assertion::Kind::breaker_opens, "outage-a", 5)});
  run.observation.breaker_events = {
      transition("wallet-a", "closed", "open", 10),    // before the fault: ignored
      transition("wallet-b", "closed", "open", 20.5),  // another channel
      transition("wallet-a", "closed", "open", 21, "refunds"),
      transition("wallet-a", "closed", "open", 22.3)};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "opened 2.3 s after the fault's start");
  EXPECT_EQ(result.expected, "opens within 5.0 s of outage-a's start");
}

TEST(JudgeBreakerOpens, FailsWhenLate) {
  JudgedRun run({breaker(Assertion::Kind::breaker_opens, "outage-a", 5)});
  run.observation.breaker_events = {transition("wallet-a", "closed", "open", 27.1)};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "opened 7.1 s after the fault's start");
}

TEST(JudgeBreakerOpens, FailsWhenNeverOpened) {
  JudgedRun run({breaker(Assertion::Kind::breaker_opens, "outage-a", 5)});
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "never opened");
}

TEST(JudgeBreakerOpens, UsesAnActionsSpan) {
  JudgedRun run({breaker(Assertion::Kind::breaker_opens, "off", 1)});
  run.observation.breaker_events = {transition("wallet-a", "closed", "open", 30.5)};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
}

TEST(JudgeBreakerOpens, UnknownFaultFails) {
  JudgedRun run({breaker(Assertion::Kind::breaker_opens, "nope", 5)});
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("nope"));
}

TEST(JudgeBreakerCloses, PassesWithinTheLimitOfTheEnd) {
  JudgedRun run({breaker(Assertion::Kind::breaker_closes, "outage-a", 15)});
  run.observation.breaker_events = {transition("wallet-a", "half_open", "closed", 45.5),
                                    transition("wallet-a", "closed", "open", 21),
                                    transition("wallet-a", "open", "half_open", 44)};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "closed 5.5 s after the fault's end");
}

TEST(JudgeBreakerCloses, FailsWhenLate) {
  JudgedRun run({breaker(Assertion::Kind::breaker_closes, "outage-a", 2)});
  run.observation.breaker_events = {transition("wallet-a", "closed", "open", 21),
                                    transition("wallet-a", "half_open", "closed", 45.5)};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("later than 2.0 s"));
}

TEST(JudgeBreakerCloses, NeverOpenedCannotHaveClosed) {
  JudgedRun run({breaker(Assertion::Kind::breaker_closes, "outage-a", 15)});
  run.observation.breaker_events = {transition("wallet-a", "open", "closed", 41)};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "never opened");
  EXPECT_THAT(result.detail, HasSubstr("never opened during outage-a, so it cannot have closed"));
}

TEST(JudgeBreakerCloses, FailsWhenStillOpen) {
  JudgedRun run({breaker(Assertion::Kind::breaker_closes, "outage-a", 15)});
  run.observation.breaker_events = {transition("wallet-a", "closed", "open", 21)};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "never closed");
}

TEST(JudgeBreakerCloses, AlreadyClosedAtTheEndPasses) {
  JudgedRun run({breaker(Assertion::Kind::breaker_closes, "outage-a", 15)});
  run.observation.breaker_events = {transition("wallet-a", "closed", "open", 21),
                                    transition("wallet-a", "half_open", "closed", 31)};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_THAT(result.observed, HasSubstr("already closed"));
}

// ---- isolation ------------------------------------------------------------------------

[[nodiscard]] Assertion isolation(std::string fault = "outage-a") {
  Assertion assertion = make(Assertion::Kind::isolation, "iso", window_of("during", 20, 40));
  assertion.channel = "wallet-b";
  assertion.fault = std::move(fault);
  assertion.max_success_drop = 0.01;
  assertion.max_p99_ratio = 2;
  return assertion;
}

TEST(JudgeIsolation, PassesWhenTheHealthyChannelHolds) {
  JudgedRun run({isolation()});
  run.answer_many(200, 0, 20, "wallet-b", Outcome::ok, 40);
  run.answer_many(199, 20, 40, "wallet-b", Outcome::ok, 60);
  run.answer(39.9, "wallet-b", Outcome::failed, 60);
  run.answer_many(100, 20, 40, "wallet-a", Outcome::failed, 9'000);  // the sick one
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_THAT(result.observed, HasSubstr("success 1.000 -> 0.995"));
  EXPECT_THAT(result.observed, HasSubstr("(x1.50)"));
}

TEST(JudgeIsolation, FailsOnASuccessDrop) {
  JudgedRun run({isolation()});
  run.answer_many(100, 0, 20, "wallet-b", Outcome::ok);
  run.answer_many(90, 20, 40, "wallet-b", Outcome::ok);
  run.answer_many(10, 20, 40, "wallet-b", Outcome::timeout, 10'000);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("dropped by 0.100"));
}

TEST(JudgeIsolation, FailsOnAP99Rise) {
  JudgedRun run({isolation()});
  run.answer_many(100, 0, 20, "wallet-b", Outcome::ok, 20);
  run.answer_many(100, 20, 40, "wallet-b", Outcome::ok, 100);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.detail, HasSubstr("p99 of wallet-b grew x"));
}

TEST(JudgeIsolation, SubFiveMillisecondNoiseIsFloored) {
  JudgedRun run({isolation()});
  run.answer_many(100, 0, 20, "wallet-b", Outcome::ok, 0.04);
  run.answer_many(100, 20, 40, "wallet-b", Outcome::ok, 0.9);  // x22 raw, x1 floored
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_THAT(result.observed, HasSubstr("(x1.00)"));
}

TEST(JudgeIsolation, NoBaselineWhenTheFaultStartsAtZero) {
  Assertion assertion = isolation("from-zero");
  assertion.window = window_of("during from-zero", 0, 10);
  JudgedRun run({assertion});
  run.answer_many(100, 0, 10, "wallet-b", Outcome::ok);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "no baseline");
  EXPECT_THAT(result.detail, HasSubstr("starts at 0 s"));
}

// ---- settled --------------------------------------------------------------------------

[[nodiscard]] Assertion settled() {
  Assertion assertion = make(Assertion::Kind::settled, "settled", run_window());
  assertion.fault = "outage-a";
  assertion.within_s = 22;
  return assertion;
}

TEST(JudgeSettled, PassesWithNothingUnsettled) {
  JudgedRun run({settled()});
  run.observation.probes = {{0, 62.0, true, 0, {}}};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "0 unsettled at 62.0 s");
}

TEST(JudgeSettled, FailsListingExamples) {
  JudgedRun run({settled()});
  run.observation.probes = {{0, 62.0, true, 3, {"o-1", "o-7", "o-9"}}};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "3 unsettled at 62.0 s: o-1, o-7, o-9");
}

TEST(JudgeSettled, ProbeNotTakenFails) {
  JudgedRun run({make(Assertion::Kind::success_rate, "rate", run_window()), settled()});
  run.observation.probes = {{1, 0, false, 0, {}}};
  run.answer(1, "wallet-a", Outcome::ok);
  const auto results = run.judge();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[1].passed);
  EXPECT_EQ(results[1].observed, "not measured");
}

// ---- tps ------------------------------------------------------------------------------

TEST(JudgeTps, CountsAnsweredRequestsPerSecond) {
  Assertion assertion = make(Assertion::Kind::tps, "tps", window_of("w", 10, 20));
  assertion.min = 50;
  JudgedRun run({assertion});
  run.answer_many(400, 10, 20, "wallet-a", Outcome::ok);
  run.answer_many(100, 10, 20, "wallet-b", Outcome::rejected);
  run.answer_many(300, 10, 20, "wallet-b", Outcome::timeout, 10'000);  // not answered
  run.answer_many(900, 0, 10, "wallet-b", Outcome::ok);                // before the window
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "50.0 TPS (500 answered in 10.0 s)");
}

TEST(JudgeTps, FailsBelowTheMinimum) {
  Assertion assertion = make(Assertion::Kind::tps, "tps", window_of("w", 10, 20));
  assertion.min = 1'000;
  JudgedRun run({assertion});
  run.answer_many(400, 10, 20, "wallet-a", Outcome::ok);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.expected, ">= 1,000.0 TPS");
}

// ---- invariants -----------------------------------------------------------------------

TEST(JudgeInvariants, PassesWithoutViolations) {
  JudgedRun run({make(Assertion::Kind::invariants, "inv", run_window())});
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "0 violations");
}

TEST(JudgeInvariants, FailsListingCountsByInvariant) {
  JudgedRun run({make(Assertion::Kind::invariants, "inv", run_window())});
  run.checker.violations = {{"no_lost_payment", "P-2", "wallet-a", "charged, still PROCESSING", {}},
                            {"no_double_charge", "P-1", "wallet-a", "two txns", {}},
                            {"no_lost_payment", "P-3", "wallet-a", "charged", {}}};
  run.checker.violation_count = 3;
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "3 violations: no_double_charge 1, no_lost_payment 2");
  EXPECT_THAT(result.detail, HasSubstr("P-2"));
}

TEST(JudgeInvariants, MaxAllowsSome) {
  Assertion assertion = make(Assertion::Kind::invariants, "inv", run_window());
  assertion.max = 1;
  JudgedRun run({assertion});
  run.checker.violations = {{"idempotency", "o-1", "", "not refused", {}}};
  run.checker.violation_count = 1;
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
}

TEST(JudgeInvariants, NoCheckerFails) {
  JudgedRun run({make(Assertion::Kind::invariants, "inv", run_window())});
  run.observation.checker = nullptr;
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "not measured");
}

// ---- alert ----------------------------------------------------------------------------

[[nodiscard]] Assertion alert(bool raised) {
  Assertion assertion = make(Assertion::Kind::alert, "alert", window_of("during", 20, 40));
  assertion.rule = "low-success";
  assertion.channel = "wallet-a";
  assertion.raised = raised;
  return assertion;
}

TEST(JudgeAlert, RaisedInTheWindowPasses) {
  JudgedRun run({alert(true)});
  run.observation.alerts = {{"low-success", "wallet-a", false, 0.5, 25},  // resolved: ignored
                            {"low-success", "wallet-b", true, 0.5, 25},   // another channel
                            {"low-success", "wallet-a", true, 0.812, 34.2}};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "raised at 34.2 s (value 0.812)");
}

TEST(JudgeAlert, RaisedOutsideTheWindowFails) {
  JudgedRun run({alert(true)});
  run.observation.alerts = {{"low-success", "wallet-a", true, 0.8, 45}};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.observed, HasSubstr("not raised in the window"));
  EXPECT_THAT(result.observed, HasSubstr("45.0 s"));
}

TEST(JudgeAlert, NotRaisedPassesAndFails) {
  JudgedRun quiet({alert(false)});
  quiet.observation.alerts = {{"other-rule", "wallet-a", true, 0.8, 25}};
  EXPECT_TRUE(quiet.judge_one().passed);

  JudgedRun noisy({alert(false)});
  noisy.observation.alerts = {{"low-success", "wallet-a", true, 0.8, 25}};
  const AssertionResult result = noisy.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.expected, "alert low-success on wallet-a not raised");
}

// ---- late_sends -----------------------------------------------------------------------

TEST(JudgeLateSends, NothingSentPasses) {
  Assertion assertion = make(Assertion::Kind::late_sends, "late", run_window());
  assertion.max = 0.001;
  JudgedRun run({assertion});
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "nothing sent");
}

TEST(JudgeLateSends, FailsOverTheShare) {
  Assertion assertion = make(Assertion::Kind::late_sends, "late", run_window());
  assertion.max = 0.001;
  JudgedRun run({assertion});
  run.answer_many(1'000, 0, 50, "wallet-a", Outcome::ok);
  for (int i = 0; i < 5; ++i)
    run.recorder->on_late(50'000'000);
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "0.5% (5 of 1,000)");
  EXPECT_EQ(result.expected, "<= 0.1% of sends late");
}

}  // namespace
}  // namespace fusebox::harness

namespace fusebox::harness {
namespace {

// ---- refund_rate -------------------------------------------------------------------------

[[nodiscard]] Assertion refund_rate(const std::string& within, double min, std::int64_t min_count) {
  Assertion assertion = make(Assertion::Kind::refund_rate, "refunds " + within, run_window());
  assertion.within = within;
  assertion.min = min;
  assertion.min_count = min_count;
  return assertion;
}

TEST(JudgeRefundRate, PassesOverTheBoundWithEnoughJudged) {
  JudgedRun run({refund_rate("next_day", 0.95, 100)});
  run.observation.refund_rates.taken = true;
  run.observation.refund_rates.windows["next_day"] = {1'000, 960};
  const AssertionResult result = run.judge_one();
  EXPECT_TRUE(result.passed) << result.detail;
  EXPECT_EQ(result.observed, "0.960 (960 of 1,000 judged)");
}

TEST(JudgeRefundRate, FailsUnderTheBoundAndSaysHowManyWereLate) {
  JudgedRun run({refund_rate("same_day", 0.95, 100)});
  run.observation.refund_rates.taken = true;
  run.observation.refund_rates.windows["same_day"] = {1'000, 900};
  const AssertionResult result = run.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.detail.find("100 refunds had not succeeded same_day"), std::string::npos)
      << result.detail;
}

TEST(JudgeRefundRate, TooFewJudgedOrNotMeasuredFails) {
  JudgedRun few({refund_rate("seven_day", 0.5, 100)});
  few.observation.refund_rates.taken = true;
  few.observation.refund_rates.windows["seven_day"] = {10, 10};
  EXPECT_FALSE(few.judge_one().passed);
  JudgedRun unread({refund_rate("seven_day", 0.5, 1)});
  const AssertionResult result = unread.judge_one();
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.observed, "not measured");
}

}  // namespace
}  // namespace fusebox::harness
