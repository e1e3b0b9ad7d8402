#pragma once
// The harness's side of the simulator's control API and the gateway's operator API
// (docs/CHANNELS.md "Control API", docs/GATEWAY.md "Operator API"): blocking calls on
// loopback, each with a timeout; a refusal or an unreadable answer throws RunError naming
// the call and what came back.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fusebox/harness/checker.hpp"

namespace fusebox::harness {

// What the runner reads and plays on the parts. Live mode speaks HTTP to real processes
// (HttpSimulatorApi, HttpGatewayApi); sim mode answers the same calls in process, through the
// very same gateway routes and simulator JSON (harness/sim/).
class SimulatorApi {
 public:
  virtual ~SimulatorApi() = default;
  // Adds a fault; returns its id.
  virtual std::int64_t add_fault(const std::string& channel, const nlohmann::json& fault) const = 0;
  virtual void clear_faults(const std::string& channel) const = 0;
  [[nodiscard]] virtual nlohmann::json channels() const = 0;
  // The instant (ms since the Unix epoch, or since the virtual clock's zero) the simulator's
  // own times count from.
  [[nodiscard]] virtual std::int64_t clock_origin_ms() const = 0;
  [[nodiscard]] virtual nlohmann::json ledger(const std::string& channel) const = 0;
  // The ledger as the checker reads it, instants shifted by `offset_ms`; an in-process
  // simulator may hand it over without the JSON round trip.
  [[nodiscard]] virtual std::vector<LedgerRow> ledger_rows(const std::string& channel,
                                                           std::int64_t offset_ms) const {
    return parse_ledger(channel, ledger(channel), offset_ms);
  }
  // Called once a channel's ledger is in the final books, when nothing will ask the
  // simulator anything more: an in-process simulator may free what only kept that ledger.
  // A live one keeps serving.
  virtual void final_ledger_read(const std::string& /*channel*/) const {}
};

class GatewayApi {
 public:
  virtual ~GatewayApi() = default;
  [[nodiscard]] virtual nlohmann::json admin_get(const std::string& path) const = 0;  // "channels"
  virtual nlohmann::json admin_post(const std::string& path, const nlohmann::json& body) const = 0;
  // GET /metrics: the Prometheus text exposition (docs/GATEWAY.md).
  [[nodiscard]] virtual std::string metrics_text() const = 0;
  // The books (GET /admin/payments, /admin/refunds, parsed); an in-process gateway may hand
  // them over without the JSON round trip.
  [[nodiscard]] virtual std::vector<GatewayPayment> payments() const {
    return parse_gateway_payments(admin_get("payments"));
  }
  [[nodiscard]] virtual std::vector<GatewayRefund> refunds() const {
    return parse_gateway_refunds(admin_get("refunds"));
  }
  // Called once the payments and refunds are in the final books, when nothing will ask the
  // gateway anything more: an in-process gateway may free its orders and its store. A live
  // one keeps serving.
  virtual void final_books_read() const {}
};

class HttpSimulatorApi final : public SimulatorApi {
 public:
  explicit HttpSimulatorApi(std::string control_url) : control_(std::move(control_url)) {}
  std::int64_t add_fault(const std::string& channel, const nlohmann::json& fault) const override;
  void clear_faults(const std::string& channel) const override;
  [[nodiscard]] nlohmann::json channels() const override;
  [[nodiscard]] std::int64_t clock_origin_ms() const override;
  [[nodiscard]] nlohmann::json ledger(const std::string& channel) const override;
  [[nodiscard]] const std::string& url() const { return control_; }

 private:
  std::string control_;
};

class HttpGatewayApi final : public GatewayApi {
 public:
  HttpGatewayApi(std::string api_url, std::string admin_url, std::string token)
      : api_(std::move(api_url)), admin_(std::move(admin_url)), token_(std::move(token)) {}
  [[nodiscard]] nlohmann::json admin_get(const std::string& path) const override;
  nlohmann::json admin_post(const std::string& path, const nlohmann::json& body) const override;
  [[nodiscard]] std::string metrics_text() const override;
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
