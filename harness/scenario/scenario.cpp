// Reading a scenario file: the top-level fields, the channels and the gateway section (each
// checked by its own part's parser, at the scenario's JSON paths), then the load, the
// timeline and the assertions (load_spec.cpp, timeline.cpp, assertions_spec.cpp). Every
// error is re-thrown with the line of the offending value when the text is at hand.

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fusebox/gateway/gateway_config.hpp"
#include "fusebox/simulator/channel_config.hpp"

#include "scenario_internal.hpp"

namespace fusebox::harness {

namespace detail {

const Span* Context::span(std::string_view name) const {
  for (const Span& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ChannelInfo& require_channel(const Context& context, const ConfigNode& node) {
  const std::string name = node.as_non_empty_string();
  for (const ChannelInfo& channel : context.channels) {
    if (channel.name == name) return channel;
  }
  std::string known;
  for (const ChannelInfo& channel : context.channels)
    known += (known.empty() ? "" : ", ") + channel.name;
  node.fail_expected("one of the scenario's channels (" + known + ")");
}

void expect_fields(const ConfigNode& node, const std::vector<std::string_view>& allowed) {
  if (!node.is_object()) node.fail_expected("an object");
  for (const auto& [key, value] : node.members()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string known;
    for (const auto name : allowed)
      known += (known.empty() ? "" : ", ") + std::string(name);
    value.fail("unknown field \"" + key + "\" (expected one of: " + known + ")");
  }
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << s << "s";
  return out.str();
}

}  // namespace detail

namespace {

using detail::ChannelInfo;
using detail::Context;

std::string method_of(sim::Family family) {
  return family == sim::Family::bank_binary ? "bank" : "wallet";
}

void parse_channels(const ConfigNode& root, Scenario& scenario, Context& context) {
  const auto channels = root.find("channels");
  if (!channels) {  // the simulator's built-in channels
    for (const sim::ChannelSpec& c : sim::default_simulator().channels) {
      context.channels.push_back(ChannelInfo{c.model.name, std::string(sim::to_string(c.family)),
                                             method_of(c.family), c.nodes});
    }
    scenario.channels = nullptr;
    return;
  }
  channels->expect_array(1, 64);
  for (const ConfigNode& element : channels->elements()) {
    const sim::ChannelSpec spec = sim::parse_channel(element);
    for (const ChannelInfo& known : context.channels) {
      if (known.name == spec.model.name) {
        element.at("name").fail("channel name \"" + spec.model.name + "\" is used twice");
      }
    }
    context.channels.push_back(ChannelInfo{spec.model.name,
                                           std::string(sim::to_string(spec.family)),
                                           method_of(spec.family), spec.nodes});
  }
  scenario.channels = channels->json();
}

// The gateway section, and that it configures only channels the scenario has, as the
// family the simulator plays.
void parse_gateway(const ConfigNode& root, Scenario& scenario, Context& context) {
  gateway::GatewayConfig config;
  scenario.gateway = nlohmann::json::object();
  if (const auto g = root.find("gateway")) {
    config = gateway::parse_gateway_config(*g);
    scenario.gateway = g->json();
    for (std::size_t i = 0; i < config.channels.size(); ++i) {
      const ConfigNode element = g->at("channels").at(i);
      const ChannelInfo& channel = detail::require_channel(context, element.at("name"));
      const std::string family(gateway::to_string(config.channels[i].family));
      if (family != channel.family) {
        element.at("family").fail_expected("\"" + channel.family + "\", the family of the " +
                                           "scenario's channel \"" + channel.name + "\"");
      }
      // Targets are checked against the method the gateway routes the channel under.
      for (ChannelInfo& c : context.channels) {
        if (c.name == channel.name) c.method = gateway::to_string(config.channels[i].method);
      }
    }
  }
  context.currencies = config.currencies;
  for (const auto& rule : config.alerts)
    context.alert_rules.push_back(rule.name);
}

std::vector<std::string> parse_modes(const ConfigNode& node) {
  node.expect_array(1, 2);
  std::vector<std::string> modes;
  for (const ConfigNode& m : node.elements()) {
    std::string mode = m.as_enum({"live", "sim"});
    if (std::find(modes.begin(), modes.end(), mode) != modes.end()) {
      m.fail("mode \"" + mode + "\" is listed twice");
    }
    modes.push_back(std::move(mode));
  }
  return modes;
}

CapacitySpec parse_capacity(const ConfigNode& node) {
  node.expect_fields({"start_tps", "max_tps", "factor", "step_s", "bisect", "forecast_tps"});
  CapacitySpec c;
  if (const auto n = node.find("start_tps")) c.start_tps = n->as_positive_number();
  if (const auto n = node.find("max_tps")) c.max_tps = n->as_number_in(c.start_tps, 10'000'000);
  if (c.max_tps < c.start_tps) {
    node.fail("expected max_tps >= start_tps, got " + std::to_string(c.max_tps));
  }
  if (const auto n = node.find("factor")) {
    c.factor = n->as_number_in(1.0, 100.0);
    if (!(c.factor > 1)) n->fail_expected("a number above 1");
  }
  if (const auto n = node.find("step_s")) c.step_s = n->as_positive_number();
  if (const auto n = node.find("bisect")) c.bisect = static_cast<int>(n->as_int(0, 20));
  if (const auto n = node.find("forecast_tps")) c.forecast_tps = n->as_non_negative_number();
  return c;
}

void parse_header(const ConfigNode& root, Scenario& scenario) {
  const ConfigNode description = root.at("description");
  scenario.description = description.as_non_empty_string();
  if (scenario.description.find_first_of("\r\n") != std::string::npos) {
    description.fail_expected("one line");
  }
  if (const auto n = root.find("seed")) scenario.seed = n->as_uint64();
  if (const auto n = root.find("settle_s")) scenario.settle_s = n->as_non_negative_number();
  if (const auto n = root.find("modes")) scenario.modes = parse_modes(*n);
  if (const auto n = root.find("suite")) scenario.suite = n->as_bool();
}

Scenario parse_document(const ConfigDocument& document) {
  const ConfigNode root = document.root();
  root.expect_fields({"$schema", "description", "seed", "settle_s", "modes", "suite", "channels",
                      "gateway", "load", "faults", "actions", "assertions", "capacity"});
  Scenario scenario;
  scenario.file = document.source_name();
  scenario.name = scenario.file.stem().string();
  parse_header(root, scenario);
  Context context;
  parse_channels(root, scenario, context);
  parse_gateway(root, scenario, context);
  scenario.load = detail::parse_load(root.at("load"), context);
  scenario.duration_s = scenario.load.phases.back().end_s();
  context.duration_s = scenario.duration_s;
  context.settle_s = scenario.settle_s;
  if (const auto n = root.find("faults")) scenario.faults = detail::parse_faults(*n, context);
  if (const auto n = root.find("actions")) scenario.actions = detail::parse_actions(*n, context);
  if (const auto n = root.find("assertions"))
    scenario.assertions = detail::parse_assertions(*n, context);
  if (const auto n = root.find("capacity")) scenario.capacity = parse_capacity(*n);
  return scenario;
}

Scenario parse_with_lines(const ConfigDocument& document, std::string_view text) {
  try {
    return parse_document(document);
  } catch (const ConfigError& error) {
    throw ConfigError(
        detail::with_line(error.what(), document.source_name(), detail::json_pointer_lines(text)));
  }
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<std::string> Scenario::channel_names() const {
  std::vector<std::string> names;
  if (channels.is_array()) {
    for (const auto& c : channels)
      names.push_back(c.at("name").get<std::string>());
  } else {
    for (const auto& c : sim::default_simulator().channels)
      names.push_back(c.model.name);
  }
  return names;
}

Scenario parse_scenario(const ConfigDocument& document) { return parse_document(document); }

Scenario parse_scenario_text(const std::string& source_name, std::string_view text) {
  std::optional<ConfigDocument> document;
  try {
    document = ConfigDocument::parse(source_name, text);
  } catch (const ConfigError& error) {  // a duplicate field: name its line as well
    throw ConfigError(
        detail::with_line(error.what(), source_name, detail::json_pointer_lines(text)));
  }
  return parse_with_lines(*document, text);
}

Scenario load_scenario(const std::filesystem::path& file) {
  const std::string source = file.string();
  std::optional<ConfigDocument> document;
  try {
    document = ConfigDocument::load_file(file);
  } catch (const ConfigError& error) {
    throw ConfigError(
        detail::with_line(error.what(), source, detail::json_pointer_lines(read_text(file))));
  }
  return parse_with_lines(*document, read_text(file));
}

std::vector<std::filesystem::path> scenario_files(const std::vector<std::string>& arguments) {
  std::vector<std::filesystem::path> files;
  for (const std::string& argument : arguments) {
    const std::filesystem::path path(argument);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const auto& p = entry.path();
        if (p.extension() == ".json" && p.filename() != "schema.json" &&
            !std::filesystem::is_directory(p, ec)) {
          found.push_back(p);
        }
      }
      if (ec) throw ConfigError(argument + ": cannot read: " + ec.message());
      std::sort(found.begin(), found.end(),
                [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      throw ConfigError(argument + ": cannot read: No such file or directory");
    }
  }
  return files;
}

}  // namespace fusebox::harness
