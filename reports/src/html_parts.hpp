#pragma once
// The pieces report.html and the suite index are made of. Every function returns HTML with
// every string from the result already escaped.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fusebox::reports::detail {

// <!DOCTYPE html> through <body>, with the report's style inlined.
[[nodiscard]] std::string page_start(std::string_view title);
// A table whose header texts are plain text and whose cells are HTML already.
[[nodiscard]] std::string html_table(const std::vector<std::string>& headers,
                                     const std::vector<std::vector<std::string>>& rows,
                                     std::string_view css_class = "");
[[nodiscard]] std::string badge(bool passed, std::string_view pass_text = "PASSED",
                                std::string_view fail_text = "FAILED");
[[nodiscard]] std::string cell(const nlohmann::json& value, int max_decimals = 3);

// The channels a result talks about, in a stable order: those of "channels", then any that
// only the timeline has.
[[nodiscard]] std::vector<std::string> channel_names(const nlohmann::json& result);

[[nodiscard]] std::string charts_section(const nlohmann::json& result);
// The data the page's script draws from (docs/RESULT.md's timeline, fault and action windows,
// capacity steps), as the contents of a <script type="application/json"> element.
[[nodiscard]] std::string chart_data(const nlohmann::json& result);

[[nodiscard]] std::string checker_section(const nlohmann::json& result);
[[nodiscard]] std::string events_section(const nlohmann::json& result);
[[nodiscard]] std::string capacity_section(const nlohmann::json& result);

}  // namespace fusebox::reports::detail
