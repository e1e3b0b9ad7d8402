#include "fusebox/harness/cli.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "fusebox/common/config.hpp"

#include "gateway_command.hpp"
#include "run_command.hpp"
#include "sim_commands.hpp"
#include "simulator_command.hpp"

namespace fusebox::harness {

namespace {

struct Options {
  std::vector<std::string> scenarios;
  std::string mode = "live";
  std::optional<std::uint64_t> seed;
  double time_scale = 1.0;
  bool quiet = false;
  bool real_crypto = false;
  bool fast = false;
  SimBatchOptions batch;
  std::string out_dir;
  std::string config;
  std::string gateway_url;
  std::string simulator_url;
  std::vector<std::string> results;
  std::optional<std::uint64_t> simulator_seed;
  std::size_t send_threads = kDefaultSimulatorSendThreads;
  std::optional<std::uint16_t> gateway_port;
  std::string store;
  std::string admin_token;
  bool insecure_local = false;
  bool notify_tls = false;
  std::string alert_webhook;
  std::string role;
};

void add_run(CLI::App& app, Options& o) {
  auto* run = app.add_subcommand(
      "run",
      "Run scenarios against the gateway and the channel simulator; write result.json, "
      "junit.xml and report.html. Exit 0 when every assertion holds, 1 when one fails.");
  run->add_option("SCENARIO", o.scenarios, "Scenario files, or folders of them")->required();
  run->add_option("--mode", o.mode, "live: real processes on loopback; sim: virtual time")
      ->check(CLI::IsMember({"live", "sim"}))
      ->capture_default_str();
  run->add_option("--seed", o.seed, "Master seed (overrides the scenario's)");
  run->add_option("--out", o.out_dir,
                  "Folder for the outputs (default: runs/<UTC time>); a suite writes one "
                  "folder per scenario plus junit.xml and index.html");
  run->add_option("--time-scale", o.time_scale,
                  "Play every duration, instant and window multiplied by this, in (0, 1]")
      ->capture_default_str();
  run->add_flag("--quiet", o.quiet, "No live status line");
  run->add_option("--gateway", o.gateway_url,
                  "Use a running gateway at URL (its merchant API) instead of starting one");
  run->add_option("--simulator", o.simulator_url,
                  "Use a running simulator (its control URL) instead of starting one");
  run->add_option("--admin-token", o.admin_token, "Bearer token of a running gateway's /admin/");
  run->add_flag("--real-crypto", o.real_crypto,
                "sim mode: sign with the channels' real schemes (RSA ...) instead of HMAC");
  run->add_flag("--fast", o.fast,
                "sim mode: skip the codecs (calls, answers and notifications cross as structs, "
                "unsigned); faster, but a codec bug no longer shows");
}

void add_sweep(CLI::App& app, SimBatchOptions& b) {
  auto* sweep = app.add_subcommand(
      "sweep",
      "Run a scenario in sim mode over many seeds (varying faults within the scenario's "
      "\"vary\" ranges); print every failing seed, its shrunk schedule and the replay commands. "
      "Exit 1 if any seed failed.");
  sweep->add_option("SCENARIO", b.scenario, "Scenario file")->required();
  sweep->add_option("--seeds", b.seeds, "How many seeds")
      ->required()
      ->check(CLI::Range(1, 1'000'000));
  sweep->add_option("--from", b.from_seed, "First seed")->capture_default_str();
  sweep->add_option("--jobs", b.jobs, "Parallel runs")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sweep->add_option("--out", b.out_dir,
                    "Folder for failing seeds' scenario files (default: runs/sweep-<UTC time>)");
  sweep->add_option("--time-scale", b.time_scale, "Shorten every run by this factor, in (0, 1]")
      ->capture_default_str();
  sweep->add_flag("--no-shrink", b.no_shrink, "Do not shrink failing seeds");
  sweep->add_flag("--real-crypto", b.real_crypto, "Sign with the channels' real schemes");
  sweep->add_flag("--fast", b.fast, "Skip the codecs: calls and notifications as structs");
}

void add_tune(CLI::App& app, SimBatchOptions& b) {
  auto* tune = app.add_subcommand(
      "tune",
      "Search gateway settings in sim mode (grid or random); report failed payments during "
      "faults, false trips and recovery time per setting, and the Pareto-best ones");
  tune->add_option("SCENARIO", b.scenario, "Scenario file")->required();
  tune->add_option("--param", b.params,
                   "NAME=LO:HI or NAME=a,b,c, a path in the gateway section "
                   "(e.g. breaker.failure_rate=0.2:0.8); repeatable")
      ->required();
  tune->add_option("--points", b.points, "Grid values per range parameter")->capture_default_str();
  tune->add_option("--samples", b.samples, "Random search: this many settings instead of a grid");
  tune->add_option("--seeds", b.tune_seeds, "Seeds per setting")->capture_default_str();
  tune->add_option("--seed", b.seed, "Base seed (default: the scenario's)");
  tune->add_option("--jobs", b.jobs, "Parallel runs")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  tune->add_option("--out", b.out_dir, "Folder for tune.json (default: runs/tune-<UTC time>)");
  tune->add_option("--time-scale", b.time_scale, "Shorten every run by this factor, in (0, 1]")
      ->capture_default_str();
  tune->add_flag("--real-crypto", b.real_crypto, "Sign with the channels' real schemes");
  tune->add_flag("--fast", b.fast, "Skip the codecs: calls and notifications as structs");
}

void add_subcommands(CLI::App& app, Options& o) {
  add_run(app, o);
  auto* capacity = app.add_subcommand(
      "capacity", "Find the highest TPS that still meets the scenario's SLOs, and the knee");
  capacity->add_option("SCENARIO", o.scenarios, "Scenario file")->required()->expected(1);
  capacity->add_option("--out", o.out_dir,
                       "Folder for the outputs (default: runs/<UTC time>); each step's run "
                       "lands in step-<tps>/");
  capacity->add_option("--seed", o.seed, "Master seed (overrides the scenario's)");
  capacity->add_option("--time-scale", o.time_scale, "Shorten every step by this factor")
      ->capture_default_str();
  capacity->add_flag("--quiet", o.quiet, "No live status line");

  add_sweep(app, o.batch);
  add_tune(app, o.batch);

  auto* validate_cmd =
      app.add_subcommand("validate", "Check scenario files; errors name file, line and path");
  validate_cmd->add_option("SCENARIO", o.scenarios, "Scenario files")->required();

  auto* simulator = app.add_subcommand(
      "simulator", "Start the channel simulator on 127.0.0.1; print one JSON ready line");
  simulator->add_option("--config", o.config, "Simulator config file (default: built-in channels)");
  simulator->add_option("--seed", o.simulator_seed, "Master seed (overrides the config's)");
  simulator
      ->add_option("--send-threads", o.send_threads,
                   "Threads that write the answers which waited for a latency (0: all on the "
                   "models' thread)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();

  auto* gateway = app.add_subcommand(
      "gateway", "Start the reference gateway on 127.0.0.1; print one JSON ready line");
  gateway->add_option("--config", o.config, "Gateway config file (docs/GATEWAY.md)");
  gateway->add_option("--simulator", o.simulator_url,
                      "Take channels, keys and the CA from a running simulator's control URL");
  gateway->add_option("--port", o.gateway_port, "Port on 127.0.0.1 (default: from the OS)");
  gateway->add_option("--store", o.store, "SQLite file for orders (default: in memory)");
  gateway->add_option("--admin-token", o.admin_token, "Bearer token of the operator API");
  gateway->add_flag("--insecure-local", o.insecure_local,
                    "Allow the operator API without a token (loopback only)");
  gateway->add_option("--alert-webhook", o.alert_webhook,
                      "POST each alert event as JSON to this http:// URL, besides stderr");
  gateway->add_flag("--notify-tls", o.notify_tls,
                    "Also serve HTTPS on a second port (certificate from the simulator unless "
                    "the config's notify_tls names one) and have channels notify there");
  gateway->add_option("--role", o.role,
                      "all (default), payments or refunds: run one half of the service as its "
                      "own process, sharing --store with the other half");

  auto* report = app.add_subcommand(
      "report",
      "Render a run's result.json into junit.xml and report.html; with two results, compare "
      "them and exit 1 if the second regressed");
  report->add_option("RESULT", o.results, "One or two result.json files")
      ->required()
      ->expected(1, 2);
  report->add_option("--out", o.out_dir, "Folder for the rendered files (default: beside it)");
}

int dispatch(const CLI::App& app, const Options& o, std::ostream& out, std::ostream& err) {
  const std::string name = app.get_subcommands().front()->get_name();
  if (name == "validate") return validate_scenarios(o.scenarios, out, err);
  if (name == "run") {
    return run_scenarios({o.scenarios, o.mode, o.seed, o.out_dir, o.time_scale, o.gateway_url,
                          o.simulator_url, o.admin_token, o.quiet, o.real_crypto, o.fast},
                         out, err);
  }
  if (name == "report") return report_results(o.results, o.out_dir, out, err);
  if (name == "capacity") {
    return capacity_scenario(
        {o.scenarios, "live", o.seed, o.out_dir, o.time_scale, "", "", "", o.quiet, false, false},
        out, err);
  }
  if (name == "sweep") return sweep_command(o.batch, out, err);
  if (name == "tune") return tune_command(o.batch, out, err);
  if (name == "simulator")
    return run_simulator({o.config, o.simulator_seed, o.send_threads}, out, err);
  if (name == "gateway") {
    return run_gateway({o.config, o.simulator_url, o.gateway_port, o.store, o.admin_token,
                        o.insecure_local, o.alert_webhook, o.role, o.notify_tls},
                       out, err);
  }
  return kExitBadInput;  // CLI11 only lets the subcommands above through
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "fusebox: a channel simulator and chaos test harness for payment gateways.\n"
      "Exit codes: 0 success, 1 a check failed, 2 bad input or start-up failure.",
      "fusebox"};
  app.set_version_flag("--version", std::string("fusebox ") + FUSEBOX_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  Options options;
  add_subcommands(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; anything else is bad input.
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  return dispatch(app, options, out, err);
}

}  // namespace fusebox::harness
