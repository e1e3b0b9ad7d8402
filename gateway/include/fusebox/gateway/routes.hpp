#pragma once
// The gateway's HTTP routes (merchant API, channel notifications, /metrics, /healthz and the
// operator API under /admin/), written against what they need from the driver so the driver
// stays about sockets and time, and the routes about the API. Two drivers implement
// RouteContext: the live runtime (live_gateway.cpp) and the virtual-time runner (harness/sim/),
// so sim mode answers through exactly the routes a live gateway serves.

#include <functional>
#include <string>
#include <string_view>

#include "fusebox/gateway/channel_codec.hpp"
#include "fusebox/gateway/gateway_core.hpp"
#include "fusebox/gateway/live_gateway.hpp"
#include "fusebox/gateway/store.hpp"
#include "fusebox/gateway/transport.hpp"
#include "fusebox/net/http_server.hpp"

namespace fusebox::gateway {

class RouteContext {
 public:
  virtual ~RouteContext() = default;
  [[nodiscard]] virtual GatewayCore& core() = 0;
  [[nodiscard]] virtual TimeNs now() = 0;
  [[nodiscard]] virtual const LiveGatewayOptions& options() = 0;
  // Parks the responder until the core's reply for the returned id comes out of apply().
  [[nodiscard]] virtual RequestId wait_for_reply(net::Responder respond) = 0;
  virtual void apply(Effects& effects) = 0;
  [[nodiscard]] virtual const ChannelCodec* codec(std::string_view channel) = 0;
  [[nodiscard]] virtual TransportStats transport_stats(std::string_view channel) = 0;
  [[nodiscard]] virtual StoreStats store_stats() = 0;
  // Runs `task` on the event loop's thread.
  virtual void post(std::function<void()> task) = 0;
  // Downloads a channel's statement CSV and calls `done` on the event loop's thread with it,
  // or with a failure message (the csv is then ignored). `done` may run before this returns.
  using StatementDone = std::function<void(std::string csv, std::string failure)>;
  virtual void fetch_statement(const std::string& channel, StatementDone done) = 0;
};

void route(RouteContext& context, const net::HttpRequestIn& in, net::Responder respond);

// Prometheus text exposition of the core's metrics and state (prometheus.cpp).
[[nodiscard]] std::string render_prometheus(RouteContext& context);

}  // namespace fusebox::gateway
