// What each planned request becomes on the wire (refunds, queries and closes pick an earlier
// order when they are sent) and what its answer means for the recorder, the book of earlier
// orders and the idempotency probes. Shared by the live generator and the virtual-time runner.

#include "fusebox/harness/load_session.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "load_internal.hpp"

namespace fusebox::harness {

namespace {
constexpr std::size_t kOrderBookSize = 100'000;
}  // namespace

using Pending = PendingRequest;

struct LoadSession::Impl {
  LoadSpec load;
  std::string id_prefix;
  Recorder& recorder;
  Submit submit;
  Now now_ns;
  ArrivalPlan plan;
  std::optional<PlannedRequest> next;
  OrderBook book{kOrderBookSize};
  Rng picks;
  std::vector<LoadTarget> targets;
  std::uint64_t pays = 0, refunds = 0;
  std::vector<Pending> fetches;
  std::size_t fetch_next = 0, fetch_position = 0;

  Impl(const LoadSpec& l, std::uint64_t seed, std::string prefix, Recorder& r, Submit s, Now n)
      : load(l),
        id_prefix(prefix.empty() ? "load" : std::move(prefix)),
        recorder(r),
        submit(std::move(s)),
        now_ns(std::move(n)),
        plan(load, seed),
        next(plan.next()),
        picks(Rng::stream(seed, "load.picks")),
        targets(load.targets) {
    if (targets.empty()) targets.push_back(LoadTarget{"wallet", "", 1});
  }

