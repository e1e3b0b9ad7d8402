#pragma once
// Where the gateway keeps its orders. The core holds the live state in memory and hands
// every change to a Store as it happens; the Store makes it durable in batches so it is
// never the bottleneck, and on restart gives everything back so every PROCESSING order goes
// back into the poller. Two implementations: in memory (tests, sim mode) and SQLite in WAL
// mode (the live default; a file shared by the payments and refunds roles).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

// One call to a channel, as the gateway saw it.
struct Attempt {
  std::string payment_id;
  std::string refund_id;  // "" unless a refund operation
  std::string channel;
  ChannelOp op = ChannelOp::pay;
  TimeNs started_ns = 0;
  TimeNs finished_ns = 0;
  std::string outcome;  // e.g. "answered", "timeout", "refused", "breaker_open"
};

// One notification as it arrived, whether or not it changed anything.
struct NotificationRecord {
  std::string channel;
  std::string notify_id;
  std::string order_id;
  TimeNs received_ns = 0;
  std::string verdict;  // "applied", "duplicate", "forged", "mismatch", "unknown_order", ...
};

// One state change of a payment or a refund.
struct Transition {
  std::string id;  // payment_id or refund_id
  bool is_refund = false;
  std::string from;  // wire names of the states; "" for creation
  std::string to;
  TimeNs at_ns = 0;
  std::string cause;  // e.g. "pay_answer", "notification", "poll", "reconciliation", "admin"
};

struct StoreStats {
  std::uint64_t queued = 0;    // writes accepted and not yet durable
  std::uint64_t written = 0;   // writes made durable
  std::uint64_t batches = 0;   // transactions committed
  std::uint64_t failures = 0;  // batches that failed (the error is logged by the caller)
};

class Store {
 public:
  virtual ~Store() = default;
  // Queue a write; cheap and non-blocking while the queue has room. An upsert by id for
  // payments and refunds; an append for the rest.
  virtual void save(const Payment& payment) = 0;
  virtual void save(const Refund& refund) = 0;
  virtual void append(const Attempt& attempt) = 0;
  virtual void append(const NotificationRecord& notification) = 0;
  virtual void append(const Transition& transition) = 0;
  // Blocks until every write queued before the call is durable. Throws StoreError.
  virtual void flush() = 0;
  // Everything stored, in creation order: for recovery on start.
  [[nodiscard]] virtual std::vector<Payment> load_payments() = 0;
  [[nodiscard]] virtual std::vector<Refund> load_refunds() = 0;
  [[nodiscard]] virtual std::vector<Transition> load_transitions(const std::string& id) = 0;
  [[nodiscard]] virtual StoreStats stats() const = 0;
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[nodiscard]] std::unique_ptr<Store> make_memory_store();

struct SqliteOptions {
  std::filesystem::path path;       // ":memory:" for an in-memory database
  std::size_t max_batch = 4096;     // writes per transaction at most
  TimeNs max_delay_ns = 5'000'000;  // a queued write is committed within this
  std::size_t max_queue = 1 << 20;  // past this, save/append block until the writer catches up
};
// Opens (creating if needed) and migrates the schema. Throws StoreError naming the path.
[[nodiscard]] std::unique_ptr<Store> make_sqlite_store(const SqliteOptions& options);

}  // namespace fusebox::gateway
