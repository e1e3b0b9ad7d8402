// Drawing a seed's fault schedule from the scenario's "vary" ranges, and measuring how large
// a schedule is (what the shrinker makes smaller).

#include <algorithm>
#include <cmath>

#include "fusebox/common/rng.hpp"

#include "sweep_internal.hpp"

namespace fusebox::harness {

namespace {

// Uniform in [lo, hi], rounded to 1/steps_per_unit so replay files read well. Dividing the
// rounded integer gives the double nearest the decimal, which is also what reading the
// written file back gives: the replay runs exactly the value the sweep ran.
double draw(double u, const nlohmann::json& range, double steps_per_unit) {
  const double lo = range.at(0).get<double>();
  const double hi = range.at(1).get<double>();
  const double rounded = std::round((lo + (hi - lo) * u) * steps_per_unit) / steps_per_unit;
  return std::clamp(rounded, lo, hi);
}

void vary_fault(nlohmann::json& fault, double u_at, double u_for, double u_p) {
  const nlohmann::json vary = fault.at("vary");
  fault.erase("vary");
  if (vary.contains("at_s")) fault["at_s"] = draw(u_at, vary.at("at_s"), 1e3);
  if (vary.contains("for_s")) fault["for_s"] = draw(u_for, vary.at("for_s"), 1e3);
  if (vary.contains("p")) fault["p"] = draw(u_p, vary.at("p"), 1e4);
}

template <typename Draw>
nlohmann::json vary_each(const nlohmann::json& scenario_doc, Draw&& next) {
  nlohmann::json doc = scenario_doc;
  if (!doc.is_object() || !doc.contains("faults") || !doc["faults"].is_array()) return doc;
  for (nlohmann::json& fault : doc["faults"]) {
    if (!fault.is_object() || !fault.contains("vary")) continue;
    // Three draws per varied fault whatever it varies, so adding or removing a member on one
    // fault never shifts the values drawn for the faults after it.
    const double u_at = next();
    const double u_for = next();
    const double u_p = next();
    vary_fault(fault, u_at, u_for, u_p);
  }
  return doc;
}

}  // namespace

nlohmann::json vary_document(const nlohmann::json& scenario_doc, std::uint64_t seed) {
  Rng rng = Rng::stream(seed, "sweep.vary");
  return vary_each(scenario_doc, [&rng] { return rng.next_double(); });
}

namespace detail {

nlohmann::json vary_corner(const nlohmann::json& scenario_doc, bool high) {
  return vary_each(scenario_doc, [high] { return high ? 1.0 : 0.0; });
}

}  // namespace detail

ScheduleSize schedule_size(const Scenario& scenario) {
  ScheduleSize size;
  for (const TimelineFault& fault : scenario.faults) {
    ++size.faults;
    size.fault_s += fault.for_s ? *fault.for_s : std::max(0.0, scenario.duration_s - fault.at_s);
    size.p_sum += fault.fault.value("p", 1.0);
  }
  return size;
}

}  // namespace fusebox::harness
