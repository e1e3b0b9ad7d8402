#include "result_builder.hpp"

#include <cmath>

#include "fusebox/reports/reports.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;

std::uint64_t count(const SecondStats& s, Outcome o) {
  return s.outcomes[static_cast<std::size_t>(o)];
}

// Requests the system had to handle: every outcome but the refusals the load expects.
std::uint64_t judged(const std::array<std::uint64_t, kOutcomeCount>& outcomes) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    if (static_cast<Outcome>(i) != Outcome::refused) total += outcomes[i];
  }
  return total;
}

std::uint64_t errors(const std::array<std::uint64_t, kOutcomeCount>& outcomes) {
  return outcomes[static_cast<std::size_t>(Outcome::http_error)] +
         outcomes[static_cast<std::size_t>(Outcome::transport_error)] +
         outcomes[static_cast<std::size_t>(Outcome::timeout)];
}

json rounded(double value, double unit = 1000.0) { return std::round(value * unit) / unit; }

json ms_of(const Histogram& h, double percentile) {
  if (h.count() == 0) return nullptr;
  return rounded(static_cast<double>(h.value_at_percentile(percentile)) / 1e6);
}

json latency_json(const Histogram& h) {
  return {{"count", h.count()},
          {"p50", ms_of(h, 50)},
          {"p90", ms_of(h, 90)},
          {"p99", ms_of(h, 99)},
          {"p999", ms_of(h, 99.9)},
          {"max", h.count() == 0 ? json(nullptr) : rounded(static_cast<double>(h.max()) / 1e6)}};
}

// One channel's per-second series ("" = the whole load) over `seconds` seconds.
json series_json(const RunRecord& r, const std::string& channel, std::size_t seconds) {
  const auto& stats = r.recorder->seconds(channel);
  json sent = json::array(), ok = json::array(), declined = json::array(), rejected = json::array(),
       failed = json::array(), errs = json::array(), p50 = json::array(), p99 = json::array(),
       rate = json::array();
  for (std::size_t i = 0; i < seconds; ++i) {
    if (i >= stats.size()) {
      for (json* s : {&sent, &ok, &declined, &rejected, &failed, &errs, &p50, &p99, &rate})
        s->push_back(nullptr);
      continue;
    }
    const SecondStats& s = stats[i];
    sent.push_back(s.sent);
    ok.push_back(count(s, Outcome::ok));
    declined.push_back(count(s, Outcome::declined));
    rejected.push_back(count(s, Outcome::rejected));
    failed.push_back(count(s, Outcome::failed));
    errs.push_back(errors(s.outcomes));
    const std::uint64_t all = judged(s.outcomes);
    const bool answered = all > 0;
    p50.push_back(answered ? rounded(s.p50_ms) : json(nullptr));
    p99.push_back(answered ? rounded(s.p99_ms) : json(nullptr));
    rate.push_back(answered ? rounded(static_cast<double>(count(s, Outcome::ok) +
                                                          count(s, Outcome::declined)) /
                                          static_cast<double>(all),
                                      10000.0)
                            : json(nullptr));
  }
  return {{"sent", sent},         {"ok", ok},         {"declined", declined},
          {"rejected", rejected}, {"failed", failed}, {"errors", errs},
          {"p50_ms", p50},        {"p99_ms", p99},    {"success_rate", rate}};
}

