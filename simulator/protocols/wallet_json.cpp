#include "fusebox/simulator/wallet_json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include <climits>
#include <nlohmann/json.hpp>

#include "fusebox/common/json_writer.hpp"

#include "flat_object.hpp"

namespace fusebox::sim::wallet_json {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Operation>, 6> kPaths{{
    {"/v1/pay", Operation::pay},
    {"/v1/query", Operation::query},
    {"/v1/refund", Operation::refund},
    {"/v1/refund/query", Operation::refund_query},
    {"/v1/close", Operation::close},
    {"/v1/statement", Operation::statement},
}};

std::string_view state_name(PaymentState state) {
  switch (state) {
    case PaymentState::paying:
      return "PAYING";
    case PaymentState::paid:
      return "PAID";
    case PaymentState::failed:
      return "FAILED";
    case PaymentState::closed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

std::string_view refund_state_name(RefundState state) {
  switch (state) {
    case RefundState::processing:
      return "PROCESSING";
    case RefundState::succeeded:
      return "SUCCEEDED";
    case RefundState::failed:
      return "FAILED";
  }
  return "UNKNOWN";
}

std::string_view code_name(AnswerCode code) {
  switch (code) {
    case AnswerCode::ok:
      return "SUCCESS";
    case AnswerCode::not_found:
      return "NOT_FOUND";
    case AnswerCode::declined:
      return "DECLINED";
    case AnswerCode::system_error:
      return "SYSTEM_ERROR";
    case AnswerCode::invalid_request:
      return "INVALID_REQUEST";
    case AnswerCode::conflict:
      return "CONFLICT";
    case AnswerCode::order_not_payable:
      return "ORDER_NOT_PAYABLE";
  }
  return "SYSTEM_ERROR";
}

void put(FlatObject& object, std::string key, std::string text) {
  object.insert_or_assign(std::move(key), FlatValue{false, std::move(text), 0});
}
void put(FlatObject& object, std::string key, std::int64_t number) {
  object.insert_or_assign(std::move(key), FlatValue{true, std::to_string(number), number});
}

// Both kinds of value enter the canonical string as their text.
Fields fields_of(const FlatObject& object) {
  Fields fields;
  fields.reserve(object.size());
  for (const auto& [key, value] : object)
    fields.emplace_back(key, value.text);
  return fields;
}

// Adds the envelope and the signature, and writes the JSON text. `wrong` signs other bytes:
// a well-formed signature that does not verify (the bad_signature fault, forged
// notifications).
std::string seal(FlatObject object, const MessageSigner& channel, const Envelope& envelope,
                 bool wrong) {
  if (!envelope.merchant_id.empty()) put(object, "merchant_id", envelope.merchant_id);
  put(object, "nonce", envelope.nonce);
  put(object, "timestamp", envelope.timestamp_s);
  if (channel.scheme() != SignScheme::none) {
    const std::string canonical = canonical_string(fields_of(object)).value_or("");
    put(object, "sign_type", std::string(to_string(channel.scheme())));
    put(object, "sign", channel.sign(wrong ? canonical + "&forged=1" : canonical));
  }
  std::string text;
  text.reserve(384);
  JsonObjectWriter writer(text);
  for (const auto& [key, value] : object) {
    if (value.integer) {
      writer.number(key, value.number);
    } else {
      writer.text(key, value.text);
    }
  }
  writer.close();
  return text;
}

HttpReply error_reply(int status, AnswerCode code, const std::string& message,
                      const MessageSigner& channel, const Envelope& envelope) {
  FlatObject body;
  put(body, "code", status == 401 ? "SIGN_ERROR" : std::string(code_name(code)));
  put(body, "message", message);
  return HttpReply{status, seal(std::move(body), channel, envelope, false), {}};
}

void put_payment(FlatObject& body, const PaymentView& payment) {
  put(body, "order_id", payment.order_id);
  put(body, "state", std::string(state_name(payment.state)));
  put(body, "amount", payment.amount_minor);
  put(body, "currency", payment.currency);
  if (payment.state == PaymentState::paid) {
    put(body, "channel_txn_id", payment.channel_txn_id);
    put(body, "paid_at_ms", payment.paid_at_ns / kNsPerMs);
  }
}

void put_refund(FlatObject& body, const RefundView& refund) {
  put(body, "refund_id", refund.refund_id);
  put(body, "refund_state", std::string(refund_state_name(refund.state)));
  put(body, "refund_amount", refund.amount_minor);
}

const FlatValue* field(const FlatObject& body, std::string_view name) { return body.find(name); }

// Field readers: nullopt with `why` naming the field when it is missing or malformed.
std::optional<std::string> text_field(const FlatObject& body, const char* name,
                                      std::size_t max_size, std::string& why) {
  const FlatValue* value = field(body, name);
  if (value == nullptr || value->integer || value->text.empty() || value->text.size() > max_size) {
    why = std::string(name) + ": expected a string of 1 to " + std::to_string(max_size) +
          " characters";
    return std::nullopt;
  }
  return value->text;
}

std::optional<std::int64_t> amount_field(const FlatObject& body, const char* name,
                                         std::string& why) {
  const FlatValue* value = field(body, name);
  if (value == nullptr || !value->integer || value->number <= 0) {
    why = std::string(name) + ": expected a positive integer (minor units)";
    return std::nullopt;
  }
  return value->number;
}

bool valid_currency(const std::string& currency) {
  return currency.size() == 3 &&
         std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// The operation's own fields into `out`; false with `why` set on the first bad one.
bool read_operation_fields(const FlatObject& body, Operation operation, ParsedRequest& out,
                           std::string& why) {
  Request& request = out.request;
  if (operation == Operation::statement) {
    // As JSON text, so both families read the range alike; a JSON string keeps its quotes and
    // is refused as not an integer.
    const auto text_of = [&](const char* name) -> std::optional<std::string> {
      const FlatValue* value = field(body, name);
      if (value == nullptr) return std::nullopt;
      return value->integer ? value->text : json(value->text).dump();
    };
    const auto from_ms = text_of("from_ms");
    const auto to_ms = text_of("to_ms");
    return read_statement_range(from_ms ? &*from_ms : nullptr, to_ms ? &*to_ms : nullptr, request,
                                why);
  }
  if (operation != Operation::refund_query) {
    auto order_id = text_field(body, "order_id", 64, why);
    if (!order_id) return false;
    request.order_id = std::move(*order_id);
  }
  if (operation == Operation::pay) {
    const auto amount = amount_field(body, "amount", why);
    auto currency = text_field(body, "currency", 3, why);
    if (!amount || !currency) return false;
    if (!valid_currency(*currency)) {
      why = "currency: expected an ISO 4217 code such as CNY";
      return false;
    }
    request.amount_minor = *amount;
    request.currency = std::move(*currency);
  }
  if (operation == Operation::pay || operation == Operation::refund) {
    if (const FlatValue* url = field(body, "notify_url"))
      out.notify_url = url->integer ? "" : url->text;
  }
  if (operation == Operation::refund || operation == Operation::refund_query) {
    auto refund_id = text_field(body, "refund_id", 64, why);
    if (!refund_id) return false;
    request.refund_id = std::move(*refund_id);
  }
  if (operation == Operation::refund) {
    const auto amount = amount_field(body, "amount", why);
    if (!amount) return false;
    request.amount_minor = *amount;
  }
  return true;
}

bool signature_holds(const FlatObject& body, const MessageVerifier& merchant) {
  if (merchant.scheme() == SignScheme::none) return true;
  const FlatValue* type = field(body, "sign_type");
  const FlatValue* sign = field(body, "sign");
  if (type == nullptr || sign == nullptr || type->integer || sign->integer ||
      type->text != to_string(merchant.scheme())) {
    return false;
  }
  const auto canonical = canonical_string(fields_of(body));
  return canonical && merchant.verify(*canonical, sign->text);
}

}  // namespace

std::string detail::describe_body(std::string_view body, BodyReader reader) {
  std::string why;
  std::optional<FlatObject> object;
  switch (reader) {
    case BodyReader::either:
      object = parse_flat_object(body, why);
      break;
    case BodyReader::plain:
      object = parse_plain_object(body);
      if (!object) return "not plain";
      break;
    case BodyReader::general:
      object = parse_general_object(body, why);
      break;
  }
  if (!object) return "error: " + why;
  std::string out;
  for (const auto& [key, value] : *object) {
    out.append(key).append(value.integer ? " = integer " : " = string ").append(value.text);
    if (value.integer) out.append(" (").append(std::to_string(value.number)).append(")");
    out += '\n';
  }
  return out;
}

std::variant<ParsedRequest, HttpReply> parse_request(std::string_view method,
                                                     std::string_view target, std::string_view body,
                                                     const MessageVerifier& merchant,
                                                     const MessageSigner& channel,
                                                     const Envelope& envelope) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto route = std::find_if(kPaths.begin(), kPaths.end(),
                                  [&](const auto& entry) { return entry.first == path; });
  if (route == kPaths.end()) {
    return error_reply(404, AnswerCode::invalid_request, "no such endpoint", channel, envelope);
  }
  if (method != "POST") {
    return error_reply(405, AnswerCode::invalid_request, "use POST", channel, envelope);
  }
  if (body.size() > kMaxBodyBytes) {
    return error_reply(413, AnswerCode::invalid_request, "body larger than 64 KiB", channel,
                       envelope);
  }
  std::string why;
  const auto object = parse_flat_object(body, why);
  if (!object) return error_reply(400, AnswerCode::invalid_request, why, channel, envelope);
  if (!signature_holds(*object, merchant)) {
    return error_reply(401, AnswerCode::invalid_request, "signature does not verify", channel,
                       envelope);
  }
  ParsedRequest parsed;
  parsed.request.operation = route->second;
  auto merchant_id = text_field(*object, "merchant_id", 64, why);
  const FlatValue* timestamp = field(*object, "timestamp");
  const bool envelope_ok = merchant_id && text_field(*object, "nonce", 32, why).has_value() &&
                           timestamp != nullptr && timestamp->integer;
  if (!envelope_ok) {
    if (why.empty()) why = "timestamp: expected an integer (seconds)";
    return error_reply(400, AnswerCode::invalid_request, why, channel, envelope);
  }
  parsed.merchant_id = std::move(*merchant_id);
  if (!read_operation_fields(*object, route->second, parsed, why)) {
    return error_reply(400, AnswerCode::invalid_request, why, channel, envelope);
  }
  return parsed;
}

HttpReply unavailable_reply() {
  return HttpReply{503, "<html><body>503 Service Unavailable</body></html>", {}};
}

std::pair<std::string, std::string> retry_after_header(TimeNs retry_after_ns) {
  const TimeNs seconds = std::max<TimeNs>((retry_after_ns + kNsPerS - 1) / kNsPerS, 1);
  return {"Retry-After", std::to_string(seconds)};
}

HttpReply render_decision(const Decision& decision, const MessageSigner& channel,
                          const Envelope& envelope) {
  if (decision.delivery == Delivery::http_5xx) return unavailable_reply();
  if (decision.delivery == Delivery::too_many_requests) {
    FlatObject busy;
    put(busy, "code", "FREQUENCY_LIMITED");
    put(busy, "message", "too many requests");
    return HttpReply{429,
                     seal(std::move(busy), channel, envelope, false),
                     {retry_after_header(decision.retry_after_ns)}};
  }
  const Answer& answer = decision.answer;
  FlatObject body;
  put(body, "code", std::string(code_name(answer.code)));
  put(body, "message", answer.reason.empty() ? "OK" : answer.reason);
  if (!answer.payment.order_id.empty()) put_payment(body, answer.payment);
  if (!answer.refund.refund_id.empty()) put_refund(body, answer.refund);
  if (!answer.statement_csv.empty()) put(body, "csv", answer.statement_csv);
  std::string text =
      seal(std::move(body), channel, envelope, decision.delivery == Delivery::bad_signature);
  if (decision.delivery == Delivery::malformed_body) text = text.substr(0, text.size() / 2);
  return HttpReply{200, std::move(text), {}};
}

std::string render_notification(const Notification& notification, const MessageSigner& channel,
                                const Envelope& envelope) {
  FlatObject body;
  put(body, "event", notification.kind == NotificationKind::payment ? "PAYMENT" : "REFUND");
  put(body, "notify_id", std::to_string(notification.id));
  put(body, "attempt", static_cast<std::int64_t>(notification.attempt));
  put_payment(body, notification.payment);
  if (notification.kind == NotificationKind::refund) put_refund(body, notification.refund);
  return seal(std::move(body), channel, envelope, notification.forged);
}

bool read_statement_range(const std::string* from_ms, const std::string* to_ms, Request& request,
                          std::string& why) {
  const auto millis = [&](const std::string* text, const char* name, TimeNs& out) {
    if (text == nullptr) return true;
    std::int64_t value = 0;
    const char* end = text->data() + text->size();
    const auto [stop, error] = std::from_chars(text->data(), end, value);
    if (text->empty() || error != std::errc() || stop != end || value < 0 ||
        value > INT64_MAX / kNsPerMs) {
      why = std::string(name) + ": expected a non-negative integer (milliseconds)";
      return false;
    }
    out = value * kNsPerMs;
    return true;
  };
  if (!millis(from_ms, "from_ms", request.from_ns) || !millis(to_ms, "to_ms", request.to_ns)) {
    return false;
  }
  if (request.from_ns >= request.to_ns) {
    why = "to_ms: expected a time after from_ms";
    return false;
  }
  return true;
}

bool is_ack(int status, std::string_view body) { return status == 200 && body == kAckBody; }

}  // namespace fusebox::sim::wallet_json
