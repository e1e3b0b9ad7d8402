#include "fusebox/simulator/channel_model.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>

#include "timer_token.hpp"

namespace fusebox::sim {

using detail::make_token;
using detail::TimerKind;

namespace {

// The first three letters or digits of the channel's name, upper-cased, padded with X.
std::string txn_prefix_of(const std::string& channel) {
  std::string prefix;
  for (char c : channel) {
    if (prefix.size() == 3) break;
    if (std::isalnum(static_cast<unsigned char>(c))) {
      prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  prefix.resize(3, 'X');
  return prefix;
}

TimeNs ms_to_ns(double ms) { return static_cast<TimeNs>(std::llround(std::max(0.0, ms) * 1e6)); }

Answer error(AnswerCode code, std::string reason) {
  Answer answer;
  answer.code = code;
  answer.reason = std::move(reason);
  return answer;
}

}  // namespace

ChannelModel::ChannelModel(ChannelModelConfig config, std::uint64_t master_seed)
    : config_(std::move(config)),
      master_seed_(master_seed),
      latency_rng_(Rng::stream(master_seed, "sim." + config_.name + ".latency")),
      outcome_rng_(Rng::stream(master_seed, "sim." + config_.name + ".outcome")),
      fault_rng_(Rng::stream(master_seed, "sim." + config_.name + ".faults")),
      notify_rng_(Rng::stream(master_seed, "sim." + config_.name + ".notify")),
      statement_rng_(Rng::stream(master_seed, "sim." + config_.name + ".statement")),
      capacity_(config_.capacity),
      txn_prefix_(txn_prefix_of(config_.name)) {}

// Twelve characters, so every family carries it whole (the bank's RRN field is 12 wide): the
// prefix and a sequence number. Unique within a channel for a billion payments.
PaymentView ChannelModel::view_of(const Order& order) const {
  PaymentView view{
      order.order_id,  order.state, order.amount_minor, currencies_.at(order.currency), "",
      order.paid_at_ns};
  if (order.txn != 0) {
    const std::string digits = std::to_string(order.txn % 1'000'000'000);
    view.channel_txn_id = txn_prefix_ + std::string(9 - digits.size(), '0') + digits;
  }
  return view;
}

RefundView ChannelModel::view_of(const Refund& refund) const {
  return RefundView{orders_[refund.order].order_id, refund.refund_id, refund.state,
                    refund.amount_minor};
}

void ChannelModel::reset() {
  const std::uint64_t next = generation_ + 1;
  *this = ChannelModel(config_, master_seed_);
  generation_ = next;
}

Decision ChannelModel::handle(TimeNs now_ns, const Request& request, Effects& effects) {
  ++counters_.requests[static_cast<std::size_t>(request.operation)];
  const RequestFaults faults =
      faults_.for_request(now_ns, request.operation, request.node, fault_rng_);
  Decision decision;
  const auto completes_ns = capacity_.admit(now_ns, service_time(request.operation, faults));
  if (!completes_ns) {  // every server busy and the queue full: the channel sheds the request
    ++counters_.rejected_by_capacity;
    decision.answer = error(AnswerCode::system_error, "system busy");
    decision.delivery = Delivery::too_many_requests;
    decision.retry_after_ns = from_s(1);
    decision.respond_at_ns = now_ns;
    return decision;
  }
  decision.respond_at_ns = *completes_ns + faults.extra_delay_ns;
  decision.delivery = faults.delivery;
  decision.retry_after_ns = faults.retry_after_ns;
  if (faults.delivery != Delivery::normal || faults.extra_delay_ns > 0) ++counters_.faulted;
  if (!faults.processed || faults.system_error) {
    decision.answer = error(AnswerCode::system_error, "system error, retry later");
    return decision;
  }
  decision.answer = process(now_ns, request, faults, effects);
  return decision;
}

TimeNs ChannelModel::service_time(Operation operation, const RequestFaults& faults) {
  const Distribution& dist = faults.latency_ms
                                 ? *faults.latency_ms
                                 : config_.latency_ms[static_cast<std::size_t>(operation)];
  return ms_to_ns(dist.sample(latency_rng_) * faults.latency_factor);
}

Answer ChannelModel::process(TimeNs now_ns, const Request& request, const RequestFaults& faults,
                             Effects& effects) {
  switch (request.operation) {
    case Operation::pay:
      return pay(now_ns, request, faults, effects);
    case Operation::query:
      return query(now_ns, request, faults);
    case Operation::refund:
      return refund(now_ns, request, effects);
    case Operation::refund_query:
      return refund_query(request);
    case Operation::close:
      return close(now_ns, request);
    case Operation::statement: {
      Answer answer;
      answer.statement_csv =
          render_statement_csv(statement(now_ns, request.from_ns, request.to_ns));
      return answer;
    }
  }
  return error(AnswerCode::invalid_request, "unknown operation");
}

Answer ChannelModel::pay(TimeNs now_ns, const Request& request, const RequestFaults& faults,
                         Effects& effects) {
  if (request.order_id.empty()) return error(AnswerCode::invalid_request, "missing order id");
  if (request.amount_minor <= 0) return error(AnswerCode::invalid_request, "amount must be > 0");
  if (const std::uint32_t at = find_order(request.order_id); at != FlatIndex::none) {
    const Order& existing = orders_[at];  // the channel dedupes by order id
    if (existing.amount_minor != request.amount_minor ||
        currencies_.at(existing.currency) != request.currency) {
      return error(AnswerCode::conflict, "order id already used with another amount");
    }
    Answer answer;
    answer.payment = view_of(existing);
    return answer;
  }
  if (orders_.size() >= config_.max_orders)
    return error(AnswerCode::system_error, "order table full");
  const std::size_t index = orders_.size();
  Order& order = orders_.emplace_back();
  order.order_id = request.order_id;
  order.amount_minor = request.amount_minor;
  order.currency = currencies_.intern(request.currency);
  order.created_at_ns = now_ns;
  order_index_.insert(request.order_id, static_cast<std::uint32_t>(index), order_key());
  record(now_ns, LedgerEvent::order_created, index);

  const double u = outcome_rng_.next_double();  // drawn for every order, so streams stay aligned
  const OutcomeConfig& outcome = config_.outcome;
  if (faults.decline) {
    order.planned = Planned::decline;
  } else if (config_.synchronous_pay) {
    order.planned = u * (outcome.success_p + outcome.decline_p) < outcome.success_p
                        ? Planned::pay
                        : Planned::decline;
  } else {
    order.planned = u < outcome.success_p                       ? Planned::pay
                    : u < outcome.success_p + outcome.decline_p ? Planned::decline
                                                                : Planned::abandon;
  }
  if (faults.decline || (config_.synchronous_pay && !faults.processing)) {
    settle_payment(now_ns, index, effects);  // the answer carries the final result
    Answer answer;
    answer.payment = view_of(orders_[index]);
    if (answer.payment.state == PaymentState::failed) {
      answer.code = AnswerCode::declined;
      answer.reason = "insufficient funds";
    }
    return answer;
  }
  const TimeNs settle_after_ns = config_.synchronous_pay
                                     ? faults.processing_ns
                                     : ms_to_ns(outcome.pay_after_ms.sample(outcome_rng_));
  if (order.planned != Planned::abandon) {  // a user who walks away leaves only the expiry
    effects.timers.push_back(
        {now_ns + settle_after_ns, make_token(TimerKind::settle_payment, index)});
  }
  // The expiry only matters to an order its user walks away from or pays after it; one that
  // settles first is final by then, so its expiry is not scheduled (over a long run, a timer
  // pending for every order taken in the last expire_after).
  if (!config_.synchronous_pay &&
      (order.planned == Planned::abandon || settle_after_ns >= outcome.expire_after_ns)) {
    effects.timers.push_back(
        {now_ns + outcome.expire_after_ns, make_token(TimerKind::expire_order, index)});
  }
  Answer answer;
  answer.payment = view_of(order);
  return answer;
}

Answer ChannelModel::query(TimeNs now_ns, const Request& request, const RequestFaults& faults) {
  const std::uint32_t at = find_order(request.order_id);
  if (at == FlatIndex::none) return error(AnswerCode::not_found, "order not found");
  const Order& order = orders_[at];
  if (faults.query_not_found && now_ns - order.created_at_ns < faults.query_not_found_ns) {
    return error(AnswerCode::not_found, "order not found");  // the channel's replica lags
  }
  Answer answer;
  answer.payment = view_of(order);
  return answer;
}

Answer ChannelModel::close(TimeNs now_ns, const Request& request) {
  const std::uint32_t at = find_order(request.order_id);
  if (at == FlatIndex::none) return error(AnswerCode::not_found, "order not found");
  Order& order = orders_[at];
  if (order.state == PaymentState::paying) {
    order.state = PaymentState::closed;
    record(now_ns, LedgerEvent::closed, at);
  }
  if (order.state != PaymentState::closed) {
    return error(AnswerCode::order_not_payable,
                 "order already " + std::string(to_string(order.state)));
  }
  Answer answer;
  answer.payment = view_of(order);
  return answer;
}

Answer ChannelModel::refund(TimeNs now_ns, const Request& request, Effects& effects) {
  const std::uint32_t at = find_order(request.order_id);
  if (at == FlatIndex::none) return error(AnswerCode::not_found, "order not found");
  if (const std::uint32_t r = find_refund(request.refund_id); r != FlatIndex::none) {
    const Refund& existing = refunds_[r];
    if (existing.amount_minor != request.amount_minor || existing.order != at) {
      return error(AnswerCode::conflict, "refund id already used with another amount or order");
    }
    Answer answer;
    answer.refund = view_of(existing);
    return answer;
  }
  Order& order = orders_[at];
  if (order.state != PaymentState::paid)
    return error(AnswerCode::order_not_payable, "order not paid");
  if (request.refund_id.empty()) return error(AnswerCode::invalid_request, "missing refund id");
  if (request.amount_minor <= 0 ||
      order.refunded_minor + request.amount_minor > order.amount_minor) {
    return error(AnswerCode::invalid_request, "refund amount exceeds the refundable amount");
  }
  const std::size_t index = refunds_.size();
  Refund& refund = refunds_.emplace_back();
  refund.refund_id = request.refund_id;
  refund.amount_minor = request.amount_minor;
  refund.order = at;
  refund.will_succeed = outcome_rng_.chance(config_.refund.success_p);
  order.refunded_minor += request.amount_minor;
  refund_index_.insert(request.refund_id, static_cast<std::uint32_t>(index), refund_key());
  record(now_ns, LedgerEvent::refund_accepted, at, index);
  const TimeNs after_ns = ms_to_ns(config_.refund.complete_after_ms.sample(outcome_rng_));
  effects.timers.push_back({now_ns + after_ns, make_token(TimerKind::complete_refund, index)});
  Answer answer;
  answer.refund = view_of(refund);
  return answer;
}

Answer ChannelModel::refund_query(const Request& request) const {
  const std::uint32_t at = find_refund(request.refund_id);
  if (at == FlatIndex::none) return error(AnswerCode::not_found, "refund not found");
  Answer answer;
  answer.refund = view_of(refunds_[at]);
  return answer;
}

void ChannelModel::on_timer(TimeNs now_ns, std::uint64_t token, Effects& effects) {
  const std::size_t index = detail::token_index(token);
  switch (detail::token_kind(token)) {
    case TimerKind::settle_payment:
      settle_payment(now_ns, index, effects);
      break;
    case TimerKind::expire_order:
      expire(now_ns, index);
      break;
    case TimerKind::complete_refund:
      complete_refund(now_ns, index, effects);
      break;
    case TimerKind::notification_attempt:
      send_attempt(now_ns, index, effects);
      break;
    case TimerKind::notification_replay:
      replay(index, effects);
      break;
  }
}

// The planned outcome happens. A payment closed in the meantime stays closed.
void ChannelModel::settle_payment(TimeNs now_ns, std::size_t index, Effects& effects) {
  assert(index < orders_.size());
  Order& order = orders_[index];
  if (order.state != PaymentState::paying || order.planned == Planned::abandon) return;
  if (order.planned == Planned::pay) {
    order.state = PaymentState::paid;
    order.paid_at_ns = now_ns;
    order.txn = next_txn_++;
    record(now_ns, LedgerEvent::charged, index);
  } else {
    order.state = PaymentState::failed;
    record(now_ns, LedgerEvent::declined, index);
  }
  notify(now_ns, NotificationKind::payment, index, effects);
}

void ChannelModel::expire(TimeNs now_ns, std::size_t index) {
  Order& order = orders_[index];
  if (order.state != PaymentState::paying) return;
  order.state = PaymentState::closed;
  record(now_ns, LedgerEvent::closed, index);
}

void ChannelModel::complete_refund(TimeNs now_ns, std::size_t index, Effects& effects) {
  Refund& refund = refunds_[index];
  Order& order = orders_[refund.order];
  if (refund.will_succeed) {
    refund.state = RefundState::succeeded;
    record(now_ns, LedgerEvent::refund_succeeded, refund.order, index);
  } else {
    refund.state = RefundState::failed;
    order.refunded_minor -= refund.amount_minor;  // the money stays refundable
    record(now_ns, LedgerEvent::refund_failed, refund.order, index);
  }
  notify(now_ns, NotificationKind::refund, index, effects);
}

void ChannelModel::record(TimeNs now_ns, LedgerEvent event, std::size_t order, std::size_t refund) {
  LedgerMark mark;
  mark.at_ns = now_ns;
  mark.event = event;
  mark.order = static_cast<std::uint32_t>(order);
  if (refund != kNoRefund) mark.refund = static_cast<std::uint32_t>(refund);
  ledger_.record(mark);
}

LedgerEntry ChannelModel::ledger_entry(const LedgerMark& mark) const {
  const Order& order = orders_[mark.order];
  const Refund* refund = mark.refund == LedgerMark::kNoRefund ? nullptr : &refunds_[mark.refund];
  LedgerEntry entry;
  entry.at_ns = mark.at_ns;
  entry.event = mark.event;
  entry.order_id = order.order_id;
  entry.amount_minor = refund ? refund->amount_minor : order.amount_minor;
  entry.currency = currencies_.at(order.currency);
  if (refund) entry.refund_id = refund->refund_id;
  if (mark.event == LedgerEvent::charged) entry.channel_txn_id = view_of(order).channel_txn_id;
  return entry;
}

std::vector<LedgerEntry> ChannelModel::ledger_entries(TimeNs from_ns, TimeNs to_ns,
                                                      std::string_view order_id) const {
  const std::uint32_t only = order_id.empty() ? FlatIndex::none : find_order(order_id);
  std::vector<LedgerEntry> out;
  if (!order_id.empty() && only == FlatIndex::none) return out;
  const auto [first, last] = ledger_.range(from_ns, to_ns);
  for (std::size_t i = first; i < last; ++i) {
    const LedgerMark& mark = ledger_.marks()[i];
    if (order_id.empty() || mark.order == only) out.push_back(ledger_entry(mark));
  }
  return out;
}

std::vector<StatementRow> ChannelModel::statement(TimeNs now_ns, TimeNs from_ns, TimeNs to_ns) {
  const double wrong_p = faults_.statement_discrepancy(now_ns);
  std::vector<StatementRow> rows;
  for (const LedgerEntry& e : ledger_entries(from_ns, to_ns)) {
    if (e.event != LedgerEvent::charged && e.event != LedgerEvent::refund_succeeded) continue;
    StatementRow row{e.at_ns,          e.event == LedgerEvent::refund_succeeded,
                     e.order_id,       e.refund_id,
                     e.channel_txn_id, e.amount_minor,
                     e.currency};
    if (wrong_p > 0 && statement_rng_.chance(wrong_p)) {
      const std::uint64_t kind = statement_rng_.below(3);
      if (kind == 0) continue;               // a missing row
      if (kind == 1) row.amount_minor += 1;  // an amount off by one minor unit
      if (kind == 2) rows.push_back(row);    // the row listed twice
    }
    rows.push_back(std::move(row));
  }
  if (wrong_p > 0 && statement_rng_.chance(wrong_p)) {  // a charge that never happened
    rows.push_back(StatementRow{std::max(from_ns, to_ns == INT64_MAX ? now_ns : to_ns - 1), false,
                                "phantom-" + std::to_string(statement_rng_.below(1'000'000)), "",
                                config_.name + "-phantom", 100, "CNY"});
  }
  return rows;
}

std::string render_statement_csv(const std::vector<StatementRow>& rows) {
  std::string csv = "channel_txn_id,order_id,refund_id,type,amount,currency,at_ms\n";
  for (const StatementRow& r : rows) {
    csv += r.channel_txn_id + "," + r.order_id + "," + r.refund_id + "," +
           (r.refund ? "REFUND" : "PAYMENT") + "," + std::to_string(r.amount_minor) + "," +
           r.currency + "," + std::to_string(r.at_ns / kNsPerMs) + "\n";
  }
  return csv;
}

std::optional<PaymentView> ChannelModel::payment(std::string_view order_id) const {
  const auto at = order_number(order_id);
  if (!at) return std::nullopt;
  return view_of(orders_[*at]);
}

std::optional<std::uint32_t> ChannelModel::order_number(std::string_view order_id) const {
  const std::uint32_t at = find_order(order_id);
  if (at == FlatIndex::none) return std::nullopt;
  return at;
}

}  // namespace fusebox::sim
