#include "assert_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fusebox::harness::detail {
namespace {

[[nodiscard]] std::string from_buffer(const char* text, int length, std::size_t capacity) {
  if (length < 0) return "?";
  return {text, std::min(static_cast<std::size_t>(length), capacity - 1)};
}

// The formats stay literals (-Wformat=2 checks them); the precision is an argument.
[[nodiscard]] std::string fixed_text(double value, int decimals) {
  char text[64];
  return from_buffer(text, std::snprintf(text, sizeof text, "%.*f", decimals, value), sizeof text);
}

[[nodiscard]] std::string general_text(double value, int significant) {
  char text[64];
  return from_buffer(text, std::snprintf(text, sizeof text, "%.*g", significant, value),
                     sizeof text);
}

[[nodiscard]] std::string group_thousands(std::string_view digits) {
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

}  // namespace

std::string format_count(std::uint64_t count) { return group_thousands(std::to_string(count)); }

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return general_text(value, 6);
  const std::string plain = fixed_text(value, decimals);
  const bool negative = !plain.empty() && plain.front() == '-';
  const std::string_view unsigned_part = std::string_view(plain).substr(negative ? 1 : 0);
  const std::size_t point = unsigned_part.find('.');
  const std::string_view integer = unsigned_part.substr(0, point);
  std::string out = negative ? "-" : "";
  out += group_thousands(integer);
  if (point != std::string_view::npos) out += unsigned_part.substr(point);
  return out;
}

std::string format_rate(double value) { return format_fixed(value, 3); }

std::string format_rate(double value, double bound) {
  // Equal within noise: the bound's own digits say it best.
  if (std::fabs(value - bound) <= 1e-9) return format_fixed(value, 3);
  // Up to 6 decimals: past that a difference is rounding noise, not a finding.
  for (int decimals = 3; decimals < 6; ++decimals) {
    if (format_fixed(value, decimals) != format_fixed(bound, decimals)) {
      return format_fixed(value, decimals);
    }
  }
  return format_fixed(value, 6);
}

std::string format_ms(double value_ms) {
  if (value_ms != 0 && std::fabs(value_ms) < 1) return general_text(value_ms, 3) + " ms";
  return format_fixed(value_ms, 1) + " ms";
}

std::string format_s(double value_s) { return format_fixed(value_s, 1) + " s"; }

std::string format_seconds_short(double value_s) { return general_text(value_s, 6) + "s"; }

std::string format_percent(double share) {
  if (share == 0) return "0%";
  return general_text(share * 100, 3) + "%";
}

std::string percentile_name(double percentile) { return "p" + general_text(percentile, 6); }

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace fusebox::harness::detail
