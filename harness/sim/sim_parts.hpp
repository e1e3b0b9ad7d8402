#pragma once
// The runner's views of the parts in sim mode: the simulator's control API and the gateway's
// operator API answered in process. The gateway side goes through the gateway's own admin
// routes; the simulator side reads and writes the channel models directly and answers in the
// control API's JSON. So the Observer, the checker and the judge run unchanged in both modes.

#include "../run/part_apis.hpp"
#include "sim_world.hpp"

namespace fusebox::harness::simmode {

class InProcessSimulator final : public SimulatorApi {
 public:
  explicit InProcessSimulator(SimWorld& world) : world_(world) {}
  std::int64_t add_fault(const std::string& channel, const nlohmann::json& fault) const override;
  void clear_faults(const std::string& channel) const override;
  [[nodiscard]] nlohmann::json channels() const override;
  // The channels' clocks and the gateway's share the virtual clock, zero at its start.
  [[nodiscard]] std::int64_t clock_origin_ms() const override { return 0; }
  [[nodiscard]] nlohmann::json ledger(const std::string& channel) const override;
  [[nodiscard]] std::vector<LedgerRow> ledger_rows(const std::string& channel,
                                                   std::int64_t offset_ms) const override;
  // The channel's model starts over, empty: its orders and ledger are freed.
  void final_ledger_read(const std::string& channel) const override;

 private:
  [[nodiscard]] SimChannel& find(const std::string& channel) const;
  SimWorld& world_;
};

class InProcessGateway final : public GatewayApi {
 public:
  explicit InProcessGateway(SimWorld& world) : world_(world) {}
  [[nodiscard]] nlohmann::json admin_get(const std::string& path) const override;
  nlohmann::json admin_post(const std::string& path, const nlohmann::json& body) const override;
  [[nodiscard]] std::string metrics_text() const override;
  // Straight from the core, as GET /admin/payments and /admin/refunds would list them.
  [[nodiscard]] std::vector<GatewayPayment> payments() const override;
  [[nodiscard]] std::vector<GatewayRefund> refunds() const override;
  // The world drops the gateway's core and store (SimWorld::drop_gateway).
  void final_books_read() const override;

 private:
  [[nodiscard]] nlohmann::json call(const std::string& method, const std::string& path,
                                    const std::string& body) const;
  SimWorld& world_;
};

}  // namespace fusebox::harness::simmode
