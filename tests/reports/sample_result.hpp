#pragma once
// Realistic result.json documents for the reports tests, covering every field of
// docs/RESULT.md. tests/reports/sample_result.json is sample_result() written out, for
// anyone who wants a result to render by hand (a test keeps the two equal).

#include <nlohmann/json.hpp>

namespace fusebox::reports::testing {

// A failed live run of a two-channel outage scenario: one assertion failed, two checker
// violations, a fault window and an operator action, breaker events and alerts, and a
// 30-second timeline with a few unmeasured (null) values.
[[nodiscard]] nlohmann::json sample_result();

// A capacity run: sample_result() plus the "capacity" object (steps, knee, headroom).
[[nodiscard]] nlohmann::json sample_capacity_result();

}  // namespace fusebox::reports::testing
