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
  auto it = by_payment_.find(payment_id);
  if (it == by_payment_.end()) {
    const auto slot = static_cast<std::uint32_t>(next_);
    next_ = (next_ + 1) % slots_.size();
    if (filled_ == slots_.size()) {
      by_payment_.erase(slots_[slot].payment_id);  // the oldest order leaves the book
    } else {
      ++filled_;
    }
    slots_[slot] = Entry{payment_id, merchant_order_id, channel, status, amount, 0};
    by_payment_.emplace(payment_id, slot);
    refresh(slot);
    return;
  }
  Entry& entry = slots_[it->second];
  if (!status.empty()) entry.status = status;
  if (!channel.empty()) entry.channel = channel;
  if (!merchant_order_id.empty()) entry.merchant_order_id = merchant_order_id;
  if (amount > 0) entry.amount = amount;
  refresh(it->second);
}

const OrderBook::Entry* OrderBook::find(const std::string& payment_id) const {
  const auto it = by_payment_.find(payment_id);
  return it == by_payment_.end() ? nullptr : &slots_[it->second];
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
  const auto it = by_payment_.find(payment_id);
  if (it == by_payment_.end()) return;
  slots_[it->second].refund_reserved += amount;
  refresh(it->second);
}

void OrderBook::release_refund(const std::string& payment_id, std::int64_t amount) {
  const auto it = by_payment_.find(payment_id);
  if (it == by_payment_.end()) return;
  Entry& entry = slots_[it->second];
  entry.refund_reserved = std::max<std::int64_t>(entry.refund_reserved - amount, 0);
  refresh(it->second);
}

}  // namespace fusebox::harness
