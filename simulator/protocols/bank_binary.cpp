#include "fusebox/simulator/bank_binary.hpp"

#include <algorithm>
#include <array>
#include <cassert>

#include "fusebox/common/codec.hpp"
#include "fusebox/common/crypto.hpp"

namespace fusebox::sim::bank_binary {

namespace {

// The fixed layout: field, offset and width.
struct Field {
  const char* name;
  std::size_t offset;
  std::size_t width;
};
constexpr Field kMti{"mti", 0, 4};
constexpr Field kTrace{"trace", 4, 6};
constexpr Field kTimestamp{"timestamp", 10, 10};
constexpr Field kAmount{"amount", 20, 12};
constexpr Field kCurrency{"currency", 32, 3};
constexpr Field kOrderId{"order_id", 35, 32};
constexpr Field kRefundId{"refund_id", 67, 32};
constexpr Field kResponseCode{"response_code", 99, 2};
constexpr Field kState{"state", 101, 1};
constexpr Field kRefundState{"refund_state", 102, 1};
constexpr Field kChannelTxn{"channel_txn", 103, 12};
constexpr Field kNetworkCode{"network_code", 115, 3};
constexpr Field kMac{"mac", 118, 16};
static_assert(kMac.offset + kMac.width == kBodyBytes);

constexpr std::array<std::pair<std::string_view, Operation>, 5> kRequestTypes{{
    {"0200", Operation::pay},
    {"0220", Operation::refund},
    {"0400", Operation::close},
    {"0600", Operation::query},
    {"0620", Operation::refund_query},
}};

std::string mac_of(std::string_view covered, std::string_view key) {
  const Sha256Digest digest = hmac_sha256(key, covered);
  std::string hex = hex_encode(std::span<const std::uint8_t>(digest.data(), 8));
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](char c) { return c >= 'a' ? static_cast<char>(c - 32) : c; });
  return hex;
}

void put_text(std::string& body, const Field& field, std::string_view value) {
  const std::string_view fitted = value.substr(0, field.width);
  body.replace(field.offset, fitted.size(), fitted);  // the rest stays blank
}

void put_number(std::string& body, const Field& field, std::int64_t value) {
  std::string digits = std::to_string(std::max<std::int64_t>(value, 0));
  if (digits.size() > field.width) digits = std::string(field.width, '9');
  body.replace(field.offset + field.width - digits.size(), digits.size(), digits);
  body.replace(field.offset, field.width - digits.size(), field.width - digits.size(), '0');
}

std::string_view raw(std::string_view body, const Field& field) {
  return body.substr(field.offset, field.width);
}

std::string trimmed(std::string_view body, const Field& field) {
  std::string_view value = raw(body, field);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  return std::string(value);
}

std::optional<std::int64_t> number(std::string_view body, const Field& field) {
  const std::string_view digits = raw(body, field);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (const char c : digits)
    value = value * 10 + (c - '0');
  return value;
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

char state_code(PaymentState state) {
  switch (state) {
    case PaymentState::paying:
      return 'P';
    case PaymentState::paid:
      return 'S';
    case PaymentState::failed:
      return 'F';
    case PaymentState::closed:
      return 'C';
  }
  return ' ';
}

char refund_code(RefundState state) {
  switch (state) {
    case RefundState::processing:
      return 'P';
    case RefundState::succeeded:
      return 'S';
    case RefundState::failed:
      return 'F';
  }
  return ' ';
}

std::string response_code(const Answer& answer) {
  switch (answer.code) {
    case AnswerCode::ok:
      return answer.payment.state == PaymentState::paying && answer.refund.refund_id.empty() ? "09"
                                                                                             : "00";
    case AnswerCode::not_found:
      return "25";
    case AnswerCode::declined:
      return "51";
    case AnswerCode::system_error:
      return "96";
    case AnswerCode::invalid_request:
      return "30";
    case AnswerCode::conflict:
      return "94";
    case AnswerCode::order_not_payable:
      return "12";
  }
  return "96";
}

Message response_to(const Message& request, std::int64_t timestamp_s) {
  Message response;
  response.mti = request.mti;
  response.mti[2] = static_cast<char>(response.mti[2] + 1);  // 0200 -> 0210 ...
  response.trace = request.trace;
  response.timestamp_s = timestamp_s;
  response.order_id = request.order_id;
  response.refund_id = request.refund_id;
  response.amount_minor = request.amount_minor;
  response.currency = request.currency;
  response.network_code = request.network_code;
  return response;
}

}  // namespace

std::string encode(const Message& message, std::string_view mac_key, bool wrong_mac) {
  std::string body(kBodyBytes, ' ');
  put_text(body, kMti, message.mti);
  put_number(body, kTrace, message.trace);
  put_number(body, kTimestamp, message.timestamp_s);
  put_number(body, kAmount, message.amount_minor);
  put_text(body, kCurrency, message.currency);
  put_text(body, kOrderId, message.order_id);
  put_text(body, kRefundId, message.refund_id);
  put_text(body, kResponseCode, message.response_code);
  body[kState.offset] = message.state;
  body[kRefundState.offset] = message.refund_state;
  put_text(body, kChannelTxn, message.channel_txn);
  if (!message.network_code.empty()) put_text(body, kNetworkCode, message.network_code);
  const std::string covered = body.substr(0, kMac.offset);
  put_text(body, kMac, mac_of(wrong_mac ? covered + "forged" : covered, mac_key));
  return body;
}

