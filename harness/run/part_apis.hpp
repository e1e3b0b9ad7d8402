#pragma once
// The harness's side of the simulator's control API and the gateway's operator API
// (docs/CHANNELS.md "Control API", docs/GATEWAY.md "Operator API"): blocking calls on
// loopback, each with a timeout; a refusal or an unreadable answer throws RunError naming
// the call and what came back.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace fusebox::harness {

class SimulatorApi {
 public:
  explicit SimulatorApi(std::string control_url) : control_(std::move(control_url)) {}
  // Adds a fault; returns its id.
  std::int64_t add_fault(const std::string& channel, const nlohmann::json& fault) const;
  void clear_faults(const std::string& channel) const;
  [[nodiscard]] nlohmann::json channels() const;
  // The wall-clock instant (ms since the Unix epoch) the simulator's own times count from.
  [[nodiscard]] std::int64_t clock_origin_ms() const;
  [[nodiscard]] nlohmann::json ledger(const std::string& channel) const;
  [[nodiscard]] const std::string& url() const { return control_; }

 private:
  std::string control_;
};

class GatewayApi {
 public:
  GatewayApi(std::string api_url, std::string admin_url, std::string token)
      : api_(std::move(api_url)), admin_(std::move(admin_url)), token_(std::move(token)) {}
  [[nodiscard]] nlohmann::json admin_get(const std::string& path) const;  // "channels"
  nlohmann::json admin_post(const std::string& path, const nlohmann::json& body) const;
  [[nodiscard]] const std::string& api_url() const { return api_; }

 private:
  std::string api_, admin_, token_;
};

// "http://127.0.0.1:41234" -> {"127.0.0.1", 41234}; throws RunError otherwise.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
[[nodiscard]] HostPort parse_http_url(const std::string& url);

}  // namespace fusebox::harness
