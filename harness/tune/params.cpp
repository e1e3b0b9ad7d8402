// --param parsing and the candidate settings: the grid and the seeded random draw.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "fusebox/common/rng.hpp"
#include "fusebox/harness/tune.hpp"

#include "tune_internal.hpp"

namespace fusebox::harness {
namespace {

// The gateway sections a NAME may start with, and the channel fields that set every channel.
constexpr std::string_view kSections[] = {"alerts",          "breaker",         "channels",
                                          "currencies",      "expected_orders", "max_amount_minor",
                                          "notify_base_url", "poller",          "bulkheads",
                                          "poll_per_second", "timeout_ms"};

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw TuneError("--param " + std::string(text) + ": " + std::string(why));
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::optional<double> parse_double(std::string_view s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) return {};
  return value;
}

bool is_integer_text(std::string_view s) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc{} && end == s.data() + s.size();
}

// "channels[1].breaker.open_ms" -> {"channels", "[1]", "breaker", "open_ms"}
std::vector<std::string> parse_path(std::string_view text, std::string_view name) {
  std::vector<std::string> path;
  std::size_t i = 0;
  while (i < name.size()) {
    if (name[i] == '[') {
      const auto close = name.find(']', i);
      if (close == std::string_view::npos || close == i + 1 || path.empty()) {
        fail(text, "expected NAME like channels[0].breaker.open_ms");
      }
      path.emplace_back(name.substr(i, close - i + 1));
      i = close + 1;
      if (i < name.size() && name[i] != '.' && name[i] != '[') fail(text, "expected '.' after ']'");
      if (i < name.size() && name[i] == '.') ++i;
      continue;
    }
    const auto stop = name.find_first_of(".[", i);
    const auto key = name.substr(i, stop == std::string_view::npos ? name.npos : stop - i);
    if (key.empty()) fail(text, "empty field name in NAME");
    path.emplace_back(key);
    i = stop == std::string_view::npos ? name.size() : stop;
    if (i < name.size() && name[i] == '.') {
      ++i;
      if (i == name.size()) fail(text, "NAME ends with '.'");
    }
  }
  return path;
}

void check_section(std::string_view text, const std::string& section) {
  for (const auto known : kSections) {
    if (section == known) return;
  }
  std::string expected;
  for (const auto known : kSections) {
    expected += (expected.empty() ? "" : ", ") + std::string(known);
  }
  fail(text, "unknown gateway section \"" + section + "\" (expected one of: " + expected + ")");
}

nlohmann::json list_item(std::string_view text, const std::string& item) {
  if (item.empty()) fail(text, "empty value in the list");
  if (item == "true") return true;
  if (item == "false") return false;
  if (item == "null") return nullptr;
  if (is_integer_text(item)) return std::stoll(item);
  if (const auto d = parse_double(item)) return *d;
  return item;
}

void parse_spec(std::string_view text, std::string_view spec, TuneParam& param) {
  if (spec.empty()) fail(text, "expected NAME=LO:HI or NAME=a,b,c");
  const bool has_colon = spec.find(':') != std::string_view::npos;
  const bool has_comma = spec.find(',') != std::string_view::npos;
  if (has_colon && !has_comma) {
    const auto colon = spec.find(':');
    const std::string lo_text = trim(spec.substr(0, colon));
    const std::string hi_text = trim(spec.substr(colon + 1));
    const auto lo = parse_double(lo_text);
    const auto hi = parse_double(hi_text);
    if (!lo || !hi) fail(text, "a range is LO:HI with two numbers");
    if (*lo > *hi) fail(text, "LO " + lo_text + " is above HI " + hi_text);
    param.kind = TuneParam::Kind::range;
    param.lo = *lo;
    param.hi = *hi;
    param.integer = is_integer_text(lo_text) && is_integer_text(hi_text);
    return;
  }
  if (has_colon) fail(text, "a value is either a range LO:HI or a list a,b,c, not both");
  param.kind = TuneParam::Kind::list;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto comma = std::min(spec.find(',', start), spec.size());
    param.values.push_back(list_item(text, trim(spec.substr(start, comma - start))));
    start = comma + 1;
  }
}

