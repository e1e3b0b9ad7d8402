#pragma once
// The per-channel dynamic circuit breaker of the gateway's pure core.
//
// A breaker watches one channel's outcomes over a sliding time window and stops sending it
// traffic when too many calls fail or are slow:
//
//   closed --(window: calls >= minimum_calls and a rate >= its threshold)--> open
//   open --(open interval elapsed)--> half_open
//   half_open --(probes_to_close probe successes)--> closed   (resets the back-off)
//   half_open --(a probe fails, is slow, or its lease expires)--> open (interval x backoff)
//   any --force(forced_open | forced_closed)--> pinned until force(none) --> fresh closed
//
// Time is pure: every call takes `now` (nanoseconds on whichever clock drives the core); the
// breaker never reads a clock, never allocates after construction, takes no lock and draws no
// randomness. Every member function may be called from several threads at once: the state is
// a handful of lock-free atomics. Called from one thread on a virtual clock it is exactly
// deterministic: the same calls give the same decisions, snapshots and events.
//
// Time-driven transitions (open -> half_open, probe lease expiry) are applied lazily by
// try_acquire(), state() and advance(), and are stamped with the instant they became due
// (the open deadline, the lease deadline), not with the instant they were noticed, so the
// timeline is the same however often the breaker is polled. Every transition starts a fresh
// window; a result whose call was admitted before the transition is "late" and counts nowhere.
//
// Precision: open deadlines are kept in microseconds, rounded up (an open interval may last
// under 1 us longer than configured). Under concurrency, a record racing a bucket change or a
// transition may land on either side of it; counts are never lost from the cumulative totals,
// and nothing can wedge a state (a lost probe's lease ends, a stalled writer is re-stamped).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fusebox/common/clock.hpp"

namespace fusebox::gateway {

enum class BreakerState : std::uint8_t { closed, open, half_open };
// An operator's override of the dynamic breaker (the channel's static on/off switch lives in
// the core, not here).
enum class ForceMode : std::uint8_t { none, forced_open, forced_closed };
// `ignored` outcomes (a declined card, a merchant error) say nothing about the channel's
// health: they neither count as calls nor as failures.
enum class CallResult : std::uint8_t { success, failure, ignored };
enum class BreakerReason : std::uint8_t {
  failure_rate,
  slow_call_rate,
  open_interval_elapsed,
  probe_failed,
  probe_lease_expired,
  probes_succeeded,
  forced_open,
  forced_closed,
  force_cleared,
};

// Lower_snake names: "closed", "forced_open", "success", "probe_lease_expired", ...
[[nodiscard]] std::string_view to_string(BreakerState state);
[[nodiscard]] std::string_view to_string(ForceMode mode);
[[nodiscard]] std::string_view to_string(CallResult result);
[[nodiscard]] std::string_view to_string(BreakerReason reason);

// A rate threshold that never trips: `slow_call_rate = kRateOff` turns slow-call tripping off.
inline constexpr double kRateOff = std::numeric_limits<double>::infinity();

struct BreakerConfig {
  // The window slides bucket by bucket: a call recorded at time t counts while now is before
  // (the start of t's bucket) + window_ns, so for at least window_ns - bucket_ns and at most
  // window_ns. Buckets of at most 100 ms, at most 1024 of them.
  TimeNs window_ns = 10 * kNsPerS;
  TimeNs bucket_ns = 100 * kNsPerMs;
  // Rates are fractions in (0, 1] of the window's calls; a rate trips when it is >= its
  // threshold. 1.0 trips only when every call was (failed | slow); kRateOff never trips.
  double failure_rate = 0.5;
  double slow_call_rate = 1.0;
  TimeNs slow_call_ns = kNsPerS;  // a call at least this slow is slow, succeeded or not
  std::uint32_t minimum_calls = 20;
  // Open interval of the first trip; each consecutive trip (a failed half-open) multiplies
  // it by `backoff`, capped at max_open_ns. Closing resets it.
  TimeNs open_ns = 5 * kNsPerS;
  TimeNs max_open_ns = 60 * kNsPerS;
  double backoff = 2.0;
  // A probe fails if it fails, is slow (unless slow_call_rate is kRateOff) or is not recorded
  // within its lease; an ignored probe just frees its slot.
  std::uint32_t half_open_probes = 3;  // probes in flight at once
  std::uint32_t probes_to_close = 3;   // probe successes that close the breaker
  TimeNs probe_lease_ns = 2 * kNsPerS;

