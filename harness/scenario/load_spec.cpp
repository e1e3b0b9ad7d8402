// The "load" section: phases on the run's time axis, the operation mix, targets and amounts.

#include <algorithm>
#include <cmath>

#include "scenario_internal.hpp"

namespace fusebox::harness {

double LoadPhase::rate_at(double t_s) const {
  if (!(t_s >= at_s && t_s < end_s())) return 0;
  const double into_s = t_s - at_s;
  switch (kind) {
    case Kind::constant:
      return tps;
    case Kind::ramp:
      return from_tps + (to_tps - from_tps) * (into_s / for_s);
    case Kind::step: {
      // `steps` equal stairs; the first at from_tps, the last at to_tps.
      if (steps <= 1) return from_tps;
      const double stair_s = for_s / steps;
      const int stair = std::min(steps - 1, static_cast<int>(std::floor(into_s / stair_s)));
      return from_tps + (to_tps - from_tps) * stair / (steps - 1);
    }
    case Kind::spike:
      return into_s >= spike_at_s && into_s < spike_at_s + spike_for_s ? spike_tps : tps;
  }
  return 0;
}

namespace detail {

namespace {

constexpr double kMaxTps = 10'000'000;

double rate(const ConfigNode& node, std::string_view field) {
  return node.at(field).as_number_in(0, kMaxTps);
}

void parse_phase_fields(const ConfigNode& node, LoadPhase& phase) {
  switch (phase.kind) {
    case LoadPhase::Kind::constant:
      expect_fields(node, {"kind", "at_s", "for_s", "tps"});
      phase.tps = rate(node, "tps");
      break;
    case LoadPhase::Kind::ramp:
      expect_fields(node, {"kind", "at_s", "for_s", "from_tps", "to_tps"});
      phase.from_tps = rate(node, "from_tps");
      phase.to_tps = rate(node, "to_tps");
      break;
    case LoadPhase::Kind::step:
      expect_fields(node, {"kind", "at_s", "for_s", "from_tps", "to_tps", "steps"});
      phase.from_tps = rate(node, "from_tps");
      phase.to_tps = rate(node, "to_tps");
      phase.steps = static_cast<int>(node.at("steps").as_int(2, 1'000));
      break;
    case LoadPhase::Kind::spike: {
      expect_fields(node,
                    {"kind", "at_s", "for_s", "tps", "spike_tps", "spike_at_s", "spike_for_s"});
      phase.tps = rate(node, "tps");
      phase.spike_tps = rate(node, "spike_tps");
      phase.spike_at_s = node.at("spike_at_s").as_non_negative_number();
      const ConfigNode spike_for = node.at("spike_for_s");
      phase.spike_for_s = spike_for.as_positive_number();
      if (phase.spike_at_s + phase.spike_for_s > phase.for_s) {
        spike_for.fail_expected("a spike that ends within the phase (spike_at_s + spike_for_s <= " +
                                seconds_text(phase.for_s) + ")");
      }
      break;
    }
  }
}

LoadPhase parse_phase(const ConfigNode& node, double previous_end_s) {
  LoadPhase phase;
  const std::string kind = node.at("kind").as_enum({"constant", "ramp", "step", "spike"});
  phase.kind = kind == "constant" ? LoadPhase::Kind::constant
               : kind == "ramp"   ? LoadPhase::Kind::ramp
               : kind == "step"   ? LoadPhase::Kind::step
                                  : LoadPhase::Kind::spike;
  phase.at_s = previous_end_s;
  if (const auto at = node.find("at_s")) {
    phase.at_s = at->as_non_negative_number();
    if (phase.at_s < previous_end_s) {
      at->fail_expected("a start at or after the previous phase's end (" +
                        seconds_text(previous_end_s) + "): phases may not overlap");
    }
  }
  phase.for_s = node.at("for_s").as_positive_number();
  parse_phase_fields(node, phase);
  return phase;
}

LoadTarget parse_target(const ConfigNode& node, const Context& context) {
  node.expect_fields({"method", "channel", "weight"});
  LoadTarget target;
  target.method = node.at("method").as_enum({"wallet", "bank"});
  if (const auto c = node.find("channel")) {
    const ChannelInfo& channel = require_channel(context, *c);
    if (channel.method != target.method) {
      c->fail_expected("a channel of method \"" + target.method + "\" (\"" + channel.name +
                       "\" is a " + channel.method + " channel)");
    }
    target.channel = channel.name;
  }
  if (const auto w = node.find("weight")) target.weight = w->as_positive_number();
  return target;
}

void parse_mix(const ConfigNode& node, LoadSpec& load) {
  if (const auto n = node.find("refund_share")) load.refund_share = n->as_probability();
  if (const auto n = node.find("query_share")) load.query_share = n->as_probability();
  if (const auto n = node.find("close_share")) load.close_share = n->as_probability();
  if (load.refund_share + load.query_share + load.close_share > 1 + 1e-12) {
    node.fail("expected refund_share + query_share + close_share <= 1, got " +
              std::to_string(load.refund_share + load.query_share + load.close_share));
  }
  if (const auto n = node.find("duplicate_share")) load.duplicate_share = n->as_probability();
  if (const auto n = node.find("conflict_share")) load.conflict_share = n->as_probability();
  if (load.duplicate_share + load.conflict_share > 1 + 1e-12) {
    node.fail("expected duplicate_share + conflict_share <= 1, got " +
              std::to_string(load.duplicate_share + load.conflict_share));
  }
}

// A target the gateway routes by method needs a channel of that method to go to.
void check_methods_routable(const ConfigNode& node, const LoadSpec& load, const Context& context) {
  for (std::size_t i = 0; i < load.targets.size(); ++i) {
    const LoadTarget& target = load.targets[i];
    if (!target.channel.empty()) continue;
    const bool routable =
        std::any_of(context.channels.begin(), context.channels.end(),
                    [&](const ChannelInfo& c) { return c.method == target.method; });
    if (routable) continue;
    const std::string expected =
        "a method the scenario has a channel for (no \"" + target.method + "\" channel)";
    if (const auto t = node.find("targets")) t->at(i).at("method").fail_expected(expected);
    node.fail("expected \"targets\" naming " + expected + ": the default target is a wallet");
  }
}

}  // namespace

LoadSpec parse_load(const ConfigNode& node, const Context& context) {
  node.expect_fields({"phases", "arrivals", "refund_share", "query_share", "close_share", "targets",
                      "amount_minor", "currency", "duplicate_share", "conflict_share",
                      "connections", "request_timeout_s"});
  LoadSpec load;
  const ConfigNode phases = node.at("phases");
  phases.expect_array(1, 1'000);
  double end_s = 0;
  for (const ConfigNode& p : phases.elements()) {
    load.phases.push_back(parse_phase(p, end_s));
    end_s = load.phases.back().end_s();
  }
  if (const auto a = node.find("arrivals")) {
    load.arrivals = a->as_enum({"poisson", "uniform"}) == "uniform" ? LoadSpec::Arrivals::uniform
                                                                    : LoadSpec::Arrivals::poisson;
  }
  parse_mix(node, load);
  if (const auto t = node.find("targets")) {
    t->expect_array(1, 64);
    for (const ConfigNode& target : t->elements())
      load.targets.push_back(parse_target(target, context));
  } else {
    load.targets.push_back(LoadTarget{"wallet", "", 1});
  }
  check_methods_routable(node, load, context);
  if (const auto a = node.find("amount_minor")) load.amount_minor = parse_distribution(*a, true);
  if (const auto c = node.find("currency")) {
    load.currency = c->as_string();
    if (std::find(context.currencies.begin(), context.currencies.end(), load.currency) ==
        context.currencies.end()) {
      std::string known;
      for (const auto& code : context.currencies)
        known += (known.empty() ? "" : ", ") + code;
      c->fail_expected("a currency the gateway accepts (" + known + ")");
    }
  }
  if (const auto c = node.find("connections"))
    load.connections = static_cast<int>(c->as_int(1, 4'096));
  if (const auto r = node.find("request_timeout_s")) {
    load.request_timeout_s = r->as_positive_number();
  }
  return load;
}

}  // namespace detail
}  // namespace fusebox::harness
