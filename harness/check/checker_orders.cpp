// The rules about orders as the merchant saw them: one payment per merchant order, final
// states that stay final, closed channels left alone, idempotency probes.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "checker_internal.hpp"

namespace fusebox::harness::detail {
namespace {

std::string join(const std::set<std::string_view>& items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

void check_distinct_payment_ids(const SeenOrder& seen, Findings& findings) {
  const std::set<std::string_view> ids(seen.payment_ids.begin(), seen.payment_ids.end());
  if (ids.size() <= 1) return;
  std::string listed;
  for (std::string_view id : ids)
    listed += (listed.empty() ? "" : ", ") + std::string(id);
  findings.add(Draft{Invariant::no_double_charge, seen.merchant_order_id, "",
                     "merchant order " + seen.merchant_order_id + " was answered with " +
                         std::to_string(ids.size()) + " payment ids (" + listed +
                         "): the same idempotency key created more than one payment",
                     "", seen.merchant_order_id});
}

// The gateway's record of a seen order: by the payment id it answered, else by merchant id.
const GatewayPayment* gateway_record(const Books& books, const SeenOrder& seen) {
  if (!seen.payment_ids.empty()) {
    if (const GatewayPayment* p = books.payment(seen.payment_ids.front())) return p;
  }
  const auto found = books.payments_by_merchant.find(seen.merchant_order_id);
  return found.empty() ? nullptr : &books.in.payments[found.front()];
}

// What went wrong with a final status once it was answered, or empty.
std::string absorbing_problem(const SeenOrder& seen, const GatewayPayment* gateway) {
  if (seen.first_final_answer == 0) return {};
  std::string problem;
  if (seen.changed_answer != 0) {
    problem = "answered " + seen.first_final_status + " (answer " +
              std::to_string(seen.first_final_answer) + " of " + std::to_string(seen.status_count) +
              "), later " + seen.changed_status + " (answer " +
              std::to_string(seen.changed_answer) + ")";
  }
  if (gateway == nullptr || gateway->status != seen.first_final_status) {
    if (!problem.empty()) problem += "; ";
    problem +=
        "answered " + seen.first_final_status + ", but the gateway's books " +
        (gateway == nullptr ? std::string("have no such payment") : "now say " + gateway->status);
  }
  return problem;
}

}  // namespace

void check_merchant_orders(const Books& books, Findings& findings) {
  const GroupIndex& index = books.payments_by_merchant;
  for (std::size_t g = 0; g < index.group_count(); ++g) {
    const auto members = index.group(g);
    if (members.size() <= 1) continue;
    std::set<std::string_view> channels;
    std::string listed;
    for (std::uint32_t i : members) {
      const GatewayPayment& p = books.in.payments[i];
      channels.insert(p.channel);
      listed += (listed.empty() ? "" : ", ") + p.payment_id + " " + p.status + " at " + p.channel;
    }
    const std::string merchant_order_id(index.key(g));
    findings.add(Draft{Invariant::no_double_charge, merchant_order_id, join(channels),
                       "merchant order " + merchant_order_id + " has " +
                           std::to_string(members.size()) + " gateway payments (" + listed +
                           "): one merchant order must map to one payment",
                       "", merchant_order_id});
  }
  books.for_each_seen([&](const SeenOrder& seen) { check_distinct_payment_ids(seen, findings); });
}

void check_seen_statuses(const Books& books, Findings& findings) {
  books.for_each_seen([&](const SeenOrder& seen) {
    const GatewayPayment* gateway = gateway_record(books, seen);
    std::string problem = absorbing_problem(seen, gateway);
    if (problem.empty()) return;
    const std::string payment_id = gateway != nullptr          ? gateway->payment_id.str()
                                   : !seen.payment_ids.empty() ? seen.payment_ids.front()
                                                               : std::string();
    findings.add(Draft{Invariant::final_states_absorbing,
                       payment_id.empty() ? seen.merchant_order_id : payment_id,
                       gateway == nullptr ? std::string() : gateway->channel.str(),
                       "merchant order " + seen.merchant_order_id + ": " + problem +
                           ": a final state must never change",
                       payment_id, seen.merchant_order_id});
  });
}

void check_closed_spans(const Books& books, Findings& findings) {
  if (books.in.closed_spans.empty()) return;
  // Per channel that has a span, its order_created rows by time, so each span is a range
  // lookup (a long run's other channels would only cost memory).
  std::map<std::string_view, std::vector<std::pair<std::int64_t, std::uint32_t>>> created;
  for (const ClosedSpan& span : books.in.closed_spans)
    (void)created[span.channel];
  for (std::size_t i = 0; i < books.in.ledger.size(); ++i) {
    const LedgerRow& row = books.in.ledger[i];
    if (row.event != "order_created") continue;
    if (auto it = created.find(row.channel); it != created.end())
      it->second.emplace_back(row.at_ms, static_cast<std::uint32_t>(i));
  }
  for (auto& [channel, rows] : created)
    std::sort(rows.begin(), rows.end());

  std::vector<bool> reported(books.in.ledger.size(), false);  // one violation per row
  for (const ClosedSpan& span : books.in.closed_spans) {
    auto it = created.find(span.channel);
    if (it == created.end()) continue;
    const std::int64_t from_ms = add_saturating(span.from_ms, books.in.closed_span_grace_ms);
    const std::int64_t to_ms = add_saturating(span.to_ms, -books.in.closed_span_end_slack_ms);
    const auto& rows = it->second;
    auto row_it = std::lower_bound(rows.begin(), rows.end(),
                                   std::pair<std::int64_t, std::uint32_t>{from_ms, 0});
    for (; row_it != rows.end() && row_it->first < to_ms; ++row_it) {
      if (reported[row_it->second]) continue;
      reported[row_it->second] = true;
      const LedgerRow& row = books.in.ledger[row_it->second];
      findings.add(Draft{Invariant::closed_channel_untouched, row.order_id, span.channel,
                         "payment " + row.order_id + " was created at " + span.channel + " at " +
                             std::to_string(row.at_ms) + " ms while the channel was " +
                             span.reason + " (from " + std::to_string(span.from_ms) + " to " +
                             std::to_string(span.to_ms) + " ms, " +
                             std::to_string(books.in.closed_span_grace_ms) + " ms grace)",
                         row.order_id, ""});
    }
  }
}

void check_idempotency(const Books& books, Findings& findings) {
  for (const IdempotencyBreach& breach : books.in.idempotency_breaches) {
    const auto found = books.payments_by_merchant.find(breach.merchant_order_id);
    const std::string channel =
        found.empty() ? std::string() : books.in.payments[found.front()].channel.str();
    findings.add(Draft{Invariant::idempotency, breach.merchant_order_id, channel,
                       "merchant order " + breach.merchant_order_id + ": " + breach.message, "",
                       breach.merchant_order_id});
  }
}

}  // namespace fusebox::harness::detail
