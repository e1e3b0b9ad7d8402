#pragma once
// The payment-consistency checker: at the end of a run, after a settle period, it compares
// the gateway's orders and refunds with the channels' ground-truth ledger and with what the
// load generator itself saw, and proves the BRIEF's invariants. Pure: the runner fetches the
// inputs (GET /admin/payments, /admin/refunds, /control/ledger) and hands them over.
//
// All instants here are milliseconds since the Unix epoch (the runner shifts the
// simulator's ledger, which counts from the simulator's start, onto that axis).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fusebox::harness {

struct GatewayPayment {  // one element of GET /admin/payments (docs/GATEWAY.md)
  std::string payment_id, merchant_order_id, currency, status, channel, channel_txn_id,
      failure_code;
  std::int64_t amount = 0, refunded = 0, refunding = 0, created_ms = 0, updated_ms = 0;
};

struct GatewayRefund {  // one element of GET /admin/refunds
  std::string refund_id, merchant_refund_id, payment_id, status;
  std::int64_t amount = 0, created_ms = 0, updated_ms = 0;
};

struct LedgerRow {  // one element of GET /control/ledger, with its channel
  std::string channel, event, order_id, refund_id, currency, channel_txn_id;
  std::int64_t amount = 0, at_ms = 0;
};

// What the generator saw of one merchant order: every status the gateway answered for it,
// in the order the answers arrived (pay, duplicate pays, queries, the final fetch).
struct SeenOrder {
  std::string merchant_order_id;
  std::vector<std::string> payment_ids;  // distinct payment ids answered for this key
  std::vector<std::string> statuses;     // in arrival order
  std::int64_t amount = 0;
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
  std::vector<IdempotencyBreach> idempotency_breaches;
  std::vector<ClosedSpan> closed_spans;
  // Grace at the start of a closed span: requests already on the wire when the switch
  // flipped may still arrive.
  std::int64_t closed_span_grace_ms = 250;
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
