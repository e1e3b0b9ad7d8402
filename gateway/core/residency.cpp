// What the core keeps in memory (core_state.hpp, "What the core keeps"): taking orders in,
// reading them back from the store, and letting final ones go.
#include <algorithm>
#include <stdexcept>

#include "core_state.hpp"

namespace fusebox::gateway {
namespace {

// Recovered and read-back ids continue the sequence: "P000000000042" -> 43.
std::uint64_t next_after(std::string_view id, std::uint64_t current) {
  std::uint64_t number = 0;
  for (char c : id.substr(1)) {
    if (c < '0' || c > '9') return current;
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return std::max(current, number + 1);
}

// A store that lost or refused a write may lack a row: then nothing leaves memory.
bool holds_every_row(const StoreStats& stats) { return stats.failures == 0 && stats.rejected == 0; }

}  // namespace

// Indexes a payment this process did not create here: from the store on recovery or when
// read back, or, in the refunds role, as the payments process left it.
PaymentEntry& GatewayCore::State::adopt_payment(Payment payment) {
  auto entry = std::make_unique<PaymentEntry>();
  entry->payment = std::move(payment);
  entry->seq = next_seq++;
  next_payment = next_after(entry->payment.payment_id, next_payment);
  PaymentEntry& adopted = *entry;
  payment_by_id.emplace(&adopted);
  payment_by_merchant_id.emplace(&adopted);
  payments.emplace_hint(payments.end(), adopted.seq, std::move(entry));
  return adopted;
}

RefundEntry& GatewayCore::State::adopt_refund(Refund refund, std::string channel) {
  auto entry = std::make_unique<RefundEntry>();
  entry->refund = std::move(refund);
  entry->channel = std::move(channel);
  entry->seq = next_seq++;
  entry->judge_index = UINT64_MAX;  // judged as it was created or recovered, not again
  next_refund = next_after(entry->refund.refund_id, next_refund);
  RefundEntry& adopted = *entry;
  refund_by_id.emplace(&adopted);
  refund_by_merchant_id.emplace(&adopted);
  refunds.emplace_hint(refunds.end(), adopted.seq, std::move(entry));
  return adopted;
}

// A payment the store gave back is kept again, for a while if it is final.
PaymentEntry* GatewayCore::State::read_back(TimeNs now, std::optional<Payment> stored) {
  if (!stored) return nullptr;
  PaymentEntry& entry = adopt_payment(std::move(*stored));
  retire_later(now, entry);
  return &entry;
}

PaymentEntry* GatewayCore::State::payment(TimeNs now, std::string_view id) {
  if (PaymentEntry* resident = payment_by_id.find(id)) return resident;
  if (!must_read_store(IdKind::payment, id)) return nullptr;
  return read_back(now, store.find_payment(std::string(id)));
}

PaymentEntry* GatewayCore::State::payment_by_merchant(TimeNs now, const std::string& merchant_id) {
  if (PaymentEntry* resident = payment_by_merchant_id.find(merchant_id)) return resident;
  if (!must_read_store(IdKind::merchant_order, merchant_id)) return nullptr;
  return read_back(now, store.find_payment_by_merchant_id(merchant_id));
}

// A refund read back brings its payment too, for the channel it went to.
RefundEntry* GatewayCore::State::refund(TimeNs now, std::string_view id) {
  if (RefundEntry* resident = refund_by_id.find(id)) return resident;
  if (!must_read_store(IdKind::refund, id)) return nullptr;
  std::optional<Refund> stored = store.find_refund(std::string(id));
  if (!stored) return nullptr;
  const PaymentEntry* parent = payment(now, stored->payment_id);
  RefundEntry& entry =
      adopt_refund(std::move(*stored), parent != nullptr ? parent->payment.channel : "");
  retire_later(now, entry);
  return &entry;
}

RefundEntry* GatewayCore::State::refund_by_merchant(TimeNs now, const std::string& merchant_id) {
  if (RefundEntry* resident = refund_by_merchant_id.find(merchant_id)) return resident;
  if (!must_read_store(IdKind::merchant_refund, merchant_id)) return nullptr;
  std::optional<Refund> stored = store.find_refund_by_merchant_id(merchant_id);
  if (!stored) return nullptr;
  return refund(now, stored->refund_id);
}

PaymentEntry& GatewayCore::State::payment_ref(TimeNs now, std::string_view id) {
  if (PaymentEntry* entry = payment(now, id)) return *entry;
  throw std::logic_error("gateway core: payment " + std::string(id) +
                         " is neither in memory nor in the store");
}

RefundEntry& GatewayCore::State::refund_ref(TimeNs now, std::string_view id) {
  if (RefundEntry* entry = refund(now, id)) return *entry;
  throw std::logic_error("gateway core: refund " + std::string(id) +
                         " is neither in memory nor in the store");
}

// Only a process that owns whole rows lets orders go: in a split deployment each role keeps
// part of a payment row, and reads the other's part from the store already.
void GatewayCore::State::retire_later(TimeNs now, PaymentEntry& entry) {
  if (!config.retain_final_ns || config.role != Role::all || !is_final(entry.payment.status)) {
    return;
  }
  const StoreStats stats = store.stats();
  if (!holds_every_row(stats)) return;
  entry.retire = Retire{now + *config.retain_final_ns, stats.accepted};
  retiring.push_back(Retiring{entry.retire.due, entry.payment.payment_id, false});
}

void GatewayCore::State::retire_later(TimeNs now, RefundEntry& entry) {
  if (!config.retain_final_ns || config.role != Role::all || !is_final(entry.refund.status)) {
    return;
  }
  const StoreStats stats = store.stats();
  if (!holds_every_row(stats)) return;
  entry.retire = Retire{now + *config.retain_final_ns, stats.accepted};
  retiring.push_back(Retiring{entry.retire.due, entry.refund.refund_id, true});
}

void GatewayCore::State::evict_retired(TimeNs now) {
  if (retiring.empty() || retiring.front().due > now) return;
  const StoreStats stats = store.stats();
  if (!holds_every_row(stats)) {  // nothing will leave: let go of the queue, not grow it
    retiring.clear();
    return;
  }
  const std::uint64_t settled = stats.accepted - stats.queued;
  // Each item once per pass: one that must wait goes to the back with a later due.
  for (std::size_t budget = retiring.size(); budget > 0; --budget) {
    if (retiring.empty() || retiring.front().due > now) break;
    Retiring item = std::move(retiring.front());
    retiring.pop_front();
    Retire* retire = nullptr;
    bool busy = false;
    PaymentEntry* payment_entry = nullptr;
    RefundEntry* refund_entry = nullptr;
    if (item.is_refund) {
      refund_entry = refund_by_id.find(item.id);
      if (refund_entry != nullptr) retire = &refund_entry->retire;
    } else {
      payment_entry = payment_by_id.find(item.id);
      if (payment_entry != nullptr) {
        retire = &payment_entry->retire;
        busy = payment_entry->calls_in_flight > 0 || payment_entry->payment.refunding_minor > 0;
      }
    }
    // Gone already, or changed since and due again later (a newer item stands for it).
    if (retire == nullptr || retire->due != item.due) continue;
    // Awaited by a call or a refund of ours: retired again when that ends (on_pay_result,
    // on_payment_status_result, set_refund_status), not looked at on every pass meanwhile.
    if (busy) continue;
    if (retire->mark > settled) {  // the store has not caught up yet: look again next pass
      retire->due = now;
      item.due = now;
      retiring.push_back(std::move(item));
      continue;
    }
    if (payment_entry != nullptr) {
      departed.add(BloomFilter::hash_of(item.id, static_cast<std::uint64_t>(IdKind::payment)));
      departed.add(BloomFilter::hash_of(payment_entry->payment.merchant_order_id,
                                        static_cast<std::uint64_t>(IdKind::merchant_order)));
      payment_by_merchant_id.erase(payment_entry->payment.merchant_order_id);
      payment_by_id.erase(item.id);
      payments.erase(payment_entry->seq);
    } else {
      departed.add(BloomFilter::hash_of(item.id, static_cast<std::uint64_t>(IdKind::refund)));
      departed.add(BloomFilter::hash_of(refund_entry->refund.merchant_refund_id,
                                        static_cast<std::uint64_t>(IdKind::merchant_refund)));
      refund_by_merchant_id.erase(refund_entry->refund.merchant_refund_id);
      refund_by_id.erase(item.id);
      refunds.erase(refund_entry->seq);
    }
    ++evicted;
  }
}

void GatewayCore::State::mark_refund(RefundEntry& entry) {
  entry.judge_index = refund_marks_base + refund_marks.size();
  const Refund& r = entry.refund;
  refund_marks.push_back(
      RefundMark{r.created_ns, r.status == RefundStatus::succeeded ? r.updated_ns : -1});
}

}  // namespace fusebox::gateway
