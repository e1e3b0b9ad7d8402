// The virtual-time world's wiring: the gateway's routes and core, the channels, and the
// scheduled network between them (sim_world.hpp has the picture).
#include "sim_world.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "fusebox/common/config.hpp"
#include "fusebox/gateway/api_json.hpp"
#include "fusebox/gateway/gateway_config.hpp"

namespace fusebox::harness::simmode {

namespace {

using gateway::CallOutcome;
using gateway::Transport;

constexpr TimeNs kTick = 100 * kNsPerMs;        // the live runtime's tick
constexpr std::size_t kMaxEvents = 16'000'000;  // the scheduler's bound
constexpr std::size_t kDribbleBytes = 8;        // what the live servers send per gap
constexpr TimeNs kDribbleGap = 50 * kNsPerMs;
constexpr std::size_t kHttpHeaderBytes = 160;    // a live answer's status line and headers
constexpr std::size_t kDirectAnswerBytes = 400;  // --fast: about what a live answer's body is

gateway::Family gateway_family(sim::Family family) {
  switch (family) {
    case sim::Family::wallet_xml:
      return gateway::Family::wallet_xml;
    case sim::Family::bank_binary:
      return gateway::Family::bank_binary;
    case sim::Family::wallet_json:
      break;
  }
  return gateway::Family::wallet_json;
}

sim::SimulatorSpec simulator_spec(const Scenario& s, std::uint64_t seed) {
  if (s.channels.is_null()) {
    sim::SimulatorSpec spec = sim::default_simulator();
    spec.seed = seed;
    return spec;
  }
  const nlohmann::json doc{{"seed", seed}, {"channels", s.channels}};
  const ConfigDocument parsed = ConfigDocument::parse(s.file.string() + " (channels)", doc.dump());
  return sim::parse_simulator(parsed.root());
}

// The scenario's gateway section, or (as `fusebox gateway --simulator` does) every channel
// of the simulator with its family's method.
gateway::GatewayConfig gateway_config(const Scenario& s, const sim::SimulatorSpec& spec) {
  const nlohmann::json section = s.gateway.is_null() ? nlohmann::json::object() : s.gateway;
  const ConfigDocument parsed =
      ConfigDocument::parse(s.file.string() + " (gateway)", section.dump());
  gateway::GatewayConfig config = gateway::parse_gateway_config(parsed.root());
  if (config.channels.empty()) {
    for (const sim::ChannelSpec& channel : spec.channels) {
      gateway::ChannelSettings settings;
      settings.name = channel.model.name;
      settings.family = gateway_family(channel.family);
      settings.method = settings.family == gateway::Family::bank_binary ? gateway::Method::bank
                                                                        : gateway::Method::wallet;
      config.channels.push_back(settings);
    }
  }
  config.notify_base_url = "http://sim";
  // A final order leaves the core at its next tick unless the scenario says otherwise; the
  // in-memory store has it from then on, and a read-back there costs no I/O. What the core
  // holds then grows with the orders open, not with the orders of the last minute (a third
  // of sim-throughput's peak memory, docs/PERFORMANCE.md).
  if (!config.retain_final_ns) config.retain_final_ns = 0;
  // A live gateway sizes its order tables up front so that no request waits for a rehash;
  // in virtual time a rehash takes no time, and tables sized for every order of the run
  // would be memory touched for orders the core no longer holds.
  config.expected_orders = 0;
  return config;
}

}  // namespace

void TraceDigest::add(std::int64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash_ ^= static_cast<std::uint64_t>(value >> (8 * i)) & 0xffU;
    hash_ *= 0x100000001b3ULL;
  }
}

void TraceDigest::add(std::string_view text) {
  for (const char c : text) {
    hash_ ^= static_cast<unsigned char>(c);
    hash_ *= 0x100000001b3ULL;
  }
  add(static_cast<std::int64_t>(text.size()));
}

std::string TraceDigest::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
  return text;
}

// One channel call on its way: what was asked, when, and whether it is over.
struct SimWorld::Call {
  gateway::ChannelSend send;
  gateway::WireRequest wire;
  Channel* channel = nullptr;
  int node = 0;
  TimeNs sent_ns = 0;
  bool done = false;
  Served served;
};

SimWorld::SimWorld(const Scenario& scenario, WorldSettings settings)
    : settings_(settings),
      scheduler_(kMaxEvents),
      network_rng_(Rng::stream(settings.seed, "sim.network")) {
  const sim::SimulatorSpec spec = simulator_spec(scenario, settings.seed);
  for (const sim::ChannelSpec& channel_spec : spec.channels) {
    Channel channel;
    channel.sim = std::make_unique<SimChannel>(channel_spec, settings.seed, settings.real_crypto);
    channel.codec =
        gateway::make_codec(gateway_family(channel_spec.family), channel.sim->merchant_keys());
    channels_.emplace(channel_spec.model.name, std::move(channel));
  }
  options_.insecure_local = true;
  options_.core = gateway_config(scenario, spec);
  // Rows only: the gateway's history tables are for the operators of a live gateway, and
  // nothing of a virtual run reads them (the trace digest and the checker have their own).
  store_ = gateway::make_memory_store(gateway::MemoryStoreOptions{.keep_history = false});
  core_ = std::make_unique<gateway::GatewayCore>(options_.core, *store_);
  core_->recover(now());
}

