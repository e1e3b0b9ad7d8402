// Proves both stores keep one contract (upserts, creation order, transitions, refused ids)
// and that the SQLite file survives a restart, is shared by two writers, refuses what it
// cannot read, and completes every write behind a tiny bounded queue.

#include "fusebox/gateway/store.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace fusebox::gateway {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("fusebox-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
             (test != nullptr ? test->name() : "none"));
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The test's own connection, to read what the store wrote and to plant what it must refuse.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) {
    if (sqlite3_open(path.string().c_str(), &db_) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
    }
    sqlite3_free(error);
  }

  // Every row of a query, its columns joined with '|'.
  [[nodiscard]] std::vector<std::string> rows(const std::string& sql) {
    std::vector<std::string> result;
    auto collect = [](void* out, int count, char** values, char** /*names*/) {
      std::string row;
      for (int i = 0; i < count; ++i) {
        if (i > 0) row += '|';
        row += values[i] != nullptr ? values[i] : "NULL";
      }
      static_cast<std::vector<std::string>*>(out)->push_back(row);
      return 0;
    };
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), collect, &result, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
    }
    sqlite3_free(error);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

Payment make_payment(const std::string& id, TimeNs created_ns,
                     PaymentStatus status = PaymentStatus::processing) {
  Payment payment;
  payment.payment_id = id;
  payment.merchant_order_id = "merchant-order-" + id;
  payment.amount_minor = 12'345 + created_ns;
  payment.currency = "EUR";
  payment.method = Method::bank;
  payment.channel = "bank-a";
  payment.status = status;
  payment.channel_txn_id = is_final(status) ? "txn-" + id : "";
  payment.failure_code = status == PaymentStatus::failed ? "DECLINED" : "";
  payment.created_ns = created_ns;
  payment.updated_ns = created_ns + 7;
  payment.refunded_minor = 100;
  payment.refunding_minor = 50;
  payment.requested_channel = status == PaymentStatus::closed ? "bank-a" : "";
  return payment;
}

Refund make_refund(const std::string& id, const std::string& payment_id, TimeNs created_ns,
                   RefundStatus status = RefundStatus::processing) {
  Refund refund;
  refund.refund_id = id;
  refund.merchant_refund_id = "merchant-refund-" + id;
  refund.payment_id = payment_id;
  refund.amount_minor = 500 + created_ns;
  refund.status = status;
  refund.failure_code = status == RefundStatus::failed ? "REFUND_REFUSED" : "";
  refund.created_ns = created_ns;
  refund.updated_ns = created_ns + 3;
  return refund;
}

Transition make_transition(const std::string& id, std::string from, std::string to, TimeNs at_ns) {
  return Transition{id, false, std::move(from), std::move(to), at_ns, "poll"};
}

// Every field, so a comparison failure shows which one differs.
std::string describe(const Payment& p) {
  return p.payment_id + "|" + p.merchant_order_id + "|" + std::to_string(p.amount_minor) + "|" +
         p.currency + "|" + std::string(to_string(p.method)) + "|" + p.channel + "|" +
         std::string(to_string(p.status)) + "|" + p.channel_txn_id + "|" + p.failure_code + "|" +
         std::to_string(p.created_ns) + "|" + std::to_string(p.updated_ns) + "|" +
         std::to_string(p.refunded_minor) + "|" + std::to_string(p.refunding_minor) + "|" +
         p.requested_channel;
}
std::string describe(const Refund& r) {
  return r.refund_id + "|" + r.merchant_refund_id + "|" + r.payment_id + "|" +
         std::to_string(r.amount_minor) + "|" + std::string(to_string(r.status)) + "|" +
         r.failure_code + "|" + std::to_string(r.created_ns) + "|" + std::to_string(r.updated_ns);
}
std::string describe(const Transition& t) {
  return t.id + "|" + (t.is_refund ? "refund" : "payment") + "|" + t.from + "|" + t.to + "|" +
         std::to_string(t.at_ns) + "|" + t.cause;
}
template <class Row>
std::vector<std::string> describe_all(const std::vector<Row>& rows) {
  std::vector<std::string> described;
  for (const Row& row : rows)
    described.push_back(describe(row));
  return described;
}
std::vector<std::string> ids_of(const std::vector<Payment>& payments) {
  std::vector<std::string> ids;
  for (const Payment& payment : payments)
    ids.push_back(payment.payment_id);
  return ids;
}

