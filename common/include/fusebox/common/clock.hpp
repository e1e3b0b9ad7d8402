#pragma once
// Time for fusebox: int64 nanoseconds on one axis, read through an interface so the same
// decision code runs on real time (live mode) and on virtual time (sim mode).

#include <chrono>
#include <cstdint>

namespace fusebox {

// A point or a span on a clock's axis, in nanoseconds. Virtual clocks start at 0 when the
// scenario starts; the real clock starts at 0 when it is constructed.
using TimeNs = std::int64_t;

inline constexpr TimeNs kNsPerUs = 1'000;
inline constexpr TimeNs kNsPerMs = 1'000'000;
inline constexpr TimeNs kNsPerS = 1'000'000'000;

[[nodiscard]] constexpr TimeNs from_ms(std::int64_t ms) { return ms * kNsPerMs; }
[[nodiscard]] constexpr TimeNs from_s(std::int64_t s) { return s * kNsPerS; }
[[nodiscard]] constexpr double to_ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }
[[nodiscard]] constexpr double to_s(TimeNs ns) { return static_cast<double>(ns) / 1e9; }

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  [[nodiscard]] virtual TimeNs now_ns() const = 0;
};

// Real time: std::chrono::steady_clock, so the axis never jumps when the wall clock is set.
class MonotonicClock final : public Clock {
 public:
  MonotonicClock();
  [[nodiscard]] TimeNs now_ns() const override;

 private:
  std::chrono::steady_clock::time_point origin_;
};

// A clock that moves only when told to: for tests of code that holds a Clock.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeNs start_ns = 0) : now_ns_(start_ns) {}
  [[nodiscard]] TimeNs now_ns() const override { return now_ns_; }
  void advance(TimeNs delta_ns);
  void set(TimeNs now_ns);

 private:
  TimeNs now_ns_;
};

}  // namespace fusebox
