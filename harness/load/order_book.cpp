// The bounded book of earlier orders (a ring: the oldest entry is forgotten first).

#include <algorithm>

#include "load_internal.hpp"

namespace fusebox::harness {

void OrderBook::Subset::set(std::uint32_t slot, bool in) {
  std::int64_t& at = position[slot];
  if (in == (at >= 0)) return;
  if (in) {
    at = static_cast<std::int64_t>(members.size());
    members.push_back(slot);
    return;
  }
  const auto index = static_cast<std::size_t>(at);
  const std::uint32_t last = members.back();
  members[index] = last;
  position[last] = at;
  members.pop_back();
  at = -1;
}

OrderBook::OrderBook(std::size_t capacity) : slots_(std::max<std::size_t>(capacity, 1)) {
  refundable_.position.assign(slots_.size(), -1);
  processing_.position.assign(slots_.size(), -1);
  by_payment_.reserve(slots_.size());  // the ring's size bounds it: never rehash mid-run
}

void OrderBook::refresh(std::uint32_t slot) {
  const Entry& entry = slots_[slot];
  refundable_.set(slot, entry.status == "SUCCEEDED" && entry.amount > entry.refund_reserved);
  processing_.set(slot, entry.status == "PROCESSING");
}

void OrderBook::update(const std::string& payment_id, const std::string& merchant_order_id,
                       const std::string& channel, std::int64_t amount, const std::string& status) {
  if (payment_id.empty()) return;
  const std::uint32_t at = slot_of(payment_id);
  if (at == FlatIndex::none) {
    const auto slot = static_cast<std::uint32_t>(next_);
    next_ = (next_ + 1) % slots_.size();
    if (filled_ == slots_.size()) {
      by_payment_.erase(slots_[slot].payment_id, payment_key());  // the oldest order leaves
    } else {
      ++filled_;
    }
    slots_[slot] = Entry{payment_id, merchant_order_id, channel, status, amount, 0};
    by_payment_.insert(payment_id, slot, payment_key());
    refresh(slot);
    return;
  }
  Entry& entry = slots_[at];
  if (!status.empty()) entry.status = status;
  if (!channel.empty()) entry.channel = channel;
  if (!merchant_order_id.empty()) entry.merchant_order_id = merchant_order_id;
  if (amount > 0) entry.amount = amount;
  refresh(at);
}

std::uint32_t OrderBook::slot_of(std::string_view payment_id) const {
  return by_payment_.find(payment_id, payment_key());
}

const OrderBook::Entry* OrderBook::find(const std::string& payment_id) const {
  const std::uint32_t at = slot_of(payment_id);
  return at == FlatIndex::none ? nullptr : &slots_[at];
}

const OrderBook::Entry* OrderBook::pick_any(Rng& rng) const {
  if (filled_ == 0) return nullptr;
  return &slots_[static_cast<std::size_t>(rng.below(filled_))];
}

const OrderBook::Entry* OrderBook::pick_refundable(Rng& rng) const {
  if (refundable_.members.empty()) return nullptr;
  return &slots_[refundable_
                     .members[static_cast<std::size_t>(rng.below(refundable_.members.size()))]];
}

const OrderBook::Entry* OrderBook::pick_processing(Rng& rng) const {
  if (processing_.members.empty()) return nullptr;
  return &slots_[processing_
                     .members[static_cast<std::size_t>(rng.below(processing_.members.size()))]];
}

void OrderBook::reserve_refund(const std::string& payment_id, std::int64_t amount) {
  const std::uint32_t at = slot_of(payment_id);
  if (at == FlatIndex::none) return;
  slots_[at].refund_reserved += amount;
  refresh(at);
}

void OrderBook::release_refund(const std::string& payment_id, std::int64_t amount) {
  const std::uint32_t at = slot_of(payment_id);
  if (at == FlatIndex::none) return;
  Entry& entry = slots_[at];
  entry.refund_reserved = std::max<std::int64_t>(entry.refund_reserved - amount, 0);
  refresh(at);
}

}  // namespace fusebox::harness
