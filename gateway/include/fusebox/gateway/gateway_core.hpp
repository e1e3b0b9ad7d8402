#pragma once
// The gateway's decision core: every merchant request, channel result, notification and
// timer goes in with `now`; what to answer and what to send comes out as Effects. It never
// reads a clock, opens a socket, starts a thread or draws randomness, so the live runtime
// and the virtual-time driver run the very same decisions. Single-threaded by contract:
// the driver calls it from one thread (or strand) at a time.
//
// The rules it keeps (docs/GATEWAY.md has the whole story):
//  - final states are absorbing; a notification, poll or statement never moves them;
//  - a payment moves to another channel only when the earlier attempt provably never
//    reached its channel (not sent, rejected by our own breaker or bulkhead, or an answer
//    that says the channel did nothing); an ambiguous outcome stays PROCESSING on its channel
//    and is resolved by notification, poll or statement;
//  - succeeded plus in-flight refunds never exceed the paid amount.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fusebox/gateway/breaker.hpp"
#include "fusebox/gateway/channel_codec.hpp"
#include "fusebox/gateway/gateway_config.hpp"
#include "fusebox/gateway/metrics.hpp"
#include "fusebox/gateway/reconciler.hpp"
#include "fusebox/gateway/store.hpp"
#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

using RequestId = std::uint64_t;  // the driver's handle on a merchant request awaiting its answer
using CallId = std::uint64_t;     // the core's handle on a call to a channel

struct PayRequest {
  std::string merchant_order_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string method;
  std::string channel;  // optional: "" lets the router choose
};

struct RefundRequest {
  std::string payment_id;
  std::string merchant_refund_id;
  std::int64_t amount_minor = 0;
};

struct MerchantError {
  int http_status = 400;
  std::string code;  // e.g. "INVALID_FIELD", "IDEMPOTENCY_CONFLICT", "NOT_FOUND"
  std::string message;
  std::string field;  // "" when no single field is to blame
};

struct MerchantReply {
  RequestId request = 0;
  int http_status = 200;
  std::optional<Payment> payment;
  std::optional<Refund> refund;
  std::optional<MerchantError> error;
};

struct CallOutcome {
  Transport transport = Transport::delivered;
  ChannelReply reply;  // meaningful when delivered
  TimeNs latency_ns = 0;
};

// A call the driver must make: encode `call` with the channel's codec, send, and report the
// outcome with on_call_result within about `timeout_ns`.
struct ChannelSend {
  CallId id = 0;
  std::string channel;
  ChannelCall call;
  TimeNs timeout_ns = 0;
};

struct Effects {
  std::vector<MerchantReply> replies;
  std::vector<ChannelSend> sends;
  void clear() {
    replies.clear();
    sends.clear();
  }
};

struct NotificationVerdict {
  std::string verdict;  // "applied", "duplicate", "forged", "mismatch", "unknown_order", ...
  bool ack = false;     // answer the channel's exact ACK
};

struct ManualReviewItem {
  std::string id;  // payment_id or refund_id
  std::string channel;
  std::string reason;  // "poll_horizon", "final_state_conflict", "amount_mismatch", ...
  TimeNs at_ns = 0;
};

// Refunds that succeeded within a day, two days and seven days of being asked for, among
// the refunds at least that old (a younger refund cannot be judged yet).
struct RefundRates {
  struct Window {
    std::uint64_t judged = 0;
    std::uint64_t succeeded = 0;
    [[nodiscard]] double rate() const {
      return judged == 0 ? 1.0 : static_cast<double>(succeeded) / static_cast<double>(judged);
    }
  };
  Window same_day;
  Window next_day;
  Window seven_day;
};

struct ChannelBreakerEvent {
  std::string channel;
  bool refunds = false;  // the refunds breaker, else the payments one
  BreakerEvent event;
};

// What the core holds in memory, and how many orders have left it for the store.
struct Residency {
  std::uint64_t payments = 0;
  std::uint64_t refunds = 0;
  std::uint64_t evicted = 0;
  std::uint64_t retiring = 0;  // final orders waiting for their retention to pass
  // Lookups of an order memory did not hold that went to the store: only ids that may have
  // left memory do (the filter of departed ids; a new order's idempotency check does not).
  std::uint64_t store_reads = 0;
  std::uint64_t departed_filter_bytes = 0;  // that filter's size
};

