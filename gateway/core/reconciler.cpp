#include "fusebox/gateway/reconciler.hpp"

#include <charconv>
#include <map>
#include <stdexcept>

namespace fusebox::gateway {
namespace {

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(separator, start);
    parts.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::int64_t parse_integer(std::string_view text, std::size_t line, std::string_view field) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument("statement line " + std::to_string(line) + ": " +
                                std::string(field) + ": expected an integer, got \"" +
                                std::string(text) + "\"");
  }
  return value;
}

StatementRow parse_row(std::string_view line, std::size_t number) {
  const auto cells = split(line, ',');
  if (cells.size() != 7) {
    throw std::invalid_argument("statement line " + std::to_string(number) +
                                ": expected 7 comma-separated fields, got " +
                                std::to_string(cells.size()));
  }
  StatementRow row;
  row.channel_txn_id = cells[0];
  row.order_id = cells[1];
  row.refund_id = cells[2];
  if (cells[3] != "PAYMENT" && cells[3] != "REFUND") {
    throw std::invalid_argument("statement line " + std::to_string(number) +
                                ": type: expected PAYMENT or REFUND, got \"" +
                                std::string(cells[3]) + "\"");
  }
  row.is_refund = cells[3] == "REFUND";
  row.amount_minor = parse_integer(cells[4], number, "amount");
  row.currency = cells[5];
  row.at_ms = parse_integer(cells[6], number, "at_ms");
  return row;
}

void add(ReconcileReport& report, DifferenceKind kind, const std::string& id, std::string detail) {
  report.differences.push_back(Difference{kind, id, std::move(detail)});
}

void reconcile_payments(const ReconcileInput& input, ReconcileReport& report) {
  std::map<std::string_view, std::vector<const StatementRow*>> charges;
  for (const auto& row : input.rows) {
    if (!row.is_refund) charges[row.order_id].push_back(&row);
  }
  std::map<std::string_view, const Payment*> ours;
  for (const Payment* payment : input.payments)
    ours[payment->payment_id] = payment;

  for (const auto& [order_id, rows] : charges) {
    const StatementRow& row = *rows.front();
    if (rows.size() > 1) {
      add(report, DifferenceKind::duplicate_row, row.order_id,
          std::to_string(rows.size()) + " charge rows");
    }
    const auto it = ours.find(order_id);
    if (it == ours.end()) {
      add(report, DifferenceKind::missing_at_gateway, row.order_id,
          "charged " + std::to_string(row.amount_minor) + " " + row.currency);
      continue;
    }
    const Payment& payment = *it->second;
    if (row.amount_minor != payment.amount_minor || row.currency != payment.currency) {
      add(report, DifferenceKind::amount_mismatch, payment.payment_id,
          "statement " + std::to_string(row.amount_minor) + " " + row.currency + ", gateway " +
              std::to_string(payment.amount_minor) + " " + payment.currency);
    } else if (payment.status == PaymentStatus::processing) {
      add(report, DifferenceKind::fixed_succeeded, payment.payment_id, row.channel_txn_id);
    } else if (payment.status != PaymentStatus::succeeded) {
      add(report, DifferenceKind::final_state_conflict, payment.payment_id,
          "charged at the channel, " + std::string(to_string(payment.status)) + " here");
    } else {
      ++report.matched;
    }
  }
  for (const auto& [payment_id, payment] : ours) {
    if (payment->status == PaymentStatus::succeeded && !charges.contains(payment_id)) {
      add(report, DifferenceKind::missing_at_channel, payment->payment_id,
          "SUCCEEDED here, no charge in the statement");
    }
  }
}

void reconcile_refunds(const ReconcileInput& input, ReconcileReport& report) {
  std::map<std::string_view, const StatementRow*> rows;
  for (const auto& row : input.rows) {
    if (row.is_refund) rows[row.refund_id] = &row;
  }
  std::map<std::string_view, const Refund*> ours;
  for (const Refund* refund : input.refunds)
    ours[refund->refund_id] = refund;
  for (const auto& [refund_id, row] : rows) {
    const auto it = ours.find(refund_id);
    if (it == ours.end()) {
      add(report, DifferenceKind::refund_missing_at_gateway, row->refund_id, row->order_id);
    } else if (it->second->amount_minor != row->amount_minor) {
      add(report, DifferenceKind::amount_mismatch, row->refund_id,
          "refund of " + std::to_string(row->amount_minor) + ", gateway " +
              std::to_string(it->second->amount_minor));
    } else if (it->second->status == RefundStatus::processing) {
      add(report, DifferenceKind::refund_fixed_succeeded, row->refund_id, row->order_id);
    } else if (it->second->status == RefundStatus::failed) {
      add(report, DifferenceKind::final_state_conflict, row->refund_id,
          "refunded at the channel, FAILED here");
    } else {
      ++report.matched;
    }
  }
  for (const auto& [refund_id, refund] : ours) {
    if (refund->status == RefundStatus::succeeded && !rows.contains(refund_id)) {
      add(report, DifferenceKind::refund_missing_at_channel, refund->refund_id,
          "SUCCEEDED here, not in the statement");
    }
  }
}

}  // namespace

std::vector<StatementRow> parse_statement_csv(std::string_view csv) {
  std::vector<StatementRow> rows;
  std::size_t number = 0;
  for (std::string_view line : split(csv, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (number == 1 || line.empty()) continue;  // the header
    rows.push_back(parse_row(line, number));
  }
  return rows;
}

std::string_view to_string(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::fixed_succeeded:
      return "fixed_succeeded";
    case DifferenceKind::missing_at_gateway:
      return "missing_at_gateway";
    case DifferenceKind::final_state_conflict:
      return "final_state_conflict";
    case DifferenceKind::missing_at_channel:
      return "missing_at_channel";
    case DifferenceKind::amount_mismatch:
      return "amount_mismatch";
    case DifferenceKind::duplicate_row:
      return "duplicate_row";
    case DifferenceKind::refund_missing_at_channel:
      return "refund_missing_at_channel";
    case DifferenceKind::refund_missing_at_gateway:
      return "refund_missing_at_gateway";
    case DifferenceKind::refund_fixed_succeeded:
      return "refund_fixed_succeeded";
  }
  return "unknown";
}

ReconcileReport reconcile(std::string_view channel, const ReconcileInput& input) {
  ReconcileReport report;
  report.channel = channel;
  report.rows = input.rows.size();
  reconcile_payments(input, report);
  reconcile_refunds(input, report);
  return report;
}

}  // namespace fusebox::gateway
