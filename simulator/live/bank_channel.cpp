// A bank-binary channel: one TCP listener per front-end node, frames into the model, answers
// when the model decides, matched by trace number.
#include "fusebox/simulator/bank_binary.hpp"

#include "bank_server.hpp"
#include "live_channel.hpp"

namespace fusebox::sim::live {

namespace asio = boost::asio;

class BankChannel final : public LiveChannel {
 public:
  BankChannel(asio::io_context& io, Timers& timers, ChannelSpec spec, std::uint64_t seed,
              std::string mac_key)
      : timers_(timers),
        spec_(std::move(spec)),
        model_(spec_.model, seed),
        mac_key_(std::move(mac_key)) {
    for (int node = 0; node < spec_.nodes; ++node) {
      nodes_.push_back(std::make_unique<BankNodeServer>(
          io,
          [this, node](std::string body, FrameSend send) { handle(node, body, std::move(send)); }));
    }
  }

  nlohmann::json listen(const std::string& host) override {
    nlohmann::json addresses = nlohmann::json::array();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto port = nodes_[i]->listen(host, static_cast<std::uint16_t>(spec_.ports.at(i)));
      addresses.push_back(host + ":" + std::to_string(port));
    }
    return {{"family", "bank-binary"},
            {"nodes", addresses},
            {"sign", std::string(to_string(spec_.sign))}};
  }
  void stop() override {
    for (auto& node : nodes_)
      node->stop();
  }
  void refresh_listeners(TimeNs now_ns) override {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (model_.accepting(now_ns, static_cast<int>(i))) {
        nodes_[i]->resume_accepting();
      } else {
        nodes_[i]->stop_accepting();
      }
    }
  }
  // Banks authenticate with the shared MAC key; there is no merchant key to register.
  void register_merchant(MessageVerifier) override {}
  ChannelModel& model() override { return model_; }
  TimeNs now_ns() const override { return timers_.now_ns(); }
  const ChannelSpec& spec() const override { return spec_; }
  std::string public_key_pem() const override { return ""; }
  std::string hmac_secret() const override { return mac_key_; }

 private:
  void handle(int node, const std::string& body, const FrameSend& send) {
    const TimeNs now_ns = timers_.now_ns();
    const std::int64_t timestamp_s = now_ns / kNsPerS;
    auto decoded = bank_binary::decode(body, mac_key_);
    if (auto* error = std::get_if<bank_binary::DecodeError>(&decoded)) {
      return send(bank_binary::respond_error(*error, mac_key_, timestamp_s), Delivery::normal);
    }
    const auto& message = std::get<bank_binary::Message>(decoded);
    const auto request = bank_binary::to_request(message, node);
    if (!request)
      return send(bank_binary::respond_network(message, mac_key_, timestamp_s), Delivery::normal);
    Effects effects;
    const Decision decision = model_.handle(now_ns, *request, effects);
    apply(effects);
    if (decision.delivery == Delivery::black_hole) return;
    std::string reply = bank_binary::respond(message, decision, mac_key_, timestamp_s);
    if (decision.respond_at_ns <= now_ns) return send(std::move(reply), decision.delivery);
    if (!timers_.at(decision.respond_at_ns,
                    [send, reply = std::move(reply), delivery = decision.delivery] {
                      send(reply, delivery);
                    })) {
      send(bank_binary::respond_error({"timers", "simulator timer queue full", message.trace},
                                      mac_key_, timestamp_s),
           Delivery::normal);
    }
  }

  // Banks do not notify; their model timers (a processing payment turning final) still run.
  void apply(const Effects& effects) {
    set_model_timers(timers_, model_, effects.timers, [this](const Effects& more) { apply(more); });
  }

  Timers& timers_;
  ChannelSpec spec_;
  ChannelModel model_;
  std::string mac_key_;
  std::vector<std::unique_ptr<BankNodeServer>> nodes_;
};

std::unique_ptr<LiveChannel> make_bank_channel(asio::io_context& io, Timers& timers,
                                               ChannelSpec spec, std::uint64_t seed,
                                               const std::string& secret) {
  auto channel = std::make_unique<BankChannel>(io, timers, std::move(spec), seed, secret);
  channel->add_configured_faults();
  return channel;
}

}  // namespace fusebox::sim::live
