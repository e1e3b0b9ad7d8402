#include "fusebox/common/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace fusebox {

namespace {

using nlohmann::json;

constexpr std::uintmax_t kMaxConfigBytes =
    std::uintmax_t{64} * 1024 * 1024;  // a config file, not a data set
constexpr std::size_t kMaxShownValueChars = 60;

std::string shown_path(const std::string& pointer) { return pointer.empty() ? "/" : pointer; }

std::string describe_value(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  std::string text = value.dump();
  if (text.size() > kMaxShownValueChars) text = text.substr(0, kMaxShownValueChars) + "...";
  return text;
}

std::string format_number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// Line and column (both 1-based) of the 0-based byte `offset` in `text`.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const auto line = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t column =
      last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return {line, column};
}

// nlohmann's message reads "[json.exception.parse_error.101] parse error at line L, column C:
// <what>"; keep <what>, since we print our own position.
std::string parse_error_reason(const json::parse_error& error) {
  const std::string message = error.what();
  const std::size_t colon = message.find(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

// Tracks where the parser is, so a duplicate key can be reported with its JSON path.
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(const std::string& source_name) : source_name_(source_name) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames_.push_back(Frame{true, {}, {}, 0});
        break;
      case json::parse_event_t::array_start:
        frames_.push_back(Frame{false, {}, {}, 0});
        break;
      case json::parse_event_t::key:
        on_key(parsed.get<std::string>());
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        advance_array_index();
        break;
      case json::parse_event_t::value:
        advance_array_index();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string current_key;
    std::size_t index;
  };

  void on_key(const std::string& key) {
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key).second) {
      std::string pointer;
      for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
        pointer += "/" + (frames_[i].is_object ? json_pointer_token(frames_[i].current_key)
                                               : std::to_string(frames_[i].index));
      }
      pointer += "/" + json_pointer_token(key);
      throw ConfigError(source_name_ + ": " + pointer + ": duplicate field \"" + key +
                        "\" (each field may appear once)");
    }
    frame.current_key = key;
  }

  void advance_array_index() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  const std::string& source_name_;
  std::vector<Frame> frames_;
};

std::string range_text(const char* kind, double min, double max) {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  std::string k = kind;
  if (has_min && has_max) return k + " in [" + format_number(min) + ", " + format_number(max) + "]";
  if (has_min) return k + " >= " + format_number(min);
  if (has_max) return k + " <= " + format_number(max);
  return k;
}

}  // namespace

std::string json_pointer_token(std::string_view key) {
  std::string token;
  token.reserve(key.size());
  for (const char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

ConfigDocument ConfigDocument::load_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(name + ": cannot read: is a directory, expected a JSON file");
  }
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxConfigBytes) {
    throw ConfigError(name + ": cannot read: larger than " + std::to_string(kMaxConfigBytes >> 20) +
                      " MiB, too big for a config file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(name + ": cannot read: " + std::generic_category().message(errno));
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw ConfigError(name + ": cannot read: I/O error");
  return parse(name, text);
}

ConfigDocument ConfigDocument::parse(std::string source_name, std::string_view text) {
  auto data = std::make_shared<Data>();
  data->source_name = std::move(source_name);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ConfigError(data->source_name + ": empty file, expected a JSON document");
  }
  try {
    DuplicateKeyGuard guard(data->source_name);
    data->json = json::parse(text, std::ref(guard), /*allow_exceptions=*/true,
                             /*ignore_comments=*/true);
  } catch (const json::parse_error& error) {
    const auto [line, column] = line_and_column(text, error.byte == 0 ? 0 : error.byte - 1);
    throw ConfigError(data->source_name + ":" + std::to_string(line) + ":" +
                      std::to_string(column) + ": " + parse_error_reason(error));
  }
  return ConfigDocument(std::move(data));
}

ConfigNode ConfigDocument::root() const {
  return ConfigNode(data_, &data_->source_name, &data_->json, "");
}

ConfigNode ConfigNode::child(const nlohmann::json& value, std::string_view token) const {
  return ConfigNode(owner_, source_name_, &value, path_ + "/" + std::string(token));
}

void ConfigNode::require_object() const {
  if (!json_->is_object()) fail_expected("an object");
}

ConfigNode ConfigNode::at(std::string_view key) const {
  require_object();
  const auto it = json_->find(key);
  if (it == json_->end()) fail("missing required field \"" + std::string(key) + "\"");
  return child(*it, json_pointer_token(key));
}

std::optional<ConfigNode> ConfigNode::find(std::string_view key) const {
  require_object();
  const auto it = json_->find(key);
  if (it == json_->end()) return std::nullopt;
  return child(*it, json_pointer_token(key));
}

