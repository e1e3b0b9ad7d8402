#pragma once
// The fault catalogue a channel can play out, and the table of faults active on one channel.
// A fault has a scope (an operation, a front-end node, or all), a time window, a probability
// and its own parameters; faults are added, patched and cleared while the channel runs, or
// loaded as a whole timeline at once (their windows lie in the future).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/distribution.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim {

enum class FaultKind : std::uint8_t {
  // Latency and load.
  latency,   // service time drawn from `delay_ms` instead of the channel's own
  brownout,  // service time multiplied by `factor`
  // Business and system answers.
  decline,          // pay declined (final), with probability p
  system_error,     // retryable error, nothing happened
  processing,       // synchronous families: pay answers "processing", final after `delay_ms`
  query_not_found,  // queries for orders younger than `delay_ms` answer not found
  // Transport: how the answer travels (Delivery).
  http_5xx,
  too_many_requests,  // with Retry-After = `delay_ms`
  black_hole,
  reset,
  truncated_body,
  malformed_body,
  bad_signature,
  slow_dribble,
  late_answer,  // the answer leaves `delay_ms` late (longer than any sane client timeout)
  answer_lost,  // charged but the answer is lost: processed in full, then never answered
  // Outages: requests fail as http_5xx (or the family's system error) with probability p;
  // flapping is an outage that is on for `duty` of every `period_ms`.
  outage,
  flapping,
  refuse_connections,  // the listener is closed (scope: a node, or the whole channel)
  // Notifications.
  notify_lost,           // a notification is never delivered (every attempt lost)
  notify_attempt_lost,   // one attempt vanishes in transit; the channel retries on schedule
  notify_delayed,        // the first attempt leaves `delay_ms` late
  notify_duplicated,     // an attempt is delivered twice
  notify_replayed,       // a delivered notification is sent again `delay_ms` later
  notify_forged,         // a forged copy (wrong signature) is sent alongside
  notify_unknown_order,  // a notification for an order the channel never saw is sent
  // Statements.
  statement_discrepancy,  // each statement row is wrong with probability p (dropped, amount
                          // off by one, listed twice), plus a charge that never happened
};
inline constexpr FaultKind kLastFaultKind = FaultKind::statement_discrepancy;
[[nodiscard]] std::string_view to_string(FaultKind kind);
[[nodiscard]] std::optional<FaultKind> parse_fault_kind(std::string_view name);

struct Fault {
  std::uint64_t id = 0;  // assigned by FaultTable::add
  FaultKind kind = FaultKind::outage;
  std::optional<Operation> operation;  // nullopt: every operation
  std::optional<int> node;             // nullopt: every node
  TimeNs start_ns = 0;
  TimeNs end_ns = INT64_MAX;  // exclusive
  double probability = 1.0;
  Distribution delay_ms = Distribution::fixed(0);
  double factor = 1.0;   // brownout
  TimeNs period_ns = 0;  // flapping
  double duty = 0.5;     // flapping: share of each period the outage is on
};

// What the active faults do to one request.
struct RequestFaults {
  bool processed = true;  // false: rejected or lost before the channel's core saw it
  std::optional<Distribution> latency_ms;  // replaces the channel's own service time
  double latency_factor = 1.0;
  bool decline = false;
  bool system_error = false;
  bool processing = false;
  TimeNs processing_ns = 0;
  bool query_not_found = false;
  TimeNs query_not_found_ns = 0;
  Delivery delivery = Delivery::normal;
  TimeNs retry_after_ns = 0;
  TimeNs extra_delay_ns = 0;  // late_answer
};

// What the active faults do to one notification attempt.
struct NotificationFaults {
  bool lost = false;
  bool attempt_lost = false;
  TimeNs delay_ns = 0;
  bool duplicated = false;
  std::optional<TimeNs> replay_after_ns;
  bool forged_copy = false;
  bool unknown_order_copy = false;
};

class FaultTable {
 public:
  // At most this many faults per channel: a script adding faults in a loop cannot grow the
  // table (and every request's scan of it) without bound.
  static constexpr std::size_t kMaxFaults = 1'024;

  // The new fault's id, or 0 when the table is full (nothing added).
  std::uint64_t add(Fault fault);
  bool remove(std::uint64_t id);
  void clear() { faults_.clear(); }
  [[nodiscard]] const std::vector<Fault>& faults() const { return faults_; }
  [[nodiscard]] Fault* find(std::uint64_t id);

  // Draws every probabilistic choice from `rng`, in table order, so a replay decides alike.
  [[nodiscard]] RequestFaults for_request(TimeNs now_ns, Operation operation, int node,
                                          Rng& rng) const;
  [[nodiscard]] NotificationFaults for_notification(TimeNs now_ns, Rng& rng) const;
  // The probability of a statement row being wrong now (0 without a statement fault).
  [[nodiscard]] double statement_discrepancy(TimeNs now_ns) const;
  // False while a refuse_connections fault covers the node (the live server closes it).
  [[nodiscard]] bool accepting(TimeNs now_ns, int node) const;

 private:
  [[nodiscard]] bool active(const Fault& fault, TimeNs now_ns) const;
  std::vector<Fault> faults_;
  std::uint64_t next_id_ = 1;
};

}  // namespace fusebox::sim
