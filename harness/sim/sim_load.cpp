// The load generator's virtual-time engine (sim_load.hpp).
#include "sim_load.hpp"

#include <algorithm>
#include <optional>

#include "fusebox/gateway/gateway_core.hpp"

namespace fusebox::harness::simmode {

namespace {
constexpr TimeNs kRecorderTick = 250 * kNsPerMs;
}  // namespace

struct SimLoad::Exchange {
  PendingRequest pending;
  TimeNs sent_ns = 0;  // on the load's axis
  bool done = false;
};

SimLoad::SimLoad(SimWorld& world, const LoadSpec& load, std::uint64_t seed, Recorder& recorder,
                 TimeNs start_ns)
    : world_(world),
      load_(load),
      recorder_(recorder),
      start_ns_(start_ns),
      timeout_ns_(static_cast<TimeNs>(load.request_timeout_s * 1e9)),
      connections_(static_cast<std::size_t>(std::clamp(load.connections, 1, 4096))),
      session_(
          load, seed, "sim-" + std::to_string(seed), recorder,
          [this](PendingRequest pending) { submit(std::move(pending)); },
          [this] { return load_now(); }) {}

TimeNs SimLoad::load_now() const { return world_.scheduler().now_ns() - start_ns_; }

void SimLoad::start() {
  if (const auto next = session_.next_planned()) {
    (void)world_.scheduler().schedule_at(start_ns_ + *next, [this] { on_arrivals(); });
  }
  (void)world_.scheduler().schedule_at(start_ns_ + kRecorderTick, [this] { advance_recorder(); });
}

void SimLoad::advance_recorder() {
  recorder_.advance(load_now());
  if (session_.next_planned() || in_flight_ > 0 || !queue_.empty()) {
    (void)world_.scheduler().schedule_after(kRecorderTick, [this] { advance_recorder(); });
  }
}

void SimLoad::on_arrivals() {
  if (const auto next = session_.release_due(load_now())) {
    (void)world_.scheduler().schedule_at(start_ns_ + *next, [this] { on_arrivals(); });
  }
}

void SimLoad::submit(PendingRequest pending) {
  if (in_flight_ < connections_) return start_exchange(std::move(pending));
  if (queue_.size() >= kMaxQueuedRequests) {
    ExchangeResult full;
    full.kind = ExchangeResult::Kind::transport_error;
    full.error = "generator queue full";
    (void)session_.handle(pending, -1, full);
    return;
  }
  queue_.push_back(std::move(pending));
}

// As the live pool: a request that waited past its deadline for a connection is a timeout
// that never left; a planned one is counted sent (and late, when it is) as it leaves.
void SimLoad::start_exchange(PendingRequest pending) {
  const TimeNs now = load_now();
  const TimeNs deadline = pending.planned.at_ns + timeout_ns_;
  if (session_.depart(pending, now, timeout_ns_) == LoadSession::Departure::expired) return;
  ++in_flight_;
  auto exchange = std::make_shared<Exchange>();
  exchange->pending = std::move(pending);
  exchange->sent_ns = now;
  session_.write_call(exchange->pending, call_);
  net::HttpRequestIn in;
  in.method = call_.get ? "GET" : "POST";
  in.target = call_.target;
  in.body = call_.body;
  world_.merchant_call(std::move(in), [this, exchange](const net::HttpResponseOut& out) {
    ExchangeResult result;
    result.status = out.status;
    result.body = out.body;
    finish(exchange, result);
  });
  (void)world_.scheduler().schedule_at(start_ns_ + deadline, [this, exchange] {
    ExchangeResult timeout;
    timeout.kind = ExchangeResult::Kind::timeout;
    timeout.error = "no answer within the request timeout";
    finish(exchange, timeout);
  });
}

void SimLoad::finish(const std::shared_ptr<Exchange>& exchange, const ExchangeResult& result) {
  if (exchange->done) return;  // the answer and the timeout race; the first one wins
  exchange->done = true;
  --in_flight_;
  (void)session_.handle(exchange->pending, exchange->sent_ns, result);
  release();
}

void SimLoad::release() {
  while (!queue_.empty() && in_flight_ < connections_) {
    PendingRequest pending = std::move(queue_.front());
    queue_.pop_front();
    start_exchange(std::move(pending));
  }
}

// Read from the core in place, not through GET /v1/payments/{id}: the same fields the route
// renders (payment_for_merchant), without rendering and scanning a body per payment. Not
// part of the trace digest either way.
void SimLoad::fetch_final_statuses() {
  PendingRequest fetch;
  while (session_.next_fetch(fetch)) {
    const std::optional<gateway::Payment> payment =
        world_.core().payment_for_merchant(fetch.payment_id);
    if (!payment) continue;  // a 404: the fetch learns nothing
    session_.handle_fetched(fetch,
                            {payment->payment_id, payment->merchant_order_id, payment->channel,
                             gateway::to_string(payment->status), payment->amount_minor});
  }
}

}  // namespace fusebox::harness::simmode