// The message of the StoreError `action` throws, or "" (and a failure) if it throws none.
std::string store_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const StoreError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a StoreError";
  return {};
}

::testing::AssertionResult mentions(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << message << "' does not mention '" << part << "'";
}

// ---- One contract, three stores -------------------------------------------------------

struct MemoryStoreFactory {
  static std::unique_ptr<Store> make(const TempDir& /*dir*/) { return make_memory_store(); }
};
struct SqliteFileFactory {
  // A small batch so the suite's few writes still span several transactions.
  static std::unique_ptr<Store> make(const TempDir& dir) {
    SqliteOptions options;
    options.path = dir.path() / "store.db";
    options.max_batch = 3;
    return make_sqlite_store(options);
  }
};
struct SqliteInMemoryFactory {
  static std::unique_ptr<Store> make(const TempDir& /*dir*/) {
    SqliteOptions options;
    options.path = ":memory:";
    return make_sqlite_store(options);
  }
};

template <class Factory>
class StoreContract : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<Store> store_ = Factory::make(dir_);
};

using StoreKinds = ::testing::Types<MemoryStoreFactory, SqliteFileFactory, SqliteInMemoryFactory>;
TYPED_TEST_SUITE(StoreContract, StoreKinds);

TYPED_TEST(StoreContract, UpsertThenLoadReturnsTheLatestRow) {
  Store& store = *this->store_;
  store.save(make_payment("p-1", 10));
  Payment paid = make_payment("p-1", 10, PaymentStatus::succeeded);
  paid.updated_ns = 99;
  paid.refunded_minor = 0;
  store.save(paid);
  store.flush();

  const std::vector<Payment> loaded = store.load_payments();
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(describe(loaded[0]), describe(paid));
}

// Every field comes back as last saved, whatever its length and however it changed: ids
// that grow (a channel's transaction id arrives), long ids, names that change and names
// seen once only (the memory store keeps ids packed and names by number).
TYPED_TEST(StoreContract, RowsComeBackExactlyAsLastSavedWhateverChanged) {
  Store& store = *this->store_;
  Payment payment = make_payment("p-1", 10);
  store.save(payment);
  payment.status = PaymentStatus::succeeded;
  payment.channel_txn_id = "a-transaction-id-longer-than-any-inline-string-" + std::string(70, 't');
  payment.channel = "wallet-b";
  payment.currency = "JPY";
  payment.updated_ns = 50;
  store.save(payment);
  Payment other = make_payment(std::string(40, 'p'), 11, PaymentStatus::failed);
  other.failure_code = "A_CODE_SEEN_ONCE";
  other.channel_txn_id = "";
  other.merchant_order_id = "";
  store.save(other);
  Refund refund = make_refund("r-1", "p-1", 12, RefundStatus::failed);
  store.save(refund);
  refund.status = RefundStatus::succeeded;
  refund.failure_code = "";
  refund.payment_id = std::string(33, 'x');
  store.save(refund);
  store.flush();

  EXPECT_EQ(describe_all(store.load_payments()), describe_all(std::vector{payment, other}));
  EXPECT_EQ(describe(*store.find_payment("p-1")), describe(payment));
  EXPECT_EQ(describe(*store.find_payment(std::string(40, 'p'))), describe(other));
  EXPECT_EQ(describe_all(store.load_refunds()), describe_all(std::vector{refund}));
  EXPECT_EQ(describe(*store.find_refund_by_merchant_id("merchant-refund-r-1")), describe(refund));
}

