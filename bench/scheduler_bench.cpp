// Virtual-time scheduler throughput: schedule + fire pairs per second on one core.
// Target (issue #2): at least 10 million per second.
#include <queue>
#include <vector>

#include <benchmark/benchmark.h>

#include "fusebox/common/rng.hpp"
#include "fusebox/common/scheduler.hpp"

namespace fusebox {
namespace {

std::vector<TimeNs> random_delays(std::size_t n) {
  Rng rng(1);
  std::vector<TimeNs> delays(n);
  for (auto& d : delays)
    d = static_cast<TimeNs>(rng.below(10 * kNsPerMs));
  return delays;
}

// Steady state: `depth` events pending; each iteration schedules one and fires one, as a
// simulation does (every fired event schedules its successor).
void BM_SchedulerScheduleAndFire(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  VirtualScheduler scheduler(depth + 16);
  const auto delays = random_delays(4096);
  std::uint64_t fired = 0;
  for (std::size_t i = 0; i < depth; ++i) {
    (void)scheduler.schedule_after(delays[i % delays.size()], [&fired] { ++fired; });
  }
  std::size_t next = 0;
  for (auto _ : state) {
    (void)scheduler.schedule_after(delays[next++ & 4095], [&fired] { ++fired; });
    scheduler.step();
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("schedule+fire pairs");
}
BENCHMARK(BM_SchedulerScheduleAndFire)->Arg(16)->Arg(1'000)->Arg(100'000);

// The same-run peer: the textbook timer queue, std::priority_queue of (deadline, sequence,
// std::function), as most event loops start out.
class PriorityQueueTimers {
 public:
  void schedule_at(TimeNs deadline_ns, Task task) {
    queue_.push(Item{deadline_ns, sequence_++, std::move(task)});
  }
  void step() {
    Item item = std::move(const_cast<Item&>(queue_.top()));  // NOLINT: moved out, then popped
    queue_.pop();
    now_ns_ = item.deadline_ns;
    item.task();
  }
  [[nodiscard]] TimeNs now_ns() const { return now_ns_; }

 private:
  struct Item {
    TimeNs deadline_ns;
    std::uint64_t sequence;
    Task task;
    bool operator<(const Item& other) const {
      return deadline_ns != other.deadline_ns ? deadline_ns > other.deadline_ns
                                              : sequence > other.sequence;
    }
  };
  std::priority_queue<Item> queue_;
  std::uint64_t sequence_ = 0;
  TimeNs now_ns_ = 0;
};

void BM_PeerPriorityQueueScheduleAndFire(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  PriorityQueueTimers timers;
  const auto delays = random_delays(4096);
  std::uint64_t fired = 0;
  for (std::size_t i = 0; i < depth; ++i)
    timers.schedule_at(delays[i % delays.size()], [&fired] { ++fired; });
  std::size_t next = 0;
  for (auto _ : state) {
    timers.schedule_at(timers.now_ns() + delays[next++ & 4095], [&fired] { ++fired; });
    timers.step();
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerPriorityQueueScheduleAndFire)->Arg(16)->Arg(1'000)->Arg(100'000);

// A burst: schedule a batch, then run it all (how a load phase is planned).
void BM_SchedulerBurst(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto delays = random_delays(batch);
  VirtualScheduler scheduler(batch);
  std::uint64_t fired = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      (void)scheduler.schedule_after(delays[i], [&fired] { ++fired; });
    }
    scheduler.run_until_idle();
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}
BENCHMARK(BM_SchedulerBurst)->Arg(100'000);

// Schedule then cancel: the cost of a timeout that did not fire (the common case).
void BM_SchedulerScheduleAndCancel(benchmark::State& state) {
  VirtualScheduler scheduler(1'024);
  for (auto _ : state) {
    auto id = scheduler.schedule_after(kNsPerS, [] {});
    scheduler.cancel(*id);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SchedulerScheduleAndCancel);

}  // namespace
}  // namespace fusebox