struct ChannelView {
  std::string name;
  Family family = Family::wallet_json;
  Method method = Method::wallet;
  bool enabled = true;
  BreakerSnapshot payments_breaker;
  BreakerSnapshot refunds_breaker;
  std::array<std::uint32_t, kChannelOpCount> in_flight{};  // per bulkhead, by ChannelOp
  std::array<std::uint32_t, kChannelOpCount> queued{};
  std::uint64_t pending_orders = 0;  // PROCESSING payments on this channel
};

class GatewayCore {
 public:
  // `store` outlives the core and receives every change as it happens.
  GatewayCore(GatewayConfig config, Store& store);
  ~GatewayCore();
  GatewayCore(const GatewayCore&) = delete;
  GatewayCore& operator=(const GatewayCore&) = delete;

  // Loads every payment and refund from the store; PROCESSING ones go back to the poller.
  void recover(TimeNs now);

  // Merchant API. The answer arrives in `effects.replies` now or after a channel call.
  void pay(TimeNs now, RequestId request, const PayRequest& body, Effects& effects);
  void refund(TimeNs now, RequestId request, const RefundRequest& body, Effects& effects);
  void close(TimeNs now, RequestId request, std::string_view payment_id, Effects& effects);
  // A payment in memory (with GatewayConfig::retain_final_ns set, a final one may have left
  // it for the store: the views below read it there).
  [[nodiscard]] const Payment* find_payment(std::string_view payment_id) const;
  // A payment as the merchant API shows it: find_payment's, except that in the payments role
  // the refund sums of a SUCCEEDED payment are read from the store, where the refunds
  // process keeps them.
  [[nodiscard]] std::optional<Payment> payment_for_merchant(std::string_view payment_id) const;
  [[nodiscard]] std::optional<Refund> find_refund(std::string_view refund_id) const;

  // Channel side.
  void on_call_result(TimeNs now, CallId call, const CallOutcome& outcome, Effects& effects);
  [[nodiscard]] NotificationVerdict on_notification(TimeNs now, std::string_view channel,
                                                    const NotificationParse& parse);

  // Timers: polls, queued calls that waited too long, metric seconds, alert rules.
  void advance(TimeNs now, Effects& effects);
  [[nodiscard]] TimeNs next_wakeup() const;

  // Operator actions. False when the channel is unknown.
  bool set_channel_enabled(TimeNs now, std::string_view channel, bool enabled);
  void set_method_enabled(TimeNs now, Method method, bool enabled);
  bool force_breaker(TimeNs now, std::string_view channel, ForceMode mode);
  // Query these orders now (unknown ids are skipped); answers how many were queued.
  std::size_t reconcile_orders(TimeNs now, std::span<const std::string> payment_ids,
                               Effects& effects);
  // Query every PROCESSING payment created in [from, to): batch sync.
  std::size_t reconcile_range(TimeNs now, TimeNs from_ns, TimeNs to_ns, Effects& effects);
  // Compares a channel's statement with our payments; fixes what is safe to fix.
  [[nodiscard]] ReconcileReport reconcile_statement(TimeNs now, std::string_view channel,
                                                    std::span<const StatementRow> rows);

  // Views.
  [[nodiscard]] std::vector<ChannelView> channels(TimeNs now) const;
  [[nodiscard]] bool method_enabled(Method method) const;
  [[nodiscard]] const std::vector<ManualReviewItem>& manual_review() const;
  [[nodiscard]] const Metrics& metrics() const;
  [[nodiscard]] const std::vector<ChannelBreakerEvent>& breaker_events() const;
  [[nodiscard]] const GatewayConfig& config() const;
  [[nodiscard]] Residency residency() const;
  [[nodiscard]] std::vector<Payment> payments() const;  // creation order
  [[nodiscard]] std::vector<Refund> refunds() const;    // creation order
  // The same, one at a time (from the store once an order has left memory).
  void visit_payments(const std::function<void(const Payment&)>& visit) const;
  void visit_refunds(const std::function<void(const Refund&)>& visit) const;
  // Amortised O(1): each refund is judged once per window (`now` must not go back).
  [[nodiscard]] RefundRates refund_rates(TimeNs now);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fusebox::gateway
