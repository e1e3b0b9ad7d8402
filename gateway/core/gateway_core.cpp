// GatewayCore: merchant operations, routing, bulkheads and the views. Channel results and
// notifications are in call_results.cpp, the poller in poller.cpp.
#include "fusebox/gateway/gateway_core.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "core_state.hpp"

namespace fusebox::gateway {
namespace {

std::vector<std::string> channel_names(const GatewayConfig& config) {
  std::vector<std::string> names;
  for (const auto& channel : config.channels)
    names.push_back(channel.name);
  return names;
}

std::string make_id(char prefix, std::uint64_t number) {
  char text[24];
  std::snprintf(text, sizeof text, "%c%012llu", prefix, static_cast<unsigned long long>(number));
  return text;
}

bool valid_merchant_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

MerchantReply error_reply(RequestId request, int status, std::string code, std::string message,
                          std::string field = {}) {
  MerchantReply reply;
  reply.request = request;
  reply.http_status = status;
  reply.error = MerchantError{status, std::move(code), std::move(message), std::move(field)};
  return reply;
}

constexpr std::string_view kIdRule = "expected 1-64 characters of A-Z a-z 0-9 - _ . :";

}  // namespace

GatewayCore::State::State(GatewayConfig config_in, Store& store_in)
    : config(std::move(config_in)), store(store_in), metrics(channel_names(config), config.alerts) {
  constexpr TimeNs kDay = 24LL * 3600 * kNsPerS;
  refund_judges[0].span = kDay;
  refund_judges[1].span = 2 * kDay;
  refund_judges[2].span = 7 * kDay;
  payment_by_id.reserve(config.expected_orders);
  payment_by_merchant_id.reserve(config.expected_orders);
  for (const auto& settings : config.channels) {
    ChannelRuntime runtime;
    runtime.settings = settings;
    runtime.payments_breaker = std::make_unique<Breaker>(settings.breaker);
    runtime.refunds_breaker = std::make_unique<Breaker>(settings.breaker);
    runtime.enabled = settings.enabled;
    for (std::size_t op = 0; op < runtime.lanes.size(); ++op) {
      runtime.lanes[op].limits = settings.bulkheads[op];
    }
    channels.push_back(std::move(runtime));
  }
}

std::optional<std::size_t> GatewayCore::State::channel_index(std::string_view name) const {
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (channels[i].settings.name == name) return i;
  }
  return std::nullopt;
}

Lane& GatewayCore::State::lane_of(std::size_t channel, ChannelOp op) {
  return channels[channel].lanes[static_cast<std::size_t>(op)];
}

Breaker& GatewayCore::State::breaker_of(std::size_t channel, ChannelOp op) {
  const bool refund = op == ChannelOp::refund || op == ChannelOp::refund_query;
  return refund ? *channels[channel].refunds_breaker : *channels[channel].payments_breaker;
}

bool GatewayCore::State::channel_open_for_traffic(std::size_t channel, TimeNs now) {
  return channels[channel].payments_breaker->state(now) != BreakerState::open;
}

std::optional<CallKind> GatewayCore::State::start_call(TimeNs now, Call call, Effects& effects) {
  Breaker& breaker = breaker_of(call.channel, call.call.op);
  call.permit = breaker.try_acquire(now);
  collect_breaker_events(call.channel);
  if (!call.permit.admitted()) return CallKind::breaker_rejected;
  Lane& lane = lane_of(call.channel, call.call.op);
  if (lane.in_flight >= lane.limits.max_in_flight &&
      lane.queued.size() >= lane.limits.max_pending) {
    breaker.record(call.permit, CallResult::ignored, 0, now);
    return CallKind::bulkhead_rejected;
  }
  const CallId id = next_call++;
  call.created_ns = now;
  if (lane.in_flight < lane.limits.max_in_flight) {
    ++lane.in_flight;
    call.sent = true;
    const ChannelRuntime& channel = channels[call.channel];
    effects.sends.push_back(
        ChannelSend{id, channel.settings.name, call.call, channel.settings.timeout_ns});
  } else {
    lane.queued.push_back(id);
  }
  calls.emplace(id, std::move(call));
  return std::nullopt;
}

