#pragma once
// Test driver for one ChannelModel on the virtual clock: it delivers responses, fires the
// model's timers and plays a merchant that acknowledges notifications (or not).

#include <functional>
#include <optional>
#include <vector>

#include "fusebox/common/scheduler.hpp"
#include "fusebox/simulator/channel_model.hpp"

namespace fusebox::sim::testing {

struct Delivered {
  TimeNs at_ns;
  Notification notification;
};

class ModelDriver {
 public:
  explicit ModelDriver(ChannelModelConfig config, std::uint64_t seed = 1)
      : model_(std::move(config), seed) {}

  // Sends `request` now; returns the decision (the response leaves at respond_at_ns).
  Decision send(const Request& request) {
    Effects effects;
    Decision decision = model_.handle(scheduler_.now_ns(), request, effects);
    apply(effects);
    return decision;
  }
  Decision send_at(TimeNs at_ns, const Request& request) {
    scheduler_.run_until(at_ns);
    return send(request);
  }
  void run_until(TimeNs t_ns) { scheduler_.run_until(t_ns); }
  void run_until_idle() { scheduler_.run_until_idle(10'000'000); }

  // The merchant's answer to each notification attempt; acknowledges everything by default.
  std::function<bool(const Notification&)> merchant_acks = [](const Notification&) { return true; };

  ChannelModel& model() { return model_; }
  VirtualScheduler& scheduler() { return scheduler_; }
  const std::vector<Delivered>& delivered() const { return delivered_; }

 private:
  void apply(const Effects& effects) {
    for (const TimerRequest& timer : effects.timers) {
      const std::uint64_t token = timer.token;
      if (!scheduler_.schedule_at(timer.at_ns, [this, token] { fire(token); })) {
        throw std::runtime_error("test scheduler full");
      }
    }
    for (const Notification& n : effects.notifications)
      deliver(n);
  }
  void fire(std::uint64_t token) {
    Effects effects;
    model_.on_timer(scheduler_.now_ns(), token, effects);
    apply(effects);
  }
  void deliver(const Notification& n) {
    delivered_.push_back({scheduler_.now_ns(), n});
    if (n.forged) return;  // the merchant rejects it; the channel never hears back from it
    Effects effects;
    model_.on_notification_result(scheduler_.now_ns(), n.id, n.attempt, merchant_acks(n), effects);
    apply(effects);
  }

  VirtualScheduler scheduler_{1'000'000};
  ChannelModel model_;
  std::vector<Delivered> delivered_;
};

inline Request pay(std::string order_id, std::int64_t amount_minor = 1'000) {
  Request r;
  r.operation = Operation::pay;
  r.order_id = std::move(order_id);
  r.amount_minor = amount_minor;
  r.currency = "CNY";
  return r;
}

inline Request query(std::string order_id) {
  Request r;
  r.operation = Operation::query;
  r.order_id = std::move(order_id);
  return r;
}

inline Request refund(std::string order_id, std::string refund_id, std::int64_t amount_minor) {
  Request r;
  r.operation = Operation::refund;
  r.order_id = std::move(order_id);
  r.refund_id = std::move(refund_id);
  r.amount_minor = amount_minor;
  return r;
}

inline Fault fault(FaultKind kind, double p = 1.0) {
  Fault f;
  f.kind = kind;
  f.probability = p;
  return f;
}

// A wallet whose every user pays after exactly one second, with fixed 10 ms latencies.
inline ChannelModelConfig simple_wallet() {
  ChannelModelConfig config;
  config.name = "wallet";
  config.latency_ms.fill(Distribution::fixed(10));
  config.outcome.success_p = 1.0;
  config.outcome.decline_p = 0.0;
  config.outcome.pay_after_ms = Distribution::fixed(1'000);
  config.refund.success_p = 1.0;
  config.refund.complete_after_ms = Distribution::fixed(60'000);
  return config;
}

}  // namespace fusebox::sim::testing
