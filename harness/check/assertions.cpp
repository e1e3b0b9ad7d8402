// The assertion judge's entry points: which recorder windows a scenario needs, and one verdict
// per assertion from what a run observed. The judges themselves live in assert_*.cpp.
#include "fusebox/harness/assertions.hpp"

#include <algorithm>
#include <cassert>

#include "assert_format.hpp"
#include "assert_judges.hpp"

namespace fusebox::harness {
namespace {

using detail::Verdict;

[[nodiscard]] std::string_view kind_name(Assertion::Kind kind) {
  switch (kind) {
    case Assertion::Kind::success_rate:
      return "success_rate";
    case Assertion::Kind::latency:
      return "latency";
    case Assertion::Kind::breaker_opens:
      return "breaker_opens";
    case Assertion::Kind::breaker_closes:
      return "breaker_closes";
    case Assertion::Kind::fail_fast:
      return "fail_fast";
    case Assertion::Kind::isolation:
      return "isolation";
    case Assertion::Kind::settled:
      return "settled";
    case Assertion::Kind::tps:
      return "tps";
    case Assertion::Kind::invariants:
      return "invariants";
    case Assertion::Kind::alert:
      return "alert";
    case Assertion::Kind::late_sends:
      return "late_sends";
    case Assertion::Kind::refund_rate:
      return "refund_rate";
  }
  return "unknown";
}

[[nodiscard]] Verdict judge(const Observation& observation, std::size_t index) {
  switch (observation.scenario->assertions[index].kind) {
    case Assertion::Kind::success_rate:
      return detail::judge_success_rate(observation, index);
    case Assertion::Kind::latency:
      return detail::judge_latency(observation, index);
    case Assertion::Kind::breaker_opens:
      return detail::judge_breaker_opens(observation, index);
    case Assertion::Kind::breaker_closes:
      return detail::judge_breaker_closes(observation, index);
    case Assertion::Kind::fail_fast:
      return detail::judge_fail_fast(observation, index);
    case Assertion::Kind::isolation:
      return detail::judge_isolation(observation, index);
    case Assertion::Kind::settled:
      return detail::judge_settled(observation, index);
    case Assertion::Kind::tps:
      return detail::judge_tps(observation, index);
    case Assertion::Kind::invariants:
      return detail::judge_invariants(observation, index);
    case Assertion::Kind::alert:
      return detail::judge_alert(observation, index);
    case Assertion::Kind::late_sends:
      return detail::judge_late_sends(observation, index);
    case Assertion::Kind::refund_rate:
      return detail::judge_refund_rate(observation, index);
  }
  return {false, "", "", "unknown assertion kind"};
}

// The loader names every assertion; this keeps a hand-built scenario readable too.
[[nodiscard]] std::string display_name(const Assertion& assertion) {
  if (!assertion.name.empty()) return assertion.name;
  std::string name(kind_name(assertion.kind));
  if (!assertion.channel.empty()) name += " " + assertion.channel;
  return name;
}

[[nodiscard]] std::string display_window(const Window& window) {
  if (!window.text.empty()) return window.text;
  return detail::format_seconds_short(window.from_s) + ".." +
         detail::format_seconds_short(window.to_s);
}

// The span before the fault: [0, start). A fault at 0 s (or an unknown one) has none, declared
// as the empty [0, 0) so window indices stay one per isolation assertion.
[[nodiscard]] Recorder::WindowDecl baseline_window(const Scenario& scenario,
                                                   const Assertion& assertion) {
  const detail::FaultSpan span = detail::find_fault_span(scenario, assertion.fault);
  const double to_s = span.found ? std::max(span.start_s, 0.0) : 0.0;
  return {0.0, to_s, "pay"};
}

}  // namespace

namespace detail {

FaultSpan find_fault_span(const Scenario& scenario, std::string_view name) {
  if (name.empty()) return {};
  for (const TimelineFault& fault : scenario.faults) {
    if (fault.name == name)
      return {true, fault.at_s, fault.for_s ? fault.at_s + *fault.for_s : std::optional<double>{}};
  }
  for (const TimelineAction& action : scenario.actions) {
    if (action.name == name)
      return {true, action.at_s,
              action.for_s ? action.at_s + *action.for_s : std::optional<double>{}};
  }
  return {};
}

HandledCount handled_count(const WindowStats& stats) {
  const auto count = [&stats](Outcome outcome) {
    return stats.outcomes[static_cast<std::size_t>(outcome)];
  };
  HandledCount result;
  result.handled = count(Outcome::ok) + count(Outcome::declined);
  result.total = result.handled + count(Outcome::rejected) + count(Outcome::failed) +
                 count(Outcome::http_error) + count(Outcome::transport_error) +
                 count(Outcome::timeout);
  return result;
}

const WindowStats* window_stats(const Observation& observation, std::size_t window,
                                const std::string& channel, std::string& why) {
  if (observation.recorder == nullptr) {
    why = "not measured: the run recorded no load";
    return nullptr;
  }
  if (!channel.empty()) {
    const std::vector<std::string>& known = observation.recorder->channels();
    if (std::find(known.begin(), known.end(), channel) == known.end()) {
      why = "channel " + channel + " was not recorded";
      return nullptr;
    }
  }
  return &observation.recorder->window(window, channel);
}

}  // namespace detail

nlohmann::json AssertionResult::to_json() const {
  return {{"name", name},         {"kind", kind},         {"window", window}, {"passed", passed},
          {"expected", expected}, {"observed", observed}, {"detail", detail}};
}

std::vector<Recorder::WindowDecl> recorder_windows(const Scenario& scenario) {
  std::vector<Recorder::WindowDecl> windows;
  windows.reserve(scenario.assertions.size() * 2);
  for (const Assertion& assertion : scenario.assertions) {
    // Latency is about one operation; throughput counts every answer; the rest judge pays.
    const std::string op = assertion.kind == Assertion::Kind::latency ? assertion.operation
                           : assertion.kind == Assertion::Kind::tps   ? std::string()
                                                                      : std::string("pay");
    windows.push_back({assertion.window.from_s, assertion.window.to_s, op});
  }
  for (const Assertion& assertion : scenario.assertions) {
    if (assertion.kind == Assertion::Kind::isolation) {
      windows.push_back(baseline_window(scenario, assertion));
    }
  }
  return windows;
}

std::size_t isolation_baseline_window(const Scenario& scenario, std::size_t index) {
  assert(index < scenario.assertions.size());
  assert(scenario.assertions[index].kind == Assertion::Kind::isolation);
  const auto first = scenario.assertions.begin();
  const auto earlier = std::count_if(
      first, first + static_cast<std::ptrdiff_t>(index),
      [](const Assertion& assertion) { return assertion.kind == Assertion::Kind::isolation; });
  return scenario.assertions.size() + static_cast<std::size_t>(earlier);
}

std::vector<AssertionResult> evaluate(const Observation& observation) {
  assert(observation.scenario != nullptr);
  const Scenario& scenario = *observation.scenario;
  std::vector<AssertionResult> results;
  results.reserve(scenario.assertions.size());
  for (std::size_t index = 0; index < scenario.assertions.size(); ++index) {
    const Assertion& assertion = scenario.assertions[index];
    Verdict verdict = judge(observation, index);
    // A failure always says why, even when a judge had nothing more to add than the numbers.
    if (!verdict.passed && verdict.detail.empty()) {
      verdict.detail = "observed " + verdict.observed + ", expected " + verdict.expected;
    }
    if (verdict.passed) verdict.detail.clear();
    results.push_back({display_name(assertion), std::string(kind_name(assertion.kind)),
                       display_window(assertion.window), verdict.passed,
                       std::move(verdict.expected), std::move(verdict.observed),
                       std::move(verdict.detail)});
  }
  return results;
}

}  // namespace fusebox::harness
