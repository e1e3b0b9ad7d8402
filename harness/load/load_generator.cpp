// The live engine: one io_context on the caller's thread, a timer at each planned instant,
// a bounded pool of keep-alive connections and a bounded FIFO for requests that find no free
// connection. Latency counts from the planned instant, whatever delayed the send.

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "generator_impl.hpp"

namespace fusebox::harness {

namespace generator {

asio::ip::tcp::endpoint resolve(asio::io_context& io, const std::string& host, std::uint16_t port) {
  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(host, error);
  if (!error) return {address, port};
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port));
  return results.begin()->endpoint();
}

}  // namespace generator

using generator::kTick;

void LoadGenerator::Impl::run(SteadyClock::time_point begin, const std::atomic<bool>& stop_flag) {
  start = begin;
  stop = &stop_flag;
  arm_plan_timer();
  tick_timer.expires_after(kTick);
  tick_timer.async_wait([this](const boost::system::error_code& error) {
    if (!error) on_tick();
  });
  io.run();
  io.restart();
  recorder.finish();
}

void LoadGenerator::Impl::arm_plan_timer() {
  const std::optional<TimeNs> next = session.next_planned();
  if (!next) {
    plan_done = true;
    maybe_finish();
    return;
  }
  plan_timer.expires_at(at(*next));
  plan_timer.async_wait([this](const boost::system::error_code& error) {
    if (!error && !stopping) on_plan_timer();
  });
}

// Sends everything that is due (at high rates several instants pass between two wake-ups).
void LoadGenerator::Impl::on_plan_timer() {
  (void)session.release_due(now_ns());
  arm_plan_timer();
}

void LoadGenerator::Impl::on_tick() {
  if (stop->load()) {
    abort_all();
    return;
  }
  const TimeNs now = now_ns();
  recorder.advance(now);
  // The last second the recorder has frozen: (s + 1) s < now - timeout.
  const TimeNs horizon = now - timeout_ns;
  if (horizon > kNsPerS) {
    const auto closed = static_cast<std::size_t>((horizon - 1) / kNsPerS);
    const std::vector<SecondStats>& seconds = recorder.seconds("");
    if (closed >= 1 && closed <= seconds.size()) {
      status.last_second_p99_ms.store(seconds[closed - 1].p99_ms);
    }
  }
  if (finished) return;
  tick_timer.expires_after(kTick);
  tick_timer.async_wait([this](const boost::system::error_code& error) {
    if (!error) on_tick();
  });
}

// The stop flag: nothing more is sent; queued and in-flight requests end as timeouts.
void LoadGenerator::Impl::abort_all() {
  stopping = true;
  plan_done = true;
  plan_timer.cancel();
  std::deque<Pending> waiting;
  waiting.swap(queue);
  for (const Pending& pending : waiting) {
    ExchangeResult result;
    result.kind = ExchangeResult::Kind::timeout;
    result.error = "stopped";
    handle(pending, -1, result);
  }
  for (const auto& slot : connections)
    slot->connection->close();
  maybe_finish();
}

void LoadGenerator::Impl::maybe_finish() {
  if (finished || !plan_done || in_flight != 0 || !queue.empty()) return;
  if (!stopping && session.fetch_left()) return;
  finished = true;
  tick_timer.cancel();
  plan_timer.cancel();
  for (const auto& slot : connections)
    slot->connection->stop_timer();
}

void LoadGenerator::Impl::submit(Pending pending) {
  if (stopping) return;
  if (idle.empty() && connections.size() < max_connections) {
    const std::size_t index = connections.size();
    auto slot = std::make_unique<generator::Slot>();
    slot->connection = std::make_unique<HttpConnection>(
        io, endpoint, config.host,
        [this, index](const ExchangeResult& result) { on_result(index, result); });
    connections.push_back(std::move(slot));
    idle.push_back(index);
  }
  if (!idle.empty()) {
    const std::size_t connection = idle.back();
    idle.pop_back();
    if (!try_start(connection, pending)) release(connection);
    return;
  }
  if (queue.size() >= kMaxQueuedRequests) {
    ExchangeResult full;
    full.kind = ExchangeResult::Kind::transport_error;
    full.error = "generator queue full";
    handle(pending, -1, full);
    return;
  }
  queue.push_back(std::move(pending));
}

