#pragma once
// The vocabulary shared by the channel models and their drivers: what a request asks, what
// the channel answers, how the answer travels, and the effects (timers, notifications) a
// model hands back. Protocol-neutral: each family's protocol layer maps these to its wire.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <climits>

#include "fusebox/common/clock.hpp"

namespace fusebox::sim {

enum class Operation : std::uint8_t { pay, query, refund, refund_query, close, statement };
inline constexpr std::size_t kOperationCount = 6;
[[nodiscard]] std::string_view to_string(Operation operation);

// The channel's own view of a payment. Final states (paid, failed, closed) never change.
enum class PaymentState : std::uint8_t {
  paying,  // created by a pay request; the user has not finished paying
  paid,
  failed,  // declined (insufficient funds, risk control ...)
  closed,  // closed unpaid, by the merchant or by expiry
};
[[nodiscard]] std::string_view to_string(PaymentState state);
[[nodiscard]] constexpr bool is_final(PaymentState state) { return state != PaymentState::paying; }

enum class RefundState : std::uint8_t { processing, succeeded, failed };
[[nodiscard]] std::string_view to_string(RefundState state);

// A request as every protocol layer decodes it.
struct Request {
  Operation operation = Operation::pay;
  std::string order_id;   // the merchant's order id: the channel's key for a payment
  std::string refund_id;  // refund and refund_query
  std::int64_t amount_minor = 0;
  std::string currency;
  int node = 0;  // the front-end node that received it (bank-binary); 0 elsewhere
  // statement: the range [from_ns, to_ns) of the ledger it covers
  TimeNs from_ns = 0;
  TimeNs to_ns = INT64_MAX;
};

// The business answer, before any transport fault.
enum class AnswerCode : std::uint8_t {
  ok,                 // the request was processed; `payment` / `refund` say the state
  not_found,          // no such order or refund
  declined,           // pay refused for a business reason (final)
  system_error,       // retryable: nothing happened
  invalid_request,    // malformed or inconsistent request (e.g. refund above the paid amount)
  conflict,           // same order id with a different amount or currency
  order_not_payable,  // close or refund on an order in the wrong state
};
[[nodiscard]] std::string_view to_string(AnswerCode code);

struct PaymentView {
  std::string order_id;
  PaymentState state = PaymentState::paying;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string channel_txn_id;  // set once paid
  TimeNs paid_at_ns = 0;
};

struct RefundView {
  std::string order_id;
  std::string refund_id;
  RefundState state = RefundState::processing;
  std::int64_t amount_minor = 0;
};

struct Answer {
  AnswerCode code = AnswerCode::ok;
  std::string reason;  // human-readable, for the protocol's message field
  PaymentView payment;
  RefundView refund;
  std::string statement_csv;  // statement: render_statement_csv's text (channel_model.hpp)
};

// How the answer travels back: the transport faults a live server acts out and the sim
// driver models. `normal` is an ordinary response.
enum class Delivery : std::uint8_t {
  normal,
  black_hole,         // never answer (the connection stays open)
  reset,              // reset the connection part-way through the response
  truncated_body,     // send fewer body bytes than announced
  malformed_body,     // send a body that does not parse
  bad_signature,      // send a correctly formed body with a wrong signature
  slow_dribble,       // send the response a few bytes at a time
  http_5xx,           // an HTTP 503 (or the family's equivalent) instead of the answer
  too_many_requests,  // 429 with Retry-After (or the family's busy code)
};
[[nodiscard]] std::string_view to_string(Delivery delivery);

// What the model decided for one request.
struct Decision {
  Answer answer;
  TimeNs respond_at_ns = 0;  // when the response leaves the channel
  Delivery delivery = Delivery::normal;
  TimeNs retry_after_ns = 0;  // with too_many_requests
};

enum class NotificationKind : std::uint8_t { payment, refund };

// One delivery attempt of an asynchronous notification, as the channel sends it.
struct Notification {
  std::uint64_t id = 0;  // the same across retries of one notification
  int attempt = 1;
  NotificationKind kind = NotificationKind::payment;
  PaymentView payment;
  RefundView refund;
  bool forged = false;  // signed with a wrong key: the protocol layer corrupts the signature
};

// A timer the model asks its driver to set, and hand back through on_timer() when it fires.
struct TimerRequest {
  TimeNs at_ns = 0;
  std::uint64_t token = 0;
};

struct Effects {
  std::vector<TimerRequest> timers;
  std::vector<Notification> notifications;  // to send now, in this order
};

}  // namespace fusebox::sim
