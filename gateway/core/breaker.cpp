#include "fusebox/gateway/breaker.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <stdexcept>

namespace fusebox::gateway {
namespace {

// The whole state machine lives in one 64-bit word, so a transition is one compare-exchange
// and a reader never sees a state without its deadline:
//   bits 0-1 state | 2-3 force | 4-9 consecutive trips | 10-63 payload (54 bits)
// payload: closed -> when the episode began (us); open -> the deadline (us, rounded up);
// half_open -> (deadline's low 46 bits << 8) | probe successes. Microseconds are what let a
// deadline over the whole TimeNs range (292 years) fit beside the state; the price is an open
// interval up to 1 us longer than configured.
constexpr std::uint64_t kTwoBits = 0x3;
constexpr unsigned kForceShift = 2;
constexpr unsigned kTripsShift = 4;
constexpr std::uint64_t kTripsMask = 0x3F;
constexpr std::uint32_t kTripsMax = 63;
constexpr unsigned kPayloadShift = 10;
constexpr std::uint64_t kPayloadMask = (std::uint64_t{1} << 54) - 1;
constexpr unsigned kSuccessBits = 8;
constexpr std::uint64_t kSuccessMask = (std::uint64_t{1} << kSuccessBits) - 1;
constexpr std::uint64_t kDeadlineIdMask = (std::uint64_t{1} << 46) - 1;
// Deadlines stay below this so that converting back to nanoseconds cannot overflow.
constexpr std::uint64_t kMaxDeadlineUs =
    static_cast<std::uint64_t>(std::numeric_limits<TimeNs>::max() / kNsPerUs);

// A tag no bucket index (|idx| < 2^54) and no state word (state bits 0b11) ever has.
constexpr std::uint64_t kBusyTag = (std::uint64_t{1} << 63) | 0x3;
// Marks a probe slot whose claimer is still writing its episode and lease.
constexpr std::uint64_t kClaiming = std::uint64_t{1} << 63;
constexpr int kMaxAdvanceSteps = 8;
constexpr int kMaxRingAttempts = 64;

struct Word {
  BreakerState state = BreakerState::closed;
  ForceMode force = ForceMode::none;
  std::uint32_t trips = 0;
  std::uint64_t payload = 0;
};

constexpr std::uint64_t pack(const Word& w) {
  return static_cast<std::uint64_t>(w.state) |
         (static_cast<std::uint64_t>(w.force) << kForceShift) |
         (static_cast<std::uint64_t>(std::min(w.trips, kTripsMax)) << kTripsShift) |
         ((w.payload & kPayloadMask) << kPayloadShift);
}
constexpr BreakerState state_of(std::uint64_t word) {
  return static_cast<BreakerState>(word & kTwoBits);
}
constexpr ForceMode force_of(std::uint64_t word) {
  return static_cast<ForceMode>((word >> kForceShift) & kTwoBits);
}
constexpr std::uint32_t trips_of(std::uint64_t word) {
  return static_cast<std::uint32_t>((word >> kTripsShift) & kTripsMask);
}
constexpr std::uint64_t payload_of(std::uint64_t word) { return word >> kPayloadShift; }
constexpr std::uint32_t successes_of(std::uint64_t word) {
  return static_cast<std::uint32_t>(payload_of(word) & kSuccessMask);
}
// What identifies an episode (one stay in a state): the word minus the half-open success
// count, which changes within the episode.
constexpr std::uint64_t episode_of(std::uint64_t word) {
  if (state_of(word) != BreakerState::half_open) return word;
  return word & ~(kSuccessMask << kPayloadShift);
}
constexpr std::uint64_t with_successes(std::uint64_t word, std::uint32_t successes) {
  return episode_of(word) | ((successes & kSuccessMask) << kPayloadShift);
}
constexpr TimeNs open_until_ns(std::uint64_t word) {
  return static_cast<TimeNs>(payload_of(word)) * kNsPerUs;
}

constexpr TimeNs saturating_add(TimeNs a, TimeNs b) {  // b >= 0
  return a > std::numeric_limits<TimeNs>::max() - b ? std::numeric_limits<TimeNs>::max() : a + b;
}
constexpr std::uint64_t deadline_us(TimeNs at_ns) {
  if (at_ns <= 0) return 0;
  const auto us = static_cast<std::uint64_t>(at_ns / kNsPerUs + (at_ns % kNsPerUs != 0 ? 1 : 0));
  return std::min(us, kMaxDeadlineUs);
}
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {  // b > 0
  const std::int64_t q = a / b;
  return a % b < 0 ? q - 1 : q;
}

std::uint64_t closed_word(ForceMode force, TimeNs now) {
  return pack({BreakerState::closed, force, 0, deadline_us(now)});
}
std::uint64_t half_open_word(std::uint64_t open) {
  const std::uint64_t id = (payload_of(open) & kDeadlineIdMask) << kSuccessBits;
  return pack({BreakerState::half_open, ForceMode::none, trips_of(open), id});
}

}  // namespace

// --- counts published under a tag ---

namespace {

// A seqlock without fences: the counts are stored with release and loaded with acquire, so a
// reader that sees any new count also sees the busy tag stored before it, in its second look.
// (Both are plain moves on x86, and ThreadSanitizer follows them, which it cannot do for fences.)
template <class Cell, class Counts>
void store_counts(Cell& cell, std::uint64_t tag, const Counts& counts) {
  cell.tag.store(kBusyTag, std::memory_order_relaxed);
  cell.calls.store(counts.calls, std::memory_order_release);
  cell.failures.store(counts.failures, std::memory_order_release);
  cell.slow.store(counts.slow, std::memory_order_release);
  cell.tag.store(tag, std::memory_order_release);
}

// On every record's path, twice: forced inline, as GCC would otherwise keep one shared copy.
template <class Cell, class Counts>
[[gnu::always_inline]] inline std::optional<Counts> load_counts(const Cell& cell,
                                                                std::uint64_t tag) {
  if (cell.tag.load(std::memory_order_acquire) != tag) return std::nullopt;
  const Counts counts{cell.calls.load(std::memory_order_acquire),
                      cell.failures.load(std::memory_order_acquire),
                      cell.slow.load(std::memory_order_acquire)};
  if (cell.tag.load(std::memory_order_relaxed) != tag) return std::nullopt;
  return counts;
}

double rate(std::uint64_t part, std::uint64_t whole) {
  if (part == 0 || whole == 0) return 0.0;
  // Division, not `part >= threshold * whole`: 3 of 30 must trip a 0.1 threshold, and
  // 0.1 * 30 rounds above 3.
  return std::min(1.0, static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

// --- probe slots and the event ring ---

struct Breaker::ProbeSlot {
  std::atomic<std::uint64_t> owner{0};  // 0 free, else the holder's ticket (| kClaiming)
  std::atomic<std::uint64_t> episode{0};
  std::atomic<TimeNs> lease_until_ns{0};
};

// A bounded multi-producer multi-consumer queue (Vyukov's: each cell's sequence number says
// whose turn it is) that makes room by discarding its oldest event when full.
class Breaker::EventRing {
 public:
  EventRing() {
    for (std::size_t i = 0; i < kEventCapacity; ++i)
      cells_[i].seq.store(i);
  }

  void push(const BreakerEvent& event) noexcept {
    for (int attempt = 0; attempt < kMaxRingAttempts; ++attempt) {
      std::uint64_t pos = enqueue_.load(std::memory_order_relaxed);
      Cell& cell = cells_[pos & kMask];
      const auto lag = static_cast<std::int64_t>(cell.seq.load(std::memory_order_acquire) - pos);
      if (lag == 0) {
        if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.event = event;
          cell.seq.store(pos + 1, std::memory_order_release);
          return;
        }
      } else if (lag < 0) {  // full: the oldest unread event gives way
        BreakerEvent oldest;
        if (pop(oldest)) dropped_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    dropped_.fetch_add(1, std::memory_order_relaxed);  // bounded effort: count, never spin on
  }

  bool pop(BreakerEvent& out) noexcept {
    for (int attempt = 0; attempt < kMaxRingAttempts; ++attempt) {
      std::uint64_t pos = dequeue_.load(std::memory_order_relaxed);
      Cell& cell = cells_[pos & kMask];
      const auto lag =
          static_cast<std::int64_t>(cell.seq.load(std::memory_order_acquire) - (pos + 1));
      if (lag < 0) return false;  // empty, or the next event is still being written
      if (lag == 0 && dequeue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        out = cell.event;
        cell.seq.store(pos + kEventCapacity, std::memory_order_release);
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] std::uint64_t dropped() const noexcept {
    return dropped_.load(std::memory_order_relaxed);
  }

 private:
  static_assert(std::has_single_bit(kEventCapacity));
  static constexpr std::uint64_t kMask = kEventCapacity - 1;
  struct Cell {
    std::atomic<std::uint64_t> seq{0};
    BreakerEvent event;  // guarded by seq: written by the producer that claimed the cell
  };
  std::array<Cell, kEventCapacity> cells_;
  alignas(64) std::atomic<std::uint64_t> enqueue_{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

// --- construction ---

namespace {

const BreakerConfig& checked(const BreakerConfig& config) {
  if (auto error = config.validate()) throw std::invalid_argument("breaker: " + *error);
  return config;
}

}  // namespace

Breaker::Breaker(const BreakerConfig& config)
    : config_(checked(config)),
      buckets_(config_.window_ns / config_.bucket_ns),
      ring_mask_(std::bit_ceil(static_cast<std::uint64_t>(buckets_)) - 1),
      ring_(std::make_unique<CountsCell[]>(ring_mask_ + 1)),
      probes_(std::make_unique<ProbeSlot[]>(config_.half_open_probes)),
      events_(std::make_unique<EventRing>()),
      state_(closed_word(ForceMode::none, 0)),
      // Truncating, so that last_bucket_ * bucket_ns cannot overflow.
      last_bucket_(std::numeric_limits<std::int64_t>::min() / config_.bucket_ns) {
  TimeNs interval = config_.open_ns;
  for (std::size_t trips = 1; trips < open_intervals_.size(); ++trips) {
    open_intervals_[trips] = interval;
    const double next = static_cast<double>(interval) * config_.backoff;
    const auto cap = static_cast<double>(config_.max_open_ns);
    interval = next >= cap ? config_.max_open_ns : static_cast<TimeNs>(next);
  }
  for (std::uint64_t i = 0; i <= ring_mask_; ++i)
    ring_[i].tag.store(kBusyTag);
  store_counts(baseline_, episode_of(state_.load()), Counts{});
}

Breaker::~Breaker() = default;

// --- admission ---

Permit Breaker::try_acquire(TimeNs now) noexcept {
  const std::uint64_t word = state_.load(std::memory_order_acquire);
  // Closed (forced or not) has nothing time-driven to apply: admit at once.
  if (state_of(word) == BreakerState::closed) return call_permit(word);
  return acquire_slow(now);
}

Permit Breaker::call_permit(std::uint64_t word) noexcept {
  Permit permit;
  permit.kind_ = Permit::Kind::call;
  permit.episode_ = word;
  return permit;
}

Permit Breaker::acquire_slow(TimeNs now) noexcept {
  advance(now);
  const std::uint64_t word = state_.load(std::memory_order_acquire);
  switch (state_of(word)) {
    case BreakerState::closed:
      return call_permit(word);
    case BreakerState::half_open:
      return acquire_probe(word, now);
    case BreakerState::open:
      break;
  }
  return reject();
}

Permit Breaker::reject() noexcept {
  my_stripe().rejected.fetch_add(1, std::memory_order_relaxed);
  return Permit{};
}

Permit Breaker::acquire_probe(std::uint64_t word, TimeNs now) noexcept {
  const std::uint64_t episode = episode_of(word);
  for (std::uint32_t i = 0; i < config_.half_open_probes; ++i) {
    ProbeSlot& slot = probes_[i];
    std::uint64_t owner = slot.owner.load(std::memory_order_acquire);
    // A slot still held by a probe of an earlier episode is free: that probe's result can no
    // longer change anything. A slot being claimed is not, whatever episode it shows.
    const bool free = owner == 0 || ((owner & kClaiming) == 0 &&
                                     slot.episode.load(std::memory_order_relaxed) != episode);
    if (!free) continue;
    const std::uint64_t ticket = probe_tickets_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (!slot.owner.compare_exchange_strong(owner, ticket | kClaiming, std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
      continue;
    }
    const TimeNs lease_until = saturating_add(now, config_.probe_lease_ns);
    slot.episode.store(episode, std::memory_order_relaxed);
    slot.lease_until_ns.store(lease_until, std::memory_order_relaxed);
    slot.owner.store(ticket, std::memory_order_release);
    if (episode_of(state_.load(std::memory_order_acquire)) != episode) {
      // The episode ended while we claimed: give the slot back rather than probe a state
      // that is gone.
      std::uint64_t mine = ticket;
      slot.owner.compare_exchange_strong(mine, 0, std::memory_order_acq_rel);
      break;
    }
    Permit permit;
    permit.kind_ = Permit::Kind::probe;
    permit.episode_ = episode;
    permit.ticket_ = ticket;
    permit.lease_until_ns_ = lease_until;
    permit.slot_ = i;
    return permit;
  }
  return reject();
}

// --- outcomes ---

void Breaker::record(const Permit& permit, CallResult result, TimeNs latency_ns,
                     TimeNs now) noexcept {
  switch (permit.kind_) {
    case Permit::Kind::call:
      record_call(permit, result, latency_ns, now);
      return;
    case Permit::Kind::probe:
      record_probe(permit, result, latency_ns, now);
      return;
    case Permit::Kind::rejected:
      return;
  }
}

void Breaker::record_call(const Permit& permit, CallResult result, TimeNs latency_ns,
                          TimeNs now) noexcept {
  const std::uint64_t word = state_.load(std::memory_order_acquire);
  if (word != permit.episode_) {  // admitted before a transition: the window it fed is gone
    late_results_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (result == CallResult::ignored) return;
  const std::int64_t idx = observe_bucket(now);
  my_stripe().calls.fetch_add(1, std::memory_order_relaxed);
  Counts cum;  // calls left out: summing the stripes is what evaluate() avoids when it can
  cum.failures = result == CallResult::failure
                     ? failures_.fetch_add(1, std::memory_order_relaxed) + 1
                     : failures_.load(std::memory_order_relaxed);
  cum.slow = latency_ns >= config_.slow_call_ns ? slow_.fetch_add(1, std::memory_order_relaxed) + 1
                                                : slow_.load(std::memory_order_relaxed);
  if (force_of(word) != ForceMode::none) return;  // forced closed: measured, never tripped
  evaluate(word, idx, cum, now);
}

void Breaker::record_probe(const Permit& permit, CallResult result, TimeNs latency_ns,
                           TimeNs now) noexcept {
  if (permit.slot_ >= config_.half_open_probes) return;
  advance(now);  // another probe's lease may have ended first: that verdict comes first
  ProbeSlot& slot = probes_[permit.slot_];
  std::uint64_t owner = permit.ticket_;
  // Freeing its slot is a probe's only way out. If the slot is no longer ours, the lease
  // expired (and counted as a failure) or the episode ended: this result changes nothing.
  if (!slot.owner.compare_exchange_strong(owner, 0, std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
    late_results_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (now >= permit.lease_until_ns_) {  // expired before anyone noticed: same verdict
    late_results_.fetch_add(1, std::memory_order_relaxed);
    fail_probe(permit.episode_, BreakerReason::probe_lease_expired, permit.lease_until_ns_);
    return;
  }
  if (episode_of(state_.load(std::memory_order_acquire)) != permit.episode_) {
    late_results_.fetch_add(1, std::memory_order_relaxed);  // its episode already ended
    return;
  }
  if (result == CallResult::ignored) return;  // the slot is free for another probe
  const bool slow = latency_ns >= config_.slow_call_ns && config_.slow_call_rate <= 1.0;
  if (result == CallResult::failure || slow) {
    fail_probe(permit.episode_, BreakerReason::probe_failed, now);
  } else {
    succeed_probe(permit.episode_, now);
  }
}

// --- transitions ---

bool Breaker::transition(std::uint64_t& expected, std::uint64_t desired,
                         const BreakerEvent& event) noexcept {
  if (!state_.compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
    return false;
  }
  // Every transition starts a fresh window: the new episode measures from here.
  store_counts(baseline_, episode_of(desired), cumulative());
  if (state_of(desired) == BreakerState::open && force_of(desired) == ForceMode::none) {
    trips_.fetch_add(1, std::memory_order_relaxed);
  }
  events_->push(event);
  return true;
}

std::uint64_t Breaker::open_word(std::uint32_t trips, TimeNs from_ns) const noexcept {
  const TimeNs until = saturating_add(from_ns, open_intervals_[trips]);
  return pack({BreakerState::open, ForceMode::none, trips, deadline_us(until)});
}

void Breaker::trip_closed(std::uint64_t word, BreakerReason reason, const Counts& window,
                          TimeNs now) noexcept {
  const std::uint64_t desired = open_word(1, now);
  BreakerEvent event{now, BreakerState::closed, BreakerState::open, reason};
  event.failure_rate = rate(window.failures, window.calls);
  event.slow_call_rate = rate(window.slow, window.calls);
  event.calls = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(window.calls, std::numeric_limits<std::uint32_t>::max()));
  event.open_until_ns = open_until_ns(desired);
  (void)transition(word, desired, event);  // on a lost race another thread already moved it
}

void Breaker::fail_probe(std::uint64_t episode, BreakerReason reason, TimeNs at_ns) noexcept {
  std::uint64_t word = state_.load(std::memory_order_acquire);
  while (state_of(word) == BreakerState::half_open && episode_of(word) == episode) {
    const std::uint64_t desired = open_word(std::min(trips_of(word) + 1, kTripsMax), at_ns);
    BreakerEvent event{at_ns, BreakerState::half_open, BreakerState::open, reason};
    event.open_until_ns = open_until_ns(desired);
    if (transition(word, desired, event)) return;
  }
}

void Breaker::succeed_probe(std::uint64_t episode, TimeNs now) noexcept {
  std::uint64_t word = state_.load(std::memory_order_acquire);
  while (state_of(word) == BreakerState::half_open && episode_of(word) == episode) {
    const std::uint32_t successes = successes_of(word) + 1;
    if (successes >= config_.probes_to_close) {
      const BreakerEvent event{now, BreakerState::half_open, BreakerState::closed,
                               BreakerReason::probes_succeeded};
      if (transition(word, closed_word(ForceMode::none, now), event)) return;
    } else if (state_.compare_exchange_weak(word, with_successes(word, successes),
                                            std::memory_order_acq_rel, std::memory_order_acquire)) {
      return;
    }
  }
}

void Breaker::advance(TimeNs now) noexcept {
  // Each step applies one due transition; a chain (lease expired, re-opened, interval over
  // again) is at most three long, the bound only guards against endless contention.
  for (int step = 0; step < kMaxAdvanceSteps; ++step) {
    std::uint64_t word = state_.load(std::memory_order_acquire);
    if (force_of(word) != ForceMode::none) return;
    if (state_of(word) == BreakerState::open) {
      const TimeNs until = open_until_ns(word);
      if (now < until) return;
      const BreakerEvent event{until, BreakerState::open, BreakerState::half_open,
                               BreakerReason::open_interval_elapsed};
      (void)transition(word, half_open_word(word), event);
    } else if (state_of(word) != BreakerState::half_open || !expire_one_lease(word, now)) {
      return;
    }
  }
}

bool Breaker::expire_one_lease(std::uint64_t word, TimeNs now) noexcept {
  // The earliest expired lease goes first, so the re-opening is stamped with when the first
  // probe was lost.
  const std::uint64_t episode = episode_of(word);
  std::optional<std::uint32_t> oldest;
  TimeNs oldest_lease = 0;
  std::uint64_t oldest_owner = 0;
  for (std::uint32_t i = 0; i < config_.half_open_probes; ++i) {
    const ProbeSlot& slot = probes_[i];
    const std::uint64_t owner = slot.owner.load(std::memory_order_acquire);
    if (owner == 0 || (owner & kClaiming) != 0) continue;
    if (slot.episode.load(std::memory_order_relaxed) != episode) continue;
    const TimeNs lease = slot.lease_until_ns.load(std::memory_order_relaxed);
    if (lease > now || (oldest && lease >= oldest_lease)) continue;
    oldest = i;
    oldest_lease = lease;
    oldest_owner = owner;
  }
  if (!oldest) return false;
  // The ticket makes this exact: if the probe was recorded or the slot reused meanwhile, the
  // exchange fails and the caller looks again.
  if (probes_[*oldest].owner.compare_exchange_strong(oldest_owner, 0, std::memory_order_acq_rel,
                                                     std::memory_order_relaxed)) {
    fail_probe(episode, BreakerReason::probe_lease_expired, oldest_lease);
  }
  return true;
}

void Breaker::force(ForceMode mode, TimeNs now) noexcept {
  advance(now);  // so the event's `from` is the state the breaker was really in at `now`
  std::uint64_t word = state_.load(std::memory_order_acquire);
  while (force_of(word) != mode) {
    BreakerEvent event{now, state_of(word), BreakerState::closed, BreakerReason::force_cleared};
    std::uint64_t desired = closed_word(mode, now);
    if (mode == ForceMode::forced_open) {
      event.to = BreakerState::open;
      event.reason = BreakerReason::forced_open;
      desired = pack({BreakerState::open, mode, trips_of(word), deadline_us(now)});
    } else if (mode == ForceMode::forced_closed) {
      event.reason = BreakerReason::forced_closed;
    }
    if (transition(word, desired, event)) return;
  }
}

BreakerState Breaker::state(TimeNs now) noexcept {
  advance(now);
  return state_of(state_.load(std::memory_order_acquire));
}

// --- the sliding window ---

// Counters are cumulative and never reset; the ring keeps their values at the start of each of
// the last `buckets_` buckets. The window at bucket idx is therefore (now - the counts at the
// start of bucket idx - buckets_ + 1), or since the episode began if that is later: one
// subtraction, however many buckets the window has.

// Most records land in the previous record's bucket: a multiply and a compare, no divide.
inline std::int64_t Breaker::observe_bucket(TimeNs now) noexcept {
  const std::int64_t last = last_bucket_.load(std::memory_order_acquire);
  const auto start = static_cast<std::uint64_t>(last * config_.bucket_ns);
  if (static_cast<std::uint64_t>(now) - start < static_cast<std::uint64_t>(config_.bucket_ns)) {
    return last;
  }
  return enter_bucket(now);
}

std::int64_t Breaker::enter_bucket(TimeNs now) noexcept {
  const std::int64_t idx = floor_div(now, config_.bucket_ns);
  std::int64_t last = last_bucket_.load(std::memory_order_acquire);
  while (idx > last) {
    if (last_bucket_.compare_exchange_weak(last, idx, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
      fill_buckets(last, idx);
      return idx;
    }
  }
  return last;  // another thread is ahead (or time went back): count in the newest bucket
}

void Breaker::fill_buckets(std::int64_t last, std::int64_t idx) noexcept {
  // Nothing was recorded in the buckets skipped since `last`, so they all start with the
  // counts as they are now.
  const Counts cum = cumulative();
  for (std::int64_t k = std::max(last + 1, idx - buckets_ + 1); k <= idx; ++k) {
    store_counts(ring_[static_cast<std::uint64_t>(k) & ring_mask_], static_cast<std::uint64_t>(k),
                 cum);
  }
}

namespace {
// Which stripe this thread writes: handed out in turn, so up to kStripes threads never share
// one. A thread-identity detail, not shared state: no result depends on it.
std::atomic<std::uint32_t> g_next_stripe{0};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
constexpr std::uint32_t kNoStripe = ~std::uint32_t{0};
thread_local std::uint32_t t_stripe = kNoStripe;

constexpr std::uint64_t since(std::uint64_t count, std::uint64_t base) {
  return count > base ? count - base : 0;
}
}  // namespace

inline Breaker::Stripe& Breaker::my_stripe() noexcept {
  if (t_stripe == kNoStripe) t_stripe = g_next_stripe.fetch_add(1, std::memory_order_relaxed);
  return stripes_[t_stripe % kStripes];
}

std::uint64_t Breaker::total_calls() const noexcept {
  std::uint64_t sum = 0;
  for (const Stripe& stripe : stripes_)
    sum += stripe.calls.load(std::memory_order_relaxed);
  return sum;
}

Breaker::Counts Breaker::cumulative() const noexcept {
  Counts counts;
  counts.failures = failures_.load(std::memory_order_relaxed);
  counts.slow = slow_.load(std::memory_order_relaxed);
  counts.calls = total_calls();
  return counts;
}

// The counts at the start of the window at bucket idx (its first bucket). nullopt when there
// are none: nothing was recorded since that bucket began (a read ahead of the last record), or
// a writer is mid-way; both read as an empty window.
inline std::optional<Breaker::Counts> Breaker::window_start(std::int64_t idx) const noexcept {
  const std::int64_t first = idx - buckets_ + 1;
  return load_counts<CountsCell, Counts>(ring_[static_cast<std::uint64_t>(first) & ring_mask_],
                                         static_cast<std::uint64_t>(first));
}

std::optional<Breaker::Counts> Breaker::window_counts(std::int64_t idx, std::uint64_t episode,
                                                      const Counts& cum) const noexcept {
  const auto began = load_counts<CountsCell, Counts>(baseline_, episode);
  if (!began) return std::nullopt;  // the episode's start is still being published
  const auto first = window_start(idx);
  if (!first) return Counts{};
  return Counts{since(cum.calls, std::max(first->calls, began->calls)),
                since(cum.failures, std::max(first->failures, began->failures)),
                since(cum.slow, std::max(first->slow, began->slow))};
}

// The trip check after each record: exact, and cheap because most records prove "no trip"
// from counters other threads rarely write; only the rest sum the call stripes.
inline void Breaker::evaluate(std::uint64_t word, std::int64_t idx, const Counts& cum,
                              TimeNs now) noexcept {
  const auto began = load_counts<CountsCell, Counts>(baseline_, word);
  if (!began) {
    // The episode's start is unpublished: its writer is mid-way, or a writer stalled since an
    // older transition overwrote it. Stamp it now, so a late write delays trips, never stops them.
    store_counts(baseline_, word, cumulative());
    return;
  }
  const auto first = window_start(idx);
  if (!first) return;
  const Counts base{std::max(first->calls, began->calls),
                    std::max(first->failures, began->failures), std::max(first->slow, began->slow)};
  Counts window{0, since(cum.failures, base.failures), since(cum.slow, base.slow)};
  if (window.failures == 0 && window.slow == 0) return;  // no rate above 0 to trip on
  // The calls before this bucket are a lower bound on the window's calls, so rates taken over
  // them are upper bounds (division rounds monotonically): if both are below threshold, no trip.
  const auto current = load_counts<CountsCell, Counts>(
      ring_[static_cast<std::uint64_t>(idx) & ring_mask_], static_cast<std::uint64_t>(idx));
  const std::uint64_t at_least = current ? since(current->calls, base.calls) : 0;
  if (at_least > 0 && rate(window.failures, at_least) < config_.failure_rate &&
      rate(window.slow, at_least) < config_.slow_call_rate) {
    return;
  }
  window.calls = since(total_calls(), base.calls);
  if (const auto reason = trip_reason(window)) trip_closed(word, *reason, window, now);
}

std::optional<BreakerReason> Breaker::trip_reason(const Counts& window) const noexcept {
  if (window.calls < config_.minimum_calls) return std::nullopt;
  if (rate(window.failures, window.calls) >= config_.failure_rate) {
    return BreakerReason::failure_rate;
  }
  if (rate(window.slow, window.calls) >= config_.slow_call_rate) {
    return BreakerReason::slow_call_rate;
  }
  return std::nullopt;
}

// --- observation ---

std::uint32_t Breaker::probes_in_flight(std::uint64_t episode) const noexcept {
  std::uint32_t count = 0;
  for (std::uint32_t i = 0; i < config_.half_open_probes; ++i) {
    const std::uint64_t owner = probes_[i].owner.load(std::memory_order_acquire);
    if (owner == 0) continue;
    if ((owner & kClaiming) != 0 || probes_[i].episode.load(std::memory_order_relaxed) == episode) {
      ++count;
    }
  }
  return count;
}

BreakerSnapshot Breaker::snapshot(TimeNs now) const noexcept {
  const std::uint64_t word = state_.load(std::memory_order_acquire);
  BreakerSnapshot s;
  s.state = state_of(word);
  s.force = force_of(word);
  s.consecutive_trips = trips_of(word);
  s.trips = trips_.load(std::memory_order_relaxed);
  if (s.state == BreakerState::open && s.force == ForceMode::none) {
    s.open_until_ns = open_until_ns(word);
  }
  if (s.state == BreakerState::half_open) {
    s.probes_in_flight = probes_in_flight(episode_of(word));
    s.probe_successes = successes_of(word);
  }
  const std::int64_t idx =
      std::max(floor_div(now, config_.bucket_ns), last_bucket_.load(std::memory_order_acquire));
  if (const auto window = window_counts(idx, episode_of(word), cumulative())) {
    s.calls = window->calls;
    s.failures = window->failures;
    s.slow_calls = window->slow;
    s.failure_rate = rate(window->failures, window->calls);
    s.slow_call_rate = rate(window->slow, window->calls);
  }
  for (const Stripe& stripe : stripes_) {
    s.rejected += stripe.rejected.load(std::memory_order_relaxed);
  }
  s.late_results = late_results_.load(std::memory_order_relaxed);
  s.events_dropped = events_->dropped();
  return s;
}

std::size_t Breaker::drain_events(std::span<BreakerEvent> out) noexcept {
  std::size_t count = 0;
  while (count < out.size() && events_->pop(out[count]))
    ++count;
  return count;
}

// --- names and validation ---

namespace {

constexpr std::array<std::string_view, 3> kStateNames{"closed", "open", "half_open"};
constexpr std::array<std::string_view, 3> kForceNames{"none", "forced_open", "forced_closed"};
constexpr std::array<std::string_view, 3> kResultNames{"success", "failure", "ignored"};
constexpr std::array<std::string_view, 9> kReasonNames{
    "failure_rate", "slow_call_rate",      "open_interval_elapsed",
    "probe_failed", "probe_lease_expired", "probes_succeeded",
    "forced_open",  "forced_closed",       "force_cleared"};

std::string number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), result.ptr};
}
std::string got_ns(TimeNs value) { return ", got " + std::to_string(value) + " ns"; }

std::optional<std::string> check_rate(std::string_view field, double value) {
  if ((value > 0.0 && value <= 1.0) || value == kRateOff) return std::nullopt;
  return std::string(field) + ": expected a fraction in (0, 1], or kRateOff to never trip, got " +
         number(value);
}

std::optional<std::string> check_interval(std::string_view field, TimeNs value) {
  if (value > 0 && value <= BreakerConfig::kMaxIntervalNs) return std::nullopt;
  return std::string(field) + ": expected more than 0 and at most 1 day" + got_ns(value);
}

std::optional<std::string> check_window(const BreakerConfig& c) {
  if (c.bucket_ns < BreakerConfig::kMinBucketNs) {
    return "bucket_ns: expected at least 1 us" + got_ns(c.bucket_ns);
  }
  if (c.bucket_ns > BreakerConfig::kMaxBucketNs) {
    return "bucket_ns: expected at most 100 ms" + got_ns(c.bucket_ns);
  }
  if (c.window_ns < c.bucket_ns || c.window_ns % c.bucket_ns != 0) {
    return "window_ns: expected a positive multiple of bucket_ns (" + std::to_string(c.bucket_ns) +
           " ns)" + got_ns(c.window_ns);
  }
  if (c.window_ns / c.bucket_ns > BreakerConfig::kMaxBuckets) {
    return "window_ns: expected at most 1024 buckets of bucket_ns, got " +
           std::to_string(c.window_ns / c.bucket_ns);
  }
  return std::nullopt;
}

std::optional<std::string> check_open(const BreakerConfig& c) {
  if (auto error = check_interval("open_ns", c.open_ns)) return error;
  if (auto error = check_interval("max_open_ns", c.max_open_ns)) return error;
  if (c.max_open_ns < c.open_ns) {
    return "max_open_ns: expected at least open_ns (" + std::to_string(c.open_ns) + " ns)" +
           got_ns(c.max_open_ns);
  }
  if (!(c.backoff >= 1.0 && c.backoff <= BreakerConfig::kMaxBackoff)) {
    return "backoff: expected a factor from 1 to 100, got " + number(c.backoff);
  }
  return std::nullopt;
}

std::optional<std::string> check_probes(const BreakerConfig& c) {
  if (c.half_open_probes < 1 || c.half_open_probes > BreakerConfig::kMaxProbes) {
    return "half_open_probes: expected 1 to 64, got " + std::to_string(c.half_open_probes);
  }
  if (c.probes_to_close < 1 || c.probes_to_close > BreakerConfig::kMaxProbesToClose) {
    return "probes_to_close: expected 1 to 255, got " + std::to_string(c.probes_to_close);
  }
  return check_interval("probe_lease_ns", c.probe_lease_ns);
}

}  // namespace

std::optional<std::string> BreakerConfig::validate() const {
  if (auto error = check_window(*this)) return error;
  if (auto error = check_rate("failure_rate", failure_rate)) return error;
  if (auto error = check_rate("slow_call_rate", slow_call_rate)) return error;
  if (slow_call_ns <= 0) return "slow_call_ns: expected more than 0" + got_ns(slow_call_ns);
  if (minimum_calls < 1) return std::string("minimum_calls: expected at least 1, got 0");
  if (auto error = check_open(*this)) return error;
  return check_probes(*this);
}

std::string_view to_string(BreakerState state) {
  return kStateNames.at(static_cast<std::size_t>(state));
}
std::string_view to_string(ForceMode mode) {
  return kForceNames.at(static_cast<std::size_t>(mode));
}
std::string_view to_string(CallResult result) {
  return kResultNames.at(static_cast<std::size_t>(result));
}
std::string_view to_string(BreakerReason reason) {
  return kReasonNames.at(static_cast<std::size_t>(reason));
}

}  // namespace fusebox::gateway
