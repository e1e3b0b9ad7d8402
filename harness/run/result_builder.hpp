#pragma once
// Assembles result.json (docs/RESULT.md) from everything a run gathered. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/harness/assertions.hpp"
#include "fusebox/harness/checker.hpp"
#include "fusebox/harness/load.hpp"
#include "fusebox/harness/scenario.hpp"

#include "timeline.hpp"

namespace fusebox::harness {

struct RunRecord {
  const Scenario* scenario = nullptr;  // as played (scaled)
  std::string mode = "live";
  std::uint64_t seed = 1;
  double time_scale = 1;
  const Recorder* recorder = nullptr;
  std::vector<GatewayTick> ticks;  // index = second since the start of the load
  std::vector<BreakerTransition> breaker_events;
  std::vector<AlertSeen> alerts;
  RefundRatesSeen refund_rates;
  const CheckReport* checker = nullptr;
  std::vector<AssertionResult> assertions;
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  std::string replay;
  std::vector<std::string> problems;  // timeline calls that failed, an interruption
  bool interrupted = false;
};

[[nodiscard]] nlohmann::json build_result(const RunRecord& record);

// A run's timeline covers the load plus the settle period, one point a second up to two hours;
// longer runs (a sales day, a week of refunds) take one point every timeline_step_s() seconds
// so the series, the observation and result.json stay a few thousand points long.
inline constexpr double kSecondByStepUpTo_s = 7'200;
inline constexpr double kLongRunPoints = 3'600;
[[nodiscard]] double timeline_step_s(const Scenario& scenario);
[[nodiscard]] std::size_t timeline_points(const Scenario& scenario);

}  // namespace fusebox::harness
