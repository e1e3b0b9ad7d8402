// `fusebox capacity`: the highest arrival rate at which the scenario's SLOs still hold.
//
// Each step is a fresh live run (new simulator and gateway, so no step inherits another's
// backlog) at a constant rate for capacity.step_s, judged by the scenario's rate-independent
// assertions over the whole step. The rate multiplies by `factor` until a step fails, then
// bisects between the last rate that held and the first that broke.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "fusebox/harness/runner.hpp"
#include "fusebox/reports/reports.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;

// The SLOs a capacity step is judged by: the assertions that mean the same at any rate,
// over the whole step; a throughput floor becomes "answers at least 98% of what was offered".
Scenario capacity_step(const Scenario& scenario, const CapacitySpec& spec, double tps) {
  Scenario s = scenario;
  s.faults.clear();
  s.actions.clear();
  LoadPhase phase;
  phase.kind = LoadPhase::Kind::constant;
  phase.for_s = spec.step_s;
  phase.tps = tps;
  s.load.phases = {phase};
  // Evenly spaced arrivals: a step's offered load is exactly its rate, so a throughput floor
  // measures the gateway, not Poisson noise.
  s.load.arrivals = LoadSpec::Arrivals::uniform;
  s.duration_s = spec.step_s;
  s.settle_s = std::min(s.settle_s, 5.0);
  s.assertions.clear();
  for (Assertion a : scenario.assertions) {
    switch (a.kind) {
      case Assertion::Kind::success_rate:
      case Assertion::Kind::latency:
      case Assertion::Kind::late_sends:
      case Assertion::Kind::invariants:
        break;
      case Assertion::Kind::tps:
        a.min = 0.98 * tps;
        break;
      default:
        continue;  // tied to faults or to the scenario's own timeline
    }
    a.window = Window{"the whole step", 0, spec.step_s, "the whole step", 0};
    s.assertions.push_back(a);
  }
  return s;
}

json success_rate(const json& load) {
  const json& o = load["outcomes"];
  double good = 0, all = 0;
  for (const auto& [name, count] : o.items()) {
    if (name == "refused") continue;
    all += count.get<double>();
    if (name == "ok" || name == "declined") good += count.get<double>();
  }
  return all > 0 ? json(std::round(good / all * 10000) / 10000) : json(nullptr);
}

json step_summary(const json& result, double tps) {
  json broken = json::array();
  for (const json& a : result["assertions"]) {
    if (!a.value("passed", false)) broken.push_back(a.value("name", ""));
  }
  const json& load = result["load"];
  std::string channel;
  for (const auto& [name, c] : result["channels"].items()) {
    const json rate = c.value("success_rate", json(nullptr));
    if (rate.is_number() && rate.get<double>() < 0.99 && channel.empty()) channel = name;
  }
  return {{"tps", tps},
          {"achieved_tps", load.value("achieved_tps", json(nullptr))},
          {"p50_ms", load["latency_ms"].value("p50", json(nullptr))},
          {"p99_ms", load["latency_ms"].value("p99", json(nullptr))},
          {"success_rate", success_rate(load)},
          {"passed", result.value("passed", false)},
          {"broken", broken},
          {"worst_channel", channel}};
}

// The knee: the highest passing rate whose p99 is still within twice the lowest step's.
json knee_of(const json& steps) {
  double base = -1, knee = 0;
  for (const json& step : steps) {
    if (!step["p99_ms"].is_number() || !step.value("passed", false)) continue;
    const double p99 = step["p99_ms"].get<double>();
    if (base < 0) base = std::max(p99, 1.0);
    if (p99 <= 2 * base) knee = std::max(knee, step.value("tps", 0.0));
  }
  return knee > 0 ? json(knee) : json(nullptr);
}

}  // namespace

json run_capacity(const Scenario& scenario, const RunOptions& options,
                  const std::atomic<bool>& stop, std::ostream& status) {
  const CapacitySpec spec = scenario.capacity.value_or(CapacitySpec{});
  json steps = json::array();
  json held_result, first_broken;
  double held = 0, broken = 0;
  auto run_step = [&](double tps) {
    RunOptions step_options = options;
    std::ostringstream name;
    name << "step-" << std::lround(tps);
    step_options.out_dir = options.out_dir / name.str();
    const json result = run_live(capacity_step(scenario, spec, tps), step_options, stop, status);
    std::ofstream(step_options.out_dir / "result.json") << result.dump(2) << "\n";
    reports::write_reports(result, step_options.out_dir);
    steps.push_back(step_summary(result, tps));
    status << "capacity: " << std::lround(tps) << " tps "
           << (result.value("passed", false) ? "held" : "broke") << "\n";
    if (result.value("passed", false)) {
      held = std::max(held, tps);
      held_result = result;
    } else if (broken == 0 || tps < broken) {
      broken = tps;
      first_broken = {{"tps", tps},
                      {"assertion", steps.back()["broken"].empty() ? json("the run")
                                                                   : steps.back()["broken"][0]},
                      {"channel", steps.back()["worst_channel"]}};
    }
    return result.value("passed", false);
  };
  for (double tps = spec.start_tps; tps <= spec.max_tps && !stop; tps *= spec.factor) {
    if (!run_step(tps)) break;
  }
  for (int i = 0; i < spec.bisect && broken > 0 && held > 0 && !stop; ++i) {
    const double mid = std::round((held + broken) / 2);
    if (mid <= held || mid >= broken) break;
    (void)run_step(mid);
  }
  std::sort(steps.begin(), steps.end(),
            [](const json& a, const json& b) { return a.value("tps", 0.0) < b.value("tps", 0.0); });
  json result = held_result.is_null() ? json::object() : held_result;
  result["capacity"] = {
      {"steps", steps},
      {"max_tps_held", held > 0 ? json(held) : json(nullptr)},
      {"first_broken", first_broken},
      {"knee_tps", knee_of(steps)},
      {"forecast_tps", spec.forecast_tps > 0 ? json(spec.forecast_tps) : json(nullptr)},
      {"headroom", spec.forecast_tps > 0 ? json(held / spec.forecast_tps) : json(nullptr)}};
  return result;
}

}  // namespace fusebox::harness
