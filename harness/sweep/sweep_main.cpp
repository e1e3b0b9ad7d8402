// `fusebox sweep`: check the input, sweep, then tell a person what failed and hand them a
// command per failing seed that replays it, with the varied and the shrunk scenario written
// out as files they can open, edit and run.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "fusebox/common/config.hpp"
#include "fusebox/harness/cli.hpp"

#include "sweep_internal.hpp"

namespace fusebox::harness {

namespace {

namespace fs = std::filesystem;

// A word a POSIX shell reads back as it is: quoted only when it has to be.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (const char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The shortest text that reads back as the same double ("0.1", not "0.10000000000000001").
std::string shortest(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

std::string scale_flag(double time_scale) {
  return time_scale == 1.0 ? "" : " --time-scale " + shortest(time_scale);
}

std::string run_command(const fs::path& file, std::uint64_t seed, const SweepArgs& args) {
  return "fusebox run " + shell_word(file.string()) + " --mode sim --seed " + std::to_string(seed) +
         scale_flag(args.time_scale) + args.run_flags;
}

std::string check_args(const SweepArgs& args) {
  if (args.seeds == 0) return "--seeds must be at least 1";
  if (args.jobs == 0) return "--jobs must be at least 1";
  if (args.from > std::numeric_limits<std::uint64_t>::max() - (args.seeds - 1)) {
    return "--from plus --seeds runs past the largest seed (2^64 - 1)";
  }
  if (!(args.time_scale > 0 && args.time_scale <= 1)) return "--time-scale must be in (0, 1]";
  return "";
}

// Every seed's schedule must load like the one written; the ends of the ranges are where
// it would not.
bool corners_load(const nlohmann::json& doc, const std::string& source, std::ostream& err) {
  for (const bool high : {false, true}) {
    std::string error;
    if (detail::load_document(detail::vary_corner(doc, high), source, error)) continue;
    err << source << ": with every fault at the " << (high ? "high" : "low")
        << " end of its \"vary\" ranges the scenario does not load: " << error << "\n";
    return false;
  }
  return true;
}

// The document a sweep varies, once the loader has accepted the file (with its messages).
std::optional<nlohmann::json> load_input(const SweepArgs& args, std::ostream& err) {
  try {
    const Scenario scenario = load_scenario(args.scenario);
    if (std::find(scenario.modes.begin(), scenario.modes.end(), "sim") == scenario.modes.end()) {
      err << args.scenario << ": /modes: a sweep runs in sim mode, which this scenario "
          << "does not allow\n";
      return std::nullopt;
    }
    nlohmann::json doc = ConfigDocument::load_file(args.scenario).json();
    if (!corners_load(doc, args.scenario, err)) return std::nullopt;
    return doc;
  } catch (const ConfigError& error) {
    err << error.what() << "\n";
    return std::nullopt;
  }
}

// Formatted apart, so the caller's stream keeps its own precision.
std::string one_decimal(double value) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << value;
  return text.str();
}

void print_summary(std::ostream& out, const SweepArgs& args,
                   const std::vector<SeedOutcome>& outcomes, double wall_s) {
  std::map<std::string, std::uint64_t> by_check;  // sorted: stable output
  std::uint64_t failed = 0;
  for (const SeedOutcome& o : outcomes) {
    if (o.passed && o.error.empty()) continue;
    ++failed;
    if (!o.error.empty()) ++by_check["(run error)"];
    for (const std::string& check : o.failed_checks)
      ++by_check[check];
  }
  const auto row = [&](const std::string& label) -> std::ostream& {
    return out << "  " << std::left << std::setw(24) << label << std::right << std::setw(10);
  };
  out << "sweep " << args.scenario << ": seeds " << args.from << ".."
      << args.from + (args.seeds - 1) << " on " << args.jobs << " job(s)\n";
  row("seeds run") << outcomes.size() << "\n";
  row("passed") << outcomes.size() - failed << "\n";
  row("failed") << failed << "\n";
  row("wall time") << one_decimal(wall_s) << " s\n";
  row("seeds per second") << one_decimal(wall_s > 0 ? static_cast<double>(outcomes.size()) / wall_s
                                                    : 0.0)
                          << "\n";
  if (by_check.empty()) return;
  out << "failures by check (seeds)\n";
  for (const auto& [check, count] : by_check)
    row(check) << count << "\n";
}

std::string failure_text(const SeedOutcome& o) {
  if (!o.error.empty()) return "error: " + o.error;
  std::string text = "failed: ";
  for (std::size_t i = 0; i < o.failed_checks.size(); ++i)
    text += (i == 0 ? "" : ", ") + o.failed_checks[i];
  if (o.violation_count > 0) text += " (" + std::to_string(o.violation_count) + " violations)";
  return text;
}

std::string size_text(const ShrinkResult& s) {
  std::ostringstream out;
  out << "faults " << s.original_size.faults << " -> " << s.shrunk_size.faults << ", fault seconds "
      << s.original_size.fault_s << " -> " << s.shrunk_size.fault_s << ", sum of p "
      << s.original_size.p_sum << " -> " << s.shrunk_size.p_sum << " (" << s.runs << " runs)";
  return out.str();
}

void write_json(const fs::path& file, const nlohmann::json& document) {
  std::ofstream stream(file, std::ios::binary | std::ios::trunc);
  stream << document.dump(2) << "\n";
  if (!stream.flush()) throw std::runtime_error(file.string() + ": cannot write");
}

// Shrinks the first max_shrunk failing seeds (not those whose run errored), `jobs` at a time.
std::map<std::uint64_t, ShrinkResult> shrink_failures(const nlohmann::json& doc,
                                                      const SweepArgs& args,
                                                      const std::vector<SeedOutcome>& outcomes,
                                                      const ResultRunner& runner) {
  std::vector<const SeedOutcome*> chosen;
  for (const SeedOutcome& o : outcomes) {
    if (args.no_shrink || std::cmp_greater_equal(chosen.size(), args.max_shrunk)) break;
    if (!o.passed && o.error.empty()) chosen.push_back(&o);
  }
  std::vector<ShrinkResult> shrunk(chosen.size());
  const ShrinkOptions options{args.scenario, args.time_scale};
  detail::parallel_for(chosen.size(), args.jobs, [&](std::uint64_t i) {
    shrunk[i] = shrink(doc, *chosen[i], options, runner);
  });
  std::map<std::uint64_t, ShrinkResult> by_seed;
  for (std::size_t i = 0; i < chosen.size(); ++i)
    by_seed.emplace(chosen[i]->seed, std::move(shrunk[i]));
  return by_seed;
}

void report_failures(const nlohmann::json& doc, const SweepArgs& args, const fs::path& dir,
                     const std::vector<SeedOutcome>& outcomes, const ResultRunner& runner,
                     std::ostream& out) {
  const std::map<std::uint64_t, ShrinkResult> shrunk = shrink_failures(doc, args, outcomes, runner);
  out << "failing seeds (scenario files in " << dir.string() << ")\n";
  const auto failing = std::count_if(outcomes.begin(), outcomes.end(),
                                     [](const SeedOutcome& o) { return !o.passed; });
  if (!args.no_shrink && std::cmp_greater(failing, shrunk.size())) {
    out << "(shrunk: the first " << shrunk.size() << " failing seeds that ran; the rest are "
        << "listed only)\n";
  }
  for (const SeedOutcome& o : outcomes) {
    if (o.passed && o.error.empty()) continue;
    const fs::path varied = dir / ("seed-" + std::to_string(o.seed) + ".json");
    write_json(varied, vary_document(doc, o.seed));
    out << "seed " << o.seed << ": " << failure_text(o) << "\n"
        << "  replay:  " << run_command(varied, o.seed, args) << "\n";
    if (const auto s = shrunk.find(o.seed); s != shrunk.end()) {
      const fs::path file = dir / ("seed-" + std::to_string(o.seed) + "-shrunk.json");
      write_json(file, s->second.document);
      out << "  shrunk:  " << run_command(file, o.seed, args) << "\n"
          << "           " << size_text(s->second) << "\n";
      for (const std::string& step : s->second.steps)
        out << "           " << step << "\n";
    }
    out << "  sweep:   fusebox sweep " << shell_word(args.scenario) << " --seeds 1 --from "
        << o.seed << scale_flag(args.time_scale) << args.run_flags << "\n";
  }
}

}  // namespace

int sweep_main(const SweepArgs& args, const ResultRunner& runner, std::ostream& out,
               std::ostream& err) {
  if (const std::string problem = check_args(args); !problem.empty()) {
    err << "fusebox sweep: " << problem << "\n";
    return kExitBadInput;
  }
  const std::optional<nlohmann::json> doc = load_input(args, err);
  if (!doc) return kExitBadInput;

  const auto started = std::chrono::steady_clock::now();
  const SweepOptions options{args.scenario, args.from,       args.seeds,
                             args.jobs,     args.time_scale, args.progress ? &err : nullptr};
  const std::vector<SeedOutcome> outcomes = sweep(*doc, options, runner);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  print_summary(out, args, outcomes, wall.count());
  const bool all_passed = std::all_of(outcomes.begin(), outcomes.end(), [](const SeedOutcome& o) {
    return o.passed && o.error.empty();
  });
  if (all_passed) return kExitOk;

  const fs::path dir = args.out_dir.empty()
                           ? fs::path("runs") / ("sweep-" + std::to_string(args.from) + "-" +
                                                 std::to_string(args.from + (args.seeds - 1)))
                           : args.out_dir;
  try {
    fs::create_directories(dir);
    report_failures(*doc, args, dir, outcomes, runner, out);
  } catch (const std::exception& e) {
    err << "fusebox sweep: " << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitCheckFailed;
}

}  // namespace fusebox::harness
