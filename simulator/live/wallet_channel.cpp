// A wallet channel (wallet-json or wallet-xml) on HTTP or HTTPS.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "fusebox/simulator/wallet_json.hpp"
#include "fusebox/simulator/wallet_xml.hpp"

#include "live_channel.hpp"
#include "notify_client.hpp"

namespace fusebox::sim::live {

namespace asio = boost::asio;

namespace {

// One wallet family's message layer behind a common face.
struct WalletCodec {
  decltype(&wallet_json::parse_request) parse;
  decltype(&wallet_json::render_decision) render;
  decltype(&wallet_json::render_notification) notification;
  decltype(&wallet_json::is_ack) is_ack;
  const char* content_type;
};

WalletCodec codec_for(Family family) {
  if (family == Family::wallet_xml) {
    return {&wallet_xml::parse_request, &wallet_xml::render_decision,
            &wallet_xml::render_notification, &wallet_xml::is_ack, "application/xml"};
  }
  return {&wallet_json::parse_request, &wallet_json::render_decision,
          &wallet_json::render_notification, &wallet_json::is_ack, "application/json"};
}

// The channel's signer, with a fresh key pair for the asymmetric schemes; the public half
// goes to `public_pem` for the control API to hand to merchants.
MessageSigner signer_for(SignScheme scheme, const std::string& hmac_secret,
                         std::string& public_pem) {
  if (scheme == SignScheme::none) return MessageSigner::none();
  if (scheme == SignScheme::hmac_sha256) return MessageSigner::hmac(hmac_secret);
  PrivateKey key = scheme == SignScheme::rsa_sha256          ? PrivateKey::generate_rsa(2048)
                   : scheme == SignScheme::ecdsa_p256_sha256 ? PrivateKey::generate_ec_p256()
                                                             : PrivateKey::generate_ed25519();
  public_pem = key.public_key().to_pem();
  return MessageSigner::asymmetric(std::move(key), scheme);
}

// HMAC channels share their key with merchants; asymmetric ones accept nothing until a
// merchant registers its public key (a key nobody holds stands in until then).
MessageVerifier initial_verifier(SignScheme scheme, const std::string& secret) {
  if (scheme == SignScheme::none) return MessageVerifier::none();
  if (scheme == SignScheme::hmac_sha256) return MessageVerifier::hmac(secret);
  return MessageVerifier::hmac(secret + "-unregistered-" +
                               std::to_string(reinterpret_cast<std::uintptr_t>(&secret)));
}

// Where each order's notifications go: the URL its pay request named, and a refund's own
// where it named another. Each URL is kept once and an order holds a 4-byte reference by
// its model number: every pay names a URL, nearly always the same one or two, and a string
// per order would cost more than the model's whole record of the order.
class NotifyRoutes {
 public:
  void set_payment(std::uint32_t order, const std::string& url) {
    if (order >= by_order_.size()) by_order_.resize(std::size_t{order} + 1, kNone);
    by_order_[order] = intern(url);
  }
  void set_refund(std::uint32_t order, const std::string& refund_id, const std::string& url) {
    const std::uint32_t id = intern(url);
    if (id == payment_route(order)) {
      refunds_.erase(refund_key(order, refund_id));  // its payment's URL: nothing to keep
    } else {
      refunds_[refund_key(order, refund_id)] = id;
    }
  }
  // The URL named for the order or refund, or null if none was (the channel's own applies).
  [[nodiscard]] const std::string* payment(std::uint32_t order) const {
    const std::uint32_t id = payment_route(order);
    return id == kNone ? nullptr : &urls_[id];
  }
  [[nodiscard]] const std::string* refund(std::uint32_t order, const std::string& refund_id) const {
    const auto route = refunds_.find(refund_key(order, refund_id));
    return route != refunds_.end() ? &urls_[route->second] : payment(order);
  }
  void clear() {
    by_order_.clear();
    refunds_.clear();
    urls_.clear();
    url_ids_.clear();
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  [[nodiscard]] std::uint32_t payment_route(std::uint32_t order) const {
    return order < by_order_.size() ? by_order_[order] : kNone;
  }
  static std::string refund_key(std::uint32_t order, const std::string& refund_id) {
    return std::to_string(order) + '\n' + refund_id;
  }
  std::uint32_t intern(const std::string& url) {
    const auto [at, added] = url_ids_.try_emplace(url, static_cast<std::uint32_t>(urls_.size()));
    if (added) urls_.push_back(url);
    return at->second;
  }

  std::vector<std::uint32_t> by_order_;                     // by model order number
  std::unordered_map<std::string, std::uint32_t> refunds_;  // only those unlike their payment's
  std::vector<std::string> urls_;                           // each URL once
  std::unordered_map<std::string, std::uint32_t> url_ids_;
};

}  // namespace

// A wallet channel on HTTP: requests go through the codec into the model; answers leave
// when the model says; notifications go to the merchant's URL.
class WalletChannel final : public LiveChannel {
 public:
  WalletChannel(asio::io_context& io, Timers& timers, ChannelSpec spec, std::uint64_t seed,
                const std::string& secret, std::shared_ptr<asio::ssl::context> tls,
                std::shared_ptr<asio::ssl::context> notify_tls, net::IoThreads* senders)
      : timers_(timers),
        tls_(tls != nullptr),
        spec_(std::move(spec)),
        codec_(codec_for(spec_.family)),
        model_(spec_.model, seed),
        signer_(signer_for(spec_.sign, secret, public_key_pem_)),
        verifier_(initial_verifier(spec_.sign, secret)),
        hmac_secret_(spec_.sign == SignScheme::hmac_sha256 ? secret : ""),
        notifier_(io, std::move(notify_tls)),
        server_(
            io,
            [this](HttpRequestIn in, Responder respond) {
              handle(std::move(in), std::move(respond));
            },
            HttpLimits{}, std::move(tls), senders) {}

