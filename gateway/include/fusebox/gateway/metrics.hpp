#pragma once
// The gateway's monitoring, per channel and per operation: cumulative counters and latency
// buckets (what /metrics exposes), a per-second ring of the last minute (what alert rules
// read), and the alert events those rules raised and cleared. Pure: time comes in as `now`.

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/gateway/gateway_config.hpp"
#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

// What became of one call, from the gateway's side. `ok` and `declined` mean the channel
// worked; every other kind except the two rejections counts against it.
enum class CallKind : std::uint8_t {
  ok,
  declined,
  not_found,
  rejected,   // the channel refused the request (invalid, conflict, wrong state)
  retryable,  // system error, busy, 429, 503
  malformed,
  unverified,
  timeout,
  broken,
  not_sent,
  breaker_rejected,   // our breaker or switch: never left
  bulkhead_rejected,  // our bulkhead was full: never left
};
inline constexpr std::size_t kCallKindCount = 12;
[[nodiscard]] std::string_view to_string(CallKind kind);
[[nodiscard]] constexpr bool counts_as_success(CallKind kind) {
  return kind == CallKind::ok || kind == CallKind::declined || kind == CallKind::not_found ||
         kind == CallKind::rejected;
}
[[nodiscard]] constexpr bool is_rejection(CallKind kind) {
  return kind == CallKind::breaker_rejected || kind == CallKind::bulkhead_rejected;
}

// Upper bounds of the latency buckets, in ms (Prometheus `le`), and +Inf after them.
inline constexpr std::array<std::int64_t, 14> kLatencyBucketsMs{
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

struct OpCounters {
  std::array<std::uint64_t, kCallKindCount> calls{};
  std::array<std::uint64_t, kLatencyBucketsMs.size() + 1> latency_buckets{};
  std::uint64_t latency_count = 0;
  double latency_sum_s = 0;
};

struct AlertEvent {
  TimeNs at_ns = 0;
  std::string rule;
  std::string channel;
  bool firing = true;  // false: the condition cleared
  double value = 0;    // the success rate or pending count that decided it
};

struct NotificationCounters {
  std::uint64_t applied = 0, duplicate = 0, forged = 0, mismatch = 0, unknown_order = 0,
                malformed = 0, conflict = 0,
                wrong_role = 0;  // for the other process of a split deployment, not ACKed
};

class Metrics {
 public:
  static constexpr std::size_t kSeconds = 64;  // per-second history kept for alert windows
  static constexpr std::size_t kMaxAlertEvents = 4096;

  Metrics(std::vector<std::string> channels, std::vector<AlertRule> rules);

  void record(TimeNs now, std::size_t channel, ChannelOp op, CallKind kind, TimeNs latency_ns);
  void record_notification(std::size_t channel, std::string_view verdict);
  // Evaluates the alert rules for the seconds completed before `now`; `pending` is the
  // PROCESSING payments per channel.
  void evaluate(TimeNs now, const std::vector<std::uint64_t>& pending);

  [[nodiscard]] const std::vector<std::string>& channels() const { return channels_; }
  [[nodiscard]] const OpCounters& counters(std::size_t channel, ChannelOp op) const;
  [[nodiscard]] const NotificationCounters& notifications(std::size_t channel) const;
  [[nodiscard]] const std::deque<AlertEvent>& alert_events() const { return alert_events_; }
  [[nodiscard]] std::uint64_t alert_events_dropped() const { return alert_events_dropped_; }
  // Answered calls over all calls that left, in [now - window, now), whole seconds.
  [[nodiscard]] double success_rate(TimeNs now, std::size_t channel, TimeNs window_ns,
                                    std::uint64_t* calls = nullptr) const;

 private:
  struct Second {
    std::int64_t second = -1;
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
  };
  void push_alert(AlertEvent event);

  std::vector<std::string> channels_;
  std::vector<AlertRule> rules_;
  std::vector<std::array<OpCounters, kChannelOpCount>> counters_;
  std::vector<NotificationCounters> notifications_;
  std::vector<std::array<Second, kSeconds>> seconds_;
  std::vector<std::vector<bool>> firing_;  // [rule][channel]
  std::deque<AlertEvent> alert_events_;
  std::uint64_t alert_events_dropped_ = 0;
  std::int64_t evaluated_second_ = -1;
};

}  // namespace fusebox::gateway
