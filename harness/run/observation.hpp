#pragma once
// What the harness plays on and reads from the parts during a live run: it plans the
// timeline (faults, operator actions, a gateway observation each second, settle probes),
// prints the live status line, and at the end gathers the gateway's books, the channels'
// ledgers, breaker events and alerts for the checker and the assertions.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fusebox/harness/assertions.hpp"
#include "fusebox/harness/checker.hpp"
#include "fusebox/harness/load.hpp"
#include "fusebox/harness/scenario.hpp"

#include "part_apis.hpp"
#include "result_builder.hpp"
#include "timeline.hpp"

namespace fusebox::harness {

class Observer {
 public:
  // `sim_origin_ms`: the simulator's clock origin on the wall clock (ledger instants and
  // fault times count from it).
  Observer(const Scenario& scenario, const SimulatorApi& sim, const GatewayApi& gateway,
           std::int64_t sim_origin_ms, const LoadStatus& load, std::ostream* status_line);

  void set_clock(const RunClock& clock) { clock_ = clock; }
  // Every event of the run, on the scenario's time axis.
  [[nodiscard]] std::vector<TimelineEvent> events();
  void end_status_line();

  // The checker over the final books; judges lost payments up to `settled_by_ms`. Also
  // fetches the breaker events and alerts returned below.
  [[nodiscard]] CheckReport final_check(const Recorder& recorder, std::int64_t settled_by_ms);
  [[nodiscard]] std::vector<BreakerTransition> breaker_events() const;
  [[nodiscard]] std::vector<AlertSeen> alerts() const;
  [[nodiscard]] std::vector<SettleProbe> probes() const;
  [[nodiscard]] RefundRatesSeen refund_rates() const;
  // One tick per second for `seconds` seconds (a missing observation is an empty tick).
  [[nodiscard]] std::vector<GatewayTick> ticks(std::size_t seconds) const;
  // Removes every fault this run added (used with a simulator the run did not start).
  void clear_faults() const;

 private:
  void add_fault_events(std::vector<TimelineEvent>& events);
  void add_action_events(std::vector<TimelineEvent>& events);
  void add_probe_events(std::vector<TimelineEvent>& events);
  void observe(std::size_t second);
  void probe(std::size_t index, double planned_s);
  void print_status(const GatewayTick& tick);
  // `last`: the final books, after which the parts are asked nothing more (each may free
  // what it kept only for them as soon as it has been read).
  [[nodiscard]] CheckInput books(std::int64_t settled_by_ms, bool last = false);
  [[nodiscard]] std::vector<ClosedSpan> closed_spans(std::int64_t now_ms) const;
  void fetch_events();

  const Scenario& scenario_;
  const SimulatorApi& sim_;
  const GatewayApi& gateway_;
  std::int64_t sim_origin_ms_;
  const LoadStatus& load_;
  std::ostream* status_line_;
  RunClock clock_;
  std::map<std::string, std::string> channel_method_;  // from the gateway's channel list

  mutable std::mutex mutex_;  // the timeline thread writes, the runner reads at the end
  std::map<std::size_t, GatewayTick> ticks_;
  std::vector<SettleProbe> probes_;
  std::vector<ClosedSpan> switched_off_;  // open spans have to_ms = INT64_MAX
  std::vector<BreakerTransition> breaker_events_;
  std::vector<AlertSeen> alerts_;
  RefundRatesSeen refund_rates_;
  std::uint64_t last_answered_ = 0;
};

// After the settle period: the books, the checker and the verdicts, into `record` (ticks,
// breaker events, alerts, assertions; `report` must outlive it). A part that no longer
// answers leaves the checker empty and the run failed, with the reason among the problems.
void judge_run(const Scenario& s, const Recorder& recorder, Observer& observer,
               const RunClock& clock, RunRecord& record, CheckReport& report);

}  // namespace fusebox::harness
