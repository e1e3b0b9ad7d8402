#pragma once
// A scenario: what a run sets up (channels, gateway), the load it drives, the faults and
// operator actions it plays on a timeline, and the assertions that decide pass or fail.
// Read from JSON with comments (docs/SCENARIOS.md documents every field; scenarios/schema.json
// is the JSON Schema). load_scenario checks the schema and the semantics and throws
// ConfigError naming the file, the line where it can, the JSON path and what was expected.
//
// Times in a scenario are seconds from the start of the load (t = 0). A run may be played
// shortened: scaled(time_scale) multiplies every duration, instant and window together.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/config.hpp"
#include "fusebox/common/distribution.hpp"

namespace fusebox::harness {

// One load phase. Phases play one after another unless `at_s` places one explicitly;
// phases may not overlap.
//   {"kind": "constant", "for_s": 30, "tps": 200}
//   {"kind": "ramp", "for_s": 60, "from_tps": 100, "to_tps": 1000}
//   {"kind": "step", "for_s": 60, "from_tps": 100, "to_tps": 1000, "steps": 4}
//   {"kind": "spike", "for_s": 60, "tps": 200, "spike_tps": 2000, "spike_at_s": 20,
//    "spike_for_s": 5}          (spike_at_s counts from the phase's start)
struct LoadPhase {
  enum class Kind : std::uint8_t { constant, ramp, step, spike };
  Kind kind = Kind::constant;
  double at_s = 0;                  // resolved start (the previous phase's end when not given)
  double for_s = 0;                 // > 0
  double tps = 0;                   // constant, spike base
  double from_tps = 0, to_tps = 0;  // ramp, step
  int steps = 1;                    // step: equal stairs from from_tps to to_tps
  double spike_tps = 0, spike_at_s = 0, spike_for_s = 0;

