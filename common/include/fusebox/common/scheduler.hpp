#pragma once
// Timers on either clock. Events fire in (deadline, sequence number) order, so a run is
// deterministic for a given insertion order; the queue is bounded and says so when full.

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "fusebox/common/clock.hpp"

namespace fusebox {

using Task = std::function<void()>;

// Names one scheduled event. The generation makes an id of a fired or cancelled event
// harmless: cancelling it later is a no-op, even after its slot is reused.
struct TimerId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  friend bool operator==(TimerId, TimerId) = default;
};

class Scheduler : public Clock {
 public:
  // Schedules `task` at `deadline_ns` (a deadline in the past fires as soon as possible,
  // after the events already due). nullopt when the queue is at its bound.
  [[nodiscard]] virtual std::optional<TimerId> schedule_at(TimeNs deadline_ns, Task task) = 0;
  [[nodiscard]] std::optional<TimerId> schedule_after(TimeNs delay_ns, Task task) {
    return schedule_at(now_ns() + delay_ns, std::move(task));
  }
  // true when the event was still pending and will now never fire.
  virtual bool cancel(TimerId id) = 0;
};

// The pure ordered store behind both schedulers: no clock, no threads.
//
// Three tiers keep the working set small when 1e5 timers are pending (where one big heap
// pays a cache miss per level): a 4-ary min-heap `near` for deadlines before the current
// ~1 ms bucket ends, a ring of 4096 unsorted ~1 ms buckets for the next ~4.4 s, and a 4-ary
// min-heap `far` beyond. Pushing into the ring is an append; a bucket is heapified only when
// time reaches it. Entries keep their (deadline, sequence) key across tiers, so the order is
// exactly that of one heap: by deadline, ties in insertion order.
class EventQueue {
 public:
  // At most 2^24 - 1 events pending (16.7 million). Sequence numbers are renumbered when
  // they pass `renumber_after` (at most 2^40 - 1; tests set it low to exercise that path).
  explicit EventQueue(std::size_t capacity, std::uint64_t renumber_after = UINT64_MAX);

  [[nodiscard]] std::optional<TimerId> push(TimeNs deadline_ns, Task task);
  bool cancel(TimerId id);
  // Removes the earliest live event if its deadline is <= limit_ns.
  [[nodiscard]] bool pop_due(TimeNs limit_ns, TimeNs& deadline_ns, Task& task);
  // The earliest live deadline, dropping cancelled entries on the way.
  [[nodiscard]] std::optional<TimeNs> next_deadline();

  [[nodiscard]] std::size_t size() const { return live_; }
  [[nodiscard]] bool empty() const { return live_ == 0; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  // `order` packs the event's sequence number above its slot: comparing (deadline, order)
  // compares (deadline, sequence), and the slot rides along for free.
  struct Entry {
    TimeNs deadline_ns;
    std::uint64_t order;
  };
  struct Slot {
    Task task;
    std::uint64_t sequence = 0;  // of the event in the slot; an entry with another is stale
    std::uint32_t generation = 0;
    bool occupied = false;
  };
  static constexpr unsigned kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  static constexpr std::uint64_t kMaxSequence = (std::uint64_t{1} << (64 - kSlotBits)) - 1;
  static constexpr unsigned kBucketShift = 20;  // a ring bucket spans 2^20 ns, about 1 ms
  static constexpr std::size_t kRingBuckets = 4096;
  static constexpr std::size_t kRingWords = kRingBuckets / 64;

  [[nodiscard]] static bool before(const Entry& a, const Entry& b) {
    return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns : a.order < b.order;
  }
  [[nodiscard]] static std::int64_t bucket_of(TimeNs deadline_ns) {
    return deadline_ns >> kBucketShift;
  }
  static void heap_push(std::vector<Entry>& heap, Entry entry);
  static void heap_pop(std::vector<Entry>& heap);
  static void sift_down(std::vector<Entry>& heap, std::size_t index);
  static void heapify(std::vector<Entry>& heap);

  [[nodiscard]] bool is_stale(const Entry& entry) const {
    const Slot& slot = slots_[entry.order & kSlotMask];
    return !slot.occupied || slot.sequence != (entry.order >> kSlotBits);
  }
  void place(Entry entry);
  [[nodiscard]] bool near_top_is_live();
  [[nodiscard]] bool advance();
  void pull_from_far();
  [[nodiscard]] std::optional<std::size_t> next_ring_index() const;
  void release(std::uint32_t slot);
  void drop_stale_entries();
  void renumber();

  std::size_t capacity_;
  std::uint64_t renumber_after_;
  std::size_t live_ = 0;
  std::size_t entries_ = 0;  // in all tiers, cancelled ones included
  std::uint64_t next_sequence_ = 0;
  std::vector<Entry> near_;               // heap: bucket_of(deadline) < near_bucket_
  std::int64_t near_bucket_ = 0;          // the ring holds buckets [near_bucket_, +kRingBuckets)
  std::vector<std::vector<Entry>> ring_;  // unsorted; index = bucket mod kRingBuckets
  std::array<std::uint64_t, kRingWords> ring_occupied_{};
  std::size_t ring_entries_ = 0;
  std::vector<Entry> far_;  // heap: buckets at or past the ring's end
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
};

// Sim mode's clock: time jumps to the next event. One thread; deterministic.
class VirtualScheduler final : public Scheduler {
 public:
  explicit VirtualScheduler(std::size_t max_queued_events, TimeNs start_ns = 0);

  [[nodiscard]] TimeNs now_ns() const override { return now_ns_; }
  [[nodiscard]] std::optional<TimerId> schedule_at(TimeNs deadline_ns, Task task) override;
  bool cancel(TimerId id) override;

  // Fires every event due at or before `until_ns` (including ones those events schedule),
  // then leaves the clock at `until_ns`. Returns how many fired.
  std::uint64_t run_until(TimeNs until_ns);
  // Fires events until none is left or `max_events` have fired; the clock stays at the
  // last event's deadline. Returns how many fired.
  std::uint64_t run_until_idle(std::uint64_t max_events = UINT64_MAX);
  // Fires the next event, if any.
  bool step();

  [[nodiscard]] std::size_t pending() const { return queue_.size(); }
  [[nodiscard]] std::uint64_t fired_total() const { return fired_total_; }

 private:
  EventQueue queue_;
  TimeNs now_ns_;
  std::uint64_t fired_total_ = 0;
};

// Live mode's timers on a MonotonicClock. Any thread may schedule, cancel or stop; events
// run on the thread that calls run(), one at a time, in (deadline, sequence) order.
class RealTimeScheduler final : public Scheduler {
 public:
  explicit RealTimeScheduler(std::size_t max_queued_events);

  [[nodiscard]] TimeNs now_ns() const override { return clock_.now_ns(); }
  [[nodiscard]] std::optional<TimerId> schedule_at(TimeNs deadline_ns, Task task) override;
  bool cancel(TimerId id) override;

  // Runs events as their deadlines pass until stop() is called or `until_ns` is reached.
  // Returns how many fired.
  std::uint64_t run(TimeNs until_ns = INT64_MAX);
  void stop();

 private:
  MonotonicClock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  EventQueue queue_;
  bool stopping_ = false;
};

}  // namespace fusebox
