// The charts' canvases and the data the page's script (reports/assets/report.js) draws them
// from. The canvases are static HTML so a reader (and the headless test) can count them;
// the script finds each by its data-chart attribute.
#include <algorithm>
#include <string>
#include <vector>

#include "html_parts.hpp"
#include "text.hpp"

namespace fusebox::reports::detail {
namespace {

constexpr const char* kSeriesKeys[] = {"sent",         "ok",      "declined", "rejected",
                                       "failed",       "errors",  "p50_ms",   "p99_ms",
                                       "success_rate", "breaker", "pending"};

std::string chart(std::string_view id, std::string_view kind, std::string_view series,
                  const std::string& caption) {
  return "<figure class=\"chart\"><figcaption>" + html_escape(caption) +
         "</figcaption><div class=\"canvas-box\"><canvas id=\"" + html_escape(id) +
         "\" data-chart=\"" + html_escape(kind) + "\" data-series=\"" + html_escape(series) +
         "\"></canvas></div></figure>\n";
}

nlohmann::json series_of(const nlohmann::json& source) {
  nlohmann::json series = nlohmann::json::object();
  for (const char* key : kSeriesKeys) {
    const nlohmann::json& values = field(source, key);
    if (values.is_array()) series[key] = values;
  }
  return series;
}

// A fault or action window; one still open at the end of the run ends at the x axis' end.
nlohmann::json window_of(const nlohmann::json& entry, std::string_view kind, double end_s) {
  const std::string name = string_field(entry, "name");
  const std::string what = string_field(entry, kind == "fault" ? "kind" : "action");
  const std::string channel = string_field(entry, "channel");
  std::string label = name.empty() ? what : name;
  if (!channel.empty()) label += " (" + channel + ")";
  return {{"kind", kind},
          {"label", label},
          {"from_s", number_field(entry, "from_s")},
          {"to_s", has_number(entry, "to_s") ? number_field(entry, "to_s") : end_s}};
}

double axis_end_s(const nlohmann::json& result) {
  double end_s = number_field(result, "duration_s") + number_field(result, "settle_s");
  const nlohmann::json& t_s = array_field(field(result, "timeline"), "t_s");
  if (!t_s.empty() && t_s.back().is_number()) end_s = std::max(end_s, t_s.back().get<double>());
  return end_s;
}

bool virtual_time(const nlohmann::json& result) { return string_field(result, "mode") == "sim"; }

}  // namespace

std::string charts_section(const nlohmann::json& result) {
  const double step_s = number_field(field(result, "timeline"), "step_s", 1.0);
  const std::string per = step_s > 1 ? "per " + format_decimal(step_s, 1) + " s" : "per second";
  std::string html =
      "<section id=\"charts\">\n<h2>Over time</h2>\n<p class=\"legend\">One time axis in " +
      std::string(virtual_time(result) ? "virtual " : "") + "seconds since the load started" +
      (step_s > 1 ? ", one point every " + format_decimal(step_s, 1) + " s" : std::string()) +
      ". Shaded: <span class=\"swatch fault\"></span> fault "
      "windows, <span class=\"swatch action\"></span> operator actions.</p>\n";
  if (array_field(field(result, "timeline"), "t_s").empty()) {
    html += "<p>This result has no per-second timeline; the charts below are empty.</p>\n";
  }
  html += "<div class=\"charts\">\n";
  html += chart("chart-throughput-overall", "throughput", "overall",
                "Throughput, all channels (" + per + ")");
  const std::vector<std::string> names = channel_names(result);
  for (std::size_t i = 0; i < names.size(); ++i) {
    html += chart("chart-throughput-" + std::to_string(i), "throughput", std::to_string(i),
                  "Throughput, " + names[i] + " (" + per + ")");
  }
  html += chart("chart-success-rate", "success_rate", "channels", "Success rate per channel");
  html += chart("chart-latency", "latency", "channels", "Latency p50 / p99 per channel (ms, log)");
  html += chart("chart-breaker", "breaker", "channels", "Payments breaker state per channel");
  html += chart("chart-pending", "pending", "channels", "Pending (PROCESSING) orders per channel");
  return html + "</div>\n</section>\n";
}

std::string chart_data(const nlohmann::json& result) {
  const nlohmann::json& timeline = field(result, "timeline");
  const double end_s = axis_end_s(result);
  nlohmann::json data = {{"t_s", array_field(timeline, "t_s")},
                         {"x_max_s", end_s},
                         {"x_title", virtual_time(result) ? "virtual time (s)" : "time (s)"},
                         {"overall", series_of(field(timeline, "overall"))},
                         {"channels", nlohmann::json::array()},
                         {"windows", nlohmann::json::array()},
                         {"capacity", nullptr}};
  for (const std::string& name : channel_names(result)) {
    data["channels"].push_back(
        {{"name", name}, {"series", series_of(field(field(timeline, "channels"), name))}});
  }
  for (const nlohmann::json& fault : array_field(result, "faults")) {
    data["windows"].push_back(window_of(fault, "fault", end_s));
  }
  for (const nlohmann::json& action : array_field(result, "actions")) {
    data["windows"].push_back(window_of(action, "action", end_s));
  }
  const nlohmann::json& capacity = field(result, "capacity");
  if (capacity.is_object()) {
    data["capacity"] = {{"steps", array_field(capacity, "steps")},
                        {"knee_tps", field(capacity, "knee_tps")},
                        {"forecast_tps", field(capacity, "forecast_tps")},
                        {"max_tps_held", field(capacity, "max_tps_held")}};
  }
  return script_safe_json(data);
}

}  // namespace fusebox::reports::detail
