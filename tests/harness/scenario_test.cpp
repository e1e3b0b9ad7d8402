// Proves that scenario files load with their defaults, that every schema and semantic error names
// file, line and path, and that windows, time scaling, rates and file discovery behave as
// documented.

#include "fusebox/harness/scenario.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fusebox::harness {
namespace {

using nlohmann::json;

// The smallest valid scenario: a description and one load phase of 60 s.
json base() {
  return json::parse(R"({
    "description": "d",
    "load": {"phases": [{"kind": "constant", "for_s": 60, "tps": 100}]}
  })");
}

json with(json patch) {
  json doc = base();
  doc.merge_patch(patch);
  return doc;
}

Scenario parse_text(const std::string& text) { return parse_scenario_text("s.json", text); }
Scenario parse(const json& doc) { return parse_text(doc.dump(2)); }

std::string error_of_text(const std::string& text) {
  try {
    (void)parse_text(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}
std::string error_of(const json& doc) { return error_of_text(doc.dump(2)); }

// One fault "out" on wallet-a from 20 s for 30 s, for windows and assertions to name.
json with_fault(json patch) {
  json doc = with(json::parse(R"({"faults": [
      {"name": "out", "channel": "wallet-a", "kind": "outage", "at_s": 20, "for_s": 30}]})"));
  doc.merge_patch(patch);
  return doc;
}

const char* kFull = R"({
  "$schema": "./schema.json",
  // every section at least once
  "description": "wallet-a goes down; wallet-b carries on",
  "seed": 42,
  "settle_s": 20,
  "modes": ["sim"],
  "channels": [
    {"name": "wallet-a", "family": "wallet-json"},
    {"name": "wallet-b", "family": "wallet-xml"},
    {"name": "bank", "family": "bank-binary", "nodes": 2}
  ],
  "gateway": {
    "channels": [{"name": "wallet-a", "family": "wallet-json", "priority": 0},
                 {"name": "wallet-b", "family": "wallet-xml", "priority": 1}],
    "alerts": [{"name": "low", "kind": "success_rate_below", "threshold": 0.9}]
  },
  "load": {
    "phases": [{"kind": "ramp", "for_s": 10, "from_tps": 0, "to_tps": 100},
               {"kind": "constant", "for_s": 50, "tps": 100}],
    "arrivals": "uniform",
    "refund_share": 0.1, "query_share": 0.05, "close_share": 0.01,
    "targets": [{"method": "wallet", "channel": "wallet-a", "weight": 3},
                {"method": "bank"}],
    "amount_minor": {"kind": "uniform", "min": 100, "max": 5000},
    "currency": "USD",
    "duplicate_share": 0.01, "conflict_share": 0.01,
    "connections": 16, "request_timeout_s": 5
  },
  "faults": [
    {"name": "outage-a", "channel": "wallet-a", "kind": "outage", "at_s": 20, "for_s": 20,
     "operation": "pay", "p": 1},
    {"name": "flap", "channel": "bank", "kind": "flapping", "node": 1, "at_s": 5,
     "period_s": 4, "duty": 0.5}
  ],
  "actions": [
    {"name": "off", "action": "switch_off", "method": "bank", "at_s": 50, "for_s": 5},
    {"name": "rec", "action": "reconcile", "at_s": 55}
  ],
  "assertions": [
    {"kind": "success_rate", "channel": "wallet-b", "min": 0.99},
    {"kind": "latency", "operation": "pay", "percentile": 99.9, "max_ms": 300,
     "window": {"during": "outage-a", "trim_s": 2}},
    {"kind": "breaker_opens", "channel": "wallet-a", "fault": "outage-a", "within_s": 5},
    {"kind": "breaker_closes", "channel": "wallet-a", "fault": "outage-a", "within_s": 15},
    {"kind": "fail_fast", "channel": "wallet-a", "max_ms": 5, "window": {"during": "outage-a"}},
    {"kind": "isolation", "channel": "wallet-b", "fault": "outage-a"},
    {"kind": "settled", "fault": "outage-a", "within_s": 30},
    {"name": "throughput", "kind": "tps", "min": 50, "window": {"from_s": 10, "to_s": 60}},
    {"kind": "invariants"},
    {"kind": "alert", "rule": "low", "raised": false},
    {"kind": "late_sends", "max_share": 0.01, "window": {"after": "outage-a", "for_s": 10}}
  ],
  "capacity": {"start_tps": 50, "max_tps": 4000, "factor": 2, "step_s": 10, "bisect": 2,
               "forecast_tps": 1000}
})";

TEST(ScenarioLoad, MinimalScenarioTakesTheDocumentedDefaults) {
  const Scenario s = parse(base());
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.description, "d");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_DOUBLE_EQ(s.settle_s, 10);
  EXPECT_DOUBLE_EQ(s.duration_s, 60);
  EXPECT_EQ(s.modes, (std::vector<std::string>{"live", "sim"}));
  EXPECT_TRUE(s.channels.is_null());
  EXPECT_EQ(s.gateway, json::object());
  EXPECT_EQ(s.channel_names(),
            (std::vector<std::string>{"wallet-a", "wallet-b", "wallet-xml", "bank"}));
  ASSERT_EQ(s.load.targets.size(), 1u);
  EXPECT_EQ(s.load.targets[0].method, "wallet");
  EXPECT_EQ(s.load.targets[0].channel, "");
  EXPECT_EQ(s.load.currency, "CNY");
  EXPECT_EQ(s.load.connections, 64);
  EXPECT_EQ(s.load.arrivals, LoadSpec::Arrivals::poisson);
  EXPECT_TRUE(s.faults.empty());
  EXPECT_TRUE(s.actions.empty());
  EXPECT_TRUE(s.assertions.empty());
  EXPECT_FALSE(s.capacity.has_value());
}

