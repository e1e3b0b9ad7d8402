// The suite's index page: one row per scenario, linking to each scenario's own report.
#include <string>
#include <vector>

#include "fusebox/reports/reports.hpp"

#include "html_parts.hpp"
#include "text.hpp"

namespace fusebox::reports {
namespace {

using detail::cell;
using detail::field;
using detail::html_escape;
using detail::string_field;

std::vector<std::string> index_row(const nlohmann::json& result) {
  const std::string scenario = string_field(result, "scenario");
  std::size_t assertions = 0;
  std::size_t failed = 0;
  for (const nlohmann::json& assertion : detail::array_field(result, "assertions")) {
    ++assertions;
    if (!detail::bool_field(assertion, "passed")) ++failed;
  }
  const nlohmann::json& checker = field(result, "checker");
  const nlohmann::json& count = field(checker, "violation_count");
  const std::string violations =
      count.is_number() ? cell(count)
                        : std::to_string(detail::array_field(checker, "violations").size());
  const std::string link = detail::url_path_segment(scenario) + "/report.html";
  return {"<a href=\"" + html_escape(link) + "\">" + html_escape(scenario) + "</a>",
          detail::badge(detail::bool_field(result, "passed")),
          std::to_string(failed) + " of " + std::to_string(assertions),
          violations,
          html_escape(detail::seed_text(result)),
          cell(field(result, "mode")),
          cell(field(result, "duration_s"), 1),
          "<code>" + cell(field(result, "replay")) + "</code>"};
}

}  // namespace

std::string render_index_html(const std::vector<nlohmann::json>& results) {
  std::vector<std::vector<std::string>> rows;
  std::size_t failed = 0;
  for (const nlohmann::json& result : results) {
    rows.push_back(index_row(result));
    if (!detail::bool_field(result, "passed")) ++failed;
  }
  std::string html = detail::page_start("fusebox suite: " + std::to_string(failed) + " of " +
                                        std::to_string(results.size()) + " failed");
  html += "<body data-rendered=\"ok\">\n<header class=\"run " +
          std::string(failed == 0 ? "passed" : "failed") + "\">\n<h1>fusebox suite " +
          detail::badge(failed == 0) + "</h1>\n<p>" + std::to_string(results.size()) +
          " scenarios, " + std::to_string(failed) + " failed.</p>\n</header>\n<main>\n";
  html += detail::html_table({"scenario", "result", "assertions failed", "invariant violations",
                              "seed", "mode", "duration (s)", "replay"},
                             rows, "index");
  return html + "</main>\n</body>\n</html>\n";
}

}  // namespace fusebox::reports
