// Comparing two runs of one scenario, as a CI job does between a baseline and a change. The
// thresholds are deliberately coarse: live-mode figures move a little from run to run, and a
// comparison that cries wolf is soon ignored.
#include <algorithm>
#include <string>
#include <vector>

#include "fusebox/reports/reports.hpp"

#include "text.hpp"

namespace fusebox::reports {
namespace {

using detail::field;
using detail::string_field;

constexpr double kSuccessRateDropMax = 0.005;  // 0.5 percentage points, rates being 0..1
constexpr double kP99GrowthMax = 0.20;         // +20%
constexpr double kTpsDropMax = 0.05;           // -5%

class Comparison {
 public:
  void add(std::string_view section, std::string_view name, std::string_view metric,
           const nlohmann::json& a, const nlohmann::json& b, std::string_view rule) {
    nlohmann::json row = {
        {"section", section},         {"name", name}, {"metric", metric}, {"a", a}, {"b", b},
        {"regressed", !rule.empty()}, {"rule", rule}};
    if (!rule.empty()) {
      regressions_.push_back(std::string(section) + " " + std::string(name) + " " +
                             std::string(metric) + ": " + std::string(rule) + " (A " +
                             detail::display(a) + ", B " + detail::display(b) + ")");
    }
    rows_.push_back(std::move(row));
  }
  [[nodiscard]] nlohmann::json rows() const { return rows_; }
  [[nodiscard]] nlohmann::json regressions() const { return regressions_; }

