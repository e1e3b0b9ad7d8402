#pragma once
// The open-loop load generator (wrk2's model). Requests go out on a planned schedule whatever
// the answers do; latency counts from the planned send time, so a stalled gateway shows as
// latency instead of hiding as fewer requests (no coordinated omission). A send that leaves
// more than kLateThreshold after its planned time is counted late, never dropped.
//
//   ArrivalPlan (pure, seeded)  --PlannedRequest-->  LoadGenerator (Asio, keep-alive pool)
//                                                        |  Answer
//                                                        v
//                                                    Recorder (pure): per-second series,
//                                                    window histograms, the orders seen

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/histogram.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/harness/checker.hpp"
#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness {

enum class Op : std::uint8_t { pay, refund, query, close };
[[nodiscard]] std::string_view to_string(Op op);

// One planned request. Which order a refund, query or close targets is chosen when it is
// sent (from the orders answered so far), so the plan itself is a pure function of the load
// spec and the seed.
struct PlannedRequest {
  TimeNs at_ns = 0;  // since the start of the load
  Op op = Op::pay;
  std::uint32_t target = 0;  // index into LoadSpec::targets (pay)
  std::int64_t amount_minor = 0;
  enum class Probe : std::uint8_t { none, duplicate, conflict } probe = Probe::none;
};

// Arrival times from the phases: Poisson (exponential gaps at the instantaneous rate, by
// thinning for ramps and spikes) or uniform (evenly spaced); ops, targets, amounts and
// probes drawn from named streams of the seed. Pure: the same spec and seed give the same
// sequence on every machine.
class ArrivalPlan {
 public:
  ArrivalPlan(const LoadSpec& load, std::uint64_t seed);
  // The next request in time order, or nullopt after the last phase.
  [[nodiscard]] std::optional<PlannedRequest> next();
  // How many requests the plan holds in total (computed once by walking a copy).
  [[nodiscard]] std::uint64_t count() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// How one answer is classified (docs/SCENARIOS.md, "What the generator counts"):
//   ok        pay: SUCCEEDED or PROCESSING on a channel; refund: SUCCEEDED or PROCESSING;
//             query/close: 200
//   declined  FAILED with DECLINED or CHANNEL_REJECTED:* (the channel worked and said no)
//   rejected  FAILED with CHANNEL_UNAVAILABLE or METHOD_DISABLED: failed fast, never sent
//   failed    any other FAILED
//   refused   a 4xx the load expects (422 not refundable, 409 on a conflict probe)
//   http_error   any other non-2xx status
//   transport_error  connection refused, reset, malformed answer
//   timeout   no answer within the load's request_timeout_s
enum class Outcome : std::uint8_t {
  ok,
  declined,
  rejected,
  failed,
  refused,
  http_error,
  transport_error,
  timeout
};
inline constexpr std::size_t kOutcomeCount = 8;
[[nodiscard]] std::string_view to_string(Outcome outcome);

struct Answer {
  Op op = Op::pay;
  std::string channel;  // the pinned channel, else the answer's "channel", else ""
  Outcome outcome = Outcome::ok;
  TimeNs planned_ns = 0;  // since the start of the load
  TimeNs sent_ns = 0;
  TimeNs done_ns = 0;
  int http_status = 0;
};

// What the recorder keeps for one second (by planned send time) and one channel ("" is the
// whole load). Latencies in ms; 0 (never NaN) when the second had no answer: the runner
// writes those as null. `sent` counts the requests planned in that second (for a named
// channel, those whose answer was attributed to it); every one ends in one outcome.
struct SecondStats {
  std::uint64_t sent = 0;
  std::array<std::uint64_t, kOutcomeCount> outcomes{};
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// The statistics of one window and channel, for the window's op only: counts and two latency
// histograms (every answer, and the rejected ones: the fail-fast path).
struct WindowStats {
  std::uint64_t sent = 0;
  std::array<std::uint64_t, kOutcomeCount> outcomes{};
  Histogram latency{latency_histogram_config()};
  Histogram rejected_latency{latency_histogram_config()};
};

// Pure and single-threaded. Histogram memory is fixed by the number of windows and channels,
// never by the run's length: each window (declared up front, [from_s, to_s) by planned send
// time) keeps full-precision histograms per channel; each second keeps only SecondStats,
// frozen from a small ring of per-second histograms once no answer can still arrive for it.
class Recorder {
 public:
  struct WindowDecl {
    double from_s = 0, to_s = 0;
    std::string op = "pay";  // which op's latency goes into the histograms; "" = every op
  };
  // `step_s`: the width of one "second" of the series; long runs (a sales day, a week) use
  // wider steps so the series stay a few thousand points (timeline_step_s()).
  Recorder(std::vector<std::string> channels, std::vector<WindowDecl> windows, double duration_s,
           double request_timeout_s, double step_s = 1.0);

