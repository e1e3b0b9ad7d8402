#pragma once
// The gateway's settings: its channels (routing, breaker, bulkheads, timeouts), the poller,
// the merchant-input limits and the alert rules. Parsed from JSON with precise errors by
// parse_gateway_config; the same struct drives the live runtime and the virtual-time one.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fusebox/common/config.hpp"
#include "fusebox/gateway/breaker.hpp"
#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

// A bound on concurrent calls and on calls waiting for a slot. Past both, a call is rejected
// without leaving the gateway (so it may safely go to another channel).
struct BulkheadConfig {
  std::uint32_t max_in_flight = 256;
  std::uint32_t max_pending = 1024;
};

struct ChannelSettings {
  std::string name;
  Family family = Family::wallet_json;
  Method method = Method::wallet;
  int priority = 0;          // lower first
  std::uint32_t weight = 1;  // among channels of the same priority, smooth weighted round-robin
  bool enabled = true;       // the static switch's initial position
  BreakerConfig breaker;
  // One bulkhead per operation, indexed by ChannelOp: a refund storm or a polling backlog
  // cannot take the slots that pay needs.
  std::array<BulkheadConfig, kChannelOpCount> bulkheads{
      BulkheadConfig{256, 1024},  // pay
      BulkheadConfig{64, 1024},   // query
      BulkheadConfig{64, 1024},   // refund
      BulkheadConfig{32, 1024},   // refund_query
      BulkheadConfig{32, 256},    // close
  };
  [[nodiscard]] BulkheadConfig& bulkhead(ChannelOp op) {
    return bulkheads[static_cast<std::size_t>(op)];
  }
  [[nodiscard]] const BulkheadConfig& bulkhead(ChannelOp op) const {
    return bulkheads[static_cast<std::size_t>(op)];
  }
  TimeNs timeout_ns = 3'000'000'000;    // per call
  std::uint32_t poll_per_second = 200;  // the polling budget
};

struct PollerConfig {
  // Delays after the pay (or refund) was sent; the last one repeats until the horizon.
  std::vector<TimeNs> schedule_ns{5'000'000'000, 10'000'000'000, 30'000'000'000, 60'000'000'000,
                                  300'000'000'000};
  TimeNs horizon_ns = 24LL * 3600 * 1'000'000'000;  // past it: manual review
  // A payment the channel still does not know this long after the pay was sent is closed at
  // the channel and, if the channel confirms it does not know it, failed.
  TimeNs unknown_fail_after_ns = 120'000'000'000;
};

struct AlertRule {
  std::string name;
  std::string channel;  // "" for every channel
  enum class Kind : std::uint8_t {
    success_rate_below,
    pending_above
  } kind = Kind::success_rate_below;
  double threshold = 0.9;
  TimeNs window_ns = 10'000'000'000;
  std::uint32_t min_requests = 20;  // success_rate_below: fewer requests say nothing
};

struct GatewayConfig {
  std::vector<ChannelSettings> channels;
  PollerConfig poller;
  std::vector<AlertRule> alerts;
  std::vector<std::string> currencies{"CNY", "USD", "EUR", "HKD", "JPY", "GBP"};
  std::int64_t max_amount_minor = 100'000'000'000;  // one billion in major units
  std::string notify_base_url;  // the notify_url sent to wallets is this + "/notify/" + channel
  // Order tables are sized for this many up front; 0 grows them as orders come (in small
  // steps either way: see gateway/core/order_index.hpp).
  std::size_t expected_orders = 0;
  // How long a final order stays in memory after its last change before it lives only in
  // the store (read back when asked for; gateway/core/core_state.hpp, "What the core
  // keeps"). Unset: every order stays in memory for the life of the process.
  std::optional<TimeNs> retain_final_ns;
  // Which services this process runs (types.hpp). Set by the live runtime from its config's
  // top-level "role" or --role; not a field of the "gateway" object.
  Role role = Role::all;
  // Deliberate bugs, for proving the harness finds them ("planted_bug"); never set outside
  // such a test. "failover_after_timeout": a pay that timed out moves to the next channel as
  // if it had never been sent, so a channel that did charge it and the next one both do.
  // "accept_forged_notifications": a notification whose signature does not verify is applied.
  bool planted_failover_after_timeout = false;
  bool planted_accept_forged_notifications = false;
};

// Reads the "gateway" object of a config file or scenario. Throws ConfigError naming the
// file, the JSON path and what was expected.
[[nodiscard]] GatewayConfig parse_gateway_config(const ConfigNode& node);
// Fields absent from `node` keep their value in `defaults`.
[[nodiscard]] BreakerConfig parse_breaker_config(const ConfigNode& node,
                                                 const BreakerConfig& defaults);

}  // namespace fusebox::gateway
