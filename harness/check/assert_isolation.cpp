// The isolation judge: a channel during a fault (usually another channel's) against itself
// before the fault, on success rate and p99 latency.
#include <algorithm>

#include "assert_format.hpp"
#include "assert_judges.hpp"

namespace fusebox::harness::detail {
namespace {

// Below this a p99 is scheduling noise, not a finding: 40 us against 90 us is "x2.25" and
// would fail a ratio of 2 while no user could tell the two apart.
constexpr double kP99FloorMs = 5.0;

struct Side {
  HandledCount count;
  double p99_ms = 0;  // floored
};

[[nodiscard]] Side side_of(const WindowStats& stats) {
  const double p99_ms = to_ms(stats.latency.value_at_percentile(99));
  return {handled_count(stats), std::max(p99_ms, kP99FloorMs)};
}

[[nodiscard]] std::string p99_text(double floored_ms) {
  return floored_ms <= kP99FloorMs ? "<= " + format_ms(kP99FloorMs) : format_ms(floored_ms);
}

// Both sides exist and have requests; judges the drop and the ratio.
[[nodiscard]] Verdict compare(const Assertion& assertion, const Side& baseline,
                              const Side& during) {
  const double drop = baseline.count.rate() - during.count.rate();
  const double ratio = during.p99_ms / baseline.p99_ms;
  const bool rate_held = drop <= assertion.max_success_drop + kTolerance;
  const bool latency_held = ratio <= assertion.max_p99_ratio + kTolerance;
  Verdict verdict;
  verdict.passed = rate_held && latency_held;
  verdict.expected = "success drop <= " + format_rate(assertion.max_success_drop) +
                     ", p99 <= " + format_fixed(assertion.max_p99_ratio, 2) + " x baseline";
  verdict.observed = "success " + format_rate(baseline.count.rate()) + " -> " +
                     format_rate(during.count.rate()) + " (drop " +
                     format_rate(drop, assertion.max_success_drop) + "), p99 " +
                     p99_text(baseline.p99_ms) + " -> " + p99_text(during.p99_ms) + " (x" +
                     format_fixed(ratio, 2) + ")";
  std::vector<std::string> reasons;
  if (!rate_held) {
    reasons.push_back("success rate of " + assertion.channel + " dropped by " +
                      format_rate(drop, assertion.max_success_drop) + " during " + assertion.fault +
                      " (" + format_count(during.count.handled) + " of " +
                      format_count(during.count.total) + " handled)");
  }
  if (!latency_held) {
    reasons.push_back("p99 of " + assertion.channel + " grew x" + format_fixed(ratio, 2) +
                      " during " + assertion.fault);
  }
  verdict.detail = join(reasons, "; ");
  return verdict;
}

[[nodiscard]] Verdict unmeasured(std::string observed, std::string detail) {
  return {false, "", std::move(observed), std::move(detail)};
}

}  // namespace

Verdict judge_isolation(const Observation& observation, std::size_t index) {
  const Scenario& scenario = *observation.scenario;
  const Assertion& assertion = scenario.assertions[index];
  const FaultSpan span = find_fault_span(scenario, assertion.fault);
  Verdict verdict;
  if (!span.found) {
    verdict = unmeasured("unknown fault", "no fault or action named \"" + assertion.fault + "\"");
  } else if (span.start_s <= 0) {
    verdict = unmeasured("no baseline", assertion.fault +
                                            " starts at 0 s, so there is no time before it to "
                                            "compare " +
                                            assertion.channel + " with");
  } else {
    std::string why;
    const WindowStats* during = window_stats(observation, index, assertion.channel, why);
    const WindowStats* baseline =
        during == nullptr ? nullptr
                          : window_stats(observation, isolation_baseline_window(scenario, index),
                                         assertion.channel, why);
    if (during == nullptr || baseline == nullptr) {
      verdict = unmeasured("not measured", why);
    } else if (handled_count(*baseline).total == 0) {
      verdict = unmeasured("no baseline",
                           "no requests for " + assertion.channel + " before " + assertion.fault);
    } else if (handled_count(*during).total == 0) {
      verdict = unmeasured("no requests",
                           "no requests for " + assertion.channel + " during " + assertion.fault);
    } else {
      return compare(assertion, side_of(*baseline), side_of(*during));
    }
  }
  verdict.expected = "success drop <= " + format_rate(assertion.max_success_drop) +
                     ", p99 <= " + format_fixed(assertion.max_p99_ratio, 2) + " x baseline";
  return verdict;
}

}  // namespace fusebox::harness::detail