  static constexpr TimeNs kMaxBucketNs = 100 * kNsPerMs;
  static constexpr TimeNs kMinBucketNs = kNsPerUs;
  static constexpr std::int64_t kMaxBuckets = 1024;
  static constexpr std::uint32_t kMaxProbes = 64;
  static constexpr std::uint32_t kMaxProbesToClose = 255;
  static constexpr TimeNs kMaxIntervalNs = 24 * 3600 * kNsPerS;  // open, lease: one day
  static constexpr double kMaxBackoff = 100.0;

  // nullopt if usable, else a message naming the first bad field, e.g.
  // "bucket_ns: expected at most 100 ms, got 250000000 ns".
  [[nodiscard]] std::optional<std::string> validate() const;
};

// What try_acquire() grants. Opaque: hand it back to record() once the call has an outcome.
// A half-open probe holds one of the half_open_probes slots until recorded or until its lease
// ends; recording a rejected permit, a stale one or one whose lease has expired is harmless.
class Permit {
 public:
  Permit() = default;  // rejected
  [[nodiscard]] bool admitted() const noexcept { return kind_ != Kind::rejected; }
  [[nodiscard]] bool is_probe() const noexcept { return kind_ == Kind::probe; }
  [[nodiscard]] std::uint32_t probe_slot() const noexcept { return slot_; }
  [[nodiscard]] TimeNs lease_until_ns() const noexcept { return lease_until_ns_; }

 private:
  friend class Breaker;
  enum class Kind : std::uint8_t { rejected, call, probe };
  std::uint64_t episode_ = 0;  // the breaker's state word when admitted (successes masked)
  std::uint64_t ticket_ = 0;   // probes only: unique, so a reused slot is never confused
  TimeNs lease_until_ns_ = 0;
  std::uint32_t slot_ = 0;
  Kind kind_ = Kind::rejected;
};

// One transition. `failure_rate`, `slow_call_rate` and `calls` are the window's figures when
// a window trip happened (zero for other reasons); `open_until_ns` is set when `to` is a
// dynamic open.
struct BreakerEvent {
  TimeNs at_ns = 0;
  BreakerState from = BreakerState::closed;
  BreakerState to = BreakerState::closed;
  BreakerReason reason = BreakerReason::failure_rate;
  double failure_rate = 0.0;
  double slow_call_rate = 0.0;
  std::uint32_t calls = 0;
  TimeNs open_until_ns = 0;
};

struct BreakerSnapshot {
  BreakerState state = BreakerState::closed;
  ForceMode force = ForceMode::none;
  // The window at `now`; a transition starts a fresh one.
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  std::uint64_t slow_calls = 0;
  double failure_rate = 0.0;
  double slow_call_rate = 0.0;
  std::uint32_t consecutive_trips = 0;  // drives the back-off; 0 once closed
  std::uint64_t trips = 0;              // dynamic trips since construction
  TimeNs open_until_ns = 0;             // set while dynamically open
  std::uint32_t probes_in_flight = 0;
  std::uint32_t probe_successes = 0;
  std::uint64_t rejected = 0;      // try_acquire() refusals since construction
  std::uint64_t late_results = 0;  // records that came after their episode or lease ended
  std::uint64_t events_dropped = 0;
};

class Breaker {
 public:
  // Unread events beyond this make room by dropping the oldest (counted in events_dropped).
  static constexpr std::size_t kEventCapacity = 256;

  // Throws std::invalid_argument with validate()'s message if the config is unusable.
  explicit Breaker(const BreakerConfig& config);
  ~Breaker();
  Breaker(const Breaker&) = delete;
  Breaker& operator=(const Breaker&) = delete;

  // Admission: in closed, one atomic load. Otherwise applies due time-driven transitions,
  // then rejects (open), or admits a probe if a slot is free (half_open).
  [[nodiscard]] Permit try_acquire(TimeNs now) noexcept;
  // The outcome of an admitted call; `now` is when the outcome was known. In closed, one
  // atomic add to this thread's stripe plus reads that other threads seldom invalidate.
  void record(const Permit& permit, CallResult result, TimeNs latency_ns, TimeNs now) noexcept;
  // Applies time-driven transitions due at `now` (a driver may call it from a timer).
  void advance(TimeNs now) noexcept;
  // advance(now), then the state.
  [[nodiscard]] BreakerState state(TimeNs now) noexcept;
  // Pins the breaker open or closed (an event; trips and back-off are kept while forced open);
  // ForceMode::none releases it to a fresh closed state with the back-off reset.
  void force(ForceMode mode, TimeNs now) noexcept;
  // A read-only view: the window figures at `now`, the rest as of the last transition (call
  // advance(now) first for a view with due transitions applied).
  [[nodiscard]] BreakerSnapshot snapshot(TimeNs now) const noexcept;
  // Moves the oldest unread events into `out`, oldest first; returns how many.
  std::size_t drain_events(std::span<BreakerEvent> out) noexcept;
  [[nodiscard]] const BreakerConfig& config() const noexcept { return config_; }

