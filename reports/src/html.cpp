// report.html: one file that opens anywhere, offline. The page is static HTML for every
// table and fact; only the charts are drawn by script, from data embedded in the page.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "fusebox/reports/reports.hpp"

#include "assets.hpp"
#include "html_parts.hpp"
#include "text.hpp"

namespace fusebox::reports {
namespace detail {

std::string page_start(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>" +
         html_escape(title) + "</title>\n<style>\n" + std::string(assets::report_style()) +
         "</style>\n</head>\n";
}

std::string html_table(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows,
                       std::string_view css_class) {
  std::string html = "<table";
  if (!css_class.empty()) html += " class=\"" + html_escape(css_class) + "\"";
  html += ">\n<thead><tr>";
  for (const std::string& header : headers)
    html += "<th>" + html_escape(header) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const std::vector<std::string>& row : rows) {
    html += "<tr>";
    for (const std::string& value : row)
      html += "<td>" + value + "</td>";
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

std::string badge(bool passed, std::string_view pass_text, std::string_view fail_text) {
  return passed ? "<span class=\"badge pass\">" + html_escape(pass_text) + "</span>"
                : "<span class=\"badge fail\">" + html_escape(fail_text) + "</span>";
}

std::string cell(const nlohmann::json& value, int max_decimals) {
  return html_escape(display(value, max_decimals));
}

std::vector<std::string> channel_names(const nlohmann::json& result) {
  std::vector<std::string> names;
  const nlohmann::json& channels = field(result, "channels");
  if (channels.is_object()) {
    for (const auto& [name, unused] : channels.items())
      names.push_back(name);
  }
  const nlohmann::json& timeline_channels = field(field(result, "timeline"), "channels");
  if (timeline_channels.is_object()) {
    for (const auto& [name, unused] : timeline_channels.items()) {
      if (!channels.is_object() || !channels.contains(name)) names.push_back(name);
    }
  }
  return names;
}

}  // namespace detail

namespace {

using detail::cell;
using detail::field;
using detail::html_escape;
using detail::string_field;

std::string fact(std::string_view name, const std::string& value_html) {
  if (value_html.empty()) return "";
  return "<div><dt>" + html_escape(name) + "</dt><dd>" + value_html + "</dd></div>";
}

// What went wrong with the run itself (an API call that failed, an interruption): shown first,
// because every figure below may be incomplete because of it.
std::string problems_list(const nlohmann::json& problems) {
  if (problems.empty()) return "";
  std::string html = "<ul class=\"problems\">";
  for (const nlohmann::json& problem : problems)
    html += "<li>" + cell(problem) + "</li>";
  return html + "</ul>\n";
}

std::string header_section(const nlohmann::json& result) {
  const bool passed = detail::bool_field(result, "passed");
  std::string html = "<header class=\"run " + std::string(passed ? "passed" : "failed") +
                     "\">\n<h1><span class=\"scenario\">" +
                     html_escape(string_field(result, "scenario")) + "</span> " +
                     detail::badge(passed);
  if (detail::bool_field(result, "interrupted")) {
    html += " <span class=\"badge warn\">INTERRUPTED</span>";
  }
  html += "</h1>\n";
  const std::string description = string_field(result, "description");
  if (!description.empty())
    html += "<p class=\"description\">" + html_escape(description) + "</p>\n";
  html += "<dl class=\"facts\">";
  html += fact("mode", cell(field(result, "mode")));
  html += fact("seed", html_escape(detail::seed_text(result)));
  html += fact("duration", cell(field(result, "duration_s"), 1) + " s (scenario time)");
  if (detail::has_number(result, "wall_s")) {
    html += fact("wall time", cell(field(result, "wall_s"), 1) + " s");
  }
  if (detail::has_number(result, "settle_s")) {
    html += fact("settle period", cell(field(result, "settle_s"), 1) + " s");
  }
  html += fact("time scale", cell(field(result, "time_scale")));
  if (!string_field(result, "started_at").empty()) {
    html += fact("started", cell(field(result, "started_at")));
  }
  if (const nlohmann::json& sim = field(result, "sim"); sim.is_object()) {
    html += fact("virtual time", cell(field(sim, "virtual_s"), 1) + " s");
    html += fact("trace digest", cell(field(sim, "trace_digest")));
    html += fact("signatures", string_field(sim, "crypto") == "real"
                                   ? std::string("the channels' own schemes")
                                   : std::string("HMAC-SHA256 in place of asymmetric schemes"));
  }
  html += fact("scenario file", cell(field(result, "file")));
  html += fact("schema", cell(field(result, "schema")));
  html += "</dl>\n";
  html += problems_list(detail::array_field(result, "problems"));
  const std::string replay = string_field(result, "replay");
  if (!replay.empty()) {
    html += "<p class=\"replay\">Replay this run: <code>" + html_escape(replay) + "</code></p>\n";
  }
  return html + "</header>\n";
}

std::string assertions_section(const nlohmann::json& result) {
  std::vector<std::vector<std::string>> rows;
  std::size_t failed = 0;
  for (const nlohmann::json& assertion : detail::array_field(result, "assertions")) {
    const bool passed = detail::bool_field(assertion, "passed");
    if (!passed) ++failed;
    rows.push_back({"<span class=\"name\">" + cell(field(assertion, "name")) + "</span>",
                    cell(field(assertion, "kind")), cell(field(assertion, "window")),
                    cell(field(assertion, "expected")), cell(field(assertion, "observed")),
                    detail::badge(passed, "pass", "fail"), cell(field(assertion, "detail"))});
  }
  std::string html = "<section id=\"assertions\">\n<h2>Assertions</h2>\n<p>" +
                     std::to_string(rows.size() - failed) + " of " + std::to_string(rows.size()) +
                     " held.</p>\n";
  html += detail::html_table(
      {"assertion", "kind", "window", "expected", "observed", "result", "detail"}, rows,
      "assertions");
  return html + "</section>\n";
}

std::string latency_cells(const nlohmann::json& latency, std::initializer_list<const char*> keys) {
  std::string text;
  for (const char* key : keys) {
    if (!text.empty()) text += " / ";
    text += cell(field(latency, key), 2);
  }
  return text;
}

std::string load_table(const nlohmann::json& load) {
  if (!load.is_object()) return "<p>No load figures.</p>\n";
  const nlohmann::json& latency = field(load, "latency_ms");
  std::vector<std::string> row;
  for (const char* key : {"planned", "sent", "late", "answered", "timeouts", "errors"}) {
    row.push_back(cell(field(load, key)));
  }
  row.push_back(cell(field(load, "planned_tps"), 1));
  row.push_back(cell(field(load, "achieved_tps"), 1));
  row.push_back(cell(field(latency, "count")));
  row.push_back(latency_cells(latency, {"p50", "p90", "p99", "p999", "max"}));
  return detail::html_table(
      {"planned", "sent", "late", "answered", "timeouts", "errors", "planned TPS", "achieved TPS",
       "latency samples", "latency ms p50 / p90 / p99 / p99.9 / max"},
      {row}, "numbers");
}

std::string channels_table(const nlohmann::json& result) {
  const nlohmann::json& channels = field(result, "channels");
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : detail::channel_names(result)) {
    const nlohmann::json& channel = field(channels, name);
    if (!channel.is_object()) continue;
    std::vector<std::string> row{html_escape(name)};
    for (const char* key :
         {"requests", "ok", "declined", "rejected", "failed", "refused", "errors", "timeouts"}) {
      row.push_back(cell(field(channel, key)));
    }
    row.push_back(cell(field(channel, "success_rate"), 4));
    row.push_back(latency_cells(field(channel, "latency_ms"), {"p50", "p99", "max"}));
    row.push_back(cell(field(field(channel, "latency_ms"), "count")));
    row.push_back(cell(field(channel, "breaker_trips")));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return "<p>No per-channel figures.</p>\n";
  return detail::html_table({"channel", "requests", "ok", "declined", "rejected", "failed",
                             "refused", "errors", "timeouts", "success rate",
                             "latency ms p50 / p99 / max", "latency samples", "breaker trips"},
                            rows, "numbers");
}

std::string summary_section(const nlohmann::json& result) {
  return "<section id=\"summary\">\n<h2>Load</h2>\n" + load_table(field(result, "load")) +
         "<h2>Channels</h2>\n" + channels_table(result) + "</section>\n";
}

// Nothing in an inlined asset may end the <script> element early: "</script" (any case) can
// only sit inside a JavaScript string or comment, where "<\/" means the same.
std::string script_element(std::string_view code) {
  std::string text(code);
  std::string lower(code);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  std::size_t shift = 0;
  for (std::size_t at = lower.find("</script"); at != std::string::npos;
       at = lower.find("</script", at + 2)) {
    text.replace(at + shift, 2, "<\\/");
    ++shift;
  }
  return "<script>\n" + text + "\n</script>\n";
}

// The license notice as an HTML comment: "--" may not appear inside one.
std::string license_comment() {
  std::string text(assets::chartjs_license());
  for (std::size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at)) {
    text.replace(at, 2, "- -");
  }
  return "<!-- The charts below are drawn by Chart.js, inlined. Its license notice:\n" + text +
         "\n-->\n";
}

}  // namespace

std::string render_html(const nlohmann::json& result) {
  const bool passed = detail::bool_field(result, "passed");
  std::string html = detail::page_start("fusebox: " + string_field(result, "scenario") + " " +
                                        (passed ? "passed" : "FAILED"));
  html += "<body data-rendered=\"pending\">\n" + header_section(result) + "<main>\n";
  html += assertions_section(result) + summary_section(result) + detail::charts_section(result);
  html += detail::checker_section(result) + detail::events_section(result);
  html += detail::capacity_section(result) + "</main>\n";
  html += "<footer>Rendered by fusebox from result.json (" +
          html_escape(string_field(result, "schema")) +
          "). Opens offline: the charting library (Chart.js) is inlined.</footer>\n";
  html += "<script type=\"application/json\" id=\"fusebox-data\">" + detail::chart_data(result) +
          "</script>\n";
  html += license_comment() + script_element(assets::chartjs()) +
          script_element(assets::report_script());
  return html + "</body>\n</html>\n";
}

}  // namespace fusebox::reports
