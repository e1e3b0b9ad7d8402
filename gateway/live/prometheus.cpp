// /metrics in the Prometheus text format: names prefixed fusebox_gateway_, base units
// (seconds), counters ending in _total, one label set per channel and operation.
#include <sstream>
#include <tuple>

#include "fusebox/gateway/routes.hpp"

namespace fusebox::gateway {
namespace {

constexpr std::array<ChannelOp, kChannelOpCount> kOps{
    ChannelOp::pay, ChannelOp::query, ChannelOp::refund, ChannelOp::refund_query, ChannelOp::close};

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void calls(std::ostringstream& out, const Metrics& metrics) {
  header(out, "fusebox_gateway_calls_total", "counter",
         "Calls to channels by outcome; breaker_rejected and bulkhead_rejected never left.");
  for (std::size_t c = 0; c < metrics.channels().size(); ++c) {
    for (ChannelOp op : kOps) {
      const OpCounters& counters = metrics.counters(c, op);
      for (std::size_t k = 0; k < kCallKindCount; ++k) {
        if (counters.calls[k] == 0) continue;
        out << "fusebox_gateway_calls_total{channel=\"" << metrics.channels()[c]
            << "\",operation=\"" << to_string(op) << "\",outcome=\""
            << to_string(static_cast<CallKind>(k)) << "\"} " << counters.calls[k] << '\n';
      }
    }
  }
}

void latencies(std::ostringstream& out, const Metrics& metrics) {
  header(out, "fusebox_gateway_call_duration_seconds", "histogram",
         "Latency of calls that left, from send to outcome.");
  for (std::size_t c = 0; c < metrics.channels().size(); ++c) {
    for (ChannelOp op : kOps) {
      const OpCounters& counters = metrics.counters(c, op);
      if (counters.latency_count == 0) continue;
      const std::string labels = "channel=\"" + metrics.channels()[c] + "\",operation=\"" +
                                 std::string(to_string(op)) + "\"";
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kLatencyBucketsMs.size(); ++b) {
        cumulative += counters.latency_buckets[b];
        out << "fusebox_gateway_call_duration_seconds_bucket{" << labels << ",le=\""
            << static_cast<double>(kLatencyBucketsMs[b]) / 1000.0 << "\"} " << cumulative << '\n';
      }
      out << "fusebox_gateway_call_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
          << counters.latency_count << '\n';
      out << "fusebox_gateway_call_duration_seconds_sum{" << labels << "} "
          << counters.latency_sum_s << '\n';
      out << "fusebox_gateway_call_duration_seconds_count{" << labels << "} "
          << counters.latency_count << '\n';
    }
  }
}

void channel_state(std::ostringstream& out, RouteContext& context) {
  const auto views = context.core().channels(context.now());
  header(out, "fusebox_gateway_breaker_state", "gauge",
         "1 for the breaker's current state (closed, open, half_open), per path.");
  for (const ChannelView& v : views) {
    for (const auto& [path, snapshot] :
         {std::pair{"payments", v.payments_breaker}, std::pair{"refunds", v.refunds_breaker}}) {
      for (BreakerState state :
           {BreakerState::closed, BreakerState::open, BreakerState::half_open}) {
        out << "fusebox_gateway_breaker_state{channel=\"" << v.name << "\",path=\"" << path
            << "\",state=\"" << to_string(state) << "\"} " << (snapshot.state == state ? 1 : 0)
            << '\n';
      }
    }
  }
  header(out, "fusebox_gateway_channel_enabled", "gauge", "The operator's switch: 1 on, 0 off.");
  for (const ChannelView& v : views) {
    out << "fusebox_gateway_channel_enabled{channel=\"" << v.name << "\"} " << (v.enabled ? 1 : 0)
        << '\n';
  }
  header(out, "fusebox_gateway_pending_orders", "gauge", "Payments still PROCESSING.");
  for (const ChannelView& v : views) {
    out << "fusebox_gateway_pending_orders{channel=\"" << v.name << "\"} " << v.pending_orders
        << '\n';
  }
  // Each metric family in one group, as the exposition format wants.
  for (const auto& [name, help, queued] :
       {std::tuple{"fusebox_gateway_in_flight", "Calls in flight per bulkhead.", false},
        std::tuple{"fusebox_gateway_queued", "Calls waiting for a bulkhead slot.", true}}) {
    header(out, name, "gauge", help);
    for (const ChannelView& v : views) {
      for (ChannelOp op : kOps) {
        const auto i = static_cast<std::size_t>(op);
        out << name << "{channel=\"" << v.name << "\",operation=\"" << to_string(op) << "\"} "
            << (queued ? v.queued[i] : v.in_flight[i]) << '\n';
      }
    }
  }
}

void notifications(std::ostringstream& out, const Metrics& metrics) {
  header(out, "fusebox_gateway_notifications_total", "counter",
         "Channel notifications received, by verdict.");
  for (std::size_t c = 0; c < metrics.channels().size(); ++c) {
    const NotificationCounters& n = metrics.notifications(c);
    for (const auto& [verdict, count] :
         {std::pair{"applied", n.applied}, std::pair{"duplicate", n.duplicate},
          std::pair{"forged", n.forged}, std::pair{"mismatch", n.mismatch},
          std::pair{"unknown_order", n.unknown_order}, std::pair{"malformed", n.malformed},
          std::pair{"conflict", n.conflict}, std::pair{"wrong_role", n.wrong_role}}) {
      out << "fusebox_gateway_notifications_total{channel=\"" << metrics.channels()[c]
          << "\",verdict=\"" << verdict << "\"} " << count << '\n';
    }
  }
}

void refund_rates(std::ostringstream& out, RouteContext& context) {
  const RefundRates rates = context.core().refund_rates(context.now());
  header(out, "fusebox_gateway_refund_success_ratio", "gauge",
         "Refunds succeeded within the window among those old enough to judge.");
  for (const auto& [window, w] :
       {std::pair{"same_day", rates.same_day}, std::pair{"next_day", rates.next_day},
        std::pair{"seven_day", rates.seven_day}}) {
    out << "fusebox_gateway_refund_success_ratio{window=\"" << window << "\"} " << w.rate() << '\n';
  }
  header(out, "fusebox_gateway_manual_review_orders", "gauge", "Orders waiting for a human.");
  out << "fusebox_gateway_manual_review_orders " << context.core().manual_review().size() << '\n';
  const Residency residency = context.core().residency();
  header(out, "fusebox_gateway_orders_in_memory", "gauge",
         "Orders the core holds in memory: every open one, final ones until retain_final_s.");
  out << "fusebox_gateway_orders_in_memory{kind=\"payment\"} " << residency.payments << '\n';
  out << "fusebox_gateway_orders_in_memory{kind=\"refund\"} " << residency.refunds << '\n';
  header(out, "fusebox_gateway_orders_evicted_total", "counter",
         "Final orders that left memory for the store (read back when asked for).");
  out << "fusebox_gateway_orders_evicted_total " << residency.evicted << '\n';
  header(out, "fusebox_gateway_order_store_reads_total", "counter",
         "Lookups of an order not in memory that went to the store: only ids that may have "
         "left memory do.");
  out << "fusebox_gateway_order_store_reads_total " << residency.store_reads << '\n';
}

void store(std::ostringstream& out, RouteContext& context) {
  const StoreStats stats = context.store_stats();
  header(out, "fusebox_gateway_store_queued", "gauge",
         "Writes accepted by the store and not yet durable (a full queue blocks the gateway).");
  out << "fusebox_gateway_store_queued " << stats.queued << '\n';
  header(out, "fusebox_gateway_store_writes_total", "counter", "Writes made durable.");
  out << "fusebox_gateway_store_writes_total " << stats.written << '\n';
  header(out, "fusebox_gateway_store_batches_total", "counter", "Transactions committed.");
  out << "fusebox_gateway_store_batches_total " << stats.batches << '\n';
  header(out, "fusebox_gateway_store_failures_total", "counter", "Batches that failed.");
  out << "fusebox_gateway_store_failures_total " << stats.failures << '\n';
}

}  // namespace

std::string render_prometheus(RouteContext& context) {
  std::ostringstream out;
  const Metrics& metrics = context.core().metrics();
  calls(out, metrics);
  latencies(out, metrics);
  channel_state(out, context);
  notifications(out, metrics);
  refund_rates(out, context);
  store(out, context);
  return out.str();
}

}  // namespace fusebox::gateway
