// Writing a candidate setting into the scenario's "gateway" section and parsing it back.
#include <charconv>
#include <string>
#include <system_error>

#include "fusebox/harness/tune.hpp"

#include "tune_internal.hpp"

namespace fusebox::harness {
namespace {

// Channel fields a NAME may start with to set them on every channel the gateway lists.
constexpr std::string_view kChannelWide[] = {"bulkheads", "poll_per_second", "timeout_ms"};

std::string joined(const std::vector<std::string>& path, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count && i < path.size(); ++i) {
    if (i > 0 && path[i].front() != '[') text += '.';
    text += path[i];
  }
  return text;
}

[[noreturn]] void misfit(const TuneParam& param, std::size_t step, std::string_view why) {
  throw TuneError("--param " + param.name + ": " + joined(param.path, step + 1) + " " +
                  std::string(why));
}

// The element that an array step names: "[1]" by position, "[wallet-a]" by its "name".
nlohmann::json& array_element(nlohmann::json& array, const TuneParam& param, std::size_t step) {
  if (!array.is_array()) misfit(param, step, "is not a list in the scenario's gateway section");
  const std::string& text = param.path[step];
  const std::string inner = text.substr(1, text.size() - 2);
  std::size_t index = 0;
  const auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), index);
  if (ec == std::errc{} && end == inner.data() + inner.size()) {
    if (index >= array.size()) {
      misfit(param, step, "is past the end (the list has " + std::to_string(array.size()) + ")");
    }
    return array[index];
  }
  for (auto& element : array) {
    if (element.is_object() && element.value("name", nlohmann::json()) == inner) return element;
  }
  misfit(param, step, "names no entry of the list");
}

// Writes `value` at path[from...] below `node`, making the objects on the way.
void set_path(nlohmann::json& node, const TuneParam& param, std::size_t from,
              const nlohmann::json& value) {
  nlohmann::json* at = &node;
  for (std::size_t i = from; i < param.path.size(); ++i) {
    if (param.path[i].front() == '[') {
      at = &array_element(*at, param, i);
      continue;
    }
    if (at->is_null()) *at = nlohmann::json::object();
    if (!at->is_object()) misfit(param, i == 0 ? 0 : i - 1, "is not an object");
    at = &(*at)[param.path[i]];
  }
  *at = value;
}

bool has_path(const nlohmann::json& node, const std::vector<std::string>& path, std::size_t from) {
  const nlohmann::json* at = &node;
  for (std::size_t i = from; i < path.size(); ++i) {
    if (!at->is_object() || !at->contains(path[i])) return false;
    at = &(*at)[path[i]];
  }
  return true;
}

bool channel_wide(const std::string& section) {
  for (const auto name : kChannelWide) {
    if (section == name) return true;
  }
  return false;
}

void apply_one(nlohmann::json& gateway, const TuneParam& param, const nlohmann::json& value) {
  const std::string& section = param.path.front();
  nlohmann::json* channels = gateway.contains("channels") ? &gateway["channels"] : nullptr;
  if (section == "breaker") {
    // The defaults reach every channel except where a channel sets the field itself.
    set_path(gateway, param, 0, value);
    if (channels == nullptr || !channels->is_array()) return;
    for (auto& channel : *channels) {
      if (channel.is_object() && channel.contains("breaker") &&
          has_path(channel["breaker"], param.path, 1)) {
        set_path(channel, param, 0, value);
      }
    }
    return;
  }
  if (channel_wide(section)) {
    if (channels == nullptr || !channels->is_array() || channels->empty()) {
      throw TuneError("--param " + param.name +
                      ": sets every channel of the gateway section, and it lists none");
    }
    for (auto& channel : *channels)
      set_path(channel, param, 0, value);
    return;
  }
  set_path(gateway, param, 0, value);
}

// "x.json:12: /gateway/..." -> "x.json: /gateway/...": the line is one of the rewritten
// document, not of the file the user has open.
std::string without_line(const std::string& message, const std::string& source_name) {
  const std::string prefix = source_name + ":";
  if (message.rfind(prefix, 0) != 0) return message;
  std::size_t i = prefix.size();
  while (i < message.size() && message[i] >= '0' && message[i] <= '9')
    ++i;
  if (i == prefix.size() || i >= message.size() || message[i] != ':') return message;
  return source_name + message.substr(i);
}

}  // namespace

nlohmann::json apply_setting(const nlohmann::json& scenario_document,
                             const std::vector<TuneParam>& params, const TuneSetting& setting) {
  if (!scenario_document.is_object()) throw TuneError("the scenario is not a JSON object");
  if (setting.size() != params.size()) throw TuneError("a setting needs one value per --param");
  nlohmann::json document = scenario_document;
  nlohmann::json& gateway = document["gateway"];
  if (gateway.is_null()) gateway = nlohmann::json::object();
  if (!gateway.is_object()) throw TuneError("the scenario's \"gateway\" is not an object");
  for (std::size_t i = 0; i < params.size(); ++i)
    apply_one(gateway, params[i], setting[i]);
  return document;
}

Scenario candidate_scenario(const nlohmann::json& scenario_document, const std::string& source_name,
                            const std::vector<TuneParam>& params, const TuneSetting& setting) {
  const std::string text = apply_setting(scenario_document, params, setting).dump(2);
  try {
    return parse_scenario_text(source_name, text);
  } catch (const ConfigError& error) {
    throw TuneError("the setting " + describe_setting(params, setting) +
                    " is rejected: " + without_line(error.what(), source_name));
  }
}

}  // namespace fusebox::harness
