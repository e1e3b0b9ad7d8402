// Assertions and the windows they look at, resolved against the timeline at load time.

#include <algorithm>
#include <set>

#include "scenario_internal.hpp"

namespace fusebox::harness::detail {

namespace {

constexpr std::string_view kWindowForms =
    "\"run\" or an object with one of during, before, after or from_s/to_s";

const Span& require_span(const ConfigNode& node, const Context& context) {
  const std::string name = node.as_non_empty_string();
  if (const Span* span = context.span(name)) return *span;
  std::string known;
  for (const Span& s : context.spans)
    known += (known.empty() ? "" : ", ") + s.name;
  node.fail_expected("the name of a fault or an action (" + (known.empty() ? "none" : known) + ")");
}

Window named_window(const ConfigNode& node, const Context& context, double& from_s, double& to_s) {
  Window window;
  if (const auto d = node.find("during")) {
    const Span& span = require_span(*d, context);
    if (span.instant)
      d->fail_expected("a fault or an action with a span (\"" + span.name + "\" is an instant)");
    window.form = "during " + span.name;
    from_s = span.start_s;
    to_s = span.end_s;
  } else if (const auto b = node.find("before")) {
    const Span& span = require_span(*b, context);
    if (span.start_s <= 0) b->fail_expected("a fault or an action that starts after 0s");
    window.form = "before " + span.name;
    from_s = 0;
    to_s = span.start_s;
  } else {
    const ConfigNode a = node.at("after");
    const Span& span = require_span(a, context);
    if (!span.ends) {
      a.fail_expected("a fault or an action that ends (has for_s): \"" + span.name +
                      "\" lasts the whole run");
    }
    window.form = "after " + span.name;
    from_s = span.end_s;
    to_s = context.run_end_s();
    if (const auto f = node.find("for_s")) to_s = from_s + f->as_positive_number();
  }
  return window;
}

// "Impossible windows": one that starts when the load is over, or ends after the run.
void check_bounds(const ConfigNode& node, double from_s, double to_s, const Context& context) {
  const std::string load_end = seconds_text(context.duration_s);
  const std::string run_end = seconds_text(context.run_end_s());
  if (from_s >= context.duration_s) {
    if (const auto f = node.find("from_s")) {
      f->fail_expected("a start before the end of the load (" + load_end + ")");
    }
    node.fail("expected a window that starts before the end of the load (" + load_end +
              "), got one from " + seconds_text(from_s));
  }
  if (to_s > context.run_end_s() + 1e-9) {
    const std::string expected = "an end by the end of the run (load + settle_s = " + run_end + ")";
    if (const auto t = node.find("to_s")) t->fail_expected(expected);
    if (const auto f = node.find("for_s")) {
      f->fail_expected(
          "a length that keeps the window within the run (load + settle_s = " + run_end + ")");
    }
    node.fail("expected " + expected + ", got a window to " + seconds_text(to_s));
  }
}

}  // namespace

std::string window_text(const Window& window) {
  const std::string range = seconds_text(window.from_s) + ".." + seconds_text(window.to_s);
  const std::string trimmed =
      window.trim_s > 0 ? ", first " + seconds_text(window.trim_s) + " trimmed" : "";
  if (window.form.empty()) return range + (trimmed.empty() ? "" : " (" + trimmed.substr(2) + ")");
  return window.form + " (" + range + trimmed + ")";
}

Window parse_window(const ConfigNode& node, const Context& context) {
  Window window;
  double from_s = 0;
  double to_s = context.duration_s;
  if (node.is_string()) {
    if (node.as_string() != "run") node.fail_expected(kWindowForms);
    window.form = "run";
  } else {
    if (!node.is_object()) node.fail_expected(kWindowForms);
    node.expect_fields({"during", "before", "after", "for_s", "from_s", "to_s", "trim_s"});
    const int forms = int{node.has("during")} + int{node.has("before")} + int{node.has("after")} +
                      int{node.has("from_s")};
    if (forms != 1) node.fail_expected(kWindowForms);
    if (node.has("for_s") && !node.has("after")) node.at("for_s").fail("for_s goes with \"after\"");
    if (node.has("to_s") && !node.has("from_s")) node.at("to_s").fail("to_s goes with \"from_s\"");
    if (const auto f = node.find("from_s")) {
      from_s = f->as_non_negative_number();
      const ConfigNode t = node.at("to_s");
      to_s = t.as_number();
      if (!(to_s > from_s)) t.fail_expected("a time after from_s (" + seconds_text(from_s) + ")");
    } else {
      window = named_window(node, context, from_s, to_s);
    }
    check_bounds(node, from_s, to_s, context);
    if (const auto trim = node.find("trim_s")) {
      window.trim_s = trim->as_non_negative_number();
      if (from_s + window.trim_s >= to_s) {
        trim->fail_expected("a trim shorter than the window (" + seconds_text(to_s - from_s) + ")");
      }
      from_s += window.trim_s;
    }
  }
  window.from_s = from_s;
  window.to_s = to_s;
  window.text = window_text(window);
  return window;
}

namespace {

struct KindInfo {
  std::string_view name;
  Assertion::Kind kind;
  std::vector<std::string_view> fields;  // beyond kind, name and window
};

const std::vector<KindInfo>& assertion_kinds() {
  using K = Assertion::Kind;
  static const std::vector<KindInfo> table{
      {"success_rate", K::success_rate, {"channel", "min"}},
      {"latency", K::latency, {"channel", "operation", "percentile", "max_ms"}},
      {"breaker_opens", K::breaker_opens, {"channel", "fault", "within_s"}},
      {"breaker_closes", K::breaker_closes, {"channel", "fault", "within_s"}},
      {"fail_fast", K::fail_fast, {"channel", "percentile", "max_ms", "min_count"}},
      {"isolation", K::isolation, {"channel", "fault", "max_success_drop", "max_p99_ratio"}},
      {"settled", K::settled, {"fault", "within_s"}},
      {"tps", K::tps, {"min"}},
      {"invariants", K::invariants, {"max_violations"}},
      {"alert", K::alert, {"rule", "channel", "raised"}},
      {"late_sends", K::late_sends, {"max_share"}},
      {"refund_rate", K::refund_rate, {"within", "min", "min_count"}},
  };
  return table;
}

std::string_view kind_text(Assertion::Kind kind) {
  for (const KindInfo& info : assertion_kinds()) {
    if (info.kind == kind) return info.name;
  }
  return "assertion";
}

const KindInfo& parse_kind(const ConfigNode& node) {
  const std::string name = node.as_enum(
      {"success_rate", "latency", "breaker_opens", "breaker_closes", "fail_fast", "isolation",
       "settled", "tps", "invariants", "alert", "late_sends", "refund_rate"});
  for (const KindInfo& info : assertion_kinds()) {
    if (info.name == name) return info;
  }
  node.fail_expected("an assertion kind");
}

// The timeline fault an assertion's "fault" names (actions do not count here).
const Span& require_fault(const ConfigNode& node, const Context& context, bool must_end) {
  const std::string name = node.as_non_empty_string();
  const Span* span = context.span(name);
  if (span == nullptr || !span->is_fault) {
    std::string known;
    for (const Span& s : context.spans) {
      if (s.is_fault) known += (known.empty() ? "" : ", ") + s.name;
    }
    node.fail_expected("the name of a fault (" + (known.empty() ? "none" : known) + ")");
  }
  if (must_end && !span->ends) {
    node.fail_expected("a fault that ends (has for_s): \"" + name + "\" lasts the whole run");
  }
  return *span;
}

// within_s after `from_s` must still lie within the run, or nothing could be observed.
double within(const ConfigNode& node, double from_s, const Context& context) {
  const ConfigNode w = node.at("within_s");
  const double within_s = w.as_positive_number();
  if (from_s + within_s > context.run_end_s() + 1e-9) {
    w.fail_expected("at most " + seconds_text(context.run_end_s() - from_s) +
                    " (the run, load + settle_s, ends at " + seconds_text(context.run_end_s()) +
                    ")");
  }
  return within_s;
}

double percentile(const ConfigNode& node) {
  const auto p = node.find("percentile");
  if (!p) return 99;
  if (!p->is_number() || !(p->as_number() > 0 && p->as_number() <= 100)) {
    p->fail_expected("a percentile in (0, 100]");
  }
  return p->as_number();
}

void parse_timing_fields(const ConfigNode& node, Assertion& a, const Context& context) {
  switch (a.kind) {
    case Assertion::Kind::breaker_opens:
      a.within_s = within(node, require_fault(node.at("fault"), context, false).start_s, context);
      break;
    case Assertion::Kind::breaker_closes:
      a.within_s = within(node, require_fault(node.at("fault"), context, true).end_s, context);
      break;
    case Assertion::Kind::isolation: {
      const ConfigNode f = node.at("fault");
      if (require_fault(f, context, false).start_s <= 0) {
        f.fail_expected("a fault that starts after 0s (isolation compares with before it)");
      }
      if (const auto d = node.find("max_success_drop")) a.max_success_drop = d->as_probability();
      if (const auto r = node.find("max_p99_ratio")) a.max_p99_ratio = r->as_positive_number();
      break;
    }
    case Assertion::Kind::settled: {
      double from_s = context.duration_s;
      if (const auto f = node.find("fault")) from_s = require_fault(*f, context, true).end_s;
      a.within_s = within(node, from_s, context);
      break;
    }
    default:
      break;
  }
  if (const auto f = node.find("fault")) a.fault = f->as_string();
}

void parse_kind_fields(const ConfigNode& node, Assertion& a, const Context& context) {
  using K = Assertion::Kind;
  const bool needs_channel =
      a.kind == K::breaker_opens || a.kind == K::breaker_closes || a.kind == K::isolation;
  if (needs_channel) (void)node.at("channel");
  if (const auto c = node.find("channel")) a.channel = require_channel(context, *c).name;
  if (a.kind == K::success_rate || a.kind == K::refund_rate) {
    a.min = node.at("min").as_probability();
  }
  if (a.kind == K::refund_rate) {
    a.within = node.at("within").as_enum({"same_day", "next_day", "seven_day"});
    a.min_count = 1;
    if (const auto m = node.find("min_count")) a.min_count = m->as_int(0);
  }
  if (a.kind == K::tps) a.min = node.at("min").as_non_negative_number();
  if (a.kind == K::latency || a.kind == K::fail_fast) {
    a.percentile = percentile(node);
    a.max_ms = node.at("max_ms").as_positive_number();
  }
  if (const auto o = node.find("operation"))
    a.operation = o->as_enum({"pay", "refund", "query", "close"});
  if (a.kind == K::fail_fast) {
    a.min_count = 1;
    if (const auto m = node.find("min_count")) a.min_count = m->as_int(0);
  }
  if (const auto m = node.find("max_violations")) a.max = static_cast<double>(m->as_int(0));
  if (a.kind == K::late_sends) {
    a.max = 0.001;
    if (const auto m = node.find("max_share")) a.max = m->as_probability();
  }
  if (const auto r = node.find("rule")) {
    a.rule = r->as_non_empty_string();
    if (std::find(context.alert_rules.begin(), context.alert_rules.end(), a.rule) ==
        context.alert_rules.end()) {
      std::string known;
      for (const auto& rule : context.alert_rules)
        known += (known.empty() ? "" : ", ") + rule;
      r->fail_expected("an alert rule of the gateway section (" +
                       (known.empty() ? "none configured" : known) + ")");
    }
  }
  if (const auto r = node.find("raised")) a.raised = r->as_bool();
  parse_timing_fields(node, a, context);
}

Assertion parse_assertion(const ConfigNode& node, const Context& context) {
  using K = Assertion::Kind;
  if (!node.is_object()) node.fail_expected("an assertion object with a \"kind\"");
  const KindInfo& info = parse_kind(node.at("kind"));
  std::vector<std::string_view> allowed{"kind", "name", "window"};
  allowed.insert(allowed.end(), info.fields.begin(), info.fields.end());
  expect_fields(node, allowed);
  Assertion a;
  a.kind = info.kind;
  a.path = node.path();
  parse_kind_fields(node, a, context);
  if (const auto w = node.find("window")) {
    a.window = parse_window(*w, context);
  } else if (const Span* span = a.kind == K::isolation ? context.span(a.fault) : nullptr) {
    // Isolation compares a channel during another's fault with itself before it.
    a.window = Window{};
    a.window.form = "during " + span->name;
    a.window.from_s = span->start_s;
    a.window.to_s = span->end_s;
    a.window.text = window_text(a.window);
  } else {
    a.window = Window{};
    a.window.form = "run";
    a.window.to_s = context.duration_s;
    a.window.text = window_text(a.window);
  }
  return a;
}

}  // namespace

std::vector<Assertion> parse_assertions(const ConfigNode& node, const Context& context) {
  node.expect_array(0, 1'000);
  std::vector<Assertion> assertions;
  std::set<std::string> names;
  // Explicit names first: they must be unique, and defaults step around them.
  for (const ConfigNode& element : node.elements()) {
    assertions.push_back(parse_assertion(element, context));
    if (const auto n = element.find("name")) {
      assertions.back().name = n->as_non_empty_string();
      if (!names.insert(assertions.back().name).second) {
        n->fail("the assertion name \"" + assertions.back().name + "\" is used twice");
      }
    }
  }
  for (Assertion& a : assertions) {
    if (!a.name.empty()) continue;
    std::string base(kind_text(a.kind));
    if (!a.channel.empty()) base += " " + a.channel;
    a.name = base;
    for (int suffix = 2; !names.insert(a.name).second; ++suffix)
      a.name = base + " #" + std::to_string(suffix);
  }
  return assertions;
}

}  // namespace fusebox::harness::detail
