#pragma once
// The payment-consistency checker: at the end of a run, after a settle period, it compares
// the gateway's orders and refunds with the channels' ground-truth ledger and with what the
// load generator itself saw, and proves the BRIEF's invariants. Pure: the runner fetches the
// inputs (GET /admin/payments, /admin/refunds, /control/ledger) and hands them over.
//
// All instants here are milliseconds since the Unix epoch (the runner shifts the
// simulator's ledger, which counts from the simulator's start, onto that axis).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/name.hpp"
#include "fusebox/common/short_string.hpp"

namespace fusebox::harness {

// The rows of the books. Ids are ShortStrings (inline up to 15 characters) and the fields
// drawn from a few values are Names (fusebox/common/): a long run's books hold millions of
// rows.
struct GatewayPayment {  // one element of GET /admin/payments (docs/GATEWAY.md)
  ShortString payment_id, merchant_order_id;
  Name currency, status, channel;
  ShortString channel_txn_id;
  Name failure_code;
  std::int64_t amount = 0, refunded = 0, refunding = 0, created_ms = 0, updated_ms = 0;
};

struct GatewayRefund {  // one element of GET /admin/refunds
  ShortString refund_id, merchant_refund_id, payment_id;
  Name status;
  std::int64_t amount = 0, created_ms = 0, updated_ms = 0;
};

struct LedgerRow {  // one element of GET /control/ledger, with its channel
  Name channel, event;
  ShortString order_id, refund_id;
  Name currency;
  ShortString channel_txn_id;
  std::int64_t amount = 0, at_ms = 0;
};

// What the generator saw of one merchant order. The statuses are folded as they arrive (a
// long run answers millions of orders): what "final states absorbing" needs, the first final
// status and the first later one that differs from it, plus the first, the last and the count
// for the history. Answer numbers are 1-based, 0 when there is no such answer.
struct SeenOrder {
  std::string merchant_order_id;
  std::vector<std::string> payment_ids;  // distinct payment ids answered for this key
  std::int64_t amount = 0;
  std::string first_status, first_final_status, changed_status, last_status;
  std::uint32_t status_count = 0, first_final_answer = 0, changed_answer = 0;

  [[nodiscard]] static bool is_final(std::string_view status) {
    return status == "SUCCEEDED" || status == "FAILED" || status == "CLOSED";
  }
  // Folds in the next answered status (arrival order).
  void add_status(std::string_view status) {
    status_count += 1;
    if (status_count == 1) first_status = status;
    last_status = status;
    if (first_final_answer == 0) {
      if (!is_final(status)) return;
      first_final_answer = status_count;
      first_final_status = status;
    } else if (changed_answer == 0 && status != first_final_status) {
      changed_answer = status_count;
      changed_status = status;
    }
  }
  [[nodiscard]] static SeenOrder of(std::string merchant_order_id,
                                    std::vector<std::string> payment_ids,
                                    const std::vector<std::string>& statuses, std::int64_t amount) {
    SeenOrder order{
        std::move(merchant_order_id), std::move(payment_ids), amount, {}, {}, {}, {}, 0, 0, 0};
    for (const std::string& status : statuses)
      order.add_status(status);
    return order;
  }
};

// Orders seen, visited one at a time, so the recorder's compact store of a long run is read
// in place instead of being copied whole into SeenOrders.
class SeenSource {
 public:
  virtual ~SeenSource() = default;
  // Orders sit at positions [0, positions()), some empty; for_each_in visits the orders at
  // [from, to) in position order, so a reader can walk a long run in slices. The reference
  // is only valid during the call.
  [[nodiscard]] virtual std::size_t positions() const = 0;
  virtual void for_each_in(std::size_t from, std::size_t to,
                           const std::function<void(const SeenOrder&)>& visit) const = 0;
  void for_each(const std::function<void(const SeenOrder&)>& visit) const {
    for_each_in(0, positions(), visit);
  }
  [[nodiscard]] virtual std::optional<SeenOrder> find(std::string_view merchant_order_id) const = 0;
  [[nodiscard]] virtual std::size_t size() const = 0;  // orders, not positions
};

// An idempotency probe that went wrong: the same key and body answered another payment, or
// the same key with another body was not refused with 409.
struct IdempotencyBreach {
  std::string merchant_order_id, message;
};

// A span during which a channel must receive no new payments: switched off by an operator
// action, or its payments breaker open (from the gateway's breaker events).
struct ClosedSpan {
  std::string channel, reason;  // reason: "switched_off" | "breaker_open"
  std::int64_t from_ms = 0, to_ms = 0;
};

struct CheckInput {
  std::vector<GatewayPayment> payments;
  std::vector<GatewayRefund> refunds;
  std::vector<LedgerRow> ledger;  // every channel's, in time order per channel
  std::vector<SeenOrder> seen;
  const SeenSource* seen_source =
      nullptr;  // more seen orders (the recorder's), must outlive the check
  std::vector<IdempotencyBreach> idempotency_breaches;
  std::vector<ClosedSpan> closed_spans;
  // Grace at the start of a closed span: requests already on the wire when the switch
  // flipped may still arrive.
  std::int64_t closed_span_grace_ms = 250;
  // Slack at the end of a closed span: the gateway's and the simulator's instants reach the
  // checker truncated to whole ms on two clocks, so a payment sent just after the channel
  // reopened may be stamped up to 2 ms before it.
  std::int64_t closed_span_end_slack_ms = 2;
  // "no_lost_payment" only judges charges and refund successes the ledger shows at or before
  // this instant (a mid-run "settled" probe passes probe time minus a grace; the final check
  // passes the end of the settle period).
  std::int64_t settled_by_ms = INT64_MAX;
};

struct Violation {
  // "no_double_charge", "no_lost_payment", "final_states_absorbing", "refund_bounds",
  // "notification_integrity", "ledger_matches", "closed_channel_untouched", "idempotency"
  std::string invariant;
  std::string order_id;  // the payment id (or merchant order id when no payment id is known)
  std::string channel;
  std::string message;
  nlohmann::json history;  // the order's gateway record, its ledger rows, what was seen
};

struct CheckReport {
  std::vector<Violation> violations;  // at most kMaxListed listed; violation_count counts all
  std::size_t violation_count = 0;
  // Differences between the gateway's books and the channels' by kind (also counted as
  // violations of "ledger_matches" or a more specific invariant): missing_at_gateway,
  // missing_at_channel, amount_mismatch, refund_missing_at_gateway,
  // refund_missing_at_channel, wrong_channel. Every kind present, zero when none.
  std::map<std::string, std::size_t> differences;
  // Violations per invariant, counting every one (listed or not). Every invariant present.
  std::map<std::string, std::size_t> by_invariant;
  std::size_t orders_checked = 0, refunds_checked = 0;

  static constexpr std::size_t kMaxListed = 200;
  [[nodiscard]] nlohmann::json to_json() const;  // the result.json "checker" object
};

[[nodiscard]] CheckReport check_invariants(const CheckInput& input);

// Parsers for the APIs' JSON (unknown fields ignored; a missing field is an error
// std::runtime_error naming it and the list it came from).
[[nodiscard]] std::vector<GatewayPayment> parse_gateway_payments(const nlohmann::json& list);
[[nodiscard]] std::vector<GatewayRefund> parse_gateway_refunds(const nlohmann::json& list);
// `offset_ms` is added to every at_ms (simulator start in epoch ms).
[[nodiscard]] std::vector<LedgerRow> parse_ledger(const std::string& channel,
                                                  const nlohmann::json& list,
                                                  std::int64_t offset_ms);

}  // namespace fusebox::harness