TEST(ScenarioLoad, FullScenarioReadsEverySection) {
  const Scenario s = parse_text(kFull);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.modes, std::vector<std::string>{"sim"});
  EXPECT_EQ(s.channel_names(), (std::vector<std::string>{"wallet-a", "wallet-b", "bank"}));
  EXPECT_EQ(s.gateway.at("channels").size(), 2u);
  ASSERT_EQ(s.load.phases.size(), 2u);
  EXPECT_DOUBLE_EQ(s.load.phases[1].at_s, 10);
  EXPECT_DOUBLE_EQ(s.duration_s, 60);
  EXPECT_EQ(s.load.arrivals, LoadSpec::Arrivals::uniform);
  EXPECT_DOUBLE_EQ(s.load.refund_share, 0.1);
  EXPECT_EQ(s.load.targets.size(), 2u);
  EXPECT_EQ(s.load.targets[0].channel, "wallet-a");
  EXPECT_DOUBLE_EQ(s.load.targets[0].weight, 3);
  EXPECT_EQ(s.load.currency, "USD");
  EXPECT_EQ(s.load.connections, 16);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[1].name, "flap");
  EXPECT_FALSE(s.faults[1].for_s.has_value());
  ASSERT_EQ(s.actions.size(), 2u);
  EXPECT_EQ(s.actions[0].kind, TimelineAction::Kind::switch_off);
  EXPECT_EQ(s.actions[0].method, "bank");
  EXPECT_EQ(s.actions[1].kind, TimelineAction::Kind::reconcile);
  ASSERT_EQ(s.assertions.size(), 11u);
  EXPECT_EQ(s.assertions[1].kind, Assertion::Kind::latency);
  EXPECT_DOUBLE_EQ(s.assertions[1].percentile, 99.9);
  EXPECT_EQ(s.assertions[1].path, "/assertions/1");
  EXPECT_EQ(s.assertions[4].min_count, 1);
  EXPECT_DOUBLE_EQ(s.assertions[5].max_p99_ratio, 2);
  EXPECT_DOUBLE_EQ(s.assertions[8].max, 0);
  EXPECT_FALSE(s.assertions[9].raised);
  EXPECT_DOUBLE_EQ(s.assertions[10].max, 0.01);
  ASSERT_TRUE(s.capacity.has_value());
  EXPECT_DOUBLE_EQ(s.capacity->start_tps, 50);
  EXPECT_EQ(s.capacity->bisect, 2);
  EXPECT_DOUBLE_EQ(s.capacity->forecast_tps, 1000);
}

TEST(ScenarioLoad, TimelineFaultKeepsOnlyTheSimulatorsOwnFields) {
  const Scenario s = parse_text(kFull);
  const TimelineFault& f = s.faults[0];
  EXPECT_EQ(f.name, "outage-a");
  EXPECT_EQ(f.channel, "wallet-a");
  EXPECT_DOUBLE_EQ(f.at_s, 20);
  ASSERT_TRUE(f.for_s.has_value());
  EXPECT_DOUBLE_EQ(*f.for_s, 20);
  EXPECT_EQ(f.fault, json::parse(R"({"kind": "outage", "operation": "pay", "p": 1})"));
}

// --- errors: file, line, path, expected, got ---

TEST(ScenarioLoad, RefundRateReadsItsWindowBoundAndCount) {
  const Scenario s = parse(with(json::parse(R"({"assertions": [
      {"kind": "refund_rate", "within": "next_day", "min": 0.95, "min_count": 500}]})")));
  ASSERT_EQ(s.assertions.size(), 1U);
  EXPECT_EQ(s.assertions[0].kind, Assertion::Kind::refund_rate);
  EXPECT_EQ(s.assertions[0].within, "next_day");
  EXPECT_DOUBLE_EQ(s.assertions[0].min, 0.95);
  EXPECT_EQ(s.assertions[0].min_count, 500);
  const std::string e = error_of(with(json::parse(R"({"assertions": [
      {"kind": "refund_rate", "within": "tomorrow", "min": 0.95}]})")));
  EXPECT_NE(e.find("/assertions/0/within"), std::string::npos) << e;
  EXPECT_NE(e.find("same_day"), std::string::npos) << e;
}

TEST(ScenarioErrors, UnknownTopLevelFieldNamesLineAndPath) {
  const std::string text =
      "{\n  \"description\": \"d\",\n  \"duraton_s\": 5,\n"
      "  \"load\": {\"phases\": [{\"kind\": \"constant\", \"for_s\": 1, "
      "\"tps\": 1}]}\n}\n";
  const std::string e = error_of_text(text);
  EXPECT_EQ(e.rfind("s.json:3: /duraton_s: unknown field \"duraton_s\" (expected one of: ", 0), 0u)
      << e;
}

TEST(ScenarioErrors, UnknownFieldDeepInsideIsNamedByPath) {
  const std::string e = error_of(with(json::parse(R"({"load": {"tpz": 1}})")));
  EXPECT_NE(e.find("s.json:"), std::string::npos) << e;
  EXPECT_NE(e.find(": /load/tpz: unknown field \"tpz\""), std::string::npos) << e;
}

TEST(ScenarioErrors, MissingDescriptionPointsAtTheRoot) {
  json doc = base();
  doc.erase("description");
  EXPECT_EQ(error_of(doc), "s.json:1: /: missing required field \"description\"");
}

TEST(ScenarioErrors, DescriptionMustBeOneLine) {
  EXPECT_EQ(error_of(with({{"description", "a\nb"}})),
            "s.json:2: /description: expected one line, got \"a\\nb\"");
}

