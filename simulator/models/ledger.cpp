#include "fusebox/simulator/ledger.hpp"

#include <algorithm>
#include <cassert>

namespace fusebox::sim {

std::string_view to_string(LedgerEvent event) {
  switch (event) {
    case LedgerEvent::order_created:
      return "order_created";
    case LedgerEvent::charged:
      return "charged";
    case LedgerEvent::declined:
      return "declined";
    case LedgerEvent::closed:
      return "closed";
    case LedgerEvent::refund_accepted:
      return "refund_accepted";
    case LedgerEvent::refund_succeeded:
      return "refund_succeeded";
    case LedgerEvent::refund_failed:
      return "refund_failed";
  }
  return "unknown";
}

void Ledger::record(LedgerEntry entry) {
  assert((entries_.empty() || entries_.back().at_ns <= entry.at_ns) && "time never runs backwards");
  entries_.push_back(std::move(entry));
}

std::vector<LedgerEntry> Ledger::select(TimeNs from_ns, TimeNs to_ns,
                                        std::string_view order_id) const {
  const auto first = std::lower_bound(entries_.begin(), entries_.end(), from_ns,
                                      [](const LedgerEntry& e, TimeNs t) { return e.at_ns < t; });
  std::vector<LedgerEntry> out;
  for (auto it = first; it != entries_.end() && it->at_ns < to_ns; ++it) {
    if (order_id.empty() || it->order_id == order_id) out.push_back(*it);
  }
  return out;
}

std::size_t Ledger::count(LedgerEvent event) const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(),
                    [event](const LedgerEntry& e) { return e.event == event; }));
}

}  // namespace fusebox::sim
