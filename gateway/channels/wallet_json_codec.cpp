// wallet-json (docs/CHANNELS.md): flat JSON objects of strings and integers over HTTP. This
// file holds only the family's syntax and names; wallet_codec.cpp runs the pipeline.
#include <array>

#include <nlohmann/json.hpp>

#include "codecs.hpp"

namespace fusebox::gateway::detail {

namespace {

using nlohmann::json;

// Reads a flat object straight into fields, without building a DOM: the signature needs every
// field in wire order, duplicates included, and integers as their decimal text. Anything
// else (nesting, arrays, floats, booleans, null, a bare value) stops the parse.
class FlatObjectReader {
 public:
  explicit FlatObjectReader(FlatMessage& out) : out_(out) {}

  bool null() { return refuse("null is not a string or an integer"); }
  bool boolean(bool /*value*/) { return refuse("a boolean is not a string or an integer"); }
  bool number_integer(json::number_integer_t value) {
    return add_value(std::to_string(value), true);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    return add_value(std::to_string(value), true);
  }
  bool number_float(json::number_float_t /*value*/, const std::string& /*text*/) {
    return refuse("a fraction is not a string or an integer");
  }
  bool string(std::string& value) { return add_value(std::move(value), false); }
  bool binary(json::binary_t& /*value*/) { return refuse("binary values are not allowed"); }
  bool start_object(std::size_t /*size*/) {
    if (depth_ != 0) return refuse("nested objects are not allowed");
    depth_ = 1;
    return true;
  }
  bool key(std::string& name) {
    if (out_.fields.size() == kMaxWalletFields) return refuse("too many fields");
    key_ = std::move(name);
    return true;
  }
  bool end_object() {
    depth_ = 0;
    return true;
  }
  bool start_array(std::size_t /*size*/) { return refuse("arrays are not allowed"); }
  bool end_array() { return false; }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return refuse("not JSON");
  }

  [[nodiscard]] const std::string& why() const { return why_; }

 private:
  bool add_value(std::string value, bool integer) {
    if (depth_ != 1) return refuse("not a JSON object");
    if (integer) out_.integer_fields |= std::uint64_t{1} << out_.fields.size();
    out_.fields.emplace_back(std::move(key_), std::move(value));
    return true;
  }
  bool refuse(std::string_view why) {
    if (why_.empty()) why_ = why;
    return false;
  }

  FlatMessage& out_;
  std::string key_;
  std::string why_;
  int depth_ = 0;
};

std::optional<FlatMessage> parse_json(std::string_view body, std::string& why) {
  FlatMessage message;
  FlatObjectReader reader(message);
  if (!json::sax_parse(body.begin(), body.end(), &reader)) {
    why = reader.why().empty() ? "not JSON" : reader.why();
    return std::nullopt;
  }
  return message;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xfU];
    } else {
      out += c;
    }
  }
  out += '"';
}

// Requests carry two integers; every other request field is text.
void append_json_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ':';
  if (name == "amount" || name == "timestamp") {
    out += value;
  } else {
    append_json_string(out, value);
  }
}

std::string_view json_answer_code(const SlotValues& slots) { return slots[Slot::code]; }

constexpr std::array<Named<Slot>, 12> kSlots{{
    {"code", Slot::code},
    {"message", Slot::message},
    {"event", Slot::event},
    {"notify_id", Slot::notify_id},
    {"order_id", Slot::order_id},
    {"state", Slot::state},
    {"amount", Slot::amount},
    {"currency", Slot::currency},
    {"channel_txn_id", Slot::channel_txn_id},
    {"refund_id", Slot::refund_id},
    {"refund_state", Slot::refund_state},
    {"refund_amount", Slot::refund_amount},
}};

constexpr std::array<Named<ReplyKind>, 9> kCodes{{
    {"SUCCESS", ReplyKind::answered},
    {"NOT_FOUND", ReplyKind::not_found},
    {"DECLINED", ReplyKind::declined},
    {"SYSTEM_ERROR", ReplyKind::retryable},
    {"FREQUENCY_LIMITED", ReplyKind::retryable},
    {"INVALID_REQUEST", ReplyKind::rejected},
    {"CONFLICT", ReplyKind::rejected},
    {"ORDER_NOT_PAYABLE", ReplyKind::rejected},
    {"SIGN_ERROR", ReplyKind::rejected},
}};

constexpr std::array<Named<PaymentStatus>, 4> kPaymentStates{{
    {"PAYING", PaymentStatus::processing},
    {"PAID", PaymentStatus::succeeded},
    {"FAILED", PaymentStatus::failed},
    {"CLOSED", PaymentStatus::closed},
}};

constexpr std::array<Named<RefundStatus>, 3> kRefundStates{{
    {"PROCESSING", RefundStatus::processing},
    {"SUCCEEDED", RefundStatus::succeeded},
    {"FAILED", RefundStatus::failed},
}};

// Indexed by ChannelOp: pay, query, refund, refund_query, close.
constexpr std::array<std::string_view, kChannelOpCount> kPaths{"/v1/pay", "/v1/query", "/v1/refund",
                                                               "/v1/refund/query", "/v1/close"};

constexpr WalletDialect kDialect{
    .family = Family::wallet_json,
    .name = "wallet-json",
    .content_type = "application/json",
    .ack_body = R"({"code":"SUCCESS"})",
    .paths = kPaths,
    .merchant_id_field = "merchant_id",
    .nonce_field = "nonce",
    .timestamp_field = "timestamp",
    .order_id_field = "order_id",
    .refund_id_field = "refund_id",
    .pay_amount_field = "amount",
    .refund_amount_field = "amount",
    .currency_field = "currency",
    .notify_url_field = "notify_url",
    .slots = kSlots,
    .codes = kCodes,
    .payment_states = kPaymentStates,
    .refund_states = kRefundStates,
    .integers_typed = true,
    .open = "{",
    .close = "}",
    .append_field = &append_json_field,
    .parse = &parse_json,
    .answer_code = &json_answer_code,
};

}  // namespace

const WalletDialect& wallet_json_dialect() { return kDialect; }

}  // namespace fusebox::gateway::detail