// A slot freed: the oldest queued call of the lane goes out.
void GatewayCore::State::release_lane(TimeNs now, std::size_t channel, ChannelOp op,
                                      Effects& effects) {
  Lane& lane = lane_of(channel, op);
  assert(lane.in_flight > 0);
  --lane.in_flight;
  while (!lane.queued.empty() && lane.in_flight < lane.limits.max_in_flight) {
    const CallId id = lane.queued.front();
    lane.queued.pop_front();
    Call& call = calls.at(id);
    ++lane.in_flight;
    call.sent = true;
    const ChannelRuntime& runtime = channels[channel];
    effects.sends.push_back(
        ChannelSend{id, runtime.settings.name, call.call, runtime.settings.timeout_ns});
    (void)now;
  }
}

void GatewayCore::State::set_payment_status(TimeNs now, PaymentEntry& entry, PaymentStatus status,
                                            std::string_view cause, std::string_view txn_id,
                                            std::string_view failure_code) {
  Payment& payment = entry.payment;
  assert(!is_final(payment.status));  // callers check: final states are absorbing
  const PaymentStatus from = payment.status;
  payment.status = status;
  payment.updated_ns = now;
  if (!txn_id.empty()) payment.channel_txn_id = txn_id;
  if (!failure_code.empty()) payment.failure_code = failure_code;
  if (is_final(status) && !payment.channel.empty()) {
    if (auto index = channel_index(payment.channel)) --channels[*index].pending;
  }
  store.save(payment);
  store.append(Transition{payment.payment_id, false, std::string(to_string(from)),
                          std::string(to_string(status)), now, std::string(cause)});
  retire_later(now, entry);
}

void GatewayCore::State::set_refund_status(TimeNs now, RefundEntry& entry, RefundStatus status,
                                           std::string_view cause, std::string_view failure_code) {
  Refund& refund = entry.refund;
  assert(!is_final(refund.status));
  PaymentEntry& parent = payment_ref(now, refund.payment_id);
  parent.payment.refunding_minor -= refund.amount_minor;
  if (status == RefundStatus::succeeded) parent.payment.refunded_minor += refund.amount_minor;
  assert(parent.payment.refunding_minor >= 0);
  parent.payment.updated_ns = now;
  const RefundStatus from = refund.status;
  refund.status = status;
  refund.updated_ns = now;
  if (!failure_code.empty()) refund.failure_code = failure_code;
  store.save(parent.payment);
  store.save(refund);
  store.append(Transition{refund.refund_id, true, std::string(to_string(from)),
                          std::string(to_string(status)), now, std::string(cause)});
  if (status == RefundStatus::succeeded && entry.judge_index >= refund_marks_base &&
      entry.judge_index - refund_marks_base < refund_marks.size()) {
    refund_marks[entry.judge_index - refund_marks_base].succeeded_ns = now;
  }
  retire_later(now, entry);
  retire_later(now, parent);
}

void GatewayCore::State::add_review(TimeNs now, std::string id, std::string_view channel,
                                    std::string reason) {
  constexpr std::size_t kMaxReview = 100'000;  // a human list: past this, the oldest go
  if (manual_review.size() == kMaxReview) manual_review.erase(manual_review.begin());
  manual_review.push_back(
      ManualReviewItem{std::move(id), std::string(channel), std::move(reason), now});
}

Payment GatewayCore::State::shown_to_merchant(const Payment& payment) const {
  Payment shown = payment;
  // Only a SUCCEEDED payment can have refunds: the others' sums are 0 without a store read.
  if (config.role == Role::payments && shown.status == PaymentStatus::succeeded) {
    if (const auto stored = store.find_payment(shown.payment_id)) {
      shown.refunded_minor = stored->refunded_minor;
      shown.refunding_minor = stored->refunding_minor;
    }
  }
  return shown;
}

void GatewayCore::State::reply_payment(Effects& effects, RequestId request,
                                       const PaymentEntry& entry) {
  MerchantReply reply;
  reply.request = request;
  reply.payment = entry.payment;
  effects.replies.push_back(std::move(reply));
}

void GatewayCore::State::reply_refund(Effects& effects, RequestId request,
                                      const RefundEntry& entry) {
  MerchantReply reply;
  reply.request = request;
  reply.refund = entry.refund;
  effects.replies.push_back(std::move(reply));
}

