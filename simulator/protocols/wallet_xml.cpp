#include "fusebox/simulator/wallet_xml.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>

#include <pugixml.hpp>

namespace fusebox::sim::wallet_xml {

namespace {

constexpr std::array<std::pair<std::string_view, Operation>, 6> kPaths{{
    {"/pay/create", Operation::pay},
    {"/pay/query", Operation::query},
    {"/pay/close", Operation::close},
    {"/refund/create", Operation::refund},
    {"/refund/query", Operation::refund_query},
    {"/pay/downloadbill", Operation::statement},
}};

std::string_view trade_state(PaymentState state) {
  switch (state) {
    case PaymentState::paying:
      return "NOTPAY";
    case PaymentState::paid:
      return "SUCCESS";
    case PaymentState::failed:
      return "PAYERROR";
    case PaymentState::closed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

std::string_view refund_status(RefundState state) {
  switch (state) {
    case RefundState::processing:
      return "PROCESSING";
    case RefundState::succeeded:
      return "SUCCESS";
    case RefundState::failed:
      return "REFUNDCLOSE";
  }
  return "UNKNOWN";
}

std::string_view err_code(AnswerCode code) {
  switch (code) {
    case AnswerCode::ok:
      return "";
    case AnswerCode::not_found:
      return "ORDERNOTEXIST";
    case AnswerCode::declined:
      return "NOTENOUGH";
    case AnswerCode::system_error:
      return "SYSTEMERROR";
    case AnswerCode::invalid_request:
      return "PARAM_ERROR";
    case AnswerCode::conflict:
      return "OUT_TRADE_NO_USED";
    case AnswerCode::order_not_payable:
      return "ORDERPAID";
  }
  return "SYSTEMERROR";
}

// Text values as CDATA; the document is flat, so this is all the XML the family needs.
std::string render(const Fields& fields) {
  std::string out = "<xml>";
  for (const auto& [name, value] : fields) {
    out += "<" + name + "><![CDATA[" + value + "]]></" + name + ">";
  }
  return out + "</xml>";
}

std::string seal(Fields fields, const MessageSigner& channel, const Envelope& envelope,
                 bool wrong) {
  if (!envelope.merchant_id.empty()) fields.emplace_back("mch_id", envelope.merchant_id);
  fields.emplace_back("nonce_str", envelope.nonce);
  fields.emplace_back("timestamp", std::to_string(envelope.timestamp_s));
  if (channel.scheme() != SignScheme::none) {
    const std::string canonical = canonical_string(fields).value_or("");
    fields.emplace_back("sign_type", std::string(to_string(channel.scheme())));
    fields.emplace_back("sign", channel.sign(wrong ? canonical + "&forged=1" : canonical));
  }
  std::sort(fields.begin(), fields.end());
  return render(fields);
}

HttpReply protocol_error(int status, const std::string& message, const MessageSigner& channel,
                         const Envelope& envelope) {
  return HttpReply{
      status,
      seal({{"return_code", "FAIL"}, {"return_msg", message}}, channel, envelope, false),
      {}};
}

void put_payment(Fields& fields, const PaymentView& payment) {
  fields.emplace_back("out_trade_no", payment.order_id);
  fields.emplace_back("trade_state", std::string(trade_state(payment.state)));
  fields.emplace_back("total_fee", std::to_string(payment.amount_minor));
  fields.emplace_back("fee_type", payment.currency);
  if (payment.state == PaymentState::paid) {
    fields.emplace_back("transaction_id", payment.channel_txn_id);
    fields.emplace_back("time_end_ms", std::to_string(payment.paid_at_ns / kNsPerMs));
  }
}

void put_refund(Fields& fields, const RefundView& refund) {
  fields.emplace_back("out_refund_no", refund.refund_id);
  fields.emplace_back("refund_status", std::string(refund_status(refund.state)));
  fields.emplace_back("refund_fee", std::to_string(refund.amount_minor));
}

// The flat <xml> document's fields, or nullopt with `why`.
std::optional<Fields> parse_fields(std::string_view body, std::string& why) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  const pugi::xml_node root = doc.child("xml");
  if (!parsed || !root || std::distance(doc.children().begin(), doc.children().end()) != 1) {
    why = "body is not an <xml> document";
    return std::nullopt;
  }
  Fields fields;
  for (const pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    if (child.first_child() && child.first_child().type() == pugi::node_element) {
      why = std::string(child.name()) + ": nested elements are not allowed";
      return std::nullopt;
    }
    const std::string name = child.name();
    if (std::any_of(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; })) {
      why = name + ": appears twice";
      return std::nullopt;
    }
    fields.emplace_back(name, child.text().get());
  }
  return fields;
}

const std::string* find(const Fields& fields, std::string_view name) {
  const auto it =
      std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
  return it == fields.end() ? nullptr : &it->second;
}

std::optional<std::string> text(const Fields& fields, const char* name, std::size_t max_size,
                                std::string& why) {
  const std::string* value = find(fields, name);
  if (value == nullptr || value->empty() || value->size() > max_size) {
    why = std::string(name) + ": expected 1 to " + std::to_string(max_size) + " characters";
    return std::nullopt;
  }
  return *value;
}

std::optional<std::int64_t> amount(const Fields& fields, const char* name, std::string& why) {
  const std::string* value = find(fields, name);
  if (value == nullptr || value->empty() || value->size() > 15 ||
      !std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoll(*value) <= 0) {
    why = std::string(name) + ": expected a positive integer (minor units)";
    return std::nullopt;
  }
  return std::stoll(*value);
}

bool read_operation_fields(const Fields& fields, Operation operation, ParsedRequest& out,
                           std::string& why) {
  Request& request = out.request;
  if (operation == Operation::statement) {
    return wallet_json::read_statement_range(find(fields, "from_ms"), find(fields, "to_ms"),
                                             request, why);
  }
  if (operation != Operation::refund_query) {
    auto order_id = text(fields, "out_trade_no", 64, why);
    if (!order_id) return false;
    request.order_id = std::move(*order_id);
  }
  if (operation == Operation::pay) {
    const auto fee = amount(fields, "total_fee", why);
    auto currency = text(fields, "fee_type", 3, why);
    if (!fee || !currency) return false;
    request.amount_minor = *fee;
    request.currency = std::move(*currency);
  }
  if (operation == Operation::pay || operation == Operation::refund) {
    if (const std::string* url = find(fields, "notify_url")) out.notify_url = *url;
  }
  if (operation == Operation::refund || operation == Operation::refund_query) {
    auto refund_id = text(fields, "out_refund_no", 64, why);
    if (!refund_id) return false;
    request.refund_id = std::move(*refund_id);
  }
  if (operation == Operation::refund) {
    const auto fee = amount(fields, "refund_fee", why);
    if (!fee) return false;
    request.amount_minor = *fee;
  }
  return true;
}

bool signature_holds(const Fields& fields, const MessageVerifier& merchant) {
  if (merchant.scheme() == SignScheme::none) return true;
  const std::string* type = find(fields, "sign_type");
  const std::string* sign = find(fields, "sign");
  if (type == nullptr || sign == nullptr || *type != to_string(merchant.scheme())) return false;
  const auto canonical = canonical_string(fields);
  return canonical && merchant.verify(*canonical, *sign);
}

}  // namespace

std::variant<ParsedRequest, HttpReply> parse_request(std::string_view method,
                                                     std::string_view target, std::string_view body,
                                                     const MessageVerifier& merchant,
                                                     const MessageSigner& channel,
                                                     const Envelope& envelope) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto route =
      std::find_if(kPaths.begin(), kPaths.end(), [&](const auto& e) { return e.first == path; });
  if (route == kPaths.end()) return protocol_error(404, "no such endpoint", channel, envelope);
  if (method != "POST") return protocol_error(405, "use POST", channel, envelope);
  if (body.size() > kMaxBodyBytes)
    return protocol_error(413, "body larger than 64 KiB", channel, envelope);
  std::string why;
  const auto fields = parse_fields(body, why);
  if (!fields) return protocol_error(400, why, channel, envelope);
  if (!signature_holds(*fields, merchant))
    return protocol_error(401, "SIGNERROR: signature does not verify", channel, envelope);
  ParsedRequest parsed;
  parsed.request.operation = route->second;
  auto merchant_id = text(*fields, "mch_id", 64, why);
  if (!merchant_id || !text(*fields, "nonce_str", 32, why) ||
      !read_operation_fields(*fields, route->second, parsed, why)) {
    return protocol_error(400, why, channel, envelope);
  }
  parsed.merchant_id = std::move(*merchant_id);
  return parsed;
}

