// Proves `fusebox run`, `validate`, `report` and `capacity` work end to end through the real
// binary, and that the shipped scenarios' assertions catch a regressed gateway: with its
// breaker or its polling turned off, the scenario that guards it fails.
#include <algorithm>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace fusebox::test;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kScenarios = fs::path(FUSEBOX_SOURCE_DIR) / "scenarios";
constexpr int kRunTimeoutS = 240;

// A shipped scenario with one change, written where a test can run it.
fs::path patched_scenario(const std::string& name, const fs::path& dir,
                          const std::function<void(json&)>& patch) {
  json scenario = read_json(kScenarios / (name + ".json"));
  scenario.erase("$schema");
  patch(scenario);
  const fs::path path = dir / (name + ".json");
  std::ofstream(path) << scenario.dump(2);
  return path;
}

// Latency, throughput, lateness and recovery time ("settled within T") are measured by the
// main job and bench/, never asserted by a test (CI shares 2 cores between parallel tests and
// sanitizers, and a shortened run squeezes T below the gateway's unscaled poll interval):
// tests keep the assertions about behaviour.
void drop_timing_assertions(json& scenario) {
  json kept = json::array();
  for (const json& a : scenario["assertions"]) {
    const std::string kind = a.value("kind", "");
    if (kind != "latency" && kind != "tps" && kind != "late_sends" && kind != "fail_fast" &&
        kind != "settled") {
      kept.push_back(a);
    }
  }
  scenario["assertions"] = kept;
}

const json* find_assertion(const json& result, const std::string& kind) {
  for (const json& a : result["assertions"]) {
    if (a.value("kind", "") == kind) return &a;
  }
  return nullptr;
}

// Processes whose command line mentions `needle` (the run's own folder): what a run started.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

void expect_smoke_result(const json& result, const Result& run) {
  ASSERT_TRUE(result.is_object()) << context(run);
  EXPECT_EQ(result["schema"], "fusebox.result/1");
  EXPECT_EQ(result["scenario"], "smoke");
  EXPECT_EQ(result["mode"], "live");
  EXPECT_EQ(result["seed"], 1);
  EXPECT_EQ(result["passed"], true);
  EXPECT_DOUBLE_EQ(result["duration_s"].get<double>(), 8.0) << "20 s played at 0.4";
  ASSERT_EQ(result["assertions"].size(), 3U) << "smoke's assertions less the timing ones";
  for (const json& a : result["assertions"]) {
    EXPECT_TRUE(a["passed"].get<bool>()) << a.dump();
    for (const char* field : {"name", "expected", "observed"})
      EXPECT_TRUE(a.contains(field));
  }
  EXPECT_TRUE(result["checker"]["violations"].empty()) << result["checker"].dump(2);
  EXPECT_GT(result["checker"]["orders_checked"].get<int>(), 1000);
  for (const char* channel : {"wallet-a", "wallet-b", "wallet-xml", "bank"}) {
    ASSERT_TRUE(result["channels"].contains(channel)) << channel;
    EXPECT_GT(result["channels"][channel]["requests"].get<int>(), 0) << channel;
  }
  const json& load = result["load"];
  EXPECT_GT(load["sent"].get<int>(), 1400);
  EXPECT_EQ(load["sent"], load["planned"]) << "an open-loop generator sends every planned request";
}

void expect_report_works(const fs::path& dir) {
  const fs::path result = dir / "out" / "result.json";
  const fs::path again = dir / "again";
  const Result render = run_fusebox({"report", result.string(), "--out", again.string()});
  EXPECT_EQ(render.exit_code, 0) << context(render);
  EXPECT_TRUE(fs::exists(again / "report.html"));
  EXPECT_TRUE(fs::exists(again / "junit.xml"));

  const Result same = run_fusebox({"report", result.string(), result.string()});
  EXPECT_EQ(same.exit_code, 0) << "a run does not regress against itself\n" << context(same);

  json worse = read_json(result);
  worse["passed"] = false;
  worse["assertions"][0]["passed"] = false;
  const fs::path worse_path = dir / "worse.json";
  std::ofstream(worse_path) << worse.dump();
  const Result regressed = run_fusebox({"report", result.string(), worse_path.string()});
  EXPECT_EQ(regressed.exit_code, 1) << context(regressed);
}

TEST(RunCliTest, ValidateAcceptsEveryShippedScenario) {
  const Result r = run_fusebox({"validate", kScenarios.string()});
  EXPECT_EQ(r.exit_code, 0) << context(r);
  for (const char* name :
       {"smoke", "channel-outage-isolation", "black-hole-channel", "brownout-slow-channel",
        "flapping-channel", "lost-notifications-polling", "timeout-ambiguity-no-double-charge",
        "frontend-node-failure", "forged-notifications", "refund-storm-isolation",
        "channel-failover", "manual-switch-off", "peak-sale"}) {
    EXPECT_NE(r.out.find(std::string(name) + ".json: ok"), std::string::npos) << name << "\n"
                                                                              << context(r);
  }
}

