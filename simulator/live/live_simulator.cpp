#include "fusebox/simulator/live_simulator.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include <boost/asio/steady_timer.hpp>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/test_pki.hpp"
#include "fusebox/net/io_threads.hpp"
#include "fusebox/net/tls.hpp"

#include "live_channel.hpp"

namespace fusebox::sim::live {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// How often listeners follow refuse_connections faults whose windows open and close on
// their own; a control API change applies at once.
constexpr auto kListenerCheck = std::chrono::milliseconds(100);

}  // namespace

class LiveSimulator::Impl {
 public:
  Impl(asio::io_context& io, SimulatorSpec spec, std::size_t send_threads)
      : io_(io),
        spec_(std::move(spec)),
        timers_(io, clock_),
        listener_check_(io),
        control_(
            io,
            [this](HttpRequestIn in, Responder respond) {
              // A fault added or cleared takes effect before the caller hears back.
              const Responder after_refresh = [this, respond](HttpResponseOut out) {
                refresh_listeners();
                respond(std::move(out));
              };
              if (in.method == "GET" && in.target == "/control/clock") return clock_reply(respond);
              if (in.method == "GET" && in.target == "/control/timers") {
                return timers_reply(respond);
              }
              handle_control(in, after_refresh, channels_, ca_);
            },
            HttpLimits{}) {
    if (send_threads > 0) senders_.emplace(send_threads);
  }

  json start() {
    const bool any_tls =
        std::any_of(spec_.channels.begin(), spec_.channels.end(),
                    [](const ChannelSpec& c) { return c.tls && c.family != Family::bank_binary; });
    if (any_tls) make_tls();
    notify_tls_ = net::tls_client_context({ca_.cert.to_pem(), spec_.notify_ca_pem});
    json ready;
    const auto control_port =
        control_.listen(spec_.host, static_cast<std::uint16_t>(spec_.control_port));
    ready["control"] = "http://" + spec_.host + ":" + std::to_string(control_port) + "/control";
    ready["seed"] = spec_.seed;
    ready["clock_origin_ms"] = clock_origin_ms();
    ready["channels"] = json::object();
    for (const ChannelSpec& channel : spec_.channels) {
      // Per-channel shared secrets (HMAC, MAC) derive from the seed: replays agree, and the
      // control API hands them to merchants on loopback.
      const std::string secret = "fusebox-" + channel.model.name + "-" + std::to_string(spec_.seed);
      auto live = channel.family == Family::bank_binary
                      ? make_bank_channel(io_, timers_, channel, spec_.seed, secret)
                      : make_wallet_channel(io_, timers_, channel, spec_.seed, secret,
                                            channel.tls ? tls_ : nullptr, notify_tls_,
                                            senders_ ? &*senders_ : nullptr);
      live->set_endpoint(live->listen(spec_.host));
      ready["channels"][channel.model.name] = live->endpoint();
      channels_.emplace(channel.model.name, std::move(live));
    }
    refresh_listeners();
    schedule_listener_check();
    return ready;
  }

  void stop() {
    stopped_ = true;
    listener_check_.cancel();
    timers_.stop();
    control_.stop();
    for (auto& [name, channel] : channels_)
      channel->stop();
  }

 private:
  // The TLS channels' certificate for 127.0.0.1, ::1 and localhost, from the test CA; the
  // CA is handed out by the control API so a gateway can trust it. No key ever hits disk.
  void make_tls() {
    const TestServerCert server =
        issue_server_cert(ca_, "127.0.0.1", {"127.0.0.1", "::1"}, {"localhost"});
    tls_ = net::tls_server_context(server.cert.to_pem(), server.key.to_pem());
  }

  void refresh_listeners() {
    if (stopped_) return;
    const TimeNs now_ns = clock_.now_ns();
    for (auto& [name, channel] : channels_)
      channel->refresh_listeners(now_ns);
  }

  // The ledger and fault times count from this instant: a harness lines them up with the
  // wall clock (ms since the Unix epoch) through it. The wall clock is read between two reads
  // of ours and the tightest of a few tries is kept: one preemption between two bare reads
  // (tens of ms on a loaded machine) would shift every ledger instant by as much.
  [[nodiscard]] std::int64_t clock_origin_ms() const {
    constexpr int kTries = 8;
    TimeNs best_gap = std::numeric_limits<TimeNs>::max();
    TimeNs origin_ns = 0;
    for (int i = 0; i < kTries; ++i) {
      const TimeNs before = clock_.now_ns();
      const TimeNs wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      const TimeNs after = clock_.now_ns();
      if (after - before < best_gap) {
        best_gap = after - before;
        origin_ns = wall - (before + (after - before) / 2);
      }
    }
    return (origin_ns + 500'000) / 1'000'000;  // to the nearest ms
  }

  // GET /control/clock: the simulator's own time, so a fault can be placed at "now".
  void clock_reply(const Responder& respond) const {
    const json body{{"now_ms", clock_.now_ns() / 1'000'000}, {"origin_ms", clock_origin_ms()}};
    respond(HttpResponseOut{200, "application/json", body.dump(), {}, WireDelivery::normal});
  }

  // GET /control/timers: the models' pending timers against the queue's bound, and how many
  // were lost to a full queue (a settle, a notification retry or an expiry that never fires).
  void timers_reply(const Responder& respond) const {
    const json body{{"pending", timers_.pending()},
                    {"capacity", timers_.capacity()},
                    {"dropped", timers_.dropped()}};
    respond(HttpResponseOut{200, "application/json", body.dump(), {}, WireDelivery::normal});
  }

  void schedule_listener_check() {
    listener_check_.expires_after(kListenerCheck);
    listener_check_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      refresh_listeners();
      schedule_listener_check();
    });
  }

  asio::io_context& io_;
  SimulatorSpec spec_;
  MonotonicClock clock_;
  Timers timers_;
  asio::steady_timer listener_check_;
  // A throw-away CA made at start: it signs the TLS channels' certificate and the ones
  // merchants ask for (POST /control/notify-cert) to receive HTTPS notifications.
  TestCa ca_ = make_test_ca("fusebox simulator test CA");
  std::shared_ptr<asio::ssl::context> tls_;         // TLS channels' server side
  std::shared_ptr<asio::ssl::context> notify_tls_;  // HTTPS notifications' client side
  // Before the channels: destroyed after their servers, while `io_` still exists.
  std::optional<net::IoThreads> senders_;
  Channels channels_;
  HttpServer control_;
  bool stopped_ = false;
};

LiveSimulator::LiveSimulator(asio::io_context& io, SimulatorSpec spec, std::size_t send_threads)
    : impl_(std::make_unique<Impl>(io, std::move(spec), send_threads)) {}
LiveSimulator::~LiveSimulator() = default;
json LiveSimulator::start() { return impl_->start(); }
void LiveSimulator::stop() { impl_->stop(); }

}  // namespace fusebox::sim::live
