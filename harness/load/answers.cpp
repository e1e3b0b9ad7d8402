// Request bodies and answer classification for the merchant API (docs/GATEWAY.md).

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

#include "fusebox/common/json_writer.hpp"

#include "load_internal.hpp"

namespace fusebox::harness {

namespace {

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void append_number(std::string& out, std::int64_t value) {
  std::array<char, 24> digits{};
  const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
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

void append_json_string(std::string& out, std::string_view text) {
  // Anything beyond ASCII goes through nlohmann, which also refuses invalid UTF-8.
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += nlohmann::json(std::string(text)).dump();
      return;
    }
  }
  append_json_quoted(out, text);
}

void append_pay_body(std::string& out, std::string_view merchant_order_id, std::int64_t amount,
                     std::string_view currency, const LoadTarget& target) {
  out += "{\"merchant_order_id\":";
  append_json_string(out, merchant_order_id);
  out += ",\"amount\":";
  append_number(out, amount);
  out += ",\"currency\":";
  append_json_string(out, currency);
  out += ",\"method\":";
  append_json_string(out, target.method);
  if (!target.channel.empty()) {
    out += ",\"channel\":";
    append_json_string(out, target.channel);
  }
  out += '}';
}

void append_refund_body(std::string& out, std::string_view payment_id,
                        std::string_view merchant_refund_id, std::int64_t amount) {
  out += "{\"payment_id\":";
  append_json_string(out, payment_id);
  out += ",\"merchant_refund_id\":";
  append_json_string(out, merchant_refund_id);
  out += ",\"amount\":";
  append_number(out, amount);
  out += '}';
}

std::string pay_body(const std::string& merchant_order_id, std::int64_t amount,
                     const std::string& currency, const LoadTarget& target) {
  std::string body;
  append_pay_body(body, merchant_order_id, amount, currency, target);
  return body;
}

std::string refund_body(const std::string& payment_id, const std::string& merchant_refund_id,
                        std::int64_t amount) {
  std::string body;
  append_refund_body(body, payment_id, merchant_refund_id, amount);
  return body;
}

AnswerFields json_answer_fields(std::string_view body) {
  AnswerFields fields;
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) return fields;
  fields.object = true;
  if (const auto error = json.find("error"); error != json.end() && error->is_object()) {
    fields.error_code = string_field(*error, "code");
  }
  fields.status = string_field(json, "status");
  fields.failure_code = string_field(json, "failure_code");
  fields.channel = string_field(json, "channel");
  fields.payment_id = string_field(json, "payment_id");
  fields.merchant_order_id = string_field(json, "merchant_order_id");
  if (const auto it = json.find("amount"); it != json.end() && it->is_number_integer()) {
    fields.amount = it->get<std::int64_t>();
  }
  return fields;
}

ParsedAnswer classify_answer(Op op, int http_status, std::string_view body, bool conflict_probe) {
  ParsedAnswer parsed;
  AnswerFields fields;
  if (scan_answer(body, fields) == ScanResult::too_deep) fields = json_answer_fields(body);
  if (http_status < 200 || http_status >= 300) {
    parsed.error_code = std::move(fields.error_code);
    parsed.outcome = expected_refusal(http_status, parsed.error_code, conflict_probe)
                         ? Outcome::refused
                         : Outcome::http_error;
    return parsed;
  }
  if (!fields.object) {
    parsed.outcome = Outcome::transport_error;  // a 2xx that is not the promised JSON
    return parsed;
  }
  parsed.status = std::move(fields.status);
  parsed.channel = std::move(fields.channel);
  parsed.merchant_order_id = std::move(fields.merchant_order_id);
  if (op != Op::refund) parsed.payment_id = std::move(fields.payment_id);
  parsed.amount = fields.amount;
  if (op == Op::query || op == Op::close) return parsed;  // a 200 is the answer asked for
  if (parsed.status == "FAILED") {
    parsed.outcome = failed_outcome(fields.failure_code);
  } else if (parsed.status.empty()) {
    parsed.outcome = Outcome::transport_error;
  }
  return parsed;
}

}  // namespace fusebox::harness