void GatewayCore::State::collect_breaker_events(std::size_t channel) {
  constexpr std::size_t kMaxEvents = 10'000;
  std::array<BreakerEvent, 16> buffer;
  for (Breaker* breaker :
       {channels[channel].payments_breaker.get(), channels[channel].refunds_breaker.get()}) {
    std::size_t n = 0;
    while ((n = breaker->drain_events(buffer)) > 0) {
      for (std::size_t i = 0; i < n; ++i) {
        if (breaker_events.size() == kMaxEvents) breaker_events.erase(breaker_events.begin());
        breaker_events.push_back(
            ChannelBreakerEvent{channels[channel].settings.name,
                                breaker == channels[channel].refunds_breaker.get(), buffer[i]});
      }
    }
  }
}

// Candidates in order: the merchant's channel if named; else by priority, and within one
// priority the smooth-weighted-round-robin pick first, then the rest by weight.
std::vector<std::size_t> GatewayCore::State::candidates(const PaymentEntry& entry,
                                                        const std::vector<std::size_t>& tried) {
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const ChannelRuntime& channel = channels[i];
    if (channel.settings.method != entry.payment.method || !channel.enabled) continue;
    if (!entry.payment.requested_channel.empty() &&
        channel.settings.name != entry.payment.requested_channel) {
      continue;
    }
    if (std::find(tried.begin(), tried.end(), i) != tried.end()) continue;
    eligible.push_back(i);
  }
  std::stable_sort(eligible.begin(), eligible.end(), [&](std::size_t a, std::size_t b) {
    return channels[a].settings.priority < channels[b].settings.priority;
  });
  if (eligible.size() < 2) return eligible;
  const int top = channels[eligible.front()].settings.priority;
  std::int64_t total = 0;
  std::size_t best = eligible.front();
  for (std::size_t i : eligible) {
    if (channels[i].settings.priority != top) break;
    channels[i].current_weight += channels[i].settings.weight;
    total += channels[i].settings.weight;
    if (channels[i].current_weight > channels[best].current_weight) best = i;
  }
  channels[best].current_weight -= total;
  std::stable_partition(eligible.begin(), eligible.end(), [&](std::size_t i) { return i == best; });
  return eligible;
}

// Sends the payment to the first candidate that admits it. A candidate whose breaker or
// bulkhead rejects was provably never reached, so the next one is safe to try.
void GatewayCore::State::route_pay(TimeNs now, PaymentEntry& entry,
                                   std::optional<RequestId> request, std::vector<std::size_t> tried,
                                   Effects& effects) {
  Payment& payment = entry.payment;
  const bool method_on = methods_enabled[static_cast<std::size_t>(payment.method)];
  for (std::size_t index : method_on ? candidates(entry, tried) : std::vector<std::size_t>{}) {
    Call call;
    call.purpose = Purpose::pay;
    call.channel = index;
    call.call = ChannelCall{ChannelOp::pay,       payment.payment_id, "",
                            payment.amount_minor, payment.currency,   notify_url(index)};
    call.request = request;
    call.tried = tried;
    if (const auto rejected = start_call(now, std::move(call), effects)) {
      // Never left: counted, not stored (a fail-fast answer must stay cheap).
      metrics.record(now, index, ChannelOp::pay, *rejected, 0);
      tried.push_back(index);
      continue;
    }
    ++entry.calls_in_flight;
    if (payment.channel != channels[index].settings.name) {
      if (auto old = channel_index(payment.channel)) --channels[*old].pending;
      payment.channel = channels[index].settings.name;
      ++channels[index].pending;
    }
    store.save(payment);
    return;
  }
  const char* code = !method_on                         ? "METHOD_DISABLED"
                     : entry.channel_answered_retryable ? "CHANNEL_ERROR"
                                                        : "CHANNEL_UNAVAILABLE";
  set_payment_status(now, entry, PaymentStatus::failed, "routing", {}, code);
  if (request) reply_payment(effects, *request, entry);
}

GatewayCore::GatewayCore(GatewayConfig config, Store& store)
    : state_(std::make_unique<State>(std::move(config), store)) {}

GatewayCore::~GatewayCore() = default;

std::string GatewayCore::State::notify_url(std::size_t channel) const {
  if (config.notify_base_url.empty()) return {};
  return config.notify_base_url + "/notify/" + channels[channel].settings.name;
}

