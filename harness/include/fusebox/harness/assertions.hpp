#pragma once
// Judging a scenario's assertions against what a run observed. Pure: the live runner (and
// later the virtual-time runner) gathers an Observation, evaluate() returns one verdict per
// assertion, in the scenario's order, with the expected and observed values a report shows.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/harness/checker.hpp"
#include "fusebox/harness/load.hpp"
#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness {

// A breaker transition seen at the gateway (GET /admin/breaker-events), on the scenario's
// time axis (seconds since the start of the load).
struct BreakerTransition {
  std::string channel, path, from, to, reason;  // path: "payments" | "refunds"
  double t_s = 0;
};

struct AlertSeen {  // GET /admin/alerts
  std::string rule, channel;
  bool firing = false;
  double value = 0, t_s = 0;
};

// A "settled" assertion's probe, taken by the runner at the fault's end + within_s (or the
// load's end + within_s): the checker's no_lost_payment findings at that instant.
struct SettleProbe {
  std::size_t assertion = 0;          // index into Scenario::assertions
  double t_s = 0;                     // when it was taken
  bool taken = false;                 // false: the run ended before (observed as "not measured")
  std::size_t unsettled = 0;          // orders final at the channel and PROCESSING at the gateway
  std::vector<std::string> examples;  // a few order ids
};

// The gateway's refund success rates at the end of the run (GET /admin/refund-rates): per
// window ("same_day", "next_day", "seven_day"), refunds old enough to judge and those that
// succeeded within it.
struct RefundRatesSeen {
  struct Window {
    std::uint64_t judged = 0, succeeded = 0;
  };
  bool taken = false;
  std::map<std::string, Window> windows;
};

struct Observation {
  const Scenario* scenario = nullptr;
  // Window i of the recorder belongs to assertion i (Recorder::WindowDecl built by
  // recorder_windows()).
  const Recorder* recorder = nullptr;
  std::vector<BreakerTransition> breaker_events;
  std::vector<AlertSeen> alerts;
  std::vector<SettleProbe> probes;
  const CheckReport* checker = nullptr;
  RefundRatesSeen refund_rates;
};

struct AssertionResult {
  std::string name, kind, window;
  bool passed = false;
  std::string expected, observed;  // human-readable: ">= 0.990", "0.998 (4,990 of 5,000)"
  std::string detail;              // why, when it failed; "" otherwise
  [[nodiscard]] nlohmann::json to_json() const;  // one element of result.json "assertions"
};

// One recorder window per assertion, in the scenario's order: the assertion's window and
// the op its latency is about ("pay" unless the assertion says otherwise). An isolation
// assertion's window is the fault's span; its baseline is the span before the fault
// (declared as the extra windows after the assertions', see isolation_baseline_window()).
[[nodiscard]] std::vector<Recorder::WindowDecl> recorder_windows(const Scenario& scenario);
// The recorder window index of assertion `index`'s baseline (isolation assertions only).
[[nodiscard]] std::size_t isolation_baseline_window(const Scenario& scenario, std::size_t index);

[[nodiscard]] std::vector<AssertionResult> evaluate(const Observation& observation);

}  // namespace fusebox::harness
