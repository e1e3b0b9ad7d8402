#pragma once
// A blocking HTTP/1.1 client for calls made outside any event loop: the gateway fetching a
// simulator's channels and statements, the harness and tests talking to the control,
// merchant and admin APIs. Plain HTTP on loopback, with a timeout on every step.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace fusebox::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  std::string body;
};

// `url` is http://host:port/path. Throws std::runtime_error naming the URL on a bad URL,
// a connection failure or a timeout.
[[nodiscard]] HttpReply http_request(
    const std::string& method, const std::string& url, const std::string& body = {},
    const Headers& headers = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace fusebox::net
