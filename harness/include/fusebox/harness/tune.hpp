#pragma once
// `fusebox tune`: a grid or random search over gateway settings in virtual time. Each
// candidate setting is written into the scenario's own "gateway" section, checked by the
// gateway's parser, run for a few seeds by a sim runner that is passed in, and measured from
// its result.json: payments failed during the faults, breaker trips in healthy periods and
// the time the faulted channel's breaker took to close for good. The Pareto-best settings
// over those three are marked in a table and in tune.json (docs/SCENARIOS.md, "Tuning the
// breaker").
//
// Everything here but tune_main and run_settings is pure; run_settings calls the runner from
// several threads and puts the results back in the settings' order.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/harness/scenario.hpp"
#include "fusebox/harness/sweep.hpp"  // ResultRunner, shared with the seed sweep

namespace fusebox::harness {

// The runner is sweep.hpp's ResultRunner: one scenario, one seed, sim mode, the result.json
// document (docs/RESULT.md); called from several threads at once.

// Bad tuning input: a malformed --param, an unknown section, a grid too large, a setting the
// gateway rejects. tune_main prints it and exits 2.
class TuneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxTuneSettings = 256;  // grid size or --samples
inline constexpr int kMaxTuneSeeds = 100;
inline constexpr int kMaxTuneJobs = 64;
inline constexpr int kMaxTunePoints = 64;
inline constexpr double kFalseTripGrace_s = 5;  // a trip this soon after a fault is not false

// One --param: `NAME=LO:HI` (a range) or `NAME=a,b,c` (a list; one value fixes a setting).
// NAME is a dotted path into the "gateway" section: `breaker.failure_rate` (the defaults and
// every channel's own breaker.failure_rate), `channels[1].breaker.open_ms`,
// `channels[wallet-a].timeout_ms` (by name), `poller.horizon_s`, `alerts[0].threshold`;
// `bulkheads.*`, `timeout_ms` and `poll_per_second` alone set every listed channel.
struct TuneParam {
  std::string name;               // as written: "breaker.failure_rate"
  std::vector<std::string> path;  // {"breaker", "failure_rate"}; array steps as "[1]", "[name]"
  enum class Kind : std::uint8_t { range, list };
  Kind kind = Kind::range;
  double lo = 0, hi = 0;  // range
  bool integer = false;   // range: both bounds written as integers, so every value is one
  std::vector<nlohmann::json> values;  // list: numbers, true/false/null, or strings
};

// Throws TuneError naming the --param and what is wrong.
[[nodiscard]] TuneParam parse_tune_param(std::string_view text);

// A candidate setting: one value per parameter, in the parameters' order.
using TuneSetting = std::vector<nlohmann::json>;

// The cartesian product, first parameter slowest; a range gives `points` evenly spaced values
// from LO to HI (integers rounded, repeats dropped). Throws TuneError past kMaxTuneSettings.
[[nodiscard]] std::vector<TuneSetting> grid_settings(const std::vector<TuneParam>& params,
                                                     int points);
// `samples` settings drawn from Rng::stream(seed, "tune"): uniform over each range (integers
// inclusive), uniform over each list.
[[nodiscard]] std::vector<TuneSetting> random_settings(const std::vector<TuneParam>& params,
                                                       int samples, std::uint64_t seed);

// "breaker.failure_rate=0.5 breaker.open_ms=2000"
[[nodiscard]] std::string describe_setting(const std::vector<TuneParam>& params,
                                           const TuneSetting& setting);

// A copy of the scenario document (the file's JSON, comments dropped) with the setting
// written into its "gateway" section. Throws TuneError when a path does not fit the document
// (an index past the end, a field inside a number, a channel-wide field without channels).
[[nodiscard]] nlohmann::json apply_setting(const nlohmann::json& scenario_document,
                                           const std::vector<TuneParam>& params,
                                           const TuneSetting& setting);

// apply_setting, then the scenario's own parser (and so the gateway's); `source_name` is the
// scenario file, so the candidate keeps its name. A rejection is a TuneError naming the
// setting and the parser's message.
[[nodiscard]] Scenario candidate_scenario(const nlohmann::json& scenario_document,
                                          const std::string& source_name,
                                          const std::vector<TuneParam>& params,
                                          const TuneSetting& setting);

// What one run says about a setting, from its result.json.
struct RunMetrics {
  // Payment answers other than ok/declined (rejected, failed, errors) in seconds that overlap
  // any fault window, summed over every channel of the timeline.
  double failed_during_faults = 0;
  // Payments breaker transitions to "open" on a channel outside its own fault windows (and
  // force_open actions), each extended by the grace.
  double false_trips = 0;
  // The worst over faults with an end: seconds from the fault's end until the channel's
  // payments breaker closed and stayed closed (until the channel's next fault or the end of
  // the timeline). When it never did, the time to that horizon, and recovered is false.
  double recovery_s = 0;
  bool recovered = true;
  bool passed = false;  // the result's "passed"
};

// Missing or null parts of the document count as nothing measured (0). Breaker states come
// from "breaker_events" when the document has them, else from the timeline's breaker series.
[[nodiscard]] RunMetrics measure_run(const nlohmann::json& result,
                                     double grace_s = kFalseTripGrace_s);

// The mean over seeds of each figure; recovered only if every seed recovered.
struct SettingMetrics {
  double failed_during_faults = 0;
  double false_trips = 0;
  double recovery_s = 0;
  bool recovered = true;
  int passed_seeds = 0;
  int seeds = 0;
};

[[nodiscard]] SettingMetrics summarise(const std::vector<RunMetrics>& runs);

// true for every setting no other setting dominates on (failed during faults, false trips,
// recovery s), all minimised; equal settings are all on the front.
[[nodiscard]] std::vector<bool> pareto_front(const std::vector<SettingMetrics>& metrics);

// Runs every candidate with every seed on `jobs` threads and measures each result; the answer
// is indexed [candidate][seed] whatever order the runs finish in. The first runner failure
// stops the search: a TuneError naming the setting's number and the seed.
[[nodiscard]] std::vector<std::vector<RunMetrics>> run_settings(
    const std::vector<Scenario>& candidates, const std::vector<std::uint64_t>& seeds, int jobs,
    const ResultRunner& runner);

struct TuneArgs {
  std::filesystem::path scenario;     // the scenario file
  std::vector<std::string> params;    // each `NAME=LO:HI` or `NAME=a,b,c`; at least one
  int points = 3;                     // grid: values per range parameter, 2..kMaxTunePoints
  std::optional<int> samples;         // random search instead of the grid: this many settings
  int seeds = 1;                      // seeds per setting, from the base seed up
  std::optional<std::uint64_t> seed;  // the base seed (default: the scenario's)
  int jobs = 1;                       // threads
  double time_scale = 1.0;            // (0, 1]: Scenario::scaled for every candidate
  std::filesystem::path out_dir;      // where tune.json goes; "" = runs/tune-<UTC time>
};

// `fusebox tune`: the table on `out` (Pareto-best settings marked), tune.json in out_dir.
// 0 when it ran, 2 for bad input (message on `err`), including a runner that failed.
[[nodiscard]] int tune_main(const TuneArgs& args, const ResultRunner& runner, std::ostream& out,
                            std::ostream& err);

}  // namespace fusebox::harness
