// Proves the `fusebox` binary keeps its command-line contract: subcommands, --help,
// --version, and exit code 2 for bad input or a subcommand that has not landed yet.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/net/http_client.hpp"

#include "cli_support.hpp"

namespace {

using namespace fusebox::test;

TEST(CliTest, HelpListsEverySubcommand) {
  const Result r = run_fusebox({"--help"});
  EXPECT_EQ(r.exit_code, 0) << context(r);
  for (const char* sub :
       {"run", "capacity", "sweep", "validate", "simulator", "gateway", "report"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + sub), std::string::npos) << sub << "\n"
                                                                        << context(r);
  }
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub :
       {"run", "capacity", "sweep", "validate", "simulator", "gateway", "report"}) {
    const Result r = run_fusebox({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << context(r);
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << sub << "\n" << context(r);
  }
}

TEST(CliTest, VersionPrintsTheProjectVersion) {
  const Result r = run_fusebox({"--version"});
  EXPECT_EQ(r.exit_code, 0) << context(r);
  EXPECT_EQ(r.out.rfind("fusebox 0.", 0), 0U) << context(r);
}

TEST(CliTest, NoSubcommandIsBadInput) {
  const Result r = run_fusebox({});
  EXPECT_EQ(r.exit_code, 2) << context(r);
}

TEST(CliTest, UnknownSubcommandOrOptionIsBadInput) {
  EXPECT_EQ(run_fusebox({"explode"}).exit_code, 2);
  EXPECT_EQ(run_fusebox({"run", "x.json", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(run_fusebox({"run", "x.json", "--mode", "warp"}).exit_code, 2);
  EXPECT_EQ(run_fusebox({"sweep", "x.json"}).exit_code, 2) << "--seeds is required";
  EXPECT_EQ(run_fusebox({"sweep", "x.json", "--seeds", "0"}).exit_code, 2);
}

TEST(CliTest, ValidateMissingFileExits2WithOneLineNamingTheFile) {
  const Result r = run_fusebox({"validate", "missing.json"});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_EQ(r.err, "missing.json: cannot read: No such file or directory\n") << context(r);
}

TEST(CliTest, ValidateReportsSyntaxErrorsWithLineAndColumn) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "fusebox_bad_scenario.json";
  {
    std::ofstream out(path);
    out << "// broken on purpose\n{\n  \"seed\": 1,,\n}\n";
  }
  const Result r = run_fusebox({"validate", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_EQ(r.err.rfind(path.string() + ":3:13: syntax error", 0), 0U) << context(r);
}

TEST(CliTest, ValidateNamesTheMissingFieldOfAScenario) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "fusebox_ok_scenario.json";
  {
    std::ofstream out(path);
    out << "{\"seed\": 1}\n";
  }
  const Result r = run_fusebox({"validate", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find(path.string()), std::string::npos) << context(r);
  EXPECT_NE(r.err.find("description"), std::string::npos) << context(r);
  EXPECT_EQ(r.out, "") << context(r);
}

TEST(CliTest, SimulatorConfigErrorsExit2NamingThePath) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "fusebox_bad_sim.json";
  {
    std::ofstream out(path);
    out << R"({"channels": [{"name": "a", "family": "wallet-json", "faults": [{"kind": "outage", "for_s": -1}]}]})";
  }
  const Result r = run_fusebox({"simulator", "--config", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find(path.string() +
                       ": /channels/0/faults/0/for_s: expected a positive number, got -1"),
            std::string::npos)
      << context(r);
  EXPECT_EQ(r.out, "") << "no ready line for a simulator that did not start";
}

TEST(CliTest, SimulatorSendThreadsOutOfRangeExit2NamingTheOption) {
  const Result r = run_fusebox({"simulator", "--send-threads", "17"});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find("--send-threads"), std::string::npos) << context(r);
  EXPECT_EQ(r.out, "") << "no ready line for a simulator that did not start";
}

TEST(CliTest, SimulatorPrintsOneReadyLineAndStopsOnSigterm) {
  const auto out_path = std::filesystem::path(::testing::TempDir()) / "fusebox_sim_ready";
  const auto err_path = std::filesystem::path(::testing::TempDir()) / "fusebox_sim_err";
  const pid_t pid =
      spawn_fusebox({"simulator", "--seed", "11", "--send-threads", "1"}, out_path, err_path);
  ASSERT_NE(pid, 0) << "cannot start " << FUSEBOX_BINARY;
  const std::string ready = wait_for_ready_line(out_path);
  EXPECT_EQ(stop(pid), 0) << slurp(err_path);
  ASSERT_NE(ready.find('\n'), std::string::npos) << "no ready line; stderr: " << slurp(err_path);
  EXPECT_EQ(ready.find('\n'), ready.size() - 1) << "exactly one line";
  EXPECT_NE(ready.find("\"control\":\"http://127.0.0.1:"), std::string::npos) << ready;
  for (const char* name : {"wallet-a", "wallet-b", "wallet-xml", "bank"}) {
    EXPECT_NE(ready.find(std::string("\"") + name + "\""), std::string::npos) << name;
  }
  EXPECT_NE(slurp(err_path).find("seed 11"), std::string::npos) << "the seed is printed at start";
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
}

// Two commands and no config, as a developer starts them: the gateway takes its channels,
// keys and CA from the simulator, answers a payment, and both stop cleanly on SIGTERM.
TEST(CliTest, GatewayTakesItsChannelsFromARunningSimulator) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  const pid_t simulator = spawn_fusebox({"simulator"}, dir / "sim_out", dir / "sim_err");
  ASSERT_NE(simulator, 0);
  const std::string sim_ready = wait_for_ready_line(dir / "sim_out");
  ASSERT_FALSE(sim_ready.empty()) << slurp(dir / "sim_err");
  const std::string control = nlohmann::json::parse(sim_ready)["control"];

  const pid_t gateway = spawn_fusebox({"gateway", "--simulator", control, "--insecure-local"},
                                      dir / "gw_out", dir / "gw_err");
  ASSERT_NE(gateway, 0);
  const std::string gw_ready = wait_for_ready_line(dir / "gw_out");
  EXPECT_EQ(gw_ready.find('\n'), gw_ready.size() - 1) << "exactly one line: " << gw_ready;
  std::string api;
  if (!gw_ready.empty()) api = nlohmann::json::parse(gw_ready)["api"];
  if (!api.empty()) {
    const auto reply = fusebox::net::http_request(
        "POST", api + "/v1/payments",
        R"({"merchant_order_id": "cli-1", "amount": 500, "currency": "CNY", "method": "bank"})");
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_NE(reply.body.find("\"channel\":\"bank\""), std::string::npos) << reply.body;
  }
  EXPECT_EQ(stop(gateway), 0) << slurp(dir / "gw_err");
  EXPECT_EQ(stop(simulator), 0) << slurp(dir / "sim_err");
  ASSERT_FALSE(api.empty()) << "no gateway ready line; stderr: " << slurp(dir / "gw_err");
}

TEST(CliTest, GatewayStartupErrorsExit2WithAReason) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"gateway", "--insecure-local"}, "--simulator URL"},
      {{"gateway", "--simulator", "http://127.0.0.1:1/control"}, "bearer token"},
      {{"gateway", "--simulator", "http://127.0.0.1:1/control", "--insecure-local"},
       "cannot take channels from the simulator: http://127.0.0.1:1/control/channels"},
      {{"gateway", "--config", "missing-gateway.json"}, "missing-gateway.json: cannot read"},
      {{"gateway", "--insecure-local", "--alert-webhook", "https://hooks.example/x"},
       "--alert-webhook: expected an http:// URL"},
      {{"gateway", "--insecure-local", "--alert-webhook", "http://127.0.0.1/x"},
       "expected host:port"},
      {{"gateway", "--insecure-local", "--role", "settlements"},
       "--role: expected all, payments or refunds, got \"settlements\""},
      {{"gateway", "--insecure-local", "--role", "refunds"},
       "--role refunds shares its orders with the other half through the store: pass --store"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = run_fusebox(args);
    EXPECT_EQ(r.exit_code, 2) << context(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << context(r);
    EXPECT_EQ(r.out, "") << "no ready line for a gateway that did not start\n" << context(r);
  }
  const std::filesystem::path config = fresh_dir("gateway_webhook") / "gateway.json";
  std::ofstream(config) << "{\n  \"admin_token\": \"t\",\n  \"alert_webhook\": \"ftp://x\"\n}\n";
  const Result r = run_fusebox({"gateway", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find("gateway.json: /alert_webhook: expected an http:// URL"), std::string::npos)
      << context(r);
  std::ofstream(config) << "{\n  \"admin_token\": \"t\",\n  \"role\": \"both\"\n}\n";
  const Result role = run_fusebox({"gateway", "--config", config.string()});
  EXPECT_EQ(role.exit_code, 2) << context(role);
  EXPECT_NE(role.err.find("gateway.json: /role: expected one of"), std::string::npos)
      << context(role);
}

}  // namespace
