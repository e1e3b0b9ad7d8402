// The shrinker: a greedy search for a smaller fault schedule that still fails the same way.
// Every candidate is a whole scenario document; it is run only when it loads, is strictly
// smaller than the current schedule and the run budget allows, and it replaces the current
// one only when the same seed still fails one of the checks that failed originally. So the
// result is never larger than where it started, and always a failing, loadable scenario.

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sweep_internal.hpp"

namespace fusebox::harness {

namespace {

std::string fault_label(const nlohmann::json& fault) {
  if (fault.contains("name")) return "fault \"" + fault["name"].get<std::string>() + "\"";
  return "fault " + fault.value("kind", std::string("?")) + " on " +
         fault.value("channel", std::string("?"));
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The low end a fault's p may be lowered to: its vary.p range's, else 0.
std::vector<double> p_floors(const nlohmann::json& scenario_doc) {
  std::vector<double> floors;
  if (!scenario_doc.contains("faults")) return floors;
  for (const nlohmann::json& fault : scenario_doc["faults"]) {
    const nlohmann::json* p = nullptr;
    if (fault.contains("vary") && fault["vary"].contains("p")) p = &fault["vary"]["p"];
    floors.push_back(p != nullptr ? p->at(0).get<double>() : 0.0);
  }
  return floors;
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options, const ResultRunner& runner, const SeedOutcome& failure)
      : options_(options), runner_(runner), failure_(failure) {}

  ShrinkResult run(const nlohmann::json& scenario_doc) {
    result_.document = vary_document(scenario_doc, failure_.seed);
    result_.outcome = failure_;
    floors_ = p_floors(scenario_doc);
    std::string error;
    const auto scenario = detail::load_document(result_.document, options_.source_name, error);
    if (!scenario || failure_.passed || !failure_.error.empty()) return result_;
    duration_s_ = scenario->duration_s;
    result_.original_size = result_.shrunk_size = schedule_size(*scenario);
    drop_faults();
    for (std::size_t i = 0; i < fault_count(); ++i)
      reduce(i, "for_s", length_s(i), 1.0, 1e3);
    for (std::size_t i = 0; i < fault_count(); ++i)
      reduce(i, "p", current_fault(i).value("p", 1.0), floors_[i], 1e4);
    return result_;
  }

 private:
  [[nodiscard]] std::size_t fault_count() const {
    return result_.document.contains("faults") ? result_.document["faults"].size() : 0;
  }
  [[nodiscard]] const nlohmann::json& current_fault(std::size_t i) const {
    return result_.document["faults"][i];
  }
  [[nodiscard]] double length_s(std::size_t i) const {
    const nlohmann::json& fault = current_fault(i);
    if (fault.contains("for_s")) return fault["for_s"].get<double>();
    return std::max(0.0, duration_s_ - fault.value("at_s", 0.0));
  }
  [[nodiscard]] bool budget_left() const { return result_.runs < options_.max_runs; }

  // Last to first, so a drop never moves a fault still to be tried.
  void drop_faults() {
    for (std::size_t i = fault_count(); i-- > 0 && budget_left();) {
      nlohmann::json candidate = result_.document;
      candidate["faults"].erase(i);
      if (try_candidate(std::move(candidate), "dropped " + fault_label(current_fault(i)))) {
        floors_.erase(floors_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }

  // Lowers one field of fault i toward `floor`: the floor outright, else a few bisections
  // between the highest value seen passing and the lowest seen failing.
  void reduce(std::size_t i, const char* field, double value, double floor, double steps_per_unit) {
    if (!(value > floor) || !budget_left()) return;
    if (try_field(i, field, floor)) return;
    double passing = floor;
    double failing = value;
    for (int step = 0; step < 4 && budget_left(); ++step) {
      const double mid = std::round((passing + failing) / 2 * steps_per_unit) / steps_per_unit;
      if (!(mid > passing && mid < failing)) break;
      if (try_field(i, field, mid)) {
        failing = mid;
      } else {
        passing = mid;
      }
    }
  }

  bool try_field(std::size_t i, const char* field, double value) {
    nlohmann::json candidate = result_.document;
    const nlohmann::json& fault = current_fault(i);
    const std::string before =
        fault.contains(field) ? number_text(fault[field].get<double>()) : "(to the end)";
    candidate["faults"][i][field] = value;
    return try_candidate(std::move(candidate), fault_label(fault) + ": " + field + " " + before +
                                                   " -> " + number_text(value));
  }

  bool try_candidate(nlohmann::json candidate, std::string step) {
    std::string error;
    const auto scenario = detail::load_document(candidate, options_.source_name, error);
    if (!scenario) return false;  // e.g. a fault an assertion or a window names
    const ScheduleSize size = schedule_size(*scenario);
    if (!(size < result_.shrunk_size) || !budget_left()) return false;
    ++result_.runs;
    SeedOutcome outcome =
        detail::run_scenario(*scenario, failure_.seed, options_.time_scale, runner_);
    if (!fails_the_same_way(outcome)) return false;
    result_.document = std::move(candidate);
    result_.shrunk_size = size;
    result_.outcome = std::move(outcome);
    result_.steps.push_back(std::move(step));
    return true;
  }

  [[nodiscard]] bool fails_the_same_way(const SeedOutcome& outcome) const {
    if (outcome.passed || !outcome.error.empty()) return false;
    return std::any_of(
        outcome.failed_checks.begin(), outcome.failed_checks.end(), [&](const std::string& check) {
          return std::find(failure_.failed_checks.begin(), failure_.failed_checks.end(), check) !=
                 failure_.failed_checks.end();
        });
  }

  const ShrinkOptions& options_;
  const ResultRunner& runner_;
  const SeedOutcome& failure_;
  ShrinkResult result_;
  std::vector<double> floors_;
  double duration_s_ = 0;
};

}  // namespace

ShrinkResult shrink(const nlohmann::json& scenario_doc, const SeedOutcome& failure,
                    const ShrinkOptions& options, const ResultRunner& runner) {
  return Shrinker(options, runner, failure).run(scenario_doc);
}

}  // namespace fusebox::harness
