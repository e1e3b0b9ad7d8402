#pragma once
// The files a report page inlines, embedded at build time (reports/cmake/embed_assets.cmake),
// so a report needs neither the network nor the machine it was rendered on.

#include <string_view>

namespace fusebox::reports::assets {

[[nodiscard]] std::string_view chartjs();          // Chart.js, a UMD build
[[nodiscard]] std::string_view chartjs_license();  // its license notice
[[nodiscard]] std::string_view report_script();    // reports/assets/report.js
[[nodiscard]] std::string_view report_style();     // reports/assets/report.css

}  // namespace fusebox::reports::assets