HttpReply render_decision(const Decision& decision, const MessageSigner& channel,
                          const Envelope& envelope) {
  if (decision.delivery == Delivery::http_5xx) return wallet_json::unavailable_reply();
  if (decision.delivery == Delivery::too_many_requests) {
    return HttpReply{429,
                     seal({{"return_code", "FAIL"}, {"return_msg", "FREQUENCY_LIMITED"}}, channel,
                          envelope, false),
                     {wallet_json::retry_after_header(decision.retry_after_ns)}};
  }
  const Answer& answer = decision.answer;
  Fields fields{{"return_code", "SUCCESS"},
                {"result_code", answer.code == AnswerCode::ok ? "SUCCESS" : "FAIL"}};
  if (answer.code != AnswerCode::ok) {
    fields.emplace_back("err_code", std::string(err_code(answer.code)));
    fields.emplace_back("err_code_des", answer.reason);
  }
  if (!answer.payment.order_id.empty()) put_payment(fields, answer.payment);
  if (!answer.refund.refund_id.empty()) put_refund(fields, answer.refund);
  if (!answer.statement_csv.empty()) fields.emplace_back("csv", answer.statement_csv);
  std::string text =
      seal(std::move(fields), channel, envelope, decision.delivery == Delivery::bad_signature);
  if (decision.delivery == Delivery::malformed_body) text = text.substr(0, text.size() / 2);
  return HttpReply{200, std::move(text), {}};
}

std::string render_notification(const Notification& notification, const MessageSigner& channel,
                                const Envelope& envelope) {
  Fields fields{
      {"return_code", "SUCCESS"},
      {"result_code", "SUCCESS"},
      {"notify_type", notification.kind == NotificationKind::payment ? "PAYMENT" : "REFUND"},
      {"notify_id", std::to_string(notification.id)},
      {"attempt", std::to_string(notification.attempt)}};
  put_payment(fields, notification.payment);
  if (notification.kind == NotificationKind::refund) put_refund(fields, notification.refund);
  return seal(std::move(fields), channel, envelope, notification.forged);
}

bool is_ack(int status, std::string_view body) { return status == 200 && body == kAckBody; }

}  // namespace fusebox::sim::wallet_xml
