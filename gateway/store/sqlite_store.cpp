// The SQLite store: one file in WAL mode, written by one thread in batched transactions so
// the event loop only ever copies a row into a bounded queue. Readers (a restart, the other
// role's process) see each batch whole or not at all.

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <sqlite3.h>

#include "fusebox/gateway/store.hpp"

namespace fusebox::gateway {
namespace {

constexpr std::string_view kMemoryPath = ":memory:";

// SQLITE_STATIC without the header's C-style cast: every bound string outlives its step.
constexpr sqlite3_destructor_type kTextOutlivesStep = nullptr;

// Carries SQLite's result code so the writer can tell a refused row from a broken batch.
class SqliteFailure : public StoreError {
 public:
  SqliteFailure(const std::string& message, int code) : StoreError(message), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

struct CloseConnection {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

// One open database. Every message names the file, so a log line says which store broke.
class Connection {
 public:
  Connection(const std::filesystem::path& path, int busy_timeout_ms) : path_(path.string()) {
    sqlite3* raw = nullptr;
    // NOMUTEX: the store serialises every use of the connection with its own mutex.
    const int code =
        sqlite3_open_v2(path_.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    handle_.reset(raw);  // SQLite hands back a handle even on failure; it must be closed
    if (code != SQLITE_OK) throw failure("cannot open", code);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
  }

  [[nodiscard]] sqlite3* get() const { return handle_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }

  // Call right after the failing call: SQLite keeps one message per connection, and the next
  // call on it replaces that message.
  [[nodiscard]] SqliteFailure failure(std::string_view what, int code) const {
    const char* reason = handle_ ? sqlite3_errmsg(handle_.get()) : sqlite3_errstr(code);
    return {"store " + path_ + ": " + std::string(what) + ": " + reason, code};
  }

  void exec(const std::string& sql, std::string_view what) const {
    const int code = sqlite3_exec(handle_.get(), sql.c_str(), nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) throw failure(what, code);
  }

 private:
  std::string path_;
  std::unique_ptr<sqlite3, CloseConnection> handle_;
};

// A prepared statement, reused across calls: bind, step, and it resets itself.
class Statement {
 public:
  Statement(const Connection& db, const std::string& sql, std::string what)
      : db_(&db), what_(std::move(what)) {
    sqlite3_stmt* raw = nullptr;
    const int code = sqlite3_prepare_v3(db.get(), sql.c_str(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement_.reset(raw);
    if (code != SQLITE_OK) throw db.failure("cannot prepare to " + what_, code);
  }

  void bind(int index, std::string_view text) {
    // A null pointer would bind SQL NULL, which the NOT NULL columns refuse.
    const char* data = text.data() == nullptr ? "" : text.data();
    check_bind(sqlite3_bind_text64(statement_.get(), index, data, text.size(), kTextOutlivesStep,
                                   SQLITE_UTF8));
  }
  void bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(statement_.get(), index, value));
  }

  // Steps once: true with a row to read, false when done (and then reset for reuse).
  [[nodiscard]] bool next_row() {
    const int code = sqlite3_step(statement_.get());
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) {
      sqlite3_reset(statement_.get());
      return false;
    }
    SqliteFailure failure = db_->failure("cannot " + what_, code);
    sqlite3_reset(statement_.get());
    throw failure;
  }

  // Ready to run again before the rows are all read.
  void reset() { sqlite3_reset(statement_.get()); }

  // For statements that return no rows.
  void run() {
    [[maybe_unused]] const bool row = next_row();
    assert(!row);
  }

  [[nodiscard]] std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(statement_.get(), column);
    if (value == nullptr) return {};
    const int size = sqlite3_column_bytes(statement_.get(), column);
    return {reinterpret_cast<const char*>(value), static_cast<std::size_t>(size)};
  }
  [[nodiscard]] std::int64_t integer(int column) const {
    return sqlite3_column_int64(statement_.get(), column);
  }

