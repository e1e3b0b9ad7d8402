#include "fusebox/simulator/live_simulator.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/scheduler.hpp"
#include "fusebox/common/test_pki.hpp"
#include "fusebox/simulator/http_server.hpp"
#include "fusebox/simulator/wallet_json.hpp"
#include "fusebox/simulator/wallet_xml.hpp"

#include "notify_client.hpp"

namespace fusebox::sim::live {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTimers = 8'000'000;

// Model timers on the io_context: one bounded EventQueue, one asio timer armed for its
// earliest deadline, so a million pending orders cost a million 64-byte slots, not a million
// asio timers.
class Timers {
 public:
  Timers(asio::io_context& io, const Clock& clock)
      : clock_(clock), timer_(io), queue_(kMaxTimers) {}

  // False when the queue is full (the caller counts it; the event is lost).
  bool at(TimeNs deadline_ns, Task task) {
    if (!queue_.push(deadline_ns, std::move(task))) return false;
    if (deadline_ns < armed_ns_) arm(deadline_ns);
    return true;
  }
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
  asio::steady_timer timer_;
  EventQueue queue_;
  TimeNs armed_ns_ = INT64_MAX;
  bool stopped_ = false;
};

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

}  // namespace

// A wallet channel on HTTP: requests go through the codec into the model; answers leave
// when the model says; notifications go to the merchant's URL.
class WalletChannel {
 public:
  WalletChannel(asio::io_context& io, const Clock& clock, Timers& timers, ChannelSpec spec,
                std::uint64_t seed, const std::string& secret,
                std::shared_ptr<asio::ssl::context> tls)
      : clock_(clock),
        timers_(timers),
        spec_(std::move(spec)),
        codec_(codec_for(spec_.family)),
        model_(spec_.model, seed),
        signer_(signer_for(spec_.sign, secret, public_key_pem_)),
        verifier_(initial_verifier(spec_.sign, secret)),
        hmac_secret_(spec_.sign == SignScheme::hmac_sha256 ? secret : ""),
        notifier_(io),
        server_(
            io,
            [this](HttpRequestIn in, Responder respond) {
              handle(std::move(in), std::move(respond));
            },
            HttpLimits{}, std::move(tls)) {}

  std::uint16_t listen(const std::string& host, std::uint16_t port) {
    return server_.listen(host, port);
  }
  void stop() { server_.stop(); }
  ChannelModel& model() { return model_; }
  const ChannelSpec& spec() const { return spec_; }
  void register_merchant(MessageVerifier verifier) { verifier_ = std::move(verifier); }
  std::string public_key_pem() const { return public_key_pem_; }
  std::string hmac_secret() const { return hmac_secret_; }

 private:
  wallet_json::Envelope envelope() {
    return wallet_json::Envelope{"", "n" + std::to_string(++nonce_), clock_.now_ns() / kNsPerS};
  }

  void handle(HttpRequestIn in, Responder respond) {
    auto parsed = codec_.parse(in.method, in.target, in.body, verifier_, signer_, envelope());
    if (auto* error = std::get_if<wallet_json::HttpReply>(&parsed)) {
      return respond(HttpResponseOut{error->status, codec_.content_type, std::move(error->body),
                                     std::move(error->headers), Delivery::normal});
    }
    auto& request = std::get<wallet_json::ParsedRequest>(parsed);
    if (!request.notify_url.empty()) notify_urls_[request.request.order_id] = request.notify_url;
    Effects effects;
    const Decision decision = model_.handle(clock_.now_ns(), request.request, effects);
    apply(effects);
    wallet_json::HttpReply reply = codec_.render(decision, signer_, envelope());
    HttpResponseOut out{reply.status, codec_.content_type, std::move(reply.body),
                        std::move(reply.headers), decision.delivery};
    if (decision.delivery == Delivery::black_hole) return respond(std::move(out));
    if (!timers_.at(decision.respond_at_ns,
                    [respond, out = std::move(out)]() mutable { respond(std::move(out)); })) {
      respond(
          HttpResponseOut{503, "text/plain", "simulator timer queue full", {}, Delivery::normal});
    }
  }

