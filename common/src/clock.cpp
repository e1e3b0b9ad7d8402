#include "fusebox/common/clock.hpp"

#include <cassert>

namespace fusebox {

MonotonicClock::MonotonicClock() : origin_(std::chrono::steady_clock::now()) {}

TimeNs MonotonicClock::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              origin_)
      .count();
}

void ManualClock::advance(TimeNs delta_ns) {
  assert(delta_ns >= 0 && "time never runs backwards");
  now_ns_ += delta_ns;
}

void ManualClock::set(TimeNs now_ns) {
  assert(now_ns >= now_ns_ && "time never runs backwards");
  now_ns_ = now_ns;
}

}  // namespace fusebox