TEST(ScenarioErrors, SyntaxErrorsKeepLineAndColumn) {
  const std::string e = error_of_text("{\n  \"description\": \"d\",,\n}");
  EXPECT_EQ(e.rfind("s.json:2:", 0), 0u) << e;
}

TEST(ScenarioErrors, DuplicateFieldNamesItsLine) {
  const std::string e = error_of_text("{\n \"seed\": 1,\n \"seed\": 2\n}");
  EXPECT_EQ(e, "s.json:3: /seed: duplicate field \"seed\" (each field may appear once)");
}

TEST(ScenarioErrors, ModeMustBeLiveOrSim) {
  EXPECT_NE(error_of(with({{"modes", {"sim", "fast"}}}))
                .find("/modes/1: expected one of \"live\", \"sim\", got \"fast\""),
            std::string::npos);
  EXPECT_NE(error_of(with({{"modes", {"sim", "sim"}}})).find("listed twice"), std::string::npos);
}

TEST(ScenarioErrors, ChannelErrorsCarryTheScenarioPathAndLine) {
  const std::string text = R"({
  "description": "d",
  "channels": [
    {"name": "a", "family": "wallet-json"},
    {"name": "b", "family": "wallet-json",
     "latency_ms": {"pay": {"kind": "lognormal", "p50": 20, "p99": 10}}}
  ],
  "load": {"phases": [{"kind": "constant", "for_s": 60, "tps": 1}]}
})";
  EXPECT_EQ(error_of_text(text),
            "s.json:6: /channels/1/latency_ms/pay/p99: expected a number above p50 (20), got 10");
}

TEST(ScenarioErrors, ChannelNamesMustBeUnique) {
  const json doc = with(json::parse(R"({"channels": [{"name": "a", "family": "wallet-json"},
      {"name": "a", "family": "wallet-xml"}]})"));
  EXPECT_NE(error_of(doc).find("/channels/1/name: channel name \"a\" is used twice"),
            std::string::npos)
      << error_of(doc);
}

TEST(ScenarioErrors, GatewaySectionErrorsCarryTheScenarioPath) {
  const std::string e =
      error_of(with(json::parse(R"({"gateway": {"breaker": {"failure_rate": 3}}})")));
  EXPECT_NE(e.find(": /gateway/breaker/failure_rate: expected a number in [0.001, 1], got 3"),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, GatewayMayOnlyConfigureTheScenariosChannels) {
  const std::string e = error_of(with(
      json::parse(R"({"gateway": {"channels": [{"name": "ghost", "family": "wallet-json"}]}})")));
  EXPECT_NE(e.find("/gateway/channels/0/name: expected one of the scenario's channels "
                   "(wallet-a, wallet-b, wallet-xml, bank), got \"ghost\""),
            std::string::npos)
      << e;
  const std::string f = error_of(with(
      json::parse(R"({"gateway": {"channels": [{"name": "bank", "family": "wallet-json"}]}})")));
  EXPECT_NE(f.find("/gateway/channels/0/family: expected \"bank-binary\""), std::string::npos) << f;
}

TEST(ScenarioErrors, FaultFieldErrorNamesTheScenarioFileAndPath) {
  const std::string text = R"({
  "description": "d",
  "load": {"phases": [{"kind": "constant", "for_s": 60, "tps": 1}]},
  "faults": [
    {"channel": "wallet-a", "kind": "outage"},
    {"channel": "wallet-a", "kind": "outage"},
    {"name": "x", "channel": "wallet-a", "kind": "decline",
     "p": 7}
  ]
})";
  EXPECT_EQ(error_of_text(text), "s.json:8: /faults/2/p: expected a number in [0, 1], got 7");
}

TEST(ScenarioErrors, FaultFieldsOfAnotherKindAreRejected) {
  const std::string e = error_of(with_fault(json::parse(R"({"faults": [
      {"channel": "wallet-a", "kind": "outage", "factor": 3}]})")));
  EXPECT_NE(e.find("/faults/0/factor: field \"factor\" does not apply to this fault kind (it "
                   "takes: name, channel, kind, operation, node, at_s, for_s, p)"),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, FaultOnUnknownChannelOrNode) {
  const std::string e =
      error_of(with(json::parse(R"({"faults": [{"channel": "wallet-z", "kind": "outage"}]})")));
  EXPECT_NE(e.find("/faults/0/channel: expected one of the scenario's channels"), std::string::npos)
      << e;
  const std::string n = error_of(
      with(json::parse(R"({"faults": [{"channel": "bank", "kind": "outage", "node": 3}]})")));
  EXPECT_NE(n.find("/faults/0/node: expected a node below 3"), std::string::npos) << n;
}

TEST(ScenarioErrors, DuplicateNamesAmongFaultsAndActions) {
  const std::string e = error_of(with_fault(
      json::parse(R"({"actions": [{"name": "out", "action": "reconcile", "at_s": 5}]})")));
  EXPECT_NE(e.find("/actions/0/name: the name \"out\" is used twice"), std::string::npos) << e;
  const std::string a = error_of(with(json::parse(R"({"assertions": [
      {"name": "x", "kind": "invariants"}, {"name": "x", "kind": "tps", "min": 1}]})")));
  EXPECT_NE(a.find("/assertions/1/name: the assertion name \"x\" is used twice"), std::string::npos)
      << a;
}

TEST(ScenarioErrors, OverlappingPhases) {
  const std::string e = error_of(with(json::parse(R"({"load": {"phases": [
      {"kind": "constant", "for_s": 30, "tps": 1},
      {"kind": "constant", "at_s": 10, "for_s": 30, "tps": 1}]}})")));
  EXPECT_NE(e.find("/load/phases/1/at_s: expected a start at or after the previous phase's end "
                   "(30s): phases may not overlap, got 10"),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, PhaseLengthMustBePositive) {
  const std::string e = error_of(
      with(json::parse(R"({"load": {"phases": [{"kind": "constant", "for_s": 0, "tps": 1}]}})")));
  EXPECT_NE(e.find("/load/phases/0/for_s: expected a positive number, got 0"), std::string::npos)
      << e;
}

TEST(ScenarioErrors, FaultOrActionStartingAfterTheLoadIsImpossible) {
  const std::string f = error_of(
      with(json::parse(R"({"faults": [{"channel": "wallet-a", "kind": "outage", "at_s": 60}]})")));
  EXPECT_NE(f.find("/faults/0/at_s: expected a start before the end of the load (60s), got 60"),
            std::string::npos)
      << f;
  const std::string a = error_of(with(
      json::parse(R"({"actions": [{"action": "force_open", "channel": "bank", "at_s": 90}]})")));
  EXPECT_NE(a.find("/actions/0/at_s: expected a start before the end of the load"),
            std::string::npos)
      << a;
}

TEST(ScenarioErrors, ActionsTakeTheFieldsTheirKindNeeds) {
  EXPECT_NE(error_of(with(json::parse(R"({"actions": [{"action": "switch_off"}]})")))
                .find("expected exactly one of \"channel\" and \"method\""),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(R"({"actions": [{"action": "force_open"}]})")))
                .find("/actions/0: missing required field \"channel\""),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(R"({"actions": [{"action": "reconcile", "for_s": 3}]})")))
                .find("/actions/0/for_s: unknown field"),
            std::string::npos);
}

