// The arrival plan: when each request is due and what it is, as a pure function of the load
// spec and the seed. Four named streams keep the draws apart, so a change to the op mix does
// not move the arrival instants and the reverse.

#include <algorithm>
#include <cmath>

#include "fusebox/common/portable_math.hpp"
#include "fusebox/harness/load.hpp"

#include "load_internal.hpp"

namespace fusebox::harness {

std::string_view to_string(Op op) {
  switch (op) {
    case Op::pay:
      return "pay";
    case Op::refund:
      return "refund";
    case Op::query:
      return "query";
    case Op::close:
      return "close";
  }
  return "?";
}

namespace {

// The phase's planned rate at `t_s` (seconds since the start of the load), 0 outside it.
// Kept here rather than calling LoadPhase::rate_at so the plan does not depend on the
// scenario loader's object file; load_test pins the shapes.
double rate_of(const LoadPhase& phase, double t_s) {
  if (t_s < phase.at_s || t_s >= phase.end_s()) return 0;
  const double into_s = t_s - phase.at_s;
  switch (phase.kind) {
    case LoadPhase::Kind::constant:
      return phase.tps;
    case LoadPhase::Kind::ramp:
      return phase.from_tps + (phase.to_tps - phase.from_tps) * (into_s / phase.for_s);
    case LoadPhase::Kind::step: {
      const int steps = std::max(phase.steps, 1);
      if (steps == 1) return phase.from_tps;
      const double stair_s = phase.for_s / steps;
      const int stair = std::min(static_cast<int>(into_s / stair_s), steps - 1);
      return phase.from_tps + (phase.to_tps - phase.from_tps) * stair / (steps - 1);
    }
    case LoadPhase::Kind::spike: {
      const bool in_spike =
          into_s >= phase.spike_at_s && into_s < phase.spike_at_s + phase.spike_for_s;
      return in_spike ? phase.spike_tps : phase.tps;
    }
  }
  return 0;
}

double max_rate_of(const LoadPhase& phase) {
  switch (phase.kind) {
    case LoadPhase::Kind::constant:
      return phase.tps;
    case LoadPhase::Kind::ramp:
    case LoadPhase::Kind::step:
      return std::max(phase.from_tps, phase.to_tps);
    case LoadPhase::Kind::spike:
      return std::max(phase.tps, phase.spike_tps);
  }
  return 0;
}

TimeNs to_ns(double t_s) { return static_cast<TimeNs>(std::llround(t_s * 1e9)); }

// A stretch of a phase where the rate is linear: rate(t) = rate0 + slope * (t - from_s).
struct Segment {
  double from_s = 0, to_s = 0, rate0 = 0, slope = 0;
  double area_before = 0;  // arrivals planned in the phase before this segment
  [[nodiscard]] double area() const {
    const double span = to_s - from_s;
    return rate0 * span + 0.5 * slope * span * span;
  }
};

// Splits a phase into linear pieces (a ramp is one, a step one per stair, a spike up to 3).
std::vector<Segment> segments_of(const LoadPhase& phase) {
  std::vector<double> cuts{phase.at_s, phase.end_s()};
  if (phase.kind == LoadPhase::Kind::step) {
    for (int i = 1; i < phase.steps; ++i)
      cuts.push_back(phase.at_s + phase.for_s * i / phase.steps);
  } else if (phase.kind == LoadPhase::Kind::spike) {
    cuts.push_back(phase.at_s + phase.spike_at_s);
    cuts.push_back(phase.at_s + phase.spike_at_s + phase.spike_for_s);
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<Segment> out;
  double area = 0;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double from_s = std::max(cuts[i], phase.at_s);
    const double to_s = std::min(cuts[i + 1], phase.end_s());
    if (!(to_s > from_s)) continue;
    Segment segment{from_s, to_s, rate_of(phase, from_s), 0, area};
    if (phase.kind == LoadPhase::Kind::ramp)
      segment.slope = (phase.to_tps - phase.from_tps) / phase.for_s;
    area += segment.area();
    out.push_back(segment);
  }
  return out;
}

// The instant inside `segment` where the phase's planned arrivals reach `target`.
double solve_in(const Segment& segment, double target) {
  const double need = target - segment.area_before;
  if (need <= 0) return segment.from_s;
  double into_s = 0;
  if (segment.slope == 0) {
    into_s = need / segment.rate0;
  } else {  // rate0 * x + slope / 2 * x^2 = need, in the form that does not cancel
    const double root =
        std::sqrt(std::max(0.0, segment.rate0 * segment.rate0 + 2 * segment.slope * need));
    into_s = 2 * need / (segment.rate0 + root);
  }
  return std::min(segment.from_s + into_s, segment.to_s);
}

}  // namespace

double planned_rate(const LoadPhase& phase, double t_s) { return rate_of(phase, t_s); }

struct ArrivalPlan::State {
  LoadSpec load;
  std::uint64_t seed = 0;
  std::vector<LoadPhase> phases;  // sorted by start
  std::vector<double> cumulative_weights;
  Rng arrivals, ops, amounts, probes;
  std::size_t phase = 0;
  bool phase_started = false;
  double t_s = 0;                 // poisson: the last candidate instant
  std::vector<Segment> segments;  // uniform: the current phase's pieces
  std::size_t segment = 0;
  double next_area = 0;  // uniform: the next arrival is where the area reaches this

