#pragma once
// The ground truth: what really happened at a channel, in the order it happened. The
// checker compares the gateway's books with this; nothing in it is ever changed or removed.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/clock.hpp"

namespace fusebox::sim {

enum class LedgerEvent : std::uint8_t {
  order_created,     // a pay request created the order
  charged,           // money moved: the payment succeeded
  declined,          // the payment failed for a business reason
  closed,            // closed unpaid
  refund_accepted,   // a refund request was accepted
  refund_succeeded,  // refunded money moved back
  refund_failed,
};
[[nodiscard]] std::string_view to_string(LedgerEvent event);

struct LedgerEntry {
  TimeNs at_ns = 0;
  LedgerEvent event = LedgerEvent::order_created;
  std::string order_id;
  std::string refund_id;  // refund events only
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string channel_txn_id;  // charged only
};

class Ledger {
 public:
  void record(LedgerEntry entry);
  [[nodiscard]] const std::deque<LedgerEntry>& entries() const { return entries_; }
  // Entries with at_ns in [from_ns, to_ns), optionally for one order only.
  [[nodiscard]] std::vector<LedgerEntry> select(TimeNs from_ns, TimeNs to_ns,
                                                std::string_view order_id = {}) const;
  [[nodiscard]] std::size_t count(LedgerEvent event) const;

 private:
  // Ordered by at_ns, then by recording order. A deque: appending never copies the whole
  // ledger (a vector's growth did, while a request waited).
  std::deque<LedgerEntry> entries_;
};

}  // namespace fusebox::sim
