// The real-time driver: one io_context thread runs the HTTP server, the channel transports
// and the pure core. A request becomes a core input with the wall-clock `now`; the core's
// effects become replies and channel sends; a 100 ms tick drives the poller and alerts.
#include "fusebox/gateway/live_gateway.hpp"

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fusebox/gateway/api_json.hpp"
#include "fusebox/gateway/gateway_core.hpp"
#include "fusebox/gateway/routes.hpp"
#include "fusebox/gateway/store.hpp"
#include "fusebox/gateway/transport.hpp"
#include "fusebox/net/http_client.hpp"
#include "fusebox/net/http_server.hpp"
#include "fusebox/net/tls.hpp"

#include "alert_webhook.hpp"

namespace fusebox::gateway {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

// Wall-clock nanoseconds: timestamps survive a restart and agree between two processes
// sharing a store, which a monotonic clock starting at 0 would not.
TimeNs wall_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CodecKeys codec_keys(const ChannelEndpoint& endpoint, const std::string& merchant_id) {
  CodecKeys keys;
  keys.merchant_id = merchant_id;
  switch (endpoint.sign) {
    case SignScheme::none:
      break;
    case SignScheme::hmac_sha256:
      keys.signer = MessageSigner::hmac(endpoint.hmac_secret);
      keys.verifier = MessageVerifier::hmac(endpoint.hmac_secret);
      break;
    default:
      keys.signer = MessageSigner::asymmetric(
          PrivateKey::from_pem(endpoint.merchant_key_pem, endpoint.name + " merchant key"),
          endpoint.sign);
      keys.verifier = MessageVerifier::asymmetric(
          PublicKey::from_pem(endpoint.channel_public_key_pem, endpoint.name + " public key"),
          endpoint.sign);
  }
  keys.mac_key = endpoint.hmac_secret;
  return keys;
}

HttpEndpoint http_endpoint(const ChannelEndpoint& endpoint, const ChannelSettings& settings) {
  HttpEndpoint out;
  std::string rest = endpoint.url;
  out.tls = rest.rfind("https://", 0) == 0;
  rest = rest.substr(out.tls ? 8 : 7);
  rest = rest.substr(0, rest.find('/'));
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error(endpoint.name + ": url: expected scheme://host:port, got \"" +
                             endpoint.url + "\"");
  }
  out.host = rest.substr(0, colon);
  out.port = static_cast<std::uint16_t>(std::stoi(rest.substr(colon + 1)));
  out.ca_pem = endpoint.ca_pem;
  out.max_connections =
      std::max<std::uint32_t>(8, settings.bulkhead(ChannelOp::pay).max_in_flight / 4);
  // Every call the bulkheads let through must find a place: in flight or waiting.
  out.max_waiting = 0;
  for (const BulkheadConfig& bulkhead : settings.bulkheads)
    out.max_waiting += bulkhead.max_in_flight;
  return out;
}

}  // namespace

class LiveGateway::Impl final : public RouteContext {
 public:
  explicit Impl(LiveGatewayOptions options)
      : options_(std::move(options)),
        tick_(io_),
        signals_(io_, SIGINT, SIGTERM),
        server_(
            io_,
            [this](net::HttpRequestIn in, net::Responder respond) {
              handle(std::move(in), std::move(respond));
            },
            limits()) {}

  json start() {
    const std::uint16_t port = server_.listen(options_.host, options_.port);
    const std::string base = "http://" + options_.host + ":" + std::to_string(port);
    const std::string tls_base = options_.notify_tls.enabled ? listen_tls() : "";
    const std::string notify_base = tls_base.empty() ? base : tls_base;
    if (options_.core.notify_base_url.empty()) options_.core.notify_base_url = notify_base;
    open_channels();
    SqliteOptions store_options;
    store_options.path = options_.store_path;
    store_options.role = options_.core.role;
    store_ = make_sqlite_store(store_options);
    core_ = std::make_unique<GatewayCore>(options_.core, *store_);
    core_->recover(wall_now());
    if (!options_.alert_webhook.empty()) {
      webhook_ = std::make_unique<AlertWebhook>(options_.alert_webhook);
    }
    schedule_tick();
    json ready{{"api", base},
               {"notify", notify_base + "/notify"},
               {"metrics", base + "/metrics"},
               {"admin", base + "/admin"},
               {"store", options_.store_path.string()},
               {"role", std::string(to_string(options_.core.role))},
               {"channels", json::array()}};
    if (!tls_base.empty()) ready["api_tls"] = tls_base;
    return ready;
  }

