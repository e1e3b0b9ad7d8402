// report.html's findings: the checker's invariants and differences, the breaker events,
// alerts, fault and action windows, and for capacity runs the steps, knee and headroom.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "html_parts.hpp"
#include "text.hpp"

namespace fusebox::reports::detail {
namespace {

// The BRIEF's invariants, listed even when they hold: a zero is a finding too.
constexpr const char* kInvariants[] = {
    "no_double_charge",       "no_lost_payment", "final_states_absorbing",   "refund_bounds",
    "notification_integrity", "ledger_matches",  "closed_channel_untouched", "idempotency"};

// Violations listed with their history; the rest are counted only.
constexpr std::size_t kViolationsShown = 50;

// Counts per invariant: the checker's own "by_invariant" (every violation) when the result
// has it, else a count of the listed ones (the checker lists at most a few hundred).
std::string invariant_table(const nlohmann::json& checker) {
  std::map<std::string, double> counts;
  for (const char* invariant : kInvariants)
    counts[invariant] = 0;
  const nlohmann::json& by_invariant = field(checker, "by_invariant");
  if (by_invariant.is_object()) {
    for (const auto& [invariant, count] : by_invariant.items()) {
      counts[invariant] = count.is_number() ? count.get<double>() : 0;
    }
  } else {
    for (const nlohmann::json& violation : array_field(checker, "violations")) {
      counts[string_field(violation, "invariant")] += 1;
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [invariant, count] : counts) {
    rows.push_back({html_escape(invariant), html_escape(format_decimal(count, 0)),
                    badge(count <= 0, "holds", "violated")});
  }
  return html_table({"invariant", "violations", "verdict"}, rows, "numbers");
}

std::string differences_table(const nlohmann::json& differences) {
  if (!differences.is_object() || differences.empty()) return "<p>No ledger differences.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [kind, count] : differences.items()) {
    rows.push_back({html_escape(kind), cell(count)});
  }
  return html_table({"difference (gateway vs channel ledger)", "count"}, rows, "numbers");
}

std::string violation_details(const nlohmann::json& violations) {
  std::string html;
  const std::size_t shown = std::min(violations.size(), kViolationsShown);
  for (std::size_t i = 0; i < shown; ++i) {
    const nlohmann::json& violation = violations[i];
    html += "<details class=\"violation\"><summary><b>" + cell(field(violation, "invariant")) +
            "</b> " + cell(field(violation, "order_id")) + " on " +
            cell(field(violation, "channel")) + ": " + cell(field(violation, "message")) +
            "</summary><pre>" +
            html_escape(field(violation, "history")
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
            "</pre></details>\n";
  }
  if (violations.size() > shown) {
    html +=
        "<p>" + std::to_string(violations.size() - shown) + " more listed in result.json.</p>\n";
  }
  return html;
}

std::string window_rows_table(const nlohmann::json& entries, const char* what_key,
                              const char* what_header) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& entry : entries) {
    rows.push_back({cell(field(entry, "name")), cell(field(entry, what_key)),
                    cell(field(entry, "channel")), cell(field(entry, "from_s")),
                    has_number(entry, "to_s") ? cell(field(entry, "to_s")) : "end of run"});
  }
  if (rows.empty()) return "<p>None.</p>\n";
  return html_table({"name", what_header, "channel", "from (s)", "to (s)"}, rows);
}

std::string breaker_events_table(const nlohmann::json& events) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& event : events) {
    rows.push_back({cell(field(event, "t_s")), cell(field(event, "channel")),
                    cell(field(event, "path")),
                    cell(field(event, "from")) + " &rarr; " + cell(field(event, "to")),
                    cell(field(event, "reason"))});
  }
  if (rows.empty()) return "<p>No breaker changed state.</p>\n";
  return html_table({"t (s)", "channel", "path", "transition", "reason"}, rows);
}

std::string alerts_table(const nlohmann::json& alerts) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& alert : alerts) {
    rows.push_back({cell(field(alert, "t_s")), cell(field(alert, "rule")),
                    cell(field(alert, "channel")),
                    bool_field(alert, "firing") ? "<span class=\"badge fail\">firing</span>"
                                                : "<span class=\"badge pass\">resolved</span>",
                    cell(field(alert, "value"), 4)});
  }
  if (rows.empty()) return "<p>No alert fired.</p>\n";
  return html_table({"t (s)", "rule", "channel", "state", "value"}, rows);
}

