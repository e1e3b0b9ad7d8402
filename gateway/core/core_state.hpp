#pragma once
// GatewayCore's private state, shared by the files that implement it: merchant operations
// (gateway_core.cpp), channel results and notifications (call_results.cpp) and the poller
// (poller.cpp). Nothing outside gateway/core includes this.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "fusebox/common/bloom_filter.hpp"
#include "fusebox/gateway/gateway_core.hpp"

#include "order_index.hpp"

namespace fusebox::gateway {

// A bulkhead: calls in flight and calls waiting for a slot, bounded both ways.
struct Lane {
  BulkheadConfig limits;
  std::uint32_t in_flight = 0;
  std::deque<CallId> queued;
};

struct ChannelRuntime {
  ChannelSettings settings;
  std::unique_ptr<Breaker> payments_breaker;  // pay, query, close
  std::unique_ptr<Breaker> refunds_breaker;   // refund, refund query
  bool enabled = true;
  std::array<Lane, kChannelOpCount> lanes;  // one bulkhead per operation
  std::int64_t current_weight = 0;          // smooth weighted round-robin
  std::int64_t poll_second = -1;            // the polling budget's current second
  std::uint32_t polls_this_second = 0;
  std::uint64_t pending = 0;  // PROCESSING payments routed here
};

// Why a call was made; decides what its result means.
enum class Purpose : std::uint8_t { pay, close, poll_payment, close_unknown, refund, poll_refund };

struct Call {
  Purpose purpose = Purpose::pay;
  std::size_t channel = 0;
  ChannelCall call;
  std::optional<RequestId> request;  // a merchant waits for this call's result
  Permit permit;
  TimeNs created_ns = 0;
  bool sent = false;
  std::vector<std::size_t> tried;  // pay: channels this payment provably never reached
};

// When a final order may leave memory (see "What the core keeps" below): not before `due`,
// and only once the store has settled its `mark` first writes (StoreStats::accepted), the
// order's last change among them.
struct Retire {
  TimeNs due = 0;
  std::uint64_t mark = 0;
};

struct PaymentEntry {
  Payment payment;
  std::uint64_t seq = 0;  // its key in State::payments
  Retire retire;
  std::uint32_t calls_in_flight = 0;
  std::uint32_t poll_step = 0;
  bool polling = false;
  // A channel took the pay and answered a retryable error (busy, system error): if no other
  // channel takes it either, the failure is the channels', not a fast rejection.
  bool channel_answered_retryable = false;
};

struct RefundEntry {
  Refund refund;
  std::string channel;
  std::uint64_t seq = 0;          // its key in State::refunds
  std::uint64_t judge_index = 0;  // its place in State::refund_marks
  Retire retire;
  std::uint32_t poll_step = 0;
  bool polling = false;
};

// The ids the order indexes read from their entries.
struct PaymentIdOf {
  const std::string& operator()(const PaymentEntry* e) const { return e->payment.payment_id; }
};
struct MerchantOrderIdOf {
  const std::string& operator()(const PaymentEntry* e) const {
    return e->payment.merchant_order_id;
  }
};
struct RefundIdOf {
  const std::string& operator()(const RefundEntry* e) const { return e->refund.refund_id; }
};
struct MerchantRefundIdOf {
  const std::string& operator()(const RefundEntry* e) const { return e->refund.merchant_refund_id; }
};

struct GatewayCore::State {
  State(GatewayConfig config_in, Store& store_in);

  GatewayConfig config;
  Store& store;
  std::vector<ChannelRuntime> channels;
  std::array<bool, 2> methods_enabled{true, true};
  Metrics metrics;

  // The orders in memory, by the sequence they came in (created, recovered or read back);
  // sharded indexes, so that no growth copies every order at once while a merchant waits
  // (order_index.hpp).
  std::map<std::uint64_t, std::unique_ptr<PaymentEntry>> payments;
  OrderIndex<PaymentEntry, PaymentIdOf> payment_by_id;
  OrderIndex<PaymentEntry, MerchantOrderIdOf> payment_by_merchant_id;
  std::map<std::uint64_t, std::unique_ptr<RefundEntry>> refunds;
  OrderIndex<RefundEntry, RefundIdOf> refund_by_id;
  OrderIndex<RefundEntry, MerchantRefundIdOf> refund_by_merchant_id;
  std::uint64_t next_seq = 0;
  std::uint64_t next_payment = 1;
  std::uint64_t next_refund = 1;

