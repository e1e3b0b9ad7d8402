#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace fusebox::harness {

struct GatewayCommandOptions {
  std::string config;         // a gateway config file; may name the simulator
  std::string simulator_url;  // a running simulator's control URL (overrides the config's)
  std::optional<std::uint16_t> port;
  std::string store;  // SQLite file; ":memory:" by default
  std::string admin_token;
  bool insecure_local = false;
  std::string alert_webhook;  // overrides the config's
  std::string role;           // "all", "payments" or "refunds"; "" keeps the config's
  bool notify_tls = false;    // also serve HTTPS, and have notifications sent there
};

[[nodiscard]] int run_gateway(const GatewayCommandOptions& options, std::ostream& out,
                              std::ostream& err);

}  // namespace fusebox::harness