TEST(RunCliTest, ABadScenarioIsRefusedBeforeAnythingStarts) {
  const fs::path dir = fresh_dir("bad");
  const fs::path file = patched_scenario("smoke", dir, [](json& s) {
    s["faults"] = json::array({{{"channel", "no-such-channel"}, {"kind", "outage"}}});
  });
  const Result r = run_fusebox({"run", file.string(), "--out", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << context(r);
  EXPECT_NE(r.err.find("/faults/0/channel"), std::string::npos) << context(r);
  EXPECT_FALSE(fs::exists(dir / "out" / "result.json")) << "nothing may run on bad input";
}

// What a user sees on the terminal during a live run: one status line a second, each starting
// with a carriage return and ending by clearing the rest of the line, with elapsed/total
// time, TPS, success rate, p99, pending orders and breakers; the last write clears it.
void expect_status_lines(const std::string& terminal, const std::string& scenario) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while ((at = terminal.find("\r" + scenario + " ", at)) != std::string::npos) {
    const std::size_t end = terminal.find("\033[K", at);
    if (end == std::string::npos) break;
    lines.push_back(terminal.substr(at + 1, end - at - 1));
    at = end;
  }
  ASSERT_GE(lines.size(), 3U) << "terminal output:\n" << terminal;
  for (const std::string& line : lines) {
    for (const char* part : {" s ", " tps", "ok ", "%", "p99 ", " ms", "pending "}) {
      EXPECT_NE(line.find(part), std::string::npos) << part << " missing in: " << line;
    }
    // Either all closed, or each channel that is not, as "name:state".
    EXPECT_TRUE(line.find("breakers closed") != std::string::npos ||
                line.find(':') != std::string::npos)
        << line;
  }
  EXPECT_NE(lines.back().find("tps"), std::string::npos);
  // Elapsed time counts up against the run's total.
  EXPECT_NE(lines.front(), lines.back());
  const std::size_t last_clear = terminal.rfind("\r\033[K");
  ASSERT_NE(last_clear, std::string::npos) << "the line is cleared before the summary";
  EXPECT_GT(last_clear, terminal.rfind("\r" + scenario + " "));
}

// One smoke run (ctest starts every test in its own process, so one run serves all checks).
TEST(RunCliTest, SmokeRunPassesAndWritesEveryOutput) {
  const fs::path dir = fresh_dir("smoke");
  const fs::path file = patched_scenario("smoke", dir, drop_timing_assertions);
  const Result run = run_fusebox_on_terminal(
      {"run", file.string(), "--time-scale", "0.4", "--out", (dir / "out").string()}, kRunTimeoutS);
  EXPECT_EQ(run.exit_code, 0) << context(run);
  EXPECT_NE(run.out.find("PASS smoke (seed 1)"), std::string::npos) << context(run);
  {
    SCOPED_TRACE("a live status line on the terminal, rewritten in place, cleared at the end");
    expect_status_lines(run.err, "smoke");
  }
  {
    SCOPED_TRACE("result.json has the contracted fields");
    const json result = read_json(dir / "out" / "result.json");
    expect_smoke_result(result, run);
    EXPECT_GT(gateway_calls(result, "wallet-a"), 100)
        << "the /metrics scrape: " << result["timeline"].dump();
  }
  {
    SCOPED_TRACE("junit.xml and a self-contained report.html");
    const std::string junit = slurp(dir / "out" / "junit.xml");
    EXPECT_NE(junit.find("<testsuite"), std::string::npos);
    EXPECT_NE(junit.find("[seed 1]"), std::string::npos);
    const std::string html = slurp(dir / "out" / "report.html");
    EXPECT_NE(html.find("smoke"), std::string::npos);
    EXPECT_EQ(html.find("<script src="), std::string::npos) << "no network needed to open it";
  }
  SCOPED_TRACE("fusebox report re-renders and compares");
  expect_report_works(dir);
}

TEST(RunCliTest, ReportRefusesAFileThatIsNotAResult) {
  const fs::path dir = fresh_dir("not_a_result");
  std::ofstream(dir / "x.json") << R"({"schema": "something/else"})";
  const Result r = run_fusebox({"report", (dir / "x.json").string()});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find("x.json"), std::string::npos) << context(r);
}

