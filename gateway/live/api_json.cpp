#include "fusebox/gateway/api_json.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <span>

#include "fusebox/common/json_writer.hpp"

namespace fusebox::gateway::api {
namespace {

using nlohmann::json;

std::optional<MerchantError> parse_object(std::string_view body, json& object,
                                          std::initializer_list<std::string_view> allowed) {
  object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    return error(400, "MALFORMED_JSON", "the body is not valid JSON");
  }
  if (!object.is_object()) return error(400, "MALFORMED_JSON", "expected a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return error(400, "UNKNOWN_FIELD", key + ": not a field of this request", key);
    }
  }
  return std::nullopt;
}

std::optional<MerchantError> string_field(const json& object, const char* name, bool required,
                                          std::string& out) {
  const auto it = object.find(name);
  if (it == object.end()) {
    if (!required) return std::nullopt;
    return error(400, "MISSING_FIELD", std::string(name) + ": required", name);
  }
  if (!it->is_string()) {
    return error(400, "INVALID_FIELD", std::string(name) + ": expected a string, got " + it->dump(),
                 name);
  }
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<MerchantError> amount_field(const json& object, std::int64_t& out) {
  const auto it = object.find("amount");
  if (it == object.end()) return error(400, "MISSING_FIELD", "amount: required", "amount");
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX)) {
    return error(400, "INVALID_FIELD",
                 "amount: expected an integer number of minor units, got " + it->dump(), "amount");
  }
  out = it->get<std::int64_t>();
  return std::nullopt;
}

// One field of a merchant request, for the one-pass reader: where its value goes.
struct FieldSlot {
  std::string_view name;
  std::string* text = nullptr;     // a string field
  std::int64_t* number = nullptr;  // an integer field
  bool required = true;
  bool seen = false;
};

// The common case read in one pass, without a document: one flat object whose every key is
// a field of the request, with a string or an integer as that field wants (a repeated key
// keeps its last value, as the document does). Anything else stops the reader, and the
// document path words the error, so both paths answer alike.
class FlatRequestReader {
 public:
  explicit FlatRequestReader(std::span<FieldSlot> slots) : slots_(slots) {}

  bool null() { return false; }
  bool boolean(bool /*value*/) { return false; }
  bool number_integer(json::number_integer_t value) {
    if (current_ == nullptr || current_->number == nullptr) return false;
    *current_->number = value;
    return seen();
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (value > static_cast<json::number_unsigned_t>(INT64_MAX)) return false;
    return number_integer(static_cast<json::number_integer_t>(value));
  }
  bool number_float(json::number_float_t /*value*/, const std::string& /*text*/) { return false; }
  bool string(std::string& value) {
    if (current_ == nullptr || current_->text == nullptr) return false;
    *current_->text = std::move(value);
    return seen();
  }
  bool binary(json::binary_t& /*value*/) { return false; }
  bool start_object(std::size_t /*size*/) { return depth_++ == 0; }
  bool key(std::string& name) {
    current_ = nullptr;
    for (FieldSlot& slot : slots_) {
      if (slot.name == name) current_ = &slot;
    }
    return current_ != nullptr;
  }
  bool end_object() { return true; }
  bool start_array(std::size_t /*size*/) { return false; }
  bool end_array() { return false; }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }
  // Every required field was there.
  [[nodiscard]] bool complete() const {
    return std::all_of(slots_.begin(), slots_.end(),
                       [](const FieldSlot& slot) { return slot.seen || !slot.required; });
  }

 private:
  bool seen() {
    current_->seen = true;
    current_ = nullptr;
    return true;
  }

  std::span<FieldSlot> slots_;
  FieldSlot* current_ = nullptr;
  int depth_ = 0;
};

bool read_flat(std::string_view body, std::span<FieldSlot> slots) {
  FlatRequestReader reader(slots);
  return json::sax_parse(body.begin(), body.end(), &reader) && reader.complete();
}

}  // namespace

MerchantError error(int status, std::string code, std::string message, std::string field) {
  return MerchantError{status, std::move(code), std::move(message), std::move(field)};
}

