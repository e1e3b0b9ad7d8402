// The control and operator APIs in process (sim_parts.hpp).
#include "sim_parts.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fusebox/common/config.hpp"
#include "fusebox/harness/runner.hpp"
#include "fusebox/simulator/channel_config.hpp"
#include "fusebox/simulator/control_json.hpp"

namespace fusebox::harness::simmode {

using nlohmann::json;

namespace {

// Freed rows sit in the middle of the heap, where glibc keeps them mapped; handing their
// pages back lets the checker's books reuse the memory instead of adding to the peak.
void give_freed_pages_back() {
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
}

}  // namespace

SimChannel& InProcessSimulator::find(const std::string& channel) const {
  SimChannel* found = world_.channel(channel);
  if (found == nullptr) throw RunError("sim: no channel named \"" + channel + "\"");
  return *found;
}

std::int64_t InProcessSimulator::add_fault(const std::string& channel, const json& fault) const {
  const ConfigDocument doc = ConfigDocument::parse("fault on " + channel, fault.dump());
  const std::uint64_t id = find(channel).model().faults().add(sim::parse_fault(doc.root()));
  if (id == 0) throw RunError("sim: too many faults on " + channel);
  return static_cast<std::int64_t>(id);
}

void InProcessSimulator::clear_faults(const std::string& channel) const {
  find(channel).model().faults().clear();
}

json InProcessSimulator::channels() const {
  json list = json::array();
  for (const std::string& name : world_.channel_names()) {
    list.push_back({{"name", name}, {"family", std::string(to_string(find(name).family()))}});
  }
  return list;
}

json InProcessSimulator::ledger(const std::string& channel) const {
  json entries = json::array();
  const sim::ChannelModel& model = find(channel).model();
  for (const sim::LedgerMark& mark : model.ledger().marks())
    entries.push_back(sim::ledger_entry_json(model.ledger_entry(mark)));
  return entries;
}

std::vector<LedgerRow> InProcessSimulator::ledger_rows(const std::string& channel,
                                                       std::int64_t offset_ms) const {
  const sim::ChannelModel& model = find(channel).model();
  std::vector<LedgerRow> rows;
  rows.reserve(model.ledger().size());
  for (const sim::LedgerMark& mark : model.ledger().marks()) {
    sim::LedgerEntry e = model.ledger_entry(mark);
    rows.push_back({channel, std::string(sim::to_string(e.event)), std::move(e.order_id),
                    std::move(e.refund_id), std::move(e.currency), std::move(e.channel_txn_id),
                    e.amount_minor, e.at_ns / kNsPerMs + offset_ms});
  }
  return rows;
}

void InProcessSimulator::final_ledger_read(const std::string& channel) const {
  find(channel).model().reset();
  give_freed_pages_back();
}

json InProcessGateway::call(const std::string& method, const std::string& path,
                            const std::string& body) const {
  net::HttpRequestIn in;
  in.method = method;
  in.target = "/admin/" + path;
  in.body = body;
  const net::HttpResponseOut out = world_.call_now(std::move(in));
  if (out.status < 200 || out.status >= 300) {
    throw RunError(method + " /admin/" + path + ": got HTTP " + std::to_string(out.status) + ": " +
                   out.body.substr(0, 300));
  }
  json parsed = json::parse(out.body, nullptr, false);
  if (parsed.is_discarded()) throw RunError(method + " /admin/" + path + ": not JSON");
  return parsed;
}

json InProcessGateway::admin_get(const std::string& path) const { return call("GET", path, ""); }

std::string InProcessGateway::metrics_text() const {
  net::HttpRequestIn in;
  in.method = "GET";
  in.target = "/metrics";
  return world_.call_now(std::move(in)).body;
}

json InProcessGateway::admin_post(const std::string& path, const json& body) const {
  return call("POST", path, body.dump());
}

// One row at a time from the gateway (from its store once orders have left its memory), so
// the books hold one copy of every payment, not two.
std::vector<GatewayPayment> InProcessGateway::payments() const {
  // Sized once: grown by doubling, the list's last move held the old half and the new whole
  // at once, sim-throughput's peak (heaptrack). The core's own counts bound the length
  // without a pass over the store (every payment is in memory or has left it at least
  // once); capacity past the last row is never touched, so costs no memory.
  const gateway::Residency held = world_.core().residency();
  std::vector<GatewayPayment> out;
  out.reserve(static_cast<std::size_t>(held.payments + held.evicted));
  world_.core().visit_payments([&out](const gateway::Payment& p) {
    out.push_back({p.payment_id, p.merchant_order_id, p.currency,
                   std::string(gateway::to_string(p.status)), p.channel, p.channel_txn_id,
                   p.failure_code, p.amount_minor, p.refunded_minor, p.refunding_minor,
                   p.created_ns / kNsPerMs, p.updated_ns / kNsPerMs});
  });
  return out;
}

std::vector<GatewayRefund> InProcessGateway::refunds() const {
  std::vector<GatewayRefund> out;  // a few percent of the payments: grown as read
  world_.core().visit_refunds([&out](const gateway::Refund& r) {
    out.push_back({r.refund_id, r.merchant_refund_id, r.payment_id,
                   std::string(gateway::to_string(r.status)), r.amount_minor,
                   r.created_ns / kNsPerMs, r.updated_ns / kNsPerMs});
  });
  return out;
}

void InProcessGateway::final_books_read() const {
  world_.drop_gateway();
  give_freed_pages_back();
}

}  // namespace fusebox::harness::simmode
