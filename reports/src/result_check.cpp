// check_result: is this a result.json this build can render? Checks the fields the outside
// world relies on (BRIEF.md's contract) strictly and the optional ones by type when present;
// the first problem found is reported with its JSON pointer (RFC 6901) path.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "fusebox/reports/reports.hpp"

namespace fusebox::reports {
namespace {

enum class Kind {
  string,
  nonempty_string,
  boolean,
  number,
  nonnegative_number,
  count,  // a non-negative integer
  string_or_number,
  array,
  object,
};

struct Rule {
  const char* key;
  Kind kind;
  bool required;
};

std::string pointer(const std::string& parent, std::string_view key) {
  std::string path = parent + "/";
  for (const char c : key) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
  return path;
}

std::string pointer(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

const char* type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

const char* expectation(Kind kind) {
  switch (kind) {
    case Kind::string:
      return "a string";
    case Kind::nonempty_string:
      return "a non-empty string";
    case Kind::boolean:
      return "a boolean";
    case Kind::number:
      return "a number";
    case Kind::nonnegative_number:
      return "a number >= 0";
    case Kind::count:
      return "a non-negative integer";
    case Kind::string_or_number:
      return "a string or a number";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "?";
}

bool fits(const nlohmann::json& value, Kind kind) {
  switch (kind) {
    case Kind::string:
      return value.is_string();
    case Kind::nonempty_string:
      return value.is_string() && !value.get<std::string>().empty();
    case Kind::boolean:
      return value.is_boolean();
    case Kind::number:
      return value.is_number();
    case Kind::nonnegative_number:
      return value.is_number() && value.get<double>() >= 0;
    case Kind::count:
      return value.is_number_unsigned() ||
             (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    case Kind::string_or_number:
      return value.is_string() || value.is_number();
    case Kind::array:
      return value.is_array();
    case Kind::object:
      return value.is_object();
  }
  return false;
}

std::string check_value(const nlohmann::json& value, const std::string& path, Kind kind) {
  if (fits(value, kind)) return "";
  return path + ": expected " + expectation(kind) + ", got " + type_name(value);
}

// `object` is known to be an object.
std::string check_rules(const nlohmann::json& object, const std::string& path,
                        std::initializer_list<Rule> rules) {
  for (const Rule& rule : rules) {
    const auto found = object.find(rule.key);
    if (found == object.end()) {
      if (!rule.required) continue;
      return pointer(path, rule.key) + ": missing, expected " + expectation(rule.kind);
    }
    std::string problem = check_value(*found, pointer(path, rule.key), rule.kind);
    if (!problem.empty()) return problem;
  }
  return "";
}

// Every element of object[key] (an array when present) must pass `check`.
template <typename Check>
std::string check_elements(const nlohmann::json& object, const std::string& path, const char* key,
                           Check check) {
  const auto found = object.find(key);
  if (found == object.end()) return "";
  for (std::size_t i = 0; i < found->size(); ++i) {
    const std::string element_path = pointer(pointer(path, key), i);
    std::string problem = check_value((*found)[i], element_path, Kind::object);
    if (problem.empty()) problem = check((*found)[i], element_path);
    if (!problem.empty()) return problem;
  }
  return "";
}

std::string check_assertion(const nlohmann::json& assertion, const std::string& path) {
  return check_rules(assertion, path,
                     {{"name", Kind::nonempty_string, true},
                      {"passed", Kind::boolean, true},
                      {"expected", Kind::string_or_number, true},
                      {"observed", Kind::string_or_number, true},
                      {"kind", Kind::string, false},
                      {"window", Kind::string, false},
                      {"detail", Kind::string, false}});
}

std::string check_violation(const nlohmann::json& violation, const std::string& path) {
  return check_rules(violation, path,
                     {{"invariant", Kind::nonempty_string, true},
                      {"message", Kind::string, false},
                      {"order_id", Kind::string, false},
                      {"channel", Kind::string, false}});
}

std::string check_checker(const nlohmann::json& checker, const std::string& path) {
  std::string problem = check_rules(checker, path,
                                    {{"violations", Kind::array, true},
                                     {"violation_count", Kind::count, false},
                                     {"differences", Kind::object, false},
                                     {"orders_checked", Kind::count, false},
                                     {"refunds_checked", Kind::count, false},
                                     {"by_invariant", Kind::object, false}});
  if (problem.empty()) problem = check_elements(checker, path, "violations", check_violation);
  return problem;
}

bool is_breaker_state(const nlohmann::json& value) {
  return value.is_null() || value == "closed" || value == "open" || value == "half_open" ||
         value == "switched_off";
}

// One series: an array with one value per t_s entry, each a number or null (the breaker
// series: a state name or null).
std::string check_series(const nlohmann::json& series, const std::string& path, std::size_t length,
                         bool breaker) {
  std::string problem = check_value(series, path, Kind::array);
  if (!problem.empty()) return problem;
  if (series.size() != length) {
    return path + ": expected " + std::to_string(length) + " values (one per t_s), got " +
           std::to_string(series.size());
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    const nlohmann::json& value = series[i];
    const bool ok = breaker ? is_breaker_state(value) : value.is_null() || value.is_number();
    if (!ok) {
      return pointer(path, i) + ": expected " +
             (breaker ? "\"closed\", \"open\", \"half_open\", \"switched_off\" or null"
                      : "a number or null") +
             ", got " +
             (value.is_string() ? "\"" + value.get<std::string>() + "\""
                                : std::string(type_name(value)));
    }
  }
  return "";
}

std::string check_series_group(const nlohmann::json& group, const std::string& path,
                               std::size_t length) {
  std::string problem = check_value(group, path, Kind::object);
  for (auto it = group.begin(); problem.empty() && it != group.end(); ++it) {
    problem = check_series(it.value(), pointer(path, it.key()), length, it.key() == "breaker");
  }
  return problem;
}

std::string check_timeline(const nlohmann::json& timeline, const std::string& path) {
  std::string problem = check_rules(timeline, path,
                                    {{"t_s", Kind::array, true},
                                     {"overall", Kind::object, false},
                                     {"channels", Kind::object, false}});
  if (!problem.empty()) return problem;
  const std::size_t length = timeline["t_s"].size();
  for (std::size_t i = 0; i < length; ++i) {
    problem = check_value(timeline["t_s"][i], pointer(pointer(path, "t_s"), i), Kind::number);
    if (!problem.empty()) return problem;
  }
  if (timeline.contains("overall")) {
    problem = check_series_group(timeline["overall"], pointer(path, "overall"), length);
  }
  if (!problem.empty() || !timeline.contains("channels")) return problem;
  const std::string channels_path = pointer(path, "channels");
  for (const auto& [name, series] : timeline["channels"].items()) {
    problem = check_series_group(series, pointer(channels_path, name), length);
    if (!problem.empty()) return problem;
  }
  return "";
}

}  // namespace

std::string check_result(const nlohmann::json& result) {
  if (!result.is_object())
    return std::string("(document): expected an object, got ") + type_name(result);
  std::string problem = check_rules(result, "", {{"schema", Kind::string, true}});
  if (!problem.empty()) return problem;
  if (result["schema"] != kResultSchema) {
    return "/schema: expected \"" + std::string(kResultSchema) + "\", got \"" +
           result["schema"].get<std::string>() + "\"";
  }
  problem = check_rules(result, "",
                        {{"scenario", Kind::nonempty_string, true},
                         {"mode", Kind::string, true},
                         {"seed", Kind::count, true},
                         {"passed", Kind::boolean, true},
                         {"duration_s", Kind::nonnegative_number, true},
                         {"assertions", Kind::array, true},
                         {"checker", Kind::object, true}});
  if (!problem.empty()) return problem;
  if (result["mode"] != "live" && result["mode"] != "sim") {
    return "/mode: expected \"live\" or \"sim\", got \"" + result["mode"].get<std::string>() + "\"";
  }
  problem = check_elements(result, "", "assertions", check_assertion);
  if (problem.empty()) problem = check_checker(result["checker"], "/checker");
  if (problem.empty()) {
    problem = check_rules(result, "",
                          {{"description", Kind::string, false},
                           {"file", Kind::string, false},
                           {"time_scale", Kind::number, false},
                           {"started_at", Kind::string, false},
                           {"wall_s", Kind::nonnegative_number, false},
                           {"replay", Kind::string, false},
                           {"interrupted", Kind::boolean, false},
                           {"settle_s", Kind::nonnegative_number, false},
                           {"problems", Kind::array, false},
                           {"load", Kind::object, false},
                           {"channels", Kind::object, false},
                           {"faults", Kind::array, false},
                           {"actions", Kind::array, false},
                           {"timeline", Kind::object, false},
                           {"breaker_events", Kind::array, false},
                           {"alerts", Kind::array, false},
                           {"capacity", Kind::object, false}});
  }
  if (problem.empty() && result.contains("timeline")) {
    problem = check_timeline(result["timeline"], "/timeline");
  }
  return problem;
}

}  // namespace fusebox::reports
