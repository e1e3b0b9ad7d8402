// The in-memory store: for tests and sim mode, where nothing must survive the process. It
// keeps the SQLite store's rules (ids upserted, merchant ids unique, failures reported by
// flush) so a behaviour checked against one holds for the other.

#include <algorithm>
#include <array>
#include <cassert>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fusebox/common/flat_index.hpp"
#include "fusebox/common/name.hpp"
#include "fusebox/gateway/store.hpp"

namespace fusebox::gateway {
namespace {

// How a row is kept packed: its ids (every string that is all but unique to the row) back to
// back in one block, its names by number, and the rest of its fields as they are. ids[0] is
// the row's id, ids[1] the merchant's id (unique, indexed).
struct PaymentLayout {
  using Row = Payment;
  static constexpr std::array ids{&Payment::payment_id, &Payment::merchant_order_id,
                                  &Payment::channel_txn_id};
  static constexpr std::array names{&Payment::currency, &Payment::channel, &Payment::failure_code,
                                    &Payment::requested_channel};
  struct Rest {
    std::int64_t amount_minor, refunded_minor, refunding_minor;
    TimeNs created_ns, updated_ns;
    Method method;
    PaymentStatus status;
  };
  static Rest rest_of(const Payment& p) {
    return {p.amount_minor, p.refunded_minor, p.refunding_minor, p.created_ns,
            p.updated_ns,   p.method,         p.status};
  }
  static void put_rest(const Rest& r, Payment& p) {
    p.amount_minor = r.amount_minor;
    p.refunded_minor = r.refunded_minor;
    p.refunding_minor = r.refunding_minor;
    p.created_ns = r.created_ns;
    p.updated_ns = r.updated_ns;
    p.method = r.method;
    p.status = r.status;
  }
};

struct RefundLayout {
  using Row = Refund;
  static constexpr std::array ids{&Refund::refund_id, &Refund::merchant_refund_id,
                                  &Refund::payment_id};
  static constexpr std::array names{&Refund::failure_code};
  struct Rest {
    std::int64_t amount_minor;
    TimeNs created_ns, updated_ns;
    RefundStatus status;
  };
  static Rest rest_of(const Refund& r) {
    return {r.amount_minor, r.created_ns, r.updated_ns, r.status};
  }
  static void put_rest(const Rest& rest, Refund& r) {
    r.amount_minor = rest.amount_minor;
    r.created_ns = rest.created_ns;
    r.updated_ns = rest.updated_ns;
    r.status = rest.status;
  }
};

// Rows keyed by id, kept in first-insertion order so loads are deterministic; a second
// index enforces the merchant's id as unique, as the SQL schema does. Both indexes read
// their keys from the rows themselves (FlatIndex): a row is kept once, and packed (about
// 130 bytes for a payment where the Payment struct takes 264 and a block of its own).
template <class Layout>
class RowTable {
 public:
  using Row = typename Layout::Row;

  // Returns false, changing nothing, when another row already holds the row's merchant id.
  [[nodiscard]] bool upsert(const Row& row) {
    const std::string& id = row.*Layout::ids[0];
    const std::string& merchant_id = row.*Layout::ids[1];
    const std::uint32_t found = by_id_.find(id, key_of<0>());
    if (found != FlatIndex::none && key_of<1>()(found) == merchant_id) {
      pack(row, rows_[found]);  // the common update: its merchant id is its own already
      return true;
    }
    const std::uint32_t owner = by_merchant_id_.find(merchant_id, key_of<1>());
    if (owner != FlatIndex::none && owner != found) return false;
    if (found == FlatIndex::none) {
      const auto at = static_cast<std::uint32_t>(rows_.size());
      Packed packed;
      pack(row, packed);  // before the row is added: a row too large to pack changes nothing
      rows_.push_back(std::move(packed));
      by_id_.insert(id, at, key_of<0>());
      by_merchant_id_.insert(merchant_id, at, key_of<1>());
    } else {  // a new merchant id for this row: unindex the old one while the row still has it
      by_merchant_id_.erase(key_of<1>()(found), key_of<1>());
      pack(row, rows_[found]);
      by_merchant_id_.insert(merchant_id, found, key_of<1>());
    }
    assert(by_id_.size() == rows_.size() && by_merchant_id_.size() == rows_.size());
    return true;
  }