// The refunds role owns refunds and the refund sums on payments; the payments process moves
// everything else about a payment, and the shared store carries the news. A payment this
// process has not yet seen final is read again, keeping the refund sums it owns.
void GatewayCore::State::refresh_from_store(const std::string& payment_id) {
  PaymentEntry* known = payment_by_id.find(payment_id);
  if (known != nullptr && is_final(known->payment.status)) return;
  std::optional<Payment> stored = store.find_payment(payment_id);
  if (!stored) return;
  if (known == nullptr) {
    adopt_payment(std::move(*stored));
    return;
  }
  Payment& mine = known->payment;
  stored->refunded_minor = mine.refunded_minor;
  stored->refunding_minor = mine.refunding_minor;
  mine = std::move(*stored);
}

// Each role polls only what it owns: the payments role its PROCESSING payments, the refunds
// role its PROCESSING refunds (it keeps the payments only to judge refunds against).
void GatewayCore::recover(TimeNs now) {
  State& s = *state_;
  const Role role = s.config.role;
  for (Payment& payment : s.store.load_payments()) {
    PaymentEntry& entry = s.adopt_payment(std::move(payment));
    s.retire_later(now, entry);
    if (role == Role::refunds || is_final(entry.payment.status)) continue;
    if (const auto channel = s.channel_index(entry.payment.channel)) {
      ++s.channels[*channel].pending;
      s.start_polling_payment(now, entry);
    } else {
      // Sent to a channel this configuration no longer has: nobody can ask it but a human.
      s.add_review(now, entry.payment.payment_id, entry.payment.channel, "channel_not_configured");
    }
  }
  if (role == Role::payments) return;
  for (Refund& refund : s.store.load_refunds()) {
    const PaymentEntry* parent = s.payment_by_id.find(refund.payment_id);
    RefundEntry& entry =
        s.adopt_refund(std::move(refund), parent != nullptr ? parent->payment.channel : "");
    s.mark_refund(entry);
    s.retire_later(now, entry);
    if (!is_final(entry.refund.status)) s.start_polling_refund(now, entry);
  }
}

// The first field of a pay request that the gateway cannot take, as a 400 naming it.
std::optional<MerchantError> GatewayCore::State::invalid_pay(const PayRequest& body) const {
  const auto field = [](std::string name, std::string message) {
    return MerchantError{400, "INVALID_FIELD", name + ": " + message, name};
  };
  if (!valid_merchant_id(body.merchant_order_id)) {
    return field("merchant_order_id", std::string(kIdRule));
  }
  if (body.amount_minor <= 0 || body.amount_minor > config.max_amount_minor) {
    return field("amount", "expected an integer in [1, " + std::to_string(config.max_amount_minor) +
                               "] (minor units), got " + std::to_string(body.amount_minor));
  }
  if (std::find(config.currencies.begin(), config.currencies.end(), body.currency) ==
      config.currencies.end()) {
    return field("currency", "not a currency this gateway takes: \"" + body.currency + "\"");
  }
  const auto method = parse_method(body.method);
  if (!method)
    return field("method", "expected \"wallet\" or \"bank\", got \"" + body.method + "\"");
  if (!body.channel.empty()) {
    const auto index = channel_index(body.channel);
    if (!index || channels[*index].settings.method != *method) {
      return field("channel", "no " + body.method + " channel named \"" + body.channel + "\"");
    }
  }
  return std::nullopt;
}

void GatewayCore::pay(TimeNs now, RequestId request, const PayRequest& body, Effects& effects) {
  State& s = *state_;
  if (auto invalid = s.invalid_pay(body)) {
    effects.replies.push_back(MerchantReply{request, invalid->http_status, {}, {}, *invalid});
    return;
  }
  const Method method = *parse_method(body.method);
  if (const PaymentEntry* found = s.payment_by_merchant(now, body.merchant_order_id)) {
    const PaymentEntry& existing = *found;
    const Payment& p = existing.payment;
    if (p.amount_minor != body.amount_minor || p.currency != body.currency || p.method != method ||
        p.requested_channel != body.channel) {
      effects.replies.push_back(error_reply(request, 409, "IDEMPOTENCY_CONFLICT",
                                            "merchant_order_id " + body.merchant_order_id +
                                                " was used with a different body (payment " +
                                                p.payment_id + ")",
                                            "merchant_order_id"));
      return;
    }
    // A repeat shows what a GET would, refund sums included (kept by the refunds process
    // when the roles are split).
    effects.replies.push_back(MerchantReply{request, 200, s.shown_to_merchant(p), {}, {}});
    return;
  }
  auto entry = std::make_unique<PaymentEntry>();
  Payment& payment = entry->payment;
  payment.payment_id = make_id('P', s.next_payment++);
  payment.merchant_order_id = body.merchant_order_id;
  payment.amount_minor = body.amount_minor;
  payment.currency = body.currency;
  payment.method = method;
  payment.created_ns = now;
  payment.updated_ns = now;
  payment.requested_channel = body.channel;
  entry->seq = s.next_seq++;
  PaymentEntry& ref = *entry;
  s.payment_by_id.emplace(&ref);
  s.payment_by_merchant_id.emplace(&ref);
  s.payments.emplace_hint(s.payments.end(), ref.seq, std::move(entry));
  // The row itself is saved once routing has decided (sent somewhere, or failed).
  s.store.append(Transition{payment.payment_id, false, "", "PROCESSING", now, "created"});
  s.route_pay(now, ref, request, {}, effects);
}

