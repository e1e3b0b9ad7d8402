#pragma once
// Helpers shared by the tune sources; not part of the public API.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/harness/tune.hpp"

namespace fusebox::harness::detail {

// Everything a finished search has to report.
struct TuneOutcome {
  std::string scenario;  // the scenario's name
  std::string search;    // "grid, 3 points" or "random, 20 samples"
  std::vector<TuneParam> params;
  std::vector<TuneSetting> settings;
  std::vector<std::uint64_t> seeds;
  std::vector<std::vector<RunMetrics>> runs;  // [setting][seed]
  std::vector<SettingMetrics> metrics;        // [setting]
  std::vector<bool> pareto;                   // [setting]
};

// The table: one row per setting in the search's order, Pareto-best rows marked.
void print_table(const TuneOutcome& outcome, std::ostream& out);
// tune.json (docs/SCENARIOS.md, "Tuning the breaker").
[[nodiscard]] nlohmann::json tune_document(const TuneOutcome& outcome, const TuneArgs& args);

// A value as a person writes it on the command line: strings bare, the rest as JSON.
[[nodiscard]] std::string value_text(const nlohmann::json& value);

}  // namespace fusebox::harness::detail
