// The rules about money: charges and refunds in the channels' ledger against the gateway's
// payments and refunds (no double charge, no lost payment, notification integrity, ledger
// match, refund bounds).

#include <algorithm>
#include <string>
#include <vector>

#include "checker_internal.hpp"

namespace fusebox::harness::detail {
namespace {

constexpr std::string_view kSucceeded = "SUCCEEDED";
constexpr std::string_view kProcessing = "PROCESSING";

std::string describe_row(const LedgerRow& row) {
  std::string out = row.channel + " " + row.event + " " + money(row.amount, row.currency) + " at " +
                    std::to_string(row.at_ms) + " ms";
  if (!row.channel_txn_id.empty()) out += " (txn " + row.channel_txn_id + ")";
  return out;
}

std::string describe_status(const GatewayPayment& p) {
  std::string out = p.status;
  if (!p.failure_code.empty()) out += " (" + p.failure_code + ")";
  return out;
}

Draft payment_draft(Invariant invariant, const std::string& payment_id, std::string channel,
                    std::string message) {
  return Draft{invariant, payment_id, std::move(channel), std::move(message), payment_id, {}};
}

void lost_charge(const GatewayPayment* gateway, const LedgerRow& row, Findings& findings) {
  std::string message = describe_row(row) + ", but ";
  message += gateway == nullptr
                 ? "the gateway has no payment " + row.order_id
                 : "the gateway shows it " + describe_status(*gateway) + " at " + gateway->channel;
  message += ": the customer paid and the merchant was not told";
  findings.add(payment_draft(Invariant::no_lost_payment, row.order_id, row.channel, message),
               Difference::missing_at_gateway);
}

void check_charge(const Books& books, const LedgerRow& row, Findings& findings) {
  const GatewayPayment* gateway = books.payment(row.order_id);
  if (gateway == nullptr || gateway->status != kSucceeded) {
    // Recovery takes time: only charges the settle period covered are judged.
    if (row.at_ms <= books.in.settled_by_ms) lost_charge(gateway, row, findings);
    return;
  }
  if (row.channel != gateway->channel) {
    findings.add(payment_draft(Invariant::ledger_matches, row.order_id, row.channel,
                               describe_row(row) + ", but the gateway records payment " +
                                   row.order_id + " as SUCCEEDED at " + gateway->channel),
                 Difference::wrong_channel);
    return;
  }
  if (row.amount != gateway->amount || row.currency != gateway->currency) {
    findings.add(payment_draft(Invariant::notification_integrity, row.order_id, row.channel,
                               describe_row(row) + ", but the gateway recorded SUCCEEDED for " +
                                   money(gateway->amount, gateway->currency) +
                                   ": a notification with another amount or currency took "
                                   "effect"),
                 Difference::amount_mismatch);
  }
}

// Charged and refunded-back sums of one order at one channel.
struct ChannelMoney {
  std::string_view channel, currency;
  std::int64_t charged = 0, refunded = 0;
};

ChannelMoney& money_at(std::vector<ChannelMoney>& sums, const LedgerRow& row) {
  for (ChannelMoney& m : sums) {
    if (m.channel == row.channel) return m;
  }
  return sums.emplace_back(ChannelMoney{row.channel, row.currency});
}

void check_ledger_refund_bound(const Books& books, std::span<const std::uint32_t> rows,
                               Findings& findings) {
  const bool any_refund = std::any_of(rows.begin(), rows.end(), [&](std::uint32_t i) {
    return books.in.ledger[i].event == "refund_succeeded";
  });
  if (!any_refund) return;
  std::vector<ChannelMoney> sums;
  for (std::uint32_t i : rows) {
    const LedgerRow& row = books.in.ledger[i];
    if (row.event == "charged") {
      ChannelMoney& m = money_at(sums, row);
      m.charged = add_saturating(m.charged, row.amount);
    }
    if (row.event == "refund_succeeded") {
      ChannelMoney& m = money_at(sums, row);
      m.refunded = add_saturating(m.refunded, row.amount);
    }
  }
  const std::string order_id = books.in.ledger[rows.front()].order_id.str();
  for (const ChannelMoney& m : sums) {
    if (m.refunded <= m.charged) continue;
    findings.add(payment_draft(Invariant::refund_bounds, order_id, std::string(m.channel),
                               std::string(m.channel) + " refunded " +
                                   money(m.refunded, m.currency) + " of payment " + order_id +
                                   " but charged only " + money(m.charged, m.currency)));
  }
}

std::int64_t committed_refunds(const Books& books, std::string_view payment_id) {
  std::int64_t sum = 0;
  for (std::uint32_t i : books.refunds_by_payment.find(payment_id)) {
    const GatewayRefund& r = books.in.refunds[i];
    if (r.status == kSucceeded || r.status == kProcessing) sum = add_saturating(sum, r.amount);
  }
  return sum;
}

void check_gateway_refund_bound(const Books& books, const GatewayPayment& p, Findings& findings) {
  const std::int64_t listed = committed_refunds(books, p.payment_id);
  const std::int64_t booked = add_saturating(p.refunded, p.refunding);
  if (listed <= p.amount && booked <= p.amount) return;
  findings.add(payment_draft(
      Invariant::refund_bounds, p.payment_id, p.channel,
      "payment " + p.payment_id + " of " + money(p.amount, p.currency) +
          " has refunds succeeded or in flight of " + money(std::max(listed, booked), p.currency) +
          " (refunds listed: " + std::to_string(listed) +
          ", payment record: " + std::to_string(p.refunded) + " refunded + " +
          std::to_string(p.refunding) + " refunding): more money would go back than came in"));
}

}  // namespace

void check_double_charge(const Books& books, Findings& findings) {
  for (std::size_t g = 0; g < books.ledger_by_order.group_count(); ++g) {
    std::vector<const LedgerRow*> charges;
    for (std::uint32_t i : books.ledger_by_order.group(g)) {
      if (books.in.ledger[i].event == "charged") charges.push_back(&books.in.ledger[i]);
    }
    if (charges.size() <= 1) continue;
    std::string channels, detail;
    for (const LedgerRow* row : charges) {
      if (channels.find(row->channel) == std::string::npos) {
        channels += (channels.empty() ? "" : ",") + row->channel;
      }
      detail += (detail.empty() ? "" : "; ") + describe_row(*row);
    }
    const std::string order_id(books.ledger_by_order.key(g));
    findings.add(payment_draft(Invariant::no_double_charge, order_id, channels,
                               "payment " + order_id + " was charged " +
                                   std::to_string(charges.size()) + " times: " + detail));
  }
}

void check_charges(const Books& books, Findings& findings) {
  for (const LedgerRow& row : books.in.ledger) {
    if (row.event == "charged") check_charge(books, row, findings);
  }
}

void check_gateway_successes(const Books& books, Findings& findings) {
  for (const GatewayPayment& p : books.in.payments) {
    if (p.status != kSucceeded) continue;
    const auto rows = books.ledger_by_order.find(p.payment_id);
    const bool charged_anywhere = std::any_of(rows.begin(), rows.end(), [&](std::uint32_t i) {
      return books.in.ledger[i].event == "charged";
    });
    // A charge at another channel is reported as wrong_channel by check_charges.
    if (charged_anywhere) continue;
    findings.add(payment_draft(Invariant::notification_integrity, p.payment_id, p.channel,
                               "the gateway marked payment " + p.payment_id + " SUCCEEDED (" +
                                   money(p.amount, p.currency) +
                                   ") but no channel charged it: "
                                   "a forged or mismatched notification took effect"),
                 Difference::missing_at_channel);
  }
}

void check_foreign_channels(const Books& books, Findings& findings) {
  for (const GatewayPayment& p : books.in.payments) {
    const auto rows = books.ledger_by_order.find(p.payment_id);
    std::vector<std::string_view> reported;
    for (std::uint32_t i : rows) {
      const LedgerRow& row = books.in.ledger[i];
      if (row.channel == p.channel ||
          std::find(reported.begin(), reported.end(), row.channel) != reported.end()) {
        continue;
      }
      reported.push_back(row.channel);
      // A charge there is judged by check_charges; here, a payment that reached a channel
      // and was then moved to another one, which could charge it a second time.
      const bool charged_there = std::any_of(rows.begin(), rows.end(), [&](std::uint32_t j) {
        const LedgerRow& other = books.in.ledger[j];
        return other.channel == row.channel && other.event == "charged";
      });
      if (charged_there) continue;
      findings.add(payment_draft(Invariant::ledger_matches, p.payment_id, row.channel,
                                 "payment " + p.payment_id + " reached " + row.channel + " (" +
                                     describe_row(row) + ") but the gateway moved it to " +
                                     (p.channel.empty() ? "no channel" : p.channel) +
                                     ": a payment may switch channels only if it never reached "
                                     "the first"));
    }
  }
}

void check_refunds(const Books& books, Findings& findings) {
  for (const LedgerRow& row : books.in.ledger) {
    if (row.event != "refund_succeeded" || row.at_ms > books.in.settled_by_ms) continue;
    const GatewayRefund* refund = books.refund(row.refund_id);
    if (refund != nullptr && refund->status == kSucceeded) continue;
    const std::string seen =
        refund == nullptr ? "the gateway has no refund " + row.refund_id
                          : "the gateway shows refund " + row.refund_id + " " + refund->status;
    findings.add(payment_draft(Invariant::no_lost_payment, row.order_id, row.channel,
                               describe_row(row) + " (refund " + row.refund_id + "), but " + seen +
                                   ": the money went back and the merchant was not told"),
                 Difference::refund_missing_at_gateway);
  }
  for (const GatewayRefund& r : books.in.refunds) {
    if (r.status != kSucceeded) continue;
    const GatewayPayment* p = books.payment(r.payment_id);
    const std::string channel = p == nullptr ? std::string() : p->channel.str();
    const LedgerRow* match = nullptr;
    for (std::uint32_t i : books.ledger_by_refund.find(r.refund_id)) {
      const LedgerRow& row = books.in.ledger[i];
      if (row.event == "refund_succeeded" && row.order_id == r.payment_id) match = &row;
    }
    if (match == nullptr) {
      findings.add(
          payment_draft(Invariant::notification_integrity, r.payment_id, channel,
                        "the gateway marked refund " + r.refund_id + " of " +
                            std::to_string(r.amount) + " SUCCEEDED but no channel refunded it"),
          Difference::refund_missing_at_channel);
    } else if (match->amount != r.amount) {
      findings.add(
          payment_draft(Invariant::notification_integrity, r.payment_id, match->channel,
                        "refund " + r.refund_id + ": " + describe_row(*match) +
                            ", but the gateway recorded SUCCEEDED for " + std::to_string(r.amount)),
          Difference::amount_mismatch);
    }
  }
}

void check_refund_bounds(const Books& books, Findings& findings) {
  for (const GatewayPayment& p : books.in.payments)
    check_gateway_refund_bound(books, p, findings);
  for (std::size_t g = 0; g < books.refunds_by_payment.group_count(); ++g) {
    const std::string payment_id(books.refunds_by_payment.key(g));
    const std::int64_t sum = committed_refunds(books, payment_id);
    if (books.payment(payment_id) != nullptr || sum <= 0) continue;
    findings.add(payment_draft(Invariant::refund_bounds, payment_id, "",
                               "refunds of " + std::to_string(sum) +
                                   " succeeded or in flight "
                                   "for payment " +
                                   payment_id + ", which the gateway has no record of"));
  }
  for (std::size_t g = 0; g < books.ledger_by_order.group_count(); ++g) {
    check_ledger_refund_bound(books, books.ledger_by_order.group(g), findings);
  }
}

}  // namespace fusebox::harness::detail
