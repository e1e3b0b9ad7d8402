#include "timeline.hpp"

#include <algorithm>
#include <ctime>
#include <exception>
#include <iomanip>
#include <sstream>

#include "fusebox/harness/runner.hpp"

namespace fusebox::harness {

std::string utc_now(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::ostringstream out;
  out << std::put_time(&utc, format);
  return out.str();
}

RunClock RunClock::starting_in(std::chrono::milliseconds delay) {
  RunClock clock;
  clock.start = std::chrono::steady_clock::now() + delay;
  clock.start_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             (std::chrono::system_clock::now() + delay).time_since_epoch())
                             .count();
  return clock;
}

RunClock RunClock::virtual_from(const Clock& clock, TimeNs start_ns) {
  RunClock run;
  run.start_epoch_ms = start_ns / kNsPerMs;
  run.virtual_clock = &clock;
  return run;
}

double RunClock::now_s() const {
  if (virtual_clock != nullptr) {
    return static_cast<double>(virtual_clock->now_ns() - start_epoch_ms * kNsPerMs) / 1e9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TimelinePlayer::TimelinePlayer(RunClock clock, std::vector<TimelineEvent> events)
    : clock_(clock), events_(std::move(events)) {
  std::stable_sort(events_.begin(), events_.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.at_s < b.at_s; });
  thread_ = std::thread([this] { play(); });
}

TimelinePlayer::~TimelinePlayer() {
  stop();
  join();
}

void TimelinePlayer::stop() { stop_ = true; }

void TimelinePlayer::join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> TimelinePlayer::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

void TimelinePlayer::play() {
  constexpr auto kStopCheck = std::chrono::milliseconds(20);
  for (TimelineEvent& event : events_) {
    const auto due = clock_.start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(event.at_s));
    // Wake in short slices so stop() ends the run promptly.
    while (!stop_ && std::chrono::steady_clock::now() < due) {
      std::this_thread::sleep_until(std::min(due, std::chrono::steady_clock::now() + kStopCheck));
    }
    if (stop_) return;
    try {
      event.run();
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      errors_.push_back(event.what + " at " + std::to_string(event.at_s) + " s: " + e.what());
    }
  }
}

}  // namespace fusebox::harness