  void apply(const Effects& effects) {
    for (const TimerRequest& timer : effects.timers) {
      (void)timers_.at(timer.at_ns, [this, token = timer.token] {
        Effects more;
        model_.on_timer(clock_.now_ns(), token, more);
        apply(more);
      });
    }
    for (const Notification& n : effects.notifications)
      send(n);
  }

  void send(const Notification& n) {
    const auto url = notify_urls_.find(n.payment.order_id);
    const std::string& target = url != notify_urls_.end() ? url->second : spec_.notify_url;
    const std::string body = codec_.notification(n, signer_, envelope());
    if (target.empty()) return;  // nowhere to send: the attempt goes unanswered, like a dead URL
    notifier_.post(target, codec_.content_type, body,
                   [this, n](int status, const std::string& reply) {
                     if (n.forged) return;
                     Effects more;
                     model_.on_notification_result(clock_.now_ns(), n.id, n.attempt,
                                                   codec_.is_ack(status, reply), more);
                     apply(more);
                   });
  }

  const Clock& clock_;
  Timers& timers_;
  ChannelSpec spec_;
  WalletCodec codec_;
  ChannelModel model_;
  std::string public_key_pem_;  // the channel's, for merchants to verify its answers
  MessageSigner signer_;
  MessageVerifier verifier_;
  std::string hmac_secret_;  // shared with merchants through the control API (loopback only)
  NotifyClient notifier_;
  HttpServer server_;
  std::unordered_map<std::string, std::string> notify_urls_;  // lookups only
  std::uint64_t nonce_ = 0;
};

class LiveSimulator::Impl {
 public:
  Impl(asio::io_context& io, SimulatorSpec spec)
      : io_(io),
        spec_(std::move(spec)),
        timers_(io, clock_),
        control_(
            io,
            [this](HttpRequestIn in, Responder respond) {
              control(std::move(in), std::move(respond));
            },
            HttpLimits{}) {}

  json start() {
    json ready;
    const bool any_tls =
        std::any_of(spec_.channels.begin(), spec_.channels.end(),
                    [](const ChannelSpec& c) { return c.tls && c.family != Family::bank_binary; });
    if (any_tls) make_tls();
    const auto control_port =
        control_.listen(spec_.host, static_cast<std::uint16_t>(spec_.control_port));
    ready["control"] = "http://" + spec_.host + ":" + std::to_string(control_port) + "/control";
    ready["seed"] = spec_.seed;
    ready["channels"] = json::object();
    for (const ChannelSpec& channel : spec_.channels) {
      if (channel.family == Family::bank_binary) {
        ready["channels"][channel.model.name] = {
            {"family", "bank-binary"},
            {"served", false},
            {"why", "the bank-binary TCP server lands later in issue #3"}};
        continue;
      }
      const std::string secret = "fusebox-" + channel.model.name + "-" + std::to_string(spec_.seed);
      auto wallet = std::make_unique<WalletChannel>(io_, clock_, timers_, channel, spec_.seed,
                                                    secret, channel.tls ? tls_ : nullptr);
      for (const Fault& fault : channel.faults)
        (void)wallet->model().faults().add(fault);
      const auto port = wallet->listen(spec_.host, static_cast<std::uint16_t>(channel.ports.at(0)));
      ready["channels"][channel.model.name] = {
          {"family", std::string(to_string(channel.family))},
          {"url", (channel.tls ? "https://" : "http://") + spec_.host + ":" + std::to_string(port)},
          {"sign", std::string(to_string(channel.sign))}};
      wallets_.emplace(channel.model.name, std::move(wallet));
    }
    return ready;
  }

  void stop() {
    timers_.stop();
    control_.stop();
    for (auto& [name, wallet] : wallets_)
      wallet->stop();
  }

 private:
  // A throw-away CA and a certificate for 127.0.0.1, ::1 and localhost, made at start; the
  // CA is handed out by the control API so a gateway can trust it. No key ever hits disk.
  void make_tls() {
    const TestCa ca = make_test_ca("fusebox simulator test CA");
    const TestServerCert server =
        issue_server_cert(ca, "127.0.0.1", {"127.0.0.1", "::1"}, {"localhost"});
    ca_pem_ = ca.cert.to_pem();
    tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
    const std::string chain = server.cert.to_pem();
    const std::string key = server.key.to_pem();
    tls_->use_certificate_chain(asio::buffer(chain));
    tls_->use_private_key(asio::buffer(key), asio::ssl::context::pem);
  }

