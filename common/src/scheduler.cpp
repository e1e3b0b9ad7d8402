#include "fusebox/common/scheduler.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <chrono>
#include <limits>

namespace fusebox {

namespace {

constexpr std::size_t kArity = 4;

}  // namespace

void EventQueue::heap_push(std::vector<Entry>& heap, Entry entry) {
  std::size_t index = heap.size();
  heap.push_back(entry);
  while (index > 0) {
    const std::size_t parent = (index - 1) / kArity;
    if (!before(entry, heap[parent])) break;
    heap[index] = heap[parent];
    index = parent;
  }
  heap[index] = entry;
}

void EventQueue::heap_pop(std::vector<Entry>& heap) {
  heap.front() = heap.back();
  heap.pop_back();
  if (!heap.empty()) sift_down(heap, 0);
}

void EventQueue::sift_down(std::vector<Entry>& heap, std::size_t index) {
  const std::size_t size = heap.size();
  const Entry moving = heap[index];
  for (;;) {
    const std::size_t first = index * kArity + 1;
    if (first >= size) break;
    const std::size_t end = std::min(first + kArity, size);
    std::size_t best = first;
    for (std::size_t child = first + 1; child < end; ++child) {
      if (before(heap[child], heap[best])) best = child;
    }
    if (!before(heap[best], moving)) break;
    heap[index] = heap[best];
    index = best;
  }
  heap[index] = moving;
}

void EventQueue::heapify(std::vector<Entry>& heap) {
  for (std::size_t i = heap.size() / kArity + 1; i-- > 0;) {
    if (i < heap.size()) sift_down(heap, i);
  }
}

EventQueue::EventQueue(std::size_t capacity, std::uint64_t renumber_after)
    : capacity_(capacity),
      renumber_after_(std::min(renumber_after, kMaxSequence)),
      ring_(kRingBuckets) {
  assert(capacity > 0 && capacity <= kSlotMask);
}

std::optional<TimerId> EventQueue::push(TimeNs deadline_ns, Task task) {
  if (live_ >= capacity_) return std::nullopt;
  if (next_sequence_ > renumber_after_) renumber();
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& s = slots_[slot];
  s.task = std::move(task);
  s.sequence = next_sequence_++;
  s.occupied = true;
  place(Entry{deadline_ns, (s.sequence << kSlotBits) | slot});
  ++entries_;
  ++live_;
  return TimerId{slot, s.generation};
}

void EventQueue::place(Entry entry) {
  const std::int64_t bucket = bucket_of(entry.deadline_ns);
  if (bucket < near_bucket_) {
    heap_push(near_, entry);
  } else if (bucket - near_bucket_ < static_cast<std::int64_t>(kRingBuckets)) {
    const auto index = static_cast<std::size_t>(bucket) % kRingBuckets;
    ring_[index].push_back(entry);
    ring_occupied_[index / 64] |= std::uint64_t{1} << (index % 64);
    ++ring_entries_;
  } else {
    heap_push(far_, entry);
  }
}

bool EventQueue::cancel(TimerId id) {
  if (id.slot >= slots_.size()) return false;
  const Slot& s = slots_[id.slot];
  if (!s.occupied || s.generation != id.generation) return false;
  release(id.slot);
  // Cancelled entries stay where they are until time reaches them; keep them from
  // outnumbering the live ones so memory stays bounded by the capacity. The slack of one
  // entry per ring bucket makes the purge, which visits every bucket, cost O(1) a cancel.
  if (entries_ > 2 * live_ + kRingBuckets) drop_stale_entries();
  return true;
}

bool EventQueue::pop_due(TimeNs limit_ns, TimeNs& deadline_ns, Task& task) {
  while (!near_top_is_live()) {
    // Everything left is in a bucket at or after near_bucket_.
    if ((near_bucket_ << kBucketShift) > limit_ns || !advance()) return false;
  }
  const Entry top = near_.front();
  if (top.deadline_ns > limit_ns) return false;
  heap_pop(near_);
  --entries_;
  const auto slot = static_cast<std::uint32_t>(top.order & kSlotMask);
  deadline_ns = top.deadline_ns;
  task = std::move(slots_[slot].task);
  release(slot);
  return true;
}

std::optional<TimeNs> EventQueue::next_deadline() {
  while (!near_top_is_live()) {
    if (!advance()) return std::nullopt;
  }
  return near_.front().deadline_ns;
}

bool EventQueue::near_top_is_live() {
  while (!near_.empty() && is_stale(near_.front())) {
    heap_pop(near_);
    --entries_;
  }
  return !near_.empty();
}

// With `near` empty: moves the next non-empty ring bucket into it (jumping straight to the
// far heap's first bucket when the ring is empty). False when nothing is pending anywhere.
bool EventQueue::advance() {
  if (ring_entries_ == 0) {
    if (far_.empty()) return false;
    near_bucket_ = bucket_of(far_.front().deadline_ns);
    pull_from_far();
  }
  const auto index = next_ring_index();
  assert(index.has_value());
  const auto start = static_cast<std::size_t>(near_bucket_) % kRingBuckets;
  near_bucket_ += static_cast<std::int64_t>((*index + kRingBuckets - start) % kRingBuckets) + 1;
  std::vector<Entry>& bucket = ring_[*index];
  ring_entries_ -= bucket.size();
  for (const Entry& entry : bucket) {
    if (is_stale(entry)) {
      --entries_;
    } else {
      near_.push_back(entry);
    }
  }
  bucket.clear();
  ring_occupied_[*index / 64] &= ~(std::uint64_t{1} << (*index % 64));
  heapify(near_);
  pull_from_far();  // the ring's window moved on: far entries may now belong in it
  return true;
}

void EventQueue::pull_from_far() {
  const std::int64_t ring_end = near_bucket_ + static_cast<std::int64_t>(kRingBuckets);
  while (!far_.empty() && bucket_of(far_.front().deadline_ns) < ring_end) {
    const Entry entry = far_.front();
    heap_pop(far_);
    if (is_stale(entry)) {
      --entries_;
    } else {
      place(entry);
    }
  }
}

// The first occupied ring index at or after near_bucket_'s, going round the ring once.
std::optional<std::size_t> EventQueue::next_ring_index() const {
  const auto start = static_cast<std::size_t>(near_bucket_) % kRingBuckets;
  std::size_t word = start / 64;
  std::uint64_t bits = ring_occupied_[word] & (~std::uint64_t{0} << (start % 64));
  for (std::size_t step = 0; step <= kRingWords; ++step) {
    if (bits != 0) return word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
    word = (word + 1) % kRingWords;
    bits = ring_occupied_[word];
  }
  return std::nullopt;
}

void EventQueue::release(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.task = nullptr;
  s.occupied = false;
  ++s.generation;  // every TimerId naming the old generation is now harmless
  free_slots_.push_back(slot);
  assert(live_ > 0);
  --live_;
}

void EventQueue::drop_stale_entries() {
  const auto stale = [this](const Entry& e) { return is_stale(e); };
  std::erase_if(near_, stale);
  heapify(near_);
  std::erase_if(far_, stale);
  heapify(far_);
  ring_entries_ = 0;
  for (std::size_t index = 0; index < kRingBuckets; ++index) {
    std::erase_if(ring_[index], stale);
    ring_entries_ += ring_[index].size();
    if (ring_[index].empty()) ring_occupied_[index / 64] &= ~(std::uint64_t{1} << (index % 64));
  }
  entries_ = near_.size() + ring_entries_ + far_.size();
  assert(entries_ == live_);
}

// After 2^40 pushes the sequence field would overflow: number the pending events afresh in
// their current order. TimerIds (slot, generation) stay valid, and the order among pending
// events, the only thing sequences decide, is unchanged.
void EventQueue::renumber() {
  drop_stale_entries();
  std::vector<Entry> all;
  all.reserve(entries_);
  all.insert(all.end(), near_.begin(), near_.end());
  all.insert(all.end(), far_.begin(), far_.end());
  for (std::vector<Entry>& bucket : ring_) {
    all.insert(all.end(), bucket.begin(), bucket.end());
    bucket.clear();
  }
  near_.clear();
  far_.clear();
  ring_occupied_.fill(0);
  ring_entries_ = 0;
  std::sort(all.begin(), all.end(), before);
  next_sequence_ = 0;
  for (Entry& entry : all) {
    const std::uint64_t slot = entry.order & kSlotMask;
    slots_[slot].sequence = next_sequence_;
    entry.order = (next_sequence_ << kSlotBits) | slot;
    ++next_sequence_;
    place(entry);
  }
}

VirtualScheduler::VirtualScheduler(std::size_t max_queued_events, TimeNs start_ns)
    : queue_(max_queued_events), now_ns_(start_ns) {}

std::optional<TimerId> VirtualScheduler::schedule_at(TimeNs deadline_ns, Task task) {
  return queue_.push(std::max(deadline_ns, now_ns_), std::move(task));
}

bool VirtualScheduler::cancel(TimerId id) { return queue_.cancel(id); }

std::uint64_t VirtualScheduler::run_until(TimeNs until_ns) {
  assert(until_ns >= now_ns_ && "virtual time never runs backwards");
  std::uint64_t fired = 0;
  TimeNs deadline_ns = 0;
  Task task;
  while (queue_.pop_due(until_ns, deadline_ns, task)) {
    now_ns_ = deadline_ns;
    task();
    ++fired;
  }
  now_ns_ = std::max(now_ns_, until_ns);
  fired_total_ += fired;
  return fired;
}

std::uint64_t VirtualScheduler::run_until_idle(std::uint64_t max_events) {
  std::uint64_t fired = 0;
  while (fired < max_events && step())
    ++fired;
  return fired;
}

bool VirtualScheduler::step() {
  TimeNs deadline_ns = 0;
  Task task;
  if (!queue_.pop_due(std::numeric_limits<TimeNs>::max(), deadline_ns, task)) return false;
  now_ns_ = deadline_ns;
  task();
  ++fired_total_;
  return true;
}

RealTimeScheduler::RealTimeScheduler(std::size_t max_queued_events) : queue_(max_queued_events) {}

std::optional<TimerId> RealTimeScheduler::schedule_at(TimeNs deadline_ns, Task task) {
  std::optional<TimerId> id;
  {
    const std::lock_guard lock(mutex_);
    id = queue_.push(deadline_ns, std::move(task));
  }
  wake_.notify_one();  // the new event may be earlier than the one run() sleeps for
  return id;
}

bool RealTimeScheduler::cancel(TimerId id) {
  const std::lock_guard lock(mutex_);
  return queue_.cancel(id);
}

void RealTimeScheduler::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

std::uint64_t RealTimeScheduler::run(TimeNs until_ns) {
  std::uint64_t fired = 0;
  std::unique_lock lock(mutex_);
  stopping_ = false;
  while (!stopping_) {
    const TimeNs now_ns = clock_.now_ns();
    if (now_ns >= until_ns) break;
    TimeNs deadline_ns = 0;
    Task task;
    if (queue_.pop_due(now_ns, deadline_ns, task)) {
      lock.unlock();  // a task may schedule or cancel other events
      task();
      ++fired;
      lock.lock();
      continue;
    }
    const TimeNs wake_ns = std::min(queue_.next_deadline().value_or(until_ns), until_ns);
    // Sleep at most a second at a time so a far deadline cannot overflow the wait's time point.
    wake_.wait_for(lock, std::chrono::nanoseconds(std::min(wake_ns - now_ns, kNsPerS)));
  }
  return fired;
}

}  // namespace fusebox