std::variant<PayRequest, MerchantError> parse_pay(std::string_view body) {
  {
    PayRequest request;
    std::array<FieldSlot, 5> slots{{{"merchant_order_id", &request.merchant_order_id},
                                    {"amount", nullptr, &request.amount_minor},
                                    {"currency", &request.currency},
                                    {"method", &request.method},
                                    {"channel", &request.channel, nullptr, false}}};
    if (read_flat(body, slots)) return request;
  }
  json object;
  if (auto e = parse_object(body, object,
                            {"merchant_order_id", "amount", "currency", "method", "channel"})) {
    return *e;
  }
  PayRequest request;
  if (auto e = string_field(object, "merchant_order_id", true, request.merchant_order_id))
    return *e;
  if (auto e = amount_field(object, request.amount_minor)) return *e;
  if (auto e = string_field(object, "currency", true, request.currency)) return *e;
  if (auto e = string_field(object, "method", true, request.method)) return *e;
  if (auto e = string_field(object, "channel", false, request.channel)) return *e;
  return request;
}

std::variant<RefundRequest, MerchantError> parse_refund(std::string_view body) {
  {
    RefundRequest request;
    std::array<FieldSlot, 3> slots{{{"payment_id", &request.payment_id},
                                    {"merchant_refund_id", &request.merchant_refund_id},
                                    {"amount", nullptr, &request.amount_minor}}};
    if (read_flat(body, slots)) return request;
  }
  json object;
  if (auto e = parse_object(body, object, {"payment_id", "merchant_refund_id", "amount"})) {
    return *e;
  }
  RefundRequest request;
  if (auto e = string_field(object, "payment_id", true, request.payment_id)) return *e;
  if (auto e = string_field(object, "merchant_refund_id", true, request.merchant_refund_id)) {
    return *e;
  }
  if (auto e = amount_field(object, request.amount_minor)) return *e;
  return request;
}

json to_json(const Payment& p) {
  json out{{"payment_id", p.payment_id},
           {"merchant_order_id", p.merchant_order_id},
           {"amount", p.amount_minor},
           {"currency", p.currency},
           {"method", std::string(to_string(p.method))},
           {"status", std::string(to_string(p.status))},
           {"channel", p.channel},
           {"refunded_amount", p.refunded_minor},
           {"refunding_amount", p.refunding_minor},
           {"created_ms", p.created_ns / 1'000'000},
           {"updated_ms", p.updated_ns / 1'000'000}};
  if (!p.channel_txn_id.empty()) out["channel_txn_id"] = p.channel_txn_id;
  if (!p.failure_code.empty()) out["failure_code"] = p.failure_code;
  return out;
}

json to_json(const Refund& r) {
  json out{{"refund_id", r.refund_id},
           {"merchant_refund_id", r.merchant_refund_id},
           {"payment_id", r.payment_id},
           {"amount", r.amount_minor},
           {"status", std::string(to_string(r.status))},
           {"created_ms", r.created_ns / 1'000'000},
           {"updated_ms", r.updated_ns / 1'000'000}};
  if (!r.failure_code.empty()) out["failure_code"] = r.failure_code;
  return out;
}

json to_json(const MerchantError& e) {
  json error{{"code", e.code}, {"message", e.message}};
  error["field"] = e.field.empty() ? json(nullptr) : json(e.field);
  return json{{"error", error}};
}

std::string to_json_text(const Payment& p) {
  std::string out;
  out.reserve(320);
  JsonObjectWriter(out)
      .number("amount", p.amount_minor)
      .text("channel", p.channel)
      .text_if("channel_txn_id", p.channel_txn_id)
      .number("created_ms", p.created_ns / 1'000'000)
      .text("currency", p.currency)
      .text_if("failure_code", p.failure_code)
      .text("merchant_order_id", p.merchant_order_id)
      .text("method", to_string(p.method))
      .text("payment_id", p.payment_id)
      .number("refunded_amount", p.refunded_minor)
      .number("refunding_amount", p.refunding_minor)
      .text("status", to_string(p.status))
      .number("updated_ms", p.updated_ns / 1'000'000)
      .close();
  return out;
}

std::string to_json_text(const Refund& r) {
  std::string out;
  out.reserve(224);
  JsonObjectWriter(out)
      .number("amount", r.amount_minor)
      .number("created_ms", r.created_ns / 1'000'000)
      .text_if("failure_code", r.failure_code)
      .text("merchant_refund_id", r.merchant_refund_id)
      .text("payment_id", r.payment_id)
      .text("refund_id", r.refund_id)
      .text("status", to_string(r.status))
      .number("updated_ms", r.updated_ns / 1'000'000)
      .close();
  return out;
}

net::HttpResponseOut to_response(const MerchantReply& reply) {
  if (reply.error) {
    return net::make_response(reply.error->http_status, "application/json",
                              to_json(*reply.error).dump());
  }
  return net::make_response(
      reply.http_status, "application/json",
      reply.payment ? to_json_text(*reply.payment) : to_json_text(*reply.refund));
}

}  // namespace fusebox::gateway::api
