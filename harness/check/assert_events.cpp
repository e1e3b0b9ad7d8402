// Judges of what the runner saw at the gateway and the checker found: breaker transitions,
// alerts, settle probes and the payment invariants.
#include <algorithm>
#include <map>
#include <vector>

#include "assert_format.hpp"
#include "assert_judges.hpp"

namespace fusebox::harness::detail {
namespace {

// The payments breaker's transitions of one channel, in time order (the gateway's event list
// is not promised to be sorted).
[[nodiscard]] std::vector<BreakerTransition> payments_transitions(const Observation& observation,
                                                                  const std::string& channel) {
  std::vector<BreakerTransition> events;
  for (const BreakerTransition& event : observation.breaker_events) {
    if (event.path == "payments" && event.channel == channel) events.push_back(event);
  }
  std::stable_sort(
      events.begin(), events.end(),
      [](const BreakerTransition& a, const BreakerTransition& b) { return a.t_s < b.t_s; });
  return events;
}

[[nodiscard]] const BreakerTransition* first_to(const std::vector<BreakerTransition>& events,
                                                std::string_view state, double from_s) {
  const auto found = std::find_if(events.begin(), events.end(), [&](const auto& event) {
    return event.to == state && event.t_s >= from_s;
  });
  return found == events.end() ? nullptr : &*found;
}

[[nodiscard]] Verdict unknown_fault(const Assertion& assertion) {
  return {false, "", "unknown fault", "no fault or action named \"" + assertion.fault + "\""};
}

[[nodiscard]] std::string breaker_of(const Assertion& assertion) {
  return "the payments breaker of " + assertion.channel;
}

// The last transition at or before `t_s`: the breaker's state then (nullptr: never moved).
[[nodiscard]] const BreakerTransition* state_at(const std::vector<BreakerTransition>& events,
                                                double t_s) {
  const BreakerTransition* last = nullptr;
  for (const BreakerTransition& event : events) {
    if (event.t_s <= t_s) last = &event;
  }
  return last;
}

// The checker counts every violation by invariant; a report built by hand may list only the
// violations, and then the listed ones are all there is to count.
[[nodiscard]] std::map<std::string, std::size_t> counts_by_invariant(const CheckReport& report) {
  std::size_t counted = 0;
  for (const auto& entry : report.by_invariant)
    counted += entry.second;
  if (counted > 0 || report.violations.empty()) return report.by_invariant;
  std::map<std::string, std::size_t> counts;  // sorted: the text is deterministic
  for (const Violation& violation : report.violations)
    ++counts[violation.invariant];
  return counts;
}

// "alert low-success on wallet-a"
[[nodiscard]] std::string alert_label(const Assertion& assertion) {
  std::string label = "alert";
  if (!assertion.rule.empty()) label += " " + assertion.rule;
  if (!assertion.channel.empty()) label += " on " + assertion.channel;
  return label;
}

[[nodiscard]] std::string raised_text(const AlertSeen& alert) {
  return "raised at " + format_s(alert.t_s) + " (value " + format_rate(alert.value) + ")";
}

}  // namespace

Verdict judge_breaker_opens(const Observation& observation, std::size_t index) {
  const Assertion& assertion = observation.scenario->assertions[index];
  const FaultSpan span = find_fault_span(*observation.scenario, assertion.fault);
  const std::string expected =
      "opens within " + format_s(assertion.within_s) + " of " + assertion.fault + "'s start";
  if (!span.found) {
    Verdict verdict = unknown_fault(assertion);
    verdict.expected = expected;
    return verdict;
  }
  const auto events = payments_transitions(observation, assertion.channel);
  const BreakerTransition* opened = first_to(events, "open", span.start_s);
  Verdict verdict;
  verdict.expected = expected;
  if (opened == nullptr) {
    verdict.observed = "never opened";
    verdict.detail = breaker_of(assertion) + " never opened after " + assertion.fault +
                     " started at " + format_s(span.start_s);
    return verdict;
  }
  const double delay_s = opened->t_s - span.start_s;
  verdict.passed = delay_s <= assertion.within_s + kTolerance;
  verdict.observed = "opened " + format_s(delay_s) + " after the fault's start";
  if (!verdict.passed) {
    verdict.detail = breaker_of(assertion) + " opened at " + format_s(opened->t_s) + ", " +
                     format_s(delay_s) + " after " + assertion.fault + " started: later than " +
                     format_s(assertion.within_s);
  }
  return verdict;
}

Verdict judge_breaker_closes(const Observation& observation, std::size_t index) {
  const Assertion& assertion = observation.scenario->assertions[index];
  const FaultSpan span = find_fault_span(*observation.scenario, assertion.fault);
  Verdict verdict;
  verdict.expected =
      "closes within " + format_s(assertion.within_s) + " of " + assertion.fault + "'s end";
  if (!span.found)
    return {false, verdict.expected, "unknown fault", unknown_fault(assertion).detail};
  // A fault without an end lasts as long as the load.
  const double end_s = span.end_s.value_or(observation.scenario->duration_s);
  const auto events = payments_transitions(observation, assertion.channel);
  const BreakerTransition* opened = first_to(events, "open", span.start_s);
  if (opened == nullptr || opened->t_s > end_s) {
    verdict.observed = "never opened";
    verdict.detail = breaker_of(assertion) + " never opened during " + assertion.fault +
                     ", so it cannot have closed";
    return verdict;
  }
  // The breaker may have recovered while a partial fault still ran: closed at the end is
  // what the assertion is after, not a transition at a particular instant.
  const BreakerTransition* at_end = state_at(events, end_s);
  if (at_end != nullptr && at_end->to == "closed") {
    verdict.passed = true;
    verdict.observed = "already closed at the fault's end (since " + format_s(at_end->t_s) + ")";
    return verdict;
  }
  const BreakerTransition* closed = first_to(events, "closed", end_s);
  if (closed == nullptr) {
    verdict.observed = "never closed";
    verdict.detail = breaker_of(assertion) + " was still " +
                     (events.empty() ? std::string("open") : events.back().to) +
                     " at the end of the run, " + assertion.fault + " ended at " + format_s(end_s);
    return verdict;
  }
  const double delay_s = closed->t_s - end_s;
  verdict.passed = delay_s <= assertion.within_s + kTolerance;
  verdict.observed = "closed " + format_s(delay_s) + " after the fault's end";
  if (!verdict.passed) {
    verdict.detail = breaker_of(assertion) + " closed at " + format_s(closed->t_s) + ", " +
                     format_s(delay_s) + " after " + assertion.fault + " ended: later than " +
                     format_s(assertion.within_s);
  }
  return verdict;
}

Verdict judge_settled(const Observation& observation, std::size_t index) {
  const Assertion& assertion = observation.scenario->assertions[index];
  Verdict verdict;
  verdict.expected = "0 unsettled " + format_s(assertion.within_s) + " after " +
                     (assertion.fault.empty() ? std::string("the load") : assertion.fault) +
                     "'s end";
  const auto probe = std::find_if(observation.probes.begin(), observation.probes.end(),
                                  [index](const SettleProbe& p) { return p.assertion == index; });
  if (probe == observation.probes.end() || !probe->taken) {
    verdict.observed = "not measured";
    verdict.detail = "the settle probe was not taken: the run ended before it was due";
    return verdict;
  }
  verdict.passed = probe->unsettled == 0;
  verdict.observed = format_count(probe->unsettled) + " unsettled at " + format_s(probe->t_s);
  if (!probe->examples.empty()) {
    verdict.observed += ": " + join(probe->examples, ", ");
    if (probe->examples.size() < probe->unsettled) verdict.observed += ", ...";
  }
  if (!verdict.passed) {
    verdict.detail = format_count(probe->unsettled) +
                     " orders were final at their channel and still PROCESSING at the gateway";
  }
  return verdict;
}

Verdict judge_invariants(const Observation& observation, std::size_t index) {
  const Assertion& assertion = observation.scenario->assertions[index];
  const auto max = static_cast<std::size_t>(std::max(assertion.max, 0.0));
  Verdict verdict;
  verdict.expected = "<= " + format_count(max) + " violations";
  if (observation.checker == nullptr) {
    verdict.observed = "not measured";
    verdict.detail = "the checker did not run";
    return verdict;
  }
  const CheckReport& report = *observation.checker;
  verdict.passed = report.violation_count <= max;
  verdict.observed = format_count(report.violation_count) +
                     (report.violation_count == 1 ? " violation" : " violations");
  std::vector<std::string> parts;
  for (const auto& [invariant, count] : counts_by_invariant(report)) {
    if (count > 0) parts.push_back(invariant + " " + format_count(count));
  }
  if (!parts.empty()) verdict.observed += ": " + join(parts, ", ");
  if (!verdict.passed) {
    verdict.detail = "the checker found " + verdict.observed;
    if (!report.violations.empty()) {
      const Violation& first = report.violations.front();
      verdict.detail +=
          "; first: " + first.invariant + " on " + first.order_id + ": " + first.message;
    }
  }
  return verdict;
}

Verdict judge_alert(const Observation& observation, std::size_t index) {
  const Assertion& assertion = observation.scenario->assertions[index];
  const Window& window = assertion.window;
  const AlertSeen* inside = nullptr;   // the earliest firing in the window
  const AlertSeen* outside = nullptr;  // the earliest firing anywhere else
  for (const AlertSeen& alert : observation.alerts) {
    if (!alert.firing) continue;
    if (!assertion.rule.empty() && alert.rule != assertion.rule) continue;
    if (!assertion.channel.empty() && alert.channel != assertion.channel) continue;
    const bool in_window = alert.t_s >= window.from_s && alert.t_s < window.to_s;
    const AlertSeen*& earliest = in_window ? inside : outside;
    if (earliest == nullptr || alert.t_s < earliest->t_s) earliest = &alert;
  }
  Verdict verdict;
  const std::string label = alert_label(assertion);
  verdict.expected = label + (assertion.raised ? " raised" : " not raised");
  verdict.passed = (inside != nullptr) == assertion.raised;
  if (inside != nullptr) {
    verdict.observed = raised_text(*inside);
  } else if (outside != nullptr) {
    verdict.observed = "not raised in the window (" + raised_text(*outside) + ", outside it)";
  } else {
    verdict.observed = "not raised";
  }
  if (!verdict.passed) {
    verdict.detail = assertion.raised ? label + " did not fire in the window"
                                      : label + " fired in the window at " + format_s(inside->t_s);
  }
  return verdict;
}

}  // namespace fusebox::harness::detail
