#pragma once
// `fusebox sweep` and `fusebox tune`: many sim-mode runs of one scenario, the runner being
// run_sim (harness/sweep/ and harness/tune/ take it as a parameter).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace fusebox::harness {

struct SimBatchOptions {
  std::string scenario;
  std::string out_dir;  // "" = runs/sweep-<UTC time> or runs/tune-<UTC time>
  double time_scale = 1.0;
  bool real_crypto = false;
  bool fast = false;
  unsigned jobs = 1;
  // sweep
  std::uint64_t seeds = 1, from_seed = 1;
  bool no_shrink = false;
  // tune
  std::vector<std::string> params;
  int points = 3;
  std::optional<int> samples;
  int tune_seeds = 1;
  std::optional<std::uint64_t> seed;
};

[[nodiscard]] int sweep_command(const SimBatchOptions& options, std::ostream& out,
                                std::ostream& err);
[[nodiscard]] int tune_command(const SimBatchOptions& options, std::ostream& out,
                               std::ostream& err);

}  // namespace fusebox::harness
