// Request bodies and answer classification for the merchant API (docs/GATEWAY.md).

#include <nlohmann/json.hpp>

#include "load_internal.hpp"

namespace fusebox::harness {

namespace {

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A FAILED pay or refund: did the channel say no, did the gateway fail fast, or neither?
Outcome failed_outcome(const std::string& failure_code) {
  if (failure_code == "DECLINED" || failure_code.starts_with("CHANNEL_REJECTED")) {
    return Outcome::declined;
  }
  if (failure_code == "CHANNEL_UNAVAILABLE" || failure_code == "METHOD_DISABLED") {
    return Outcome::rejected;
  }
  return Outcome::failed;
}

// A 4xx the load provokes on purpose: refunds racing the payment's state or each other, a
// close racing the payment's outcome, and the conflict probe.
bool expected_refusal(int http_status, const std::string& code, bool conflict_probe) {
  if (http_status == 409) return conflict_probe;
  if (http_status != 422) return false;
  return code == "PAYMENT_NOT_REFUNDABLE" || code == "REFUND_EXCEEDS_PAYMENT" ||
         code == "PAYMENT_NOT_CLOSABLE";
}

}  // namespace

std::string pay_body(const std::string& merchant_order_id, std::int64_t amount,
                     const std::string& currency, const LoadTarget& target) {
  std::string body = "{\"merchant_order_id\":" + quoted(merchant_order_id) +
                     ",\"amount\":" + std::to_string(amount) + ",\"currency\":" + quoted(currency) +
                     ",\"method\":" + quoted(target.method);
  if (!target.channel.empty()) body += ",\"channel\":" + quoted(target.channel);
  body += '}';
  return body;
}

std::string refund_body(const std::string& payment_id, const std::string& merchant_refund_id,
                        std::int64_t amount) {
  return "{\"payment_id\":" + quoted(payment_id) +
         ",\"merchant_refund_id\":" + quoted(merchant_refund_id) +
         ",\"amount\":" + std::to_string(amount) + '}';
}

ParsedAnswer classify_answer(Op op, int http_status, std::string_view body, bool conflict_probe) {
  ParsedAnswer parsed;
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  const bool object = json.is_object();
  if (http_status < 200 || http_status >= 300) {
    if (object && json.contains("error") && json["error"].is_object()) {
      parsed.error_code = string_field(json["error"], "code");
    }
    parsed.outcome = expected_refusal(http_status, parsed.error_code, conflict_probe)
                         ? Outcome::refused
                         : Outcome::http_error;
    return parsed;
  }
  if (!object) {
    parsed.outcome = Outcome::transport_error;  // a 2xx that is not the promised JSON
    return parsed;
  }
  parsed.status = string_field(json, "status");
  parsed.channel = string_field(json, "channel");
  parsed.merchant_order_id = string_field(json, "merchant_order_id");
  if (op != Op::refund) parsed.payment_id = string_field(json, "payment_id");
  if (const auto it = json.find("amount"); it != json.end() && it->is_number_integer()) {
    parsed.amount = it->get<std::int64_t>();
  }
  if (op == Op::query || op == Op::close) return parsed;  // a 200 is the answer asked for
  if (parsed.status == "FAILED") {
    parsed.outcome = failed_outcome(string_field(json, "failure_code"));
  } else if (parsed.status.empty()) {
    parsed.outcome = Outcome::transport_error;
  }
  return parsed;
}

}  // namespace fusebox::harness