// Range values are rounded to a micro-unit so that 0.2 + 0.15 prints as 0.35.
nlohmann::json range_value(const TuneParam& param, double v) {
  v = std::clamp(v, param.lo, param.hi);
  if (param.integer) return static_cast<std::int64_t>(std::llround(v));
  return std::round(v * 1e6) / 1e6;
}

std::vector<nlohmann::json> grid_values(const TuneParam& param, int points) {
  if (param.kind == TuneParam::Kind::list) return param.values;
  std::vector<nlohmann::json> values;
  for (int i = 0; i < points; ++i) {
    const double at = param.lo + (param.hi - param.lo) * i / (points - 1);
    nlohmann::json value = range_value(param, at);
    if (values.empty() || values.back() != value) values.push_back(std::move(value));
  }
  return values;
}

}  // namespace

TuneParam parse_tune_param(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    fail(text, "expected NAME=LO:HI or NAME=a,b,c");
  }
  TuneParam param;
  param.name = trim(text.substr(0, equals));
  param.path = parse_path(text, param.name);
  if (param.path.empty()) fail(text, "expected NAME=LO:HI or NAME=a,b,c");
  check_section(text, param.path.front());
  parse_spec(text, trim(text.substr(equals + 1)), param);
  return param;
}

std::vector<TuneSetting> grid_settings(const std::vector<TuneParam>& params, int points) {
  if (points < 2 || points > kMaxTunePoints) {
    throw TuneError("--points: expected 2.." + std::to_string(kMaxTunePoints) + ", got " +
                    std::to_string(points));
  }
  std::vector<std::vector<nlohmann::json>> axes;
  std::size_t total = 1;
  std::string shape;
  for (const auto& param : params) {
    axes.push_back(grid_values(param, points));
    total *= axes.back().size();
    shape += (shape.empty() ? "" : " x ") + std::to_string(axes.back().size());
    if (total > kMaxTuneSettings) break;
  }
  if (total > kMaxTuneSettings) {
    throw TuneError("the grid has more than " + std::to_string(kMaxTuneSettings) + " settings (" +
                    shape + (axes.size() < params.size() ? " x ..." : "") +
                    "): use fewer --points or parameters, or --samples N");
  }
  std::vector<TuneSetting> settings(total);
  // Mixed radix counting, last parameter fastest, so the first parameter varies slowest.
  for (std::size_t index = 0; index < total; ++index) {
    std::size_t rest = index;
    TuneSetting& setting = settings[index];
    setting.resize(axes.size());
    for (std::size_t p = axes.size(); p-- > 0;) {
      setting[p] = axes[p][rest % axes[p].size()];
      rest /= axes[p].size();
    }
  }
  return settings;
}

std::vector<TuneSetting> random_settings(const std::vector<TuneParam>& params, int samples,
                                         std::uint64_t seed) {
  if (samples < 1 || samples > static_cast<int>(kMaxTuneSettings)) {
    throw TuneError("--samples: expected 1.." + std::to_string(kMaxTuneSettings) + ", got " +
                    std::to_string(samples));
  }
  Rng rng = Rng::stream(seed, "tune");
  std::vector<TuneSetting> settings(static_cast<std::size_t>(samples));
  for (auto& setting : settings) {
    for (const auto& param : params) {
      if (param.kind == TuneParam::Kind::list) {
        setting.push_back(param.values[rng.below(param.values.size())]);
      } else if (param.integer) {
        setting.push_back(rng.between(std::llround(param.lo), std::llround(param.hi)));
      } else {
        setting.push_back(range_value(param, param.lo + (param.hi - param.lo) * rng.next_double()));
      }
    }
  }
  return settings;
}

std::string describe_setting(const std::vector<TuneParam>& params, const TuneSetting& setting) {
  std::string text;
  for (std::size_t i = 0; i < params.size() && i < setting.size(); ++i) {
    text += (text.empty() ? "" : " ") + params[i].name + "=" + detail::value_text(setting[i]);
  }
  return text;
}

namespace detail {

std::string value_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace detail
}  // namespace fusebox::harness
