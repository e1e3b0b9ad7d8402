#pragma once
// Running scenarios live: `fusebox run` starts `fusebox simulator` and `fusebox gateway` as
// child processes on loopback (or uses running ones), drives the open-loop load while the
// fault timeline plays, observes the gateway every second, checks the invariants after a
// settle period, judges the assertions, and writes result.json, junit.xml and report.html.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness {

struct RunOptions {
  std::optional<std::uint64_t> seed;     // overrides the scenario's
  std::filesystem::path out_dir;         // this scenario's folder
  double time_scale = 1.0;               // (0, 1]: shortens every duration and window together
  std::string gateway_url;               // a running gateway's merchant API ("" = start one)
  std::string simulator_url;             // a running simulator's control URL ("" = start one)
  std::string admin_token;               // for a running gateway's operator API
  std::filesystem::path fusebox_binary;  // the binary to start the parts with
  bool status_line = false;              // a live status line on `status`
  // The command that replays this run, for reports ("fusebox run FILE --seed N ...").
  std::string replay_command;
  // Replaces the scenario's load phases (capacity steps); empty: as written.
  std::optional<double> constant_tps;
};

// The current UTC time in a strftime format: "%Y-%m-%dT%H:%M:%SZ" for results,
// "%Y%m%dT%H%M%SZ" for folder names.
[[nodiscard]] std::string utc_now(const char* format);

// Thrown when a run cannot start or its parts misbehave (a process that does not become
// ready, an API that refuses the harness): the CLI prints it and exits 2.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Plays one scenario live. Returns the result document (reports/reports.hpp has its shape);
// writes nothing. `stop` (set by SIGINT/SIGTERM) ends the run early: what was started is
// stopped and the result says "interrupted".
[[nodiscard]] nlohmann::json run_live(const Scenario& scenario, const RunOptions& options,
                                      const std::atomic<bool>& stop, std::ostream& status);

// `fusebox run --mode sim`: the same scenario in virtual time, in this thread: the gateway's
// core behind its own routes, every channel's model behind its own protocol layer, the load,
// the fault timeline and the observation on one discrete-event clock (harness/sim/). The same
// scenario, seed and build give a byte-identical result (no wall-clock field in it) and the
// same trace digest. Safe to call from several threads at once (each run owns its world).
struct SimOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's
  double time_scale = 1.0;            // what the scenario was scaled by (for the result)
  bool real_crypto = false;           // sign with the channels' real schemes (RSA ...)
  bool fast = false;                  // calls and notifications as structs, no codecs
  std::string replay_command;
};

struct SimRun {
  nlohmann::json result;     // result.json, "mode": "sim", with a "sim" section
  std::string trace_digest;  // 16 hex digits over every event of the run
  std::uint64_t events = 0;  // events the scheduler fired
  double virtual_s = 0;      // virtual seconds played
  double wall_s = 0;         // wall-clock seconds it took (not in the result)
};

// Throws RunError for a scenario sim mode cannot play (see Scenario::modes).
[[nodiscard]] SimRun run_sim(const Scenario& scenario, const SimOptions& options);

// `fusebox capacity`: steps the arrival rate up (then bisects) until an SLO breaks; the
// result is the last step that held, with a "capacity" section (reports/reports.hpp):
// every step, the highest rate that held, what broke first, the knee and the headroom
// against the scenario's forecast. Each step's own result lands in out_dir/step-<tps>/.
[[nodiscard]] nlohmann::json run_capacity(const Scenario& scenario, const RunOptions& options,
                                          const std::atomic<bool>& stop, std::ostream& status);

}  // namespace fusebox::harness
