#pragma once
// Where the gateway keeps its orders. The core holds the live state in memory and hands
// every change to a Store as it happens; the Store makes it durable in batches so it is
// never the bottleneck, and on restart gives everything back so every PROCESSING order goes
// back into the poller. Two implementations: in memory (tests, sim mode) and SQLite in WAL
// mode (the live default; a file shared by the payments and refunds roles).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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
  std::uint64_t accepted = 0;  // writes taken by save/append in all; the first n settled
                               // (written, refused or lost) once accepted - queued >= n
  std::uint64_t queued = 0;    // writes accepted and not yet durable
  std::uint64_t written = 0;   // writes made durable
  std::uint64_t batches = 0;   // transactions committed (always 0 in memory)
  std::uint64_t failures = 0;  // batches that failed, every write in them lost
  std::uint64_t rejected = 0;  // single writes the schema refused (a merchant id already
                               // taken by another row); the rest of their batch is kept
};

// Writes are accepted in order and made durable in that order. A failed batch or a refused
// write is not retried: it is counted in stats() and reported by the next flush(); the next
// save of the same payment or refund writes its whole row again, so rows heal, appends don't.
class Store {
 public:
  virtual ~Store() = default;
  // Queue a write; cheap and non-blocking while the queue has room, blocking (never
  // dropping) once it is full. An upsert by id for payments and refunds; an append for the
  // rest.
  virtual void save(const Payment& payment) = 0;
  virtual void save(const Refund& refund) = 0;
  virtual void append(const Attempt& attempt) = 0;
  virtual void append(const NotificationRecord& notification) = 0;
  virtual void append(const Transition& transition) = 0;
  // Blocks until every write queued before the call is durable. Throws StoreError with the
  // first failure since the previous flush (then forgets it, so one failure throws once).
  virtual void flush() = 0;
  // Everything stored, including this store's writes still queued at the call: for recovery
  // on start. Payments and refunds in creation order (created_ns, then first insertion);
  // transitions of one id in the order they were appended. Throws StoreError on a row it
  // cannot read (e.g. an unknown status), naming the table, the row id and the value.
  [[nodiscard]] std::vector<Payment> load_payments() {
    std::vector<Payment> rows;
    visit_payments([&rows](const Payment& row) { rows.push_back(row); });
    return rows;
  }
  [[nodiscard]] std::vector<Refund> load_refunds() {
    std::vector<Refund> rows;
    visit_refunds([&rows](const Refund& row) { rows.push_back(row); });
    return rows;
  }
  // The same rows, one at a time, without a vector of them all: a caller that converts every
  // row (the final books of a run) holds one copy, not two.
  virtual void visit_payments(const std::function<void(const Payment&)>& visit) = 0;
  virtual void visit_refunds(const std::function<void(const Refund&)>& visit) = 0;
  [[nodiscard]] virtual std::vector<Transition> load_transitions(const std::string& id) = 0;
  // One payment as committed by any process sharing the store, without waiting for this
  // store's own queued writes: how one role sees what the other has done. Within the
  // writer's commit delay (SqliteOptions::max_delay_ns) a change may not be visible yet.
  [[nodiscard]] virtual std::optional<Payment> find_payment(const std::string& payment_id) = 0;
  // The same point reads by the other keys, with the same visibility: how the core reads
  // back an order it no longer keeps in memory (core_state.hpp, "What the core keeps").
  [[nodiscard]] virtual std::optional<Payment> find_payment_by_merchant_id(
      const std::string& merchant_order_id) = 0;
  [[nodiscard]] virtual std::optional<Refund> find_refund(const std::string& refund_id) = 0;
  [[nodiscard]] virtual std::optional<Refund> find_refund_by_merchant_id(
      const std::string& merchant_refund_id) = 0;
  [[nodiscard]] virtual StoreStats stats() const = 0;
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Synchronous and mutex-guarded; the same rules as SQLite (merchant ids unique, errors
// reported by flush), so tests written against one hold for the other.
struct MemoryStoreOptions {
  // Keep the history (attempts, notifications received, transitions) as well as the rows.
  // Sim mode does not: nothing of a virtual run reads it, and over a long run it is a
  // quarter of the memory. Appends are then counted as written and not kept, and
  // load_transitions throws StoreError saying so.
  bool keep_history = true;
};
[[nodiscard]] std::unique_ptr<Store> make_memory_store(MemoryStoreOptions options = {});

// The store's side of the process Role, when the payments and refunds services run as two
// processes on one file. Both processes write payment rows (the refunds process keeps the
// refund sums on them), so each owns a part of the row and an update never overwrites the
// other's part. A new row is always inserted whole.
//   all:      one process; every save overwrites the whole row.
//   payments: a payment update writes every column except refunded_minor and refunding_minor.
//   refunds:  a payment update writes only refunded_minor and refunding_minor.
// Refund rows belong to whoever saves them (only the refunds process does) and are written
// whole; attempts, notifications and transitions are appended and never conflict.

// The schema this build writes (PRAGMA user_version). An older file is migrated on open; a
// newer one is refused rather than misread.
inline constexpr int kSqliteSchemaVersion = 2;

struct SqliteOptions {
  std::filesystem::path path;       // ":memory:" for an in-memory database
  Role role = Role::all;            // which part of a payment row this process owns
  std::size_t max_batch = 4096;     // writes per transaction at most
  TimeNs max_delay_ns = 5'000'000;  // a queued write is committed within this
  // Past this many writes queued, save/append block until the writer catches up. A queued
  // payment is ~300 bytes, so the default bounds the queue near 20 MiB: seconds of traffic.
  std::size_t max_queue = std::size_t{1} << 16;
  // How long a write waits for the other process's transaction before failing its batch.
  int busy_timeout_ms = 5000;
};
// Opens (creating if needed) and migrates the schema. Throws StoreError naming the path.
[[nodiscard]] std::unique_ptr<Store> make_sqlite_store(const SqliteOptions& options);

}  // namespace fusebox::gateway
