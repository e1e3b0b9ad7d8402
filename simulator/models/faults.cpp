#include "fusebox/simulator/faults.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace fusebox::sim {

namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 27> kFaultNames{{
    {FaultKind::latency, "latency"},
    {FaultKind::brownout, "brownout"},
    {FaultKind::decline, "decline"},
    {FaultKind::system_error, "system_error"},
    {FaultKind::processing, "processing"},
    {FaultKind::query_not_found, "query_not_found"},
    {FaultKind::http_5xx, "http_5xx"},
    {FaultKind::too_many_requests, "too_many_requests"},
    {FaultKind::black_hole, "black_hole"},
    {FaultKind::reset, "reset"},
    {FaultKind::truncated_body, "truncated_body"},
    {FaultKind::malformed_body, "malformed_body"},
    {FaultKind::bad_signature, "bad_signature"},
    {FaultKind::slow_dribble, "slow_dribble"},
    {FaultKind::late_answer, "late_answer"},
    {FaultKind::answer_lost, "answer_lost"},
    {FaultKind::outage, "outage"},
    {FaultKind::flapping, "flapping"},
    {FaultKind::refuse_connections, "refuse_connections"},
    {FaultKind::notify_lost, "notify_lost"},
    {FaultKind::notify_attempt_lost, "notify_attempt_lost"},
    {FaultKind::notify_delayed, "notify_delayed"},
    {FaultKind::notify_duplicated, "notify_duplicated"},
    {FaultKind::notify_replayed, "notify_replayed"},
    {FaultKind::notify_forged, "notify_forged"},
    {FaultKind::notify_unknown_order, "notify_unknown_order"},
    {FaultKind::statement_discrepancy, "statement_discrepancy"},
}};

bool is_notification_fault(FaultKind kind) {
  return kind >= FaultKind::notify_lost && kind <= FaultKind::notify_unknown_order;
}

TimeNs draw_ms(const Distribution& dist, Rng& rng) {
  return static_cast<TimeNs>(std::llround(std::max(0.0, dist.sample(rng)) * 1e6));
}

// Transport faults that act on the answer after the channel processed the request.
std::optional<Delivery> mangled_delivery(FaultKind kind) {
  switch (kind) {
    case FaultKind::reset:
      return Delivery::reset;
    case FaultKind::truncated_body:
      return Delivery::truncated_body;
    case FaultKind::malformed_body:
      return Delivery::malformed_body;
    case FaultKind::bad_signature:
      return Delivery::bad_signature;
    case FaultKind::slow_dribble:
      return Delivery::slow_dribble;
    case FaultKind::answer_lost:
      return Delivery::black_hole;
    default:
      return std::nullopt;
  }
}

// Faults that stop the request before the channel's core sees it.
std::optional<Delivery> rejecting_delivery(FaultKind kind) {
  switch (kind) {
    case FaultKind::http_5xx:
    case FaultKind::outage:
    case FaultKind::flapping:
      return Delivery::http_5xx;
    case FaultKind::too_many_requests:
      return Delivery::too_many_requests;
    case FaultKind::black_hole:
      return Delivery::black_hole;
    default:
      return std::nullopt;
  }
}