TYPED_TEST(StoreContract, FindsOnePaymentByIdAfterAFlush) {
  Store& store = *this->store_;
  Payment paid = make_payment("p-1", 10, PaymentStatus::succeeded);
  paid.refunded_minor = 250;
  store.save(make_payment("p-0", 5));
  store.save(paid);
  store.flush();

  const std::optional<Payment> found = store.find_payment("p-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(describe(*found), describe(paid));
  EXPECT_FALSE(store.find_payment("p-9").has_value());
  EXPECT_FALSE(store.find_payment("").has_value());
  // Read twice: the prepared statement is reusable.
  EXPECT_EQ(store.find_payment("p-0")->payment_id, "p-0");
}

// The point reads the core uses to bring back an order it let go of (core_state.hpp).
TYPED_TEST(StoreContract, FindsOrdersByEitherKeyAfterAFlush) {
  Store& store = *this->store_;
  const Payment paid = make_payment("p-1", 10, PaymentStatus::succeeded);
  const Refund refund = make_refund("r-1", "p-1", 11, RefundStatus::succeeded);
  store.save(paid);
  store.save(make_refund("r-0", "p-1", 9));
  store.save(refund);
  store.flush();

  ASSERT_TRUE(store.find_payment_by_merchant_id("merchant-order-p-1").has_value());
  EXPECT_EQ(describe(*store.find_payment_by_merchant_id("merchant-order-p-1")), describe(paid));
  EXPECT_FALSE(store.find_payment_by_merchant_id("p-1").has_value()) << "an id is not a key";
  ASSERT_TRUE(store.find_refund("r-1").has_value());
  EXPECT_EQ(describe(*store.find_refund("r-1")), describe(refund));
  EXPECT_EQ(store.find_refund("r-0")->status, RefundStatus::processing);
  EXPECT_FALSE(store.find_refund("r-9").has_value());
  ASSERT_TRUE(store.find_refund_by_merchant_id("merchant-refund-r-1").has_value());
  EXPECT_EQ(describe(*store.find_refund_by_merchant_id("merchant-refund-r-1")), describe(refund));
  EXPECT_FALSE(store.find_refund_by_merchant_id("r-1").has_value());
  // Every write counted as accepted, none left queued after the flush.
  EXPECT_EQ(store.stats().accepted, 3U);
  EXPECT_EQ(store.stats().queued, 0U);
}

// Sim mode's store keeps rows only: appends are counted, and asking for the history is an
// error that says why, never an empty answer.
TEST(MemoryStore, WithoutHistoryKeepsRowsCountsAppendsAndRefusesToLoadTransitions) {
  auto store = make_memory_store(MemoryStoreOptions{.keep_history = false});
  store->save(make_payment("p-1", 1));
  store->append(make_transition("p-1", "", "PROCESSING", 1));
  store->append(Attempt{"p-1", "", "bank-a", ChannelOp::pay, 1, 2, "answered"});
  store->flush();
  EXPECT_EQ(store->load_payments().size(), 1u);
  EXPECT_EQ(store->stats().written, 3u);
  EXPECT_EQ(store->stats().accepted, 3u);
  const std::string message = store_error_of([&] { (void)store->load_transitions("p-1"); });
  EXPECT_TRUE(mentions(message, "not kept"));
  EXPECT_TRUE(mentions(message, "p-1"));
}

TYPED_TEST(StoreContract, LoadsPaymentsInCreationOrderThenInsertionOrder) {
  Store& store = *this->store_;
  store.save(make_payment("p-c", 30));
  store.save(make_payment("p-a", 10));
  store.save(make_payment("p-b", 20));
  store.save(make_payment("p-d", 20));                            // ties with p-b, saved later
  store.save(make_payment("p-b", 20, PaymentStatus::succeeded));  // an update keeps its place
  store.flush();

  EXPECT_EQ(ids_of(store.load_payments()), (std::vector<std::string>{"p-a", "p-b", "p-d", "p-c"}));
}

TYPED_TEST(StoreContract, RefundsRoundTripInCreationOrder) {
  Store& store = *this->store_;
  store.save(make_payment("p-1", 1));
  store.save(make_refund("r-2", "p-1", 20));
  store.save(make_refund("r-1", "p-1", 10));
  const Refund done = make_refund("r-2", "p-1", 20, RefundStatus::failed);
  store.save(done);
  store.flush();

  EXPECT_EQ(describe_all(store.load_refunds()),
            (std::vector<std::string>{describe(make_refund("r-1", "p-1", 10)), describe(done)}));
}

TYPED_TEST(StoreContract, TransitionsOfOneIdComeBackInAppendOrder) {
  Store& store = *this->store_;
  const std::vector<Transition> of_p1{make_transition("p-1", "", "PROCESSING", 5),
                                      make_transition("p-1", "PROCESSING", "SUCCEEDED", 9)};
  Transition refund_created{"r-1", true, "", "PROCESSING", 7, "admin"};
  store.append(of_p1[0]);
  store.append(refund_created);
  store.append(make_transition("p-2", "", "PROCESSING", 8));
  store.append(of_p1[1]);
  store.flush();

  EXPECT_EQ(describe_all(store.load_transitions("p-1")), describe_all(of_p1));
  EXPECT_EQ(describe_all(store.load_transitions("r-1")),
            std::vector<std::string>{describe(refund_created)});
  EXPECT_TRUE(store.load_transitions("p-unknown").empty());
}

TYPED_TEST(StoreContract, ATakenMerchantOrderIdIsRefusedAloneAndReportedOnce) {
  Store& store = *this->store_;
  store.save(make_payment("p-1", 1));
  Payment clash = make_payment("p-2", 2);
  clash.merchant_order_id = "merchant-order-p-1";
  store.save(clash);
  store.save(make_payment("p-3", 3));

  const std::string message = store_error_of([&] { store.flush(); });
  EXPECT_TRUE(mentions(message, "payments"));
  EXPECT_TRUE(mentions(message, "merchant_order_id"));
  EXPECT_NO_THROW(store.flush());  // reported once
  EXPECT_EQ(ids_of(store.load_payments()), (std::vector<std::string>{"p-1", "p-3"}));
  EXPECT_EQ(store.stats().rejected, 1U);
}

TYPED_TEST(StoreContract, LoadSeesWritesNotYetFlushedAndStatsCountThem) {
  Store& store = *this->store_;
  store.save(make_payment("p-1", 1));
  store.save(make_refund("r-1", "p-1", 2));
  store.append(Attempt{"p-1", "", "bank-a", ChannelOp::pay, 1, 2, "answered"});
  store.append(NotificationRecord{"bank-a", "n-1", "p-1", 3, "applied"});
  store.append(make_transition("p-1", "", "PROCESSING", 1));

  EXPECT_EQ(store.load_payments().size(), 1U);
  const StoreStats stats = store.stats();
  EXPECT_EQ(stats.written, 5U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_EQ(stats.failures, 0U);
  EXPECT_EQ(stats.rejected, 0U);
}

// ---- SQLite: the file, its sharing, its errors -----------------------------------------

class SqliteStoreTest : public ::testing::Test {
 protected:
  [[nodiscard]] SqliteOptions options() const {
    SqliteOptions options;
    options.path = db_path_;
    return options;
  }

  TempDir dir_;
  fs::path db_path_ = dir_.path() / "gateway.db";
};

TEST_F(SqliteStoreTest, ARestartRecoversEveryOrderWithExactFields) {
  const std::vector<Payment> payments{
      make_payment("p-open", 1), make_payment("p-paid", 2, PaymentStatus::succeeded),
      make_payment("p-failed", 3, PaymentStatus::failed),
      make_payment("p-closed", 4, PaymentStatus::closed), make_payment("p-open-2", 5)};
  const std::vector<Refund> refunds{make_refund("r-open", "p-paid", 6),
                                    make_refund("r-done", "p-paid", 7, RefundStatus::succeeded)};
  {
    auto store = make_sqlite_store(options());
    for (const Payment& payment : payments)
      store->save(payment);
    for (const Refund& refund : refunds)
      store->save(refund);
    store->append(make_transition("p-open", "", "PROCESSING", 1));
    // No flush: destroying the store must make its queue durable.
  }

  auto reopened = make_sqlite_store(options());
  const std::vector<Payment> loaded = reopened->load_payments();
  EXPECT_EQ(describe_all(loaded), describe_all(payments));
  EXPECT_EQ(describe_all(reopened->load_refunds()), describe_all(refunds));
  EXPECT_EQ(reopened->load_transitions("p-open").size(), 1U);
  std::vector<std::string> to_poll;
  for (const Payment& payment : loaded) {
    if (!is_final(payment.status)) to_poll.push_back(payment.payment_id);
  }
  EXPECT_EQ(to_poll, (std::vector<std::string>{"p-open", "p-open-2"}));
}

TEST_F(SqliteStoreTest, FlushMakesWritesVisibleToASecondConnection) {
  auto first = make_sqlite_store(options());
  first->save(make_payment("p-1", 1));
  first->flush();

  auto second = make_sqlite_store(options());
  EXPECT_EQ(ids_of(second->load_payments()), std::vector<std::string>{"p-1"});
  second->save(make_payment("p-2", 2));
  second->flush();
  EXPECT_EQ(ids_of(first->load_payments()), (std::vector<std::string>{"p-1", "p-2"}));
}

TEST_F(SqliteStoreTest, EnumsAndRowsAreStoredUnderTheirWireNames) {
  {
    auto store = make_sqlite_store(options());
    store->save(make_payment("p-1", 1, PaymentStatus::succeeded));
    store->save(make_refund("r-1", "p-1", 2, RefundStatus::failed));
    store->append(Attempt{"p-1", "r-1", "bank-a", ChannelOp::refund_query, 3, 4, "timeout"});
    store->append(NotificationRecord{"bank-a", "n-1", "p-1", 5, "duplicate"});
    store->append(Transition{"r-1", true, "PROCESSING", "FAILED", 6, "notification"});
  }
  RawDb raw(db_path_);
  EXPECT_EQ(raw.rows("SELECT method, status FROM payments"),
            std::vector<std::string>{"bank|SUCCEEDED"});
  EXPECT_EQ(raw.rows("SELECT status, failure_code FROM refunds"),
            std::vector<std::string>{"FAILED|REFUND_REFUSED"});
  EXPECT_EQ(raw.rows("SELECT payment_id, refund_id, channel, op, started_ns, finished_ns, "
                     "outcome FROM attempts"),
            std::vector<std::string>{"p-1|r-1|bank-a|refund_query|3|4|timeout"});
  EXPECT_EQ(raw.rows("SELECT channel, notify_id, order_id, received_ns, verdict FROM "
                     "notifications"),
            std::vector<std::string>{"bank-a|n-1|p-1|5|duplicate"});
  EXPECT_EQ(raw.rows("SELECT id, is_refund, from_status, to_status, at_ns, cause FROM "
                     "transitions"),
            std::vector<std::string>{"r-1|1|PROCESSING|FAILED|6|notification"});
  EXPECT_EQ(raw.rows("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(raw.rows("PRAGMA user_version"),
            std::vector<std::string>{std::to_string(kSqliteSchemaVersion)});
}

// Both write at once, in small batches so their transactions interleave many times.
void write_many(Store& store, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string id = prefix + std::to_string(i);
    store.save(make_payment(id, i));
    store.append(make_transition(id, "", "PROCESSING", i));
  }
  store.flush();
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileBothWriteWithoutLockErrors) {
  SqliteOptions small = options();
  small.max_batch = 4;
  small.max_delay_ns = 0;
  auto payments = make_sqlite_store(small);
  auto refunds = make_sqlite_store(small);
  std::thread other([&] { write_many(*refunds, "q-", 400); });
  write_many(*payments, "p-", 400);
  other.join();

  EXPECT_EQ(payments->stats().failures + refunds->stats().failures, 0U);
  EXPECT_EQ(make_sqlite_store(options())->load_payments().size(), 800U);
}

TEST_F(SqliteStoreTest, TwoProcessesOnOneFileBothWriteWithoutLockErrors) {
  make_sqlite_store(options()).reset();  // create the schema before either writes
  SqliteOptions small = options();
  small.max_batch = 4;
  small.max_delay_ns = 0;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      write_many(*make_sqlite_store(small), "q-", 300);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child: %s\n", error.what());
      code = 1;
    }
    std::_Exit(code);  // not gtest's exit path: the parent reports
  }
  std::string parent_error;
  try {
    write_many(*make_sqlite_store(small), "p-", 300);
  } catch (const std::exception& error) {
    parent_error = error.what();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(parent_error, "");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(make_sqlite_store(options())->load_payments().size(), 600U);
}

// How the refunds process learns of a payment: it sees what the payments process committed,
// and only that (nothing queued, its own or the other's, is waited for).
TEST_F(SqliteStoreTest, FindPaymentSeesAnotherStoresCommittedRowsOnly) {
  SqliteOptions slow = options();
  slow.role = Role::payments;
  slow.max_delay_ns = 3'600'000'000'000;  // nothing commits before a flush
  auto payments = make_sqlite_store(slow);
  SqliteOptions as_refunds = options();
  as_refunds.role = Role::refunds;
  auto refunds = make_sqlite_store(as_refunds);

  payments->save(make_payment("p-1", 1));
  EXPECT_FALSE(refunds->find_payment("p-1").has_value()) << "still queued in the other store";
  payments->flush();
  ASSERT_TRUE(refunds->find_payment("p-1").has_value());
  EXPECT_EQ(refunds->find_payment("p-1")->status, PaymentStatus::processing);

  payments->save(make_payment("p-1", 1, PaymentStatus::succeeded));
  EXPECT_EQ(refunds->find_payment("p-1")->status, PaymentStatus::processing);
  payments->flush();
  EXPECT_EQ(refunds->find_payment("p-1")->status, PaymentStatus::succeeded);
}

TEST_F(SqliteStoreTest, EachRoleUpdatesOnlyItsOwnPaymentColumns) {
  SqliteOptions as_payments = options();
  as_payments.role = Role::payments;
  SqliteOptions as_refunds = options();
  as_refunds.role = Role::refunds;
  auto payments = make_sqlite_store(as_payments);
  auto refunds = make_sqlite_store(as_refunds);

  Payment payment = make_payment("p-1", 1, PaymentStatus::succeeded);
  payment.refunded_minor = 0;
  payment.refunding_minor = 0;
  payments->save(payment);  // a new row: inserted whole
  payments->flush();

  Payment refunding = payment;  // the refunds process's copy: stale status, fresh sums
  refunding.status = PaymentStatus::processing;
  refunding.refunding_minor = 300;
  refunds->save(refunding);
  refunds->flush();

  Payment later = payment;  // the payments process's copy: fresh status, stale sums
  later.updated_ns = 500;
  later.channel_txn_id = "txn-late";
  payments->save(later);
  payments->flush();

  Payment expected = later;
  expected.refunding_minor = 300;
  const std::vector<Payment> loaded = payments->load_payments();
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(describe(loaded[0]), describe(expected));
}

TEST_F(SqliteStoreTest, AnUnknownNameInARowIsAStoreErrorNamingTableRowAndValue) {
  {
    auto store = make_sqlite_store(options());
    store->save(make_payment("p-good", 1));
  }
  RawDb raw(db_path_);
  raw.exec(
      "INSERT INTO payments SELECT 'p-bad', 'm-bad', amount_minor, currency, method, "
      "channel, 'PENDING_FOREVER', channel_txn_id, failure_code, 2, 2, 0, 0, '' FROM payments");
  raw.exec("INSERT INTO refunds VALUES ('r-bad', 'mr-bad', 'p-good', 1, 'REVERSED', '', 3, 3)");

  auto store = make_sqlite_store(options());
  const std::string payments = store_error_of([&] { (void)store->load_payments(); });
  EXPECT_TRUE(mentions(payments, "payments"));
  EXPECT_TRUE(mentions(payments, "p-bad"));
  EXPECT_TRUE(mentions(payments, "PENDING_FOREVER"));
  const std::string refunds = store_error_of([&] { (void)store->load_refunds(); });
  EXPECT_TRUE(mentions(refunds, "refunds"));
  EXPECT_TRUE(mentions(refunds, "r-bad"));
  EXPECT_TRUE(mentions(refunds, "REVERSED"));
}

TEST_F(SqliteStoreTest, AnUnknownMethodIsAStoreError) {
  make_sqlite_store(options())->save(make_payment("p-1", 1));
  RawDb(db_path_).exec("UPDATE payments SET method = 'cash'");
  const std::string message =
      store_error_of([&] { (void)make_sqlite_store(options())->load_payments(); });
  EXPECT_TRUE(mentions(message, "method"));
  EXPECT_TRUE(mentions(message, "'cash'"));
}

TEST_F(SqliteStoreTest, APathInAMissingDirectoryIsAStoreErrorNamingIt) {
  SqliteOptions missing = options();
  missing.path = dir_.path() / "no-such-dir" / "gateway.db";
  const std::string message = store_error_of([&] { (void)make_sqlite_store(missing); });
  EXPECT_TRUE(mentions(message, missing.path.string()));
  EXPECT_TRUE(mentions(message, "unable to open database file"));
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsAStoreErrorNamingIt) {
  std::ofstream(db_path_) << "these are not the pages you are looking for\n";
  const std::string message = store_error_of([&] { (void)make_sqlite_store(options()); });
  EXPECT_TRUE(mentions(message, db_path_.string()));
  EXPECT_TRUE(mentions(message, "file is not a database"));
}

TEST_F(SqliteStoreTest, AnUnreadableFileIsAStoreErrorNamingIt) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  make_sqlite_store(options()).reset();
  fs::permissions(db_path_, fs::perms::none);
  const std::string message = store_error_of([&] { (void)make_sqlite_store(options()); });
  EXPECT_TRUE(mentions(message, db_path_.string()));
}