  [[nodiscard]] Pending resolve_planned(const PlannedRequest& planned);
  void write_call(const Pending& pending, MerchantCall& call) const;
  std::optional<Outcome> handle(const Pending& pending, TimeNs sent_ns,
                                const ExchangeResult& result);
  Outcome handle_planned(const Pending& pending, TimeNs sent_ns, const ExchangeResult& result);
  void follow_up(const Pending& pending, const ParsedAnswer& parsed);
  void check_probe(const Pending& pending, const ExchangeResult& result);
  void note_payment(const std::string& merchant_order_id, const ParsedAnswer& parsed,
                    const std::string& channel, std::int64_t amount);
  [[nodiscard]] Pending probe_of(const Pending& first, Pending::Kind kind) const;
  void refill_fetches();
};

// A refund needs a SUCCEEDED order and a close a PROCESSING one; without one they become a
// query, and a query with no earlier order at all becomes a pay (the plan drew its amount).
Pending LoadSession::Impl::resolve_planned(const PlannedRequest& planned) {
  Pending pending;
  pending.planned = planned;
  Op op = planned.op;
  const OrderBook::Entry* entry = nullptr;
  if (op == Op::refund && (entry = book.pick_refundable(picks)) == nullptr) op = Op::query;
  if (op == Op::close && (entry = book.pick_processing(picks)) == nullptr) op = Op::query;
  if (op == Op::query && entry == nullptr && (entry = book.pick_any(picks)) == nullptr) {
    op = Op::pay;
  }
  pending.planned.op = op;
  if (op == Op::pay) {
    const LoadTarget& target = targets[planned.target % targets.size()];
    pending.merchant_order_id = id_prefix + "-" + std::to_string(++pays);
    pending.channel = target.channel;
    pending.amount = std::max<std::int64_t>(planned.amount_minor, 1);
    return pending;
  }
  pending.merchant_order_id = entry->merchant_order_id;
  pending.payment_id = entry->payment_id;
  pending.channel = entry->channel;
  pending.amount = entry->amount;
  if (op == Op::refund) {
    // A share of what is left, at least 1 minor unit.
    const std::int64_t left = entry->amount - entry->refund_reserved;
    const auto share = static_cast<std::int64_t>(
        std::llround(static_cast<double>(left) * picks.next_open_double()));
    pending.amount = std::clamp<std::int64_t>(share, 1, left);
    pending.refund_number = ++refunds;
    book.reserve_refund(pending.payment_id, pending.amount);
  } else if (op == Op::query) {
    pending.get = true;
  }
  return pending;
}

// Pays (and their probes) and refunds carry a body; a query is a GET, a close an empty POST.
void LoadSession::Impl::write_call(const Pending& pending, MerchantCall& call) const {
  std::string& target_scratch = call.target;
  std::string& body_scratch = call.body;
  target_scratch.clear();
  body_scratch.clear();
  call.get = pending.get;
  switch (pending.planned.op) {
    case Op::pay: {
      const LoadTarget& target = targets[pending.planned.target % targets.size()];
      target_scratch = "/v1/payments";
      append_pay_body(body_scratch, pending.merchant_order_id, pending.amount, load.currency,
                      target);
      return;
    }
    case Op::refund: {
      target_scratch = "/v1/refunds";
      std::array<char, 24> number{};
      const auto written =
          std::to_chars(number.data(), number.data() + number.size(), pending.refund_number);
      std::string merchant_refund_id = id_prefix + "-r";
      merchant_refund_id.append(number.data(), written.ptr);
      append_refund_body(body_scratch, pending.payment_id, merchant_refund_id, pending.amount);
      return;
    }
    case Op::query:
      target_scratch = "/v1/payments/";
      target_scratch += pending.payment_id;
      return;
    case Op::close:
      target_scratch = "/v1/payments/";
      target_scratch += pending.payment_id;
      target_scratch += "/close";
      return;
  }
}

std::optional<Outcome> LoadSession::Impl::handle(const Pending& pending, TimeNs sent_ns,
                                                 const ExchangeResult& result) {
  switch (pending.kind) {
    case Pending::Kind::planned:
      return handle_planned(pending, sent_ns, result);
    case Pending::Kind::duplicate_probe:
    case Pending::Kind::conflict_probe:
      check_probe(pending, result);
      return std::nullopt;
    case Pending::Kind::final_fetch:
      if (result.kind == ExchangeResult::Kind::answered) {
        const ParsedAnswer parsed = classify_answer(Op::query, result.status, result.body, false);
        if (parsed.has_payment() && parsed.outcome == Outcome::ok) {
          note_payment(pending.merchant_order_id, parsed, pending.channel, pending.amount);
        }
      }
      return std::nullopt;
  }
  return std::nullopt;
}

Outcome LoadSession::Impl::handle_planned(const Pending& pending, TimeNs sent_ns,
                                          const ExchangeResult& result) {
  const Op op = pending.planned.op;
  ParsedAnswer parsed;
  if (result.kind == ExchangeResult::Kind::answered) {
    parsed = classify_answer(op, result.status, result.body, false);
  } else {
    parsed.outcome =
        result.kind == ExchangeResult::Kind::timeout ? Outcome::timeout : Outcome::transport_error;
  }
  Answer answer;
  answer.op = op;
  answer.channel = pending.channel.empty() ? parsed.channel : pending.channel;
  answer.outcome = parsed.outcome;
  answer.planned_ns = pending.planned.at_ns;
  answer.sent_ns = sent_ns;
  answer.done_ns = now_ns();
  answer.http_status = result.status;
  recorder.on_answer(answer);
  if (result.kind == ExchangeResult::Kind::answered) {
    follow_up(pending, parsed);
  } else if (op == Op::refund && sent_ns < 0) {
    book.release_refund(pending.payment_id, pending.amount);  // it never left
  }
  return parsed.outcome;
}

void LoadSession::Impl::note_payment(const std::string& merchant_order_id,
                                     const ParsedAnswer& parsed, const std::string& channel,
                                     std::int64_t amount) {
  const std::string& order_id =
      parsed.merchant_order_id.empty() ? merchant_order_id : parsed.merchant_order_id;
  const std::int64_t paid = parsed.amount > 0 ? parsed.amount : amount;
  const std::string& where = parsed.channel.empty() ? channel : parsed.channel;
  book.update(parsed.payment_id, order_id, where, paid, parsed.status);
  recorder.on_order_status(order_id, parsed.payment_id, paid, parsed.status);
}

void LoadSession::Impl::follow_up(const Pending& pending, const ParsedAnswer& parsed) {
  switch (pending.planned.op) {
    case Op::pay:
      if (!parsed.has_payment()) return;
      note_payment(pending.merchant_order_id, parsed, pending.channel, pending.amount);
      if (pending.planned.probe == PlannedRequest::Probe::duplicate) {
        Pending probe = probe_of(pending, Pending::Kind::duplicate_probe);
        probe.expected_payment_id = parsed.payment_id;
        submit(std::move(probe));
      } else if (pending.planned.probe == PlannedRequest::Probe::conflict) {
        submit(probe_of(pending, Pending::Kind::conflict_probe));
      }
      return;
    case Op::refund:
      // The refund was not taken: its amount is free again (a timeout stays held: it may
      // still go through).
      if (parsed.outcome != Outcome::ok) book.release_refund(pending.payment_id, pending.amount);
      return;
    case Op::query:
    case Op::close:
      if (parsed.has_payment()) {
        note_payment(pending.merchant_order_id, parsed, pending.channel, pending.amount);
      }
      return;
  }
}

// The same body again (must answer the same payment), or the same key with amount + 1
// (must be refused with 409). Sent after the first answer, outside the plan.
Pending LoadSession::Impl::probe_of(const Pending& first, Pending::Kind kind) const {
  Pending probe = first;
  probe.kind = kind;
  probe.planned.at_ns = now_ns();
  if (kind == Pending::Kind::conflict_probe) probe.amount = first.amount + 1;
  return probe;
}

// A 5xx, a timeout or a broken connection proves nothing either way; any other answer must
// be the one the idempotency contract promises.
void LoadSession::Impl::check_probe(const Pending& probe, const ExchangeResult& result) {
  if (result.kind != ExchangeResult::Kind::answered || result.status >= 500) return;
  const bool conflict = probe.kind == Pending::Kind::conflict_probe;
  const ParsedAnswer parsed = classify_answer(Op::pay, result.status, result.body, conflict);
  if (parsed.has_payment()) {
    note_payment(probe.merchant_order_id, parsed, probe.channel, probe.amount);
  }
  const std::string code = std::to_string(result.status);
  if (conflict) {
    if (result.status == 409) return;
    recorder.on_idempotency_breach(
        {probe.merchant_order_id, "the same key with amount " + std::to_string(probe.amount) +
                                      " was answered with HTTP " + code + ", not 409"});
    return;
  }
  if (result.status >= 200 && result.status < 300 &&
      parsed.payment_id == probe.expected_payment_id) {
    return;
  }
  const std::string got = parsed.payment_id.empty() ? "HTTP " + code : parsed.payment_id;
  recorder.on_idempotency_breach(
      {probe.merchant_order_id,
       "the same key and body answered " + got + " after payment " + probe.expected_payment_id});
}

// Refills the buffer whenever it runs dry, so "a fetch remains" is just fetch_next < size.
void LoadSession::Impl::refill_fetches() {
  constexpr std::size_t kSlice = 1024;
  const SeenSource& seen = recorder.seen_source();
  while (fetch_next == fetches.size() && fetch_position < seen.positions()) {
    fetches.clear();
    fetch_next = 0;
    const std::size_t to = fetch_position + kSlice;
    seen.for_each_in(fetch_position, to, [this](const SeenOrder& order) {
      for (const std::string& payment_id : order.payment_ids) {
        Pending& fetch = fetches.emplace_back();
        fetch.kind = Pending::Kind::final_fetch;
        fetch.planned.op = Op::query;
        fetch.merchant_order_id = order.merchant_order_id;
        fetch.payment_id = payment_id;
        fetch.amount = order.amount;
        fetch.get = true;
      }
    });
    fetch_position = to;
  }
}

LoadSession::LoadSession(const LoadSpec& load, std::uint64_t seed, std::string id_prefix,
                         Recorder& recorder, Submit submit, Now now)
    : impl_(std::make_unique<Impl>(load, seed, std::move(id_prefix), recorder, std::move(submit),
                                   std::move(now))) {}
LoadSession::~LoadSession() = default;

std::optional<TimeNs> LoadSession::release_due(TimeNs now_ns) {
  Impl& s = *impl_;
  while (s.next && s.next->at_ns <= now_ns) {
    PendingRequest pending = s.resolve_planned(*s.next);
    s.recorder.on_planned(pending.planned);
    s.submit(std::move(pending));
    s.next = s.plan.next();
  }
  return next_planned();
}

std::optional<TimeNs> LoadSession::next_planned() const {
  return impl_->next ? std::optional<TimeNs>(impl_->next->at_ns) : std::nullopt;
}

void LoadSession::write_call(const PendingRequest& pending, MerchantCall& call) const {
  impl_->write_call(pending, call);
}
std::optional<Outcome> LoadSession::handle(const PendingRequest& pending, TimeNs sent_ns,
                                           const ExchangeResult& result) {
  return impl_->handle(pending, sent_ns, result);
}

bool LoadSession::next_fetch(PendingRequest& out) {
  impl_->refill_fetches();
  if (impl_->fetch_next == impl_->fetches.size()) return false;
  out = std::move(impl_->fetches[impl_->fetch_next++]);
  impl_->refill_fetches();
  return true;
}

void LoadSession::handle_fetched(const PendingRequest& fetch, const PaymentShown& payment) {
  ParsedAnswer parsed;
  parsed.payment_id = payment.payment_id;
  parsed.merchant_order_id = payment.merchant_order_id;
  parsed.channel = payment.channel;
  parsed.status = payment.status;
  parsed.amount = payment.amount;
  if (parsed.has_payment()) {
    impl_->note_payment(fetch.merchant_order_id, parsed, fetch.channel, fetch.amount);
  }
}

LoadSession::Departure LoadSession::depart(const PendingRequest& pending, TimeNs now_ns,
                                           TimeNs timeout_ns) {
  if (now_ns >= pending.planned.at_ns + timeout_ns) {
    ExchangeResult expired;
    expired.kind = ExchangeResult::Kind::timeout;
    expired.error = "timed out waiting for a free connection";
    (void)handle(pending, -1, expired);
    return Departure::expired;
  }
  if (pending.kind != PendingRequest::Kind::planned) return Departure::probe;
  const TimeNs lateness = now_ns - pending.planned.at_ns;
  impl_->recorder.on_sent(pending.planned, now_ns, pending.channel);
  if (lateness <= kLateThreshold) return Departure::sent;
  impl_->recorder.on_late(lateness);
  return Departure::sent_late;
}

bool LoadSession::fetch_left() const { return impl_->fetch_next < impl_->fetches.size(); }

void LoadSession::restart_fetches() {
  impl_->fetches.clear();
  impl_->fetch_next = 0;
  impl_->fetch_position = 0;
}

}  // namespace fusebox::harness