 private:
  nlohmann::json rows_ = nlohmann::json::array();
  nlohmann::json regressions_ = nlohmann::json::array();
};

bool both_numbers(const nlohmann::json& a, const nlohmann::json& b) {
  return a.is_number() && b.is_number();
}

std::string success_rate_rule(const nlohmann::json& a, const nlohmann::json& b) {
  if (!both_numbers(a, b) || b.get<double>() >= a.get<double>() - kSuccessRateDropMax) return "";
  return "success rate down by more than 0.5 points";
}

std::string p99_rule(const nlohmann::json& a, const nlohmann::json& b) {
  // From a zero baseline any growth is unmeasurable as a ratio; such runs have no latency.
  if (!both_numbers(a, b) || a.get<double>() <= 0) return "";
  if (b.get<double>() <= a.get<double>() * (1.0 + kP99GrowthMax)) return "";
  return "p99 latency up by more than 20%";
}

std::string tps_rule(const nlohmann::json& a, const nlohmann::json& b) {
  if (!both_numbers(a, b) || b.get<double>() >= a.get<double>() * (1.0 - kTpsDropMax)) return "";
  return "throughput down by more than 5%";
}

const nlohmann::json* find_assertion(const nlohmann::json& result, const std::string& name) {
  for (const nlohmann::json& assertion : detail::array_field(result, "assertions")) {
    if (string_field(assertion, "name") == name) return &assertion;
  }
  return nullptr;
}

nlohmann::json verdict(const nlohmann::json* assertion) {
  if (assertion == nullptr) return nullptr;
  return (detail::bool_field(*assertion, "passed") ? "pass: " : "FAIL: ") +
         string_field(*assertion, "observed");
}

void compare_assertions(const nlohmann::json& a, const nlohmann::json& b, Comparison& out) {
  std::vector<std::string> names;
  for (const nlohmann::json* result : {&a, &b}) {
    for (const nlohmann::json& assertion : detail::array_field(*result, "assertions")) {
      const std::string name = string_field(assertion, "name");
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    const nlohmann::json* in_a = find_assertion(a, name);
    const nlohmann::json* in_b = find_assertion(b, name);
    const bool regressed = in_a != nullptr && in_b != nullptr &&
                           detail::bool_field(*in_a, "passed") &&
                           !detail::bool_field(*in_b, "passed");
    out.add("assertion", name, "verdict", verdict(in_a), verdict(in_b),
            regressed ? "passed in A, fails in B" : "");
  }
}

void compare_load(const nlohmann::json& a, const nlohmann::json& b, Comparison& out) {
  const nlohmann::json& load_a = field(a, "load");
  const nlohmann::json& load_b = field(b, "load");
  if (!load_a.is_object() || !load_b.is_object()) return;
  const nlohmann::json& tps_a = field(load_a, "achieved_tps");
  const nlohmann::json& tps_b = field(load_b, "achieved_tps");
  out.add("load", "all", "achieved_tps", tps_a, tps_b, tps_rule(tps_a, tps_b));
  const nlohmann::json& p99_a = field(field(load_a, "latency_ms"), "p99");
  const nlohmann::json& p99_b = field(field(load_b, "latency_ms"), "p99");
  out.add("load", "all", "p99_ms", p99_a, p99_b, p99_rule(p99_a, p99_b));
}

void compare_channels(const nlohmann::json& a, const nlohmann::json& b, Comparison& out) {
  const nlohmann::json& channels_a = field(a, "channels");
  const nlohmann::json& channels_b = field(b, "channels");
  if (!channels_a.is_object()) return;
  for (const auto& [name, channel_a] : channels_a.items()) {
    const nlohmann::json& channel_b = field(channels_b, name);
    const nlohmann::json& rate_a = field(channel_a, "success_rate");
    const nlohmann::json& rate_b = field(channel_b, "success_rate");
    out.add("channel", name, "success_rate", rate_a, rate_b, success_rate_rule(rate_a, rate_b));
    const nlohmann::json& p99_a = field(field(channel_a, "latency_ms"), "p99");
    const nlohmann::json& p99_b = field(field(channel_b, "latency_ms"), "p99");
    out.add("channel", name, "p99_ms", p99_a, p99_b, p99_rule(p99_a, p99_b));
    out.add("channel", name, "breaker_trips", field(channel_a, "breaker_trips"),
            field(channel_b, "breaker_trips"), "");
  }
}

nlohmann::json violation_count(const nlohmann::json& result) {
  const nlohmann::json& checker = field(result, "checker");
  const nlohmann::json& count = field(checker, "violation_count");
  if (count.is_number()) return count;
  return detail::array_field(checker, "violations").size();
}

void compare_checker_and_capacity(const nlohmann::json& a, const nlohmann::json& b,
                                  Comparison& out) {
  const nlohmann::json count_a = violation_count(a);
  const nlohmann::json count_b = violation_count(b);
  out.add("checker", "invariants", "violations", count_a, count_b,
          count_b.get<double>() > count_a.get<double>() ? "new checker violations" : "");
  const nlohmann::json& capacity_a = field(a, "capacity");
  const nlohmann::json& capacity_b = field(b, "capacity");
  if (!capacity_a.is_object() || !capacity_b.is_object()) return;
  const nlohmann::json& held_a = field(capacity_a, "max_tps_held");
  const nlohmann::json& held_b = field(capacity_b, "max_tps_held");
  out.add("capacity", "all", "max_tps_held", held_a, held_b, tps_rule(held_a, held_b));
}

nlohmann::json identity(const nlohmann::json& result) {
  return {{"scenario", field(result, "scenario")},
          {"seed", field(result, "seed")},
          {"mode", field(result, "mode")},
          {"passed", field(result, "passed")},
          {"started_at", field(result, "started_at")}};
}

}  // namespace

nlohmann::json compare_results(const nlohmann::json& a, const nlohmann::json& b) {
  Comparison comparison;
  compare_assertions(a, b, comparison);
  compare_load(a, b, comparison);
  compare_channels(a, b, comparison);
  compare_checker_and_capacity(a, b, comparison);
  nlohmann::json out = {{"a", identity(a)},
                        {"b", identity(b)},
                        {"rows", comparison.rows()},
                        {"regressions", comparison.regressions()}};
  out["regressed"] = !out["regressions"].empty();
  if (field(a, "scenario") != field(b, "scenario")) {
    out["warning"] = "the two results are of different scenarios";
  }
  return out;
}

}  // namespace fusebox::reports
