// The channel's notification engine: each final payment or refund is announced to the
// merchant, and an unacknowledged attempt is retried on the channel's schedule until the
// exact ACK comes back or the schedule runs out. Notification faults act here.
#include <cassert>

#include "fusebox/simulator/channel_model.hpp"

#include "timer_token.hpp"

namespace fusebox::sim {

using detail::make_token;
using detail::TimerKind;

void ChannelModel::notify(TimeNs now_ns, NotificationKind kind, std::size_t index,
                          Effects& effects) {
  if (!config_.notify.enabled) return;
  const std::size_t id = notifications_.size();
  PendingNotification& pending = notifications_.emplace_back();
  pending.kind = kind;
  pending.index = index;
  ++counters_.notifications_created;
  const NotificationFaults faults = faults_.for_notification(now_ns, notify_rng_);
  if (faults.lost) {  // the channel's notify system dropped it: no attempt will ever leave
    pending.done = true;
    ++counters_.notifications_lost;
    return;
  }
  pending.forged_copy = faults.forged_copy;
  pending.unknown_order_copy = faults.unknown_order_copy;
  effects.timers.push_back(
      {now_ns + faults.delay_ns, make_token(TimerKind::notification_attempt, id)});
  if (faults.replay_after_ns) {
    effects.timers.push_back({now_ns + faults.delay_ns + *faults.replay_after_ns,
                              make_token(TimerKind::notification_replay, id)});
  }
}

Notification ChannelModel::build(std::size_t id) const {
  const PendingNotification& pending = notifications_[id];
  Notification out;
  out.id = id + 1;
  out.attempt = pending.attempt;
  out.kind = pending.kind;
  if (pending.kind == NotificationKind::payment) {
    out.payment = view_of(orders_[pending.index]);
  } else {
    const Refund& refund = refunds_[pending.index];
    out.refund = view_of(refund);
    out.payment = view_of(orders_[refund.order]);
  }
  return out;
}

void ChannelModel::send_attempt(TimeNs now_ns, std::size_t id, Effects& effects) {
  assert(id < notifications_.size());
  PendingNotification& pending = notifications_[id];
  if (pending.done) return;
  ++pending.attempt;
  const NotificationFaults faults = faults_.for_notification(now_ns, notify_rng_);
  if (faults.attempt_lost) {  // vanished in transit: no ACK will come, so retry on schedule
    ++counters_.notification_attempts_lost;
    schedule_retry(now_ns, id, effects);
    return;
  }
  const Notification notification = build(id);
  // A forger claims what pays them, ahead of the channel's own word: the payment paid (and
  // the refund succeeded) whatever really happened. Applied, it would mark a declined order
  // SUCCEEDED that no channel charged.
  if (pending.attempt == 1 && pending.forged_copy) {
    Notification forged = notification;
    forged.forged = true;
    forged.payment.state = PaymentState::paid;
    forged.payment.channel_txn_id = "forged-" + std::to_string(notification.id);
    if (forged.kind == NotificationKind::refund) forged.refund.state = RefundState::succeeded;
    effects.notifications.push_back(forged);
    ++counters_.forged_notifications;
  }
  effects.notifications.push_back(notification);
  ++counters_.notification_attempts;
  if (faults.duplicated) {
    effects.notifications.push_back(notification);
    ++counters_.notification_attempts;
  }
  if (pending.attempt == 1 && pending.unknown_order_copy) {
    Notification stray = notification;
    stray.payment.order_id = "unknown-" + std::to_string(notification.id);
    stray.refund.order_id = stray.payment.order_id;
    effects.notifications.push_back(stray);
  }
}

void ChannelModel::on_notification_result(TimeNs now_ns, std::uint64_t notification_id, int attempt,
                                          bool acked, Effects& effects) {
  if (notification_id == 0 || notification_id > notifications_.size()) return;
  const std::size_t id = notification_id - 1;
  PendingNotification& pending = notifications_[id];
  if (pending.done) return;
  if (acked) {
    pending.done = true;
    ++counters_.notifications_acked;
    return;
  }
  // Only the result of the newest attempt moves the schedule: a duplicate's or a stale
  // attempt's failure must not start a second retry chain.
  if (attempt != pending.attempt) return;
  schedule_retry(now_ns, id, effects);
}

void ChannelModel::schedule_retry(TimeNs now_ns, std::size_t id, Effects& effects) {
  PendingNotification& pending = notifications_[id];
  const auto retries = config_.notify.retry_after_ns.size();
  if (static_cast<std::size_t>(pending.attempt) > retries) {
    pending.done = true;
    ++counters_.notifications_given_up;
    return;
  }
  const TimeNs delay_ns =
      config_.notify.retry_after_ns[static_cast<std::size_t>(pending.attempt) - 1];
  effects.timers.push_back({now_ns + delay_ns, make_token(TimerKind::notification_attempt, id)});
}

// A delivered notification sent once more, long after: a merchant must treat it as a no-op.
void ChannelModel::replay(std::size_t id, Effects& effects) {
  if (notifications_[id].attempt == 0) return;  // never delivered: nothing to replay
  effects.notifications.push_back(build(id));
  ++counters_.notification_attempts;
}

}  // namespace fusebox::sim
