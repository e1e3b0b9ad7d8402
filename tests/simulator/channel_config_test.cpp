// Proves simulator configs and faults parse into what they say, that family defaults apply,
// and that every mistake is reported with the file, the JSON path and what was expected.
#include "fusebox/simulator/channel_config.hpp"

#include <string>

#include <gtest/gtest.h>

namespace fusebox::sim {
namespace {

SimulatorSpec parse(const std::string& text) {
  return parse_simulator(ConfigDocument::parse("sim.json", text).root());
}

std::string error_of(const std::string& text) {
  try {
    (void)parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

Fault fault(const std::string& text) {
  return parse_fault(ConfigDocument::parse("f.json", text).root());
}

std::string fault_error(const std::string& text) {
  try {
    (void)fault(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ChannelConfigTest, AFullChannel) {
  const SimulatorSpec spec = parse(R"({
    // comments are fine
    "seed": 99,
    "channels": [{
      "name": "wx", "family": "wallet-json", "sign": "ed25519", "tls": false,
      "notify_url": "http://127.0.0.1:8080/notify/wx",
      "latency_ms": {"pay": {"kind": "lognormal", "p50": 20, "p99": 300}, "query": 5},
      "capacity": {"max_concurrency": 100, "max_queue": 500},
      "outcome": {"success_p": 0.9, "decline_p": 0.05, "pay_after_ms": 2000, "expire_after_s": 900},
      "refund": {"success_p": 0.5, "complete_after_ms": 60000},
      "notify": {"retry_after_s": [1, 2, 3]},
      "faults": [{"kind": "outage", "at_s": 30, "for_s": 60, "p": 0.5}]
    }]})");
  EXPECT_EQ(spec.seed, 99U);
  ASSERT_EQ(spec.channels.size(), 1U);
  const ChannelSpec& c = spec.channels[0];
  EXPECT_EQ(c.model.name, "wx");
  EXPECT_EQ(c.sign, SignScheme::ed25519);
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.notify_url, "http://127.0.0.1:8080/notify/wx");
  EXPECT_EQ(c.model.latency_ms[0].describe(), "lognormal(p50=20, p99=300) clamped to [0, inf]");
  EXPECT_EQ(c.model.latency_ms[1].describe(), "fixed(5)");
  EXPECT_EQ(c.model.capacity.max_concurrency, 100U);
  EXPECT_DOUBLE_EQ(c.model.outcome.decline_p, 0.05);
  EXPECT_EQ(c.model.outcome.expire_after_ns, from_s(900));
  EXPECT_EQ(c.model.notify.retry_after_ns, (std::vector<TimeNs>{from_s(1), from_s(2), from_s(3)}));
  ASSERT_EQ(c.faults.size(), 1U);
  EXPECT_EQ(c.faults[0].kind, FaultKind::outage);
  EXPECT_EQ(c.faults[0].start_ns, from_s(30));
  EXPECT_EQ(c.faults[0].end_ns, from_s(90));
  EXPECT_DOUBLE_EQ(c.faults[0].probability, 0.5);
}

TEST(ChannelConfigTest, FamilyDefaults) {
  const SimulatorSpec spec = parse(R"({"channels": [
    {"name": "a", "family": "wallet-json"}, {"name": "b", "family": "wallet-xml"},
    {"name": "c", "family": "bank-binary"}]})");
  EXPECT_EQ(spec.channels[0].sign, SignScheme::rsa_sha256);
  EXPECT_TRUE(spec.channels[0].tls);
  EXPECT_EQ(spec.channels[1].sign, SignScheme::hmac_sha256);
  EXPECT_FALSE(spec.channels[1].tls);
  EXPECT_EQ(spec.channels[2].nodes, 3);
  EXPECT_EQ(spec.channels[2].ports.size(), 3U);
  EXPECT_TRUE(spec.channels[2].model.synchronous_pay);
  EXPECT_FALSE(spec.channels[2].model.notify.enabled);
}

TEST(ChannelConfigTest, TheBuiltInDefault) {
  const SimulatorSpec spec = default_simulator();
  ASSERT_EQ(spec.channels.size(), 4U);
  int wallets = 0;
  for (const ChannelSpec& c : spec.channels)
    wallets += c.family == Family::wallet_json ? 1 : 0;
  EXPECT_EQ(wallets, 2);
  EXPECT_EQ(spec.channels[2].family, Family::wallet_xml);
  EXPECT_EQ(spec.channels[3].family, Family::bank_binary);
  EXPECT_EQ(spec.channels[3].nodes, 3);
  EXPECT_EQ(spec.host, "127.0.0.1");
}

TEST(ChannelConfigTest, ErrorsNameThePath) {
  EXPECT_EQ(error_of(R"({"channels": []})"),
            "sim.json: /channels: expected an array of 1 to 64 elements, got 0");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "wallet-jsn"}]})"),
            "sim.json: /channels/0/family: expected one of \"wallet-json\", \"wallet-xml\", "
            "\"bank-binary\", got \"wallet-jsn\"");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "wallet-json"},
                                       {"name": "a", "family": "bank-binary"}]})"),
            "sim.json: /channels/1/name: channel name \"a\" is used twice");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "A B", "family": "wallet-json"}]})"),
            "sim.json: /channels/0/name: expected 1 to 32 characters of a-z, 0-9, '-' and '_', "
            "got \"A B\"");
  EXPECT_EQ(
      error_of(R"({"host": "0.0.0.0", "channels": [{"name": "a", "family": "wallet-json"}]})"),
      "sim.json: /host: expected a loopback address (127.0.0.1, ::1 or localhost): the "
      "simulator never listens elsewhere, got \"0.0.0.0\"");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "wallet-json",
                                        "outcome": {"success_p": 0.8, "decline_p": 0.3}}]})"),
            "sim.json: /channels/0/outcome: success_p + decline_p must not exceed 1, got 1.100000");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "bank-binary", "ports": [1, 2]}]})"),
            "sim.json: /channels/0/ports: expected an array of 3 elements, got 2");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "wallet-json", "nodes": 2}]})"),
            "sim.json: /channels/0/nodes: only bank-binary channels have front-end nodes");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "bank-binary",
                                        "faults": [{"kind": "outage", "node": 5}]}]})"),
            "sim.json: /channels/0/faults/0/node: expected a node below 3 (the channel's node "
            "count), got 5");
  EXPECT_EQ(error_of(R"({"channels": [{"name": "a", "family": "wallet-json",
                                        "latency_ms": {"payy": 5}}]})"),
            "sim.json: /channels/0/latency_ms/payy: unknown operation \"payy\" (pay, query, "
            "refund, refund_query, close, statement)");
}

