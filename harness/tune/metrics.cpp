// What a result.json says about a breaker setting: failures during faults, false trips,
// recovery; the mean over seeds; the Pareto front.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fusebox/harness/tune.hpp"

namespace fusebox::harness {
namespace {

using nlohmann::json;

struct Span {
  std::string channel;
  double from_s = 0;
  double to_s = 0;
  bool ends = true;  // false: the entry lasted to the end of the run
};

struct Transition {
  double t_s = 0;
  std::string to;  // "closed", "open", "half_open"
};

// A number, or `fallback` for null, a missing field or anything else.
double number_or(const json& node, const char* key, double fallback) {
  if (!node.is_object()) return fallback;
  const auto it = node.find(key);
  return it != node.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string string_or(const json& node, const char* key, const std::string& fallback) {
  if (!node.is_object()) return fallback;
  const auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The member, or null when the node is not an object or lacks it.
const json& member(const json& node, const char* key) {
  static const json kNull;
  if (!node.is_object()) return kNull;
  const auto it = node.find(key);
  return it != node.end() ? *it : kNull;
}

const json& array_at(const json& node, const char* key) {
  static const json kEmpty = json::array();
  if (!node.is_object()) return kEmpty;
  const auto it = node.find(key);
  return it != node.end() && it->is_array() ? *it : kEmpty;
}

double end_of_timeline_s(const json& result) {
  const json& t = array_at(member(result, "timeline"), "t_s");
  const double from_series = t.empty() || !t.back().is_number() ? 0 : t.back().get<double>() + 1;
  const double declared = number_or(result, "duration_s", 0) + number_or(result, "settle_s", 0);
  return std::max(from_series, declared);
}

// Fault windows, or force_open action windows when `action` is given.
std::vector<Span> spans(const json& result, const char* section, const char* action, double end_s) {
  std::vector<Span> found;
  for (const auto& entry : array_at(result, section)) {
    if (action != nullptr && string_or(entry, "action", "") != action) continue;
    Span span;
    span.channel = string_or(entry, "channel", "");
    span.from_s = number_or(entry, "from_s", 0);
    span.ends = member(entry, "to_s").is_number();
    span.to_s = span.ends ? member(entry, "to_s").get<double>() : end_s;
    found.push_back(span);
  }
  return found;
}

double failed_in(const json& series, const char* key, std::size_t i) {
  const json& values = array_at(series, key);
  return i < values.size() && values[i].is_number() ? values[i].get<double>() : 0;
}

double failed_during(const json& result, const std::vector<Span>& faults) {
  const json& timeline = member(result, "timeline");
  const json& t = array_at(timeline, "t_s");
  const json& channels = member(timeline, "channels");
  double failed = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!t[i].is_number()) continue;
    const double second_s = t[i].get<double>();
    const bool in_fault = std::any_of(faults.begin(), faults.end(), [&](const Span& f) {
      return f.from_s < second_s + 1 && f.to_s > second_s;
    });
    if (!in_fault || !channels.is_object()) continue;
    for (const auto& [name, series] : channels.items()) {
      failed += failed_in(series, "rejected", i) + failed_in(series, "failed", i) +
                failed_in(series, "errors", i);
    }
  }
  return failed;
}

// Each channel's payments breaker transitions in time order: from breaker_events when the
// run reported them, else from the per-second series ("switched_off" is the operator's
// switch, not the breaker, and does not count).
std::map<std::string, std::vector<Transition>> transitions(const json& result) {
  std::map<std::string, std::vector<Transition>> by_channel;
  if (result.is_object() && result.contains("breaker_events")) {
    for (const auto& event : array_at(result, "breaker_events")) {
      if (string_or(event, "path", "payments") != "payments") continue;
      by_channel[string_or(event, "channel", "")].push_back(
          {number_or(event, "t_s", 0), string_or(event, "to", "")});
    }
    for (auto& [channel, list] : by_channel) {
      std::stable_sort(list.begin(), list.end(),
                       [](const Transition& a, const Transition& b) { return a.t_s < b.t_s; });
    }
    return by_channel;
  }
  const json& timeline = member(result, "timeline");
  const json& t = array_at(timeline, "t_s");
  const json& channels = member(timeline, "channels");
  if (!channels.is_object()) return by_channel;
  for (const auto& [name, series] : channels.items()) {
    const json& states = array_at(series, "breaker");
    std::string previous = "closed";
    for (std::size_t i = 0; i < states.size() && i < t.size(); ++i) {
      if (!states[i].is_string() || !t[i].is_number()) continue;
      const std::string state = states[i].get<std::string>();
      if (state == "switched_off" || state == previous) continue;
      by_channel[name].push_back({t[i].get<double>(), state});
      previous = state;
    }
  }
  return by_channel;
}

bool excused(const std::string& channel, double t_s, const std::vector<Span>& windows,
             double grace_s) {
  return std::any_of(windows.begin(), windows.end(), [&](const Span& w) {
    return w.channel == channel && t_s >= w.from_s && t_s < w.to_s + grace_s;
  });
}

struct Recovery {
  double s = 0;
  bool recovered = true;
};

// From the fault's end to the moment the breaker closed for good, looking no further than
// the channel's next fault (its own trips are that fault's business) or the end.
std::optional<Recovery> recovery_after(const Span& fault, const std::vector<Span>& faults,
                                       const std::vector<Transition>& list, double end_s) {
  double horizon_s = end_s;
  for (const auto& other : faults) {
    if (&other == &fault || other.channel != fault.channel) continue;
    if (other.from_s <= fault.to_s && other.to_s > fault.to_s) return std::nullopt;  // overlaps
    if (other.from_s > fault.to_s) horizon_s = std::min(horizon_s, other.from_s);
  }
  std::string state = "closed";
  for (const auto& tr : list) {
    if (tr.t_s <= fault.to_s) state = tr.to;
  }
  std::optional<double> closed_since;
  if (state == "closed") closed_since = fault.to_s;
  for (const auto& tr : list) {
    if (tr.t_s <= fault.to_s || tr.t_s >= horizon_s) continue;
    if (tr.to != "closed") {
      closed_since.reset();
    } else if (!closed_since) {
      closed_since = tr.t_s;
    }
  }
  if (closed_since) return Recovery{*closed_since - fault.to_s, true};
  return Recovery{std::max(0.0, horizon_s - fault.to_s), false};
}

}  // namespace

RunMetrics measure_run(const nlohmann::json& result, double grace_s) {
  RunMetrics metrics;
  const double end_s = end_of_timeline_s(result);
  const std::vector<Span> faults = spans(result, "faults", nullptr, end_s);
  std::vector<Span> excuses = faults;
  for (const auto& forced : spans(result, "actions", "force_open", end_s)) {
    excuses.push_back(forced);
  }
  metrics.failed_during_faults = failed_during(result, faults);
  const auto by_channel = transitions(result);
  for (const auto& [channel, list] : by_channel) {
    for (const auto& tr : list) {
      if (tr.to == "open" && !excused(channel, tr.t_s, excuses, grace_s)) {
        metrics.false_trips += 1;
      }
    }
  }
  static const std::vector<Transition> kNone;
  for (const auto& fault : faults) {
    if (!fault.ends) continue;
    const auto it = by_channel.find(fault.channel);
    const auto recovery =
        recovery_after(fault, faults, it == by_channel.end() ? kNone : it->second, end_s);
    if (!recovery) continue;
    metrics.recovery_s = std::max(metrics.recovery_s, recovery->s);
    metrics.recovered = metrics.recovered && recovery->recovered;
  }
  metrics.passed = member(result, "passed") == json(true);
  return metrics;
}

SettingMetrics summarise(const std::vector<RunMetrics>& runs) {
  SettingMetrics m;
  m.seeds = static_cast<int>(runs.size());
  if (runs.empty()) return m;
  for (const auto& run : runs) {
    m.failed_during_faults += run.failed_during_faults;
    m.false_trips += run.false_trips;
    m.recovery_s += run.recovery_s;
    m.recovered = m.recovered && run.recovered;
    if (run.passed) ++m.passed_seeds;
  }
  const auto n = static_cast<double>(runs.size());
  m.failed_during_faults /= n;
  m.false_trips /= n;
  m.recovery_s /= n;
  return m;
}

std::vector<bool> pareto_front(const std::vector<SettingMetrics>& metrics) {
  const auto dominates = [](const SettingMetrics& a, const SettingMetrics& b) {
    const bool no_worse = a.failed_during_faults <= b.failed_during_faults &&
                          a.false_trips <= b.false_trips && a.recovery_s <= b.recovery_s;
    const bool better = a.failed_during_faults < b.failed_during_faults ||
                        a.false_trips < b.false_trips || a.recovery_s < b.recovery_s;
    return no_worse && better;
  };
  std::vector<bool> front(metrics.size(), true);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    for (std::size_t j = 0; j < metrics.size() && front[i]; ++j) {
      if (j != i && dominates(metrics[j], metrics[i])) front[i] = false;
    }
  }
  return front;
}

}  // namespace fusebox::harness
