#include "observation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include <climits>

#include "fusebox/harness/runner.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;

constexpr std::size_t kProbeExamples = 5;
// A probe does not expect charges younger than this to have reached the gateway yet: the
// notification (or the answer) may still be on the wire.
constexpr double kProbeGraceS = 1.0;

std::string action_path(const TimelineAction& a) {
  switch (a.kind) {
    case TimelineAction::Kind::switch_off:
      return a.channel.empty() ? "methods/" + a.method + "/switch"
                               : "channels/" + a.channel + "/switch";
    case TimelineAction::Kind::force_open:
      return "channels/" + a.channel + "/breaker";
    case TimelineAction::Kind::reconcile:
      return "reconcile";
    case TimelineAction::Kind::reconcile_statement:
      return "channels/" + a.channel + "/reconcile-statement";
  }
  return "";
}

// Sums fusebox_gateway_calls_total per channel from the Prometheus text: every outcome but
// the two that never left (breaker_rejected, bulkhead_rejected), and the ok ones.
void add_call_counts(const std::string& text, GatewayTick& tick) {
  constexpr std::string_view kName = "fusebox_gateway_calls_total{";
  for (auto& [name, channel] : tick.channels) {
    channel.calls = 0;
    channel.calls_ok = 0;
  }
  std::size_t at = 0;
  while ((at = text.find(kName, at)) != std::string::npos) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line(text.data() + at,
                                (end == std::string::npos ? text.size() : end) - at);
    at += kName.size();
    const auto label = [&line](std::string_view key) {
      const std::size_t from = line.find(std::string(key) + "=\"");
      if (from == std::string_view::npos) return std::string_view();
      const std::size_t start = from + key.size() + 2;
      return line.substr(start, line.find('"', start) - start);
    };
    const auto it = tick.channels.find(std::string(label("channel")));
    if (it == tick.channels.end()) continue;
    const std::string_view outcome = label("outcome");
    if (outcome == "breaker_rejected" || outcome == "bulkhead_rejected") continue;
    const std::int64_t value = std::atoll(std::string(line.substr(line.rfind(' ') + 1)).c_str());
    it->second.calls += value;
    if (outcome == "ok") it->second.calls_ok += value;
  }
}

}  // namespace

Observer::Observer(const Scenario& scenario, const SimulatorApi& sim, const GatewayApi& gateway,
                   std::int64_t sim_origin_ms, const LoadStatus& load, std::ostream* status_line)
    : scenario_(scenario),
      sim_(sim),
      gateway_(gateway),
      sim_origin_ms_(sim_origin_ms),
      load_(load),
      status_line_(status_line) {
  for (const json& channel : gateway_.admin_get("channels")) {
    channel_method_[channel.value("name", "")] = channel.value("method", "");
  }
}

std::vector<TimelineEvent> Observer::events() {
  std::vector<TimelineEvent> events;
  add_fault_events(events);
  add_action_events(events);
  add_probe_events(events);
  const double step_s = timeline_step_s(scenario_);
  for (std::size_t point = 0; point < timeline_points(scenario_); ++point) {
    events.push_back({static_cast<double>(point) * step_s + 0.5, "observe the gateway",
                      [this, point] { observe(point); }});
  }
  return events;
}

void Observer::add_fault_events(std::vector<TimelineEvent>& events) {
  for (const TimelineFault& fault : scenario_.faults) {
    json body = fault.fault;
    if (fault.for_s) body["for_s"] = *fault.for_s;
    events.push_back({fault.at_s, "fault " + fault.name + " on " + fault.channel,
                      [this, body, channel = fault.channel]() mutable {
                        // The simulator counts at_s from its own start: "now" on its clock.
                        const std::int64_t now_ms = clock_.epoch_ms(clock_.now_s());
                        body["at_s"] = static_cast<double>(now_ms - sim_origin_ms_) / 1000.0;
                        (void)sim_.add_fault(channel, body);
                      }});
  }
}