  State(const LoadSpec& spec, std::uint64_t master)
      : load(spec),
        seed(master),
        phases(spec.phases),
        arrivals(Rng::stream(master, "load.arrivals")),
        ops(Rng::stream(master, "load.ops")),
        amounts(Rng::stream(master, "load.amounts")),
        probes(Rng::stream(master, "load.probes")) {
    std::stable_sort(phases.begin(), phases.end(),
                     [](const LoadPhase& a, const LoadPhase& b) { return a.at_s < b.at_s; });
    double total = 0;
    for (const LoadTarget& target : load.targets)
      total += std::max(target.weight, 0.0);
    double sum = 0;
    for (const LoadTarget& target : load.targets) {
      sum += std::max(target.weight, 0.0);
      cumulative_weights.push_back(total > 0 ? sum / total : 1.0);
    }
  }

  void start_phase(const LoadPhase& current) {
    phase_started = true;
    t_s = current.at_s;
    segments = segments_of(current);
    segment = 0;
    next_area = 0;
  }
  std::optional<double> next_poisson(const LoadPhase& current);
  std::optional<double> next_uniform();
  std::optional<double> next_instant();
  PlannedRequest draw_request(double at_s);
};

// Exponential gaps at the phase's highest rate, each candidate kept with probability
// rate(t) / max (thinning): exactly a Poisson process of the time-varying rate.
std::optional<double> ArrivalPlan::State::next_poisson(const LoadPhase& current) {
  const double max_rate = max_rate_of(current);
  if (!(max_rate > 0)) return std::nullopt;
  for (;;) {
    t_s += -portable::log(arrivals.next_open_double()) / max_rate;
    if (t_s >= current.end_s()) return std::nullopt;
    if (arrivals.next_double() * max_rate < rate_of(current, t_s)) return t_s;
  }
}

// Evenly spaced at the instantaneous rate: the k-th arrival of a phase is where the integral
// of the rate since the phase's start reaches k (so a ramp from 0 is spaced right too).
std::optional<double> ArrivalPlan::State::next_uniform() {
  while (segment < segments.size()) {
    const Segment& current = segments[segment];
    if (current.area_before + current.area() > next_area) {
      // Rounding may land on the segment's end: keep the arrival just inside it.
      const double at =
          std::min(solve_in(current, next_area), std::nextafter(current.to_s, current.from_s));
      next_area += 1;
      return at;
    }
    ++segment;
  }
  return std::nullopt;
}

std::optional<double> ArrivalPlan::State::next_instant() {
  while (phase < phases.size()) {
    const LoadPhase& current = phases[phase];
    if (!phase_started) start_phase(current);
    const std::optional<double> at =
        load.arrivals == LoadSpec::Arrivals::poisson ? next_poisson(current) : next_uniform();
    if (at) return at;
    ++phase;
    phase_started = false;
  }
  return std::nullopt;
}

PlannedRequest ArrivalPlan::State::draw_request(double at_s) {
  PlannedRequest request;
  request.at_ns = to_ns(at_s);
  const double u = ops.next_double();
  if (u < load.refund_share) {
    request.op = Op::refund;
  } else if (u < load.refund_share + load.query_share) {
    request.op = Op::query;
  } else if (u < load.refund_share + load.query_share + load.close_share) {
    request.op = Op::close;
  }
  // Target, amount and probe are drawn for every op, so a refund or query that finds no
  // earlier order can fall back to a pay with a planned amount (probes only apply to pays).
  if (cumulative_weights.size() > 1) {
    const double w = ops.next_double();
    const auto it = std::upper_bound(cumulative_weights.begin(), cumulative_weights.end(), w);
    const auto index = static_cast<std::size_t>(it - cumulative_weights.begin());
    request.target = static_cast<std::uint32_t>(std::min(index, cumulative_weights.size() - 1));
  }
  const double amount = load.amount_minor.sample(amounts);
  request.amount_minor =
      std::isfinite(amount) ? std::max<std::int64_t>(1, std::llround(std::min(amount, 9e18))) : 1;
  const double p = probes.next_double();
  if (p < load.duplicate_share) {
    request.probe = PlannedRequest::Probe::duplicate;
  } else if (p < load.duplicate_share + load.conflict_share) {
    request.probe = PlannedRequest::Probe::conflict;
  }
  if (request.op != Op::pay) request.probe = PlannedRequest::Probe::none;
  return request;
}

ArrivalPlan::ArrivalPlan(const LoadSpec& load, std::uint64_t seed)
    : state_(std::make_shared<State>(load, seed)) {}

std::optional<PlannedRequest> ArrivalPlan::next() {
  const std::optional<double> at = state_->next_instant();
  if (!at) return std::nullopt;
  return state_->draw_request(*at);
}

std::uint64_t ArrivalPlan::count() const {
  ArrivalPlan copy(state_->load, state_->seed);
  std::uint64_t n = 0;
  while (copy.next())
    ++n;
  return n;
}

}  // namespace fusebox::harness