void apply_to_request(const Fault& fault, Operation operation, Rng& rng, RequestFaults& out) {
  const bool is_query = operation == Operation::query || operation == Operation::refund_query;
  if (const auto rejected = rejecting_delivery(fault.kind)) {
    if (out.processed && out.delivery == Delivery::normal) {
      out.processed = false;
      out.delivery = *rejected;
      if (*rejected == Delivery::too_many_requests)
        out.retry_after_ns = draw_ms(fault.delay_ms, rng);
    }
    return;
  }
  if (const auto mangled = mangled_delivery(fault.kind)) {
    if (out.delivery == Delivery::normal) out.delivery = *mangled;
    return;
  }
  switch (fault.kind) {
    case FaultKind::latency:
      out.latency_ms = fault.delay_ms;
      break;
    case FaultKind::brownout:
      out.latency_factor *= fault.factor;
      break;
    case FaultKind::decline:
      out.decline = operation == Operation::pay;
      break;
    case FaultKind::system_error:
      out.system_error = true;
      break;
    case FaultKind::processing:
      out.processing = operation == Operation::pay;
      out.processing_ns = draw_ms(fault.delay_ms, rng);
      break;
    case FaultKind::query_not_found:
      out.query_not_found = is_query;
      out.query_not_found_ns = draw_ms(fault.delay_ms, rng);
      break;
    case FaultKind::late_answer:
      out.extra_delay_ns += draw_ms(fault.delay_ms, rng);
      break;
    default:
      break;
  }
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  for (const auto& [k, name] : kFaultNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (const auto& [k, n] : kFaultNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::uint64_t FaultTable::add(Fault fault) {
  if (faults_.size() >= kMaxFaults) return 0;
  fault.id = next_id_++;
  faults_.push_back(std::move(fault));
  return faults_.back().id;
}

bool FaultTable::remove(std::uint64_t id) {
  return std::erase_if(faults_, [id](const Fault& f) { return f.id == id; }) > 0;
}

Fault* FaultTable::find(std::uint64_t id) {
  const auto it =
      std::find_if(faults_.begin(), faults_.end(), [id](const Fault& f) { return f.id == id; });
  return it == faults_.end() ? nullptr : &*it;
}

bool FaultTable::active(const Fault& fault, TimeNs now_ns) const {
  if (now_ns < fault.start_ns || now_ns >= fault.end_ns) return false;
  if (fault.kind != FaultKind::flapping || fault.period_ns <= 0) return true;
  const TimeNs phase_ns = (now_ns - fault.start_ns) % fault.period_ns;
  return static_cast<double>(phase_ns) < fault.duty * static_cast<double>(fault.period_ns);
}

RequestFaults FaultTable::for_request(TimeNs now_ns, Operation operation, int node,
                                      Rng& rng) const {
  RequestFaults out;
  for (const Fault& fault : faults_) {
    if (is_notification_fault(fault.kind) || fault.kind == FaultKind::refuse_connections ||
        fault.kind == FaultKind::statement_discrepancy) {
      continue;
    }
    if (fault.operation && *fault.operation != operation) continue;
    if (fault.node && *fault.node != node) continue;
    if (!active(fault, now_ns)) continue;
    if (!rng.chance(fault.probability)) continue;  // one draw per matching fault, always
    apply_to_request(fault, operation, rng, out);
  }
  return out;
}

NotificationFaults FaultTable::for_notification(TimeNs now_ns, Rng& rng) const {
  NotificationFaults out;
  for (const Fault& fault : faults_) {
    if (!is_notification_fault(fault.kind) || !active(fault, now_ns)) continue;
    if (!rng.chance(fault.probability)) continue;
    switch (fault.kind) {
      case FaultKind::notify_lost:
        out.lost = true;
        break;
      case FaultKind::notify_attempt_lost:
        out.attempt_lost = true;
        break;
      case FaultKind::notify_delayed:
        out.delay_ns += draw_ms(fault.delay_ms, rng);
        break;
      case FaultKind::notify_duplicated:
        out.duplicated = true;
        break;
      case FaultKind::notify_replayed:
        out.replay_after_ns = draw_ms(fault.delay_ms, rng);
        break;
      case FaultKind::notify_forged:
        out.forged_copy = true;
        break;
      case FaultKind::notify_unknown_order:
        out.unknown_order_copy = true;
        break;
      default:
        break;
    }
  }
  return out;
}

double FaultTable::statement_discrepancy(TimeNs now_ns) const {
  double p = 0;
  for (const Fault& fault : faults_) {
    if (fault.kind == FaultKind::statement_discrepancy && active(fault, now_ns)) {
      p = std::max(p, fault.probability);
    }
  }
  return p;
}

bool FaultTable::accepting(TimeNs now_ns, int node) const {
  return std::none_of(faults_.begin(), faults_.end(), [&](const Fault& fault) {
    return fault.kind == FaultKind::refuse_connections && (!fault.node || *fault.node == node) &&
           active(fault, now_ns);
  });
}

}  // namespace fusebox::sim
