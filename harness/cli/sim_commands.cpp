#include "sim_commands.hpp"

#include <filesystem>
#include <ostream>
#include <unistd.h>

#include "fusebox/harness/runner.hpp"
#include "fusebox/harness/sweep.hpp"
#include "fusebox/harness/tune.hpp"

namespace fusebox::harness {

namespace {

namespace fs = std::filesystem;

ResultRunner sim_runner(const SimBatchOptions& o) {
  return [real_crypto = o.real_crypto, fast = o.fast, time_scale = o.time_scale](
             const Scenario& s, std::uint64_t seed) {
    SimOptions options;
    options.seed = seed;
    options.real_crypto = real_crypto;
    options.fast = fast;
    options.time_scale = time_scale;
    return run_sim(s, options).result;
  };
}

fs::path out_dir(const SimBatchOptions& o, const char* kind) {
  if (!o.out_dir.empty()) return o.out_dir;
  return fs::path("runs") / (std::string(kind) + "-" + utc_now("%Y%m%dT%H%M%SZ"));
}

}  // namespace

int sweep_command(const SimBatchOptions& o, std::ostream& out, std::ostream& err) {
  SweepArgs args;
  args.scenario = o.scenario;
  args.seeds = o.seeds;
  args.from = o.from_seed;
  args.jobs = o.jobs;
  args.out_dir = out_dir(o, "sweep");
  args.time_scale = o.time_scale;
  args.no_shrink = o.no_shrink;
  args.progress = isatty(STDERR_FILENO) == 1;
  args.run_flags = std::string(o.real_crypto ? " --real-crypto" : "") + (o.fast ? " --fast" : "");
  return sweep_main(args, sim_runner(o), out, err);
}

int tune_command(const SimBatchOptions& o, std::ostream& out, std::ostream& err) {
  TuneArgs args;
  args.scenario = o.scenario;
  args.params = o.params;
  args.points = o.points;
  args.samples = o.samples;
  args.seeds = o.tune_seeds;
  args.seed = o.seed;
  args.jobs = static_cast<int>(o.jobs);
  args.time_scale = o.time_scale;
  args.out_dir = out_dir(o, "tune");
  return tune_main(args, sim_runner(o), out, err);
}

}  // namespace fusebox::harness