  // A planned instant came (whether or not the request could then be sent).
  void on_planned(const PlannedRequest& request);
  void on_sent(const PlannedRequest& request, TimeNs sent_ns, const std::string& channel);
  void on_answer(const Answer& answer);
  // Bookkeeping for the checker: every status answered for a merchant order, and probes.
  void on_order_status(const std::string& merchant_order_id, const std::string& payment_id,
                       std::int64_t amount, const std::string& status);
  void on_idempotency_breach(IdempotencyBreach breach);
  // Sends that left later than planned by more than kLateThreshold (lateness() holds the
  // lateness of every send).
  void on_late(TimeNs lateness_ns);
  // Closes every second up to `now_ns` (no answer can arrive for them any more). The
  // generator calls it as time passes; finish() closes the rest.
  void advance(TimeNs now_ns);
  void finish();

  [[nodiscard]] const std::vector<std::string>& channels() const;
  // Per-second series, index = second; channel "" for the whole load.
  [[nodiscard]] const std::vector<SecondStats>& seconds(const std::string& channel) const;
  [[nodiscard]] const WindowStats& window(std::size_t index, const std::string& channel) const;
  [[nodiscard]] const Histogram& run_latency(const std::string& channel) const;  // every op
  // Every order seen, in place (a compact record each): what the checker reads.
  [[nodiscard]] const SeenSource& seen_source() const;
  // The same as a list (a full copy, for tests and small runs), by order number.
  [[nodiscard]] std::vector<SeenOrder> seen_orders() const;
  [[nodiscard]] const std::vector<IdempotencyBreach>& idempotency_breaches() const;
  [[nodiscard]] std::uint64_t planned() const;
  [[nodiscard]] std::uint64_t sent() const;
  [[nodiscard]] std::uint64_t late() const;
  [[nodiscard]] const Histogram& lateness() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

inline constexpr TimeNs kLateThreshold = 10'000'000;  // 10 ms

// A snapshot for the live status line; safe to read from another thread.
struct LoadStatus {
  std::atomic<std::uint64_t> sent{0}, answered{0}, ok{0}, late{0}, in_flight{0};
  std::atomic<double> last_second_p99_ms{0};
};

struct GeneratorConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  LoadSpec load;
  std::uint64_t seed = 1;
  std::string id_prefix;  // merchant ids are "<id_prefix>-<n>" (unique per run)
};

// Runs the plan over a bounded pool of keep-alive HTTP/1.1 connections to the merchant API
// on one Asio thread (the caller's), from `start` until every planned request has been
// answered or timed out, or `stop` turns true (then in-flight requests are abandoned and
// counted as timeouts). With no free connection a request waits in a bounded queue; it
// still counts its latency from its planned time.
class LoadGenerator {
 public:
  LoadGenerator(GeneratorConfig config, Recorder& recorder, LoadStatus& status);
  ~LoadGenerator();
  void run(std::chrono::steady_clock::time_point start, const std::atomic<bool>& stop);
  // After run(): GET /v1/payments/{id} for every order seen, recording the final statuses
  // (the checker's last view), with at most `connections` requests in flight.
  void fetch_final_statuses(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusebox::harness
