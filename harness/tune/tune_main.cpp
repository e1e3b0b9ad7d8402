// `fusebox tune`: checks the arguments and every candidate before the first run, runs the
// search, prints the table and writes tune.json.
#include <algorithm>
#include <ctime>
#include <fstream>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "fusebox/common/config.hpp"
#include "fusebox/harness/cli.hpp"
#include "fusebox/harness/tune.hpp"

#include "tune_internal.hpp"

namespace fusebox::harness {
namespace {

void check_args(const TuneArgs& args) {
  if (args.params.empty()) throw TuneError("at least one --param NAME=LO:HI or NAME=a,b,c");
  if (args.seeds < 1 || args.seeds > kMaxTuneSeeds) {
    throw TuneError("--seeds: expected 1.." + std::to_string(kMaxTuneSeeds) + ", got " +
                    std::to_string(args.seeds));
  }
  if (!(args.time_scale > 0 && args.time_scale <= 1)) {
    throw TuneError("--time-scale: expected a number in (0, 1], got " +
                    std::to_string(args.time_scale));
  }
  if (args.jobs < 1 || args.jobs > kMaxTuneJobs) {
    throw TuneError("--jobs: expected 1.." + std::to_string(kMaxTuneJobs) + ", got " +
                    std::to_string(args.jobs));
  }
}

std::filesystem::path out_dir(const TuneArgs& args) {
  if (!args.out_dir.empty()) return args.out_dir;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return std::filesystem::path("runs") / (std::string("tune-") + stamp);
}

// Every candidate is parsed before anything runs, so a bad value costs no run time.
std::vector<Scenario> candidates(const TuneArgs& args, const std::vector<TuneParam>& params,
                                 const std::vector<TuneSetting>& settings) {
  const std::string source = args.scenario.string();
  const nlohmann::json document = ConfigDocument::load_file(args.scenario).json();
  std::vector<Scenario> scenarios;
  scenarios.reserve(settings.size());
  for (const auto& setting : settings) {
    Scenario scenario = candidate_scenario(document, source, params, setting);
    if (args.time_scale != 1.0) scenario = scenario.scaled(args.time_scale);
    scenarios.push_back(std::move(scenario));
  }
  return scenarios;
}

void write_document(const std::filesystem::path& dir, const nlohmann::json& document) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw TuneError(dir.string() + ": cannot create: " + ec.message());
  const auto file = dir / "tune.json";
  std::ofstream stream(file, std::ios::binary);
  stream << document.dump(2) << '\n';
  stream.close();
  if (!stream) throw TuneError(file.string() + ": cannot write");
}

int run_search(const TuneArgs& args, const ResultRunner& runner, std::ostream& out) {
  check_args(args);
  const Scenario original = load_scenario(args.scenario);  // errors with the file's own lines
  const auto& modes = original.modes;
  if (std::find(modes.begin(), modes.end(), "sim") == modes.end()) {
    throw TuneError(args.scenario.string() +
                    ": the scenario does not run in sim mode (its \"modes\"), and tune needs it");
  }
  detail::TuneOutcome outcome;
  outcome.scenario = original.name;
  for (const auto& text : args.params)
    outcome.params.push_back(parse_tune_param(text));
  const std::uint64_t base_seed = args.seed.value_or(original.seed);
  if (args.samples) {
    outcome.settings = random_settings(outcome.params, *args.samples, base_seed);
    outcome.search = "random, " + std::to_string(*args.samples) + " samples";
  } else {
    outcome.settings = grid_settings(outcome.params, args.points);
    outcome.search = "grid, " + std::to_string(args.points) + " points";
  }
  const std::vector<Scenario> scenarios = candidates(args, outcome.params, outcome.settings);
  for (int i = 0; i < args.seeds; ++i)
    outcome.seeds.push_back(base_seed + static_cast<std::uint64_t>(i));
  out << "tune " << outcome.scenario << ": " << outcome.settings.size() << " settings ("
      << outcome.search << ") x " << outcome.seeds.size() << " seeds from " << base_seed << ", "
      << args.jobs << (args.jobs == 1 ? " thread" : " threads") << ", sim mode\n";
  outcome.runs = run_settings(scenarios, outcome.seeds, args.jobs, runner);
  for (const auto& runs : outcome.runs)
    outcome.metrics.push_back(summarise(runs));
  outcome.pareto = pareto_front(outcome.metrics);
  detail::print_table(outcome, out);
  const auto dir = out_dir(args);
  write_document(dir, detail::tune_document(outcome, args));
  out << "wrote " << (dir / "tune.json").generic_string() << '\n';
  return kExitOk;
}

}  // namespace

int tune_main(const TuneArgs& args, const ResultRunner& runner, std::ostream& out,
              std::ostream& err) {
  try {
    return run_search(args, runner, out);
  } catch (const TuneError& error) {
    err << "fusebox tune: " << error.what() << '\n';
  } catch (const ConfigError& error) {
    err << "fusebox tune: " << error.what() << '\n';
  }
  return kExitBadInput;
}

}  // namespace fusebox::harness