  [[nodiscard]] std::optional<Row> find(std::string_view id) const {
    return copy_of(by_id_.find(id, key_of<0>()));
  }

  [[nodiscard]] std::optional<Row> find_by_merchant_id(std::string_view merchant_id) const {
    return copy_of(by_merchant_id_.find(merchant_id, key_of<1>()));
  }

  // Creation order: created_ns, ties broken by first insertion (a stable sort of the
  // positions keeps it). Each row is unpacked into one reused Row.
  void visit_in_creation_order(const std::function<void(const Row&)>& visit) const {
    std::vector<std::uint32_t> order(rows_.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
      return rows_[a].rest.created_ns < rows_[b].rest.created_ns;
    });
    Row row;
    for (const std::uint32_t i : order) {
      unpack(rows_[i], row);
      visit(row);
    }
  }

 private:
  static constexpr std::size_t kIds = Layout::ids.size();
  struct Packed {
    std::unique_ptr<char[]> ids;  // the ids back to back, no separators
    std::array<std::uint32_t, kIds> id_ends{};
    std::array<std::uint32_t, Layout::names.size()> names{};
    typename Layout::Rest rest{};

    [[nodiscard]] std::string_view id(std::size_t k) const {
      const std::uint32_t from = k == 0 ? 0 : id_ends[k - 1];
      return {ids.get() + from, id_ends[k] - from};
    }
  };

  void pack(const Row& row, Packed& packed) {
    std::array<std::uint32_t, kIds> ends{};
    std::size_t size = 0;
    for (std::size_t k = 0; k < kIds; ++k) {
      size += (row.*Layout::ids[k]).size();
      if (size > UINT32_MAX) throw StoreError("memory store: a row's ids exceed 4 GiB");
      ends[k] = static_cast<std::uint32_t>(size);
    }
    bool same = packed.ids != nullptr && ends == packed.id_ends;
    for (std::size_t k = 0; same && k < kIds; ++k)
      same = packed.id(k) == row.*Layout::ids[k];
    if (!same) {
      auto block = std::make_unique_for_overwrite<char[]>(size);
      for (std::size_t k = 0; k < kIds; ++k) {
        const std::string& id = row.*Layout::ids[k];
        std::copy(id.begin(), id.end(), block.get() + (k == 0 ? 0 : ends[k - 1]));
      }
      packed.ids = std::move(block);
      packed.id_ends = ends;
    }
    for (std::size_t k = 0; k < Layout::names.size(); ++k)
      packed.names[k] = names_.intern(row.*Layout::names[k]);
    packed.rest = Layout::rest_of(row);
  }

  void unpack(const Packed& packed, Row& row) const {
    for (std::size_t k = 0; k < kIds; ++k)
      row.*Layout::ids[k] = packed.id(k);
    for (std::size_t k = 0; k < Layout::names.size(); ++k)
      row.*Layout::names[k] = names_.at(packed.names[k]);
    Layout::put_rest(packed.rest, row);
  }

  [[nodiscard]] std::optional<Row> copy_of(std::uint32_t i) const {
    if (i == FlatIndex::none) return std::nullopt;
    Row row;
    unpack(rows_[i], row);
    return row;
  }

  template <std::size_t K>
  [[nodiscard]] auto key_of() const {
    return [this](std::uint32_t i) { return rows_[i].id(K); };
  }

  std::deque<Packed> rows_;  // a deque: growth never copies every row at once
  NameTable names_;          // currencies, channels, failure codes: each kept once
  FlatIndex by_id_;
  FlatIndex by_merchant_id_;
};

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
    return payments_.find(payment_id);
  }

  [[nodiscard]] std::optional<Payment> find_payment_by_merchant_id(
      const std::string& merchant_order_id) override {
    std::lock_guard lock(mutex_);
    return payments_.find_by_merchant_id(merchant_order_id);
  }

  [[nodiscard]] std::optional<Refund> find_refund(const std::string& refund_id) override {
    std::lock_guard lock(mutex_);
    return refunds_.find(refund_id);
  }

  [[nodiscard]] std::optional<Refund> find_refund_by_merchant_id(
      const std::string& merchant_refund_id) override {
    std::lock_guard lock(mutex_);
    return refunds_.find_by_merchant_id(merchant_refund_id);
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
  RowTable<PaymentLayout> payments_;
  RowTable<RefundLayout> refunds_;
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
