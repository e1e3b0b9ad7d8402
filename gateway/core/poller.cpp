// GatewayCore: the poller (orders still PROCESSING are queried on a back-off schedule within
// each channel's polling budget, paused while its breaker is open), queued calls that waited
// too long, the per-second alert evaluation, and reconciliation on demand.
#include <algorithm>
#include <limits>

#include "core_state.hpp"

namespace fusebox::gateway {
namespace {

constexpr TimeNs kSecondNs = 1'000'000'000;
constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max();

TimeNs step_delay(const PollerConfig& config, std::uint32_t step) {
  const auto& schedule = config.schedule_ns;
  return schedule[std::min<std::size_t>(step, schedule.size() - 1)];
}

}  // namespace

void GatewayCore::State::schedule_poll(TimeNs due, const std::string& id, bool is_refund) {
  polls.emplace(due, poll_sequence++, id, is_refund);
}

void GatewayCore::State::start_polling_payment(TimeNs now, PaymentEntry& entry) {
  if (entry.polling || is_final(entry.payment.status)) return;
  if (now - entry.payment.created_ns > config.poller.horizon_ns) {
    add_review(now, entry.payment.payment_id, entry.payment.channel, "poll_horizon");
    return;
  }
  entry.polling = true;
  schedule_poll(now + step_delay(config.poller, entry.poll_step++), entry.payment.payment_id,
                false);
}

void GatewayCore::State::start_polling_refund(TimeNs now, RefundEntry& entry) {
  if (entry.polling || is_final(entry.refund.status)) return;
  const auto channel = channel_index(entry.channel);
  if (!channel) return;
  if (now - entry.refund.created_ns > config.poller.horizon_ns) {
    add_review(now, entry.refund.refund_id, entry.channel, "poll_horizon");
    return;
  }
  entry.polling = true;
  schedule_poll(now + step_delay(config.poller, entry.poll_step++), entry.refund.refund_id, true);
}

bool GatewayCore::State::take_poll_budget(ChannelRuntime& channel, TimeNs now) {
  const std::int64_t second = now / kSecondNs;
  if (channel.poll_second != second) {
    channel.poll_second = second;
    channel.polls_this_second = 0;
  }
  if (channel.polls_this_second >= channel.settings.poll_per_second) return false;
  ++channel.polls_this_second;
  return true;
}

void GatewayCore::State::run_polls(TimeNs now, Effects& effects) {
  constexpr std::size_t kMaxPollsPerAdvance = 100'000;  // the rest wait for the next advance
  std::size_t issued = 0;
  while (!polls.empty() && std::get<0>(*polls.begin()) <= now && issued < kMaxPollsPerAdvance) {
    const auto [due, sequence, id, is_refund] = *polls.begin();
    polls.erase(polls.begin());
    // An order no longer in memory was final when it left: nothing to poll.
    PaymentEntry* payment = is_refund ? nullptr : payment_by_id.find(id);
    RefundEntry* refund = is_refund ? refund_by_id.find(id) : nullptr;
    if (payment == nullptr && refund == nullptr) continue;
    if (payment) payment->polling = false;
    if (refund) refund->polling = false;
    const bool final =
        payment ? is_final(payment->payment.status) : is_final(refund->refund.status);
    if (final) continue;
    const std::size_t channel =
        *channel_index(payment ? payment->payment.channel : refund->channel);
    // Paused while the breaker is open or the budget is spent: try again shortly, same step.
    if (!channel_open_for_traffic(channel, now) || !take_poll_budget(channels[channel], now)) {
      schedule_poll(std::max(now + kSecondNs / 10, (now / kSecondNs + 1) * kSecondNs), id,
                    is_refund);
      if (payment) payment->polling = true;
      if (refund) refund->polling = true;
      continue;
    }
    Call call;
    call.channel = channel;
    if (payment) {
      call.purpose = Purpose::poll_payment;
      call.call = ChannelCall{ChannelOp::query, id, "", 0, "", ""};
    } else {
      call.purpose = Purpose::poll_refund;
      call.call = ChannelCall{ChannelOp::refund_query, refund->refund.payment_id, id, 0, "", ""};
    }
    ++issued;
    if (const auto rejected = start_call(now, std::move(call), effects)) {
      metrics.record(now, channel, payment ? ChannelOp::query : ChannelOp::refund_query, *rejected,
                     0);
      // Same step again: a rejection is our own doing, not the channel's answer.
      if (payment) {
        --payment->poll_step;
        start_polling_payment(now, *payment);
      } else {
        --refund->poll_step;
        start_polling_refund(now, *refund);
      }
    }
  }
}

// A call that waited in a full bulkhead longer than its timeout never left: it ends as a
// bulkhead rejection, which for a pay means the next channel is safe to try.
void GatewayCore::State::expire_queued(TimeNs now, Effects& effects) {
  for (std::size_t channel = 0; channel < channels.size(); ++channel) {
    for (Lane& lane_ref : channels[channel].lanes) {
      Lane* lane = &lane_ref;
      while (!lane->queued.empty()) {
        const auto it = calls.find(lane->queued.front());
        if (it->second.created_ns + channels[channel].settings.timeout_ns > now) break;
        lane->queued.pop_front();
        Call call = std::move(it->second);
        calls.erase(it);
        breaker_of(channel, call.call.op).record(call.permit, CallResult::ignored, 0, now);
        metrics.record(now, channel, call.call.op, CallKind::bulkhead_rejected, 0);
        CallOutcome outcome;
        outcome.transport = Transport::not_sent;
        switch (call.purpose) {
          case Purpose::pay:
            on_pay_result(now, call, CallKind::bulkhead_rejected, outcome, effects);
            break;
          case Purpose::close:
          case Purpose::poll_payment:
          case Purpose::close_unknown:
            on_payment_status_result(now, call, CallKind::bulkhead_rejected, outcome, effects);
            break;
          case Purpose::refund:
          case Purpose::poll_refund:
            on_refund_result(now, call, CallKind::bulkhead_rejected, outcome, effects);
            break;
        }
      }
    }
  }
}

void GatewayCore::advance(TimeNs now, Effects& effects) {
  State& s = *state_;
  s.expire_queued(now, effects);
  s.run_polls(now, effects);
  s.evict_retired(now);
  (void)refund_rates(now);  // judges what is old enough, so judged refunds' marks can go
  std::vector<std::uint64_t> pending;
  for (const auto& channel : s.channels)
    pending.push_back(channel.pending);
  s.metrics.evaluate(now, pending);
}

TimeNs GatewayCore::next_wakeup() const {
  const State& s = *state_;
  TimeNs next = kNever;
  if (!s.polls.empty()) next = std::get<0>(*s.polls.begin());
  for (const auto& channel : s.channels) {
    for (const Lane& lane_ref : channel.lanes) {
      const Lane* lane = &lane_ref;
      if (lane->queued.empty()) continue;
      const Call& call = s.calls.at(lane->queued.front());
      next = std::min(next, call.created_ns + channel.settings.timeout_ns);
    }
  }
  return next;
}

std::size_t GatewayCore::reconcile_orders(TimeNs now, std::span<const std::string> payment_ids,
                                          Effects& effects) {
  State& s = *state_;
  std::size_t queued = 0;
  for (const std::string& id : payment_ids) {
    const PaymentEntry* entry = s.payment(now, id);
    if (entry == nullptr) continue;
    const auto channel = s.channel_index(entry->payment.channel);
    if (!channel) continue;  // never sent, or to a channel no longer configured
    Call call;
    call.purpose = Purpose::poll_payment;
    call.channel = *channel;
    call.call = ChannelCall{ChannelOp::query, id, "", 0, "", ""};
    if (!s.start_call(now, std::move(call), effects)) ++queued;
  }
  return queued;
}

std::size_t GatewayCore::reconcile_range(TimeNs now, TimeNs from_ns, TimeNs to_ns,
                                         Effects& effects) {
  std::vector<std::string> ids;
  for (const auto& [seq, entry] : state_->payments) {
    const Payment& p = entry->payment;
    if (!is_final(p.status) && p.created_ns >= from_ns && p.created_ns < to_ns) {
      ids.push_back(p.payment_id);
    }
  }
  return reconcile_orders(now, ids, effects);
}

ReconcileReport GatewayCore::reconcile_statement(TimeNs now, std::string_view channel,
                                                 std::span<const StatementRow> rows) {
  State& s = *state_;
  // Every order we have on the channel, in memory or not (the views read the store once
  // an order has left memory); a refund is on its payment's channel.
  const std::vector<Payment> ours = this->payments();
  const std::vector<Refund> our_refunds = this->refunds();
  std::vector<const Payment*> payments;
  std::set<std::string_view> on_channel;
  for (const Payment& payment : ours) {
    if (payment.channel != channel) continue;
    payments.push_back(&payment);
    on_channel.insert(payment.payment_id);
  }
  std::vector<const Refund*> refunds;
  for (const Refund& refund : our_refunds) {
    if (on_channel.contains(refund.payment_id)) refunds.push_back(&refund);
  }
  ReconcileReport report = reconcile(channel, ReconcileInput{payments, refunds, rows});
  for (const Difference& difference : report.differences) {
    if (difference.kind == DifferenceKind::fixed_succeeded) {
      PaymentEntry& entry = s.payment_ref(now, difference.id);
      s.set_payment_status(now, entry, PaymentStatus::succeeded, "reconciliation",
                           difference.detail);
    } else if (difference.kind == DifferenceKind::refund_fixed_succeeded) {
      s.set_refund_status(now, s.refund_ref(now, difference.id), RefundStatus::succeeded,
                          "reconciliation");
    } else {
      s.add_review(now, difference.id, channel, std::string(to_string(difference.kind)));
    }
  }
  return report;
}

}  // namespace fusebox::gateway
