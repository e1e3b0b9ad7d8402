#pragma once
// `fusebox validate`, `fusebox run` and `fusebox report`: scenario files in, results out.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace fusebox::harness {

struct RunCommandOptions {
  std::vector<std::string> scenarios;  // files or folders
  std::string mode = "live";
  std::optional<std::uint64_t> seed;
  std::string out_dir;  // "" = runs/<UTC time>
  double time_scale = 1.0;
  std::string gateway_url, simulator_url, admin_token;
  bool quiet = false;
  bool real_crypto = false;  // sim mode: sign with the channels' real schemes
  bool fast = false;         // sim mode: no codecs, calls and notifications as structs
};

[[nodiscard]] int validate_scenarios(const std::vector<std::string>& arguments, std::ostream& out,
                                     std::ostream& err);
[[nodiscard]] int run_scenarios(const RunCommandOptions& options, std::ostream& out,
                                std::ostream& err);
// Finds the highest rate that holds the scenario's SLOs; exit 1 when it is below the
// scenario's forecast peak.
[[nodiscard]] int capacity_scenario(const RunCommandOptions& options, std::ostream& out,
                                    std::ostream& err);
// One result: re-render its report.html and junit.xml (into `out_dir`, default beside it).
// Two results: compare them, print the table, exit 1 when the second regressed.
[[nodiscard]] int report_results(const std::vector<std::string>& results,
                                 const std::string& out_dir, std::ostream& out, std::ostream& err);

}  // namespace fusebox::harness