// The regression the outage scenario guards against: a gateway whose breaker never trips.
TEST(RunCliTest, OutageIsolationFailsWhenTheBreakerIsDisabled) {
  const fs::path dir = fresh_dir("no_breaker");
  const fs::path file = patched_scenario("channel-outage-isolation", dir, [](json& s) {
    s["gateway"]["breaker"]["minimum_calls"] = 1000000;
  });
  const Result r = run_fusebox(
      {"run", file.string(), "--time-scale", "0.5", "--quiet", "--out", (dir / "out").string()},
      kRunTimeoutS);
  EXPECT_EQ(r.exit_code, 1) << context(r);
  const json result = read_json(dir / "out" / "result.json");
  const json* opens = find_assertion(result, "breaker_opens");
  ASSERT_NE(opens, nullptr) << result.dump(2);
  EXPECT_FALSE((*opens)["passed"].get<bool>()) << opens->dump();
  const json* closes = find_assertion(result, "breaker_closes");
  ASSERT_NE(closes, nullptr);
  EXPECT_FALSE((*closes)["passed"].get<bool>()) << closes->dump();
  EXPECT_NE(r.out.find("replay: fusebox run"), std::string::npos) << context(r);
}

// The regression the lost-notification scenario guards against: a gateway that never polls.
TEST(RunCliTest, LostNotificationsFailWhenPollingIsDisabled) {
  const fs::path dir = fresh_dir("no_polling");
  const fs::path file = patched_scenario("lost-notifications-polling", dir, [](json& s) {
    s["gateway"]["poller"]["schedule_s"] = json::array({86000});
  });
  const Result r = run_fusebox_on_terminal(
      {"run", file.string(), "--time-scale", "0.5", "--quiet", "--out", (dir / "out").string()},
      kRunTimeoutS);
  EXPECT_EQ(r.exit_code, 1) << context(r);
  EXPECT_EQ(r.err.find("\033[K"), std::string::npos) << "--quiet on a terminal: " << context(r);
  const json result = read_json(dir / "out" / "result.json");
  const json* settled = find_assertion(result, "settled");
  ASSERT_NE(settled, nullptr) << result.dump(2);
  EXPECT_FALSE((*settled)["passed"].get<bool>()) << settled->dump();
  EXPECT_GT(result["checker"]["by_invariant"]["no_lost_payment"].get<int>(), 0)
      << result["checker"].dump(2);
}

// The regression the forged-notification scenario guards against: a gateway that applies a
// notification whose signature does not verify (the forger's copy claims the order paid).
TEST(RunCliTest, ForgedNotificationsFailWhenSignaturesAreNotChecked) {
  const fs::path dir = fresh_dir("no_signature_check");
  const fs::path file = patched_scenario("forged-notifications", dir, [](json& s) {
    s["gateway"]["planted_bug"] = "accept_forged_notifications";
  });
  const Result r = run_fusebox(
      {"run", file.string(), "--time-scale", "0.4", "--quiet", "--out", (dir / "out").string()},
      kRunTimeoutS);
  EXPECT_EQ(r.exit_code, 1) << context(r);
  const json result = read_json(dir / "out" / "result.json");
  EXPECT_GT(result["checker"]["by_invariant"]["notification_integrity"].get<int>(), 0)
      << result["checker"].dump(2);
}

// Every operator action played live through the gateway's admin API: a forced-open breaker
// the payments fail over from, a batch reconciliation that settles orders whose notifications
// were lost (the poller would be too late), a statement reconciliation.
TEST(RunCliTest, OperatorActionsPlayLive) {
  const fs::path dir = fresh_dir("operator_actions");
  const fs::path file =
      fs::path(FUSEBOX_SOURCE_DIR) / "tests" / "scenarios" / "operator-actions.json";
  const Result r = run_fusebox(
      {"run", file.string(), "--time-scale", "0.5", "--out", (dir / "out").string()}, kRunTimeoutS);
  EXPECT_EQ(r.exit_code, 0) << context(r);
  EXPECT_EQ(r.err.find("\033[K"), std::string::npos) << "stderr is no terminal: " << context(r);
  const json result = read_json(dir / "out" / "result.json");
  EXPECT_EQ(result["actions"].size(), 3U) << result["actions"].dump(2);
  EXPECT_TRUE(result["problems"].empty()) << result["problems"].dump(2);
  const json* settled = find_assertion(result, "settled");
  ASSERT_NE(settled, nullptr) << result.dump(2);
  EXPECT_TRUE((*settled)["passed"].get<bool>()) << settled->dump();
}

