// The comparison as a terminal table: one line per row, the regressions last, so the verdict
// is what stays on screen.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "fusebox/reports/reports.hpp"

#include "text.hpp"

namespace fusebox::reports {
namespace {

using detail::display;
using detail::field;

using Line = std::array<std::string, 5>;

// "+12.3%" for two numbers, "" otherwise.
std::string change(const nlohmann::json& a, const nlohmann::json& b) {
  if (!a.is_number() || !b.is_number() || a.get<double>() == 0) return "";
  const double percent = (b.get<double>() - a.get<double>()) / a.get<double>() * 100.0;
  return (percent >= 0 ? "+" : "") + detail::format_decimal(percent, 1) + "%";
}

std::string side(const nlohmann::json& run) {
  return display(field(run, "scenario")) + " seed " + display(field(run, "seed")) + " (" +
         display(field(run, "mode")) + ", " +
         (detail::bool_field(run, "passed") ? "passed" : "failed") + ")";
}

std::string layout(const std::vector<Line>& lines) {
  std::array<std::size_t, 5> widths{};
  for (const Line& line : lines) {
    for (std::size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], line[i].size());
  }
  std::string text;
  for (const Line& line : lines) {
    std::string row;
    for (std::size_t i = 0; i < line.size(); ++i) {
      row += line[i];
      if (i + 1 < line.size()) row += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    while (!row.empty() && row.back() == ' ')
      row.pop_back();
    text += row + "\n";
  }
  return text;
}

}  // namespace

std::string render_comparison_text(const nlohmann::json& comparison) {
  std::string text =
      "A: " + side(field(comparison, "a")) + "\nB: " + side(field(comparison, "b")) + "\n";
  const std::string warning = detail::string_field(comparison, "warning");
  if (!warning.empty()) text += "warning: " + warning + "\n";
  std::vector<Line> lines{{"what", "A", "B", "change", ""}};
  for (const nlohmann::json& row : detail::array_field(comparison, "rows")) {
    const nlohmann::json& a = field(row, "a");
    const nlohmann::json& b = field(row, "b");
    lines.push_back({display(field(row, "section")) + " " + display(field(row, "name")) + " " +
                         display(field(row, "metric")),
                     a.is_null() ? "-" : display(a), b.is_null() ? "-" : display(b), change(a, b),
                     detail::bool_field(row, "regressed") ? "REGRESSED" : ""});
  }
  text += "\n" + layout(lines) + "\n";
  const nlohmann::json& regressions = detail::array_field(comparison, "regressions");
  if (regressions.empty()) return text + "No regression: B holds against A.\n";
  text += std::to_string(regressions.size()) + " regression" +
          (regressions.size() == 1 ? "" : "s") + " in B:\n";
  for (const nlohmann::json& regression : regressions)
    text += "  - " + display(regression) + "\n";
  return text;
}

}  // namespace fusebox::reports
