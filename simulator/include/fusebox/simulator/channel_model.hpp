#pragma once
// One channel's behaviour as a pure state machine: requests and timer firings go in with
// `now`, decisions and effects come out. It owns the channel's orders and refunds, the
// outcome model (the user pays, is declined or walks away), the notification engine with its
// retry schedule, the active faults and the ground-truth ledger. No sockets, no clock, no
// threads: the live servers and the virtual-time runner drive the same object.

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/distribution.hpp"
#include "fusebox/common/flat_index.hpp"
#include "fusebox/common/name.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/simulator/capacity.hpp"
#include "fusebox/simulator/faults.hpp"
#include "fusebox/simulator/ledger.hpp"
#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim {

struct OutcomeConfig {
  // Of the orders a pay request creates: the user pays and the charge succeeds, the charge is
  // declined, or (the rest) the user walks away and the order expires unpaid.
  double success_p = 0.95;
  double decline_p = 0.02;
  Distribution pay_after_ms = Distribution::lognormal(5'000, 60'000);
  TimeNs expire_after_ns = from_s(1'800);
};

struct RefundConfig {
  double success_p = 0.98;
  Distribution complete_after_ms = Distribution::lognormal(60'000, 3'600'000);
};

struct NotifyConfig {
  bool enabled = true;
  // Delay before attempt k+1 after attempt k went unacknowledged; past the end, give up.
  std::vector<TimeNs> retry_after_ns{from_s(15),   from_s(15),     from_s(30),    from_s(180),
                                     from_s(600),  from_s(1200),   from_s(1800),  from_s(1800),
                                     from_s(3600), from_s(10'800), from_s(21'600)};
};

struct ChannelModelConfig {
  std::string name = "channel";
  // Bank style: the pay answer carries the final result. Wallet style: pay creates an order,
  // the user pays later, and a notification reports it.
  bool synchronous_pay = false;
  std::array<Distribution, kOperationCount> latency_ms{
      Distribution::lognormal(20, 120), Distribution::lognormal(10, 60),
      Distribution::lognormal(30, 200), Distribution::lognormal(10, 60),
      Distribution::lognormal(15, 80),  Distribution::lognormal(200, 1'000)};
  CapacityConfig capacity;
  OutcomeConfig outcome;
  RefundConfig refund;
  NotifyConfig notify;
  std::size_t max_orders = 20'000'000;  // past this, pay answers a system error
};

struct ChannelCounters {
  std::array<std::uint64_t, kOperationCount> requests{};
  std::uint64_t rejected_by_capacity = 0;
  std::uint64_t faulted = 0;  // answered with anything but `normal` delivery
  std::uint64_t notifications_created = 0;
  std::uint64_t notification_attempts = 0;  // delivered attempts, duplicates included
  std::uint64_t notifications_acked = 0;
  std::uint64_t notifications_lost = 0;  // lost entirely
  std::uint64_t notification_attempts_lost = 0;
  std::uint64_t notifications_given_up = 0;  // retry schedule exhausted
  std::uint64_t forged_notifications = 0;
};

// One line of a channel's statement: a charge, or a refund that succeeded.
struct StatementRow {
  TimeNs at_ns = 0;
  bool refund = false;
  std::string order_id;
  std::string refund_id;
  std::string channel_txn_id;
  std::int64_t amount_minor = 0;
  std::string currency;
};

// "channel_txn_id,order_id,refund_id,type,amount,currency,at_ms" and a line per row.
[[nodiscard]] std::string render_statement_csv(const std::vector<StatementRow>& rows);

class ChannelModel {
 public:
  ChannelModel(ChannelModelConfig config, std::uint64_t master_seed);

  [[nodiscard]] Decision handle(TimeNs now_ns, const Request& request, Effects& effects);
  void on_timer(TimeNs now_ns, std::uint64_t token, Effects& effects);
  // The driver's report on one delivered attempt: `acked` only for the family's exact ACK.
  void on_notification_result(TimeNs now_ns, std::uint64_t notification_id, int attempt, bool acked,
                              Effects& effects);

  // The statement for [from_ns, to_ns) as the channel would publish it: every charge and
  // succeeded refund in the range, plus what an active statement_discrepancy fault injects.
  [[nodiscard]] std::vector<StatementRow> statement(TimeNs now_ns, TimeNs from_ns, TimeNs to_ns);

  // Back to the state it was built in: no orders, refunds, notifications, ledger entries,
  // counters or faults, the random streams seeded again. generation() moves on, so a driver
  // drops the timers and notification results it still holds for the old state (their
  // tokens and ids would name other orders now).
  void reset();
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

  [[nodiscard]] FaultTable& faults() { return faults_; }
  // The ground-truth ledger: counts and marks; ledger_entry() reads a mark as an entry.
  [[nodiscard]] const Ledger& ledger() const { return ledger_; }
  [[nodiscard]] LedgerEntry ledger_entry(const LedgerMark& mark) const;
  // Entries with at_ns in [from_ns, to_ns), optionally of one order only, in ledger order.
  [[nodiscard]] std::vector<LedgerEntry> ledger_entries(
      TimeNs from_ns = std::numeric_limits<TimeNs>::min(),
      TimeNs to_ns = std::numeric_limits<TimeNs>::max(), std::string_view order_id = {}) const;
  [[nodiscard]] const ChannelCounters& counters() const { return counters_; }
  [[nodiscard]] const ChannelModelConfig& config() const { return config_; }
  [[nodiscard]] std::optional<PaymentView> payment(std::string_view order_id) const;
  // The order's number: its place among the orders taken since the last reset, which are
  // never dropped, so a driver can keep per-order data of its own in a plain vector.
  [[nodiscard]] std::optional<std::uint32_t> order_number(std::string_view order_id) const;
  // A channel accepts connections unless a refuse_connections fault covers the node.
  [[nodiscard]] bool accepting(TimeNs now_ns, int node) const {
    return faults_.accepting(now_ns, node);
  }

 private:
  enum class Planned : std::uint8_t { pay, decline, abandon };
  // Kept for every order a run ever took, so kept small (80 bytes): the currency by number,
  // the transaction id as its sequence number; view_of() builds what the protocols show.
  struct Order {
    std::string order_id;
    std::int64_t amount_minor = 0;
    std::int64_t refunded_minor = 0;  // succeeded plus in flight
    TimeNs created_at_ns = 0;
    TimeNs paid_at_ns = 0;
    std::uint64_t txn = 0;       // its transaction's sequence number once paid, 0 before
    std::uint32_t currency = 0;  // into currencies_
    PaymentState state = PaymentState::paying;
    Planned planned = Planned::pay;
  };
  struct Refund {
    std::string refund_id;
    std::int64_t amount_minor = 0;
    std::uint32_t order = 0;  // into orders_
    RefundState state = RefundState::processing;
    bool will_succeed = true;
  };
  struct PendingNotification {
    NotificationKind kind = NotificationKind::payment;
    std::size_t index = 0;  // into orders_ or refunds_
    int attempt = 0;        // the attempt awaiting a result (0: none sent yet)
    bool done = false;      // acknowledged, lost or given up
    bool forged_copy = false;
    bool unknown_order_copy = false;
  };

  [[nodiscard]] Answer pay(TimeNs now_ns, const Request& request, const RequestFaults& faults,
                           Effects& effects);
  [[nodiscard]] Answer query(TimeNs now_ns, const Request& request, const RequestFaults& faults);
  [[nodiscard]] Answer refund(TimeNs now_ns, const Request& request, Effects& effects);
  [[nodiscard]] Answer refund_query(const Request& request) const;
  [[nodiscard]] Answer close(TimeNs now_ns, const Request& request);
  [[nodiscard]] Answer process(TimeNs now_ns, const Request& request, const RequestFaults& faults,
                               Effects& effects);
  [[nodiscard]] TimeNs service_time(Operation operation, const RequestFaults& faults);
  [[nodiscard]] PaymentView view_of(const Order& order) const;
  [[nodiscard]] RefundView view_of(const Refund& refund) const;

  void settle_payment(TimeNs now_ns, std::size_t order, Effects& effects);
  void expire(TimeNs now_ns, std::size_t order);
  void complete_refund(TimeNs now_ns, std::size_t refund, Effects& effects);
  static constexpr std::size_t kNoRefund = SIZE_MAX;
  // A ledger mark for orders_[order] (and refunds_[refund]).
  void record(TimeNs now_ns, LedgerEvent event, std::size_t order, std::size_t refund = kNoRefund);

  // Notification engine (notifier.cpp).
  void notify(TimeNs now_ns, NotificationKind kind, std::size_t index, Effects& effects);
  void send_attempt(TimeNs now_ns, std::size_t id, Effects& effects);
  void schedule_retry(TimeNs now_ns, std::size_t id, Effects& effects);
  void replay(std::size_t id, Effects& effects);
  [[nodiscard]] Notification build(std::size_t id) const;
  [[nodiscard]] auto order_key() const {
    return [this](std::uint32_t at) -> const std::string& { return orders_[at].order_id; };
  }
  [[nodiscard]] auto refund_key() const {
    return [this](std::uint32_t at) -> const std::string& { return refunds_[at].refund_id; };
  }
  [[nodiscard]] std::uint32_t find_order(std::string_view id) const {
    return order_index_.find(id, order_key());
  }
  [[nodiscard]] std::uint32_t find_refund(std::string_view id) const {
    return refund_index_.find(id, refund_key());
  }

  ChannelModelConfig config_;
  std::uint64_t master_seed_;
  std::uint64_t generation_ = 0;
  Rng latency_rng_;
  Rng outcome_rng_;
  Rng fault_rng_;
  Rng notify_rng_;
  Rng statement_rng_;
  CapacityModel capacity_;
  FaultTable faults_;
  Ledger ledger_;
  ChannelCounters counters_;
  // Deques, by index: growing never copies every order while a request waits.
  std::deque<Order> orders_;
  FlatIndex order_index_;  // by order id, read from orders_
  std::deque<Refund> refunds_;
  FlatIndex refund_index_;                         // by refund id, read from refunds_
  std::deque<PendingNotification> notifications_;  // id = index + 1
  NameTable currencies_;
  std::string txn_prefix_;  // the first three letters or digits of the name, upper-cased
  std::uint64_t next_txn_ = 1;
};

}  // namespace fusebox::sim