SimWorld::~SimWorld() = default;

void SimWorld::dropped() {
  throw std::logic_error("sim: the gateway was asked after its final books were read");
}

void SimWorld::drop_gateway() {
  core_.reset();  // before the store it writes to
  store_.reset();
}

void SimWorld::at(TimeNs when_ns, Task task) {
  if (!scheduler_.schedule_at(std::max(when_ns, now()), std::move(task))) {
    throw std::runtime_error("sim: more than " + std::to_string(kMaxEvents) +
                             " events pending at once");
  }
}

TimeNs SimWorld::hop() { return static_cast<TimeNs>(settings_.hop_ms.sample(network_rng_) * 1e6); }

void SimWorld::start_ticks(TimeNs until_ns) {
  at(now() + kTick, [this, until_ns] { tick(until_ns); });
}

void SimWorld::tick(TimeNs until_ns) {
  gateway::Effects effects;
  core_->advance(now(), effects);
  apply(effects);
  if (now() + kTick <= until_ns) at(now() + kTick, [this, until_ns] { tick(until_ns); });
}

void SimWorld::merchant_call(net::HttpRequestIn in, Done done) {
  at(now() + hop(), [this, in = std::move(in), done = std::move(done)]() mutable {
    digest_.add(now());
    digest_.add(in.target);
    gateway::route(*this, in, [this, done = std::move(done)](net::HttpResponseOut out) {
      digest_.add(now());
      digest_.add(out.body);
      at(now() + hop(), [done, out = std::move(out)] { done(out); });
    });
  });
}

net::HttpResponseOut SimWorld::call_now(net::HttpRequestIn in) {
  std::optional<net::HttpResponseOut> answer;
  gateway::route(*this, in, [&answer](net::HttpResponseOut out) { answer = std::move(out); });
  if (!answer) throw std::logic_error("sim: " + in.method + " " + in.target + " did not answer");
  return *answer;
}

SimChannel* SimWorld::channel(std::string_view name) {
  const auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.sim.get();
}

std::vector<std::string> SimWorld::channel_names() const {
  std::vector<std::string> names;
  for (const auto& [name, channel] : channels_)
    names.push_back(name);
  return names;
}

gateway::RequestId SimWorld::wait_for_reply(net::Responder respond) {
  const gateway::RequestId id = next_request_++;
  waiting_.emplace(id, std::move(respond));
  return id;
}

void SimWorld::apply(gateway::Effects& effects) {
  for (gateway::MerchantReply& reply : effects.replies) {
    const auto it = waiting_.find(reply.request);
    if (it == waiting_.end()) continue;
    net::Responder respond = std::move(it->second);
    waiting_.erase(it);
    respond(gateway::api::to_response(reply));
  }
  for (const gateway::ChannelSend& send : effects.sends)
    send_call(send);
  effects.clear();
}

const gateway::ChannelCodec* SimWorld::codec(std::string_view channel) {
  const auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second.codec.get();
}

gateway::TransportStats SimWorld::transport_stats(std::string_view channel) {
  gateway::TransportStats stats;
  const auto it = channels_.find(channel);
  if (it == channels_.end()) return stats;
  const int nodes = it->second.sim->nodes();
  stats.nodes_total = static_cast<std::uint32_t>(nodes);
  for (int node = 0; node < nodes; ++node) {
    if (it->second.sim->model().accepting(now(), node)) ++stats.nodes_healthy;
  }
  return stats;
}

void SimWorld::post(std::function<void()> task) { at(now(), std::move(task)); }

void SimWorld::fetch_statement(const std::string& channel, StatementDone done) {
  SimChannel* sim = this->channel(channel);
  if (sim == nullptr) return done("", "no channel \"" + channel + "\" in the simulator");
  done(sim->statement_csv(now(), 0, INT64_MAX), "");
}

// A bank call goes to the next node in rotation that accepts connections (the live pool
// takes a refusing node out of rotation); -1 when none does.
int SimWorld::pick_node(Channel& channel) {
  const int nodes = std::max(channel.sim->nodes(), 1);
  for (int i = 0; i < nodes; ++i) {
    const int node = (channel.next_node + i) % nodes;
    if (channel.sim->model().accepting(now(), node)) {
      channel.next_node = (node + 1) % nodes;
      return node;
    }
  }
  return -1;
}