json timeline_json(const RunRecord& r) {
  const std::size_t seconds = timeline_points(*r.scenario);
  const double step_s = timeline_step_s(*r.scenario);
  json t = json::array();
  for (std::size_t i = 0; i < seconds; ++i)
    t.push_back(static_cast<double>(i) * step_s);
  json channels = json::object();
  for (const std::string& name : r.recorder->channels()) {
    json series = series_json(r, name, seconds);
    json breaker = json::array(), pending = json::array(), calls = json::array(),
         calls_ok = json::array();
    const GatewayTick::Channel* before = nullptr;  // the previous point's, for the deltas
    for (std::size_t i = 0; i < seconds; ++i) {
      const GatewayTick* tick = i < r.ticks.size() ? &r.ticks[i] : nullptr;
      const auto it = tick ? tick->channels.find(name) : decltype(tick->channels.end()){};
      if (!tick || it == tick->channels.end()) {
        for (json* s : {&breaker, &pending, &calls, &calls_ok})
          s->push_back(nullptr);
        before = nullptr;
        continue;
      }
      const GatewayTick::Channel& now = it->second;
      breaker.push_back(now.enabled ? now.breaker : std::string("switched_off"));
      pending.push_back(now.pending);
      // A delta needs the previous point (the first one counts from zero).
      const bool counted = now.calls >= 0 && (i == 0 || (before != nullptr && before->calls >= 0));
      calls.push_back(counted ? json(now.calls - (before ? before->calls : 0)) : json(nullptr));
      calls_ok.push_back(counted ? json(now.calls_ok - (before ? before->calls_ok : 0))
                                 : json(nullptr));
      before = &now;
    }
    series["breaker"] = breaker;
    series["pending"] = pending;
    series["gateway_calls"] = calls;
    series["gateway_ok"] = calls_ok;
    channels[name] = series;
  }
  return {{"t_s", t},
          {"step_s", step_s},
          {"overall", series_json(r, "", seconds)},
          {"channels", channels}};
}

json channel_summary(const RunRecord& r, const std::string& name) {
  std::array<std::uint64_t, kOutcomeCount> totals{};
  std::uint64_t sent = 0;
  for (const SecondStats& s : r.recorder->seconds(name)) {
    sent += s.sent;
    for (std::size_t i = 0; i < kOutcomeCount; ++i)
      totals[i] += s.outcomes[i];
  }
  const std::uint64_t all = judged(totals);
  const auto of = [&](Outcome o) { return totals[static_cast<std::size_t>(o)]; };
  std::size_t trips = 0;
  for (const BreakerTransition& e : r.breaker_events) {
    if (e.channel == name && e.path == "payments" && e.to == "open") ++trips;
  }
  return {{"requests", sent},
          {"ok", of(Outcome::ok)},
          {"declined", of(Outcome::declined)},
          {"rejected", of(Outcome::rejected)},
          {"failed", of(Outcome::failed)},
          {"refused", of(Outcome::refused)},
          {"errors", errors(totals)},
          {"timeouts", of(Outcome::timeout)},
          {"success_rate",
           all == 0 ? json(nullptr)
                    : rounded(static_cast<double>(of(Outcome::ok) + of(Outcome::declined)) /
                                  static_cast<double>(all),
                              10000.0)},
          {"latency_ms", latency_json(r.recorder->run_latency(name))},
          {"breaker_trips", trips}};
}

json load_json(const RunRecord& r) {
  std::array<std::uint64_t, kOutcomeCount> totals{};
  for (const SecondStats& s : r.recorder->seconds("")) {
    for (std::size_t i = 0; i < kOutcomeCount; ++i)
      totals[i] += s.outcomes[i];
  }
  const std::uint64_t answered = judged(totals) +
                                 totals[static_cast<std::size_t>(Outcome::refused)] -
                                 totals[static_cast<std::size_t>(Outcome::timeout)];
  json outcomes = json::object();
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    outcomes[std::string(to_string(static_cast<Outcome>(i)))] = totals[i];
  }
  const double duration = r.scenario->duration_s;
  return {{"planned", r.recorder->planned()},
          {"sent", r.recorder->sent()},
          {"late", r.recorder->late()},
          {"answered", answered},
          {"timeouts", totals[static_cast<std::size_t>(Outcome::timeout)]},
          {"errors", errors(totals)},
          {"outcomes", outcomes},
          {"achieved_tps",
           duration > 0 ? rounded(static_cast<double>(answered) / duration, 10.0) : json(nullptr)},
          {"planned_tps", duration > 0
                              ? rounded(static_cast<double>(r.recorder->planned()) / duration, 10.0)
                              : json(nullptr)},
          {"latency_ms", latency_json(r.recorder->run_latency(""))},
          {"lateness_ms", latency_json(r.recorder->lateness())}};
}

