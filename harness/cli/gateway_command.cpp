// `fusebox gateway`: the reference gateway on loopback until SIGINT or SIGTERM.
#include "gateway_command.hpp"

#include <ostream>
#include <stdexcept>
#include <system_error>

#include "fusebox/common/config.hpp"
#include "fusebox/gateway/live_gateway.hpp"
#include "fusebox/gateway/store.hpp"
#include "fusebox/harness/cli.hpp"

namespace fusebox::harness {
namespace {

// Reads the config and the simulator's channels; a message on `err` and nullopt on failure.
std::optional<gateway::LiveGatewayOptions> load(const GatewayCommandOptions& options,
                                                std::ostream& err) {
  gateway::LiveGatewayOptions live;
  try {
    if (!options.config.empty()) live = gateway::load_gateway_options(options.config);
  } catch (const ConfigError& e) {
    err << e.what() << "\n";
    return std::nullopt;
  }
  if (options.port) live.port = *options.port;
  if (!options.store.empty()) live.store_path = options.store;
  if (!options.admin_token.empty()) live.admin_token = options.admin_token;
  live.insecure_local = options.insecure_local;
  if (options.notify_tls) live.notify_tls.enabled = true;
  if (!options.alert_webhook.empty()) {
    if (const std::string why = gateway::check_webhook_url(options.alert_webhook); !why.empty()) {
      err << "fusebox gateway: --alert-webhook: " << why << "\n";
      return std::nullopt;
    }
    live.alert_webhook = options.alert_webhook;
  }
  if (!options.role.empty()) {
    const auto role = gateway::parse_role(options.role);
    if (!role) {
      err << "fusebox gateway: --role: expected all, payments or refunds, got \"" << options.role
          << "\"\n";
      return std::nullopt;
    }
    live.core.role = *role;
  }
  if (live.core.role != gateway::Role::all && live.store_path == ":memory:") {
    err << "fusebox gateway: --role " << gateway::to_string(live.core.role)
        << " shares its orders with the other half through the store: pass --store FILE or set "
           "\"store\" in the config\n";
    return std::nullopt;
  }
  if (live.admin_token.empty() && !live.insecure_local) {
    err << "fusebox gateway: the operator API needs a bearer token: set \"admin_token\" in the "
           "config or --admin-token, or pass --insecure-local to run without one on loopback\n";
    return std::nullopt;
  }
  const std::string simulator =
      options.simulator_url.empty() ? live.simulator_control : options.simulator_url;
  if (simulator.empty()) {
    err << "fusebox gateway: no channels to talk to: pass --simulator URL (a running "
           "simulator's control URL) or set \"simulator\" in the config\n";
    return std::nullopt;
  }
  try {
    gateway::bootstrap_from_simulator(live, simulator);
  } catch (const std::exception& e) {
    err << "fusebox gateway: cannot take channels from the simulator: " << e.what() << "\n";
    return std::nullopt;
  }
  return live;
}

}  // namespace

int run_gateway(const GatewayCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto live = load(options, err);
  if (!live) return kExitBadInput;
  gateway::LiveGateway gateway(std::move(*live));
  try {
    out << gateway.start().dump() << std::endl;  // the ready line: scripts never guess ports
  } catch (const gateway::StoreError& e) {
    err << "fusebox gateway: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::system_error& e) {
    err << "fusebox gateway: cannot listen: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    err << "fusebox gateway: " << e.what() << "\n";
    return kExitBadInput;
  }
  gateway.stop_on_signals(
      [&err](int signal) { err << "fusebox gateway: signal " << signal << ", stopping\n"; });
  gateway.run();
  return kExitOk;
}

}  // namespace fusebox::harness
