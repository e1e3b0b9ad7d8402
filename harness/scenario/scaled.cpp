// Scenario::scaled: the same run on a shorter (or longer) time axis. Instants and spans on
// the run's axis scale; rates, probabilities, latencies, timeouts and the gateway's own
// settings do not (docs/SCENARIOS.md, "--time-scale").

#include <cmath>
#include <stdexcept>

#include "scenario_internal.hpp"

namespace fusebox::harness {

namespace {

// The simulator's fault fields that lie on the run's time axis (delay_ms is a latency).
void scale_fault_json(nlohmann::json& fault, double factor) {
  for (const char* field : {"at_s", "for_s", "period_s"}) {
    if (fault.is_object() && fault.contains(field) && fault[field].is_number()) {
      fault[field] = fault[field].get<double>() * factor;
    }
  }
}

// A sweep's ranges for a start and a length lie on the same axis as the values they replace.
void scale_vary(FaultVary& vary, double factor) {
  for (std::optional<FaultVary::Range>* range : {&vary.at_s, &vary.for_s}) {
    if (!*range) continue;
    (*range)->lo *= factor;
    (*range)->hi *= factor;
  }
}

void scale_window(Window& window, double factor) {
  window.from_s *= factor;
  window.to_s *= factor;
  window.trim_s *= factor;
  window.text = detail::window_text(window);
}

}  // namespace

Scenario Scenario::scaled(double factor) const {
  if (!(factor > 0) || !std::isfinite(factor)) {
    throw std::invalid_argument("time scale must be a positive finite number");
  }
  Scenario s = *this;
  s.duration_s *= factor;
  // settle_s is not scaled: it is the time the gateway's own (unscaled) poller, timeouts and
  // notification retries need to catch up, and a shortened run needs no less of it.
  for (LoadPhase& p : s.load.phases) {
    p.at_s *= factor;
    p.for_s *= factor;
    p.spike_at_s *= factor;
    p.spike_for_s *= factor;
  }
  for (TimelineFault& f : s.faults) {
    f.at_s *= factor;
    if (f.for_s) *f.for_s *= factor;
    scale_fault_json(f.fault, factor);
    if (f.vary) scale_vary(*f.vary, factor);
  }
  // Faults a channel carries from the start are on the same axis.
  if (s.channels.is_array()) {
    for (auto& channel : s.channels) {
      if (!channel.contains("faults")) continue;
      for (auto& f : channel["faults"])
        scale_fault_json(f, factor);
    }
  }
  for (TimelineAction& a : s.actions) {
    a.at_s *= factor;
    if (a.for_s) *a.for_s *= factor;
  }
  // within_s is how fast the gateway reacts (its breaker, its poller), which the gateway
  // section sets and scaling leaves alone: it is not scaled either.
  for (Assertion& a : s.assertions)
    scale_window(a.window, factor);
  if (s.capacity) s.capacity->step_s *= factor;
  return s;
}

}  // namespace fusebox::harness
