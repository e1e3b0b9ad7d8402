#include "fusebox/gateway/gateway_config.hpp"

#include <set>

namespace fusebox::gateway {
namespace {

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kS = 1'000'000'000;

TimeNs millis(const ConfigNode& node, std::int64_t min_ms, std::int64_t max_ms) {
  return node.as_int(min_ms, max_ms) * kMs;
}

BulkheadConfig parse_bulkhead(const ConfigNode& node) {
  node.expect_fields({"max_in_flight", "max_pending"});
  BulkheadConfig bulkhead;
  if (auto n = node.find("max_in_flight")) {
    bulkhead.max_in_flight = static_cast<std::uint32_t>(n->as_int(1, 100'000));
  }
  if (auto n = node.find("max_pending")) {
    bulkhead.max_pending = static_cast<std::uint32_t>(n->as_int(0, 1'000'000));
  }
  return bulkhead;
}

ChannelSettings parse_channel(const ConfigNode& node, const BreakerConfig& default_breaker) {
  node.expect_fields({"name", "family", "method", "priority", "weight", "enabled", "timeout_ms",
                      "poll_per_second", "breaker", "bulkheads"});
  ChannelSettings channel;
  channel.name = node.at("name").as_non_empty_string();
  channel.family =
      *parse_family(node.at("family").as_enum({"wallet-json", "wallet-xml", "bank-binary"}));
  const Method natural = channel.family == Family::bank_binary ? Method::bank : Method::wallet;
  channel.method = natural;
  if (auto n = node.find("method")) channel.method = *parse_method(n->as_enum({"wallet", "bank"}));
  if (auto n = node.find("priority")) channel.priority = static_cast<int>(n->as_int(0, 1000));
  if (auto n = node.find("weight")) channel.weight = static_cast<std::uint32_t>(n->as_int(1, 1000));
  if (auto n = node.find("enabled")) channel.enabled = n->as_bool();
  if (auto n = node.find("timeout_ms")) channel.timeout_ns = millis(*n, 1, 600'000);
  if (auto n = node.find("poll_per_second")) {
    channel.poll_per_second = static_cast<std::uint32_t>(n->as_int(1, 1'000'000));
  }
  channel.breaker = default_breaker;
  if (auto n = node.find("breaker")) channel.breaker = parse_breaker_config(*n, default_breaker);
  if (auto n = node.find("bulkheads")) {
    n->expect_fields({"pay", "query", "refund", "refund_query", "close"});
    for (int op = 0; op < kChannelOpCount; ++op) {
      const auto channel_op = static_cast<ChannelOp>(op);
      if (auto b = n->find(to_string(channel_op)))
        channel.bulkhead(channel_op) = parse_bulkhead(*b);
    }
  }
  return channel;
}

PollerConfig parse_poller(const ConfigNode& node) {
  node.expect_fields({"schedule_s", "horizon_s", "unknown_fail_after_s"});
  PollerConfig poller;
  if (auto n = node.find("schedule_s")) {
    n->expect_array(1, 64);
    poller.schedule_ns.clear();
    for (const auto& step : n->elements()) {
      poller.schedule_ns.push_back(static_cast<TimeNs>(step.as_number_in(0.001, 86'400) * 1e9));
    }
  }
  if (auto n = node.find("horizon_s")) poller.horizon_ns = n->as_int(1, 30LL * 86'400) * kS;
  if (auto n = node.find("unknown_fail_after_s")) {
    poller.unknown_fail_after_ns = n->as_int(1, 86'400) * kS;
  }
  return poller;
}

AlertRule parse_alert(const ConfigNode& node) {
  node.expect_fields({"name", "channel", "kind", "threshold", "window_s", "min_requests"});
  AlertRule rule;
  rule.name = node.at("name").as_non_empty_string();
  if (auto n = node.find("channel")) rule.channel = n->as_string();
  const std::string kind = node.at("kind").as_enum({"success_rate_below", "pending_above"});
  rule.kind = kind == "pending_above" ? AlertRule::Kind::pending_above
                                      : AlertRule::Kind::success_rate_below;
  const ConfigNode threshold = node.at("threshold");
  rule.threshold = rule.kind == AlertRule::Kind::pending_above ? threshold.as_non_negative_number()
                                                               : threshold.as_probability();
  if (auto n = node.find("window_s")) rule.window_ns = n->as_int(1, 60) * kS;
  if (auto n = node.find("min_requests")) {
    rule.min_requests = static_cast<std::uint32_t>(n->as_int(0, 1'000'000));
  }
  return rule;
}

}  // namespace

BreakerConfig parse_breaker_config(const ConfigNode& node, const BreakerConfig& defaults) {
  node.expect_fields({"window_ms", "bucket_ms", "failure_rate", "slow_call_rate", "slow_call_ms",
                      "minimum_calls", "open_ms", "max_open_ms", "backoff", "half_open_probes",
                      "probes_to_close", "probe_lease_ms"});
  BreakerConfig c = defaults;
  if (auto n = node.find("window_ms")) c.window_ns = millis(*n, 1, 3'600'000);
  if (auto n = node.find("bucket_ms")) c.bucket_ns = millis(*n, 1, 100);
  if (auto n = node.find("failure_rate")) c.failure_rate = n->as_number_in(0.001, 1.0);
  if (auto n = node.find("slow_call_rate")) {
    // null turns slow-call tripping off.
    c.slow_call_rate = n->json().is_null() ? kRateOff : n->as_number_in(0.001, 1.0);
  }
  if (auto n = node.find("slow_call_ms")) c.slow_call_ns = millis(*n, 1, 3'600'000);
  if (auto n = node.find("minimum_calls")) {
    c.minimum_calls = static_cast<std::uint32_t>(n->as_int(1, 1'000'000));
  }
  if (auto n = node.find("open_ms")) c.open_ns = millis(*n, 1, 86'400'000);
  if (auto n = node.find("max_open_ms")) c.max_open_ns = millis(*n, 1, 86'400'000);
  if (auto n = node.find("backoff")) c.backoff = n->as_number_in(1.0, BreakerConfig::kMaxBackoff);
  if (auto n = node.find("half_open_probes")) {
    c.half_open_probes = static_cast<std::uint32_t>(n->as_int(1, BreakerConfig::kMaxProbes));
  }
  if (auto n = node.find("probes_to_close")) {
    c.probes_to_close = static_cast<std::uint32_t>(n->as_int(1, BreakerConfig::kMaxProbesToClose));
  }
  if (auto n = node.find("probe_lease_ms")) c.probe_lease_ns = millis(*n, 1, 86'400'000);
  if (auto why = c.validate()) node.fail(*why);
  return c;
}

GatewayConfig parse_gateway_config(const ConfigNode& node) {
  node.expect_fields({"channels", "breaker", "poller", "alerts", "currencies", "max_amount_minor",
                      "notify_base_url", "expected_orders", "retain_final_s", "planted_bug"});
  GatewayConfig config;
  BreakerConfig default_breaker;
  if (auto n = node.find("breaker")) default_breaker = parse_breaker_config(*n, BreakerConfig{});
  std::set<std::string> names;
  const auto channels = node.find("channels");  // absent: taken from a simulator
  if (channels) channels->expect_array(1, 64);
  for (const auto& element : channels ? channels->elements() : std::vector<ConfigNode>{}) {
    config.channels.push_back(parse_channel(element, default_breaker));
    if (!names.insert(config.channels.back().name).second) {
      element.at("name").fail("a channel of that name is already configured");
    }
  }
  if (auto n = node.find("poller")) config.poller = parse_poller(*n);
  if (auto n = node.find("alerts")) {
    n->expect_array(0, 256);
    for (const auto& element : n->elements()) {
      config.alerts.push_back(parse_alert(element));
      const std::string& channel = config.alerts.back().channel;
      if (!channel.empty() && !names.contains(channel)) {
        element.at("channel").fail("no channel named \"" + channel + "\" is configured");
      }
    }
  }
  if (auto n = node.find("currencies")) {
    n->expect_array(1, 200);
    config.currencies.clear();
    for (const auto& element : n->elements()) {
      const std::string code = element.as_string();
      if (code.size() != 3 ||
          !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        element.fail_expected("an ISO 4217 code of three capitals");
      }
      config.currencies.push_back(code);
    }
  }
  if (auto n = node.find("max_amount_minor")) {
    config.max_amount_minor = n->as_int(1, 1'000'000'000'000'000);
  }
  if (auto n = node.find("notify_base_url")) config.notify_base_url = n->as_string();
  if (auto n = node.find("expected_orders")) {
    config.expected_orders = static_cast<std::size_t>(n->as_int(0, 100'000'000));
  }
  if (auto n = node.find("retain_final_s")) {
    config.retain_final_ns = n->as_int(0, 30LL * 86'400) * kS;
  }
  if (auto n = node.find("planted_bug")) {
    const std::string bug =
        n->as_enum({"none", "failover_after_timeout", "accept_forged_notifications"});
    config.planted_failover_after_timeout = bug == "failover_after_timeout";
    config.planted_accept_forged_notifications = bug == "accept_forged_notifications";
  }
  return config;
}

}  // namespace fusebox::gateway
