#pragma once
// Request-target helpers for the HTTP APIs on net::HttpServer.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fusebox::net {

// "/control/channels/wx/faults/3?x=1" -> {"control", "channels", "wx", "faults", "3"}
[[nodiscard]] std::vector<std::string> path_parts(std::string_view target);
// The value of `key` in the query string, "" when absent. No percent-decoding: the APIs'
// parameters are names and numbers.
[[nodiscard]] std::string query_value(std::string_view target, std::string_view key);

// http://host:port/path, split. Plain HTTP only: every URL fusebox calls is on loopback.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/";
};
// Throws std::invalid_argument saying what is wrong: not http://, no host:port, a port
// outside 1..65535.
[[nodiscard]] HttpUrl parse_http_url(const std::string& url);

}  // namespace fusebox::net