TEST(FaultConfigTest, EveryKindParsesWithItsParameters) {
  EXPECT_EQ(fault(R"({"kind": "latency", "delay_ms": 300})").delay_ms.describe(), "fixed(300)");
  EXPECT_DOUBLE_EQ(fault(R"({"kind": "brownout", "factor": 5})").factor, 5);
  const Fault flapping = fault(R"({"kind": "flapping", "period_s": 10, "duty": 0.3})");
  EXPECT_EQ(flapping.period_ns, from_s(10));
  EXPECT_DOUBLE_EQ(flapping.duty, 0.3);
  EXPECT_EQ(fault(R"({"kind": "too_many_requests"})").delay_ms.describe(), "fixed(1000)");
  const Fault scoped = fault(R"({"kind": "http_5xx", "operation": "refund", "node": 2})");
  EXPECT_EQ(scoped.operation, Operation::refund);
  EXPECT_EQ(scoped.node, 2);
  EXPECT_EQ(fault(R"({"kind": "black_hole"})").end_ns, INT64_MAX) << "no for_s: until cleared";
}

// A live fault's timing and probability change in place; its kind and scope do not.
TEST(FaultConfigTest, APatchMovesAFaultKeepingItsLength) {
  Fault f = fault(R"({"kind": "outage", "operation": "pay", "at_s": 10, "for_s": 5, "p": 0.5})");
  patch_fault(ConfigDocument::parse("patch", R"({"at_s": 20})").root(), f);
  EXPECT_EQ(f.start_ns, from_s(20));
  EXPECT_EQ(f.end_ns, from_s(25)) << "moved, the same 5 s long";
  patch_fault(ConfigDocument::parse("patch", R"({"for_s": 1, "p": 0.25})").root(), f);
  EXPECT_EQ(f.end_ns, from_s(21));
  EXPECT_DOUBLE_EQ(f.probability, 0.25);
  EXPECT_EQ(f.kind, FaultKind::outage);
  Fault open_ended = fault(R"({"kind": "outage"})");
  patch_fault(ConfigDocument::parse("patch", R"({"at_s": 3})").root(), open_ended);
  EXPECT_EQ(open_ended.end_ns, INT64_MAX) << "a fault without for_s still lasts to the end";
  for (const char* bad : {R"({"kind": "reset"})", R"({"p": 2})", R"({"for_s": 0})", "[]"}) {
    EXPECT_THROW(patch_fault(ConfigDocument::parse("patch", bad).root(), f), ConfigError) << bad;
  }
}

TEST(FaultConfigTest, ErrorsNameTheFieldAndWhatItTakes) {
  EXPECT_NE(fault_error(R"({"kind": "meltdown"})")
                .find("f.json: /kind: expected a fault kind (latency, brownout"),
            std::string::npos);
  EXPECT_EQ(fault_error(R"({"kind": "outage", "factor": 2})"),
            "f.json: /factor: field \"factor\" does not apply to this fault kind (it takes: kind, "
            "operation, node, at_s, for_s, p)");
  EXPECT_EQ(fault_error(R"({"kind": "latency"})"),
            "f.json: /: missing required field \"delay_ms\"");
  EXPECT_EQ(fault_error(R"({"kind": "outage", "for_s": -5})"),
            "f.json: /for_s: expected a positive number, got -5");
  EXPECT_EQ(fault_error(R"({"kind": "outage", "p": 2})"),
            "f.json: /p: expected a number in [0, 1], got 2");
  EXPECT_EQ(fault_error(R"({"kind": "outage", "operation": "refnd"})"),
            "f.json: /operation: expected one of \"pay\", \"query\", \"refund\", "
            "\"refund_query\", \"close\", \"statement\", got \"refnd\"");
  EXPECT_EQ(fault_error("[]"), "f.json: /: expected a fault object with a \"kind\", got an array");
}

}  // namespace
}  // namespace fusebox::sim