  void run() {
    io_.run();
    store_->flush();
  }

  void stop() {
    asio::post(io_, [this] {
      stopping_ = true;
      tick_.cancel();
      signals_.cancel();
      server_.stop();
      if (tls_server_) tls_server_->stop();
      for (auto& [name, channel] : channels_)
        channel.transport->stop();
    });
  }

  void stop_on_signals(std::function<void(int)> on_signal) {
    signals_.async_wait([this, on_signal](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      on_signal(signal);
      stop();
    });
  }

  // RouteContext: what the routes need from the driver.
  GatewayCore& core() override { return *core_; }
  TimeNs now() override { return wall_now(); }
  const LiveGatewayOptions& options() override { return options_; }
  RequestId wait_for_reply(net::Responder respond) override {
    const RequestId id = next_request_++;
    waiting_.emplace(id, std::move(respond));
    return id;
  }
  void apply(Effects& effects) override {
    for (MerchantReply& reply : effects.replies)
      answer(reply);
    for (const ChannelSend& send : effects.sends)
      send_call(send);
    effects.clear();
  }
  const ChannelCodec* codec(std::string_view channel) override {
    const auto it = channels_.find(std::string(channel));
    return it == channels_.end() ? nullptr : it->second.codec.get();
  }
  TransportStats transport_stats(std::string_view channel) override {
    const auto it = channels_.find(std::string(channel));
    return it == channels_.end() ? TransportStats{} : it->second.transport->stats();
  }
  StoreStats store_stats() override { return store_->stats(); }
  void post(std::function<void()> task) override { asio::post(io_, std::move(task)); }
  // Statements come from the simulator's control API; the download blocks, so it runs off
  // the loop and the comparison comes back on it.
  void fetch_statement(const std::string& channel, StatementDone done) override {
    const std::string control = options_.simulator_control;
    if (control.empty()) {
      return done("",
                  "statements come from the simulator's control API; this gateway was not "
                  "started with one");
    }
    background_.emplace_back([this, control, channel, done = std::move(done)] {
      std::string csv;
      std::string failure;
      try {
        const net::HttpReply reply =
            net::http_request("GET", control + "/channels/" + channel + "/statement");
        if (reply.status != 200) {
          failure = "HTTP " + std::to_string(reply.status) + ": " + reply.body;
        }
        csv = reply.body;
      } catch (const std::exception& e) {
        failure = e.what();
      }
      post([done, csv = std::move(csv), failure = std::move(failure)] { done(csv, failure); });
    });
  }

  ~Impl() override {
    for (auto& thread : background_)
      thread.join();
  }

 private:
  struct Channel {
    std::unique_ptr<ChannelCodec> codec;
    std::unique_ptr<ChannelTransport> transport;
  };

