// The outputs of a search: the table on stdout and tune.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tune_internal.hpp"

namespace fusebox::harness::detail {
namespace {

// Whole numbers without decimals (counts usually are), others with `decimals`.
std::string number_text(double value, int decimals) {
  char buffer[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  }
  return buffer;
}

std::string recovery_text(const SettingMetrics& m) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.1f", m.recovery_s);
  return std::string(buffer) + (m.recovered ? "" : " (open)");
}

std::vector<std::string> row_cells(const TuneOutcome& outcome, std::size_t i) {
  std::vector<std::string> cells{std::to_string(i + 1)};
  for (const auto& value : outcome.settings[i])
    cells.push_back(value_text(value));
  const SettingMetrics& m = outcome.metrics[i];
  cells.push_back(number_text(m.failed_during_faults, 1));
  cells.push_back(number_text(m.false_trips, 2));
  cells.push_back(recovery_text(m));
  cells.push_back(std::to_string(m.passed_seeds) + "/" + std::to_string(m.seeds));
  cells.emplace_back(outcome.pareto[i] ? "*" : "");
  return cells;
}

void print_row(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
               std::ostream& out) {
  std::string line;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    line += cells[c];
    if (c + 1 < cells.size()) line += std::string(widths[c] - cells[c].size() + 2, ' ');
  }
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
  out << line << '\n';
}

nlohmann::json metrics_json(const SettingMetrics& m) {
  return {{"failed_during_faults", m.failed_during_faults},
          {"false_trips", m.false_trips},
          {"recovery_s", m.recovery_s},
          {"recovered", m.recovered},
          {"passed_seeds", m.passed_seeds},
          {"seeds", m.seeds}};
}

nlohmann::json run_json(std::uint64_t seed, const RunMetrics& run) {
  return {{"seed", seed},
          {"failed_during_faults", run.failed_during_faults},
          {"false_trips", run.false_trips},
          {"recovery_s", run.recovery_s},
          {"recovered", run.recovered},
          {"passed", run.passed}};
}

nlohmann::json param_json(const TuneParam& param) {
  if (param.kind == TuneParam::Kind::list) {
    return {{"name", param.name}, {"kind", "list"}, {"values", param.values}};
  }
  return {{"name", param.name},
          {"kind", "range"},
          {"lo", param.lo},
          {"hi", param.hi},
          {"integer", param.integer}};
}

}  // namespace

void print_table(const TuneOutcome& outcome, std::ostream& out) {
  std::vector<std::string> header{"#"};
  for (const auto& param : outcome.params)
    header.push_back(param.name);
  for (const char* name : {"failed in faults", "false trips", "recovery s", "passed", "pareto"}) {
    header.emplace_back(name);
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < outcome.settings.size(); ++i)
    rows.push_back(row_cells(outcome, i));
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows)
      widths[c] = std::max(widths[c], row[c].size());
  }
  print_row(header, widths, out);
  for (const auto& row : rows)
    print_row(row, widths, out);
  std::string best;
  for (std::size_t i = 0; i < outcome.pareto.size(); ++i) {
    if (outcome.pareto[i]) best += (best.empty() ? "#" : ", #") + std::to_string(i + 1);
  }
  out << "Pareto-best (*): " << best
      << " (no other setting is as good on all three figures and better on one)\n"
      << "Means over " << outcome.seeds.size() << (outcome.seeds.size() == 1 ? " seed" : " seeds")
      << "; recovery \"(open)\": the breaker was not closed for good by the channel's next "
         "fault or the end\n";
}

nlohmann::json tune_document(const TuneOutcome& outcome, const TuneArgs& args) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& param : outcome.params)
    params.push_back(param_json(param));
  nlohmann::json settings = nlohmann::json::array();
  nlohmann::json best = nlohmann::json::array();
  for (std::size_t i = 0; i < outcome.settings.size(); ++i) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t p = 0; p < outcome.params.size(); ++p) {
      values[outcome.params[p].name] = outcome.settings[i][p];
    }
    nlohmann::json runs = nlohmann::json::array();
    for (std::size_t s = 0; s < outcome.seeds.size(); ++s) {
      runs.push_back(run_json(outcome.seeds[s], outcome.runs[i][s]));
    }
    settings.push_back({{"index", i + 1},
                        {"values", std::move(values)},
                        {"metrics", metrics_json(outcome.metrics[i])},
                        {"runs", std::move(runs)},
                        {"pareto", static_cast<bool>(outcome.pareto[i])}});
    if (outcome.pareto[i]) best.push_back(i + 1);
  }
  return {{"schema", "fusebox.tune/1"},
          {"scenario", outcome.scenario},
          {"file", args.scenario.generic_string()},
          {"search", outcome.search},
          {"seeds", outcome.seeds},
          {"time_scale", args.time_scale},
          {"false_trip_grace_s", kFalseTripGrace_s},
          {"params", std::move(params)},
          {"settings", std::move(settings)},
          {"pareto", std::move(best)}};
}

}  // namespace fusebox::harness::detail
