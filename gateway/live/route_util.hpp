#pragma once
// Small helpers the gateway's route files share.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/gateway/api_json.hpp"
#include "fusebox/gateway/routes.hpp"
#include "fusebox/net/http_server.hpp"
#include "fusebox/net/url.hpp"

namespace fusebox::gateway {

using net::path_parts;
using net::query_value;

inline void respond_json(const net::Responder& respond, int status, const nlohmann::json& body) {
  respond(net::make_response(status, "application/json", body.dump()));
}

inline void respond_error(const net::Responder& respond, const MerchantError& error) {
  respond_json(respond, error.http_status, api::to_json(error));
}

[[nodiscard]] inline MerchantError not_found(const net::HttpRequestIn& in) {
  return api::error(404, "NOT_FOUND", "no such endpoint: " + in.method + " " + in.target);
}

// Whether a process running `role` serves requests that belong to `needed`.
[[nodiscard]] inline bool serves(Role role, Role needed) {
  return role == Role::all || role == needed;
}

// The answer when it does not: 421 Misdirected Request, naming both halves.
[[nodiscard]] inline MerchantError wrong_role(Role role, Role needed) {
  return api::error(421, "WRONG_ROLE",
                    "this gateway runs --role " + std::string(to_string(role)) +
                        "; this request belongs to the --role " + std::string(to_string(needed)) +
                        " process");
}

// The operator API (admin_routes.cpp); `parts` starts with "admin".
void admin_route(RouteContext& context, const net::HttpRequestIn& in,
                 const std::vector<std::string>& parts, net::Responder respond);

}  // namespace fusebox::gateway
