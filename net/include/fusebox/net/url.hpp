#pragma once
// Request-target helpers for the HTTP APIs on net::HttpServer.

#include <string>
#include <string_view>
#include <vector>

namespace fusebox::net {

// "/control/channels/wx/faults/3?x=1" -> {"control", "channels", "wx", "faults", "3"}
[[nodiscard]] std::vector<std::string> path_parts(std::string_view target);
// The value of `key` in the query string, "" when absent. No percent-decoding: the APIs'
// parameters are names and numbers.
[[nodiscard]] std::string query_value(std::string_view target, std::string_view key);

}  // namespace fusebox::net
