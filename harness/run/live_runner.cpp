// `fusebox run` in live mode: real processes on loopback, real time.
//
//   start simulator --ready line--> control URL, clock origin
//   start gateway --simulator URL --ready line--> merchant API, admin API
//   TimelinePlayer: faults -> control API, actions -> admin API, one GatewayTick a second,
//                   settle probes
//   LoadGenerator (this thread): the open-loop plan -> merchant API -> Recorder
//   after the settle period: final statuses, books and ledgers -> checker -> assertions
//   -> result.json document
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "fusebox/harness/assertions.hpp"
#include "fusebox/harness/checker.hpp"
#include "fusebox/harness/load.hpp"
#include "fusebox/harness/runner.hpp"

#include "child_process.hpp"
#include "observation.hpp"
#include "part_apis.hpp"
#include "result_builder.hpp"
#include "timeline.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kReadyTimeout{30'000};
// Load starts this long after the timeline is built, so the first events are not late.
constexpr std::chrono::milliseconds kLeadIn{300};

struct Parts {
  std::unique_ptr<ChildProcess> simulator, gateway;
  std::unique_ptr<HttpSimulatorApi> sim;
  std::unique_ptr<HttpGatewayApi> gw;
  std::int64_t sim_origin_ms = 0;  // the simulator's clock origin on the wall clock
  HostPort api;
};

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text << "\n";
  if (!out) throw RunError("cannot write " + path.string());
}

std::string admin_token(std::uint64_t seed) { return "fusebox-run-" + std::to_string(seed); }

void start_simulator(const Scenario& s, const RunOptions& o, std::uint64_t seed,
                     const fs::path& dir, Parts& parts) {
  if (!o.simulator_url.empty()) {
    parts.sim = std::make_unique<HttpSimulatorApi>(o.simulator_url);
    parts.sim_origin_ms = parts.sim->clock_origin_ms();
    return;
  }
  std::vector<std::string> args{"simulator", "--seed", std::to_string(seed)};
  if (!s.channels.is_null()) {
    write_file(dir / "simulator.json", json{{"seed", seed}, {"channels", s.channels}}.dump(2));
    args.insert(args.end(), {"--config", (dir / "simulator.json").string()});
  }
  parts.simulator = std::make_unique<ChildProcess>("fusebox simulator", o.fusebox_binary, args,
                                                   dir / "simulator.log");
  const json ready = parts.simulator->read_ready_line(kReadyTimeout);
  // Kept beside the run's logs, so a developer can reach the parts while a run plays.
  write_file(dir / "simulator.ready.json", ready.dump());
  parts.sim = std::make_unique<HttpSimulatorApi>(ready.value("control", ""));
  parts.sim_origin_ms = ready.value("clock_origin_ms", std::int64_t{0});
}

void start_gateway(const Scenario& s, const RunOptions& o, std::uint64_t seed, const fs::path& dir,
                   Parts& parts) {
  if (!o.gateway_url.empty()) {
    parts.gw =
        std::make_unique<HttpGatewayApi>(o.gateway_url, o.gateway_url + "/admin", o.admin_token);
    parts.api = parse_http_url(o.gateway_url);
    return;
  }
  const std::string token = admin_token(seed);
  write_file(
      dir / "gateway.json",
      json{{"admin_token", token}, {"gateway", s.gateway.is_null() ? json::object() : s.gateway}}
          .dump(2));
  parts.gateway = std::make_unique<ChildProcess>(
      "fusebox gateway", o.fusebox_binary,
      std::vector<std::string>{"gateway", "--config", (dir / "gateway.json").string(),
                               "--simulator", parts.sim->url()},
      dir / "gateway.log");
  const json ready = parts.gateway->read_ready_line(kReadyTimeout);
  write_file(dir / "gateway.ready.json", ready.dump());
  const std::string api = ready.value("api", "");
  parts.gw = std::make_unique<HttpGatewayApi>(api, ready.value("admin", api + "/admin"), token);
  parts.api = parse_http_url(api);
}

// Merchant ids must be unique across runs against a long-running gateway: the scenario's
// name, the seed and the start second.
std::string id_prefix(const Scenario& s, std::uint64_t seed) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return s.name.substr(0, 20) + "-" + std::to_string(seed) + "-" + std::to_string(now % 1'000'000);
}

Scenario with_constant_load(Scenario s, double tps) {
  LoadPhase phase;
  phase.kind = LoadPhase::Kind::constant;
  phase.at_s = 0;
  phase.for_s = s.duration_s;
  phase.tps = tps;
  s.load.phases = {phase};
  return s;
}

// The parts' deaths are findings, not start-up failures: a gateway that crashes under a
// fault has failed the scenario.
void note_dead_parts(Parts& parts, std::vector<std::string>& problems) {
  for (auto* child : {parts.gateway.get(), parts.simulator.get()}) {
    if (child != nullptr && !child->alive()) {
      problems.push_back(child->name() + " exited during the run (status " +
                         std::to_string(child->stop()) + "); see its log beside the result");
    }
  }
}

}  // namespace

json run_live(const Scenario& played, const RunOptions& o, const std::atomic<bool>& stop,
              std::ostream& status) {
  const Scenario s = o.constant_tps ? with_constant_load(played, *o.constant_tps) : played;
  const std::uint64_t seed = o.seed.value_or(s.seed);
  const auto wall_start = std::chrono::steady_clock::now();
  RunRecord record;
  record.scenario = &s;
  record.seed = seed;
  record.time_scale = o.time_scale;
  record.replay = o.replay_command;
  record.started_at = utc_now("%Y-%m-%dT%H:%M:%SZ");
  fs::create_directories(o.out_dir);
  Parts parts;
  start_simulator(s, o, seed, o.out_dir, parts);
  start_gateway(s, o, seed, o.out_dir, parts);

  Recorder recorder(s.channel_names(), recorder_windows(s), s.duration_s, s.load.request_timeout_s,
                    timeline_step_s(s));
  LoadStatus load_status;
  Observer observer(s, *parts.sim, *parts.gw, parts.sim_origin_ms, load_status,
                    o.status_line ? &status : nullptr);
  const RunClock clock = RunClock::starting_in(kLeadIn);
  observer.set_clock(clock);
  TimelinePlayer player(clock, observer.events());

  GeneratorConfig config{parts.api.host, parts.api.port, s.load, seed, id_prefix(s, seed)};
  LoadGenerator generator(config, recorder, load_status);
  generator.run(clock.start, stop);
  const auto settled =
      clock.start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(s.duration_s + s.settle_s));
  while (!stop && std::chrono::steady_clock::now() < settled) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  player.stop();
  player.join();
  observer.end_status_line();
  generator.fetch_final_statuses(stop);

  record.recorder = &recorder;
  record.problems = player.errors();
  note_dead_parts(parts, record.problems);
  CheckReport report;
  judge_run(s, recorder, observer, clock, record, report);
  record.interrupted = stop.load();
  if (record.interrupted) record.problems.push_back("interrupted before the run's end");
  if (!o.simulator_url.empty()) observer.clear_faults();
  if (parts.gateway) parts.gateway->stop();
  if (parts.simulator) parts.simulator->stop();
  record.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return build_result(record);
}

}  // namespace fusebox::harness