bool ConfigNode::has(std::string_view key) const {
  require_object();
  return json_->contains(key);
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::members() const {
  require_object();
  std::vector<std::pair<std::string, ConfigNode>> out;
  for (const auto& [key, value] : json_->items()) {
    out.emplace_back(key, child(value, json_pointer_token(key)));
  }
  return out;
}

void ConfigNode::expect_fields(std::initializer_list<std::string_view> allowed) const {
  require_object();
  for (const auto& [key, value] : json_->items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string known;
    for (const auto name : allowed) {
      if (!known.empty()) known += ", ";
      known += name;
    }
    child(value, json_pointer_token(key))
        .fail("unknown field \"" + key + "\" (expected one of: " + known + ")");
  }
}

std::vector<ConfigNode> ConfigNode::elements() const {
  if (!json_->is_array()) fail_expected("an array");
  std::vector<ConfigNode> out;
  out.reserve(json_->size());
  for (std::size_t i = 0; i < json_->size(); ++i)
    out.push_back(child((*json_)[i], std::to_string(i)));
  return out;
}

ConfigNode ConfigNode::at(std::size_t index) const {
  if (!json_->is_array()) fail_expected("an array");
  if (index >= json_->size()) {
    fail("expected an element at index " + std::to_string(index) + ", the array has " +
         std::to_string(json_->size()));
  }
  return child((*json_)[index], std::to_string(index));
}

void ConfigNode::expect_array(std::size_t min_size, std::size_t max_size) const {
  const std::string what =
      min_size == max_size   ? "an array of " + std::to_string(min_size) + " elements"
      : max_size == SIZE_MAX ? "an array of at least " + std::to_string(min_size) + " elements"
                             : "an array of " + std::to_string(min_size) + " to " +
                                   std::to_string(max_size) + " elements";
  if (!json_->is_array()) fail_expected(what);
  if (json_->size() < min_size || json_->size() > max_size) {
    fail("expected " + what + ", got " + std::to_string(json_->size()));
  }
}

std::string ConfigNode::as_string() const {
  if (!json_->is_string()) fail_expected("a string");
  return json_->get<std::string>();
}

std::string ConfigNode::as_non_empty_string() const {
  std::string value = as_string();
  if (value.empty()) fail_expected("a non-empty string");
  return value;
}

std::string ConfigNode::as_enum(std::initializer_list<std::string_view> allowed) const {
  std::string choices;
  for (const auto name : allowed)
    choices += (choices.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  if (!json_->is_string()) fail_expected("one of " + choices);
  std::string value = json_->get<std::string>();
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    fail_expected("one of " + choices);
  }
  return value;
}

bool ConfigNode::as_bool() const {
  if (!json_->is_boolean()) fail_expected("true or false");
  return json_->get<bool>();
}

std::int64_t ConfigNode::as_int(std::int64_t min, std::int64_t max) const {
  const bool bounded_below = min != std::numeric_limits<std::int64_t>::min();
  const bool bounded_above = max != std::numeric_limits<std::int64_t>::max();
  const std::string expected =
      bounded_below && bounded_above
          ? "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]"
      : bounded_below ? "an integer >= " + std::to_string(min)
      : bounded_above ? "an integer <= " + std::to_string(max)
                      : std::string("an integer");
  std::int64_t value = 0;
  if (json_->is_number_unsigned()) {
    const auto u = json_->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail_expected(expected);
    value = static_cast<std::int64_t>(u);
  } else if (json_->is_number_integer()) {
    value = json_->get<std::int64_t>();
  } else if (json_->is_number_float()) {
    // 1e3 is an integer written as a float; 2.5 is not.
    const double d = json_->get<double>();
    if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) fail_expected(expected);
    value = static_cast<std::int64_t>(d);
  } else {
    fail_expected(expected);
  }
  if (value < min || value > max) fail_expected(expected);
  return value;
}

std::uint64_t ConfigNode::as_uint64() const {
  if (json_->is_number_unsigned()) return json_->get<std::uint64_t>();
  if (json_->is_number_integer() && json_->get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(json_->get<std::int64_t>());
  }
  fail_expected("an integer in [0, 18446744073709551615]");
}

double ConfigNode::as_number() const {
  if (!json_->is_number()) fail_expected("a number");
  return json_->get<double>();
}

double ConfigNode::as_number_in(double min, double max) const {
  const std::string expected = range_text("a number", min, max);
  if (!json_->is_number()) fail_expected(expected);
  const double value = json_->get<double>();
  if (value < min || value > max) fail_expected(expected);
  return value;
}

double ConfigNode::as_positive_number() const {
  if (!json_->is_number() || !(json_->get<double>() > 0)) fail_expected("a positive number");
  return json_->get<double>();
}

double ConfigNode::as_non_negative_number() const {
  return as_number_in(0.0, std::numeric_limits<double>::infinity());
}

void ConfigNode::fail_expected(std::string_view expected) const {
  fail("expected " + std::string(expected) + ", got " + describe_value(*json_));
}

void ConfigNode::fail(std::string_view message) const {
  throw ConfigError(*source_name_ + ": " + shown_path(path_) + ": " + std::string(message));
}

}  // namespace fusebox
