#pragma once
// Numbers for people, as the assertion table shows them: rates with 3 decimals, ms with 1
// decimal (3 significant digits below 1 ms, so a fail-fast path of 40 us is not "0.0 ms"),
// counts with thousands separators. Private to the assertion judge.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fusebox::harness::detail {

// "4,990"
[[nodiscard]] std::string format_count(std::uint64_t count);
// A fixed-point number with thousands separators: format_fixed(1234.56, 1) == "1,234.6".
[[nodiscard]] std::string format_fixed(double value, int decimals);
// "0.998". When the value differs from `bound` but would print the same as it (0.9896
// against 0.990), more decimals are shown, so a failure never reads as a pass.
[[nodiscard]] std::string format_rate(double value, double bound);
[[nodiscard]] std::string format_rate(double value);
// "153.2 ms", "0.0421 ms"
[[nodiscard]] std::string format_ms(double value_ms);
// "2.3 s"
[[nodiscard]] std::string format_s(double value_s);
// "20s", "2.5s": as the loader writes window times.
[[nodiscard]] std::string format_seconds_short(double value_s);
// "0.04%": a share in percent with 3 significant digits.
[[nodiscard]] std::string format_percent(double share);
// "p99", "p99.9"
[[nodiscard]] std::string percentile_name(double percentile);
// "a, b, c"
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace fusebox::harness::detail
