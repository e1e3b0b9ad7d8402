#pragma once
// The ground truth: what really happened at a channel, in the order it happened. The
// checker compares the gateway's books with this; nothing in it is ever changed or removed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

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

// One entry as the ledger is read (the control API, statements, the checker).
struct LedgerEntry {
  TimeNs at_ns = 0;
  LedgerEvent event = LedgerEvent::order_created;
  std::string order_id;
  std::string refund_id;  // refund events only
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string channel_txn_id;  // charged only
};

// One entry as the ledger keeps it: when, what, and the positions of the order (and the
// refund) in the channel's tables. Their ids, amounts, currency and transaction id never
// change once set, so ChannelModel reads them from there when the ledger is read: 24 bytes
// an event instead of four strings.
struct LedgerMark {
  static constexpr std::uint32_t kNoRefund = UINT32_MAX;
  TimeNs at_ns = 0;
  std::uint32_t order = 0;
  std::uint32_t refund = kNoRefund;
  LedgerEvent event = LedgerEvent::order_created;
};

class Ledger {
 public:
  void record(LedgerMark mark);
  [[nodiscard]] const std::deque<LedgerMark>& marks() const { return marks_; }
  [[nodiscard]] std::size_t size() const { return marks_.size(); }
  [[nodiscard]] bool empty() const { return marks_.empty(); }
  // The positions of the marks with at_ns in [from_ns, to_ns): [first, last).
  [[nodiscard]] std::pair<std::size_t, std::size_t> range(TimeNs from_ns, TimeNs to_ns) const;
  [[nodiscard]] std::size_t count(LedgerEvent event) const;

 private:
  // Ordered by at_ns, then by recording order. A deque: appending never copies the whole
  // ledger (a vector's growth did, while a request waited).
  std::deque<LedgerMark> marks_;
};

}  // namespace fusebox::sim
