#pragma once
// The gateway's domain, shared by its core, its channel codecs, its store and its live
// runtime. Money is int64 minor units; time is int64 nanoseconds on whichever clock drives
// the core (the live runtime's monotonic clock or the virtual clock).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fusebox/common/clock.hpp"

namespace fusebox::gateway {

// Final states (succeeded, failed, closed) are absorbing.
enum class PaymentStatus : std::uint8_t { processing, succeeded, failed, closed };
enum class RefundStatus : std::uint8_t { processing, succeeded, failed };
enum class Method : std::uint8_t { wallet, bank };
enum class Family : std::uint8_t { wallet_json, wallet_xml, bank_binary };
// What the gateway asks of a channel.
enum class ChannelOp : std::uint8_t { pay, query, refund, refund_query, close };
inline constexpr int kChannelOpCount = 5;
// Which services a gateway process runs: both (the default), or one half of the split by
// business type, two processes sharing one store (docs/GATEWAY.md, "Two processes").
enum class Role : std::uint8_t { all, payments, refunds };

// Wire names: "PROCESSING", "SUCCEEDED", "FAILED", "CLOSED"; "wallet", "bank";
// "wallet-json", "wallet-xml", "bank-binary"; "pay", "query", "refund", "refund_query", "close".
[[nodiscard]] std::string_view to_string(PaymentStatus status);
[[nodiscard]] std::string_view to_string(RefundStatus status);
[[nodiscard]] std::string_view to_string(Method method);
[[nodiscard]] std::string_view to_string(Family family);
[[nodiscard]] std::string_view to_string(ChannelOp op);
[[nodiscard]] std::string_view to_string(Role role);  // "all", "payments", "refunds"
[[nodiscard]] std::optional<PaymentStatus> parse_payment_status(std::string_view name);
[[nodiscard]] std::optional<RefundStatus> parse_refund_status(std::string_view name);
[[nodiscard]] std::optional<Method> parse_method(std::string_view name);
[[nodiscard]] std::optional<Family> parse_family(std::string_view name);
[[nodiscard]] std::optional<Role> parse_role(std::string_view name);

[[nodiscard]] constexpr bool is_final(PaymentStatus status) {
  return status != PaymentStatus::processing;
}
[[nodiscard]] constexpr bool is_final(RefundStatus status) {
  return status != RefundStatus::processing;
}

// How a call to a channel ended, as the transport saw it.
enum class Transport : std::uint8_t {
  delivered,  // an answer came back: see the reply
  not_sent,   // provably never left: connection refused, no connection, pool closed
  timeout,    // sent, no answer in time: ambiguous
  broken,     // sent, the connection broke before a whole answer: ambiguous
};
[[nodiscard]] std::string_view to_string(Transport transport);

// One merchant payment. `payment_id` is also the order id the channel knows it by.
struct Payment {
  std::string payment_id;
  std::string merchant_order_id;
  std::int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, three capitals
  Method method = Method::wallet;
  std::string channel;  // the channel it was sent to; "" if none would take it
  PaymentStatus status = PaymentStatus::processing;
  std::string channel_txn_id;  // set once the channel reports it paid
  std::string failure_code;    // set when failed: e.g. "DECLINED", "NO_CHANNEL"
  TimeNs created_ns = 0;
  TimeNs updated_ns = 0;
  std::int64_t refunded_minor = 0;   // sum of succeeded refunds
  std::int64_t refunding_minor = 0;  // sum of refunds still processing
  // The channel the merchant named in the pay request ("" to let the router choose): part of
  // the idempotency check, so it is kept with the row and survives a restart.
  std::string requested_channel;
};

struct Refund {
  std::string refund_id;  // also the refund id the channel knows it by
  std::string merchant_refund_id;
  std::string payment_id;
  std::int64_t amount_minor = 0;
  RefundStatus status = RefundStatus::processing;
  std::string failure_code;
  TimeNs created_ns = 0;
  TimeNs updated_ns = 0;
};

}  // namespace fusebox::gateway
