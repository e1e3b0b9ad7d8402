#pragma once
// The control API's JSON for ledger entries (docs/CHANNELS.md, "Control API"), shared by the
// live control API and the virtual-time runner's in-process one, so both answer alike.

#include <nlohmann/json.hpp>

#include "fusebox/simulator/ledger.hpp"

namespace fusebox::sim {

// {"at_ms", "event", "order_id", "amount", "currency", and "refund_id" / "channel_txn_id"
// when set}; at_ms counts from the simulator's clock origin.
[[nodiscard]] nlohmann::json ledger_entry_json(const LedgerEntry& entry);

}  // namespace fusebox::sim
