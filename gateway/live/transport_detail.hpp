#pragma once
// Private to the live transports: what the HTTP pool and the bank pool share. Each pool keeps
// every deadline it owns (requests, connects, heartbeats) under one timer armed at the
// earliest of them, so a request costs no timer operation of its own: with uniform timeouts
// the earliest deadline only moves forward, and the timer fires about once per timeout.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fusebox/gateway/transport.hpp"

namespace fusebox::gateway::detail {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

[[nodiscard]] inline SteadyTime after(SteadyTime now, TimeNs span_ns) {
  return now + std::chrono::nanoseconds(std::max<TimeNs>(span_ns, 0));
}

[[nodiscard]] inline TransportResult failed(Transport transport, std::string error) {
  TransportResult result;
  result.transport = transport;
  result.error = std::move(error);
  return result;
}

// A completion to run outside the caller's frame: send() and stop() never call `done`.
struct Completion {
  TransportDone done;
  TransportResult result;
};

inline void complete_later(boost::asio::io_context& io, std::vector<Completion> completions) {
  if (completions.empty()) return;
  boost::asio::post(io, [completions = std::move(completions)]() mutable {
    for (Completion& c : completions)
      c.done(std::move(c.result));
  });
}

inline void complete_later(boost::asio::io_context& io, TransportDone done,
                           TransportResult result) {
  boost::asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

// A send that waited for a connection past its deadline never left: it may go elsewhere.
[[nodiscard]] inline TransportResult waited_too_long() {
  return failed(Transport::not_sent, "timed out waiting for a free connection");
}

// The oldest waiting send still within its deadline, if any; every one found past it on the
// way is completed (later) as waited_too_long. `Pending` has `deadline` and `done`.
template <typename Pending>
[[nodiscard]] std::optional<Pending> pop_waiting(std::deque<Pending>& waiting,
                                                 boost::asio::io_context& io) {
  const SteadyTime now = SteadyClock::now();
  std::vector<Completion> expired;
  std::optional<Pending> next;
  while (!waiting.empty() && !next) {
    Pending send = std::move(waiting.front());
    waiting.pop_front();
    if (send.deadline > now) {
      next.emplace(std::move(send));
    } else {
      expired.push_back({std::move(send.done), waited_too_long()});
    }
  }
  complete_later(io, std::move(expired));
  return next;
}

// The one timer of a pool. `Owner` has shared_from_this() and sweep(); the pending wait
// keeps the owner alive. A wait superseded by an earlier deadline is ignored by generation,
// so a cancelled wait whose completion was already queued cannot sweep twice.
class SweepTimer {
 public:
  explicit SweepTimer(boost::asio::io_context& io) : timer_(io) {}

  template <class Owner>
  void ensure_by(Owner& owner, SteadyTime at) {
    if (armed_ && at >= armed_at_) return;
    armed_ = true;
    armed_at_ = at;
    const std::uint64_t generation = ++generation_;
    timer_.expires_at(at);
    timer_.async_wait(
        [self = owner.shared_from_this(), this, generation](boost::system::error_code ec) {
          if (ec || generation != generation_) return;
          armed_ = false;
          self->sweep();
        });
  }

  void cancel() {
    ++generation_;
    armed_ = false;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  SteadyTime armed_at_{};
  bool armed_ = false;
  std::uint64_t generation_ = 0;
};

// The ChannelTransport face of a pool. The pool is shared so that callbacks still in flight
// keep it alive after the transport is gone; destroying the transport stops it.
template <class Pool>
class PooledTransport final : public ChannelTransport {
 public:
  explicit PooledTransport(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}
  ~PooledTransport() override { pool_->stop(); }
  PooledTransport(const PooledTransport&) = delete;
  PooledTransport& operator=(const PooledTransport&) = delete;

  void send(Encoder encode, TimeNs timeout_ns, TransportDone done) override {
    pool_->send(std::move(encode), timeout_ns, std::move(done));
  }
  [[nodiscard]] TransportStats stats() const override { return pool_->stats(); }
  void stop() override { pool_->stop(); }

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace fusebox::gateway::detail