TEST(ScenarioErrors, WindowNamingAnUnknownFault) {
  const std::string e = error_of(with_fault(json::parse(R"({"assertions": [
      {"kind": "tps", "min": 1, "window": {"during": "nope"}}]})")));
  EXPECT_NE(e.find("/assertions/0/window/during: expected the name of a fault or an action "
                   "(out), got \"nope\""),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, WindowAfterAFaultThatNeverEnds) {
  const std::string e = error_of(with(json::parse(R"({
      "faults": [{"name": "forever", "channel": "wallet-a", "kind": "outage", "at_s": 10}],
      "assertions": [{"kind": "tps", "min": 1, "window": {"after": "forever"}}]})")));
  EXPECT_NE(e.find("/assertions/0/window/after: expected a fault or an action that ends"),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, ImpossibleWindows) {
  const auto window_error = [](const char* window) {
    return error_of(with_fault(
        {{"assertions", {{{"kind", "tps"}, {"min", 1}, {"window", json::parse(window)}}}}}));
  };
  EXPECT_NE(window_error(R"({"from_s": 30, "to_s": 20})")
                .find("/assertions/0/window/to_s: expected a time after from_s (30s), got 20"),
            std::string::npos);
  EXPECT_NE(window_error(R"({"from_s": 60, "to_s": 65})")
                .find("/window/from_s: expected a start before the end of the load (60s)"),
            std::string::npos);
  EXPECT_NE(window_error(R"({"from_s": 10, "to_s": 71})")
                .find("/window/to_s: expected an end by the end of the run (load + settle_s = "
                      "70s), got 71"),
            std::string::npos);
  EXPECT_NE(window_error(R"({"after": "out", "for_s": 30})").find("/window/for_s: expected"),
            std::string::npos);
  EXPECT_NE(window_error(R"({"during": "out", "trim_s": 30})")
                .find("/window/trim_s: expected a trim shorter than the window (30s), got 30"),
            std::string::npos);
  EXPECT_NE(window_error(R"({"during": "out", "before": "out"})").find("expected \"run\" or"),
            std::string::npos);
  EXPECT_NE(window_error(R"("all")").find("/window: expected \"run\" or an object"),
            std::string::npos);
}

TEST(ScenarioErrors, PercentileMustLieInZeroToHundred) {
  for (const double p : {0.0, 100.5, -1.0}) {
    const std::string e = error_of(
        with({{"assertions", {{{"kind", "latency"}, {"percentile", p}, {"max_ms", 10}}}}}));
    EXPECT_NE(e.find("/assertions/0/percentile: expected a percentile in (0, 100]"),
              std::string::npos)
        << e;
  }
  EXPECT_NO_THROW((void)parse(
      with({{"assertions", {{{"kind", "latency"}, {"percentile", 100}, {"max_ms", 10}}}}})));
}

TEST(ScenarioErrors, SharesMustBeProbabilitiesThatFit) {
  EXPECT_NE(error_of(with(json::parse(R"({"load": {"refund_share": 1.5}})")))
                .find("/load/refund_share: expected a number in [0, 1], got 1.5"),
            std::string::npos);
  const std::string e = error_of(with(
      json::parse(R"({"load": {"refund_share": 0.5, "query_share": 0.4, "close_share": 0.2}})")));
  EXPECT_NE(e.find("/load: expected refund_share + query_share + close_share <= 1"),
            std::string::npos)
      << e;
}

TEST(ScenarioErrors, AssertionKindsRequireTheirFields) {
  EXPECT_NE(error_of(with(json::parse(R"({"assertions": [{"kind": "latency"}]})")))
                .find("/assertions/0: missing required field \"max_ms\""),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(
                         R"({"assertions": [{"kind": "breaker_opens", "channel": "bank"}]})")))
                .find("/assertions/0: missing required field \"fault\""),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(R"({"assertions": [{"kind": "tps", "max_ms": 3}]})")))
                .find("/assertions/0/max_ms: unknown field \"max_ms\""),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(R"({"assertions": [{"kind": "speed"}]})")))
                .find("/assertions/0/kind: expected one of \"success_rate\""),
            std::string::npos);
}

