#pragma once
// Statement reconciliation, pure: a channel's statement rows against the gateway's view of
// the same channel. Each difference is listed by kind; only what is provably safe is fixed
// (a PROCESSING payment the statement shows charged for the same amount and currency).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

struct StatementRow {
  std::string channel_txn_id;
  std::string order_id;   // our payment_id
  std::string refund_id;  // our refund_id for REFUND rows
  bool is_refund = false;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::int64_t at_ms = 0;
};

// Parses the statement CSV of docs/CHANNELS.md (header line first). Throws
// std::invalid_argument naming the line and field when a row does not parse.
[[nodiscard]] std::vector<StatementRow> parse_statement_csv(std::string_view csv);

enum class DifferenceKind : std::uint8_t {
  fixed_succeeded,       // PROCESSING here, charged there: now SUCCEEDED
  missing_at_gateway,    // charged there, and we have no such payment on this channel
  final_state_conflict,  // charged there, FAILED or CLOSED here: for a human
  missing_at_channel,    // SUCCEEDED here, no charge there
  amount_mismatch,       // both charged, different amount or currency
  duplicate_row,         // the statement lists one charge twice
  refund_missing_at_channel,
  refund_missing_at_gateway,
  refund_fixed_succeeded,
};
[[nodiscard]] std::string_view to_string(DifferenceKind kind);

struct Difference {
  DifferenceKind kind = DifferenceKind::missing_at_gateway;
  std::string id;  // payment_id or refund_id
  std::string detail;
};

struct ReconcileReport {
  std::string channel;
  std::size_t rows = 0;
  std::size_t matched = 0;
  std::vector<Difference> differences;
};

// The payments and refunds the gateway holds for the channel and time range. `fix` is
// called for every safe fix so the caller can apply it to its own state.
struct ReconcileInput {
  std::span<const Payment* const> payments;
  std::span<const Refund* const> refunds;
  std::span<const StatementRow> rows;
};
[[nodiscard]] ReconcileReport reconcile(std::string_view channel, const ReconcileInput& input);

}  // namespace fusebox::gateway
