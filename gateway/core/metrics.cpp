#include "fusebox/gateway/metrics.hpp"

#include <array>
#include <cassert>

namespace fusebox::gateway {
namespace {

constexpr std::array<std::string_view, kCallKindCount> kCallKindNames{
    "ok",         "declined", "not_found", "rejected", "retryable",        "malformed",
    "unverified", "timeout",  "broken",    "not_sent", "breaker_rejected", "bulkhead_rejected"};

constexpr TimeNs kSecondNs = 1'000'000'000;

std::size_t bucket_of(TimeNs latency_ns) {
  std::size_t bucket = 0;
  while (bucket < kLatencyBucketsMs.size() && latency_ns > kLatencyBucketsMs[bucket] * 1'000'000) {
    ++bucket;
  }
  return bucket;
}

}  // namespace

std::string_view to_string(CallKind kind) {
  return kCallKindNames.at(static_cast<std::size_t>(kind));
}

Metrics::Metrics(std::vector<std::string> channels, std::vector<AlertRule> rules)
    : channels_(std::move(channels)),
      rules_(std::move(rules)),
      counters_(channels_.size()),
      notifications_(channels_.size()),
      seconds_(channels_.size()),
      firing_(rules_.size(), std::vector<bool>(channels_.size(), false)) {}

void Metrics::record(TimeNs now, std::size_t channel, ChannelOp op, CallKind kind,
                     TimeNs latency_ns) {
  assert(channel < channels_.size());
  OpCounters& counters = counters_[channel][static_cast<std::size_t>(op)];
  ++counters.calls[static_cast<std::size_t>(kind)];
  if (is_rejection(kind)) return;  // never left: no latency, no verdict on the channel
  ++counters.latency_buckets[bucket_of(latency_ns)];
  ++counters.latency_count;
  counters.latency_sum_s += static_cast<double>(latency_ns) / 1e9;

  const std::int64_t second = now / kSecondNs;
  Second& slot = seconds_[channel][static_cast<std::size_t>(second) % kSeconds];
  if (slot.second != second) slot = Second{second, 0, 0};
  ++(counts_as_success(kind) ? slot.ok : slot.failed);
}

void Metrics::record_notification(std::size_t channel, std::string_view verdict) {
  NotificationCounters& n = notifications_.at(channel);
  if (verdict == "applied")
    ++n.applied;
  else if (verdict == "duplicate")
    ++n.duplicate;
  else if (verdict == "forged")
    ++n.forged;
  else if (verdict == "mismatch")
    ++n.mismatch;
  else if (verdict == "unknown_order")
    ++n.unknown_order;
  else if (verdict == "conflict")
    ++n.conflict;
  else if (verdict == "wrong_role")
    ++n.wrong_role;
  else
    ++n.malformed;
}

const OpCounters& Metrics::counters(std::size_t channel, ChannelOp op) const {
  return counters_.at(channel)[static_cast<std::size_t>(op)];
}

const NotificationCounters& Metrics::notifications(std::size_t channel) const {
  return notifications_.at(channel);
}

double Metrics::success_rate(TimeNs now, std::size_t channel, TimeNs window_ns,
                             std::uint64_t* calls) const {
  const std::int64_t last = now / kSecondNs - 1;  // the last whole second
  const std::int64_t count = std::min<std::int64_t>(window_ns / kSecondNs, kSeconds - 1);
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  for (std::int64_t second = last - count + 1; second <= last; ++second) {
    if (second < 0) continue;
    const Second& slot = seconds_[channel][static_cast<std::size_t>(second) % kSeconds];
    if (slot.second != second) continue;
    ok += slot.ok;
    failed += slot.failed;
  }
  if (calls != nullptr) *calls = ok + failed;
  return ok + failed == 0 ? 1.0 : static_cast<double>(ok) / static_cast<double>(ok + failed);
}

void Metrics::evaluate(TimeNs now, const std::vector<std::uint64_t>& pending) {
  const std::int64_t second = now / kSecondNs;
  if (second == evaluated_second_) return;  // rules are judged once per whole second
  evaluated_second_ = second;
  for (std::size_t r = 0; r < rules_.size(); ++r) {
    const AlertRule& rule = rules_[r];
    for (std::size_t c = 0; c < channels_.size(); ++c) {
      if (!rule.channel.empty() && rule.channel != channels_[c]) continue;
      double value = 0;
      bool condition = false;
      if (rule.kind == AlertRule::Kind::success_rate_below) {
        std::uint64_t calls = 0;
        value = success_rate(now, c, rule.window_ns, &calls);
        condition = calls >= rule.min_requests && value < rule.threshold;
      } else {
        value = static_cast<double>(pending.at(c));
        condition = value > rule.threshold;
      }
      if (condition == firing_[r][c]) continue;
      firing_[r][c] = condition;
      push_alert(AlertEvent{now, rule.name, channels_[c], condition, value});
    }
  }
}

void Metrics::push_alert(AlertEvent event) {
  if (alert_events_.size() == kMaxAlertEvents) {
    alert_events_.pop_front();
    ++alert_events_dropped_;
  }
  alert_events_.push_back(std::move(event));
}

}  // namespace fusebox::gateway