  // The planned arrival rate at `t_s` seconds since the start of the load (0 outside).
  [[nodiscard]] double rate_at(double t_s) const;
  [[nodiscard]] double end_s() const { return at_s + for_s; }
};

// Who the merchant requests go to. A target with a channel pins it in the pay request
// (the merchant API's optional "channel"); without one the gateway routes by method.
//   {"method": "wallet", "channel": "wallet-a", "weight": 1}
struct LoadTarget {
  std::string method;   // "wallet" | "bank"
  std::string channel;  // "" = let the gateway route
  double weight = 1;    // > 0
};

struct LoadSpec {
  std::vector<LoadPhase> phases;  // at least one
  enum class Arrivals : std::uint8_t { poisson, uniform } arrivals = Arrivals::poisson;
  // Share of each operation; the rest of 1 after refund, query and close is pay.
  // Refunds, queries and closes target orders created earlier in the run.
  double refund_share = 0, query_share = 0, close_share = 0;
  std::vector<LoadTarget> targets;  // default: one {"method": "wallet"}
  Distribution amount_minor = Distribution::uniform(100, 100'000);
  std::string currency = "CNY";
  // Idempotency probes: a share of pays is sent again with the same body (must answer the
  // same payment) or with the same key and another amount (must be refused with 409).
  double duplicate_share = 0, conflict_share = 0;
  int connections = 64;           // keep-alive connections to the gateway, 1..4096
  double request_timeout_s = 10;  // the generator's own timeout per request
};

// The ranges a seed sweep (fusebox sweep) draws a fault's start, length and probability from,
// uniformly, each [lo, hi] with lo <= hi. A plain run ignores them and plays the fault as
// written.   "vary": {"at_s": [5, 15], "for_s": [4, 20], "p": [0.5, 1]}
struct FaultVary {
  struct Range {
    double lo = 0;
    double hi = 0;
  };
  std::optional<Range> at_s;   // inside the load: 0 <= lo, hi before its end
  std::optional<Range> for_s;  // lo > 0; only for a fault that has for_s
  std::optional<Range> p;      // within [0, 1]
};

// A fault played on a channel of the simulator through its control API.
//   {"name": "outage-a", "channel": "wallet-a", "kind": "outage", "at_s": 20, "for_s": 30,
//    "operation": "pay", "node": 1, "p": 1, "vary": {...}, ...kind's own fields
//    (docs/CHANNELS.md)}
struct TimelineFault {
  std::string name;     // unique among faults and actions; "" when no assertion names it
  std::string channel;  // a channel of the scenario
  double at_s = 0;
  std::optional<double> for_s;  // none: until the end of the run
  // The simulator's fault JSON without name, channel, at_s, for_s and vary (checked with
  // sim::parse_fault at load time, so a wrong field is named with its scenario path).
  nlohmann::json fault;
  std::optional<FaultVary> vary;  // sweeps only
};

// An operator action played on the gateway's admin API.
//   {"name": "off", "action": "switch_off", "channel": "wallet-a", "at_s": 10, "for_s": 20}
//   switch_off (a channel, or "method": "wallet"; switched back on after for_s if given),
//   force_open (the breaker; released after for_s if given), reconcile (every PROCESSING
//   order created so far), reconcile_statement (a channel).
struct TimelineAction {
  enum class Kind : std::uint8_t { switch_off, force_open, reconcile, reconcile_statement };
  std::string name;
  Kind kind = Kind::switch_off;
  std::string channel;  // "" for method switches and reconcile
  std::string method;   // switch_off of a payment method
  double at_s = 0;
  std::optional<double> for_s;
};

// The part of the run an assertion looks at, resolved to [from_s, to_s) at load time.
//   "run" | {"during": NAME} | {"before": NAME} | {"after": NAME, "for_s": 10}
//   | {"from_s": 10, "to_s": 20};  optional "trim_s": seconds cut from the window's start
//   (transients), in any object form.
struct Window {
  std::string text;  // for reports: "run (0s..60s)", "during outage-a (20s..50s)", "10s..20s"
  double from_s = 0;
  double to_s = 0;
  std::string form;   // the form without times ("during outage-a"; "" for from_s/to_s)
  double trim_s = 0;  // already cut from from_s; kept so text can be redrawn when scaled
};

// What is asserted. Every kind takes "name" (default: kind and channel), "window"
// (default "run") and its own fields:
//   success_rate     {"channel"?, "min": 0.99}           merchant answers that the system
//                    handled (accepted by a channel or declined by it) / all sent
//   latency          {"channel"?, "operation"?: "pay", "percentile": 99, "max_ms": 200}
//   breaker_opens    {"channel", "fault", "within_s": 5}  the payments breaker opens within
//                    within_s of the fault's start
//   breaker_closes   {"channel", "fault", "within_s": 15} ... closes within of its end
//   fail_fast        {"channel"?, "percentile": 99, "max_ms": 5, "min_count": 1} latency of
//                    answers the gateway rejected without a channel (CHANNEL_UNAVAILABLE)
//   isolation        {"channel", "fault", "max_success_drop": 0.01, "max_p99_ratio": 2}
//                    the channel during the fault against itself before it
//   settled          {"fault"?, "within_s": 30}  that long after the fault's end (or the end
//                    of the load) no order is PROCESSING at the gateway that its channel
//                    knows as final
//   tps              {"min": 500}  answered requests per second, mean over the window
//   invariants       {"max_violations": 0}  the checker's findings
//   alert            {"rule"?, "channel"?, "raised": true}
//   late_sends       {"max_share": 0.001}  the generator's own sends that left late
//   refund_rate      {"within": "same_day", "min": 0.95, "min_count": 100}  refunds that
//                    succeeded within a day (two days: next_day, seven: seven_day) of being
//                    asked for, among those old enough to judge, at the end of the run
struct Assertion {
  enum class Kind : std::uint8_t {
    success_rate,
    latency,
    breaker_opens,
    breaker_closes,
    fail_fast,
    isolation,
    settled,
    tps,
    invariants,
    alert,
    late_sends,
    refund_rate
  };
  std::string name;
  Kind kind = Kind::success_rate;
  Window window;
  std::string channel;
  std::string operation = "pay";  // latency
  std::string fault;              // breaker_*, isolation, settled
  std::string rule;               // alert
  std::string within;             // refund_rate: "same_day" | "next_day" | "seven_day"
  double min = 0, max = 0;        // success_rate/tps min; invariants/late_sends max
  double percentile = 99, max_ms = 0;
  double within_s = 0;
  double max_success_drop = 0.01, max_p99_ratio = 2;
  std::int64_t min_count = 0;
  bool raised = true;
  std::string path;  // JSON path in the file, for messages: "/assertions/3"
};

// The capacity search (fusebox capacity): the load's phases are replaced by steps of
// `step_s` at rising rates from start_tps, multiplying by `factor` until an SLO (the
// scenario's assertions) breaks, then bisecting `bisect` times between the last rate that
// held and the first that broke.
struct CapacitySpec {
  double start_tps = 100, max_tps = 20'000, factor = 2, step_s = 20;
  int bisect = 3;
  double forecast_tps = 0;  // the expected peak; headroom = found / forecast
};

struct Scenario {
  std::filesystem::path file;
  std::string name;         // the file's stem: "smoke"
  std::string description;  // one line: what it proves
  std::uint64_t seed = 1;
  double duration_s = 0;  // the load's length: the end of the last phase
  double settle_s = 10;   // after the load: time for polling and notifications to land
  std::vector<std::string> modes{"live", "sim"};  // where it may run
  // false: a benchmark (a whole sales day) that a suite run of its folder skips; it runs
  // when named on its own.
  bool suite = true;
  nlohmann::json channels;  // the simulator's channel list (docs/CHANNELS.md), as written
  nlohmann::json gateway;   // the gateway's "gateway" section (docs/GATEWAY.md), as written
  LoadSpec load;
  std::vector<TimelineFault> faults;
  std::vector<TimelineAction> actions;
  std::vector<Assertion> assertions;
  std::optional<CapacitySpec> capacity;

  [[nodiscard]] std::vector<std::string> channel_names() const;
  // The same scenario with every duration, instant and window multiplied by `factor`
  // (0 < factor <= 1 shortens it); rates are unchanged.
  [[nodiscard]] Scenario scaled(double factor) const;
};

// Reads and checks a scenario file: JSON syntax (file:line:col), the schema (unknown or
// misspelt field, wrong type or range: file, path, expected, got) and the semantics
// (unknown channel, a window naming an unknown fault, overlapping phases, a fault or window
// outside the run, channels the gateway config names that the scenario does not have).
// Throws ConfigError.
[[nodiscard]] Scenario load_scenario(const std::filesystem::path& file);
[[nodiscard]] Scenario parse_scenario(const ConfigDocument& document);
// The same from text; with the text at hand, errors also carry the line of the offending
// value ("x.json:12: /faults/2/p: ...").
[[nodiscard]] Scenario parse_scenario_text(const std::string& source_name, std::string_view text);

// Every *.json in a folder (sorted by name, schema.json excluded) or the file itself.
[[nodiscard]] std::vector<std::filesystem::path> scenario_files(
    const std::vector<std::string>& arguments);

}  // namespace fusebox::harness
