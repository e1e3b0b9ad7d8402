#pragma once
// The merchant API's JSON (docs/GATEWAY.md): request bodies in, with an error naming the
// field for anything malformed; payments, refunds and errors out.

#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "fusebox/gateway/gateway_core.hpp"
#include "fusebox/net/http_server.hpp"

namespace fusebox::gateway::api {

[[nodiscard]] std::variant<PayRequest, MerchantError> parse_pay(std::string_view body);
[[nodiscard]] std::variant<RefundRequest, MerchantError> parse_refund(std::string_view body);

[[nodiscard]] nlohmann::json to_json(const Payment& payment);
[[nodiscard]] nlohmann::json to_json(const Refund& refund);
[[nodiscard]] nlohmann::json to_json(const MerchantError& error);
// The same bytes as to_json(...).dump(), written without building a document: the merchant
// API's answers are on every request's path.
[[nodiscard]] std::string to_json_text(const Payment& payment);
[[nodiscard]] std::string to_json_text(const Refund& refund);
[[nodiscard]] MerchantError error(int status, std::string code, std::string message,
                                  std::string field = {});
// The HTTP answer to a merchant request the core has replied to: its payment, refund or error
// as JSON with the reply's status.
[[nodiscard]] net::HttpResponseOut to_response(const MerchantReply& reply);

}  // namespace fusebox::gateway::api
