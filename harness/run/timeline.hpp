#pragma once
// The run's one time axis and the things that happen on it: faults switched on in the
// simulator, operator actions on the gateway, the gateway observed once a second, settle
// probes. Everything is planned in seconds since the start of the load and played on one
// thread, in time order; each event records when it actually ran.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/clock.hpp"

namespace fusebox::harness {

// t = 0 is the start of the load, on the steady clock and on the wall clock; in sim mode on
// the virtual clock, whose nanoseconds the gateway and the channels read as their "epoch".
struct RunClock {
  std::chrono::steady_clock::time_point start;
  std::int64_t start_epoch_ms = 0;
  const Clock* virtual_clock = nullptr;  // sim mode: now_s() reads it

  static RunClock starting_in(std::chrono::milliseconds delay);
  static RunClock virtual_from(const Clock& clock, TimeNs start_ns);
  [[nodiscard]] double t_s(std::int64_t epoch_ms) const {
    return static_cast<double>(epoch_ms - start_epoch_ms) / 1000.0;
  }
  [[nodiscard]] std::int64_t epoch_ms(double t_s) const {
    return start_epoch_ms + static_cast<std::int64_t>(t_s * 1000.0);
  }
  [[nodiscard]] double now_s() const;
};

struct TimelineEvent {
  double at_s = 0;
  std::string what;  // for the log: "fault outage-a on wallet-a"
  std::function<void()> run;
};

// Plays events on its own thread from construction until every event has run or stop()
// is called. An event that throws is logged (with what it was) and the rest go on; the
// messages are kept for the result.
class TimelinePlayer {
 public:
  TimelinePlayer(RunClock clock, std::vector<TimelineEvent> events);
  ~TimelinePlayer();
  void stop();
  void join();
  [[nodiscard]] std::vector<std::string> errors() const;

 private:
  void play();

  RunClock clock_;
  std::vector<TimelineEvent> events_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> errors_;
  std::thread thread_;
};

// One second's view of the gateway: GET /admin/channels and GET /metrics, per channel.
struct GatewayTick {
  double t_s = 0;
  struct Channel {
    std::string breaker;  // payments breaker: "closed" | "open" | "half_open"
    std::int64_t pending = 0;
    bool enabled = true;
    std::int64_t rejected = 0;
    // From /metrics (fusebox_gateway_calls_total), cumulative over every operation: calls
    // that left for the channel, and those the channel answered ok. -1: not scraped.
    std::int64_t calls = -1, calls_ok = -1;
  };
  std::map<std::string, Channel> channels;
};

}  // namespace fusebox::harness