// The first thing wrong with a refund request before idempotency is looked at.
std::optional<MerchantError> GatewayCore::State::invalid_refund(const RefundRequest& body,
                                                                const PaymentEntry* parent) const {
  if (!valid_merchant_id(body.merchant_refund_id)) {
    return MerchantError{400, "INVALID_FIELD", "merchant_refund_id: " + std::string(kIdRule),
                         "merchant_refund_id"};
  }
  if (body.amount_minor <= 0) {
    return MerchantError{400, "INVALID_FIELD", "amount: expected a positive integer (minor units)",
                         "amount"};
  }
  if (parent == nullptr) {
    return MerchantError{404, "NOT_FOUND", "payment_id: no payment \"" + body.payment_id + "\"",
                         "payment_id"};
  }
  return std::nullopt;
}

// Why `payment` cannot be refunded `amount` now, if it cannot.
std::optional<MerchantError> GatewayCore::State::unrefundable(const Payment& payment,
                                                              std::int64_t amount) const {
  if (payment.status != PaymentStatus::succeeded) {
    return MerchantError{422, "PAYMENT_NOT_REFUNDABLE",
                         "payment " + payment.payment_id + " is " +
                             std::string(to_string(payment.status)) +
                             "; only SUCCEEDED payments can be refunded",
                         "payment_id"};
  }
  const std::int64_t room = payment.amount_minor - payment.refunded_minor - payment.refunding_minor;
  if (amount > room) {
    return MerchantError{422, "REFUND_EXCEEDS_PAYMENT",
                         "amount: " + std::to_string(amount) + " exceeds what is left to refund (" +
                             std::to_string(room) + " of " + std::to_string(payment.amount_minor) +
                             ", counting refunds in flight)",
                         "amount"};
  }
  return std::nullopt;
}

void GatewayCore::refund(TimeNs now, RequestId request, const RefundRequest& body,
                         Effects& effects) {
  State& s = *state_;
  const auto fail = [&](const MerchantError& error) {
    effects.replies.push_back(MerchantReply{request, error.http_status, {}, {}, error});
  };
  if (s.config.role == Role::refunds) s.refresh_from_store(body.payment_id);
  PaymentEntry* parent = s.payment(now, body.payment_id);
  if (auto invalid = s.invalid_refund(body, parent)) return fail(*invalid);
  if (const RefundEntry* found = s.refund_by_merchant(now, body.merchant_refund_id)) {
    const Refund& r = found->refund;
    if (r.payment_id != body.payment_id || r.amount_minor != body.amount_minor) {
      return fail(MerchantError{409, "IDEMPOTENCY_CONFLICT",
                                "merchant_refund_id " + body.merchant_refund_id +
                                    " was used with a different body (refund " + r.refund_id + ")",
                                "merchant_refund_id"});
    }
    return s.reply_refund(effects, request, *found);
  }
  Payment& payment = parent->payment;
  if (auto why = s.unrefundable(payment, body.amount_minor)) return fail(*why);
  auto entry = std::make_unique<RefundEntry>();
  Refund& refund = entry->refund;
  refund.refund_id = make_id('R', s.next_refund++);
  refund.merchant_refund_id = body.merchant_refund_id;
  refund.payment_id = payment.payment_id;
  refund.amount_minor = body.amount_minor;
  refund.created_ns = now;
  refund.updated_ns = now;
  entry->channel = payment.channel;
  entry->seq = s.next_seq++;
  payment.refunding_minor += refund.amount_minor;
  payment.updated_ns = now;
  RefundEntry& ref = *entry;
  s.refund_by_id.emplace(&ref);
  s.refund_by_merchant_id.emplace(&ref);
  s.refunds.emplace_hint(s.refunds.end(), ref.seq, std::move(entry));
  s.mark_refund(ref);
  s.store.save(payment);
  s.store.save(refund);
  s.store.append(Transition{refund.refund_id, true, "", "PROCESSING", now, "created"});

  const auto channel_found = s.channel_index(ref.channel);
  if (!channel_found) {
    s.set_refund_status(now, ref, RefundStatus::failed, "routing", "CHANNEL_NOT_CONFIGURED");
    return s.reply_refund(effects, request, ref);
  }
  const std::size_t channel = *channel_found;
  Call call;
  call.purpose = Purpose::refund;
  call.channel = channel;
  // The refund's own notify_url: in a split deployment its notification must reach this
  // process, not the payments process the pay's URL points at.
  call.call = ChannelCall{ChannelOp::refund,   payment.payment_id, refund.refund_id,
                          refund.amount_minor, payment.currency,   s.notify_url(channel)};
  call.request = request;
  if (const auto rejected = s.start_call(now, std::move(call), effects)) {
    s.metrics.record(now, channel, ChannelOp::refund, *rejected, 0);
    s.set_refund_status(now, ref, RefundStatus::failed, "routing", "CHANNEL_UNAVAILABLE");
    s.reply_refund(effects, request, ref);
  }
}

