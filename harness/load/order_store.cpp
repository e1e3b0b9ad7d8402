// The compact book of orders seen (see order_store.hpp for the layout and why).

#include "order_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace fusebox::harness::load {
namespace {

constexpr std::uint8_t kPresent = 1, kLongId = 2, kMoreIds = 4;
constexpr std::uint64_t kNamed = std::uint64_t{1} << 63;
// A number this far past the highest one so far is someone else's id, not a dense run.
constexpr std::uint64_t kMaxJump = std::uint64_t{1} << 20;
constexpr std::size_t kStatusNames = 255;
constexpr std::string_view kOtherStatus = "UNRECORDED_STATUS";

std::string_view inline_id(const OrderStore::Record& record) {
  const char* data = record.payment_id.data();
  return {data, ::strnlen(data, record.payment_id.size())};
}

}  // namespace

// n when the id is "<prefix>-<n>" with the store's prefix (or the first one) and canonical
// digits, so that printing n gives the id back.
std::optional<std::uint64_t> OrderStore::number_of(std::string_view merchant_order_id) const {
  const std::size_t dash = merchant_order_id.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  const std::string_view prefix = merchant_order_id.substr(0, dash);
  const std::string_view digits = merchant_order_id.substr(dash + 1);
  if (!prefix_.empty() && prefix != prefix_) return std::nullopt;
  if (digits.empty() || digits.size() > 15 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (n >= numbered_end_ + kMaxJump) return std::nullopt;
  return n;
}

OrderStore::Record* OrderStore::slot_for(std::string_view merchant_order_id, std::uint64_t& key) {
  // An id once filed by name stays there, even if the numbers later grow to reach it.
  const auto named = named_.empty() ? named_.end() : named_.find(merchant_order_id);
  if (named == named_.end()) {
    if (const std::optional<std::uint64_t> n = number_of(merchant_order_id)) {
      if (prefix_.empty()) prefix_ = merchant_order_id.substr(0, merchant_order_id.rfind('-'));
      const auto chunk = static_cast<std::size_t>(*n >> kChunkBits);
      while (chunks_.size() <= chunk)
        chunks_.push_back(std::make_unique<std::array<Record, kChunk>>());
      numbered_end_ = std::max(numbered_end_, *n + 1);
      key = *n;
      return &(*chunks_[chunk])[static_cast<std::size_t>(*n & (kChunk - 1))];
    }
  }
  auto it = named;
  if (it == named_.end()) {
    it = named_.emplace(std::string(merchant_order_id), named_records_.size()).first;
    named_records_.emplace_back();
    named_ids_.push_back(&it->first);
  }
  key = kNamed | it->second;
  return &named_records_[static_cast<std::size_t>(it->second)];
}

const OrderStore::Record* OrderStore::lookup(std::string_view merchant_order_id,
                                             std::uint64_t& key) const {
  const Record* record = nullptr;
  if (const auto it = named_.find(merchant_order_id); it != named_.end()) {
    key = kNamed | it->second;
    record = &named_records_[static_cast<std::size_t>(it->second)];
  } else if (const std::optional<std::uint64_t> n = number_of(merchant_order_id);
             n && !prefix_.empty() && *n < numbered_end_) {
    key = *n;
    record = &(*chunks_[static_cast<std::size_t>(*n >> kChunkBits)])[static_cast<std::size_t>(
        *n & (kChunk - 1))];
  }
  return record != nullptr && (record->flags & kPresent) != 0 ? record : nullptr;
}

std::uint8_t OrderStore::status_index(std::string_view status) {
  const auto known = std::find(status_names_.begin(), status_names_.end(), status);
  if (known != status_names_.end()) return static_cast<std::uint8_t>(known - status_names_.begin());
  // A gateway that answers this many distinct statuses is broken anyway; the rest share a name
  // so the table and the one-byte indexes stay bounded.
  if (status_names_.size() + 1 >= kStatusNames) status = kOtherStatus;
  const auto other = std::find(status_names_.begin(), status_names_.end(), status);
  if (other != status_names_.end()) return static_cast<std::uint8_t>(other - status_names_.begin());
  status_names_.emplace_back(status);
  status_final_.push_back(SeenOrder::is_final(status));
  return static_cast<std::uint8_t>(status_names_.size() - 1);
}

void OrderStore::add_payment_id(Record& record, std::uint64_t key, std::string_view payment_id) {
  const bool has_first = record.payment_id[0] != '\0' || (record.flags & kLongId) != 0;
  if (!has_first) {
    if (payment_id.size() <= kInlineId) {
      std::memcpy(record.payment_id.data(), payment_id.data(), payment_id.size());
    } else {
      record.flags |= kLongId;
      extras_[key].long_payment_id = payment_id;
    }
    return;
  }
  const bool is_first = (record.flags & kLongId) != 0 ? extras_[key].long_payment_id == payment_id
                                                      : inline_id(record) == payment_id;
  if (is_first) return;
  std::vector<std::string>& more = extras_[key].more_ids;
  if (std::find(more.begin(), more.end(), payment_id) == more.end()) more.emplace_back(payment_id);
  record.flags |= kMoreIds;
}

// The same folding as SeenOrder::add_status, on one-byte indexes.
void OrderStore::fold_status(Record& record, std::string_view status) {
  const std::uint8_t index = status_index(status);
  record.count += 1;
  if (record.count == 1) record.first = index;
  record.last = index;
  if (record.first_final_at == 0) {
    if (!status_final_[index]) return;
    record.first_final_at = record.count;
    record.first_final = index;
  } else if (record.changed_at == 0 && index != record.first_final) {
    record.changed_at = record.count;
    record.changed = index;
  }
}

void OrderStore::add(std::string_view merchant_order_id, std::string_view payment_id,
                     std::int64_t amount, std::string_view status) {
  std::uint64_t key = 0;
  Record& record = *slot_for(merchant_order_id, key);
  if ((record.flags & kPresent) == 0) {
    record.flags |= kPresent;
    count_ += 1;
  }
  if (amount > 0 && record.amount == 0) record.amount = amount;
  if (!payment_id.empty()) add_payment_id(record, key, payment_id);
  if (!status.empty()) fold_status(record, status);
}

void OrderStore::expand(const Record& record, std::uint64_t key, SeenOrder& out) const {
  const Extra* extra = nullptr;
  if ((record.flags & (kLongId | kMoreIds)) != 0) extra = &extras_.at(key);
  out.payment_ids.clear();
  if ((record.flags & kLongId) != 0) {
    out.payment_ids.push_back(extra->long_payment_id);
  } else if (record.payment_id[0] != '\0') {
    out.payment_ids.emplace_back(inline_id(record));
  }
  if ((record.flags & kMoreIds) != 0) {
    out.payment_ids.insert(out.payment_ids.end(), extra->more_ids.begin(), extra->more_ids.end());
  }
  out.amount = record.amount;
  out.status_count = record.count;
  out.first_final_answer = record.first_final_at;
  out.changed_answer = record.changed_at;
  const auto name = [&](bool present, std::uint8_t index) {
    return present ? status_names_[index] : std::string();
  };
  out.first_status = name(record.count != 0, record.first);
  out.last_status = name(record.count != 0, record.last);
  out.first_final_status = name(record.first_final_at != 0, record.first_final);
  out.changed_status = name(record.changed_at != 0, record.changed);
}

std::size_t OrderStore::positions() const {
  return static_cast<std::size_t>(numbered_end_) + named_records_.size();
}

void OrderStore::for_each_in(std::size_t from, std::size_t to,
                             const std::function<void(const SeenOrder&)>& visit) const {
  SeenOrder order;  // reused: its strings keep their buffers from one order to the next
  const auto numbered = static_cast<std::size_t>(numbered_end_);
  to = std::min(to, positions());
  for (std::size_t n = from; n < std::min(to, numbered); ++n) {
    const Record& record = (*chunks_[n >> kChunkBits])[n & (kChunk - 1)];
    if ((record.flags & kPresent) == 0) continue;
    order.merchant_order_id = prefix_;
    order.merchant_order_id += '-';
    order.merchant_order_id += std::to_string(n);
    expand(record, n, order);
    visit(order);
  }
  for (std::size_t i = std::max(from, numbered) - numbered; i + numbered < to; ++i) {
    order.merchant_order_id = *named_ids_[i];
    expand(named_records_[i], kNamed | i, order);
    visit(order);
  }
}

std::optional<SeenOrder> OrderStore::find(std::string_view merchant_order_id) const {
  std::uint64_t key = 0;
  const Record* record = lookup(merchant_order_id, key);
  if (record == nullptr) return std::nullopt;
  SeenOrder order;
  order.merchant_order_id = merchant_order_id;
  expand(*record, key, order);
  return order;
}

}  // namespace fusebox::harness::load
