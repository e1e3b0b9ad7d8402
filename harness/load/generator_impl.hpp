#pragma once
// The generator's state, shared by load_generator.cpp (the event loop and the pool) and
// generator_requests.cpp (what each op sends and what its answer means).

#include <atomic>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http_connection.hpp"
#include "load_internal.hpp"

namespace fusebox::harness {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace generator {

constexpr std::size_t kQueueBound = 100'000;
constexpr std::size_t kOrderBookSize = 100'000;
constexpr auto kTick = std::chrono::milliseconds(50);

// One request on its way. Probes and final fetches are not part of the plan: the recorder
// does not count them as load, only what they reveal.
struct Pending {
  enum class Kind : std::uint8_t { planned, duplicate_probe, conflict_probe, final_fetch };
  Kind kind = Kind::planned;
  PlannedRequest planned;  // op after fallback; at_ns is the planned instant
  std::string merchant_order_id, payment_id, channel, expected_payment_id;
  std::int64_t amount = 0;
  std::uint64_t refund_number = 0;  // a refund's merchant_refund_id is "<id_prefix>-r<n>"
  http::verb verb = http::verb::post;
};

// A connection of the pool and the request it carries (kept here, not in a callback, so an
// exchange copies nothing). Held by pointer: its address stays put as the pool grows.
struct Slot {
  std::unique_ptr<HttpConnection> connection;
  Pending pending;
  TimeNs sent_ns = 0;
};

[[nodiscard]] asio::ip::tcp::endpoint resolve(asio::io_context& io, const std::string& host,
                                              std::uint16_t port);

}  // namespace generator

struct LoadGenerator::Impl {
  using Pending = generator::Pending;
  GeneratorConfig config;
  Recorder& recorder;
  LoadStatus& status;
  asio::io_context io{1};  // one thread runs it: lets Asio skip some locking
  asio::ip::tcp::endpoint endpoint;
  std::vector<std::unique_ptr<generator::Slot>> connections;
  std::vector<std::size_t> idle;  // indexes into connections, most recently used last
  std::deque<Pending> queue;
  ArrivalPlan plan;
  std::optional<PlannedRequest> next;
  asio::steady_timer plan_timer{io}, tick_timer{io};
  SteadyClock::time_point start{};
  TimeNs timeout_ns = 0;
  std::size_t max_connections = 1;
  std::uint64_t in_flight = 0, pays = 0, refunds = 0;
  bool plan_done = false, stopping = false, finished = false;
  const std::atomic<bool>* stop = nullptr;
  OrderBook book{generator::kOrderBookSize};
  Rng picks;
  std::vector<LoadTarget> targets;
  std::string target_scratch, body_scratch;  // what try_start sends, reused

  Impl(GeneratorConfig c, Recorder& r, LoadStatus& s)
      : config(std::move(c)),
        recorder(r),
        status(s),
        plan(config.load, config.seed),
        picks(Rng::stream(config.seed, "load.picks")),
        targets(config.load.targets) {
    if (targets.empty()) targets.push_back(LoadTarget{"wallet", "", 1});
    if (config.id_prefix.empty()) config.id_prefix = "load";
    timeout_ns = static_cast<TimeNs>(config.load.request_timeout_s * 1e9);
    max_connections = static_cast<std::size_t>(std::clamp(config.load.connections, 1, 4096));
    endpoint = generator::resolve(io, config.host, config.port);
  }

  [[nodiscard]] TimeNs now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count();
  }
  [[nodiscard]] SteadyClock::time_point at(TimeNs ns) const {
    return start + std::chrono::nanoseconds(ns);
  }

  void run(SteadyClock::time_point begin, const std::atomic<bool>& stop_flag);
  void arm_plan_timer();
  void on_plan_timer();
  void on_tick();
  void abort_all();
  void maybe_finish();
  // The pool (load_generator.cpp).
  void submit(Pending pending);
  [[nodiscard]] bool try_start(std::size_t connection, Pending& pending);
  void release(std::size_t connection);
  void on_result(std::size_t connection, const ExchangeResult& result);
  // The request line's target and the body of `pending`, into the scratch strings.
  void write_request(const Pending& pending);
  void run_fetch(const std::atomic<bool>& stop_flag);
  // What each request is and what its answer means (generator_requests.cpp).
  [[nodiscard]] Pending resolve_planned(const PlannedRequest& planned);
  void handle(const Pending& pending, TimeNs sent_ns, const ExchangeResult& result);
  void handle_planned(const Pending& pending, TimeNs sent_ns, const ExchangeResult& result);
  void follow_up(const Pending& pending, const ParsedAnswer& parsed);
  void check_probe(const Pending& pending, const ExchangeResult& result);
  void note_payment(const std::string& merchant_order_id, const ParsedAnswer& parsed,
                    const std::string& channel, std::int64_t amount);
  [[nodiscard]] Pending probe_of(const Pending& first, Pending::Kind kind) const;

  // fetch_final_statuses: every payment id seen, read from the recorder a slice of positions at
  // a time (a long run has millions; a full list would double the recorder's memory).
  [[nodiscard]] bool next_fetch(Pending& out);
  void refill_fetches();
  std::vector<Pending> fetches;
  std::size_t fetch_next = 0, fetch_position = 0;
};

}  // namespace fusebox::harness
