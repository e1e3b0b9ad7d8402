#include "part_apis.hpp"

#include <chrono>
#include <exception>
#include <stdexcept>

#include "fusebox/harness/runner.hpp"
#include "fusebox/net/http_client.hpp"
#include "fusebox/net/url.hpp"

namespace fusebox::harness {

namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kCallTimeout{30'000};

json call(const std::string& method, const std::string& url, const json& body,
          const net::Headers& headers, int expected_status) {
  net::HttpReply reply;
  try {
    reply = net::http_request(method, url, body.is_null() ? std::string{} : body.dump(), headers,
                              kCallTimeout);
  } catch (const std::exception& e) {
    throw RunError(method + " " + url + ": " + e.what());
  }
  if (reply.status != expected_status) {
    throw RunError(method + " " + url + ": expected HTTP " + std::to_string(expected_status) +
                   ", got " + std::to_string(reply.status) + ": " + reply.body.substr(0, 300));
  }
  if (reply.body.empty()) return json{};
  json parsed = json::parse(reply.body, nullptr, false);
  if (parsed.is_discarded()) {
    throw RunError(method + " " + url + ": the answer is not JSON: " + reply.body.substr(0, 300));
  }
  return parsed;
}

}  // namespace

std::int64_t HttpSimulatorApi::add_fault(const std::string& channel, const json& fault) const {
  const json answer = call("POST", control_ + "/channels/" + channel + "/faults", fault, {}, 201);
  return answer.value("id", std::int64_t{-1});
}

void HttpSimulatorApi::clear_faults(const std::string& channel) const {
  (void)call("DELETE", control_ + "/channels/" + channel + "/faults", json(), {}, 200);
}

json HttpSimulatorApi::channels() const {
  return call("GET", control_ + "/channels", json(), {}, 200);
}

std::int64_t HttpSimulatorApi::clock_origin_ms() const {
  const json clock = call("GET", control_ + "/clock", json(), {}, 200);
  if (!clock.contains("origin_ms") || !clock["origin_ms"].is_number_integer()) {
    throw RunError("GET " + control_ + "/clock: expected {\"origin_ms\": integer}, got " +
                   clock.dump());
  }
  return clock["origin_ms"].get<std::int64_t>();
}

json HttpSimulatorApi::ledger(const std::string& channel) const {
  return call("GET", control_ + "/ledger?channel=" + channel, json(), {}, 200);
}

json HttpGatewayApi::admin_get(const std::string& path) const {
  return call("GET", admin_ + "/" + path, json(), {{"Authorization", "Bearer " + token_}}, 200);
}

json HttpGatewayApi::admin_post(const std::string& path, const json& body) const {
  net::HttpReply reply;
  const std::string url = admin_ + "/" + path;
  try {
    reply = net::http_request("POST", url, body.dump(), {{"Authorization", "Bearer " + token_}},
                              kCallTimeout);
  } catch (const std::exception& e) {
    throw RunError("POST " + url + ": " + e.what());
  }
  if (reply.status != 200 && reply.status != 202) {
    throw RunError("POST " + url + ": got HTTP " + std::to_string(reply.status) + ": " +
                   reply.body.substr(0, 300));
  }
  return json::parse(reply.body, nullptr, false);
}

std::string HttpGatewayApi::metrics_text() const {
  net::HttpReply reply;
  const std::string url = api_ + "/metrics";
  try {
    reply = net::http_request("GET", url, "", {}, kCallTimeout);
  } catch (const std::exception& e) {
    throw RunError("GET " + url + ": " + e.what());
  }
  if (reply.status != 200) {
    throw RunError("GET " + url + ": got HTTP " + std::to_string(reply.status));
  }
  return reply.body;
}

HostPort parse_http_url(const std::string& url) {
  try {
    const net::HttpUrl parsed = net::parse_http_url(url);
    return HostPort{parsed.host, parsed.port};
  } catch (const std::invalid_argument& e) {
    throw RunError(e.what());
  }
}

}  // namespace fusebox::harness