  // What the core keeps (residency.cpp). Every open order stays in memory. With
  // config.retain_final_ns set, a final one leaves config.retain_final_ns after its last
  // change, once the store holds that change durably (and nothing of ours still waits on it:
  // no pay or close in flight, no refund in flight against it). From then on it lives in the
  // store alone; whatever asks for it (a repeat request, a GET, a late notification or poll
  // answer, a refund of an old payment) reads it back, and it is kept again for a while.
  struct Retiring {
    TimeNs due = 0;
    std::string id;
    bool is_refund = false;
  };
  std::deque<Retiring> retiring;  // in due order: every due is now + the same retention
  std::uint64_t evicted = 0;      // orders that left memory
  // The ids and merchant ids of every order that left memory: an order memory does not
  // hold is looked for in the store only when this says "maybe", so a new order's
  // idempotency check (and an unknown id's lookup) costs no store read. About 12 bits per
  // order that left; a false "maybe" (under 1%) costs one read that finds nothing.
  enum class IdKind : std::uint64_t { payment = 1, merchant_order, refund, merchant_refund };
  BloomFilter departed{std::size_t{1} << 16};  // 96 KiB before it first grows
  mutable std::uint64_t store_reads = 0;       // lookups that went to the store (Residency)
  // Whether an order memory does not hold may be in the store; counts the read that follows.
  [[nodiscard]] bool must_read_store(IdKind kind, std::string_view id) const {
    if (departed.empty() ||
        !departed.may_contain(BloomFilter::hash_of(id, static_cast<std::uint64_t>(kind)))) {
      return false;
    }
    ++store_reads;
    return true;
  }

  PaymentEntry& adopt_payment(Payment payment);
  RefundEntry& adopt_refund(Refund refund, std::string channel);
  [[nodiscard]] PaymentEntry* read_back(TimeNs now, std::optional<Payment> stored);
  // An order by id or merchant id: in memory, or read back from the store; nullptr if
  // neither has it. The _ref forms are for ids the core itself issued.
  [[nodiscard]] PaymentEntry* payment(TimeNs now, std::string_view id);
  [[nodiscard]] PaymentEntry* payment_by_merchant(TimeNs now, const std::string& merchant_id);
  [[nodiscard]] RefundEntry* refund(TimeNs now, std::string_view id);
  [[nodiscard]] RefundEntry* refund_by_merchant(TimeNs now, const std::string& merchant_id);
  [[nodiscard]] PaymentEntry& payment_ref(TimeNs now, std::string_view id);
  [[nodiscard]] RefundEntry& refund_ref(TimeNs now, std::string_view id);
  // Marks a final order (its last change just handed to the store) for leaving memory.
  void retire_later(TimeNs now, PaymentEntry& entry);
  void retire_later(TimeNs now, RefundEntry& entry);
  void evict_retired(TimeNs now);

  std::unordered_map<CallId, Call> calls;  // looked up by id only, never iterated
  CallId next_call = 1;

  // Polls due, ordered by (due, sequence): deterministic under equal deadlines.
  std::set<std::tuple<TimeNs, std::uint64_t, std::string, bool>> polls;
  std::uint64_t poll_sequence = 0;

  std::vector<ManualReviewItem> manual_review;
  std::vector<ChannelBreakerEvent> breaker_events;

  // Refund rates as running counts. A refund is judged once, when it becomes old enough for
  // a window: succeeded within the window or not (a success after the window is late
  // whenever it comes). Judges read a mark per refund, kept in creation order apart from the
  // refunds themselves (which leave memory once final) until the longest window has judged
  // it, so each window needs only a cursor.
  struct RefundMark {
    TimeNs created_ns = 0;
    TimeNs succeeded_ns = -1;  // -1: not succeeded (yet)
  };
  std::deque<RefundMark> refund_marks;  // in creation order; the front one is number
  std::uint64_t refund_marks_base = 0;  // refund_marks_base
  struct RefundJudge {
    TimeNs span = 0;
    std::uint64_t next = 0;  // the first refund mark not yet old enough
    RefundRates::Window counts;
  };
  std::array<RefundJudge, 3> refund_judges{};  // same day, next day, seven days
  void mark_refund(RefundEntry& entry);