TEST_F(SqliteStoreTest, ANewerSchemaVersionIsRefusedNamingBothVersions) {
  RawDb(db_path_).exec("PRAGMA user_version = 99");
  const std::string message = store_error_of([&] { (void)make_sqlite_store(options()); });
  EXPECT_TRUE(mentions(message, db_path_.string()));
  EXPECT_TRUE(mentions(message, "version 99"));
  EXPECT_TRUE(mentions(message, "version " + std::to_string(kSqliteSchemaVersion)));
}

// A file written by a version-1 build (no requested_channel column) opens, keeps its rows,
// reads them with no requested channel, and takes new rows with one.
TEST_F(SqliteStoreTest, AVersionOneFileIsMigratedKeepingItsRows) {
  {
    RawDb raw(db_path_);
    raw.exec(
        "CREATE TABLE payments (payment_id TEXT PRIMARY KEY NOT NULL, merchant_order_id TEXT NOT "
        "NULL UNIQUE, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, method TEXT NOT "
        "NULL, channel TEXT NOT NULL, status TEXT NOT NULL, channel_txn_id TEXT NOT NULL, "
        "failure_code TEXT NOT NULL, created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL, "
        "refunded_minor INTEGER NOT NULL, refunding_minor INTEGER NOT NULL);"
        "CREATE TABLE refunds (refund_id TEXT PRIMARY KEY NOT NULL, merchant_refund_id TEXT NOT "
        "NULL UNIQUE, payment_id TEXT NOT NULL, amount_minor INTEGER NOT NULL, status TEXT NOT "
        "NULL, failure_code TEXT NOT NULL, created_ns INTEGER NOT NULL, updated_ns INTEGER NOT "
        "NULL);"
        "CREATE TABLE attempts (seq INTEGER PRIMARY KEY, payment_id TEXT NOT NULL, refund_id "
        "TEXT NOT NULL, channel TEXT NOT NULL, op TEXT NOT NULL, started_ns INTEGER NOT NULL, "
        "finished_ns INTEGER NOT NULL, outcome TEXT NOT NULL);"
        "CREATE TABLE notifications (seq INTEGER PRIMARY KEY, channel TEXT NOT NULL, notify_id "
        "TEXT NOT NULL, order_id TEXT NOT NULL, received_ns INTEGER NOT NULL, verdict TEXT NOT "
        "NULL);"
        "CREATE TABLE transitions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, is_refund INTEGER "
        "NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL, at_ns INTEGER NOT NULL, "
        "cause TEXT NOT NULL);"
        "CREATE INDEX transitions_by_id ON transitions (id);"
        "INSERT INTO payments VALUES ('p-old', 'm-old', 900, 'EUR', 'bank', 'bank-a', "
        "'SUCCEEDED', 'txn-old', '', 1, 2, 0, 0);"
        "PRAGMA user_version = 1;");
  }
  auto store = make_sqlite_store(options());
  Payment fresh = make_payment("p-new", 3, PaymentStatus::closed);
  ASSERT_EQ(fresh.requested_channel, "bank-a");
  store->save(fresh);
  const std::vector<Payment> loaded = store->load_payments();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].payment_id, "p-old");
  EXPECT_EQ(loaded[0].amount_minor, 900);
  EXPECT_EQ(loaded[0].requested_channel, "");
  EXPECT_EQ(describe(loaded[1]), describe(fresh));
  store.reset();
  EXPECT_EQ(RawDb(db_path_).rows("PRAGMA user_version"),
            std::vector<std::string>{std::to_string(kSqliteSchemaVersion)});
}