void GatewayCore::close(TimeNs now, RequestId request, std::string_view payment_id,
                        Effects& effects) {
  State& s = *state_;
  PaymentEntry* found = s.payment(now, payment_id);
  if (found == nullptr) {
    effects.replies.push_back(error_reply(
        request, 404, "NOT_FOUND", "no payment \"" + std::string(payment_id) + "\"", "payment_id"));
    return;
  }
  PaymentEntry& entry = *found;
  if (entry.payment.status == PaymentStatus::closed)
    return s.reply_payment(effects, request, entry);
  if (is_final(entry.payment.status)) {
    effects.replies.push_back(error_reply(request, 422, "PAYMENT_NOT_CLOSABLE",
                                          "payment " + entry.payment.payment_id + " is " +
                                              std::string(to_string(entry.payment.status)),
                                          "payment_id"));
    return;
  }
  const auto channel_found = s.channel_index(entry.payment.channel);
  if (!channel_found) {
    effects.replies.push_back(error_reply(
        request, 503, "CHANNEL_NOT_CONFIGURED",
        "channel " + entry.payment.channel + " is not configured; the payment stays PROCESSING",
        ""));
    return;
  }
  const std::size_t channel = *channel_found;
  Call call;
  call.purpose = Purpose::close;
  call.channel = channel;
  call.call = ChannelCall{ChannelOp::close, entry.payment.payment_id, "", 0, "", ""};
  call.request = request;
  if (const auto rejected = s.start_call(now, std::move(call), effects)) {
    s.metrics.record(now, channel, ChannelOp::close, *rejected, 0);
    effects.replies.push_back(error_reply(request, 503, "CHANNEL_UNAVAILABLE",
                                          "channel " + entry.payment.channel +
                                              " is not taking requests; the payment stays " +
                                              "PROCESSING",
                                          ""));
    return;
  }
  ++entry.calls_in_flight;
}

const Payment* GatewayCore::find_payment(std::string_view payment_id) const {
  const PaymentEntry* entry = state_->payment_by_id.find(payment_id);
  return entry == nullptr ? nullptr : &entry->payment;
}

// A view reads an order that left memory from the store, without taking it back in.
std::optional<Payment> GatewayCore::payment_for_merchant(std::string_view payment_id) const {
  if (const Payment* mine = find_payment(payment_id)) return state_->shown_to_merchant(*mine);
  if (!state_->must_read_store(State::IdKind::payment, payment_id)) return std::nullopt;
  return state_->store.find_payment(std::string(payment_id));
}

std::optional<Refund> GatewayCore::find_refund(std::string_view refund_id) const {
  if (const RefundEntry* entry = state_->refund_by_id.find(refund_id)) return entry->refund;
  if (!state_->must_read_store(State::IdKind::refund, refund_id)) return std::nullopt;
  return state_->store.find_refund(std::string(refund_id));
}