std::string capacity_steps_table(const nlohmann::json& steps) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& step : steps) {
    std::string broken;
    for (const nlohmann::json& name : array_field(step, "broken")) {
      broken += (broken.empty() ? "" : ", ") + cell(name);
    }
    rows.push_back({cell(field(step, "tps")), cell(field(step, "achieved_tps"), 1),
                    cell(field(step, "p50_ms"), 2), cell(field(step, "p99_ms"), 2),
                    cell(field(step, "success_rate"), 4),
                    badge(bool_field(step, "passed"), "held", "broke"), broken});
  }
  return html_table({"offered TPS", "achieved TPS", "p50 ms", "p99 ms", "success rate", "SLOs",
                     "assertions broken"},
                    rows, "numbers");
}

std::string capacity_headline(const nlohmann::json& capacity) {
  std::string html = "<dl class=\"facts\">";
  html +=
      "<div><dt>max TPS held</dt><dd>" + cell(field(capacity, "max_tps_held"), 1) + "</dd></div>";
  html += "<div><dt>knee</dt><dd>" + cell(field(capacity, "knee_tps"), 1) + " TPS</dd></div>";
  html +=
      "<div><dt>forecast</dt><dd>" + cell(field(capacity, "forecast_tps"), 1) + " TPS</dd></div>";
  if (has_number(capacity, "headroom")) {
    const double headroom = number_field(capacity, "headroom");
    html += "<div><dt>headroom</dt><dd>" + html_escape(format_decimal(headroom, 2)) +
            "&times; the forecast (" + html_escape(format_decimal((headroom - 1.0) * 100.0, 1)) +
            "%)</dd></div>";
  }
  const nlohmann::json& first_broken = field(capacity, "first_broken");
  if (first_broken.is_object()) {
    html += "<div><dt>breaks first</dt><dd>" + cell(field(first_broken, "assertion")) + " on " +
            cell(field(first_broken, "channel")) + " at " + cell(field(first_broken, "tps"), 1) +
            " TPS</dd></div>";
  }
  return html + "</dl>\n";
}

}  // namespace

std::string checker_section(const nlohmann::json& result) {
  const nlohmann::json& checker = field(result, "checker");
  const nlohmann::json& violations = array_field(checker, "violations");
  const double count =
      number_field(checker, "violation_count", static_cast<double>(violations.size()));
  std::string html = "<section id=\"checker\">\n<h2>Payment invariants " +
                     badge(count <= 0, "HOLD", "VIOLATED") + "</h2>\n<p>" +
                     cell(field(checker, "orders_checked")) + " orders and " +
                     cell(field(checker, "refunds_checked")) + " refunds checked; " +
                     html_escape(format_decimal(count, 0)) + " violations in all, " +
                     std::to_string(violations.size()) + " listed.</p>\n";
  html += invariant_table(checker) + differences_table(field(checker, "differences"));
  html += violation_details(violations);
  return html + "</section>\n";
}

std::string events_section(const nlohmann::json& result) {
  return "<section id=\"events\">\n<h2>Breaker events</h2>\n" +
         breaker_events_table(array_field(result, "breaker_events")) + "<h2>Alerts</h2>\n" +
         alerts_table(array_field(result, "alerts")) + "<h2>Fault windows</h2>\n" +
         window_rows_table(array_field(result, "faults"), "kind", "fault") +
         "<h2>Operator actions</h2>\n" +
         window_rows_table(array_field(result, "actions"), "action", "action") + "</section>\n";
}

std::string capacity_section(const nlohmann::json& result) {
  const nlohmann::json& capacity = field(result, "capacity");
  if (!capacity.is_object()) return "";
  return "<section id=\"capacity\">\n<h2>Capacity</h2>\n" + capacity_headline(capacity) +
         "<figure class=\"chart wide\"><figcaption>Latency and achieved throughput against "
         "offered TPS; the knee and the forecast are marked</figcaption><div "
         "class=\"canvas-box\"><canvas id=\"chart-capacity\" data-chart=\"capacity\" "
         "data-series=\"capacity\"></canvas></div></figure>\n" +
         capacity_steps_table(array_field(capacity, "steps")) + "</section>\n";
}

}  // namespace fusebox::reports::detail