TEST(ScenarioErrors, UnknownChannelsInTargetsAndAssertions) {
  EXPECT_NE(error_of(with(json::parse(
                         R"({"load": {"targets": [{"method": "wallet", "channel": "x"}]}})")))
                .find("/load/targets/0/channel: expected one of the scenario's channels"),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(
                         R"({"load": {"targets": [{"method": "wallet", "channel": "bank"}]}})")))
                .find("expected a channel of method \"wallet\""),
            std::string::npos);
  EXPECT_NE(
      error_of(with(json::parse(
                   R"({"assertions": [{"kind": "success_rate", "channel": "x", "min": 1}]})")))
          .find("/assertions/0/channel: expected one of the scenario's channels"),
      std::string::npos);
}

TEST(ScenarioErrors, RoutedTargetsNeedAChannelOfTheirMethod) {
  const json banks_only = json::parse(R"({"channels": [{"name": "b", "family": "bank-binary"}]})");
  EXPECT_NE(error_of(with(banks_only))
                .find("/load: expected \"targets\" naming a method the scenario has a channel "
                      "for (no \"wallet\" channel)"),
            std::string::npos)
      << error_of(with(banks_only));
  json doc = with(banks_only);
  doc["load"]["targets"] = json::parse(R"([{"method": "bank"}])");
  EXPECT_NO_THROW((void)parse(doc));
}

TEST(ScenarioErrors, TimingAssertionsMustBeObservable) {
  const std::string closes = error_of(with(json::parse(R"({
      "faults": [{"name": "f", "channel": "wallet-a", "kind": "outage", "at_s": 10}],
      "assertions": [{"kind": "breaker_closes", "channel": "wallet-a", "fault": "f",
                      "within_s": 5}]})")));
  EXPECT_NE(closes.find("/assertions/0/fault: expected a fault that ends"), std::string::npos)
      << closes;
  const std::string settled =
      error_of(with(json::parse(R"({"assertions": [{"kind": "settled", "within_s": 11}]})")));
  EXPECT_NE(settled.find("/assertions/0/within_s: expected at most 10"), std::string::npos)
      << settled;
  const std::string isolation = error_of(with(json::parse(R"({
      "faults": [{"name": "f", "channel": "wallet-a", "kind": "outage"}],
      "assertions": [{"kind": "isolation", "channel": "wallet-b", "fault": "f"}]})")));
  EXPECT_NE(isolation.find("expected a fault that starts after 0s"), std::string::npos)
      << isolation;
}

TEST(ScenarioErrors, AlertRulesAndCurrenciesComeFromTheGatewaySection) {
  EXPECT_NE(error_of(with(json::parse(R"({"assertions": [{"kind": "alert", "rule": "r"}]})")))
                .find("/assertions/0/rule: expected an alert rule of the gateway section"),
            std::string::npos);
  EXPECT_NE(error_of(with(json::parse(
                         R"({"gateway": {"currencies": ["USD"]}, "load": {"currency": "CNY"}})")))
                .find("/load/currency: expected a currency the gateway accepts (USD)"),
            std::string::npos);
}

TEST(ScenarioErrors, CapacityRanges) {
  EXPECT_NE(error_of(with(json::parse(R"({"capacity": {"factor": 1}})")))
                .find("/capacity/factor: expected a number above 1, got 1"),
            std::string::npos);
  const Scenario s = parse(with(json::parse(R"({"capacity": {}})")));
  ASSERT_TRUE(s.capacity.has_value());
  EXPECT_DOUBLE_EQ(s.capacity->start_tps, 100);
  EXPECT_DOUBLE_EQ(s.capacity->step_s, 20);
}

// --- windows ---

TEST(ScenarioWindows, EveryFormResolvesToTheDocumentedSpan) {
  const Scenario s = parse(with_fault(json::parse(R"({"assertions": [
      {"kind": "tps", "min": 1},
      {"kind": "tps", "min": 1, "window": "run"},
      {"kind": "tps", "min": 1, "window": {"during": "out"}},
      {"kind": "tps", "min": 1, "window": {"before": "out"}},
      {"kind": "tps", "min": 1, "window": {"after": "out"}},
      {"kind": "tps", "min": 1, "window": {"after": "out", "for_s": 5}},
      {"kind": "tps", "min": 1, "window": {"during": "out", "trim_s": 4}},
      {"kind": "tps", "min": 1, "window": {"from_s": 10, "to_s": 20}}]})")));
  const auto span = [&](std::size_t i) {
    return std::pair{s.assertions[i].window.from_s, s.assertions[i].window.to_s};
  };
  EXPECT_EQ(span(0), (std::pair{0.0, 60.0}));
  EXPECT_EQ(span(1), (std::pair{0.0, 60.0}));
  EXPECT_EQ(span(2), (std::pair{20.0, 50.0}));
  EXPECT_EQ(span(3), (std::pair{0.0, 20.0}));
  EXPECT_EQ(span(4), (std::pair{50.0, 70.0}));  // to the end of load + settle_s
  EXPECT_EQ(span(5), (std::pair{50.0, 55.0}));
  EXPECT_EQ(span(6), (std::pair{24.0, 50.0}));
  EXPECT_EQ(span(7), (std::pair{10.0, 20.0}));
  EXPECT_EQ(s.assertions[0].window.text, "run (0s..60s)");
  EXPECT_EQ(s.assertions[2].window.text, "during out (20s..50s)");
  EXPECT_EQ(s.assertions[6].window.text, "during out (24s..50s, first 4s trimmed)");
  EXPECT_EQ(s.assertions[7].window.text, "10s..20s");
}

TEST(ScenarioWindows, SpansWithoutAnEndLastToTheEndOfTheLoad) {
  const Scenario s = parse(with(json::parse(R"({
      "faults": [{"name": "f", "channel": "wallet-a", "kind": "outage", "at_s": 15}],
      "actions": [{"name": "r", "action": "reconcile", "at_s": 40}],
      "assertions": [{"kind": "tps", "min": 1, "window": {"during": "f"}},
                     {"kind": "tps", "min": 1, "window": {"after": "r", "for_s": 5}}]})")));
  EXPECT_DOUBLE_EQ(s.assertions[0].window.from_s, 15);
  EXPECT_DOUBLE_EQ(s.assertions[0].window.to_s, 60);
  EXPECT_DOUBLE_EQ(s.assertions[1].window.from_s, 40);
  EXPECT_DOUBLE_EQ(s.assertions[1].window.to_s, 45);
}

TEST(ScenarioWindows, DefaultAssertionNamesAreKindAndChannelMadeUnique) {
  const Scenario s = parse(with(json::parse(R"({"assertions": [
      {"kind": "success_rate", "channel": "wallet-a", "min": 0.9},
      {"kind": "success_rate", "channel": "wallet-a", "min": 0.8},
      {"kind": "invariants"},
      {"name": "tps #2", "kind": "tps", "min": 1},
      {"kind": "tps", "min": 2},
      {"kind": "tps", "min": 3}]})")));
  std::vector<std::string> names;
  for (const Assertion& a : s.assertions)
    names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"success_rate wallet-a", "success_rate wallet-a #2",
                                             "invariants", "tps #2", "tps", "tps #3"}));
}