  // The second listener: the same routes over TLS with the notify certificate. Returns its
  // base URL. Throws std::runtime_error when the key does not fit the certificate.
  std::string listen_tls() {
    const auto& [enabled, port, cert_pem, key_pem] = options_.notify_tls;
    std::shared_ptr<asio::ssl::context> tls;
    try {
      tls = net::tls_server_context(cert_pem, key_pem);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("notify_tls: ") + e.what());
    }
    tls_server_ = std::make_unique<net::HttpServer>(
        io_,
        [this](net::HttpRequestIn in, net::Responder respond) {
          handle(std::move(in), std::move(respond));
        },
        limits(), std::move(tls));
    const std::uint16_t bound = tls_server_->listen(options_.host, port);
    return "https://" + options_.host + ":" + std::to_string(bound);
  }

  static net::HttpLimits limits() {
    net::HttpLimits limits;
    limits.server_name = "fusebox-gateway";
    limits.json_errors = true;
    return limits;
  }

  void open_channels() {
    for (const ChannelSettings& settings : options_.core.channels) {
      const auto endpoint =
          std::find_if(options_.endpoints.begin(), options_.endpoints.end(),
                       [&](const ChannelEndpoint& e) { return e.name == settings.name; });
      if (endpoint == options_.endpoints.end() || endpoint->family != settings.family) {
        throw std::runtime_error("channel " + settings.name + ": no endpoint of family " +
                                 std::string(to_string(settings.family)) +
                                 " for it (check the simulator's channels or the config)");
      }
      Channel channel;
      channel.codec = make_codec(settings.family, codec_keys(*endpoint, options_.merchant_id));
      if (settings.family == Family::bank_binary) {
        BankEndpoint bank;
        bank.nodes = endpoint->nodes;
        bank.mac_key = endpoint->hmac_secret;
        channel.transport = make_bank_transport(io_, std::move(bank));
      } else {
        channel.transport = make_http_transport(io_, http_endpoint(*endpoint, settings));
      }
      channels_.emplace(settings.name, std::move(channel));
    }
  }

  void handle(net::HttpRequestIn in, net::Responder respond) {
    if (stopping_) {
      return respond(net::make_response(
          503, "application/json", api::to_json(api::error(503, "STOPPING", "stopping")).dump()));
    }
    route(*this, in, std::move(respond));
  }

  void answer(const MerchantReply& reply) {
    const auto it = waiting_.find(reply.request);
    if (it == waiting_.end()) return;  // the core answers each request once; tests may not wait
    net::Responder respond = std::move(it->second);
    waiting_.erase(it);
    respond(api::to_response(reply));
  }

  void send_call(const ChannelSend& send) {
    Channel& channel = channels_.at(send.channel);
    const TimeNs started = wall_now();
    channel.transport->send(
        [this, &channel, call = send.call](std::uint32_t trace) {
          return channel.codec->encode(call, EncodeContext{wall_now(), ++nonce_, trace});
        },
        send.timeout_ns,
        [this, &channel, id = send.id, call = send.call, started](TransportResult result) {
          if (stopping_) return;
          CallOutcome outcome;
          outcome.transport = result.transport;
          const TimeNs now_ns = wall_now();
          outcome.latency_ns = now_ns - started;
          if (result.transport == Transport::delivered) {
            outcome.reply = channel.codec->decode(
                call, WireReply{result.http_status, result.body, result.retry_after});
          }
          Effects effects;
          core_->on_call_result(now_ns, id, outcome, effects);
          apply(effects);
        });
  }

  // Alert events go to stderr as JSON lines as they happen, and to the webhook when there is
  // one (the admin API lists them too).
  void log_new_alerts() {
    const Metrics& metrics = core_->metrics();
    const auto& events = metrics.alert_events();
    const std::uint64_t total = metrics.alert_events_dropped() + events.size();
    const std::uint64_t unseen = std::min<std::uint64_t>(total - alerts_logged_, events.size());
    for (std::size_t i = events.size() - unseen; i < events.size(); ++i) {
      const AlertEvent& e = events[i];
      std::string line = json{{"alert", e.rule},
                              {"channel", e.channel},
                              {"firing", e.firing},
                              {"value", e.value},
                              {"at_ms", e.at_ns / 1'000'000}}
                             .dump();
      std::cerr << line << '\n';
      if (webhook_) webhook_->send(std::move(line));
    }
    alerts_logged_ = total;
  }

  void schedule_tick() {
    tick_.expires_after(kTick);
    tick_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopping_) return;
      Effects effects;
      core_->advance(wall_now(), effects);
      apply(effects);
      log_new_alerts();
      schedule_tick();
    });
  }

  LiveGatewayOptions options_;
  asio::io_context io_{1};
  asio::steady_timer tick_;
  asio::signal_set signals_;
  net::HttpServer server_;
  std::unique_ptr<net::HttpServer> tls_server_;  // with notify_tls only
  std::map<std::string, Channel> channels_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GatewayCore> core_;
  std::unordered_map<RequestId, net::Responder> waiting_;  // looked up by id only
  RequestId next_request_ = 1;
  std::uint64_t nonce_ = 0;
  bool stopping_ = false;
  std::uint64_t alerts_logged_ = 0;
  std::unique_ptr<AlertWebhook> webhook_;
  std::vector<std::jthread> background_;
};

LiveGateway::LiveGateway(LiveGatewayOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
LiveGateway::~LiveGateway() = default;
json LiveGateway::start() { return impl_->start(); }
void LiveGateway::run() { impl_->run(); }
void LiveGateway::stop() { impl_->stop(); }
void LiveGateway::stop_on_signals(std::function<void(int)> on_signal) {
  impl_->stop_on_signals(std::move(on_signal));
}

}  // namespace fusebox::gateway
