#pragma once
// What the live simulator needs from each served channel (wallet or bank), and the timer
// queue every channel's model shares on the io_context.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/scheduler.hpp"
#include "fusebox/common/signing.hpp"
#include "fusebox/common/test_pki.hpp"
#include "fusebox/net/http_server.hpp"
#include "fusebox/simulator/channel_config.hpp"
#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim::live {

using net::HttpLimits;
using net::HttpRequestIn;
using net::HttpResponseOut;
using net::HttpServer;
using net::Responder;
using net::WireDelivery;

// How the HTTP server acts out a model's delivery: the faults that mangle bytes on the wire.
// The others (5xx, 429, malformed body, bad signature) are already in the rendered message.
[[nodiscard]] constexpr WireDelivery wire_delivery(Delivery delivery) {
  switch (delivery) {
    case Delivery::black_hole:
      return WireDelivery::black_hole;
    case Delivery::reset:
      return WireDelivery::reset;
    case Delivery::truncated_body:
      return WireDelivery::truncated_body;
    case Delivery::slow_dribble:
      return WireDelivery::slow_dribble;
    default:
      return WireDelivery::normal;
  }
}

// Model timers on the io_context: one bounded EventQueue and one asio timer armed for its
// earliest deadline, so a million pending orders cost a million small slots, not a million
// asio timers.
class Timers {
 public:
  static constexpr std::size_t kMaxTimers = 8'000'000;

  Timers(boost::asio::io_context& io, const Clock& clock, std::size_t capacity = kMaxTimers)
      : clock_(clock), timer_(io), queue_(capacity) {}

  [[nodiscard]] TimeNs now_ns() const { return clock_.now_ns(); }
  // False when the queue is full: the event is lost, and counted (GET /control/timers).
  [[nodiscard]] bool at(TimeNs deadline_ns, Task task) {
    if (!queue_.push(deadline_ns, std::move(task))) {
      ++dropped_;
      return false;
    }
    if (deadline_ns < armed_ns_) arm(deadline_ns);
    return true;
  }
  [[nodiscard]] std::size_t pending() const { return queue_.size(); }
  [[nodiscard]] std::size_t capacity() const { return queue_.capacity(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  void arm(TimeNs deadline_ns) {
    armed_ns_ = deadline_ns;
    timer_.expires_after(
        std::chrono::nanoseconds(std::max<TimeNs>(0, deadline_ns - clock_.now_ns())));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      fire();
    });
  }
  void fire() {
    armed_ns_ = INT64_MAX;
    TimeNs deadline_ns = 0;
    Task task;
    while (queue_.pop_due(clock_.now_ns(), deadline_ns, task))
      task();
    if (const auto next = queue_.next_deadline()) arm(*next);
  }

  const Clock& clock_;
  boost::asio::steady_timer timer_;
  EventQueue queue_;
  TimeNs armed_ns_ = INT64_MAX;
  std::uint64_t dropped_ = 0;
  bool stopped_ = false;
};

// Sets a model's timers on the shared queue; when one fires, the model handles it and the
// resulting effects go to `on_effects` (which sets further timers through here again).
template <class OnEffects>
void set_model_timers(Timers& timers, ChannelModel& model,
                      const std::vector<TimerRequest>& requests, const OnEffects& on_effects) {
  for (const TimerRequest& timer : requests) {
    (void)timers.at(timer.at_ns, [&timers, &model, token = timer.token,
                                  generation = model.generation(), on_effects] {
      if (model.generation() != generation) return;  // set before a reset
      Effects more;
      model.on_timer(timers.now_ns(), token, more);
      on_effects(more);
    });
  }
}

class LiveChannel {
 public:
  LiveChannel() = default;
  LiveChannel(const LiveChannel&) = delete;
  LiveChannel& operator=(const LiveChannel&) = delete;
  virtual ~LiveChannel() = default;

  // Binds the channel's listeners; returns its entry of the ready line.
  virtual nlohmann::json listen(const std::string& host) = 0;
  virtual void stop() = 0;
  // Opens or closes listeners as refuse_connections faults start and end.
  virtual void refresh_listeners(TimeNs now_ns) = 0;
  virtual void register_merchant(MessageVerifier verifier) = 0;
  [[nodiscard]] virtual ChannelModel& model() = 0;
  [[nodiscard]] virtual TimeNs now_ns() const = 0;
  [[nodiscard]] virtual const ChannelSpec& spec() const = 0;
  [[nodiscard]] virtual std::string public_key_pem() const = 0;
  [[nodiscard]] virtual std::string hmac_secret() const = 0;

  // The faults of the channel's config, added at start and again by reset().
  void add_configured_faults() {
    for (const Fault& fault : spec().faults)
      (void)model().faults().add(fault);
  }
  // Back to how it started (POST /control/reset): the model reset, the configured faults
  // back, the listeners as they say. A registered merchant key stays, as an account would.
  virtual void reset() {
    model().reset();
    add_configured_faults();
    refresh_listeners(now_ns());
  }

  // What listen() answered (URL or node addresses), for the control API's listing.
  [[nodiscard]] const nlohmann::json& endpoint() const { return endpoint_; }
  void set_endpoint(nlohmann::json endpoint) { endpoint_ = std::move(endpoint); }

 private:
  nlohmann::json endpoint_;
};

using Channels = std::map<std::string, std::unique_ptr<LiveChannel>>;  // ordered: stable listings

[[nodiscard]] std::unique_ptr<LiveChannel> make_wallet_channel(
    boost::asio::io_context& io, Timers& timers, ChannelSpec spec, std::uint64_t seed,
    const std::string& secret, std::shared_ptr<boost::asio::ssl::context> tls,
    std::shared_ptr<boost::asio::ssl::context> notify_tls, net::IoThreads* senders);
[[nodiscard]] std::unique_ptr<LiveChannel> make_bank_channel(boost::asio::io_context& io,
                                                             Timers& timers, ChannelSpec spec,
                                                             std::uint64_t seed,
                                                             const std::string& secret);

// The control API (docs/CHANNELS.md). `ca` signs the TLS channels' certificate and the
// certificates merchants ask for to receive HTTPS notifications.
void handle_control(const HttpRequestIn& in, const Responder& respond, Channels& channels,
                    const TestCa& ca);

}  // namespace fusebox::sim::live
