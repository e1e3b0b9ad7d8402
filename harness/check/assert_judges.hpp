#pragma once
// One judge per assertion kind, private to the assertion judge. Each takes the observation and
// the assertion's index and returns its verdict; evaluate() adds the name, kind and window.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fusebox/harness/assertions.hpp"

namespace fusebox::harness::detail {

struct Verdict {
  bool passed = false;
  std::string expected, observed, detail;
};

// Thresholds are compared with this slack: a drop of 1.0 - 0.99 is 0.010000000000000009 in
// binary, and a scenario asking for "max_success_drop": 0.01 means to allow exactly that.
inline constexpr double kTolerance = 1e-9;

// A fault or an operator action of the scenario, by name. end_s is nullopt when it lasts
// until the end of the run.
struct FaultSpan {
  bool found = false;
  double start_s = 0;
  std::optional<double> end_s;
};
[[nodiscard]] FaultSpan find_fault_span(const Scenario& scenario, std::string_view name);

// The merchant answers the system handled (ok + declined) among those that count (refused
// answers are the load's own probes, so they count on neither side).
struct HandledCount {
  std::uint64_t handled = 0, total = 0;
  [[nodiscard]] double rate() const {
    return total == 0 ? 0.0 : static_cast<double>(handled) / static_cast<double>(total);
  }
};
[[nodiscard]] HandledCount handled_count(const WindowStats& stats);

// Recorder based (assert_traffic.cpp).
[[nodiscard]] Verdict judge_success_rate(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_latency(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_fail_fast(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_tps(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_late_sends(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_refund_rate(const Observation& observation, std::size_t index);
// assert_isolation.cpp
[[nodiscard]] Verdict judge_isolation(const Observation& observation, std::size_t index);
// Event based (assert_events.cpp).
[[nodiscard]] Verdict judge_breaker_opens(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_breaker_closes(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_settled(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_invariants(const Observation& observation, std::size_t index);
[[nodiscard]] Verdict judge_alert(const Observation& observation, std::size_t index);

// The recorder's stats of one window and channel, or nullptr with `why` set when the
// observation cannot give them (no recorder, a channel the recorder does not know).
[[nodiscard]] const WindowStats* window_stats(const Observation& observation, std::size_t window,
                                              const std::string& channel, std::string& why);

}  // namespace fusebox::harness::detail
