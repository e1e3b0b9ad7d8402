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

constexpr auto kTick = std::chrono::milliseconds(50);

using Pending = PendingRequest;

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
  asio::steady_timer plan_timer{io}, tick_timer{io};
  SteadyClock::time_point start{};
  TimeNs timeout_ns = 0;
  std::size_t max_connections = 1;
  std::uint64_t in_flight = 0;
  bool plan_done = false, stopping = false, finished = false;
  const std::atomic<bool>* stop = nullptr;
  LoadSession session;
  MerchantCall call;  // what try_start sends, reused

  Impl(GeneratorConfig c, Recorder& r, LoadStatus& s)
      : config(std::move(c)),
        recorder(r),
        status(s),
        session(
            config.load, config.seed, config.id_prefix, recorder,
            [this](Pending pending) { submit(std::move(pending)); }, [this] { return now_ns(); }) {
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
  // The session's verdict, and the live status line's counters.
  void handle(const Pending& pending, TimeNs sent_ns, const ExchangeResult& result);
};

}  // namespace fusebox::harness
