// The recorder: per-second series, window histograms and the orders seen (a compact record
// each, order_store.hpp). Apart from the orders, memory is fixed by the channels and windows: per
// channel, one histogram per window (two), one for the run and a ring of ceil(timeout) + 2
// per-second histograms, reused as seconds close.

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "fusebox/harness/load.hpp"

#include "order_store.hpp"

namespace fusebox::harness {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return "ok";
    case Outcome::declined:
      return "declined";
    case Outcome::rejected:
      return "rejected";
    case Outcome::failed:
      return "failed";
    case Outcome::refused:
      return "refused";
    case Outcome::http_error:
      return "http_error";
    case Outcome::transport_error:
      return "transport_error";
    case Outcome::timeout:
      return "timeout";
  }
  return "?";
}

namespace {

constexpr std::int64_t kNoSecond = -1;

struct ChannelData {
  std::vector<SecondStats> seconds;
  std::vector<WindowStats> windows;
  Histogram run{latency_histogram_config()};
  std::vector<Histogram> ring;           // latencies of the seconds still open
  std::vector<std::int64_t> ring_owner;  // which second each slot holds, or kNoSecond
};

double ns_to_ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

struct Recorder::Impl {
  std::vector<std::string> channels;
  std::vector<WindowDecl> windows;
  std::map<std::string, std::size_t> index;  // "" -> 0
  std::vector<ChannelData> data;
  TimeNs timeout_ns = 0;
  TimeNs step_ns = kNsPerS;  // the width of one "second" of the series
  std::size_t closed = 0;    // seconds [0, closed) are frozen
  std::uint64_t planned = 0, sent = 0, late = 0;
  Histogram lateness{latency_histogram_config()};
  load::OrderStore seen;

  std::vector<IdempotencyBreach> breaches;

