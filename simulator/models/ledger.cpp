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

void Ledger::record(LedgerMark mark) {
  assert((marks_.empty() || marks_.back().at_ns <= mark.at_ns) && "time never runs backwards");
  marks_.push_back(mark);
}

std::pair<std::size_t, std::size_t> Ledger::range(TimeNs from_ns, TimeNs to_ns) const {
  const auto at_or_after = [this](TimeNs t) {
    return static_cast<std::size_t>(
        std::lower_bound(marks_.begin(), marks_.end(), t,
                         [](const LedgerMark& m, TimeNs at) { return m.at_ns < at; }) -
        marks_.begin());
  };
  const std::size_t first = at_or_after(from_ns);
  return {first, std::max(first, at_or_after(to_ns))};
}

std::size_t Ledger::count(LedgerEvent event) const {
  return static_cast<std::size_t>(std::count_if(
      marks_.begin(), marks_.end(), [event](const LedgerMark& m) { return m.event == event; }));
}

}  // namespace fusebox::sim