bool GatewayCore::set_channel_enabled(TimeNs now, std::string_view channel, bool enabled) {
  const auto index = state_->channel_index(channel);
  if (!index) return false;
  state_->channels[*index].enabled = enabled;
  (void)now;
  return true;
}

void GatewayCore::set_method_enabled(TimeNs now, Method method, bool enabled) {
  state_->methods_enabled[static_cast<std::size_t>(method)] = enabled;
  (void)now;
}

bool GatewayCore::method_enabled(Method method) const {
  return state_->methods_enabled[static_cast<std::size_t>(method)];
}

bool GatewayCore::force_breaker(TimeNs now, std::string_view channel, ForceMode mode) {
  const auto index = state_->channel_index(channel);
  if (!index) return false;
  state_->channels[*index].payments_breaker->force(mode, now);
  state_->channels[*index].refunds_breaker->force(mode, now);
  state_->collect_breaker_events(*index);
  return true;
}

std::vector<ChannelView> GatewayCore::channels(TimeNs now) const {
  std::vector<ChannelView> views;
  for (const ChannelRuntime& channel : state_->channels) {
    ChannelView view;
    view.name = channel.settings.name;
    view.family = channel.settings.family;
    view.method = channel.settings.method;
    view.enabled = channel.enabled;
    view.payments_breaker = channel.payments_breaker->snapshot(now);
    view.refunds_breaker = channel.refunds_breaker->snapshot(now);
    for (std::size_t op = 0; op < channel.lanes.size(); ++op) {
      view.in_flight[op] = channel.lanes[op].in_flight;
      view.queued[op] = static_cast<std::uint32_t>(channel.lanes[op].queued.size());
    }
    view.pending_orders = channel.pending;
    views.push_back(std::move(view));
  }
  return views;
}

const std::vector<ManualReviewItem>& GatewayCore::manual_review() const {
  return state_->manual_review;
}
const Metrics& GatewayCore::metrics() const { return state_->metrics; }
const std::vector<ChannelBreakerEvent>& GatewayCore::breaker_events() const {
  return state_->breaker_events;
}
const GatewayConfig& GatewayCore::config() const { return state_->config; }

Residency GatewayCore::residency() const {
  return Residency{state_->payments.size(), state_->refunds.size(),
                   state_->evicted,         state_->retiring.size(),
                   state_->store_reads,     state_->departed.memory_bytes()};
}

// Once an order has left memory the store is the whole list (every change is handed to it
// as it happens, and a load sees this store's queued writes too).
void GatewayCore::visit_payments(const std::function<void(const Payment&)>& visit) const {
  if (state_->evicted != 0) return state_->store.visit_payments(visit);
  for (const auto& [seq, entry] : state_->payments)
    visit(entry->payment);
}

void GatewayCore::visit_refunds(const std::function<void(const Refund&)>& visit) const {
  if (state_->evicted != 0) return state_->store.visit_refunds(visit);
  for (const auto& [seq, entry] : state_->refunds)
    visit(entry->refund);
}

std::vector<Payment> GatewayCore::payments() const {
  std::vector<Payment> out;
  visit_payments([&out](const Payment& payment) { out.push_back(payment); });
  return out;
}

std::vector<Refund> GatewayCore::refunds() const {
  std::vector<Refund> out;
  visit_refunds([&out](const Refund& refund) { out.push_back(refund); });
  return out;
}

RefundRates GatewayCore::refund_rates(TimeNs now) {
  State& s = *state_;
  std::uint64_t judged_by_all = UINT64_MAX;
  for (State::RefundJudge& judge : s.refund_judges) {
    const std::uint64_t end = s.refund_marks_base + s.refund_marks.size();
    while (judge.next < end &&
           now - s.refund_marks[judge.next - s.refund_marks_base].created_ns >= judge.span) {
      const State::RefundMark& mark = s.refund_marks[judge.next++ - s.refund_marks_base];
      ++judge.counts.judged;
      if (mark.succeeded_ns >= 0 && mark.succeeded_ns - mark.created_ns <= judge.span) {
        ++judge.counts.succeeded;
      }
    }
    judged_by_all = std::min(judged_by_all, judge.next);
  }
  while (s.refund_marks_base < judged_by_all && !s.refund_marks.empty()) {
    s.refund_marks.pop_front();
    ++s.refund_marks_base;
  }
  return RefundRates{s.refund_judges[0].counts, s.refund_judges[1].counts,
                     s.refund_judges[2].counts};
}

}  // namespace fusebox::gateway