// --- time scale ---

TEST(ScenarioScaled, ScalesTheTimeAxisButNotRatesOrLatencies) {
  const Scenario s = parse_text(kFull).scaled(0.5);
  EXPECT_DOUBLE_EQ(s.duration_s, 30);
  EXPECT_DOUBLE_EQ(s.settle_s, 20) << "the gateway needs as long to catch up in a short run";
  EXPECT_DOUBLE_EQ(s.load.phases[1].at_s, 5);
  EXPECT_DOUBLE_EQ(s.load.phases[1].for_s, 25);
  EXPECT_DOUBLE_EQ(s.load.phases[1].tps, 100);
  EXPECT_DOUBLE_EQ(s.load.request_timeout_s, 5);
  EXPECT_DOUBLE_EQ(s.faults[0].at_s, 10);
  EXPECT_DOUBLE_EQ(*s.faults[0].for_s, 10);
  EXPECT_DOUBLE_EQ(s.faults[1].fault.at("period_s").get<double>(), 2);
  EXPECT_DOUBLE_EQ(s.faults[1].fault.at("duty").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s.actions[0].at_s, 25);
  EXPECT_DOUBLE_EQ(*s.actions[0].for_s, 2.5);
  const Window& w = s.assertions[1].window;  // during outage-a, trim 2
  EXPECT_DOUBLE_EQ(w.from_s, 11);
  EXPECT_DOUBLE_EQ(w.to_s, 20);
  EXPECT_EQ(w.text, "during outage-a (11s..20s, first 1s trimmed)");
  EXPECT_DOUBLE_EQ(s.assertions[2].within_s, 5) << "the gateway reacts as fast in a short run";
  EXPECT_DOUBLE_EQ(s.assertions[1].max_ms, 300);
  EXPECT_DOUBLE_EQ(s.capacity->step_s, 5);
  EXPECT_DOUBLE_EQ(s.capacity->start_tps, 50);
  EXPECT_THROW((void)s.scaled(0), std::invalid_argument);
}

TEST(ScenarioScaled, ScalesFaultsAChannelCarriesButNotTheirDelays) {
  const Scenario s = parse(with(json::parse(R"({"channels": [{"name": "w",
      "family": "wallet-json", "faults": [{"kind": "latency", "at_s": 10, "for_s": 20,
      "delay_ms": 300}]}]})")))
                         .scaled(0.1);
  const json& f = s.channels.at(0).at("faults").at(0);
  EXPECT_DOUBLE_EQ(f.at("at_s").get<double>(), 1);
  EXPECT_DOUBLE_EQ(f.at("for_s").get<double>(), 2);
  EXPECT_EQ(f.at("delay_ms"), 300);
}

// --- vary: the ranges a sweep draws a fault's schedule from ---

json with_varied_fault(const json& vary) {
  json doc = with_fault(json::object());
  doc["faults"][0]["vary"] = vary;
  return doc;
}

TEST(ScenarioVary, RangesAreStoredAndNeverReachTheSimulator) {
  const Scenario s =
      parse(with_varied_fault(json::parse(R"({"at_s": [5, 25], "for_s": [1, 40], "p": [0, 1]})")));
  const TimelineFault& f = s.faults.at(0);
  ASSERT_TRUE(f.vary.has_value());
  ASSERT_TRUE(f.vary->at_s && f.vary->for_s && f.vary->p);
  EXPECT_DOUBLE_EQ(f.vary->at_s->lo, 5);
  EXPECT_DOUBLE_EQ(f.vary->at_s->hi, 25);
  EXPECT_DOUBLE_EQ(f.vary->for_s->lo, 1);
  EXPECT_DOUBLE_EQ(f.vary->for_s->hi, 40);
  EXPECT_DOUBLE_EQ(f.vary->p->hi, 1);
  EXPECT_FALSE(f.fault.contains("vary"));
  EXPECT_DOUBLE_EQ(f.at_s, 20) << "a plain run plays the fault as written";
  EXPECT_FALSE(parse(with_fault(json::object())).faults.at(0).vary.has_value());
}

