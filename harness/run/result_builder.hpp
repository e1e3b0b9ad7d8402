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
  const CheckReport* checker = nullptr;
  std::vector<AssertionResult> assertions;
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  std::string replay;
  std::vector<std::string> problems;  // timeline calls that failed, an interruption
  bool interrupted = false;
};

[[nodiscard]] nlohmann::json build_result(const RunRecord& record);

// The per-second length of a run's timeline: the load plus the settle period.
[[nodiscard]] std::size_t timeline_seconds(const Scenario& scenario);

}  // namespace fusebox::harness