TEST_F(SqliteStoreTest, ATinyQueueStillCompletesEveryWrite) {
  SqliteOptions tiny = options();
  tiny.max_queue = 2;
  tiny.max_batch = 5;  // larger than the queue: a full queue must still start a batch
  tiny.max_delay_ns = from_s(3600);
  auto store = make_sqlite_store(tiny);
  for (int i = 0; i < 500; ++i)
    store->save(make_payment("p-" + std::to_string(i), i));
  store->flush();

  EXPECT_EQ(store->load_payments().size(), 500U);
  const StoreStats stats = store->stats();
  EXPECT_EQ(stats.written, 500U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_GE(stats.batches, 250U);  // never more than two writes in one
}

TEST_F(SqliteStoreTest, OptionsWithoutABoundAreRefused) {
  SqliteOptions no_batch = options();
  no_batch.max_batch = 0;
  EXPECT_TRUE(mentions(store_error_of([&] { (void)make_sqlite_store(no_batch); }), "max_batch"));
  SqliteOptions no_queue = options();
  no_queue.max_queue = 0;
  EXPECT_TRUE(mentions(store_error_of([&] { (void)make_sqlite_store(no_queue); }), "max_queue"));
  EXPECT_TRUE(
      mentions(store_error_of([&] { (void)make_sqlite_store(SqliteOptions{}); }), "no path"));
}

// Seconds from `start` until `saves` payments are queued, and until they are durable.
struct Timing {
  double queued_s = 0;
  double durable_s = 0;
};
Timing time_saves(Store& store, const std::vector<Payment>& payments) {
  const auto start = std::chrono::steady_clock::now();
  for (const Payment& payment : payments)
    store.save(payment);
  const auto queued = std::chrono::steady_clock::now();
  store.flush();
  const auto durable = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(queued - start).count(),
          std::chrono::duration<double>(durable - start).count()};
}