  void control(HttpRequestIn in, Responder respond);
  template <class Reply>
  void channel_control(WalletChannel& wallet, const HttpRequestIn& in,
                       const std::vector<std::string>& parts, Reply reply);
  json channels_json();
  WalletChannel* find(const std::string& name);

  asio::io_context& io_;
  SimulatorSpec spec_;
  MonotonicClock clock_;
  Timers timers_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::string ca_pem_;
  HttpServer control_;
  std::map<std::string, std::unique_ptr<WalletChannel>> wallets_;  // ordered: stable listings
};

namespace {

json error_body(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

json fault_json(const Fault& fault) {
  json f{{"id", fault.id},
         {"kind", std::string(to_string(fault.kind))},
         {"p", fault.probability},
         {"at_s", to_s(fault.start_ns)}};
  if (fault.end_ns != INT64_MAX) f["for_s"] = to_s(fault.end_ns - fault.start_ns);
  if (fault.operation) f["operation"] = std::string(to_string(*fault.operation));
  if (fault.node) f["node"] = *fault.node;
  return f;
}

json ledger_json(const LedgerEntry& e) {
  json entry{{"at_ms", e.at_ns / kNsPerMs},
             {"event", std::string(to_string(e.event))},
             {"order_id", e.order_id},
             {"amount", e.amount_minor},
             {"currency", e.currency}};
  if (!e.refund_id.empty()) entry["refund_id"] = e.refund_id;
  if (!e.channel_txn_id.empty()) entry["channel_txn_id"] = e.channel_txn_id;
  return entry;
}

// "/control/channels/wx/faults/3" -> {"control", "channels", "wx", "faults", "3"}
std::vector<std::string> path_parts(std::string_view target) {
  std::vector<std::string> parts;
  std::string_view path = target.substr(0, target.find('?'));
  while (!path.empty()) {
    path.remove_prefix(path.front() == '/' ? 1 : 0);
    const std::size_t slash = path.find('/');
    if (!path.empty()) parts.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return parts;
}

std::string query_value(std::string_view target, std::string_view key) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == key && pair.find('=') != std::string_view::npos) {
      return std::string(pair.substr(pair.find('=') + 1));
    }
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
  }
  return "";
}

}  // namespace

void LiveSimulator::Impl::control(HttpRequestIn in, Responder respond) {
  const auto reply = [&](int status, const json& body) {
    respond(HttpResponseOut{status, "application/json", body.dump(), {}, Delivery::normal});
  };
  const std::vector<std::string> parts = path_parts(in.target);
  if (parts.size() < 2 || parts[0] != "control") {
    return reply(404, error_body("not_found", "no such endpoint: " + in.target));
  }
  try {
    if (parts[1] == "channels" && parts.size() == 2 && in.method == "GET")
      return reply(200, channels_json());
    if (parts[1] == "ca" && parts.size() == 2 && in.method == "GET") {
      if (ca_pem_.empty()) return reply(404, error_body("no_tls", "no channel uses TLS"));
      return respond(HttpResponseOut{200, "application/x-pem-file", ca_pem_, {}, Delivery::normal});
    }
    if (parts[1] == "ledger" && parts.size() == 2 && in.method == "GET") {
      WalletChannel* wallet = find(query_value(in.target, "channel"));
      if (wallet == nullptr)
        return reply(
            404, error_body("unknown_channel", "ledger needs ?channel=NAME of a served channel"));
      json entries = json::array();
      const std::string order = query_value(in.target, "order");
      for (const LedgerEntry& e : wallet->model().ledger().entries()) {
        if (order.empty() || e.order_id == order) entries.push_back(ledger_json(e));
      }
      return reply(200, entries);
    }
    if (parts[1] == "channels" && parts.size() >= 4) {
      WalletChannel* wallet = find(parts[2]);
      if (wallet == nullptr)
        return reply(404, error_body("unknown_channel", "no channel named \"" + parts[2] + "\""));
      return channel_control(*wallet, in, parts, reply);
    }
  } catch (const ConfigError& e) {
    return reply(400, error_body("invalid_request", e.what()));
  } catch (const CryptoError& e) {
    return reply(400, error_body("invalid_key", e.what()));
  }
  reply(404, error_body("not_found", "no such endpoint: " + in.method + " " + in.target));
}