// The capacity search as a planner runs it: rising steps, the highest rate that held, headroom.
TEST(RunCliTest, CapacityFindsTheHighestRateThatHolds) {
  const fs::path dir = fresh_dir("capacity");
  const fs::path file = patched_scenario("peak-sale", dir, [](json& s) {
    drop_timing_assertions(s);
    s["capacity"] = {{"start_tps", 25}, {"max_tps", 100}, {"factor", 2},
                     {"step_s", 3},     {"bisect", 1},    {"forecast_tps", 40}};
  });
  const Result r = run_fusebox(
      {"capacity", file.string(), "--quiet", "--out", (dir / "out").string()}, kRunTimeoutS);
  EXPECT_EQ(r.exit_code, 0) << context(r);
  EXPECT_NE(r.out.find("highest rate that held"), std::string::npos) << context(r);
  const json result = read_json(dir / "out" / "result.json");
  const json& capacity = result["capacity"];
  ASSERT_TRUE(capacity.is_object()) << result.dump(2);
  ASSERT_EQ(capacity["steps"].size(), 3U) << "25, 50 and 100 TPS\n" << capacity.dump(2);
  EXPECT_DOUBLE_EQ(capacity["max_tps_held"].get<double>(), 100) << capacity.dump(2);
  EXPECT_DOUBLE_EQ(capacity["headroom"].get<double>(), 2.5);
  EXPECT_TRUE(fs::exists(dir / "out" / "report.html"));
  EXPECT_TRUE(fs::exists(dir / "out" / "step-25" / "result.json")) << "each step keeps its run";
}

// A user's own parts: the run drives a simulator and a gateway it did not start, and leaves
// them running. The gateway polls every half second, as one tuned for the smoke scenario's
// short settle would: bank refunds are learned only by polling, and the default schedule's
// 10 s gap would leave a refund the bank finished mid-run unknown when the books are checked.
TEST(RunCliTest, RunDrivesPartsItDidNotStart) {
  const fs::path dir = fresh_dir("external");
  const fs::path gateway_config = dir / "gateway.json";
  std::ofstream(gateway_config) << R"({"gateway": {"poller": {"schedule_s": [0.5]}}})";
  const pid_t simulator = spawn_fusebox({"simulator"}, dir / "sim_out", dir / "sim_err");
  ASSERT_NE(simulator, 0);
  const std::string sim_ready = wait_for_ready_line(dir / "sim_out");
  ASSERT_FALSE(sim_ready.empty()) << slurp(dir / "sim_err");
  const std::string control = json::parse(sim_ready)["control"];
  const pid_t gateway = spawn_fusebox({"gateway", "--simulator", control, "--config",
                                       gateway_config.string(), "--admin-token", "t0ken"},
                                      dir / "gw_out", dir / "gw_err");
  ASSERT_NE(gateway, 0);
  const std::string gw_ready = wait_for_ready_line(dir / "gw_out");
  std::string api;
  if (!gw_ready.empty()) api = json::parse(gw_ready)["api"];
  Result r;
  if (!api.empty()) {
    r = run_fusebox(
        {"run", (kScenarios / "smoke.json").string(), "--time-scale", "0.3", "--quiet", "--gateway",
         api, "--simulator", control, "--admin-token", "t0ken", "--out", (dir / "out").string()},
        kRunTimeoutS);
  }
  EXPECT_EQ(kill(gateway, 0), 0) << "the run must leave a gateway it did not start running";
  EXPECT_EQ(stop(gateway), 0) << slurp(dir / "gw_err");
  EXPECT_EQ(stop(simulator), 0) << slurp(dir / "sim_err");
  ASSERT_FALSE(api.empty()) << slurp(dir / "gw_err");
  EXPECT_NE(r.exit_code, 2) << context(r);
  const json result = read_json(dir / "out" / "result.json");
  ASSERT_TRUE(result.is_object()) << context(r);
  EXPECT_GT(result["load"]["sent"].get<int>(), 500) << result["load"].dump();
  EXPECT_EQ(result["checker"]["violation_count"], 0) << result["checker"].dump(2);
  EXPECT_FALSE(fs::exists(dir / "out" / "gateway.log")) << "it started no gateway of its own";
}

// Ctrl-C in the middle of a run: the runner stops what it started, by PID, and says so.
TEST(RunCliTest, InterruptStopsEveryStartedPart) {
  const fs::path dir = fresh_dir("interrupt");
  const fs::path out = dir / "out";
  const pid_t runner =
      spawn_fusebox({"run", (kScenarios / "smoke.json").string(), "--quiet", "--out", out.string()},
                    dir / "stdout", dir / "stderr");
  ASSERT_NE(runner, 0);
  // Wait (bounded) until the gateway it starts is up: its config names the run's folder.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (processes_mentioning(out.string() + "/gateway.json").empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(processes_mentioning(out.string() + "/gateway.json").empty())
      << slurp(dir / "stderr");
  kill(runner, SIGINT);
  int status = 0;
  const auto stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (waitpid(runner, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > stop_deadline) {
      kill(runner, SIGKILL);
      waitpid(runner, &status, 0);
      FAIL() << "the runner did not stop within 60 s of SIGINT";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << slurp(dir / "stderr");
  EXPECT_NE(slurp(dir / "stderr").find("interrupted"), std::string::npos) << slurp(dir / "stderr");
  EXPECT_TRUE(processes_mentioning(out.string()).empty()) << "a started part outlived the run";
}

}  // namespace
