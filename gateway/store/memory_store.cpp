// The in-memory store: for tests and sim mode, where nothing must survive the process. It
// keeps the SQLite store's rules (ids upserted, merchant ids unique, failures reported by
// flush) so a behaviour checked against one holds for the other.

#include <algorithm>
#include <cassert>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fusebox/common/flat_index.hpp"
#include "fusebox/gateway/store.hpp"

namespace fusebox::gateway {
namespace {

// Rows keyed by id, kept in first-insertion order so loads are deterministic; a second
// index enforces the merchant's id as unique, as the SQL schema does. Both indexes read
// their keys from the rows themselves (FlatIndex): a row is kept once.
template <class Row, std::string Row::*Id, std::string Row::*MerchantId>
class RowTable {
 public:
  // Returns false, changing nothing, when another row already holds the row's merchant id.
  [[nodiscard]] bool upsert(const Row& row) {
    const std::uint32_t found = by_id_.find(row.*Id, key_of<Id>());
    if (found != FlatIndex::none && rows_[found].*MerchantId == row.*MerchantId) {
      rows_[found] = row;  // the common update: its merchant id is its own already
      return true;
    }
    const std::uint32_t owner = by_merchant_id_.find(row.*MerchantId, key_of<MerchantId>());
    if (owner != FlatIndex::none && owner != found) return false;
    if (found == FlatIndex::none) {
      const auto at = static_cast<std::uint32_t>(rows_.size());
      rows_.push_back(row);
      by_id_.insert(row.*Id, at, key_of<Id>());
      by_merchant_id_.insert(row.*MerchantId, at, key_of<MerchantId>());
    } else {  // a new merchant id for this row: unindex the old one while the row still has it
      by_merchant_id_.erase(rows_[found].*MerchantId, key_of<MerchantId>());
      rows_[found] = row;
      by_merchant_id_.insert(row.*MerchantId, found, key_of<MerchantId>());
    }
    assert(by_id_.size() == rows_.size() && by_merchant_id_.size() == rows_.size());
    return true;
  }

  [[nodiscard]] const Row* find(const std::string& id) const {
    return at(by_id_.find(id, key_of<Id>()));
  }

  [[nodiscard]] const Row* find_by_merchant_id(const std::string& merchant_id) const {
    return at(by_merchant_id_.find(merchant_id, key_of<MerchantId>()));
  }

  // Creation order: created_ns, ties broken by first insertion (a stable sort of the
  // positions keeps it; the rows themselves are not copied).
  void visit_in_creation_order(const std::function<void(const Row&)>& visit) const {
    std::vector<std::size_t> order(rows_.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
      return rows_[a].created_ns < rows_[b].created_ns;
    });
    for (const std::size_t i : order)
      visit(rows_[i]);
  }

 private:
  template <std::string Row::*Key>
  [[nodiscard]] auto key_of() const {
    return [this](std::uint32_t i) -> const std::string& { return rows_[i].*Key; };
  }
  [[nodiscard]] const Row* at(std::uint32_t i) const {
    return i == FlatIndex::none ? nullptr : &rows_[i];
  }

  std::deque<Row> rows_;  // a deque: growth never copies every row at once
  FlatIndex by_id_;
  FlatIndex by_merchant_id_;
};

template <class Row>
std::optional<Row> copy_of(const Row* row) {
  return row == nullptr ? std::nullopt : std::optional<Row>(*row);
}

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(MemoryStoreOptions options) : options_(options) {}

  void save(const Payment& payment) override {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    if (!payments_.upsert(payment)) {
      reject("payments", payment.payment_id, "merchant_order_id", payment.merchant_order_id);
      return;
    }
    ++stats_.written;
  }

  void save(const Refund& refund) override {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    if (!refunds_.upsert(refund)) {
      reject("refunds", refund.refund_id, "merchant_refund_id", refund.merchant_refund_id);
      return;
    }
    ++stats_.written;
  }

  void append(const Attempt& attempt) override {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    if (options_.keep_history) attempts_.push_back(attempt);
    ++stats_.written;
  }

  void append(const NotificationRecord& notification) override {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    if (options_.keep_history) notifications_.push_back(notification);
    ++stats_.written;
  }

  void append(const Transition& transition) override {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    if (options_.keep_history) transitions_.push_back(transition);
    ++stats_.written;
  }

  void flush() override {
    std::lock_guard lock(mutex_);
    if (!first_error_) return;
    const std::string message = std::move(*first_error_);
    first_error_.reset();
    throw StoreError(message);
  }

  void visit_payments(const std::function<void(const Payment&)>& visit) override {
    std::lock_guard lock(mutex_);
    payments_.visit_in_creation_order(visit);
  }

  [[nodiscard]] std::optional<Payment> find_payment(const std::string& payment_id) override {
    std::lock_guard lock(mutex_);
    return copy_of(payments_.find(payment_id));
  }

  [[nodiscard]] std::optional<Payment> find_payment_by_merchant_id(
      const std::string& merchant_order_id) override {
    std::lock_guard lock(mutex_);
    return copy_of(payments_.find_by_merchant_id(merchant_order_id));
  }

  [[nodiscard]] std::optional<Refund> find_refund(const std::string& refund_id) override {
    std::lock_guard lock(mutex_);
    return copy_of(refunds_.find(refund_id));
  }

  [[nodiscard]] std::optional<Refund> find_refund_by_merchant_id(
      const std::string& merchant_refund_id) override {
    std::lock_guard lock(mutex_);
    return copy_of(refunds_.find_by_merchant_id(merchant_refund_id));
  }

  void visit_refunds(const std::function<void(const Refund&)>& visit) override {
    std::lock_guard lock(mutex_);
    refunds_.visit_in_creation_order(visit);
  }

  // A scan of every transition: only tests and audits read them, while every status change
  // of a sim run appends one, so the append is what is kept cheap (no map of lists by id).
  [[nodiscard]] std::vector<Transition> load_transitions(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (!options_.keep_history) {
      throw StoreError("memory store: transitions of '" + id +
                       "' were not kept (this store keeps rows only, as in sim mode)");
    }
    std::vector<Transition> of_id;
    for (const Transition& t : transitions_) {
      if (t.id == id) of_id.push_back(t);
    }
    return of_id;
  }

  [[nodiscard]] StoreStats stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  // Same wording as SQLite's refusal, so callers log one shape of message.
  void reject(const char* table, const std::string& id, const char* column,
              const std::string& value) {
    ++stats_.rejected;
    if (first_error_) return;
    first_error_ = std::string("memory store: ") + table + " row '" + id + "' refused: " + column +
                   " '" + value + "' belongs to another row";
  }

  const MemoryStoreOptions options_;
  mutable std::mutex mutex_;
  RowTable<Payment, &Payment::payment_id, &Payment::merchant_order_id> payments_;
  RowTable<Refund, &Refund::refund_id, &Refund::merchant_refund_id> refunds_;
  // Kept though nothing loads them yet: they are the record a report or an audit would read.
  std::deque<Attempt> attempts_;
  std::deque<NotificationRecord> notifications_;
  std::deque<Transition> transitions_;  // in the order appended
  StoreStats stats_;
  std::optional<std::string> first_error_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store(MemoryStoreOptions options) {
  return std::make_unique<MemoryStore>(options);
}

}  // namespace fusebox::gateway