  // --- shared helpers (definitions spread over the core's files) ---
  [[nodiscard]] std::optional<std::size_t> channel_index(std::string_view name) const;
  [[nodiscard]] Lane& lane_of(std::size_t channel, ChannelOp op);
  [[nodiscard]] Breaker& breaker_of(std::size_t channel, ChannelOp op);
  [[nodiscard]] bool channel_open_for_traffic(std::size_t channel, TimeNs now);

  // Starts `call` through the channel's breaker and bulkhead. Returns the rejection kind
  // when it never left (the call is then forgotten), or nullopt when sent or queued.
  [[nodiscard]] std::optional<CallKind> start_call(TimeNs now, Call call, Effects& effects);
  void release_lane(TimeNs now, std::size_t channel, ChannelOp op, Effects& effects);
  void expire_queued(TimeNs now, Effects& effects);

  void set_payment_status(TimeNs now, PaymentEntry& entry, PaymentStatus status,
                          std::string_view cause, std::string_view txn_id = {},
                          std::string_view failure_code = {});
  void set_refund_status(TimeNs now, RefundEntry& entry, RefundStatus status,
                         std::string_view cause, std::string_view failure_code = {});
  void add_review(TimeNs now, std::string id, std::string_view channel, std::string reason);
  void reply_payment(Effects& effects, RequestId request, const PaymentEntry& entry);
  // A payment as the merchant API shows it: in the payments role, a SUCCEEDED payment's
  // refund sums come from the store, where the refunds process keeps them.
  [[nodiscard]] Payment shown_to_merchant(const Payment& payment) const;
  void reply_refund(Effects& effects, RequestId request, const RefundEntry& entry);
  void collect_breaker_events(std::size_t channel);

  // Merchant input, routing and the pay flow (gateway_core.cpp).
  [[nodiscard]] std::optional<MerchantError> invalid_pay(const PayRequest& body) const;
  [[nodiscard]] std::optional<MerchantError> invalid_refund(const RefundRequest& body,
                                                            const PaymentEntry* parent) const;
  [[nodiscard]] std::optional<MerchantError> unrefundable(const Payment& payment,
                                                          std::int64_t amount) const;
  [[nodiscard]] std::vector<std::size_t> candidates(const PaymentEntry& entry,
                                                    const std::vector<std::size_t>& tried);
  // Where `channel` should send notifications: "" leaves the channel's configured URL.
  [[nodiscard]] std::string notify_url(std::size_t channel) const;
  void route_pay(TimeNs now, PaymentEntry& entry, std::optional<RequestId> request,
                 std::vector<std::size_t> tried, Effects& effects);

  // The poller (poller.cpp).
  // Recovery and the split by role (gateway_core.cpp).
  void refresh_from_store(const std::string& payment_id);
  void schedule_poll(TimeNs due, const std::string& id, bool is_refund);
  void start_polling_payment(TimeNs now, PaymentEntry& entry);
  void start_polling_refund(TimeNs now, RefundEntry& entry);
  void run_polls(TimeNs now, Effects& effects);
  [[nodiscard]] bool take_poll_budget(ChannelRuntime& channel, TimeNs now);

  // Results (call_results.cpp).
  void on_pay_result(TimeNs now, Call& call, CallKind kind, const CallOutcome& outcome,
                     Effects& effects);
  void on_payment_status_result(TimeNs now, Call& call, CallKind kind, const CallOutcome& outcome,
                                Effects& effects);
  void on_refund_result(TimeNs now, Call& call, CallKind kind, const CallOutcome& outcome,
                        Effects& effects);
  void apply_channel_payment(TimeNs now, PaymentEntry& entry, const ChannelReply& reply,
                             std::string_view cause);
  void apply_channel_refund(TimeNs now, RefundEntry& entry, const ChannelReply& reply,
                            std::string_view cause);
};

[[nodiscard]] CallKind classify(const CallOutcome& outcome);

}  // namespace fusebox::gateway