std::variant<Message, DecodeError> decode(std::string_view body, std::string_view mac_key) {
  if (body.size() != kBodyBytes) {
    return DecodeError{
        "length",
        "expected " + std::to_string(kBodyBytes) + " bytes, got " + std::to_string(body.size()),
        std::nullopt};
  }
  Message m;
  const auto trace = number(body, kTrace);
  const auto fail = [&](const Field& field, std::string reason) {
    return DecodeError{
        field.name, std::move(reason),
        trace ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*trace)) : std::nullopt};
  };
  if (!trace) return fail(kTrace, "expected 6 digits");
  if (!printable(body)) return fail(kMti, "non-printable bytes in the message");
  if (mac_of(body.substr(0, kMac.offset), mac_key) != raw(body, kMac))
    return fail(kMac, "MAC does not verify");
  m.mti = std::string(raw(body, kMti));
  m.trace = static_cast<std::uint32_t>(*trace);
  const auto timestamp = number(body, kTimestamp);
  const auto amount = number(body, kAmount);
  if (!timestamp) return fail(kTimestamp, "expected 10 digits");
  if (!amount) return fail(kAmount, "expected 12 digits");
  m.timestamp_s = *timestamp;
  m.amount_minor = *amount;
  m.currency = trimmed(body, kCurrency);
  m.order_id = trimmed(body, kOrderId);
  m.refund_id = trimmed(body, kRefundId);
  m.response_code = trimmed(body, kResponseCode);
  m.state = body[kState.offset];
  m.refund_state = body[kRefundState.offset];
  m.channel_txn = trimmed(body, kChannelTxn);
  m.network_code = trimmed(body, kNetworkCode);
  // Requests and their responses (third digit plus one) are both valid messages.
  const auto is_type = [&](std::string_view request_mti) {
    if (m.mti == request_mti) return true;
    return m.mti.size() == 4 && m.mti[0] == request_mti[0] && m.mti[1] == request_mti[1] &&
           m.mti[2] == request_mti[2] + 1 && m.mti[3] == request_mti[3];
  };
  const bool known =
      is_type("0800") || std::any_of(kRequestTypes.begin(), kRequestTypes.end(),
                                     [&](const auto& t) { return is_type(t.first); });
  if (!known) return fail(kMti, "unknown message type " + m.mti);
  return m;
}

std::optional<Request> to_request(const Message& message, int node) {
  const auto type = std::find_if(kRequestTypes.begin(), kRequestTypes.end(),
                                 [&](const auto& t) { return t.first == message.mti; });
  if (type == kRequestTypes.end()) return std::nullopt;
  Request request;
  request.operation = type->second;
  request.order_id = message.order_id;
  request.refund_id = message.refund_id;
  request.amount_minor = message.amount_minor;
  request.currency = message.currency;
  request.node = node;
  return request;
}

std::string respond(const Message& request, const Decision& decision, std::string_view mac_key,
                    std::int64_t timestamp_s) {
  Message response = response_to(request, timestamp_s);
  const Answer& answer = decision.answer;
  response.response_code = decision.delivery == Delivery::http_5xx ? "96"
                           : decision.delivery == Delivery::too_many_requests
                               ? "91"
                               : response_code(answer);
  if (decision.delivery != Delivery::http_5xx && decision.delivery != Delivery::too_many_requests) {
    if (!answer.payment.order_id.empty()) {
      response.state = state_code(answer.payment.state);
      response.amount_minor = answer.payment.amount_minor;
      response.currency = answer.payment.currency;
      response.channel_txn = answer.payment.channel_txn_id;
    }
    if (!answer.refund.refund_id.empty()) {
      response.refund_state = refund_code(answer.refund.state);
      response.amount_minor = answer.refund.amount_minor;
    }
  }
  std::string body = encode(response, mac_key, decision.delivery == Delivery::bad_signature);
  if (decision.delivery == Delivery::malformed_body) {
    body.replace(kAmount.offset, kAmount.width, kAmount.width, '?');  // not digits: unparseable
  }
  return body;
}

std::string respond_network(const Message& request, std::string_view mac_key,
                            std::int64_t timestamp_s) {
  Message response = response_to(request, timestamp_s);
  response.response_code = "00";
  return encode(response, mac_key);
}

std::string respond_error(const DecodeError& error, std::string_view mac_key,
                          std::int64_t timestamp_s) {
  Message response;
  response.mti = "0210";
  response.trace = error.trace.value_or(0);
  response.timestamp_s = timestamp_s;
  response.response_code = error.field == "mac" ? "A0" : "30";
  return encode(response, mac_key);
}

}  // namespace fusebox::sim::bank_binary