 private:
  struct Counts {
    std::uint64_t calls = 0;
    std::uint64_t failures = 0;
    std::uint64_t slow = 0;
  };
  // Counts published under a tag, seqlock-style: a reader that sees the same tag before and
  // after reading the counts has a consistent copy.
  struct CountsCell {
    std::atomic<std::uint64_t> tag;
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> slow{0};
  };
  // Counters that every call writes, spread over cache lines by thread so that threads on one
  // breaker do not take turns owning one line. Sums are the same however threads are spread.
  struct alignas(64) Stripe {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> rejected{0};
  };
  static constexpr std::size_t kStripes = 8;
  struct ProbeSlot;
  class EventRing;

  [[nodiscard]] static Permit call_permit(std::uint64_t word) noexcept;
  [[nodiscard]] Permit acquire_slow(TimeNs now) noexcept;
  [[nodiscard]] Permit acquire_probe(std::uint64_t word, TimeNs now) noexcept;
  [[nodiscard]] Permit reject() noexcept;
  void record_call(const Permit& permit, CallResult result, TimeNs latency_ns, TimeNs now) noexcept;
  void record_probe(const Permit& permit, CallResult result, TimeNs latency_ns,
                    TimeNs now) noexcept;
  void fail_probe(std::uint64_t episode, BreakerReason reason, TimeNs at_ns) noexcept;
  void succeed_probe(std::uint64_t episode, TimeNs now) noexcept;
  void trip_closed(std::uint64_t word, BreakerReason reason, const Counts& window,
                   TimeNs now) noexcept;
  bool expire_one_lease(std::uint64_t word, TimeNs now) noexcept;
  bool transition(std::uint64_t& expected, std::uint64_t desired,
                  const BreakerEvent& event) noexcept;
  [[nodiscard]] std::uint64_t open_word(std::uint32_t trips, TimeNs from_ns) const noexcept;

  [[nodiscard]] std::int64_t observe_bucket(TimeNs now) noexcept;
  [[nodiscard]] std::int64_t enter_bucket(TimeNs now) noexcept;
  void fill_buckets(std::int64_t last, std::int64_t idx) noexcept;
  [[nodiscard]] Stripe& my_stripe() noexcept;
  [[nodiscard]] std::uint64_t total_calls() const noexcept;
  [[nodiscard]] Counts cumulative() const noexcept;
  [[nodiscard]] std::optional<Counts> window_start(std::int64_t idx) const noexcept;
  [[nodiscard]] std::optional<Counts> window_counts(std::int64_t idx, std::uint64_t episode,
                                                    const Counts& cum) const noexcept;
  void evaluate(std::uint64_t word, std::int64_t idx, const Counts& cum, TimeNs now) noexcept;
  [[nodiscard]] std::optional<BreakerReason> trip_reason(const Counts& window) const noexcept;
  [[nodiscard]] std::uint32_t probes_in_flight(std::uint64_t episode) const noexcept;

  // Immutable after construction.
  const BreakerConfig config_;
  const std::int64_t buckets_;               // window_ns / bucket_ns
  const std::uint64_t ring_mask_;            // ring size (a power of two >= buckets_) - 1
  std::array<TimeNs, 64> open_intervals_{};  // by consecutive trips, capped
  std::unique_ptr<CountsCell[]> ring_;       // counts at the start of each recent bucket
  std::unique_ptr<ProbeSlot[]> probes_;
  std::unique_ptr<EventRing> events_;

  // Read by every call, written only by transitions and once per bucket. 64 bytes apart from
  // the counters every record writes, so other cores keep their copies of these.
  alignas(64) std::atomic<std::uint64_t> state_;
  std::atomic<std::int64_t> last_bucket_;
  CountsCell baseline_;  // cumulative counts when the current episode began

  // Cumulative counts, never reset: a window is a difference of two readings. Calls are
  // striped; failures and slow calls are not (a healthy channel rarely writes them), so a
  // record can read them without visiting every stripe.
  std::array<Stripe, kStripes> stripes_;
  alignas(64) std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> slow_{0};

  alignas(64) std::atomic<std::uint64_t> trips_{0};
  std::atomic<std::uint64_t> late_results_{0};
  std::atomic<std::uint64_t> probe_tickets_{0};

  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
  static_assert(std::atomic<std::int64_t>::is_always_lock_free);
};

}  // namespace fusebox::gateway