// Sends `pending` on the connection, or answers it as a timeout without sending when it
// waited in the queue past its deadline (then the connection stays free: returns false).
bool LoadGenerator::Impl::try_start(std::size_t connection, Pending& pending) {
  const TimeNs now = now_ns();
  const TimeNs deadline_ns = pending.planned.at_ns + timeout_ns;
  const LoadSession::Departure departure = session.depart(pending, now, timeout_ns);
  if (departure == LoadSession::Departure::expired) return false;
  if (departure != LoadSession::Departure::probe) {
    status.sent.fetch_add(1, std::memory_order_relaxed);
  }
  if (departure == LoadSession::Departure::sent_late) {
    status.late.fetch_add(1, std::memory_order_relaxed);
  }
  ++in_flight;
  status.in_flight.fetch_add(1, std::memory_order_relaxed);
  generator::Slot& slot = *connections[connection];
  session.write_call(pending, call);
  slot.pending = std::move(pending);
  slot.sent_ns = now;
  slot.connection->exchange(call.get ? http::verb::get : http::verb::post, call.target, call.body,
                            at(deadline_ns));
  return true;
}

void LoadGenerator::Impl::release(std::size_t connection) {
  while (!queue.empty() && !stopping) {
    Pending pending = std::move(queue.front());
    queue.pop_front();
    if (try_start(connection, pending)) return;
  }
  idle.push_back(connection);
}

// The slot's request stays in place while it is handled: the connection is not released (so
// not reused) until afterwards.
void LoadGenerator::Impl::on_result(std::size_t connection, const ExchangeResult& result) {
  --in_flight;
  status.in_flight.fetch_sub(1, std::memory_order_relaxed);
  const generator::Slot& slot = *connections[connection];
  const Pending& pending = slot.pending;
  if (stopping && result.kind != ExchangeResult::Kind::answered) {
    ExchangeResult abandoned = result;
    abandoned.kind = ExchangeResult::Kind::timeout;  // abandoned at the stop
    handle(pending, slot.sent_ns, abandoned);
  } else {
    handle(pending, slot.sent_ns, result);
  }
  if (Pending fetch; pending.kind == Pending::Kind::final_fetch && session.next_fetch(fetch)) {
    fetch.planned.at_ns = now_ns();
    submit(std::move(fetch));
  }
  release(connection);
  maybe_finish();
}

void LoadGenerator::Impl::run_fetch(const std::atomic<bool>& stop_flag) {
  stop = &stop_flag;
  stopping = false;
  finished = false;
  plan_done = true;
  // Keep at most `connections` in flight: each answer starts the next fetch.
  Pending fetch;
  for (std::size_t started = 0; started < max_connections && session.next_fetch(fetch); ++started) {
    fetch.planned.at_ns = now_ns();
    submit(std::move(fetch));
  }
  maybe_finish();
  if (!finished) {
    tick_timer.expires_after(kTick);
    tick_timer.async_wait([this](const boost::system::error_code& error) {
      if (!error) on_tick();
    });
  }
  io.run();
  io.restart();
  session.restart_fetches();
}

void LoadGenerator::Impl::handle(const Pending& pending, TimeNs sent_ns,
                                 const ExchangeResult& result) {
  const std::optional<Outcome> outcome = session.handle(pending, sent_ns, result);
  if (!outcome) return;
  status.answered.fetch_add(1, std::memory_order_relaxed);
  if (*outcome == Outcome::ok) status.ok.fetch_add(1, std::memory_order_relaxed);
}

LoadGenerator::LoadGenerator(GeneratorConfig config, Recorder& recorder, LoadStatus& status)
    : impl_(std::make_unique<Impl>(std::move(config), recorder, status)) {}

LoadGenerator::~LoadGenerator() = default;

void LoadGenerator::run(std::chrono::steady_clock::time_point start,
                        const std::atomic<bool>& stop) {
  impl_->run(start, stop);
}

void LoadGenerator::fetch_final_statuses(const std::atomic<bool>& stop) { impl_->run_fetch(stop); }

}  // namespace fusebox::harness
