#pragma once
// The virtual-time world: the reference gateway's core behind its own HTTP routes, every
// channel's model behind its own protocol layer, and a network between them made of
// scheduled deliveries, all on one VirtualScheduler in one thread. No sockets, no threads,
// no wall-clock reads: the same scenario and seed replay event for event.
//
//   merchant call --hop--> gateway::route (the live routes) --> GatewayCore
//   ChannelSend --codec.encode--hop--> SimChannel.serve (protocol layer + model)
//        <--hop + service time-- answer bytes --codec.decode--> core.on_call_result
//   model notification --render--hop--> route /notify/{channel} --hop--> ACK to the model
//   model timers, the core's 100 ms tick: events on the same scheduler
// Under --fast the calls and notifications skip the bytes: ChannelCall -> model -> ChannelReply,
// Notification -> core.on_notification, on the same hops.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "fusebox/common/distribution.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/common/scheduler.hpp"
#include "fusebox/gateway/routes.hpp"
#include "fusebox/gateway/store.hpp"
#include "fusebox/harness/scenario.hpp"
#include "fusebox/simulator/channel_config.hpp"

#include "sim_channel.hpp"

namespace fusebox::harness::simmode {

// A running 64-bit FNV-1a over what happened (times, kinds, ids, statuses): two runs that
// agree on it took the same path event for event.
class TraceDigest {
 public:
  void add(std::int64_t value);
  void add(std::string_view text);
  [[nodiscard]] std::uint64_t value() const { return hash_; }
  [[nodiscard]] std::string hex() const;

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

struct WorldSettings {
  std::uint64_t seed = 1;
  bool real_crypto = false;
  // --fast: calls, answers and notifications cross as structs (SimChannel::serve_direct):
  // no codecs, no signatures. Faster; a codec bug no longer shows.
  bool fast = false;
  // One network hop (each way) between the parts, drawn per message from "sim.network".
  Distribution hop_ms = Distribution::uniform(0.05, 0.25);
};

class SimWorld final : public gateway::RouteContext {
 public:
  using Done = std::function<void(const net::HttpResponseOut&)>;

  SimWorld(const Scenario& scenario, WorldSettings settings);
  ~SimWorld() override;
  SimWorld(const SimWorld&) = delete;
  SimWorld& operator=(const SimWorld&) = delete;

  [[nodiscard]] VirtualScheduler& scheduler() { return scheduler_; }
  // Runs the core's 100 ms tick (as the live runtime does) until `until_ns`.
  void start_ticks(TimeNs until_ns);
  // A merchant request: it reaches the gateway one hop later, and `done` runs when the
  // answer is back, one hop after the gateway gave it.
  void merchant_call(net::HttpRequestIn in, Done done);
  // A request answered at once, in process (the operator API). Throws
  // std::logic_error if the route did not answer synchronously.
  [[nodiscard]] net::HttpResponseOut call_now(net::HttpRequestIn in);
  [[nodiscard]] SimChannel* channel(std::string_view name);
  [[nodiscard]] std::vector<std::string> channel_names() const;
  [[nodiscard]] const TraceDigest& digest() const { return digest_; }
  // Frees the gateway's core and store once the final books are read; the world runs no
  // further and answers no gateway call after it.
  void drop_gateway();

  // RouteContext: what the gateway's routes need from their driver.
  gateway::GatewayCore& core() override {
    if (!core_) dropped();
    return *core_;
  }
  TimeNs now() override { return scheduler_.now_ns(); }
  const gateway::LiveGatewayOptions& options() override { return options_; }
  gateway::RequestId wait_for_reply(net::Responder respond) override;
  void apply(gateway::Effects& effects) override;
  const gateway::ChannelCodec* codec(std::string_view channel) override;
  gateway::TransportStats transport_stats(std::string_view channel) override;
  gateway::StoreStats store_stats() override {
    if (!store_) dropped();
    return store_->stats();
  }
  void post(std::function<void()> task) override;
  void fetch_statement(const std::string& channel, StatementDone done) override;

 private:
  struct Channel {
    std::unique_ptr<SimChannel> sim;
    std::unique_ptr<gateway::ChannelCodec> codec;
    std::uint32_t trace = 0;  // bank: the last trace number used
    int next_node = 0;        // bank: round-robin over the nodes
  };
  struct Call;

  [[noreturn]] static void dropped();
  void at(TimeNs when_ns, Task task);
  [[nodiscard]] TimeNs hop();
  void send_call(const gateway::ChannelSend& send);
  void arrive_at_channel(const std::shared_ptr<Call>& call);
  void complete(const std::shared_ptr<Call>& call, gateway::CallOutcome outcome);
  [[nodiscard]] int pick_node(Channel& channel);
  void apply_model(Channel& channel, sim::Effects& effects);
  void notify(Channel& channel, const sim::Notification& notification);
  void notified(Channel& channel, const sim::Notification& notification, bool acked);
  void tick(TimeNs until_ns);

  WorldSettings settings_;
  VirtualScheduler scheduler_;
  Rng network_rng_;
  gateway::LiveGatewayOptions options_;
  std::unique_ptr<gateway::Store> store_;
  std::unique_ptr<gateway::GatewayCore> core_;
  std::map<std::string, Channel, std::less<>> channels_;
  std::unordered_map<gateway::RequestId, net::Responder> waiting_;  // lookups only
  gateway::RequestId next_request_ = 1;
  std::uint64_t nonce_ = 0;
  TraceDigest digest_;
};

}  // namespace fusebox::harness::simmode