 private:
  void check_bind(int code) const {
    if (code != SQLITE_OK) throw db_->failure("cannot bind a value to " + what_, code);
  }

  const Connection* db_;
  std::string what_;
  std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement_;
};

// kMigrations[v] takes a file from user_version v to v + 1; a new version appends a step.
constexpr std::array<std::string_view, kSqliteSchemaVersion> kMigrations{
    R"sql(
CREATE TABLE payments (
  payment_id        TEXT PRIMARY KEY NOT NULL,
  merchant_order_id TEXT NOT NULL UNIQUE,
  amount_minor      INTEGER NOT NULL,
  currency          TEXT NOT NULL,
  method            TEXT NOT NULL,
  channel           TEXT NOT NULL,
  status            TEXT NOT NULL,
  channel_txn_id    TEXT NOT NULL,
  failure_code      TEXT NOT NULL,
  created_ns        INTEGER NOT NULL,
  updated_ns        INTEGER NOT NULL,
  refunded_minor    INTEGER NOT NULL,
  refunding_minor   INTEGER NOT NULL);
CREATE TABLE refunds (
  refund_id          TEXT PRIMARY KEY NOT NULL,
  merchant_refund_id TEXT NOT NULL UNIQUE,
  payment_id         TEXT NOT NULL,
  amount_minor       INTEGER NOT NULL,
  status             TEXT NOT NULL,
  failure_code       TEXT NOT NULL,
  created_ns         INTEGER NOT NULL,
  updated_ns         INTEGER NOT NULL);
CREATE TABLE attempts (
  seq         INTEGER PRIMARY KEY,
  payment_id  TEXT NOT NULL,
  refund_id   TEXT NOT NULL,
  channel     TEXT NOT NULL,
  op          TEXT NOT NULL,
  started_ns  INTEGER NOT NULL,
  finished_ns INTEGER NOT NULL,
  outcome     TEXT NOT NULL);
CREATE TABLE notifications (
  seq         INTEGER PRIMARY KEY,
  channel     TEXT NOT NULL,
  notify_id   TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  received_ns INTEGER NOT NULL,
  verdict     TEXT NOT NULL);
CREATE TABLE transitions (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL,
  is_refund   INTEGER NOT NULL,
  from_status TEXT NOT NULL,
  to_status   TEXT NOT NULL,
  at_ns       INTEGER NOT NULL,
  cause       TEXT NOT NULL);
CREATE INDEX transitions_by_id ON transitions (id);
)sql",
    // 2: the channel the merchant named, for the idempotency check after a restart.
    R"sql(
ALTER TABLE payments ADD COLUMN requested_channel TEXT NOT NULL DEFAULT '';
)sql"};

// Column order is the bind order (?1, ?2, ...) and the read order of every statement below.
constexpr std::array<std::string_view, 14> kPaymentColumns{
    "payment_id",      "merchant_order_id", "amount_minor", "currency",
    "method",          "channel",           "status",       "channel_txn_id",
    "failure_code",    "created_ns",        "updated_ns",   "refunded_minor",
    "refunding_minor", "requested_channel"};
constexpr std::array<std::string_view, 8> kRefundColumns{
    "refund_id", "merchant_refund_id", "payment_id", "amount_minor",
    "status",    "failure_code",       "created_ns", "updated_ns"};

template <std::size_t N>
std::string column_list(const std::array<std::string_view, N>& columns) {
  std::string list;
  for (const std::string_view column : columns) {
    if (!list.empty()) list += ", ";
    list += column;
  }
  return list;
}

template <std::size_t N>
std::string placeholders() {
  std::string list;
  for (std::size_t i = 1; i <= N; ++i)
    list += (i == 1 ? "?" : ", ?") + std::to_string(i);
  return list;
}

// Which payment columns an update may overwrite: the sharing rule of SqliteOptions::role
// (store.hpp).
bool role_writes(Role role, std::string_view column) {
  if (column == "payment_id") return false;
  const bool refund_sum = column == "refunded_minor" || column == "refunding_minor";
  switch (role) {
    case Role::all:
      return true;
    case Role::payments:
      return !refund_sum;
    case Role::refunds:
      return refund_sum;
  }
  return true;
}

std::string payment_upsert_sql(Role role) {
  std::string updates;
  for (const std::string_view column : kPaymentColumns) {
    if (!role_writes(role, column)) continue;
    if (!updates.empty()) updates += ", ";
    updates += std::string(column) + " = excluded." + std::string(column);
  }
  // ON CONFLICT ... DO UPDATE, not INSERT OR REPLACE: REPLACE deletes the row and inserts a
  // new one, which would lose its rowid and so its place in creation order.
  return "INSERT INTO payments (" + column_list(kPaymentColumns) + ") VALUES (" +
         placeholders<kPaymentColumns.size()>() + ") ON CONFLICT (payment_id) DO UPDATE SET " +
         updates;
}

std::string refund_upsert_sql() {
  std::string updates;
  for (const std::string_view column : kRefundColumns) {
    if (column == "refund_id") continue;
    if (!updates.empty()) updates += ", ";
    updates += std::string(column) + " = excluded." + std::string(column);
  }
  return "INSERT INTO refunds (" + column_list(kRefundColumns) + ") VALUES (" +
         placeholders<kRefundColumns.size()>() + ") ON CONFLICT (refund_id) DO UPDATE SET " +
         updates;
}

// A PRAGMA's one value, read and the statement finished: an unfinished statement would stop
// the enclosing transaction from committing.
[[nodiscard]] std::string pragma_value(const Connection& db, const std::string& sql,
                                       std::string_view what) {
  Statement pragma(db, sql, std::string(what));
  std::string value = pragma.next_row() ? pragma.text(0) : std::string();
  while (pragma.next_row()) {
  }
  return value;
}

// Inside one IMMEDIATE transaction: two processes opening a new file at once must not both
// create the tables; the second waits for the lock and then finds the work done.
void migrate(const Connection& db) {
  db.exec("BEGIN IMMEDIATE", "begin the schema migration");
  try {
    const std::string recorded = pragma_value(db, "PRAGMA user_version", "read the schema version");
    const int version = recorded.empty() ? 0 : std::stoi(recorded);
    if (version > kSqliteSchemaVersion) {
      throw StoreError("store " + db.path() + ": schema version " + std::to_string(version) +
                       " is newer than version " + std::to_string(kSqliteSchemaVersion) +
                       ", the newest this build knows; refusing to open it");
    }
    for (int step = std::max(version, 0); step < kSqliteSchemaVersion; ++step) {
      db.exec(std::string(kMigrations.at(static_cast<std::size_t>(step))),
              "migrate the schema to version " + std::to_string(step + 1));
    }
    db.exec("PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion),
            "record the schema version");
    db.exec("COMMIT", "commit the schema migration");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void configure(const Connection& db) {
  const std::string mode = pragma_value(db, "PRAGMA journal_mode = WAL", "switch to WAL mode");
  // Two processes share the file only safely and without blocking readers in WAL mode; a
  // filesystem that cannot do it (no shared memory) is an error, not a silent fallback.
  if (db.path() != kMemoryPath && mode != "wal") {
    throw StoreError("store " + db.path() + ": cannot switch to WAL mode (journal mode is '" +
                     mode + "')");
  }
  // NORMAL in WAL mode: a commit survives a process crash; only power loss can undo the
  // last few, and not syncing each batch is what lets the store keep up.
  db.exec("PRAGMA synchronous = NORMAL", "set synchronous = NORMAL");
  // Foreign keys stay off: the two roles commit independently, and the core already checks
  // that a refund names a known payment before it exists to be stored.
  db.exec("PRAGMA foreign_keys = OFF", "set foreign_keys = OFF");
  migrate(db);
}

// Lets the store configure its connection before preparing statements on it, in its
// member initialisers.
const Connection& configured(const Connection& db) {
  configure(db);
  return db;
}

template <class Enum>
Enum parse_or_throw(std::optional<Enum> parsed, const Connection& db, std::string_view table,
                    const std::string& id, std::string_view column, const std::string& value) {
  if (parsed) return *parsed;
  throw StoreError("store " + db.path() + ": " + std::string(table) + " row '" + id +
                   "' has an unknown " + std::string(column) + " '" + value + "'");
}

// The row `query` stands on, its columns in kPaymentColumns order.
Payment payment_from_row(const Statement& query, const Connection& db) {
  Payment payment;
  payment.payment_id = query.text(0);
  payment.merchant_order_id = query.text(1);
  payment.amount_minor = query.integer(2);
  payment.currency = query.text(3);
  const std::string method = query.text(4);
  payment.method =
      parse_or_throw(parse_method(method), db, "payments", payment.payment_id, "method", method);
  payment.channel = query.text(5);
  const std::string status = query.text(6);
  payment.status = parse_or_throw(parse_payment_status(status), db, "payments", payment.payment_id,
                                  "status", status);
  payment.channel_txn_id = query.text(7);
  payment.failure_code = query.text(8);
  payment.created_ns = query.integer(9);
  payment.updated_ns = query.integer(10);
  payment.refunded_minor = query.integer(11);
  payment.refunding_minor = query.integer(12);
  payment.requested_channel = query.text(13);
  return payment;
}

void read_payments(const Connection& db, const std::function<void(const Payment&)>& visit) {
  Statement query(
      db, "SELECT " + column_list(kPaymentColumns) + " FROM payments ORDER BY created_ns, rowid",
      "load payments");
  while (query.next_row())
    visit(payment_from_row(query, db));
}

// The row `query` stands on, its columns in kRefundColumns order.
Refund refund_from_row(const Statement& query, const Connection& db) {
  Refund refund;
  refund.refund_id = query.text(0);
  refund.merchant_refund_id = query.text(1);
  refund.payment_id = query.text(2);
  refund.amount_minor = query.integer(3);
  const std::string status = query.text(4);
  refund.status = parse_or_throw(parse_refund_status(status), db, "refunds", refund.refund_id,
                                 "status", status);
  refund.failure_code = query.text(5);
  refund.created_ns = query.integer(6);
  refund.updated_ns = query.integer(7);
  return refund;
}

void read_refunds(const Connection& db, const std::function<void(const Refund&)>& visit) {
  Statement query(
      db, "SELECT " + column_list(kRefundColumns) + " FROM refunds ORDER BY created_ns, rowid",
      "load refunds");
  while (query.next_row())
    visit(refund_from_row(query, db));
}

std::vector<Transition> read_transitions(const Connection& db, const std::string& id) {
  Statement query(db,
                  "SELECT id, is_refund, from_status, to_status, at_ns, cause FROM transitions "
                  "WHERE id = ?1 ORDER BY seq",
                  "load transitions");
  query.bind(1, id);
  std::vector<Transition> transitions;
  while (query.next_row()) {
    Transition& transition = transitions.emplace_back();
    transition.id = query.text(0);
    transition.is_refund = query.integer(1) != 0;
    transition.from = query.text(2);
    transition.to = query.text(3);
    transition.at_ns = query.integer(4);
    transition.cause = query.text(5);
  }
  return transitions;
}

// The writer thread's statements, prepared once and reused for every batch.
class WriteStatements {
 public:
  WriteStatements(const Connection& db, Role role)
      // IMMEDIATE takes the write lock up front, where busy_timeout applies; a deferred
      // transaction upgrading later can fail at once with "database is locked".
      : begin_(db, "BEGIN IMMEDIATE", "begin a batch"),
        commit_(db, "COMMIT", "commit a batch"),
        payment_(db, payment_upsert_sql(role), "save a payment"),
        refund_(db, refund_upsert_sql(), "save a refund"),
        attempt_(db,
                 "INSERT INTO attempts (payment_id, refund_id, channel, op, started_ns, "
                 "finished_ns, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                 "append an attempt"),
        notification_(db,
                      "INSERT INTO notifications (channel, notify_id, order_id, received_ns, "
                      "verdict) VALUES (?1, ?2, ?3, ?4, ?5)",
                      "append a notification"),
        transition_(db,
                    "INSERT INTO transitions (id, is_refund, from_status, to_status, at_ns, "
                    "cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    "append a transition") {}

  void begin() { begin_.run(); }
  void commit() { commit_.run(); }

  void write(const Payment& payment) {
    payment_.bind(1, payment.payment_id);
    payment_.bind(2, payment.merchant_order_id);
    payment_.bind(3, payment.amount_minor);
    payment_.bind(4, payment.currency);
    payment_.bind(5, to_string(payment.method));
    payment_.bind(6, payment.channel);
    payment_.bind(7, to_string(payment.status));
    payment_.bind(8, payment.channel_txn_id);
    payment_.bind(9, payment.failure_code);
    payment_.bind(10, payment.created_ns);
    payment_.bind(11, payment.updated_ns);
    payment_.bind(12, payment.refunded_minor);
    payment_.bind(13, payment.refunding_minor);
    payment_.bind(14, payment.requested_channel);
    payment_.run();
  }

  void write(const Refund& refund) {
    refund_.bind(1, refund.refund_id);
    refund_.bind(2, refund.merchant_refund_id);
    refund_.bind(3, refund.payment_id);
    refund_.bind(4, refund.amount_minor);
    refund_.bind(5, to_string(refund.status));
    refund_.bind(6, refund.failure_code);
    refund_.bind(7, refund.created_ns);
    refund_.bind(8, refund.updated_ns);
    refund_.run();
  }

  void write(const Attempt& attempt) {
    attempt_.bind(1, attempt.payment_id);
    attempt_.bind(2, attempt.refund_id);
    attempt_.bind(3, attempt.channel);
    attempt_.bind(4, to_string(attempt.op));
    attempt_.bind(5, attempt.started_ns);
    attempt_.bind(6, attempt.finished_ns);
    attempt_.bind(7, attempt.outcome);
    attempt_.run();
  }

  void write(const NotificationRecord& notification) {
    notification_.bind(1, notification.channel);
    notification_.bind(2, notification.notify_id);
    notification_.bind(3, notification.order_id);
    notification_.bind(4, notification.received_ns);
    notification_.bind(5, notification.verdict);
    notification_.run();
  }

  void write(const Transition& transition) {
    transition_.bind(1, transition.id);
    transition_.bind(2, std::int64_t{transition.is_refund ? 1 : 0});
    transition_.bind(3, transition.from);
    transition_.bind(4, transition.to);
    transition_.bind(5, transition.at_ns);
    transition_.bind(6, transition.cause);
    transition_.run();
  }

 private:
  Statement begin_;
  Statement commit_;
  Statement payment_;
  Statement refund_;
  Statement attempt_;
  Statement notification_;
  Statement transition_;
};

using Write = std::variant<Payment, Refund, Attempt, NotificationRecord, Transition>;
using SteadyClock = std::chrono::steady_clock;

struct BatchOutcome {
  bool committed = false;
  std::uint64_t rejected = 0;
  std::optional<std::string> error;  // the batch's failure, or its first refused write
};

// Names the row in a refusal's message: SQLite's own names only the column.
std::string label_of(const Write& write) {
  struct Label {
    std::string operator()(const Payment& row) const { return "payment '" + row.payment_id + "'"; }
    std::string operator()(const Refund& row) const { return "refund '" + row.refund_id + "'"; }
    std::string operator()(const Attempt& row) const {
      return "attempt for '" + row.payment_id + "'";
    }
    std::string operator()(const NotificationRecord& row) const {
      return "notification '" + row.notify_id + "'";
    }
    std::string operator()(const Transition& row) const { return "transition of '" + row.id + "'"; }
  };
  return std::visit(Label{}, write);
}

// A failure of one statement that leaves the transaction open: SQLite undoes that statement
// alone, so the rest of the batch can still commit.
bool refuses_row_only(const SqliteFailure& failure, sqlite3* db) {
  const int primary = failure.code() & 0xff;
  const bool row_error =
      primary == SQLITE_CONSTRAINT || primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH;
  return row_error && sqlite3_get_autocommit(db) == 0;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& options)
      : db_(options.path, options.busy_timeout_ms),
        statements_(configured(db_), options.role),
        max_batch_(options.max_batch),
        max_queue_(options.max_queue),
        batch_trigger_(std::min(options.max_batch, options.max_queue)),
        max_delay_(options.max_delay_ns),
        writer_([this] { run_writer(); }) {
    // A file gets a second connection for the point reads: in WAL mode a reader sees the last
    // commit without waiting for the writer's batch, so a read-back on the gateway's event
    // loop never stalls behind one. ":memory:" is one database per connection: it reads on
    // the writer's connection, between batches.
    if (options.path != kMemoryPath) reader_.emplace(options.path, options.busy_timeout_ms);
  }

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Drains the queue (errors only counted: a destructor cannot report them) and joins.
  ~SqliteStore() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    writer_wake_.notify_one();
    writer_.join();
  }

  void save(const Payment& payment) override { enqueue(Write{payment}); }
  void save(const Refund& refund) override { enqueue(Write{refund}); }
  void append(const Attempt& attempt) override { enqueue(Write{attempt}); }
  void append(const NotificationRecord& notification) override { enqueue(Write{notification}); }
  void append(const Transition& transition) override { enqueue(Write{transition}); }

  void flush() override {
    std::unique_lock lock(mutex_);
    wait_for_queued(lock);
    if (!first_error_) return;
    const std::string message = std::move(*first_error_);
    first_error_.reset();
    throw StoreError(message);
  }

  void visit_payments(const std::function<void(const Payment&)>& visit) override {
    wait_for_queued();
    std::lock_guard lock(db_mutex_);
    read_payments(db_, visit);
  }

  void visit_refunds(const std::function<void(const Refund&)>& visit) override {
    wait_for_queued();
    std::lock_guard lock(db_mutex_);
    read_refunds(db_, visit);
  }

  [[nodiscard]] std::vector<Transition> load_transitions(const std::string& id) override {
    wait_for_queued();
    std::lock_guard lock(db_mutex_);
    return read_transitions(db_, id);
  }

  [[nodiscard]] std::optional<Payment> find_payment(const std::string& payment_id) override {
    return find_one(finds_.payment_by_id, "payments", kPaymentColumns, "payment_id", payment_id,
                    payment_from_row);
  }

  [[nodiscard]] std::optional<Payment> find_payment_by_merchant_id(
      const std::string& merchant_order_id) override {
    return find_one(finds_.payment_by_merchant_id, "payments", kPaymentColumns, "merchant_order_id",
                    merchant_order_id, payment_from_row);
  }

  [[nodiscard]] std::optional<Refund> find_refund(const std::string& refund_id) override {
    return find_one(finds_.refund_by_id, "refunds", kRefundColumns, "refund_id", refund_id,
                    refund_from_row);
  }

  [[nodiscard]] std::optional<Refund> find_refund_by_merchant_id(
      const std::string& merchant_refund_id) override {
    return find_one(finds_.refund_by_merchant_id, "refunds", kRefundColumns, "merchant_refund_id",
                    merchant_refund_id, refund_from_row);
  }

  [[nodiscard]] StoreStats stats() const override {
    std::lock_guard lock(mutex_);
    StoreStats stats = stats_;
    stats.accepted = enqueued_;
    stats.queued = enqueued_ - done_;
    return stats;
  }

 private:
  // A point read on a unique key; each statement is prepared once, on first use.
  template <class Row, std::size_t N>
  std::optional<Row> find_one(std::optional<Statement>& statement, std::string_view table,
                              const std::array<std::string_view, N>& columns, std::string_view key,
                              const std::string& value,
                              Row (*from_row)(const Statement&, const Connection&)) {
    const Connection& db = reader_ ? *reader_ : db_;
    std::lock_guard lock(reader_ ? reader_mutex_ : db_mutex_);
    if (!statement) {
      statement.emplace(db,
                        "SELECT " + column_list(columns) + " FROM " + std::string(table) +
                            " WHERE " + std::string(key) + " = ?1",
                        "find a row of " + std::string(table) + " by " + std::string(key));
    }
    // Reset first as well: a row that failed to parse last time left the statement open.
    statement->reset();
    statement->bind(1, value);
    if (!statement->next_row()) return std::nullopt;
    Row found = from_row(*statement, db);
    statement->reset();  // the key is unique: no second row to step to
    return found;
  }

  // The caller's side: copy outside the lock (the argument), move in under it.
  void enqueue(Write&& write) {
    bool wake_writer = false;
    {
      std::unique_lock lock(mutex_);
      // Backpressure: a full queue makes the event loop wait rather than grow without bound.
      space_free_.wait(lock, [this] { return queue_.size() < max_queue_; });
      if (queue_.empty()) deadline_ = SteadyClock::now() + max_delay_;
      queue_.push_back(std::move(write));
      ++enqueued_;
      // Only these two change what the writer is waiting for; other pushes need no wake-up.
      wake_writer = queue_.size() == 1 || queue_.size() == batch_trigger_;
    }
    if (wake_writer) writer_wake_.notify_one();
  }

  void wait_for_queued() {
    std::unique_lock lock(mutex_);
    wait_for_queued(lock);
  }

  // Waits until every write queued so far is committed or failed, asking the writer not to
  // wait out max_delay for them.
  void wait_for_queued(std::unique_lock<std::mutex>& lock) {
    const std::uint64_t target = enqueued_;
    if (done_ >= target) return;
    flush_target_ = std::max(flush_target_, target);
    writer_wake_.notify_one();
    batch_done_.wait(lock, [this, target] { return done_ >= target; });
  }

  void run_writer() {
    std::vector<Write> batch;
    batch.reserve(batch_trigger_);
    while (take_batch(batch)) {
      BatchOutcome outcome = commit_batch(batch);
      finish_batch(batch.size(), std::move(outcome));
      batch.clear();
    }
  }

  // Blocks until a batch is due, then moves up to max_batch writes out of the queue. False
  // when stopping with nothing left.
  [[nodiscard]] bool take_batch(std::vector<Write>& batch) {
    std::unique_lock lock(mutex_);
    while (!batch_due()) {
      if (queue_.empty()) {
        writer_wake_.wait(lock);
      } else {
        writer_wake_.wait_until(lock, deadline_);
      }
    }
    if (queue_.empty()) return false;
    const std::size_t count = std::min(queue_.size(), max_batch_);
    for (std::size_t i = 0; i < count; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    taken_ += count;
    // What stays queued keeps the old deadline: it is no later than its own, so the promise
    // "committed within max_delay" still holds for it.
    lock.unlock();
    space_free_.notify_all();
    return true;
  }

  // Called with mutex_ held.
  [[nodiscard]] bool batch_due() const {
    if (stopping_) return true;
    if (queue_.empty()) return false;
    return queue_.size() >= batch_trigger_ || flush_target_ > taken_ ||
           SteadyClock::now() >= deadline_;
  }

  [[nodiscard]] BatchOutcome commit_batch(const std::vector<Write>& batch) {
    BatchOutcome outcome;
    std::lock_guard lock(db_mutex_);
    try {
      statements_.begin();
      for (const Write& write : batch) {
        try {
          std::visit([this](const auto& row) { statements_.write(row); }, write);
        } catch (const SqliteFailure& failure) {
          if (!refuses_row_only(failure, db_.get())) throw;
          ++outcome.rejected;
          if (!outcome.error) outcome.error = failure.what() + (" (" + label_of(write) + ")");
        }
      }
      statements_.commit();
      outcome.committed = true;
    } catch (const std::exception& error) {
      // Some errors roll the transaction back themselves; only roll back one still open.
      if (sqlite3_get_autocommit(db_.get()) == 0) {
        sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      }
      outcome = BatchOutcome{};
      outcome.error = std::string(error.what()) + " (a batch of " + std::to_string(batch.size()) +
                      " writes was lost)";
    }
    return outcome;
  }

  void finish_batch(std::size_t size, BatchOutcome&& outcome) {
    {
      std::lock_guard lock(mutex_);
      done_ += size;
      if (outcome.committed) {
        ++stats_.batches;
        stats_.written += size - outcome.rejected;
        stats_.rejected += outcome.rejected;
      } else {
        ++stats_.failures;
      }
      if (outcome.error && !first_error_) first_error_ = std::move(outcome.error);
      assert(taken_ <= enqueued_ && done_ <= taken_);
    }
    batch_done_.notify_all();
  }

  // The connection: the writer uses it per batch, load_* between batches.
  std::mutex db_mutex_;
  Connection db_;
  WriteStatements statements_;  // after db_: finalized before the connection closes
  // The point reads' connection for a file (see the constructor), guarded by reader_mutex_;
  // without one they read on db_ under db_mutex_.
  std::mutex reader_mutex_;
  std::optional<Connection> reader_;
  struct Finds {  // prepared on first use; after both connections, so finalized first
    std::optional<Statement> payment_by_id;
    std::optional<Statement> payment_by_merchant_id;
    std::optional<Statement> refund_by_id;
    std::optional<Statement> refund_by_merchant_id;
  } finds_;

  const std::size_t max_batch_;
  const std::size_t max_queue_;
  const std::size_t batch_trigger_;  // a batch this big is committed without waiting
  const std::chrono::nanoseconds max_delay_;

  // The queue and the counters, shared by the callers and the writer.
  mutable std::mutex mutex_;
  std::condition_variable writer_wake_;
  std::condition_variable space_free_;
  std::condition_variable batch_done_;
  std::deque<Write> queue_;
  SteadyClock::time_point deadline_;  // when the oldest queued write must be committed
  std::uint64_t enqueued_ = 0;        // writes accepted
  std::uint64_t taken_ = 0;           // writes handed to the writer
  std::uint64_t done_ = 0;            // writes committed or lost
  std::uint64_t flush_target_ = 0;    // a flush waits for writes up to this one
  bool stopping_ = false;
  StoreStats stats_;
  std::optional<std::string> first_error_;

  std::thread writer_;  // last: it starts once everything above exists
};

void validate(const SqliteOptions& options) {
  const std::string where = "store " + options.path.string() + ": ";
  if (options.path.empty()) {
    throw StoreError("store: no path given (\":memory:\" for an in-memory database)");
  }
  if (options.max_batch == 0) throw StoreError(where + "max_batch must be at least 1");
  if (options.max_queue == 0) throw StoreError(where + "max_queue must be at least 1");
  if (options.max_delay_ns < 0) throw StoreError(where + "max_delay_ns must not be negative");
  if (options.busy_timeout_ms < 0) {
    throw StoreError(where + "busy_timeout_ms must not be negative");
  }
}

}  // namespace

std::unique_ptr<Store> make_sqlite_store(const SqliteOptions& options) {
  validate(options);
  return std::make_unique<SqliteStore>(options);
}

}  // namespace fusebox::gateway
