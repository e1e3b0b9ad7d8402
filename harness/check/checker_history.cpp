// The history attached to a listed violation: everything the books say about the order, so
// a payment engineer can read what happened without fetching anything else.

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "checker_internal.hpp"

namespace fusebox::harness::detail {
namespace {

// A history is for reading; an order with more rows than this is cut, and says so.
constexpr std::size_t kMaxHistoryRows = 100;

nlohmann::json payment_json(const GatewayPayment& p) {
  nlohmann::json out{{"payment_id", p.payment_id},
                     {"merchant_order_id", p.merchant_order_id},
                     {"amount", p.amount},
                     {"currency", p.currency},
                     {"status", p.status},
                     {"channel", p.channel},
                     {"refunded_amount", p.refunded},
                     {"refunding_amount", p.refunding},
                     {"created_ms", p.created_ms},
                     {"updated_ms", p.updated_ms}};
  if (!p.channel_txn_id.empty()) out["channel_txn_id"] = p.channel_txn_id;
  if (!p.failure_code.empty()) out["failure_code"] = p.failure_code;
  return out;
}

nlohmann::json refund_json(const GatewayRefund& r) {
  return {{"refund_id", r.refund_id},   {"merchant_refund_id", r.merchant_refund_id},
          {"payment_id", r.payment_id}, {"amount", r.amount},
          {"status", r.status},         {"created_ms", r.created_ms},
          {"updated_ms", r.updated_ms}};
}

nlohmann::json row_json(const LedgerRow& row) {
  nlohmann::json out{{"channel", row.channel}, {"at_ms", row.at_ms},
                     {"event", row.event},     {"order_id", row.order_id},
                     {"amount", row.amount},   {"currency", row.currency}};
  if (!row.refund_id.empty()) out["refund_id"] = row.refund_id;
  if (!row.channel_txn_id.empty()) out["channel_txn_id"] = row.channel_txn_id;
  return out;
}

// The statuses as folded while the run went: the count, first, first final, the first later
// one that differs from it, and the last (absent keys: no such answer).
nlohmann::json statuses_json(const SeenOrder& seen) {
  nlohmann::json out{{"count", seen.status_count}};
  if (seen.status_count == 0) return out;
  out["first"] = seen.first_status;
  if (seen.first_final_answer != 0) {
    out["first_final"] = seen.first_final_status;
    out["first_final_answer"] = seen.first_final_answer;
  }
  if (seen.changed_answer != 0) {
    out["changed"] = seen.changed_status;
    out["changed_answer"] = seen.changed_answer;
  }
  out["last"] = seen.last_status;
  return out;
}

nlohmann::json seen_json(const SeenOrder& seen) {
  return {{"merchant_order_id", seen.merchant_order_id},
          {"payment_ids", seen.payment_ids},
          {"statuses", statuses_json(seen)},
          {"amount", seen.amount}};
}

// The gateway payments of the draft: by its payment id and by its merchant order id.
std::set<std::uint32_t> payments_of(const Books& books, const Draft& draft,
                                    std::string& merchant_order_id) {
  std::set<std::uint32_t> found;
  for (std::uint32_t i : books.payments_by_id.find(draft.payment_id))
    found.insert(i);
  merchant_order_id = draft.merchant_order_id;
  if (merchant_order_id.empty() && !found.empty()) {
    merchant_order_id = books.in.payments[*found.begin()].merchant_order_id;
  }
  for (std::uint32_t i : books.payments_by_merchant.find(merchant_order_id))
    found.insert(i);
  return found;
}

nlohmann::json ledger_of(const Books& books, const std::set<std::string_view>& payment_ids) {
  std::vector<std::uint32_t> rows;
  for (std::string_view id : payment_ids) {
    const auto group = books.ledger_by_order.find(id);
    rows.insert(rows.end(), group.begin(), group.end());
  }
  std::sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t b) {
    const LedgerRow& x = books.in.ledger[a];
    const LedgerRow& y = books.in.ledger[b];
    return std::tie(x.at_ms, x.channel, a) < std::tie(y.at_ms, y.channel, b);
  });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size() && i < kMaxHistoryRows; ++i) {
    out.push_back(row_json(books.in.ledger[rows[i]]));
  }
  return out;
}

}  // namespace

nlohmann::json history_of(const Books& books, const Draft& draft) {
  std::string merchant_order_id;
  const std::set<std::uint32_t> payments = payments_of(books, draft, merchant_order_id);

  std::set<std::string_view> payment_ids;
  if (!draft.payment_id.empty()) payment_ids.insert(draft.payment_id);
  nlohmann::json gateway = nlohmann::json::array();
  for (std::uint32_t i : payments) {
    gateway.push_back(payment_json(books.in.payments[i]));
    payment_ids.insert(books.in.payments[i].payment_id);
  }
  nlohmann::json refunds = nlohmann::json::array();
  std::size_t ledger_rows = 0;
  for (std::string_view id : payment_ids) {
    for (std::uint32_t i : books.refunds_by_payment.find(id)) {
      refunds.push_back(refund_json(books.in.refunds[i]));
    }
    ledger_rows += books.ledger_by_order.find(id).size();
  }
  nlohmann::json seen = nlohmann::json::array();
  for (const SeenOrder& order : books.seen_of(merchant_order_id))
    seen.push_back(seen_json(order));
  nlohmann::json out{{"gateway", std::move(gateway)},
                     {"gateway_refunds", std::move(refunds)},
                     {"ledger", ledger_of(books, payment_ids)},
                     {"seen", std::move(seen)}};
  if (ledger_rows > kMaxHistoryRows) out["ledger_rows_total"] = ledger_rows;
  return out;
}

}  // namespace fusebox::harness::detail
