// Reading the gateway's admin lists and the simulator's ledger. These come from other
// processes, so every field is checked and a bad one is named with its list and index.

#include <stdexcept>
#include <string>
#include <vector>

#include "checker_internal.hpp"

namespace fusebox::harness {
namespace {

using nlohmann::json;

// Reads the fields of one element of a list, naming "LIST[INDEX]: field F" on any error.
class FieldReader {
 public:
  FieldReader(std::string_view list, std::size_t index, const json& item)
      : list_(list), index_(index), item_(item) {
    if (!item_.is_object()) fail("expected an object, got " + std::string(item_.type_name()));
  }

  [[nodiscard]] std::string text(const char* name) const {
    const json& value = required(name);
    if (!value.is_string()) wrong_type(name, "a string", value);
    return value.get<std::string>();
  }

  // Absent and null both read as empty: the APIs leave these out until they apply.
  [[nodiscard]] std::string optional_text(const char* name) const {
    auto it = item_.find(name);
    if (it == item_.end() || it->is_null()) return {};
    if (!it->is_string()) wrong_type(name, "a string", *it);
    return it->get<std::string>();
  }

  [[nodiscard]] std::int64_t integer(const char* name) const {
    const json& value = required(name);
    if (value.is_number_unsigned()) {
      if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        wrong_type(name, "an integer within int64", value);
      }
      return static_cast<std::int64_t>(value.get<std::uint64_t>());
    }
    if (!value.is_number_integer()) wrong_type(name, "an integer", value);
    return value.get<std::int64_t>();
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(std::string(list_) + "[" + std::to_string(index_) + "]: " + what);
  }

 private:
  const json& required(const char* name) const {
    auto it = item_.find(name);
    if (it == item_.end()) fail("missing field \"" + std::string(name) + "\"");
    return *it;
  }

  [[noreturn]] void wrong_type(const char* name, const char* expected, const json& got) const {
    fail("field \"" + std::string(name) + "\": expected " + expected + ", got " +
         (got.is_number() || got.is_boolean() || got.is_null() ? got.dump()
                                                               : std::string(got.type_name())));
  }

  std::string_view list_;
  std::size_t index_;
  const json& item_;
};

bool known_event(std::string_view event) {
  for (std::string_view known : {"order_created", "charged", "declined", "closed",
                                 "refund_accepted", "refund_succeeded", "refund_failed"}) {
    if (event == known) return true;
  }
  return false;
}

void require_array(std::string_view list, const json& value) {
  if (!value.is_array()) {
    throw std::runtime_error(std::string(list) + ": expected an array, got " +
                             std::string(value.type_name()));
  }
}

GatewayPayment read_payment(const FieldReader& f) {
  GatewayPayment p;
  p.payment_id = f.text("payment_id");
  p.merchant_order_id = f.text("merchant_order_id");
  p.amount = f.integer("amount");
  p.currency = f.text("currency");
  p.status = f.text("status");
  p.channel = f.text("channel");
  p.channel_txn_id = f.optional_text("channel_txn_id");
  p.failure_code = f.optional_text("failure_code");
  p.refunded = f.integer("refunded_amount");
  p.refunding = f.integer("refunding_amount");
  p.created_ms = f.integer("created_ms");
  p.updated_ms = f.integer("updated_ms");
  return p;
}

GatewayRefund read_refund(const FieldReader& f) {
  GatewayRefund r;
  r.refund_id = f.text("refund_id");
  r.merchant_refund_id = f.text("merchant_refund_id");
  r.payment_id = f.text("payment_id");
  r.amount = f.integer("amount");
  r.status = f.text("status");
  (void)f.optional_text("failure_code");  // checked for type; the checker does not use it
  r.created_ms = f.integer("created_ms");
  r.updated_ms = f.integer("updated_ms");
  return r;
}

}  // namespace

std::vector<GatewayPayment> parse_gateway_payments(const nlohmann::json& list) {
  constexpr std::string_view kList = "gateway payments";
  require_array(kList, list);
  std::vector<GatewayPayment> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(read_payment({kList, i, list[i]}));
  return out;
}

std::vector<GatewayRefund> parse_gateway_refunds(const nlohmann::json& list) {
  constexpr std::string_view kList = "gateway refunds";
  require_array(kList, list);
  std::vector<GatewayRefund> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(read_refund({kList, i, list[i]}));
  return out;
}

std::vector<LedgerRow> parse_ledger(const std::string& channel, const nlohmann::json& list,
                                    std::int64_t offset_ms) {
  const std::string name = "ledger of " + channel;
  require_array(name, list);
  std::vector<LedgerRow> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const FieldReader f(name, i, list[i]);
    LedgerRow row;
    row.channel = channel;
    const std::int64_t at_ms = f.integer("at_ms");
    if (__builtin_add_overflow(at_ms, offset_ms, &row.at_ms)) {
      f.fail("field \"at_ms\": " + std::to_string(at_ms) + " plus the offset " +
             std::to_string(offset_ms) + " overflows");
    }
    row.event = f.text("event");
    if (!known_event(row.event)) f.fail("field \"event\": unknown event \"" + row.event + "\"");
    row.order_id = f.text("order_id");
    row.amount = f.integer("amount");
    row.currency = f.text("currency");
    row.refund_id = f.optional_text("refund_id");
    row.channel_txn_id = f.optional_text("channel_txn_id");
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace fusebox::harness
