#pragma once
// Rendering a run's result: junit.xml, a self-contained report.html, and the comparison of
// two runs. Everything reads the result.json document (docs/RESULT.md is its schema,
// "fusebox.result/1"), so `fusebox report RESULT.json` renders exactly what a run rendered.
//
// result.json, in short (every field documented in docs/RESULT.md):
// {
//   "schema": "fusebox.result/1", "scenario": "smoke", "description": "...",
//   "file": "scenarios/smoke.json", "mode": "live", "seed": 1, "time_scale": 1.0,
//   "passed": true, "duration_s": 30.0, "started_at": "2026-12-01T00:00:00Z",
//   "wall_s": 41.2, "replay": "fusebox run scenarios/smoke.json --seed 1",
//   "assertions": [{"name", "kind", "window", "passed", "expected", "observed", "detail"}],
//   "checker": {"violations": [{"invariant", "order_id", "channel", "message", "history"}],
//               "violation_count": 0, "differences": {"missing_at_gateway": 0, ...},
//               "orders_checked": 0, "refunds_checked": 0},
//   "load": {"planned", "sent", "late", "answered", "timeouts", "errors", "achieved_tps",
//            "latency_ms": {"count", "p50", "p90", "p99", "p999", "max"}},
//   "channels": {"<name>": {"requests", "ok", "declined", "rejected", "failed", "errors",
//                "success_rate", "latency_ms": {"count", "p50", "p99", "max"},
//                "breaker_trips"}},
//   "faults": [{"name", "channel", "kind", "from_s", "to_s"}],
//   "actions": [{"name", "action", "channel", "from_s", "to_s"}],
//   "timeline": {"t_s": [0, 1, ...],
//                "overall": {"sent": [...], "ok": [...], "rejected": [...], "errors": [...],
//                            "p50_ms": [...], "p99_ms": [...]},
//                "channels": {"<name>": {"sent", "ok", "declined", "rejected", "failed",
//                             "errors", "p50_ms", "p99_ms", "success_rate",
//                             "breaker": ["closed"|"open"|"half_open"|null, ...],
//                             "pending": [...]}}},
//   "breaker_events": [{"channel", "path", "from", "to", "reason", "t_s"}],
//   "alerts": [{"rule", "channel", "firing", "value", "t_s"}],
//   "capacity": {"steps": [{"tps", "achieved_tps", "p50_ms", "p99_ms", "success_rate",
//                           "passed", "broken": ["assertion name", ...]}],
//                "max_tps_held", "first_broken": {"assertion", "channel", "tps"},
//                "knee_tps", "forecast_tps", "headroom"}          (capacity runs only)
// }
// Every series in "timeline" has one value per second, the same length as "t_s"; a value
// that was not measured is null.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fusebox::reports {

inline constexpr const char* kResultSchema = "fusebox.result/1";

// One JUnit XML document: a <testsuite> per result (named after the scenario), a
// <testcase> per assertion named "<assertion> [seed N]", plus one "checker invariants
// [seed N]" testcase; a failing case carries expected/observed in its <failure> and the
// replay command in <system-out>.
[[nodiscard]] std::string render_junit(const std::vector<nlohmann::json>& results);

// One self-contained HTML page (no network access needed: the charting library is inlined):
// throughput, success rate and latency percentiles per channel over time, breaker states
// and fault windows on the same time axis, pending orders over time, the assertion table,
// the checker's findings, and for capacity runs the throughput/latency curve and the knee.
[[nodiscard]] std::string render_html(const nlohmann::json& result);

// A suite's index page: one row per scenario (passed, assertions failed, violations, seed,
// link to its report.html at "<scenario>/report.html").
[[nodiscard]] std::string render_index_html(const std::vector<nlohmann::json>& results);

// Comparison of two results of the same scenario: per assertion and per channel metric,
// the two values and whether B regressed against A (a passing assertion that fails, a
// success rate down by more than 0.5 points, a p99 up by more than 20%, TPS down by more
// than 5%, new checker violations). {"regressions": [...], "rows": [...], "regressed": bool}
[[nodiscard]] nlohmann::json compare_results(const nlohmann::json& a, const nlohmann::json& b);
// The same comparison as a plain-text table for the terminal.
[[nodiscard]] std::string render_comparison_text(const nlohmann::json& comparison);

// Checks that a document is a result this build can render: an object whose "schema" is
// kResultSchema and whose required fields have the right types. Returns "" when it is, else
// a message naming the first bad field's path ("/assertions/2/passed: expected a boolean").
[[nodiscard]] std::string check_result(const nlohmann::json& result);

// Writes report.html and junit.xml for one result into `dir` (created if missing).
void write_reports(const nlohmann::json& result, const std::filesystem::path& dir);

}  // namespace fusebox::reports