TEST(ScenarioVary, EachMemberIsOptional) {
  const Scenario s = parse(with_varied_fault(json::parse(R"({"p": [0.25, 0.5]})")));
  const FaultVary& v = *s.faults.at(0).vary;
  EXPECT_FALSE(v.at_s.has_value());
  EXPECT_FALSE(v.for_s.has_value());
  ASSERT_TRUE(v.p.has_value());
  EXPECT_DOUBLE_EQ(v.p->lo, 0.25);
}

TEST(ScenarioVary, ScaledScalesTimeRangesButNotProbability) {
  const Scenario s =
      parse(
          with_varied_fault(json::parse(R"({"at_s": [4, 20], "for_s": [2, 10], "p": [0.2, 0.6]})")))
          .scaled(0.5);
  const FaultVary& v = *s.faults.at(0).vary;
  EXPECT_DOUBLE_EQ(v.at_s->lo, 2);
  EXPECT_DOUBLE_EQ(v.at_s->hi, 10);
  EXPECT_DOUBLE_EQ(v.for_s->lo, 1);
  EXPECT_DOUBLE_EQ(v.for_s->hi, 5);
  EXPECT_DOUBLE_EQ(v.p->lo, 0.2);
  EXPECT_DOUBLE_EQ(v.p->hi, 0.6);
}

TEST(ScenarioVary, ErrorsNameThePathOfTheBadRange) {
  const auto error = [](const char* vary) {
    return error_of(with_varied_fault(json::parse(vary)));
  };
  const std::string reversed = error(R"({"at_s": [20, 5]})");
  EXPECT_NE(reversed.find("/faults/0/vary/at_s: expected [lo, hi] with lo <= hi"),
            std::string::npos)
      << reversed;
  const std::string late = error(R"({"at_s": [5, 60]})");
  EXPECT_NE(late.find("/faults/0/vary/at_s/1: expected a start before the end of the load (60s), "
                      "got 60"),
            std::string::npos)
      << late;
  const std::string negative = error(R"({"at_s": [-1, 5]})");
  EXPECT_NE(negative.find("/faults/0/vary/at_s/0: expected a number >= 0, got -1"),
            std::string::npos)
      << negative;
  const std::string zero = error(R"({"for_s": [0, 5]})");
  EXPECT_NE(zero.find("/faults/0/vary/for_s/0: expected a positive number, got 0"),
            std::string::npos)
      << zero;
  const std::string p = error(R"({"p": [0.5, 1.5]})");
  EXPECT_NE(p.find("/faults/0/vary/p/1: expected a number in [0, 1], got 1.5"), std::string::npos)
      << p;
  const std::string size = error(R"({"p": [0.5]})");
  EXPECT_NE(size.find("/faults/0/vary/p:"), std::string::npos) << size;
  const std::string unknown = error(R"({"delay_ms": [1, 2]})");
  EXPECT_NE(unknown.find("/faults/0/vary/delay_ms:"), std::string::npos) << unknown;
  EXPECT_EQ(
      error_of_text(with_varied_fault(json::parse(R"({"p": [1, 0]})")).dump(2)).rfind("s.json:", 0),
      0u)
      << "the line of the offending value is named too";
}

TEST(ScenarioVary, AFaultWithoutForSCannotVaryIt) {
  json doc = with_varied_fault(json::parse(R"({"for_s": [1, 5]})"));
  doc["faults"][0].erase("for_s");
  const std::string e = error_of(doc);
  EXPECT_NE(e.find("/faults/0/vary/for_s: a fault without for_s lasts to the end of the run"),
            std::string::npos)
      << e;
}

// --- rates ---

TEST(LoadPhaseRate, ConstantAndOutside) {
  LoadPhase p;
  p.kind = LoadPhase::Kind::constant;
  p.at_s = 10;
  p.for_s = 20;
  p.tps = 50;
  EXPECT_DOUBLE_EQ(p.rate_at(9.99), 0);
  EXPECT_DOUBLE_EQ(p.rate_at(10), 50);
  EXPECT_DOUBLE_EQ(p.rate_at(29.9), 50);
  EXPECT_DOUBLE_EQ(p.rate_at(30), 0);
}

TEST(LoadPhaseRate, RampIsLinear) {
  LoadPhase p;
  p.kind = LoadPhase::Kind::ramp;
  p.for_s = 10;
  p.from_tps = 100;
  p.to_tps = 200;
  EXPECT_DOUBLE_EQ(p.rate_at(0), 100);
  EXPECT_DOUBLE_EQ(p.rate_at(5), 150);
  EXPECT_DOUBLE_EQ(p.rate_at(9), 190);
  EXPECT_DOUBLE_EQ(p.rate_at(10), 0);
}

TEST(LoadPhaseRate, StepClimbsInEqualStairsFromFirstToLast) {
  const Scenario s = parse(with(json::parse(R"({"load": {"phases": [
      {"kind": "step", "for_s": 40, "from_tps": 100, "to_tps": 400, "steps": 4}]}})")));
  const LoadPhase& p = s.load.phases[0];
  EXPECT_DOUBLE_EQ(p.rate_at(0), 100);
  EXPECT_DOUBLE_EQ(p.rate_at(9.9), 100);
  EXPECT_DOUBLE_EQ(p.rate_at(10), 200);
  EXPECT_DOUBLE_EQ(p.rate_at(25), 300);
  EXPECT_DOUBLE_EQ(p.rate_at(39.9), 400);
  EXPECT_DOUBLE_EQ(p.rate_at(40), 0);
}

