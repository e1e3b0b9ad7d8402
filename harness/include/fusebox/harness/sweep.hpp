#pragma once
// Seed sweeps (`fusebox sweep`): one scenario run in sim mode over many seeds, each seed also
// drawing the fault timings and probabilities within the ranges the scenario allows ("vary",
// docs/SCENARIOS.md), and every failing seed shrunk to a smaller fault schedule that still
// fails. Everything works on the scenario's JSON document (comments stripped), so a varied
// or shrunk schedule is written back out as a scenario file a user can run as it is.
//
// The runner is a parameter: the CLI passes the virtual-time runner, tests pass fakes.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness {

// Runs one scenario with one master seed and returns its result document (docs/RESULT.md:
// "passed", "assertions"[i]."passed"/"name", "checker"."violation_count"). A sweep calls it
// from several threads at once, so it must be safe to.
using ResultRunner = std::function<nlohmann::json(const Scenario&, std::uint64_t seed)>;

// The scenario a seed runs: every fault with "vary" gets its at_s, for_s and p drawn
// uniformly from the ranges (from Rng::stream(seed, "sweep.vary")) and loses "vary"; the
// rest of the document is copied as it is. Pure: the same document and seed give the same
// output. Expects a document the loader accepted.
[[nodiscard]] nlohmann::json vary_document(const nlohmann::json& scenario_doc, std::uint64_t seed);

// What one seed's run said.
struct SeedOutcome {
  std::uint64_t seed = 0;
  bool passed = false;
  // What failed: the names of failing assertions, "checker" when the checker found
  // violations, "run" when the result failed without either (an interrupted run).
  std::vector<std::string> failed_checks;
  std::int64_t violation_count = 0;
  std::string error;  // the run could not be made (the runner threw, the document did not load)
};

struct SweepOptions {
  std::string source_name;  // the scenario file as given: names the scenario and its errors
  std::uint64_t from = 1;   // first seed
  std::uint64_t seeds = 1;  // how many: from .. from + seeds - 1
  unsigned jobs = 1;        // worker threads
  double time_scale = 1.0;  // (0, 1]: Scenario::scaled before each run
  std::ostream* progress = nullptr;  // a progress bar (a terminal), or none
};

// Runs every seed, `jobs` at a time; the outcomes come back in seed order whatever the
// threads did.
[[nodiscard]] std::vector<SeedOutcome> sweep(const nlohmann::json& scenario_doc,
                                             const SweepOptions& options,
                                             const ResultRunner& runner);

// How large a fault schedule is, compared in this order: fewer faults, then fewer fault
// seconds (a fault without for_s lasts to the end of the load), then a smaller sum of p.
struct ScheduleSize {
  std::size_t faults = 0;
  double fault_s = 0;
  double p_sum = 0;
  auto operator<=>(const ScheduleSize&) const = default;
};
[[nodiscard]] ScheduleSize schedule_size(const Scenario& scenario);

struct ShrinkOptions {
  std::string source_name;  // as SweepOptions
  double time_scale = 1.0;
  int max_runs = 48;  // runner calls the shrinker may make
};

struct ShrinkResult {
  nlohmann::json document;  // the smallest failing scenario found (no "vary" left)
  SeedOutcome outcome;      // its run
  ScheduleSize original_size, shrunk_size;
  int runs = 0;                    // runner calls made
  std::vector<std::string> steps;  // what was kept, in order: "dropped /faults/1 (outage-b)"
};

// Greedy shrinking of a failing seed's fault schedule: drop each fault, then shorten each
// for_s (down to 1 s), then lower each p (down to the low end of its vary.p range, else 0).
// A change is kept only when the run with the same seed still fails at least one of
// `failure.failed_checks`; a candidate that no longer loads (a fault an assertion names) is
// skipped without a run. The result is never larger than the varied original.
[[nodiscard]] ShrinkResult shrink(const nlohmann::json& scenario_doc, const SeedOutcome& failure,
                                  const ShrinkOptions& options, const ResultRunner& runner);

struct SweepArgs {
  std::string scenario;  // the file as given on the command line
  std::uint64_t seeds = 1;
  std::uint64_t from = 1;
  unsigned jobs = 1;
  std::filesystem::path out_dir;  // failing seeds' scenario files; "" = runs/sweep-<UTC time>
  double time_scale = 1.0;
  bool no_shrink = false;
  int max_shrunk = 10;    // failing seeds shrunk (the first ones); the rest are listed only
  bool progress = false;  // a progress bar on `err`
  std::string run_flags;  // how each seed runs, for the replay commands (" --fast" ...)
};

// `fusebox sweep`: checks the scenario, sweeps, prints the summary table and every failing
// seed with the commands that replay it, and writes seed-<S>.json and seed-<S>-shrunk.json
// into out_dir. Returns 0 when every seed passed, 1 when one failed, 2 for bad input (the
// loader's message on `err`).
[[nodiscard]] int sweep_main(const SweepArgs& args, const ResultRunner& runner, std::ostream& out,
                             std::ostream& err);

}  // namespace fusebox::harness
