#pragma once
// A channel's processing capacity as a queue: at most `max_concurrency` requests in service
// and `max_queue` waiting; a request past both is rejected. Latency and rejections therefore
// grow with load, as a real channel's do. Pure: it only tracks when each server frees up.

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include "fusebox/common/clock.hpp"

namespace fusebox::sim {

struct CapacityConfig {
  std::size_t max_concurrency = 0;  // 0: unlimited (no queueing at all)
  std::size_t max_queue = 0;        // requests that may wait for a free server
};

class CapacityModel {
 public:
  explicit CapacityModel(CapacityConfig config);

  // A request arriving at `now_ns` that needs `service_ns` of work: when it completes, or
  // nullopt when every server is busy and the queue is full. Arrivals must come in time order.
  [[nodiscard]] std::optional<TimeNs> admit(TimeNs now_ns, TimeNs service_ns);
  [[nodiscard]] std::size_t waiting(TimeNs now_ns);
  [[nodiscard]] const CapacityConfig& config() const { return config_; }

 private:
  void forget_started(TimeNs now_ns);

  CapacityConfig config_;
  // When each server becomes free (a min-heap of max_concurrency entries).
  std::priority_queue<TimeNs, std::vector<TimeNs>, std::greater<>> free_at_;
  std::deque<TimeNs> queued_starts_;  // start times still in the future, ascending
};

}  // namespace fusebox::sim