json spans_json(const Scenario& s) {
  json faults = json::array();
  for (const TimelineFault& f : s.faults) {
    faults.push_back(
        {{"name", f.name},
         {"channel", f.channel},
         {"kind", f.fault.value("kind", "")},
         {"from_s", f.at_s},
         {"to_s", f.for_s ? json(f.at_s + *f.for_s) : json(s.duration_s + s.settle_s)}});
  }
  return faults;
}

json actions_json(const Scenario& s) {
  static constexpr const char* kNames[] = {"switch_off", "force_open", "reconcile",
                                           "reconcile_statement"};
  json actions = json::array();
  for (const TimelineAction& a : s.actions) {
    actions.push_back({{"name", a.name},
                       {"action", kNames[static_cast<std::size_t>(a.kind)]},
                       {"channel", a.channel.empty() ? a.method : a.channel},
                       {"from_s", a.at_s},
                       {"to_s", a.for_s ? json(a.at_s + *a.for_s) : json(nullptr)}});
  }
  return actions;
}

// The gateway's refund success rates at the end (null when they could not be read).
json refund_rates_json(const RefundRatesSeen& rates) {
  if (!rates.taken) return nullptr;
  json out = json::object();
  for (const auto& [name, w] : rates.windows) {
    out[name] = {{"judged", w.judged},
                 {"succeeded", w.succeeded},
                 {"rate", w.judged == 0 ? json(nullptr)
                                        : json(rounded(static_cast<double>(w.succeeded) /
                                                       static_cast<double>(w.judged)))}};
  }
  return out;
}

}  // namespace

double timeline_step_s(const Scenario& scenario) {
  const double total_s = scenario.duration_s + scenario.settle_s;
  return total_s <= kSecondByStepUpTo_s ? 1.0 : std::ceil(total_s / kLongRunPoints);
}

std::size_t timeline_points(const Scenario& scenario) {
  return static_cast<std::size_t>(
      std::ceil((scenario.duration_s + scenario.settle_s) / timeline_step_s(scenario)));
}

json build_result(const RunRecord& r) {
  const Scenario& s = *r.scenario;
  // A run that did not play as written (a fault not applied, a part that died, an
  // interruption) proves nothing either way: it does not pass.
  bool passed = !r.interrupted && r.problems.empty();
  json assertions = json::array();
  for (const AssertionResult& a : r.assertions) {
    passed = passed && a.passed;
    assertions.push_back(a.to_json());
  }
  json channels = json::object();
  for (const std::string& name : r.recorder->channels())
    channels[name] = channel_summary(r, name);
  json breaker_events = json::array();
  for (const BreakerTransition& e : r.breaker_events) {
    breaker_events.push_back({{"channel", e.channel},
                              {"path", e.path},
                              {"from", e.from},
                              {"to", e.to},
                              {"reason", e.reason},
                              {"t_s", rounded(e.t_s)}});
  }
  json alerts = json::array();
  for (const AlertSeen& a : r.alerts) {
    alerts.push_back({{"rule", a.rule},
                      {"channel", a.channel},
                      {"firing", a.firing},
                      {"value", a.value},
                      {"t_s", rounded(a.t_s)}});
  }
  return {{"schema", reports::kResultSchema},
          {"scenario", s.name},
          {"description", s.description},
          {"file", s.file.generic_string()},
          {"mode", r.mode},
          {"seed", r.seed},
          {"time_scale", r.time_scale},
          {"passed", passed},
          {"interrupted", r.interrupted},
          {"duration_s", s.duration_s},
          {"settle_s", s.settle_s},
          {"started_at", r.started_at},
          {"wall_s", rounded(r.wall_s, 10.0)},
          {"replay", r.replay},
          {"assertions", assertions},
          {"checker", r.checker->to_json()},
          {"load", load_json(r)},
          {"channels", channels},
          {"faults", spans_json(s)},
          {"actions", actions_json(s)},
          {"timeline", timeline_json(r)},
          {"breaker_events", breaker_events},
          {"alerts", alerts},
          {"refund_rates", refund_rates_json(r.refund_rates)},
          {"problems", r.problems}};
}

}  // namespace fusebox::harness