TEST(LoadPhaseRate, SpikeCountsFromThePhasesStart) {
  const Scenario s = parse(with(json::parse(R"({"load": {"phases": [
      {"kind": "constant", "for_s": 10, "tps": 1},
      {"kind": "spike", "for_s": 30, "tps": 100, "spike_tps": 1000, "spike_at_s": 5,
       "spike_for_s": 2}]}})")));
  const LoadPhase& p = s.load.phases[1];
  EXPECT_DOUBLE_EQ(p.at_s, 10);
  EXPECT_DOUBLE_EQ(p.rate_at(14.9), 100);
  EXPECT_DOUBLE_EQ(p.rate_at(15), 1000);
  EXPECT_DOUBLE_EQ(p.rate_at(16.9), 1000);
  EXPECT_DOUBLE_EQ(p.rate_at(17), 100);
  EXPECT_NE(error_of(with(json::parse(R"({"load": {"phases": [{"kind": "spike", "for_s": 10,
      "tps": 1, "spike_tps": 2, "spike_at_s": 8, "spike_for_s": 5}]}})")))
                .find("/load/phases/0/spike_for_s: expected a spike that ends within the phase"),
            std::string::npos);
}

// --- files ---

class ScenarioFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fusebox-scenario-test-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ScenarioFiles, FolderGivesItsJsonFilesSortedWithoutTheSchema) {
  write("b.json", "{}");
  write("a.json", "{}");
  write("schema.json", "{}");
  write("notes.md", "");
  const auto files = scenario_files({dir_.string()});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].filename(), "a.json");
  EXPECT_EQ(files[1].filename(), "b.json");
  const auto one = scenario_files({(dir_ / "b.json").string()});
  EXPECT_EQ(one, std::vector<std::filesystem::path>{dir_ / "b.json"});
}

TEST_F(ScenarioFiles, MissingPathIsAConfigError) {
  const std::string missing = (dir_ / "nope.json").string();
  try {
    (void)scenario_files({missing});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), missing + ": cannot read: No such file or directory");
  }
}

TEST_F(ScenarioFiles, LoadScenarioNamesTheFileAndLine) {
  const auto path = write("outage.json", std::string(kFull));
  const Scenario s = load_scenario(path);
  EXPECT_EQ(s.name, "outage");
  EXPECT_EQ(s.file, path);
  const auto bad = write("bad.json",
                         "{\n  \"description\": \"d\",\n  // a comment\n  \"settle_s\": -1,\n"
                         "  \"load\": {\"phases\": [{\"kind\": \"constant\", \"for_s\": 1, "
                         "\"tps\": 1}]}\n}\n");
  try {
    (void)load_scenario(bad);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              bad.string() + ":4: /settle_s: expected a number >= 0, got -1");
  }
  try {
    (void)load_scenario(dir_ / "absent.json");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("absent.json: cannot read:"), std::string::npos);
  }
}

// --- shipped files ---

std::filesystem::path scenarios_dir() {
  return std::filesystem::path(FUSEBOX_SOURCE_DIR) / "scenarios";
}

TEST(ShippedScenarios, EveryScenarioInTheRepositoryLoads) {
  for (const auto& file : scenario_files({scenarios_dir().string()})) {
    SCOPED_TRACE(file.string());
    EXPECT_NO_THROW({
      try {
        (void)load_scenario(file);
      } catch (const ConfigError& error) {
        ADD_FAILURE() << error.what();
      }
    });
  }
}

TEST(ShippedScenarios, TheFullExampleInTheDocsLoads) {
  std::ifstream in(std::filesystem::path(FUSEBOX_SOURCE_DIR) / "docs" / "SCENARIOS.md");
  ASSERT_TRUE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t section = doc.find("## A full example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t start = doc.find("```jsonc\n", section);
  ASSERT_NE(start, std::string::npos);
  const std::size_t body = start + std::string("```jsonc\n").size();
  const std::string example = doc.substr(body, doc.find("```", body) - body);
  try {
    const Scenario s = parse_scenario_text("SCENARIOS.md", example);
    EXPECT_EQ(s.assertions.size(), 11u);
    EXPECT_DOUBLE_EQ(s.duration_s, 90);
  } catch (const ConfigError& error) {
    FAIL() << error.what();
  }
}

// The field names a loader error lists after `marker`, e.g. "expected one of: a, b)".
std::set<std::string> listed(const std::string& message, const std::string& marker,
                             const std::string& end) {
  std::set<std::string> out;
  const std::size_t start = message.find(marker);
  if (start == std::string::npos) return out;
  const std::string list =
      message.substr(start + marker.size(), message.find(end, start) - start - marker.size());
  std::string item;
  for (const char c : list + ",") {
    if (c == ',') {
      out.insert(item);
      item.clear();
    } else if (c != ' ' && c != '"') {
      item += c;
    }
  }
  return out;
}

TEST(ShippedScenarios, SchemaListsEveryTopLevelFieldAndAssertionKind) {
  std::ifstream in(scenarios_dir() / "schema.json");
  ASSERT_TRUE(in) << "scenarios/schema.json is missing";
  const json schema = json::parse(in);
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema.at("additionalProperties"), false);

  const std::set<std::string> loader_fields =
      listed(error_of(with({{"zzz", 1}})), "expected one of: ", ")");
  ASSERT_GT(loader_fields.size(), 5u);
  std::set<std::string> schema_fields;
  for (const auto& [key, value] : schema.at("properties").items())
    schema_fields.insert(key);
  EXPECT_EQ(schema_fields, loader_fields);

  const std::set<std::string> loader_kinds =
      listed(error_of(with(json::parse(R"({"assertions": [{"kind": "zzz"}]})"))),
             "expected one of ", ", got");
  ASSERT_EQ(loader_kinds.size(), 12u);
  std::set<std::string> schema_kinds;
  for (const auto& kind : schema.at("$defs").at("assertion").at("properties").at("kind").at("enum"))
    schema_kinds.insert(kind.get<std::string>());
  EXPECT_EQ(schema_kinds, loader_kinds);
}

}  // namespace
}  // namespace fusebox::harness
