#include "run_command.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <unistd.h>

#include "fusebox/common/config.hpp"
#include "fusebox/harness/cli.hpp"
#include "fusebox/harness/runner.hpp"
#include "fusebox/harness/scenario.hpp"
#include "fusebox/reports/reports.hpp"

namespace fusebox::harness {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop = true; }

// Loads every scenario named (files or folders); prints each error and returns nullopt if
// any failed, so a suite never starts half-checked.
std::optional<std::vector<Scenario>> load_all(const std::vector<std::string>& arguments,
                                              std::ostream& err) {
  std::vector<Scenario> scenarios;
  bool ok = true;
  std::vector<fs::path> files;
  try {
    files = scenario_files(arguments);
  } catch (const ConfigError& e) {
    err << e.what() << "\n";
    return std::nullopt;
  }
  if (files.empty()) {
    err << "no scenario files (*.json) in the arguments given\n";
    return std::nullopt;
  }
  for (const fs::path& file : files) {
    try {
      scenarios.push_back(load_scenario(file));
    } catch (const ConfigError& e) {
      err << e.what() << "\n";
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return scenarios;
}

std::string replay_command(const Scenario& s, const RunCommandOptions& o, std::uint64_t seed) {
  std::ostringstream out;
  out << "fusebox run " << s.file.generic_string() << " --mode " << o.mode << " --seed " << seed;
  if (o.time_scale != 1.0) out << " --time-scale " << o.time_scale;
  if (o.real_crypto) out << " --real-crypto";
  if (o.fast) out << " --fast";
  return out.str();
}

// The parts are started from this very binary. If it was rebuilt while a suite plays, the
// kernel names the old file "... (deleted)": the new one at the same path is what can start.
fs::path own_binary() {
  std::string path = fs::read_symlink("/proc/self/exe").string();
  const std::string deleted = " (deleted)";
  if (path.size() > deleted.size() && path.ends_with(deleted)) {
    path.erase(path.size() - deleted.size());
  }
  return path;
}

// --out, or a new folder under runs/ (which git ignores) named by the UTC time.
fs::path output_root(const RunCommandOptions& o) {
  return o.out_dir.empty() ? fs::path("runs") / utc_now("%Y%m%dT%H%M%SZ") : fs::path(o.out_dir);
}

RunOptions run_options(const RunCommandOptions& o, const Scenario& played, const fs::path& dir) {
  RunOptions run;
  run.seed = o.seed;
  run.out_dir = dir;
  run.time_scale = o.time_scale;
  run.gateway_url = o.gateway_url;
  run.simulator_url = o.simulator_url;
  run.admin_token = o.admin_token;
  run.fusebox_binary = own_binary();
  run.status_line = !o.quiet && isatty(STDERR_FILENO) == 1;
  run.replay_command = replay_command(played, o, o.seed.value_or(played.seed));
  return run;
}

// One scenario in virtual time; prints the trace digest and the speed (neither is in the
// result, which must stay byte-identical between runs).
json play_sim(const Scenario& s, const RunCommandOptions& o, const RunOptions& run,
              std::ostream& out) {
  SimOptions sim;
  sim.seed = o.seed;
  sim.time_scale = o.time_scale;
  sim.real_crypto = o.real_crypto;
  sim.fast = o.fast;
  sim.replay_command = run.replay_command;
  SimRun played = run_sim(s, sim);
  out << s.name << ": trace digest " << played.trace_digest << ", " << played.events << " events, "
      << std::fixed << std::setprecision(1) << played.virtual_s << " virtual s in "
      << std::setprecision(2) << played.wall_s << " wall s (" << std::setprecision(0)
      << (played.wall_s > 0 ? played.virtual_s / played.wall_s : 0.0) << "x)\n"
      << std::defaultfloat << std::setprecision(6);
  return std::move(played.result);
}

void install_stop_handlers() {
  g_stop = false;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

void print_summary(const json& result, std::ostream& out) {
  std::size_t held = 0;
  for (const json& a : result["assertions"]) {
    if (a.value("passed", false)) ++held;
  }
  out << (result.value("passed", false) ? "PASS " : "FAIL ") << result.value("scenario", "")
      << " (seed " << result.value("seed", 0) << "): " << held << "/" << result["assertions"].size()
      << " assertions held, " << result["checker"].value("violation_count", 0)
      << " invariant violations, " << result["load"].value("sent", 0) << " requests at "
      << result["load"].value("achieved_tps", 0.0) << " tps\n";
  for (const json& a : result["assertions"]) {
    if (a.value("passed", false)) continue;
    out << "  failed: " << a.value("name", "") << " [" << a.value("window", "") << "]: expected "
        << a.value("expected", "") << ", observed " << a.value("observed", "");
    if (!a.value("detail", "").empty()) out << " (" << a.value("detail", "") << ")";
    out << "\n";
  }
  constexpr std::size_t kViolationsShown = 10;  // the rest are in result.json and the report
  const json& violations = result["checker"]["violations"];
  for (std::size_t i = 0; i < violations.size() && i < kViolationsShown; ++i) {
    const json& v = violations[i];
    out << "  violation: " << v.value("invariant", "") << " " << v.value("order_id", "") << ": "
        << v.value("message", "") << "\n";
  }
  const std::size_t count = result["checker"].value("violation_count", std::size_t{0});
  if (count > kViolationsShown) {
    out << "  ... and " << count - kViolationsShown << " more violations (result.json)\n";
  }
  for (const json& p : result["problems"])
    out << "  problem: " << p.get<std::string>() << "\n";
  if (!result.value("passed", false)) out << "  replay: " << result.value("replay", "") << "\n";
}

}  // namespace

int validate_scenarios(const std::vector<std::string>& arguments, std::ostream& out,
                       std::ostream& err) {
  const auto scenarios = load_all(arguments, err);
  if (!scenarios) return kExitBadInput;
  for (const Scenario& s : *scenarios) {
    out << s.file.generic_string() << ": ok (" << s.duration_s << " s, " << s.faults.size()
        << " faults, " << s.actions.size() << " actions, " << s.assertions.size()
        << " assertions)\n";
  }
  return kExitOk;
}

int run_scenarios(const RunCommandOptions& o, std::ostream& out, std::ostream& err) {
  if (o.time_scale <= 0 || o.time_scale > 1) {
    err << "--time-scale: expected a number in (0, 1], got " << o.time_scale << "\n";
    return kExitBadInput;
  }
  auto scenarios = load_all(o.scenarios, err);
  if (!scenarios) return kExitBadInput;
  if (o.mode == "sim" && (!o.gateway_url.empty() || !o.simulator_url.empty())) {
    err << "fusebox run --mode sim: --gateway and --simulator aim at running parts, which sim "
           "mode cannot drive (it plays the reference gateway and the channel models in virtual "
           "time); use --mode live\n";
    return kExitBadInput;
  }
  if (o.mode != "sim" && (o.real_crypto || o.fast)) {
    err << "fusebox run: " << (o.fast ? "--fast" : "--real-crypto")
        << " is for --mode sim (a live run always speaks the wire with real signatures)\n";
    return kExitBadInput;
  }
  if (o.real_crypto && o.fast) {
    err << "fusebox run: --fast skips the codecs and with them every signature; "
           "--real-crypto has nothing to sign (use one or the other)\n";
    return kExitBadInput;
  }
  // A scenario named alone must run in the mode asked; in a suite, one made for the other
  // mode only (a week of virtual time has no live run) is skipped, and said so.
  const bool many = scenarios->size() > 1;
  std::vector<Scenario> playable;
  for (Scenario& s : *scenarios) {
    if (many && !s.suite) {
      err << s.file.generic_string() << ": a benchmark (\"suite\": false), not part of a suite "
          << "run; skipped (run it by name)\n";
      continue;
    }
    if (std::find(s.modes.begin(), s.modes.end(), o.mode) != s.modes.end()) {
      playable.push_back(std::move(s));
      continue;
    }
    err << s.file.generic_string() << ": /modes: this scenario does not run in " << o.mode
        << " mode" << (many ? "; skipped" : "") << "\n";
    if (!many) return kExitBadInput;
  }
  scenarios = std::move(playable);
  if (scenarios->empty()) {
    err << "no scenario given runs in " << o.mode << " mode; nothing was run\n";
    return kExitBadInput;
  }
  const fs::path root = output_root(o);
  const bool suite = many;
  install_stop_handlers();

  std::vector<json> results;
  bool all_passed = true;
  for (const Scenario& played : *scenarios) {
    if (g_stop) break;
    const Scenario s = o.time_scale == 1.0 ? played : played.scaled(o.time_scale);
    const RunOptions run = run_options(o, played, suite ? root / s.name : root);
    json result;
    try {
      result = o.mode == "sim" ? play_sim(s, o, run, out) : run_live(s, run, g_stop, err);
    } catch (const RunError& e) {
      err << s.file.generic_string() << ": the run could not go on: " << e.what() << "\n";
      return kExitBadInput;
    }
    fs::create_directories(run.out_dir);
    write_text(run.out_dir / "result.json", result.dump(2) + "\n");
    reports::write_reports(result, run.out_dir);
    print_summary(result, out);
    all_passed = all_passed && result.value("passed", false);
    results.push_back(std::move(result));
  }
  if (suite) {
    write_text(root / "junit.xml", reports::render_junit(results));
    write_text(root / "index.html", reports::render_index_html(results));
  }
  out << "reports in " << root.generic_string() << "\n";
  if (g_stop) {
    err << "interrupted: the parts that were started have been stopped\n";
    return kExitCheckFailed;
  }
  return all_passed ? kExitOk : kExitCheckFailed;
}

int capacity_scenario(const RunCommandOptions& o, std::ostream& out, std::ostream& err) {
  const auto scenarios = load_all(o.scenarios, err);
  if (!scenarios) return kExitBadInput;
  const Scenario& played = scenarios->front();
  const Scenario s = o.time_scale == 1.0 ? played : played.scaled(o.time_scale);
  const fs::path root = output_root(o);
  install_stop_handlers();
  RunOptions run = run_options(o, played, root);
  run.replay_command = "fusebox capacity " + played.file.generic_string();
  json result;
  try {
    result = run_capacity(s, run, g_stop, err);
  } catch (const RunError& e) {
    err << s.file.generic_string() << ": the capacity search could not go on: " << e.what() << "\n";
    return kExitBadInput;
  }
  const json& capacity = result["capacity"];
  out << "capacity of " << s.name << ":\n";
  for (const json& step : capacity["steps"]) {
    out << "  " << std::setw(8) << step.value("tps", 0.0) << " tps offered  " << std::setw(8)
        << step["achieved_tps"] << " achieved  p99 " << std::setw(8) << step["p99_ms"] << " ms  "
        << (step.value("passed", false) ? "held" : "BROKE");
    if (!step["broken"].empty()) out << " (" << step["broken"].dump() << ")";
    out << "\n";
  }
  out << "  highest rate that held: " << capacity["max_tps_held"] << " tps; knee "
      << capacity["knee_tps"] << " tps; forecast " << capacity["forecast_tps"] << "; headroom "
      << capacity["headroom"] << "\n";
  if (!capacity["first_broken"].is_null()) {
    out << "  first to break: " << capacity["first_broken"].dump() << "\n";
  }
  if (!result.contains("schema")) {
    err << "no step held: even " << s.capacity.value_or(CapacitySpec{}).start_tps
        << " tps broke an SLO\n";
    return kExitCheckFailed;
  }
  write_text(root / "result.json", result.dump(2) + "\n");
  reports::write_reports(result, root);
  out << "reports in " << root.generic_string() << "\n";
  const double forecast = capacity.value("forecast_tps", json(0.0)).is_number()
                              ? capacity["forecast_tps"].get<double>()
                              : 0.0;
  const double held =
      capacity["max_tps_held"].is_number() ? capacity["max_tps_held"].get<double>() : 0;
  return held >= forecast ? kExitOk : kExitCheckFailed;
}

int report_results(const std::vector<std::string>& files, const std::string& out_dir,
                   std::ostream& out, std::ostream& err) {
  std::vector<json> results;
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) {
      err << file << ": cannot read: " << std::strerror(errno) << "\n";
      return kExitBadInput;
    }
    json result = json::parse(in, nullptr, false);
    if (result.is_discarded()) {
      err << file << ": not a JSON document\n";
      return kExitBadInput;
    }
    if (const std::string problem = reports::check_result(result); !problem.empty()) {
      err << file << ": " << problem << "\n";
      return kExitBadInput;
    }
    results.push_back(std::move(result));
  }
  if (results.size() == 2) {
    const json comparison = reports::compare_results(results[0], results[1]);
    out << reports::render_comparison_text(comparison);
    return comparison.value("regressed", false) ? kExitCheckFailed : kExitOk;
  }
  const fs::path dir = out_dir.empty() ? fs::path(files.front()).parent_path() : fs::path(out_dir);
  reports::write_reports(results.front(), dir.empty() ? fs::path(".") : dir);
  out << "wrote " << (dir / "report.html").generic_string() << " and "
      << (dir / "junit.xml").generic_string() << "\n";
  return kExitOk;
}

}  // namespace fusebox::harness