void SimWorld::send_call(const gateway::ChannelSend& send) {
  const auto it = channels_.find(send.channel);
  auto call = std::make_shared<Call>();
  call->send = send;
  call->sent_ns = now();
  digest_.add(now());
  digest_.add(send.call.order_id);
  digest_.add(static_cast<std::int64_t>(send.call.op));
  if (it == channels_.end()) {
    return at(now(), [this, call] { complete(call, CallOutcome{Transport::not_sent, {}, 0}); });
  }
  Channel& channel = it->second;
  call->channel = &channel;
  const bool bank = channel.sim->family() == sim::Family::bank_binary;
  call->node = bank ? pick_node(channel) : (channel.sim->model().accepting(now(), 0) ? 0 : -1);
  if (call->node >= 0 && !settings_.fast) {
    try {
      channel.trace = channel.trace % 999'999 + 1;
      call->wire =
          channel.codec->encode(send.call, gateway::EncodeContext{now(), ++nonce_, channel.trace});
    } catch (const std::invalid_argument&) {
      call->node = -1;  // the live transport completes a send whose encoding throws not_sent
    }
  }
  if (call->node < 0) {
    return at(now(), [this, call] { complete(call, CallOutcome{Transport::not_sent, {}, 0}); });
  }
  at(now() + send.timeout_ns, [this, call] {
    complete(call, CallOutcome{Transport::timeout, {}, now() - call->sent_ns});
  });
  at(now() + hop(), [this, call] { arrive_at_channel(call); });
}

void SimWorld::arrive_at_channel(const std::shared_ptr<Call>& call) {
  Channel& channel = *call->channel;
  sim::Effects effects;
  call->served = settings_.fast
                     ? channel.sim->serve_direct(now(), call->send.call, call->node, effects)
                     : channel.sim->serve(now(), call->wire, call->node, effects);
  apply_model(channel, effects);
  if (call->served.silent) return;  // the timeout will end it
  TimeNs back_ns = call->served.respond_at_ns + hop();
  if (call->served.delivery == sim::Delivery::slow_dribble) {
    const std::size_t body = settings_.fast ? kDirectAnswerBytes : call->served.body.size();
    const std::size_t bytes = body + kHttpHeaderBytes;
    back_ns += static_cast<TimeNs>((bytes + kDribbleBytes - 1) / kDribbleBytes) * kDribbleGap;
  }
  at(back_ns, [this, call] {
    const sim::Delivery delivery = call->served.delivery;
    if (delivery == sim::Delivery::reset || delivery == sim::Delivery::truncated_body) {
      return complete(call, CallOutcome{Transport::broken, {}, now() - call->sent_ns});
    }
    CallOutcome outcome{Transport::delivered, {}, now() - call->sent_ns};
    if (settings_.fast) {
      outcome.reply = std::move(call->served.reply);
      return complete(call, outcome);
    }
    outcome.reply = call->channel->codec->decode(
        call->send.call,
        gateway::WireReply{call->served.http_status, call->served.body, call->served.retry_after});
    complete(call, outcome);
  });
}

void SimWorld::complete(const std::shared_ptr<Call>& call, gateway::CallOutcome outcome) {
  if (call->done) return;  // the answer and the timeout race; the first one wins
  call->done = true;
  digest_.add(now());
  digest_.add(static_cast<std::int64_t>(outcome.transport));
  digest_.add(static_cast<std::int64_t>(outcome.reply.kind));
  gateway::Effects effects;
  core_->on_call_result(now(), call->send.id, outcome, effects);
  apply(effects);
}

void SimWorld::apply_model(Channel& channel, sim::Effects& effects) {
  for (const sim::TimerRequest& timer : effects.timers) {
    at(timer.at_ns, [this, &channel, token = timer.token] {
      sim::Effects more;
      channel.sim->model().on_timer(now(), token, more);
      apply_model(channel, more);
    });
  }
  for (const sim::Notification& n : effects.notifications)
    notify(channel, n);
}

// A notification attempt: POSTed to the gateway's /notify/{channel} one hop later (under
// --fast handed to the core as parsed); the answer goes back to the model one hop after
// that (forged copies expect none, as live).
void SimWorld::notify(Channel& channel, const sim::Notification& n) {
  if (settings_.fast) {
    return at(now() + hop(), [this, &channel, n] {
      digest_.add(now());
      digest_.add(n.payment.order_id);
      digest_.add(n.attempt);
      const gateway::NotificationVerdict verdict =
          core_->on_notification(now(), channel.sim->name(), SimChannel::parse_direct(n));
      notified(channel, n, verdict.ack);
    });
  }
  net::HttpRequestIn in;
  in.method = "POST";
  in.target = "/notify/" + channel.sim->name();
  in.body = channel.sim->render_notification(now(), n);
  in.headers.emplace_back("Content-Type", std::string(channel.sim->content_type()));
  at(now() + hop(), [this, &channel, n, in = std::move(in)] {
    digest_.add(now());
    digest_.add(n.payment.order_id);
    digest_.add(n.attempt);
    gateway::route(*this, in, [this, &channel, n](net::HttpResponseOut out) {
      notified(channel, n, channel.sim->is_ack(out.status, out.body));
    });
  });
}

void SimWorld::notified(Channel& channel, const sim::Notification& n, bool acked) {
  if (n.forged) return;
  at(now() + hop(), [this, &channel, n, acked] {
    sim::Effects more;
    channel.sim->model().on_notification_result(now(), n.id, n.attempt, acked, more);
    apply_model(channel, more);
  });
}

}  // namespace fusebox::harness::simmode