  nlohmann::json listen(const std::string& host) override {
    const auto port = server_.listen(host, static_cast<std::uint16_t>(spec_.ports.at(0)));
    return {{"family", std::string(to_string(spec_.family))},
            {"url", (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port)},
            {"sign", std::string(to_string(spec_.sign))}};
  }
  void stop() override { server_.stop(); }
  void refresh_listeners(TimeNs now_ns) override {
    if (model_.accepting(now_ns, 0)) {
      server_.resume_accepting();
    } else {
      server_.stop_accepting();
    }
  }
  void register_merchant(MessageVerifier verifier) override { verifier_ = std::move(verifier); }
  void reset() override {
    LiveChannel::reset();
    routes_.clear();
  }
  ChannelModel& model() override { return model_; }
  TimeNs now_ns() const override { return timers_.now_ns(); }
  const ChannelSpec& spec() const override { return spec_; }
  std::string public_key_pem() const override { return public_key_pem_; }
  std::string hmac_secret() const override { return hmac_secret_; }

 private:
  wallet_json::Envelope envelope() {
    // Appended rather than "n" + to_string(): GCC 12 at -O3 warns falsely about the latter.
    std::string nonce = "n";
    nonce += std::to_string(++nonce_);
    return wallet_json::Envelope{"", std::move(nonce), timers_.now_ns() / kNsPerS};
  }

