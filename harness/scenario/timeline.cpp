// The fault and action timeline: what is played on the simulator and on the gateway's admin
// API, and when. Each entry becomes a named Span that windows and assertions refer to.

#include "fusebox/simulator/channel_config.hpp"

#include "scenario_internal.hpp"

namespace fusebox::harness::detail {

namespace {

// Checks a fault's own fields with the simulator's parser. parse_fault rejects "name" and
// "channel", so it reads a copy without them, placed at the same JSON path in a document of
// the same name: its messages then read exactly as if it had read the scenario itself.
nlohmann::json check_simulator_fault(const ConfigNode& node, std::size_t index) {
  nlohmann::json copy = node.json();
  copy.erase("name");
  copy.erase("channel");
  copy.erase("vary");  // the scenario's own (parse_vary), never sent to the simulator
  nlohmann::json faults = nlohmann::json::array();
  for (std::size_t i = 0; i < index; ++i)
    faults.push_back(nullptr);
  faults.push_back(copy);
  const ConfigDocument document =
      ConfigDocument::parse(node.source_name(), nlohmann::json{{"faults", faults}}.dump());
  try {
    (void)sim::parse_fault(document.root().at("faults").at(index));
  } catch (const ConfigError& error) {
    // The simulator lists the fields it takes; a scenario fault also takes these two.
    std::string message = error.what();
    const std::string takes = "(it takes: kind, ";
    if (const std::size_t at = message.find(takes); at != std::string::npos)
      message.replace(at, takes.size(), "(it takes: name, channel, kind, ");
    throw ConfigError(message);
  }
  copy.erase("at_s");
  copy.erase("for_s");
  return copy;
}

void check_start(const ConfigNode& at, double at_s, const Context& context) {
  if (at_s >= context.duration_s) {
    at.fail_expected("a start before the end of the load (" + seconds_text(context.duration_s) +
                     ")");
  }
}

FaultVary::Range parse_range(const ConfigNode& node, double (ConfigNode::*number)() const) {
  node.expect_array(2, 2);
  const FaultVary::Range range{(node.at(0).*number)(), (node.at(1).*number)()};
  if (range.lo > range.hi) node.fail_expected("[lo, hi] with lo <= hi");
  return range;
}

// The ranges a sweep draws from. They are checked as strictly as the values they replace,
// so every document a sweep writes out loads as a plain scenario.
FaultVary parse_vary(const ConfigNode& node, const TimelineFault& fault, const Context& context) {
  node.expect_fields({"at_s", "for_s", "p"});
  FaultVary vary;
  if (const auto at = node.find("at_s")) {
    vary.at_s = parse_range(*at, &ConfigNode::as_non_negative_number);
    check_start(at->at(1), vary.at_s->hi, context);
  }
  if (const auto f = node.find("for_s")) {
    if (!fault.for_s) {
      f->fail("a fault without for_s lasts to the end of the run; give it a for_s to vary");
    }
    vary.for_s = parse_range(*f, &ConfigNode::as_positive_number);
  }
  if (const auto p = node.find("p")) vary.p = parse_range(*p, &ConfigNode::as_probability);
  return vary;
}

// Names are shared by faults and actions: a window names either.
void add_span(const ConfigNode& node, Span span, Context& context) {
  if (span.name.empty()) return;
  if (context.span(span.name) != nullptr) {
    node.at("name").fail("the name \"" + span.name + "\" is used twice (fault and action names " +
                         "must be unique)");
  }
  context.spans.push_back(std::move(span));
}

TimelineFault parse_fault_entry(const ConfigNode& node, std::size_t index, Context& context) {
  if (!node.is_object()) node.fail_expected("a fault object");
  TimelineFault fault;
  if (const auto n = node.find("name")) fault.name = n->as_non_empty_string();
  const ChannelInfo& channel = require_channel(context, node.at("channel"));
  fault.channel = channel.name;
  fault.fault = check_simulator_fault(node, index);
  if (const auto n = node.find("node"); n && n->as_int() >= channel.nodes) {
    n->fail_expected("a node below " + std::to_string(channel.nodes) + " (\"" + channel.name +
                     "\" has " + std::to_string(channel.nodes) + ")");
  }
  if (const auto at = node.find("at_s")) {
    fault.at_s = at->as_non_negative_number();
    check_start(*at, fault.at_s, context);
  } else {
    check_start(node, 0, context);
  }
  if (const auto f = node.find("for_s")) fault.for_s = f->as_positive_number();
  if (const auto v = node.find("vary")) fault.vary = parse_vary(*v, fault, context);
  add_span(
      node,
      Span{fault.name, true, false, fault.at_s,
           fault.for_s ? fault.at_s + *fault.for_s : context.duration_s, fault.for_s.has_value()},
      context);
  return fault;
}

TimelineAction::Kind parse_action_kind(const ConfigNode& node) {
  const std::string kind =
      node.as_enum({"switch_off", "force_open", "reconcile", "reconcile_statement"});
  return kind == "switch_off"   ? TimelineAction::Kind::switch_off
         : kind == "force_open" ? TimelineAction::Kind::force_open
         : kind == "reconcile"  ? TimelineAction::Kind::reconcile
                                : TimelineAction::Kind::reconcile_statement;
}

// Which of channel, method and for_s each action takes.
void parse_action_target(const ConfigNode& node, TimelineAction& action, const Context& context) {
  switch (action.kind) {
    case TimelineAction::Kind::switch_off:
      expect_fields(node, {"name", "action", "channel", "method", "at_s", "for_s"});
      if (node.has("channel") == node.has("method")) {
        node.fail("expected exactly one of \"channel\" and \"method\" for switch_off");
      }
      if (const auto m = node.find("method")) action.method = m->as_enum({"wallet", "bank"});
      break;
    case TimelineAction::Kind::force_open:
      expect_fields(node, {"name", "action", "channel", "at_s", "for_s"});
      (void)node.at("channel");
      break;
    case TimelineAction::Kind::reconcile_statement:
      expect_fields(node, {"name", "action", "channel", "at_s"});
      (void)node.at("channel");
      break;
    case TimelineAction::Kind::reconcile:
      expect_fields(node, {"name", "action", "at_s"});
      break;
  }
  if (const auto c = node.find("channel")) action.channel = require_channel(context, *c).name;
}

TimelineAction parse_action_entry(const ConfigNode& node, Context& context) {
  if (!node.is_object()) node.fail_expected("an action object");
  TimelineAction action;
  action.kind = parse_action_kind(node.at("action"));
  parse_action_target(node, action, context);
  if (const auto n = node.find("name")) action.name = n->as_non_empty_string();
  if (const auto at = node.find("at_s")) {
    action.at_s = at->as_non_negative_number();
    check_start(*at, action.at_s, context);
  }
  if (const auto f = node.find("for_s")) action.for_s = f->as_positive_number();
  const bool instant = action.kind == TimelineAction::Kind::reconcile ||
                       action.kind == TimelineAction::Kind::reconcile_statement;
  const double end_s = instant        ? action.at_s
                       : action.for_s ? action.at_s + *action.for_s
                                      : context.duration_s;
  add_span(node, Span{action.name, false, instant, action.at_s, end_s, instant || action.for_s},
           context);
  return action;
}

}  // namespace

std::vector<TimelineFault> parse_faults(const ConfigNode& node, Context& context) {
  node.expect_array(0, 1'000);
  std::vector<TimelineFault> faults;
  std::size_t index = 0;
  for (const ConfigNode& f : node.elements())
    faults.push_back(parse_fault_entry(f, index++, context));
  return faults;
}

std::vector<TimelineAction> parse_actions(const ConfigNode& node, Context& context) {
  node.expect_array(0, 1'000);
  std::vector<TimelineAction> actions;
  for (const ConfigNode& a : node.elements())
    actions.push_back(parse_action_entry(a, context));
  return actions;
}

}  // namespace fusebox::harness::detail
