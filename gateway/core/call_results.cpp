// GatewayCore: what a channel's answer, a transport failure or a notification means for an
// order. The one rule that matters most lives here: only an outcome that proves the channel
// never acted lets a payment move to another channel; anything ambiguous stays PROCESSING.
#include <cassert>

#include "core_state.hpp"

namespace fusebox::gateway {
namespace {

CallResult breaker_outcome(CallKind kind) {
  if (is_rejection(kind)) return CallResult::ignored;
  return counts_as_success(kind) ? CallResult::success : CallResult::failure;
}

}  // namespace

CallKind classify(const CallOutcome& outcome) {
  switch (outcome.transport) {
    case Transport::not_sent:
      return CallKind::not_sent;
    case Transport::timeout:
      return CallKind::timeout;
    case Transport::broken:
      return CallKind::broken;
    case Transport::delivered:
      break;
  }
  switch (outcome.reply.kind) {
    case ReplyKind::answered:
      return CallKind::ok;
    case ReplyKind::not_found:
      return CallKind::not_found;
    case ReplyKind::declined:
      return CallKind::declined;
    case ReplyKind::retryable:
      return CallKind::retryable;
    case ReplyKind::rejected:
      return CallKind::rejected;
    case ReplyKind::unverified:
      return CallKind::unverified;
    case ReplyKind::malformed:
      return CallKind::malformed;
  }
  return CallKind::malformed;
}

void GatewayCore::on_call_result(TimeNs now, CallId id, const CallOutcome& outcome,
                                 Effects& effects) {
  State& s = *state_;
  const auto it = s.calls.find(id);
  if (it == s.calls.end()) return;  // a result for a call we already gave up on
  Call call = std::move(it->second);
  s.calls.erase(it);
  assert(call.sent);
  const CallKind kind = classify(outcome);
  s.breaker_of(call.channel, call.call.op)
      .record(call.permit, breaker_outcome(kind), outcome.latency_ns, now);
  s.collect_breaker_events(call.channel);
  s.metrics.record(now, call.channel, call.call.op, kind, outcome.latency_ns);
  s.store.append(Attempt{call.call.order_id, call.call.refund_id,
                         s.channels[call.channel].settings.name, call.call.op,
                         now - outcome.latency_ns, now, std::string(to_string(kind))});
  s.release_lane(now, call.channel, call.call.op, effects);
  switch (call.purpose) {
    case Purpose::pay:
      return s.on_pay_result(now, call, kind, outcome, effects);
    case Purpose::close:
    case Purpose::poll_payment:
    case Purpose::close_unknown:
      return s.on_payment_status_result(now, call, kind, outcome, effects);
    case Purpose::refund:
    case Purpose::poll_refund:
      return s.on_refund_result(now, call, kind, outcome, effects);
  }
}

// Applies what a verified answer says about a payment. Final states never move; a channel
// that contradicts one goes to a human.
void GatewayCore::State::apply_channel_payment(TimeNs now, PaymentEntry& entry,
                                               const ChannelReply& reply, std::string_view cause) {
  if (!reply.payment || *reply.payment == PaymentStatus::processing) return;
  Payment& payment = entry.payment;
  const std::string& channel = payment.channel;
  if (reply.amount_minor != 0 &&
      (reply.amount_minor != payment.amount_minor || reply.currency != payment.currency)) {
    add_review(now, payment.payment_id, channel, "amount_mismatch");
    return;
  }
  if (is_final(payment.status)) {
    if (payment.status != *reply.payment) {
      add_review(now, payment.payment_id, channel, "final_state_conflict");
    }
    return;
  }
  const std::string_view failure = *reply.payment == PaymentStatus::failed ? "DECLINED" : "";
  set_payment_status(now, entry, *reply.payment, cause, reply.channel_txn_id, failure);
}

void GatewayCore::State::on_pay_result(TimeNs now, Call& call, CallKind kind,
                                       const CallOutcome& outcome, Effects& effects) {
  PaymentEntry& entry = payment_ref(now, call.call.order_id);
  --entry.calls_in_flight;
  if (is_final(entry.payment.status)) {  // a notification got here first
    if (kind == CallKind::ok) apply_channel_payment(now, entry, outcome.reply, "pay_answer");
    if (call.request) reply_payment(effects, *call.request, entry);
    if (entry.calls_in_flight == 0) retire_later(now, entry);  // nothing of ours awaits it now
    return;
  }
  switch (kind) {
    case CallKind::retryable:
      entry.channel_answered_retryable = true;
      [[fallthrough]];
    case CallKind::not_sent:
    case CallKind::breaker_rejected:
    case CallKind::bulkhead_rejected:
      // The channel provably did nothing: the next candidate is safe.
      call.tried.push_back(call.channel);
      return route_pay(now, entry, call.request, std::move(call.tried), effects);
    case CallKind::declined:
      set_payment_status(now, entry, PaymentStatus::failed, "pay_answer", {}, "DECLINED");
      break;
    case CallKind::rejected:
      set_payment_status(now, entry, PaymentStatus::failed, "pay_answer", {},
                         "CHANNEL_REJECTED:" + outcome.reply.code);
      break;
    case CallKind::ok:
      apply_channel_payment(now, entry, outcome.reply, "pay_answer");
      break;
    case CallKind::timeout:
      if (config.planted_failover_after_timeout) {  // the planted bug (gateway_config.hpp)
        call.tried.push_back(call.channel);
        return route_pay(now, entry, call.request, std::move(call.tried), effects);
      }
      break;
    case CallKind::not_found:
    case CallKind::broken:
    case CallKind::malformed:
    case CallKind::unverified:
      break;  // ambiguous: the channel may have it; the poller finds out
  }
  if (!is_final(entry.payment.status)) start_polling_payment(now, entry);
  if (call.request) reply_payment(effects, *call.request, entry);
}

// Close, poll and the close that settles an order the channel never saw.
void GatewayCore::State::on_payment_status_result(TimeNs now, Call& call, CallKind kind,
                                                  const CallOutcome& outcome, Effects& effects) {
  PaymentEntry& entry = payment_ref(now, call.call.order_id);
  if (call.purpose == Purpose::close) --entry.calls_in_flight;
  const bool settled_before = is_final(entry.payment.status);
  if (kind == CallKind::ok) {
    apply_channel_payment(now, entry, outcome.reply,
                          call.purpose == Purpose::close ? "close" : "poll");
  } else if (kind == CallKind::not_found && !settled_before) {
    const bool old = now - entry.payment.created_ns >= config.poller.unknown_fail_after_ns;
    if (call.purpose == Purpose::close_unknown ||
        (call.purpose == Purpose::close && entry.calls_in_flight == 0 && old)) {
      // The channel confirms, long after the last pay left, that it never saw the order.
      set_payment_status(now, entry, PaymentStatus::failed, "close", {}, "NOT_AT_CHANNEL");
    } else if (call.purpose == Purpose::poll_payment && old && entry.calls_in_flight == 0) {
      Call close;
      close.purpose = Purpose::close_unknown;
      close.channel = call.channel;
      close.call = ChannelCall{ChannelOp::close, entry.payment.payment_id, "", 0, "", ""};
      (void)start_call(now, std::move(close), effects);
    }
  }
  if (!is_final(entry.payment.status)) start_polling_payment(now, entry);
  if (call.request) reply_payment(effects, *call.request, entry);
  // The last close of a payment final before it: nothing of ours awaits it now.
  if (call.purpose == Purpose::close && settled_before && entry.calls_in_flight == 0) {
    retire_later(now, entry);
  }
}

void GatewayCore::State::apply_channel_refund(TimeNs now, RefundEntry& entry,
                                              const ChannelReply& reply, std::string_view cause) {
  if (!reply.refund || *reply.refund == RefundStatus::processing) return;
  if (is_final(entry.refund.status)) {
    if (entry.refund.status != *reply.refund) {
      add_review(now, entry.refund.refund_id, entry.channel, "final_state_conflict");
    }
    return;
  }
  set_refund_status(now, entry, *reply.refund, cause,
                    *reply.refund == RefundStatus::failed ? "CHANNEL_FAILED" : "");
}

void GatewayCore::State::on_refund_result(TimeNs now, Call& call, CallKind kind,
                                          const CallOutcome& outcome, Effects& effects) {
  RefundEntry& entry = refund_ref(now, call.call.refund_id);
  const bool first = call.purpose == Purpose::refund;
  if (!is_final(entry.refund.status)) {
    if (kind == CallKind::ok) {
      apply_channel_refund(now, entry, outcome.reply, first ? "refund_answer" : "poll");
    } else if (first && (kind == CallKind::not_sent || kind == CallKind::retryable ||
                         kind == CallKind::declined || kind == CallKind::rejected)) {
      // Nothing happened at the channel: the merchant may try again with a new refund id.
      set_refund_status(now, entry, RefundStatus::failed, "refund_answer",
                        kind == CallKind::declined || kind == CallKind::rejected
                            ? "CHANNEL_REJECTED:" + outcome.reply.code
                            : "CHANNEL_UNAVAILABLE");
    } else if (!first && kind == CallKind::not_found) {
      // The refund never reached the channel; refunds are idempotent by id, so send it again.
      Call again;
      again.purpose = Purpose::refund;
      again.channel = call.channel;
      again.call = call.call;
      again.call.op = ChannelOp::refund;
      again.call.amount_minor = entry.refund.amount_minor;
      again.call.currency = payment_ref(now, entry.refund.payment_id).payment.currency;
      (void)start_call(now, std::move(again), effects);
    }
  }
  if (!is_final(entry.refund.status)) start_polling_refund(now, entry);
  if (call.request) reply_refund(effects, *call.request, entry);
}

NotificationVerdict GatewayCore::on_notification(TimeNs now, std::string_view channel_name,
                                                 const NotificationParse& parse) {
  State& s = *state_;
  const auto channel = s.channel_index(channel_name);
  if (!channel) return {"unknown_channel", false};
  auto verdict = [&](std::string_view name, bool ack, std::string_view id) {
    s.metrics.record_notification(*channel, name);
    s.store.append(NotificationRecord{std::string(channel_name),
                                      parse.notification ? parse.notification->notify_id : "",
                                      std::string(id), now, std::string(name)});
    return NotificationVerdict{std::string(name), ack};
  };
  if (!parse.notification) return verdict("malformed", false, "");
  const ChannelNotification& n = *parse.notification;
  // The planted bug (gateway_config.hpp) skips this one check.
  if (!parse.verified && !s.config.planted_accept_forged_notifications) {
    return verdict("forged", false, n.order_id);
  }
  // Not ours to apply: unacknowledged, so the channel retries it (the refund's own
  // notify_url sends it to the right process), and the owning process polls meanwhile.
  if ((n.is_refund && s.config.role == Role::payments) ||
      (!n.is_refund && s.config.role == Role::refunds)) {
    return verdict("wrong_role", false, n.is_refund ? n.refund_id : n.order_id);
  }

  PaymentEntry* found = s.payment(now, n.order_id);
  if (found == nullptr || found->payment.channel != channel_name) {
    return verdict("unknown_order", true, n.order_id);  // ACK: retrying cannot make it known
  }
  PaymentEntry& entry = *found;
  if (n.amount_minor != entry.payment.amount_minor || n.currency != entry.payment.currency) {
    s.add_review(now, entry.payment.payment_id, channel_name, "notification_amount_mismatch");
    return verdict("mismatch", false, n.order_id);
  }
  if (n.is_refund) {
    RefundEntry* refund_found = s.refund(now, n.refund_id);
    if (refund_found == nullptr || refund_found->refund.payment_id != entry.payment.payment_id) {
      return verdict("unknown_order", true, n.refund_id);
    }
    RefundEntry& refund = *refund_found;
    if (n.refund_amount_minor != refund.refund.amount_minor) {
      s.add_review(now, refund.refund.refund_id, channel_name, "notification_amount_mismatch");
      return verdict("mismatch", false, n.refund_id);
    }
    if (is_final(refund.refund.status) || n.refund == RefundStatus::processing) {
      const bool conflict =
          is_final(refund.refund.status) && is_final(n.refund) && refund.refund.status != n.refund;
      if (conflict)
        s.add_review(now, refund.refund.refund_id, channel_name, "final_state_conflict");
      return verdict(conflict ? "conflict" : "duplicate", true, n.refund_id);
    }
    s.set_refund_status(now, refund, n.refund, "notification",
                        n.refund == RefundStatus::failed ? "CHANNEL_FAILED" : "");
    return verdict("applied", true, n.refund_id);
  }
  if (is_final(entry.payment.status) || n.payment == PaymentStatus::processing) {
    const bool conflict =
        is_final(entry.payment.status) && is_final(n.payment) && entry.payment.status != n.payment;
    if (conflict) s.add_review(now, entry.payment.payment_id, channel_name, "final_state_conflict");
    return verdict(conflict ? "conflict" : "duplicate", true, n.order_id);
  }
  s.set_payment_status(now, entry, n.payment, "notification", n.channel_txn_id,
                       n.payment == PaymentStatus::failed ? "DECLINED" : "");
  return verdict("applied", true, n.order_id);
}

}  // namespace fusebox::gateway
