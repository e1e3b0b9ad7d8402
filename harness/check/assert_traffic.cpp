// Judges of what the load generator recorded: success rate, latency, fail-fast, TPS and late
// sends.
#include <algorithm>
#include <string_view>
#include <vector>

#include "assert_format.hpp"
#include "assert_judges.hpp"

namespace fusebox::harness::detail {
namespace {

[[nodiscard]] const Assertion& assertion_at(const Observation& observation, std::size_t index) {
  return observation.scenario->assertions[index];
}

[[nodiscard]] std::uint64_t outcome_count(const WindowStats& stats, Outcome outcome) {
  return stats.outcomes[static_cast<std::size_t>(outcome)];
}

// "95 rejected, 3 timeout": what kept the rate down.
[[nodiscard]] std::string unhandled_breakdown(const WindowStats& stats) {
  std::vector<std::string> parts;
  for (const Outcome outcome : {Outcome::rejected, Outcome::failed, Outcome::http_error,
                                Outcome::transport_error, Outcome::timeout}) {
    const std::uint64_t count = outcome_count(stats, outcome);
    if (count > 0) parts.push_back(format_count(count) + " " + std::string(to_string(outcome)));
  }
  return join(parts, ", ");
}

[[nodiscard]] double percentile_ms(const Histogram& histogram, double percentile) {
  return to_ms(histogram.value_at_percentile(percentile));
}

[[nodiscard]] std::string where(const Assertion& assertion) {
  return assertion.channel.empty() ? std::string("the whole load") : assertion.channel;
}

}  // namespace

Verdict judge_success_rate(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  Verdict verdict;
  verdict.expected = ">= " + format_rate(assertion.min);
  std::string why;
  const WindowStats* stats = window_stats(observation, index, assertion.channel, why);
  if (stats == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = why;
    return verdict;
  }
  const HandledCount count = handled_count(*stats);
  if (count.total < 1) {
    verdict.observed = "no requests";
    verdict.detail = "no requests in the window (" + where(assertion) + ")";
    return verdict;
  }
  const double rate = count.rate();
  verdict.passed = rate >= assertion.min - kTolerance;
  verdict.observed = format_rate(rate, assertion.min) + " (" + format_count(count.handled) +
                     " of " + format_count(count.total) + ")";
  if (!verdict.passed) {
    verdict.detail = "success rate " + format_rate(rate, assertion.min) + " is below " +
                     format_rate(assertion.min) + " for " + where(assertion) + ": " +
                     unhandled_breakdown(*stats);
  }
  return verdict;
}

Verdict judge_latency(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  const std::string name = percentile_name(assertion.percentile);
  Verdict verdict;
  verdict.expected = name + " <= " + format_ms(assertion.max_ms);
  std::string why;
  const WindowStats* stats = window_stats(observation, index, assertion.channel, why);
  if (stats == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = why;
    return verdict;
  }
  const std::uint64_t samples = stats->latency.count();
  if (samples == 0) {
    verdict.observed = "no samples";
    verdict.detail = "no " + assertion.operation + " answers in the window (" + where(assertion) +
                     "), so there is no latency to judge";
    return verdict;
  }
  const double value_ms = percentile_ms(stats->latency, assertion.percentile);
  verdict.passed = value_ms <= assertion.max_ms + kTolerance;
  verdict.observed = name + " = " + format_ms(value_ms) + " (" + format_count(samples) +
                     (samples == 1 ? " sample)" : " samples)");
  if (!verdict.passed) {
    verdict.detail = name + " latency of " + assertion.operation + " for " + where(assertion) +
                     " is " + format_ms(value_ms) + ", over the limit of " +
                     format_ms(assertion.max_ms);
  }
  return verdict;
}

Verdict judge_fail_fast(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  const std::string name = percentile_name(assertion.percentile);
  const auto min_count = static_cast<std::uint64_t>(std::max<std::int64_t>(assertion.min_count, 0));
  Verdict verdict;
  verdict.expected = name + " <= " + format_ms(assertion.max_ms) +
                     " over >= " + format_count(min_count) + " rejected";
  std::string why;
  const WindowStats* stats = window_stats(observation, index, assertion.channel, why);
  if (stats == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = why;
    return verdict;
  }
  const Histogram& rejected = stats->rejected_latency;
  if (rejected.count() == 0) {
    verdict.passed = min_count == 0;
    verdict.observed = "no rejected answers";
    if (!verdict.passed) {
      verdict.detail = "the gateway rejected nothing fast for " + where(assertion) +
                       " in the window (expected at least " + format_count(min_count) + ")";
    }
    return verdict;
  }
  const double value_ms = percentile_ms(rejected, assertion.percentile);
  const bool fast = value_ms <= assertion.max_ms + kTolerance;
  const bool enough = rejected.count() >= min_count;
  verdict.passed = fast && enough;
  verdict.observed =
      name + " = " + format_ms(value_ms) + " over " + format_count(rejected.count()) + " rejected";
  if (!fast) {
    verdict.detail = "rejections for " + where(assertion) + " took " + format_ms(value_ms) +
                     " at " + name + ", over the limit of " + format_ms(assertion.max_ms);
  } else if (!enough) {
    verdict.detail = "only " + format_count(rejected.count()) + " rejected answers for " +
                     where(assertion) + ", expected at least " + format_count(min_count);
  }
  return verdict;
}

Verdict judge_tps(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  Verdict verdict;
  verdict.expected = ">= " + format_fixed(assertion.min, 1) + " TPS";
  std::string why;
  const WindowStats* stats = window_stats(observation, index, assertion.channel, why);
  if (stats == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = why;
    return verdict;
  }
  const double length_s = assertion.window.to_s - assertion.window.from_s;
  if (length_s <= 0) {
    verdict.observed = "empty window";
    verdict.detail = "the window has no length, so there is no rate to judge";
    return verdict;
  }
  std::uint64_t answered = 0;
  for (std::size_t i = 0; i < kOutcomeCount; ++i)
    answered += stats->outcomes[i];
  answered -= outcome_count(*stats, Outcome::timeout);
  const double tps = static_cast<double>(answered) / length_s;
  verdict.passed = tps >= assertion.min - kTolerance;
  verdict.observed = format_fixed(tps, 1) + " TPS (" + format_count(answered) + " answered in " +
                     format_s(length_s) + ")";
  if (!verdict.passed) {
    verdict.detail = "answered " + format_fixed(tps, 1) +
                     " requests per second on average, below " + format_fixed(assertion.min, 1);
  }
  return verdict;
}

Verdict judge_late_sends(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  Verdict verdict;
  verdict.expected = "<= " + format_percent(assertion.max) + " of sends late";
  if (observation.recorder == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = "not measured: the run recorded no load";
    return verdict;
  }
  const std::uint64_t sent = observation.recorder->sent();
  const std::uint64_t late = observation.recorder->late();
  if (sent == 0) {
    verdict.passed = true;
    verdict.observed = "nothing sent";
    return verdict;
  }
  const double share = static_cast<double>(late) / static_cast<double>(sent);
  verdict.passed = share <= assertion.max + kTolerance;
  verdict.observed =
      format_percent(share) + " (" + format_count(late) + " of " + format_count(sent) + ")";
  if (!verdict.passed) {
    verdict.detail = format_count(late) + " sends left more than " +
                     format_ms(to_ms(kLateThreshold)) +
                     " after their planned time: the load generator could not keep up, so the "
                     "latencies it measured include its own delay";
  }
  return verdict;
}

// Refunds that succeeded within the window, among those old enough to judge, as the gateway
// counted them at the end of the run.
Verdict judge_refund_rate(const Observation& observation, std::size_t index) {
  const Assertion& assertion = assertion_at(observation, index);
  Verdict verdict;
  verdict.expected =
      ">= " + format_rate(assertion.min) + " of refunds succeeded " + assertion.within +
      " (over >= " + format_count(static_cast<std::uint64_t>(assertion.min_count)) + " judged)";
  const auto it = observation.refund_rates.windows.find(assertion.within);
  if (!observation.refund_rates.taken || it == observation.refund_rates.windows.end()) {
    verdict.observed = "not measured";
    verdict.detail = "the gateway's refund rates could not be read at the end of the run";
    return verdict;
  }
  const auto [judged, succeeded] = it->second;
  const double rate =
      judged == 0 ? 0.0 : static_cast<double>(succeeded) / static_cast<double>(judged);
  verdict.observed = format_rate(rate) + " (" + format_count(succeeded) + " of " +
                     format_count(judged) + " judged)";
  const bool enough = judged >= static_cast<std::uint64_t>(assertion.min_count);
  verdict.passed = enough && rate + kTolerance >= assertion.min;
  if (!enough) {
    verdict.detail = "only " + format_count(judged) + " refunds were old enough to judge " +
                     assertion.within + ": the run is too short or asked for too few refunds";
  } else if (!verdict.passed) {
    verdict.detail =
        format_count(judged - succeeded) + " refunds had not succeeded " + assertion.within;
  }
  return verdict;
}

}  // namespace fusebox::harness::detail
