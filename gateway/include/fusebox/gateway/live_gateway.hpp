#pragma once
// The gateway's live runtime: the pure core driven by real time on one io_context thread,
// a Beast HTTP server for merchants, channel notifications, operators and Prometheus, the
// channel codecs and transports, and the SQLite store. `fusebox gateway` wires it up.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/signing.hpp"
#include "fusebox/gateway/gateway_config.hpp"

namespace fusebox::gateway {

// Where one channel is and how to talk to it.
struct ChannelEndpoint {
  std::string name;
  Family family = Family::wallet_json;
  SignScheme sign = SignScheme::none;
  std::string url;                                           // wallets: http(s)://host:port
  std::vector<std::pair<std::string, std::uint16_t>> nodes;  // bank: front-end nodes
  std::string ca_pem;                  // TLS: the CA the channel's certificate chains to
  std::string channel_public_key_pem;  // asymmetric schemes: verifies answers, notifications
  std::string hmac_secret;             // hmac-sha256 wallets and the bank's MAC key
  std::string merchant_key_pem;        // asymmetric schemes: the gateway's signing key
};

// A live gateway lets a final order leave its memory this long after its last change unless
// its config sets "retain_final_s" (GATEWAY.md, "What the core keeps"): what it holds then
// grows with the orders open and the last five minutes' final ones, not with its uptime.
inline constexpr TimeNs kLiveRetainFinalNs = 300 * kNsPerS;
[[nodiscard]] inline GatewayConfig live_core_defaults() {
  GatewayConfig config;
  config.retain_final_ns = kLiveRetainFinalNs;
  return config;
}

struct LiveGatewayOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: chosen by the OS
  std::string admin_token;
  bool insecure_local = false;  // allow an empty admin token (loopback only)
  std::filesystem::path store_path = ":memory:";
  std::string simulator_control;  // the control URL the endpoints came from, if any
  std::vector<ChannelEndpoint> endpoints;
  GatewayConfig core = live_core_defaults();  // core.role: which services this process runs
  // The merchant's signing key per channel: generated at start for asymmetric schemes and
  // registered with the simulator; HMAC channels use the shared secret.
  std::string merchant_id = "fusebox-gateway";
  // Where alert events are POSTed as they happen (plain http://), besides stderr; "" none.
  std::string alert_webhook;
  // HTTPS on a second listener, serving the same routes; channels are then told to notify
  // there, as real wallets deliver to a merchant's HTTPS endpoint.
  struct NotifyTls {
    bool enabled = false;
    std::uint16_t port = 0;  // 0: chosen by the OS
    // PEM; both empty: a certificate the simulator issues (POST /control/notify-cert) from
    // the CA its channels trust.
    std::string cert_pem;
    std::string key_pem;
  } notify_tls;
};

// Why `url` cannot be an alert webhook (it must be http://host:port/...), "" when it can.
[[nodiscard]] std::string check_webhook_url(const std::string& url);

// Reads a gateway config file (docs/GATEWAY.md). Throws ConfigError with file, path and
// expectation.
[[nodiscard]] LiveGatewayOptions load_gateway_options(const std::filesystem::path& path);

// Fills `options.endpoints` (and, when `options.core.channels` is empty, the channels with
// default settings) from a running simulator's control API, and registers a merchant key with
// every channel that signs asymmetrically: fresh each start with an in-memory store, else the
// one kept beside `options.store_path` (options.cpp). Throws std::runtime_error naming the
// URL or file and what went wrong.
void bootstrap_from_simulator(LiveGatewayOptions& options, const std::string& control_url);

class LiveGateway {
 public:
  explicit LiveGateway(LiveGatewayOptions options);
  ~LiveGateway();
  LiveGateway(const LiveGateway&) = delete;
  LiveGateway& operator=(const LiveGateway&) = delete;

  // Opens the store, recovers its orders, binds the server. Returns the ready line:
  // {"api": "http://127.0.0.1:PORT", "admin": ..., "metrics": ..., "notify": ...}.
  [[nodiscard]] nlohmann::json start();
  // Runs the event loop on the calling thread until stop().
  void run();
  // Thread-safe; also from a signal-handling thread.
  void stop();
  // Stops cleanly on SIGINT or SIGTERM, telling `on_signal` which one came.
  void stop_on_signals(std::function<void(int)> on_signal);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusebox::gateway