  void handle(HttpRequestIn in, Responder respond) {
    auto parsed = codec_.parse(in.method, in.target, in.body, verifier_, signer_, envelope());
    if (auto* error = std::get_if<wallet_json::HttpReply>(&parsed)) {
      return respond(HttpResponseOut{error->status, codec_.content_type, std::move(error->body),
                                     std::move(error->headers), WireDelivery::normal});
    }
    auto& request = std::get<wallet_json::ParsedRequest>(parsed);
    Effects effects;
    const Decision decision = model_.handle(timers_.now_ns(), request.request, effects);
    // After handle(), which makes a new order, and before its effects, which may notify.
    if (!request.notify_url.empty()) remember_notify_url(request.request, request.notify_url);
    apply(effects);
    wallet_json::HttpReply reply = codec_.render(decision, signer_, envelope());
    HttpResponseOut out{reply.status, codec_.content_type, std::move(reply.body),
                        std::move(reply.headers), wire_delivery(decision.delivery)};
    // Already due (no latency to wait for): answer now rather than through the timer queue.
    if (decision.delivery == Delivery::black_hole || decision.respond_at_ns <= timers_.now_ns()) {
      return respond(std::move(out));
    }
    if (!timers_.at(decision.respond_at_ns,
                    [respond, out = std::move(out)]() mutable { respond(std::move(out)); })) {
      respond(HttpResponseOut{
          503, "text/plain", "simulator timer queue full", {}, WireDelivery::normal});
    }
  }

  void apply(const Effects& effects) {
    set_model_timers(timers_, model_, effects.timers, [this](const Effects& more) { apply(more); });
    for (const Notification& n : effects.notifications)
      send(n);
  }

  void send(const Notification& n) {
    const std::string& target = notify_url_for(n);
    const std::string body = codec_.notification(n, signer_, envelope());
    if (target.empty()) return;  // nowhere to send: the attempt goes unanswered, like a dead URL
    notifier_.post(
        target, codec_.content_type, body,
        [this, n, generation = model_.generation()](int status, const std::string& reply) {
          // A forged copy expects nothing; a result from before a reset names a
          // notification of the old state.
          if (n.forged || model_.generation() != generation) return;
          Effects more;
          model_.on_notification_result(timers_.now_ns(), n.id, n.attempt,
                                        codec_.is_ack(status, reply), more);
          apply(more);
        });
  }

  // A refund's notification goes where its refund request said, else where its payment's
  // did, else to the channel's configured URL. A request for an order the model does not
  // have (it refused to make one) has nothing to notify.
  void remember_notify_url(const Request& request, const std::string& url) {
    const auto order = model_.order_number(request.order_id);
    if (!order) return;
    if (request.refund_id.empty()) {
      routes_.set_payment(*order, url);
    } else {
      routes_.set_refund(*order, request.refund_id, url);
    }
  }
  const std::string& notify_url_for(const Notification& n) const {
    const auto order = model_.order_number(n.payment.order_id);
    if (!order) return spec_.notify_url;  // e.g. a forged notification for an unknown order
    const std::string* url = n.kind == NotificationKind::refund
                                 ? routes_.refund(*order, n.refund.refund_id)
                                 : routes_.payment(*order);
    return url != nullptr ? *url : spec_.notify_url;
  }

  Timers& timers_;
  bool tls_;
  ChannelSpec spec_;
  WalletCodec codec_;
  ChannelModel model_;
  std::string public_key_pem_;  // the channel's, for merchants to verify its answers
  MessageSigner signer_;
  MessageVerifier verifier_;
  std::string hmac_secret_;  // shared with merchants through the control API (loopback only)
  NotifyClient notifier_;
  HttpServer server_;
  NotifyRoutes routes_;
  std::uint64_t nonce_ = 0;
};

std::unique_ptr<LiveChannel> make_wallet_channel(asio::io_context& io, Timers& timers,
                                                 ChannelSpec spec, std::uint64_t seed,
                                                 const std::string& secret,
                                                 std::shared_ptr<asio::ssl::context> tls,
                                                 std::shared_ptr<asio::ssl::context> notify_tls,
                                                 net::IoThreads* senders) {
  auto channel = std::make_unique<WalletChannel>(io, timers, std::move(spec), seed, secret,
                                                 std::move(tls), std::move(notify_tls), senders);
  channel->add_configured_faults();
  return channel;
}

}  // namespace fusebox::sim::live