  [[nodiscard]] std::size_t second_of(TimeNs planned_ns) {
    const auto second = static_cast<std::size_t>(std::max<TimeNs>(planned_ns, 0) / step_ns);
    if (second >= data[0].seconds.size()) {
      for (ChannelData& channel : data)
        channel.seconds.resize(second + 1);
    }
    return second;
  }
  [[nodiscard]] bool in_window(std::size_t w, TimeNs planned_ns, Op op) const {
    const double t_s = to_s(planned_ns);
    const WindowDecl& decl = windows[w];
    return t_s >= decl.from_s && t_s < decl.to_s && (decl.op.empty() || decl.op == to_string(op));
  }
  void close_slot(ChannelData& channel, std::size_t slot) {
    const std::int64_t owner = channel.ring_owner[slot];
    if (owner == kNoSecond) return;
    Histogram& histogram = channel.ring[slot];
    SecondStats& stats = channel.seconds[static_cast<std::size_t>(owner)];
    const std::vector<double> percentiles{50.0, 99.0};
    const std::vector<std::int64_t> values = histogram.values_at_percentiles(percentiles);
    stats.p50_ms = ns_to_ms(values[0]);
    stats.p99_ms = ns_to_ms(values[1]);
    stats.max_ms = ns_to_ms(histogram.max());
    histogram.reset();
    channel.ring_owner[slot] = kNoSecond;
  }
  // Records a latency in its second's ring slot. A slot still held by an older second
  // closes that second first; an answer for a second whose slot moved on is too late for the
  // per-second percentiles (it still counts everywhere else).
  void record_second(ChannelData& channel, std::size_t second, TimeNs latency_ns) {
    const std::size_t slot = second % channel.ring.size();
    const auto owner = static_cast<std::int64_t>(second);
    if (channel.ring_owner[slot] != owner) {
      if (channel.ring_owner[slot] > owner || second < closed) return;
      close_slot(channel, slot);
      channel.ring_owner[slot] = owner;
    }
    channel.ring[slot].record(latency_ns);
  }
  void count_answer(ChannelData& channel, const Answer& answer, bool count_sent) {
    const std::size_t second = second_of(answer.planned_ns);
    const auto outcome = static_cast<std::size_t>(answer.outcome);
    const TimeNs latency_ns = std::max<TimeNs>(answer.done_ns - answer.planned_ns, 0);
    SecondStats& stats = channel.seconds[second];
    stats.outcomes[outcome] += 1;
    if (count_sent) stats.sent += 1;
    record_second(channel, second, latency_ns);
    channel.run.record(latency_ns);
    for (std::size_t w = 0; w < windows.size(); ++w) {
      if (!in_window(w, answer.planned_ns, answer.op)) continue;
      WindowStats& window = channel.windows[w];
      window.outcomes[outcome] += 1;
      if (count_sent) window.sent += 1;
      window.latency.record(latency_ns);
      if (answer.outcome == Outcome::rejected) window.rejected_latency.record(latency_ns);
    }
  }
  void close_through(std::size_t limit) {
    limit = std::min(limit, data[0].seconds.size());
    for (; closed < limit; ++closed) {
      for (ChannelData& channel : data) {
        const std::size_t slot = closed % channel.ring.size();
        if (channel.ring_owner[slot] == static_cast<std::int64_t>(closed))
          close_slot(channel, slot);
      }
    }
  }
};

Recorder::Recorder(std::vector<std::string> channels, std::vector<WindowDecl> windows,
                   double duration_s, double request_timeout_s, double step_s)
    : impl_(std::make_shared<Impl>()) {
  Impl& impl = *impl_;
  impl.step_ns = std::max<TimeNs>(static_cast<TimeNs>(std::llround(step_s * 1e9)), 1);
  impl.windows = std::move(windows);
  impl.timeout_ns = static_cast<TimeNs>(std::llround(std::max(request_timeout_s, 0.0) * 1e9));
  impl.index.emplace("", 0);
  for (std::string& channel : channels) {
    if (channel.empty() || impl.index.count(channel) != 0) continue;
    impl.index.emplace(channel, impl.index.size());
    impl.channels.push_back(std::move(channel));
  }
  const double step = static_cast<double>(impl.step_ns) / 1e9;
  const auto seconds = static_cast<std::size_t>(std::ceil(std::max(duration_s, 0.0) / step));
  const auto ring =
      static_cast<std::size_t>(std::ceil(std::max(request_timeout_s, 0.0) / step)) + 2;
  impl.data.resize(impl.index.size());
  for (ChannelData& channel : impl.data) {
    channel.seconds.resize(std::max<std::size_t>(seconds, 1));
    channel.windows.resize(impl.windows.size());
    channel.ring.assign(ring, Histogram(latency_histogram_config()));
    channel.ring_owner.assign(ring, kNoSecond);
  }
}

void Recorder::on_planned(const PlannedRequest& request) {
  Impl& impl = *impl_;
  impl.planned += 1;
  ChannelData& all = impl.data[0];
  all.seconds[impl.second_of(request.at_ns)].sent += 1;
  for (std::size_t w = 0; w < impl.windows.size(); ++w) {
    if (impl.in_window(w, request.at_ns, request.op)) all.windows[w].sent += 1;
  }
}

void Recorder::on_sent(const PlannedRequest& request, TimeNs sent_ns,
                       const std::string& /*channel: attributed when the answer comes*/) {
  impl_->sent += 1;
  impl_->lateness.record(std::max<TimeNs>(sent_ns - request.at_ns, 0));
}

void Recorder::on_answer(const Answer& answer) {
  Impl& impl = *impl_;
  impl.count_answer(impl.data[0], answer, false);
  if (answer.channel.empty()) return;
  const auto it = impl.index.find(answer.channel);
  if (it != impl.index.end()) impl.count_answer(impl.data[it->second], answer, true);
}

void Recorder::on_order_status(const std::string& merchant_order_id, const std::string& payment_id,
                               std::int64_t amount, const std::string& status) {
  impl_->seen.add(merchant_order_id, payment_id, amount, status);
}

void Recorder::on_idempotency_breach(IdempotencyBreach breach) {
  impl_->breaches.push_back(std::move(breach));
}

void Recorder::on_late(TimeNs /*lateness_ns: lateness() records every send in on_sent*/) {
  impl_->late += 1;
}

void Recorder::advance(TimeNs now_ns) {
  // Second s is closed once now > its end + the timeout: (s + 1) * step < now - timeout.
  const TimeNs horizon = now_ns - impl_->timeout_ns;
  impl_->close_through(horizon > 0 ? static_cast<std::size_t>((horizon - 1) / impl_->step_ns) : 0);
}

void Recorder::finish() { impl_->close_through(impl_->data[0].seconds.size()); }

const std::vector<std::string>& Recorder::channels() const { return impl_->channels; }

const std::vector<SecondStats>& Recorder::seconds(const std::string& channel) const {
  const auto it = impl_->index.find(channel);
  if (it == impl_->index.end()) throw std::out_of_range("no such channel: " + channel);
  return impl_->data[it->second].seconds;
}

const WindowStats& Recorder::window(std::size_t index, const std::string& channel) const {
  const auto it = impl_->index.find(channel);
  if (it == impl_->index.end()) throw std::out_of_range("no such channel: " + channel);
  return impl_->data[it->second].windows.at(index);
}

const Histogram& Recorder::run_latency(const std::string& channel) const {
  const auto it = impl_->index.find(channel);
  if (it == impl_->index.end()) throw std::out_of_range("no such channel: " + channel);
  return impl_->data[it->second].run;
}

std::vector<SeenOrder> Recorder::seen_orders() const {
  std::vector<SeenOrder> out;
  out.reserve(impl_->seen.size());
  impl_->seen.for_each([&out](const SeenOrder& order) { out.push_back(order); });
  return out;
}

const SeenSource& Recorder::seen_source() const { return impl_->seen; }

const std::vector<IdempotencyBreach>& Recorder::idempotency_breaches() const {
  return impl_->breaches;
}
std::uint64_t Recorder::planned() const { return impl_->planned; }
std::uint64_t Recorder::sent() const { return impl_->sent; }
std::uint64_t Recorder::late() const { return impl_->late; }
const Histogram& Recorder::lateness() const { return impl_->lateness; }

}  // namespace fusebox::harness
