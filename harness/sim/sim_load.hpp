#pragma once
// The open-loop load in virtual time: the same arrival plan and the same LoadSession as the
// live generator (what each request is, what its answer means), over a modelled pool of
// `connections` keep-alive connections: a request that finds none free waits in FIFO order,
// latency counts from its planned instant, and no answer within request_timeout_s is a timeout.

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "fusebox/harness/load.hpp"
#include "fusebox/harness/load_session.hpp"

#include "sim_world.hpp"

namespace fusebox::harness::simmode {

class SimLoad {
 public:
  // t = 0 of the load is `start_ns` on the world's clock.
  SimLoad(SimWorld& world, const LoadSpec& load, std::uint64_t seed, Recorder& recorder,
          TimeNs start_ns);
  void start();
  [[nodiscard]] std::uint64_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::size_t queued() const { return queue_.size(); }
  // After the run: every order seen is read once more (GET /v1/payments/{id}), in process.
  void fetch_final_statuses();

 private:
  struct Exchange;
  [[nodiscard]] TimeNs load_now() const;
  void on_arrivals();
  void submit(PendingRequest pending);
  void start_exchange(PendingRequest pending);
  void finish(const std::shared_ptr<Exchange>& exchange, const ExchangeResult& result);
  void release();
  void advance_recorder();

  SimWorld& world_;
  LoadSpec load_;
  Recorder& recorder_;
  TimeNs start_ns_;
  TimeNs timeout_ns_;
  std::size_t connections_;
  LoadSession session_;
  std::deque<PendingRequest> queue_;
  std::uint64_t in_flight_ = 0;
  MerchantCall call_;  // reused
};

}  // namespace fusebox::harness::simmode
