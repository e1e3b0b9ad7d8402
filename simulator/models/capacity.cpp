#include "fusebox/simulator/capacity.hpp"

#include <algorithm>
#include <cassert>

namespace fusebox::sim {

CapacityModel::CapacityModel(CapacityConfig config) : config_(config) {
  for (std::size_t i = 0; i < config_.max_concurrency; ++i)
    free_at_.push(0);
}

std::optional<TimeNs> CapacityModel::admit(TimeNs now_ns, TimeNs service_ns) {
  assert(service_ns >= 0);
  if (config_.max_concurrency == 0) return now_ns + service_ns;
  forget_started(now_ns);
  // FIFO: the request starts when the earliest server frees up, never before now.
  const TimeNs start_ns = std::max(now_ns, free_at_.top());
  if (start_ns > now_ns && queued_starts_.size() >= config_.max_queue) return std::nullopt;
  free_at_.pop();
  free_at_.push(start_ns + service_ns);
  if (start_ns > now_ns) queued_starts_.push_back(start_ns);
  return start_ns + service_ns;
}

std::size_t CapacityModel::waiting(TimeNs now_ns) {
  forget_started(now_ns);
  return queued_starts_.size();
}

void CapacityModel::forget_started(TimeNs now_ns) {
  while (!queued_starts_.empty() && queued_starts_.front() <= now_ns)
    queued_starts_.pop_front();
}

}  // namespace fusebox::sim
