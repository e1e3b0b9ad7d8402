// The checker's frame: indexes the inputs once, runs every rule, then lists the first
// violations in a fixed order and counts all of them.

#include "fusebox/harness/checker.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "checker_internal.hpp"

namespace fusebox::harness {
namespace detail {

std::string_view name_of(Invariant invariant) {
  return kInvariantNames[static_cast<std::size_t>(invariant)];
}
std::string_view name_of(Difference difference) {
  return kDifferenceNames[static_cast<std::size_t>(difference)];
}

std::int64_t add_saturating(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

std::string money(std::int64_t amount, std::string_view currency) {
  std::string out = std::to_string(amount);
  if (!currency.empty()) out.append(" ").append(currency);
  return out;
}

void GroupIndex::lay_out(const std::vector<std::uint32_t>& group_of) {
  // Counting sort by group id: positions stay ascending within each group.
  starts_.assign(keys_.size() + 1, 0);
  for (std::uint32_t g : group_of) {
    if (g != kNone) ++starts_[g + 1];
  }
  for (std::size_t g = 0; g < keys_.size(); ++g)
    starts_[g + 1] += starts_[g];
  members_.resize(starts_.back());
  std::vector<std::uint32_t> next(starts_.begin(), starts_.end() - 1);
  for (std::size_t i = 0; i < group_of.size(); ++i) {
    if (group_of[i] != kNone) members_[next[group_of[i]]++] = static_cast<std::uint32_t>(i);
  }
}

std::span<const std::uint32_t> GroupIndex::group(std::size_t g) const {
  return std::span<const std::uint32_t>(members_).subspan(starts_[g], starts_[g + 1] - starts_[g]);
}

void GroupIndex::make_table(std::size_t max_keys) {
  groups_ = FlatIndex();
  groups_.reserve(max_keys);
  keys_.clear();
  keys_.reserve(max_keys);
}

std::uint32_t GroupIndex::intern(std::string_view key) {
  if (key.empty()) return kNone;
  const auto next = static_cast<std::uint32_t>(keys_.size());
  const auto [group, added] = groups_.emplace(key, next, key_of());
  if (added) keys_.push_back(key);
  return group;
}

std::span<const std::uint32_t> GroupIndex::find(std::string_view key) const {
  if (key.empty()) return {};
  const std::uint32_t group_id = groups_.find(key, key_of());
  if (group_id == kNone) return {};
  return group(group_id);
}

Books::Books(const CheckInput& input) : in(input) {
  // Positions are 32-bit to keep the indexes small at millions of rows.
  if (input.ledger.size() >= UINT32_MAX || input.payments.size() >= UINT32_MAX ||
      input.refunds.size() >= UINT32_MAX || input.seen.size() >= UINT32_MAX) {
    throw std::length_error("checker: more than 2^32 - 1 items in one input list");
  }
  payments_by_id.build(in.payments, &GatewayPayment::payment_id);
  payments_by_merchant.build(in.payments, &GatewayPayment::merchant_order_id);
  refunds_by_id.build(in.refunds, &GatewayRefund::refund_id);
  refunds_by_payment.build(in.refunds, &GatewayRefund::payment_id);
  ledger_by_order.build(in.ledger, &LedgerRow::order_id);
  ledger_by_refund.build(in.ledger, &LedgerRow::refund_id);
  seen_by_merchant.build(in.seen, &SeenOrder::merchant_order_id);
}

const GatewayPayment* Books::payment(std::string_view payment_id) const {
  auto found = payments_by_id.find(payment_id);
  return found.empty() ? nullptr : &in.payments[found.front()];
}

const GatewayRefund* Books::refund(std::string_view refund_id) const {
  auto found = refunds_by_id.find(refund_id);
  return found.empty() ? nullptr : &in.refunds[found.front()];
}

void Books::for_each_seen(const std::function<void(const SeenOrder&)>& visit) const {
  for (const SeenOrder& order : in.seen)
    visit(order);
  if (in.seen_source != nullptr) in.seen_source->for_each(visit);
}

std::vector<SeenOrder> Books::seen_of(std::string_view merchant_order_id) const {
  std::vector<SeenOrder> out;
  for (std::uint32_t i : seen_by_merchant.find(merchant_order_id))
    out.push_back(in.seen[i]);
  if (in.seen_source != nullptr && !merchant_order_id.empty()) {
    if (std::optional<SeenOrder> found = in.seen_source->find(merchant_order_id))
      out.push_back(std::move(*found));
  }
  return out;
}

void Findings::add(Draft draft, std::optional<Difference> difference) {
  if (difference) ++differences[static_cast<std::size_t>(*difference)];
  drafts.push_back(std::move(draft));
}

namespace {

bool listed_before(const Draft& a, const Draft& b) {
  return std::tie(a.invariant, a.order_id, a.channel, a.message, a.payment_id,
                  a.merchant_order_id) <
         std::tie(b.invariant, b.order_id, b.channel, b.message, b.payment_id, b.merchant_order_id);
}

// Distinct payment ids and refund ids over the gateway's books and the channels' ledger.
std::size_t distinct_keys(const GroupIndex& gateway, const GroupIndex& ledger) {
  std::size_t count = gateway.group_count();
  for (std::size_t g = 0; g < ledger.group_count(); ++g) {
    if (gateway.find(ledger.key(g)).empty()) ++count;
  }
  return count;
}

}  // namespace
}  // namespace detail

CheckReport check_invariants(const CheckInput& input) {
  using namespace detail;
  const Books books(input);
  Findings findings;
  check_double_charge(books, findings);
  check_merchant_orders(books, findings);
  check_charges(books, findings);
  check_gateway_successes(books, findings);
  check_foreign_channels(books, findings);
  check_refunds(books, findings);
  check_refund_bounds(books, findings);
  check_seen_statuses(books, findings);
  check_closed_spans(books, findings);
  check_idempotency(books, findings);

  CheckReport report;
  report.violation_count = findings.drafts.size();
  for (std::size_t k = 0; k < kDifferenceNames.size(); ++k) {
    report.differences[std::string(kDifferenceNames[k])] = findings.differences[k];
  }
  report.orders_checked = distinct_keys(books.payments_by_id, books.ledger_by_order);
  report.refunds_checked = distinct_keys(books.refunds_by_id, books.ledger_by_refund);

  // Only the listed ones need ordering, and only they get a history.
  auto& drafts = findings.drafts;
  const auto listed = std::min(drafts.size(), CheckReport::kMaxListed);
  std::partial_sort(drafts.begin(), drafts.begin() + static_cast<std::ptrdiff_t>(listed),
                    drafts.end(), listed_before);
  report.violations.reserve(listed);
  for (std::size_t i = 0; i < listed; ++i) {
    Draft& d = drafts[i];
    nlohmann::json history = history_of(books, d);
    report.violations.push_back(Violation{std::string(name_of(d.invariant)), std::move(d.order_id),
                                          std::move(d.channel), std::move(d.message),
                                          std::move(history)});
  }
  for (std::string_view name : kInvariantNames)
    report.by_invariant[std::string(name)] = 0;
  for (const Draft& d : drafts)
    ++report.by_invariant[std::string(name_of(d.invariant))];
  return report;
}

nlohmann::json CheckReport::to_json() const {
  nlohmann::json listed = nlohmann::json::array();
  for (const Violation& v : violations) {
    listed.push_back({{"invariant", v.invariant},
                      {"order_id", v.order_id},
                      {"channel", v.channel},
                      {"message", v.message},
                      {"history", v.history}});
  }
  nlohmann::json counts = nlohmann::json::object();
  for (std::string_view name : detail::kInvariantNames) {
    auto it = by_invariant.find(std::string(name));
    counts[std::string(name)] = it == by_invariant.end() ? 0 : it->second;
  }
  nlohmann::json kinds = nlohmann::json::object();
  for (std::string_view name : detail::kDifferenceNames) {
    auto it = differences.find(std::string(name));
    kinds[std::string(name)] = it == differences.end() ? 0 : it->second;
  }
  return {{"violations", std::move(listed)},    {"violation_count", violation_count},
          {"differences", std::move(kinds)},    {"orders_checked", orders_checked},
          {"refunds_checked", refunds_checked}, {"by_invariant", std::move(counts)}};
}

}  // namespace fusebox::harness