void Observer::add_action_events(std::vector<TimelineEvent>& events) {
  for (const TimelineAction& action : scenario_.actions) {
    const std::string path = action_path(action);
    const bool reversible = action.kind == TimelineAction::Kind::switch_off ||
                            action.kind == TimelineAction::Kind::force_open;
    const json on = action.kind == TimelineAction::Kind::switch_off   ? json{{"enabled", false}}
                    : action.kind == TimelineAction::Kind::force_open ? json{{"force", "open"}}
                                                                      : json::object();
    const json off = action.kind == TimelineAction::Kind::switch_off ? json{{"enabled", true}}
                                                                     : json{{"force", "none"}};
    const bool switch_off = action.kind == TimelineAction::Kind::switch_off;
    events.push_back({action.at_s, "action " + action.name, [this, action, path, on, switch_off] {
                        json body = on;
                        if (action.kind == TimelineAction::Kind::reconcile) {
                          body = {{"from_ms", clock_.start_epoch_ms - 60'000},
                                  {"to_ms", clock_.epoch_ms(clock_.now_s())}};
                        }
                        (void)gateway_.admin_post(path, body);
                        if (!switch_off) return;
                        std::lock_guard lock(mutex_);
                        for (const auto& [channel, method] : channel_method_) {
                          if (action.channel == channel ||
                              (action.channel.empty() && action.method == method)) {
                            switched_off_.push_back({channel, "switched_off",
                                                     clock_.epoch_ms(clock_.now_s()), LLONG_MAX});
                          }
                        }
                      }});
    if (!reversible || !action.for_s) continue;
    events.push_back({action.at_s + *action.for_s, "end of action " + action.name,
                      [this, path, off, switch_off] {
                        // Read before the switch flips: payments may reach the channel
                        // before the admin answer reaches us.
                        const std::int64_t now = clock_.epoch_ms(clock_.now_s());
                        (void)gateway_.admin_post(path, off);
                        if (!switch_off) return;
                        std::lock_guard lock(mutex_);
                        for (ClosedSpan& span : switched_off_)
                          span.to_ms = std::min(span.to_ms, now);
                      }});
  }
}

void Observer::add_probe_events(std::vector<TimelineEvent>& events) {
  for (std::size_t i = 0; i < scenario_.assertions.size(); ++i) {
    const Assertion& a = scenario_.assertions[i];
    if (a.kind != Assertion::Kind::settled) continue;
    double end_s = scenario_.duration_s;
    for (const TimelineFault& f : scenario_.faults) {
      if (f.name == a.fault) end_s = f.for_s ? f.at_s + *f.for_s : scenario_.duration_s;
    }
    for (const TimelineAction& act : scenario_.actions) {
      if (act.name == a.fault) end_s = act.for_s ? act.at_s + *act.for_s : scenario_.duration_s;
    }
    const double at_s = end_s + a.within_s;
    SettleProbe planned;
    planned.assertion = i;
    planned.t_s = at_s;
    const std::size_t index = probes_.size();
    probes_.push_back(planned);
    if (at_s > scenario_.duration_s + scenario_.settle_s) continue;  // never taken
    events.push_back(
        {at_s, "settle probe for " + a.name, [this, index, end_s] { probe(index, end_s); }});
  }
}

void Observer::probe(std::size_t index, double fault_end_s) {
  const double now_s = clock_.now_s();
  CheckInput input = books(clock_.epoch_ms(std::min(fault_end_s, now_s - kProbeGraceS)));
  input.seen.clear();
  input.idempotency_breaches.clear();
  input.closed_spans.clear();
  const CheckReport report = check_invariants(input);
  std::lock_guard lock(mutex_);
  SettleProbe& probe = probes_[index];
  probe.taken = true;
  probe.t_s = now_s;
  for (const Violation& v : report.violations) {
    if (v.invariant != "no_lost_payment") continue;
    ++probe.unsettled;
    if (probe.examples.size() < kProbeExamples) probe.examples.push_back(v.order_id);
  }
}

void Observer::observe(std::size_t second) {
  GatewayTick tick;
  tick.t_s = clock_.now_s();
  for (const json& channel : gateway_.admin_get("channels")) {
    GatewayTick::Channel c;
    const json& breaker = channel.at("breaker");
    c.breaker = breaker.value("state", "");
    c.rejected = breaker.value("rejected", std::int64_t{0});
    c.pending = channel.value("pending_orders", std::int64_t{0});
    c.enabled = channel.value("enabled", true);
    tick.channels[channel.value("name", "")] = c;
  }
  add_call_counts(gateway_.metrics_text(), tick);
  if (status_line_) print_status(tick);
  std::lock_guard lock(mutex_);
  ticks_[second] = std::move(tick);
}

void Observer::print_status(const GatewayTick& tick) {
  const std::uint64_t answered = load_.answered.load();
  const std::uint64_t tps = answered - last_answered_;
  last_answered_ = answered;
  const double ok =
      answered == 0 ? 0.0
                    : 100.0 * static_cast<double>(load_.ok.load()) / static_cast<double>(answered);
  std::string breakers;
  std::int64_t pending = 0;
  for (const auto& [name, c] : tick.channels) {
    pending += c.pending;
    if (!c.enabled)
      breakers += " " + name + ":off";
    else if (c.breaker != "closed")
      breakers += " " + name + ":" + c.breaker;
  }
  char line[256];
  std::snprintf(
      line, sizeof line, "\r%s %5.0f/%.0f s  %6llu tps  ok %5.1f%%  p99 %7.1f ms  pending %lld%s",
      scenario_.name.c_str(), tick.t_s, scenario_.duration_s + scenario_.settle_s,
      static_cast<unsigned long long>(tps), ok, load_.last_second_p99_ms.load(),
      static_cast<long long>(pending), breakers.empty() ? "  breakers closed" : breakers.c_str());
  *status_line_ << line << "\033[K" << std::flush;
}

void Observer::end_status_line() {
  if (status_line_) *status_line_ << "\r\033[K" << std::flush;
}

CheckInput Observer::books(std::int64_t settled_by_ms, bool last) {
  CheckInput input;
  input.payments = gateway_.payments();
  input.refunds = gateway_.refunds();
  if (last) gateway_.final_books_read();
  // Every channel's rows first, then one vector of the right size: growing it channel by
  // channel would copy (and fault in) most rows twice.
  std::vector<std::vector<LedgerRow>> per_channel;
  std::size_t total = 0;
  for (const std::string& channel : scenario_.channel_names()) {
    per_channel.push_back(sim_.ledger_rows(channel, sim_origin_ms_));
    total += per_channel.back().size();
    if (last) sim_.final_ledger_read(channel);
  }
  input.ledger.reserve(total);
  for (std::vector<LedgerRow>& rows : per_channel) {
    input.ledger.insert(input.ledger.end(), std::make_move_iterator(rows.begin()),
                        std::make_move_iterator(rows.end()));
    std::vector<LedgerRow>().swap(rows);  // give its memory back before the next is moved
  }
  input.settled_by_ms = settled_by_ms;
  return input;
}

void Observer::fetch_events() {
  std::vector<BreakerTransition> events;
  for (const json& e : gateway_.admin_get("breaker-events")) {
    events.push_back({e.value("channel", ""), e.value("path", ""), e.value("from", ""),
                      e.value("to", ""), e.value("reason", ""),
                      clock_.t_s(e.value("at_ms", std::int64_t{0}))});
  }
  std::vector<AlertSeen> alerts;
  for (const json& a : gateway_.admin_get("alerts")) {
    alerts.push_back({a.value("rule", ""), a.value("channel", ""), a.value("firing", false),
                      a.value("value", 0.0), clock_.t_s(a.value("at_ms", std::int64_t{0}))});
  }
  RefundRatesSeen rates;
  rates.taken = true;
  const json refund_rates = gateway_.admin_get("refund-rates");  // kept: items() refers to it
  for (const auto& [name, window] : refund_rates.items()) {
    rates.windows[name] = {window.value("judged", std::uint64_t{0}),
                           window.value("succeeded", std::uint64_t{0})};
  }
  std::lock_guard lock(mutex_);
  breaker_events_ = std::move(events);
  alerts_ = std::move(alerts);
  refund_rates_ = std::move(rates);
}

std::vector<ClosedSpan> Observer::closed_spans(std::int64_t now_ms) const {
  std::vector<ClosedSpan> spans;
  for (ClosedSpan span : switched_off_) {
    span.to_ms = std::min(span.to_ms, now_ms);
    spans.push_back(span);
  }
  // A payments breaker is closed to new payments from its "open" event until it leaves open.
  std::map<std::string, std::int64_t> opened;
  for (const BreakerTransition& e : breaker_events_) {
    if (e.path != "payments") continue;
    const std::int64_t at = clock_.epoch_ms(e.t_s);
    if (e.to == "open") opened[e.channel] = at;
    if (e.from == "open" && opened.count(e.channel)) {
      spans.push_back({e.channel, "breaker_open", opened[e.channel], at});
      opened.erase(e.channel);
    }
  }
  for (const auto& [channel, from] : opened)
    spans.push_back({channel, "breaker_open", from, now_ms});
  return spans;
}

CheckReport Observer::final_check(const Recorder& recorder, std::int64_t settled_by_ms) {
  fetch_events();
  CheckInput input = books(settled_by_ms, true);
  input.seen_source = &recorder.seen_source();
  input.idempotency_breaches = recorder.idempotency_breaches();
  std::lock_guard lock(mutex_);
  input.closed_spans = closed_spans(clock_.epoch_ms(clock_.now_s()));
  return check_invariants(input);
}

std::vector<BreakerTransition> Observer::breaker_events() const {
  std::lock_guard lock(mutex_);
  return breaker_events_;
}

std::vector<AlertSeen> Observer::alerts() const {
  std::lock_guard lock(mutex_);
  return alerts_;
}

RefundRatesSeen Observer::refund_rates() const {
  std::lock_guard lock(mutex_);
  return refund_rates_;
}

std::vector<SettleProbe> Observer::probes() const {
  std::lock_guard lock(mutex_);
  return probes_;
}

std::vector<GatewayTick> Observer::ticks(std::size_t seconds) const {
  std::lock_guard lock(mutex_);
  std::vector<GatewayTick> out(seconds);
  for (const auto& [second, tick] : ticks_) {
    if (second < seconds) out[second] = tick;
  }
  return out;
}

void Observer::clear_faults() const {
  for (const std::string& channel : scenario_.channel_names())
    sim_.clear_faults(channel);
}

void judge_run(const Scenario& s, const Recorder& recorder, Observer& observer,
               const RunClock& clock, RunRecord& record, CheckReport& report) {
  Observation observation;
  observation.scenario = &s;
  observation.recorder = &recorder;
  try {
    report = observer.final_check(recorder, clock.epoch_ms(s.duration_s));
  } catch (const RunError& e) {
    record.problems.push_back(std::string("could not read the books at the end: ") + e.what());
  }
  observation.checker = &report;
  observation.breaker_events = observer.breaker_events();
  observation.alerts = observer.alerts();
  observation.probes = observer.probes();
  observation.refund_rates = observer.refund_rates();
  record.ticks = observer.ticks(timeline_points(s));
  record.breaker_events = observation.breaker_events;
  record.alerts = observation.alerts;
  record.refund_rates = observation.refund_rates;
  record.checker = &report;
  record.assertions = evaluate(observation);
}

}  // namespace fusebox::harness