std::vector<Payment> numbered_payments(const std::string& prefix, int count) {
  std::vector<Payment> payments;
  payments.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    payments.push_back(make_payment(prefix + std::to_string(1'000'000 + i), i));
  }
  return payments;
}

// A figure, not a test: what a save costs the caller while the queue has room, and how many
// payment saves per second the batched writer sustains once it does not.
// Run by hand: fusebox_store_tests --gtest_also_run_disabled_tests --gtest_filter='*SaveRate*'
TEST_F(SqliteStoreTest, DISABLED_SaveRate) {
  const SqliteOptions defaults = options();
  const int burst = static_cast<int>(defaults.max_queue / 2);
  constexpr int kSustained = 500'000;
  auto store = make_sqlite_store(defaults);

  const Timing sustained = time_saves(*store, numbered_payments("pay_sustained_", kSustained));
  std::printf("sustained %d: %.0f saves/s durable (%.2f s), %llu batches\n", kSustained,
              kSustained / sustained.durable_s, sustained.durable_s,
              static_cast<unsigned long long>(store->stats().batches));
  // After the sustained run, so the heap is warm and the figure is the steady-state cost.
  const Timing fits = time_saves(*store, numbered_payments("pay_burst_", burst));
  std::printf("burst of %d (fits the queue): caller %.0f ns/save\n", burst,
              fits.queued_s * 1e9 / burst);
}

}  // namespace
}  // namespace fusebox::gateway