template <class Reply>
void LiveSimulator::Impl::channel_control(WalletChannel& wallet, const HttpRequestIn& in,
                                          const std::vector<std::string>& parts, Reply reply) {
  FaultTable& faults = wallet.model().faults();
  if (parts[3] == "faults" && parts.size() == 4 && in.method == "POST") {
    const Fault fault = parse_fault(ConfigDocument::parse("request body", in.body).root());
    return reply(201, json{{"id", faults.add(fault)}});
  }
  if (parts[3] == "faults" && parts.size() == 4 && in.method == "DELETE") {
    faults.clear();
    return reply(200, json{{"cleared", true}});
  }
  if (parts[3] == "faults" && parts.size() == 5 && in.method == "DELETE") {
    std::uint64_t id = 0;
    try {
      id = std::stoull(parts[4]);
    } catch (const std::exception&) {
      return reply(400, error_body("invalid_request",
                                   "fault id must be a number, got \"" + parts[4] + "\""));
    }
    if (!faults.remove(id)) return reply(404, error_body("unknown_fault", "no fault " + parts[4]));
    return reply(200, json{{"removed", id}});
  }
  if (parts[3] == "merchant-key" && parts.size() == 4 && in.method == "POST") {
    const ConfigDocument doc = ConfigDocument::parse("request body", in.body);
    const ConfigNode root = doc.root();
    root.expect_fields({"scheme", "public_key_pem", "hmac_secret"});
    const std::string scheme_name = root.at("scheme").as_enum(
        {"none", "hmac-sha256", "rsa-sha256", "ecdsa-p256-sha256", "ed25519"});
    const SignScheme scheme = *parse_sign_scheme(scheme_name);
    if (scheme == SignScheme::none) {
      wallet.register_merchant(MessageVerifier::none());
    } else if (scheme == SignScheme::hmac_sha256) {
      wallet.register_merchant(MessageVerifier::hmac(root.at("hmac_secret").as_non_empty_string()));
    } else {
      wallet.register_merchant(MessageVerifier::asymmetric(
          PublicKey::from_pem(root.at("public_key_pem").as_non_empty_string(), "public_key_pem"),
          scheme));
    }
    return reply(200, json{{"registered", scheme_name}});
  }
  reply(404, error_body("not_found", "no such endpoint: " + in.method + " " + in.target));
}

json LiveSimulator::Impl::channels_json() {
  json channels = json::array();
  for (auto& [name, wallet] : wallets_) {
    const ChannelCounters& c = wallet->model().counters();
    json faults = json::array();
    for (const Fault& f : wallet->model().faults().faults())
      faults.push_back(fault_json(f));
    channels.push_back({{"name", name},
                        {"family", std::string(to_string(wallet->spec().family))},
                        {"sign", std::string(to_string(wallet->spec().sign))},
                        {"public_key_pem", wallet->public_key_pem()},
                        {"hmac_secret", wallet->hmac_secret()},
                        {"faults", faults},
                        {"counters",
                         {{"pay", c.requests[0]},
                          {"query", c.requests[1]},
                          {"refund", c.requests[2]},
                          {"rejected_by_capacity", c.rejected_by_capacity},
                          {"faulted", c.faulted},
                          {"notifications_created", c.notifications_created},
                          {"notification_attempts", c.notification_attempts},
                          {"notifications_acked", c.notifications_acked},
                          {"notifications_lost", c.notifications_lost},
                          {"notifications_given_up", c.notifications_given_up}}},
                        {"ledger_entries", wallet->model().ledger().entries().size()}});
  }
  return channels;
}

WalletChannel* LiveSimulator::Impl::find(const std::string& name) {
  const auto it = wallets_.find(name);
  return it == wallets_.end() ? nullptr : it->second.get();
}

LiveSimulator::LiveSimulator(asio::io_context& io, SimulatorSpec spec)
    : impl_(std::make_unique<Impl>(io, std::move(spec))) {}
LiveSimulator::~LiveSimulator() = default;
json LiveSimulator::start() { return impl_->start(); }
void LiveSimulator::stop() { impl_->stop(); }

}  // namespace fusebox::sim::live
