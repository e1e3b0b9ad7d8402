// `fusebox run --mode sim`: one scenario in virtual time.
//
//   SimWorld (gateway routes + core, channel models + protocols, scheduled network)
//   SimLoad: the arrival plan and the LoadSession over a modelled connection pool
//   Observer (the live runner's): faults -> InProcessSimulator, actions -> InProcessGateway,
//     one GatewayTick a second, settle probes; all scheduled on the virtual clock
//   after the settle period: final statuses, books and ledgers -> checker -> assertions
//   -> result.json document, without wall-clock fields
#include <algorithm>
#include <chrono>
#include <cmath>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fusebox/harness/runner.hpp"

#include "../run/observation.hpp"
#include "../run/result_builder.hpp"
#include "sim_load.hpp"
#include "sim_parts.hpp"
#include "sim_world.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;
using simmode::SimWorld;

// Virtual time 0 is the parts' start; the load starts a second later, as a live run's does
// after its lead-in.
constexpr TimeNs kLoadStartNs = kNsPerS;

TimeNs at_s(double seconds) {
  return kLoadStartNs + static_cast<TimeNs>(std::llround(seconds * 1e9));
}

// A sim run's heap only grows until its books are read, a little at a time. glibc extends it
// by what each allocation needs plus 128 KiB, so the kernel maps it in small steps and much
// of it in 4 KiB pages; asking for 64 MiB at a time lets it back the heap with whole huge
// pages (about 8% of sim-throughput's wall time, docs/PERFORMANCE.md). Untouched padding
// costs no memory.
void grow_the_heap_in_large_steps() {
#if defined(__GLIBC__)
  static const bool done = mallopt(M_TOP_PAD, 64 << 20) == 1;
  (void)done;
#endif
}

// Plays the Observer's timeline on the virtual clock; an event that throws is a problem of
// the run, as with the live TimelinePlayer.
void schedule_timeline(SimWorld& world, std::vector<TimelineEvent> events,
                       std::vector<std::string>& problems) {
  std::stable_sort(events.begin(), events.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.at_s < b.at_s; });
  for (TimelineEvent& event : events) {
    (void)world.scheduler().schedule_at(at_s(event.at_s),
                                        [&problems, what = event.what, run = std::move(event.run)] {
                                          try {
                                            run();
                                          } catch (const std::exception& e) {
                                            problems.push_back(what + ": " + e.what());
                                          }
                                        });
  }
}

}  // namespace

SimRun run_sim(const Scenario& s, const SimOptions& o) {
  if (std::find(s.modes.begin(), s.modes.end(), "sim") == s.modes.end()) {
    throw RunError(s.file.generic_string() + ": /modes: this scenario does not run in sim mode");
  }
  const auto wall_start = std::chrono::steady_clock::now();
  grow_the_heap_in_large_steps();
  const std::uint64_t seed = o.seed.value_or(s.seed);
  simmode::WorldSettings settings;
  settings.seed = seed;
  settings.real_crypto = o.real_crypto;
  settings.fast = o.fast;
  SimWorld world(s, settings);
  simmode::InProcessSimulator sim_api(world);
  simmode::InProcessGateway gateway_api(world);

  const TimeNs end_ns = at_s(s.duration_s + s.settle_s);
  world.start_ticks(end_ns);
  Recorder recorder(s.channel_names(), recorder_windows(s), s.duration_s, s.load.request_timeout_s,
                    timeline_step_s(s));
  LoadStatus status;
  Observer observer(s, sim_api, gateway_api, sim_api.clock_origin_ms(), status, nullptr);
  const RunClock clock = RunClock::virtual_from(world.scheduler(), kLoadStartNs);
  observer.set_clock(clock);
  RunRecord record;
  schedule_timeline(world, observer.events(), record.problems);
  simmode::SimLoad load(world, s.load, seed, recorder, kLoadStartNs);
  load.start();

  world.scheduler().run_until(end_ns);
  // As live, the load waits for its last answers (each bounded by the request timeout).
  while (load.in_flight() > 0 || load.queued() > 0) {
    if (!world.scheduler().step()) break;
  }
  recorder.finish();
  load.fetch_final_statuses();

  record.scenario = &s;
  record.mode = "sim";
  record.seed = seed;
  record.time_scale = o.time_scale;
  record.replay = o.replay_command;
  record.recorder = &recorder;
  CheckReport report;
  judge_run(s, recorder, observer, clock, record, report);
  json result = build_result(record);
  result.erase("started_at");
  result.erase("wall_s");

  SimRun run;
  run.trace_digest = world.digest().hex();
  run.events = world.scheduler().fired_total();
  run.virtual_s = static_cast<double>(world.scheduler().now_ns()) / 1e9;
  result["sim"] = {{"trace_digest", run.trace_digest},
                   {"events", run.events},
                   {"virtual_s", std::round(run.virtual_s * 1000.0) / 1000.0},
                   {"crypto", o.fast          ? "none"
                              : o.real_crypto ? "real"
                                              : "hmac"},
                   {"messages", o.fast ? "structs" : "wire"}};
  run.result = std::move(result);
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return run;
}

}  // namespace fusebox::harness
