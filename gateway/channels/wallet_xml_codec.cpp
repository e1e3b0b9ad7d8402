// wallet-xml (docs/CHANNELS.md): flat <xml> documents over HTTP. This file holds only the
// family's syntax and names; wallet_codec.cpp runs the pipeline.
#include <algorithm>
#include <array>
#include <stdexcept>

#include <pugixml.hpp>

#include "codecs.hpp"

namespace fusebox::gateway::detail {

namespace {

[[nodiscard]] bool is_text(pugi::xml_node node) {
  return node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata;
}

// One element's value: its text and CDATA pieces joined; nullopt if it holds an element.
[[nodiscard]] std::optional<std::string> element_value(pugi::xml_node element) {
  std::string value;
  for (pugi::xml_node piece = element.first_child(); piece; piece = piece.next_sibling()) {
    if (piece.type() == pugi::node_element) return std::nullopt;
    if (is_text(piece)) value += piece.value();
  }
  return value;
}

std::optional<FlatMessage> parse_xml(std::string_view body, std::string& why) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    why = std::string("not XML: ") + parsed.description();
    return std::nullopt;
  }
  const pugi::xml_node root = document.first_child();
  if (root.type() != pugi::node_element || std::string_view(root.name()) != "xml" ||
      root.next_sibling()) {
    why = "not one <xml> element";
    return std::nullopt;
  }
  FlatMessage message;
  for (pugi::xml_node child = root.first_child(); child; child = child.next_sibling()) {
    if (is_text(child)) {
      why = "text outside any field";
      return std::nullopt;
    }
    if (child.type() != pugi::node_element) continue;
    if (message.fields.size() == kMaxWalletFields) {
      why = "too many fields";
      return std::nullopt;
    }
    std::optional<std::string> value = element_value(child);
    if (!value) {
      why = std::string(child.name()) + ": nested elements are not allowed";
      return std::nullopt;
    }
    message.fields.emplace_back(child.name(), std::move(*value));
  }
  return message;
}

// CDATA keeps any text as it is, except its own terminator; such a value is escaped instead.
// Control characters cannot be written in XML 1.0 at all, and line ends would be rewritten
// by the reader, breaking the signature, so they are refused.
void append_xml_field(std::string& out, std::string_view name, std::string_view value) {
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    throw std::invalid_argument(std::string(name) + ": control characters cannot be sent");
  }
  out += '<';
  out += name;
  out += '>';
  if (value.find("]]>") == std::string_view::npos) {
    out += "<![CDATA[";
    out += value;
    out += "]]>";
  } else {
    for (const char c : value) {
      if (c == '&') {
        out += "&amp;";
      } else if (c == '<') {
        out += "&lt;";
      } else if (c == '>') {
        out += "&gt;";
      } else {
        out += c;
      }
    }
  }
  out += "</";
  out += name;
  out += '>';
}

// "SUCCESS", "FAIL" (the request was not understood), an err_code, or "" when the document
// does not say.
std::string_view xml_answer_code(const SlotValues& slots) {
  const std::string& return_code = slots[Slot::return_code];
  if (return_code == "FAIL") return return_code;
  if (return_code != "SUCCESS") return {};
  const std::string& result_code = slots[Slot::result_code];
  if (result_code == "SUCCESS") return result_code;
  if (result_code == "FAIL") return slots[Slot::code];
  return {};
}

constexpr std::array<Named<Slot>, 15> kSlots{{
    {"return_code", Slot::return_code},
    {"result_code", Slot::result_code},
    {"err_code", Slot::code},
    {"err_code_des", Slot::message},
    {"return_msg", Slot::message},
    {"notify_type", Slot::event},
    {"notify_id", Slot::notify_id},
    {"out_trade_no", Slot::order_id},
    {"trade_state", Slot::state},
    {"total_fee", Slot::amount},
    {"fee_type", Slot::currency},
    {"transaction_id", Slot::channel_txn_id},
    {"out_refund_no", Slot::refund_id},
    {"refund_status", Slot::refund_state},
    {"refund_fee", Slot::refund_amount},
}};

constexpr std::array<Named<ReplyKind>, 8> kCodes{{
    {"SUCCESS", ReplyKind::answered},
    {"FAIL", ReplyKind::rejected},
    {"ORDERNOTEXIST", ReplyKind::not_found},
    {"NOTENOUGH", ReplyKind::declined},
    {"SYSTEMERROR", ReplyKind::retryable},
    {"PARAM_ERROR", ReplyKind::rejected},
    {"OUT_TRADE_NO_USED", ReplyKind::rejected},
    {"ORDERPAID", ReplyKind::rejected},
}};

constexpr std::array<Named<PaymentStatus>, 4> kPaymentStates{{
    {"NOTPAY", PaymentStatus::processing},
    {"SUCCESS", PaymentStatus::succeeded},
    {"PAYERROR", PaymentStatus::failed},
    {"CLOSED", PaymentStatus::closed},
}};

constexpr std::array<Named<RefundStatus>, 3> kRefundStates{{
    {"PROCESSING", RefundStatus::processing},
    {"SUCCESS", RefundStatus::succeeded},
    {"REFUNDCLOSE", RefundStatus::failed},
}};

// Indexed by ChannelOp: pay, query, refund, refund_query, close.
constexpr std::array<std::string_view, kChannelOpCount> kPaths{
    "/pay/create", "/pay/query", "/refund/create", "/refund/query", "/pay/close"};

constexpr WalletDialect kDialect{
    .family = Family::wallet_xml,
    .name = "wallet-xml",
    .content_type = "application/xml",
    .ack_body =
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]>"
        "</return_msg></xml>",
    .paths = kPaths,
    .merchant_id_field = "mch_id",
    .nonce_field = "nonce_str",
    .timestamp_field = "timestamp",
    .order_id_field = "out_trade_no",
    .refund_id_field = "out_refund_no",
    .pay_amount_field = "total_fee",
    .refund_amount_field = "refund_fee",
    .currency_field = "fee_type",
    .notify_url_field = "notify_url",
    .slots = kSlots,
    .codes = kCodes,
    .payment_states = kPaymentStates,
    .refund_states = kRefundStates,
    .integers_typed = false,
    .open = "<xml>",
    .close = "</xml>",
    .append_field = &append_xml_field,
    .parse = &parse_xml,
    .answer_code = &xml_answer_code,
};

}  // namespace

const WalletDialect& wallet_xml_dialect() { return kDialect; }

}  // namespace fusebox::gateway::detail
