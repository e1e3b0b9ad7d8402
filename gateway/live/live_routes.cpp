// The merchant API, channel notifications, health and metrics (docs/GATEWAY.md). The
// operator API is in admin_routes.cpp.
#include <vector>

#include "fusebox/gateway/api_json.hpp"
#include "fusebox/gateway/routes.hpp"

#include "route_util.hpp"

namespace fusebox::gateway {
namespace {

using nlohmann::json;

void payments_route(RouteContext& context, const net::HttpRequestIn& in,
                    const std::vector<std::string>& parts, net::Responder respond) {
  Effects effects;
  if (parts.size() == 2 && in.method == "POST") {
    auto parsed = api::parse_pay(in.body);
    if (auto* error = std::get_if<MerchantError>(&parsed)) return respond_error(respond, *error);
    const RequestId id = context.wait_for_reply(std::move(respond));
    context.core().pay(context.now(), id, std::get<PayRequest>(parsed), effects);
    return context.apply(effects);
  }
  if (parts.size() == 3 && in.method == "GET") {
    const std::optional<Payment> payment = context.core().payment_for_merchant(parts[2]);
    if (!payment) {
      return respond_error(
          respond, api::error(404, "NOT_FOUND", "no payment \"" + parts[2] + "\"", "payment_id"));
    }
    return respond(net::make_response(200, "application/json", api::to_json_text(*payment)));
  }
  if (parts.size() == 4 && parts[3] == "close" && in.method == "POST") {
    const RequestId id = context.wait_for_reply(std::move(respond));
    context.core().close(context.now(), id, parts[2], effects);
    return context.apply(effects);
  }
  respond_error(respond, not_found(in));
}

void refunds_route(RouteContext& context, const net::HttpRequestIn& in,
                   const std::vector<std::string>& parts, net::Responder respond) {
  if (parts.size() == 2 && in.method == "POST") {
    auto parsed = api::parse_refund(in.body);
    if (auto* error = std::get_if<MerchantError>(&parsed)) return respond_error(respond, *error);
    Effects effects;
    const RequestId id = context.wait_for_reply(std::move(respond));
    context.core().refund(context.now(), id, std::get<RefundRequest>(parsed), effects);
    return context.apply(effects);
  }
  if (parts.size() == 3 && in.method == "GET") {
    const std::optional<Refund> refund = context.core().find_refund(parts[2]);
    if (!refund) {
      return respond_error(
          respond, api::error(404, "NOT_FOUND", "no refund \"" + parts[2] + "\"", "refund_id"));
    }
    return respond(net::make_response(200, "application/json", api::to_json_text(*refund)));
  }
  respond_error(respond, not_found(in));
}

// A channel's notification: parsed and verified by the channel's own codec, judged by the
// core, acknowledged in the channel's exact format only when the core says so.
void notify_route(RouteContext& context, const net::HttpRequestIn& in, const std::string& channel,
                  const net::Responder& respond) {
  const ChannelCodec* codec = context.codec(channel);
  if (codec == nullptr || in.method != "POST") return respond_error(respond, not_found(in));
  const NotificationParse parse = codec->parse_notification(in.body);
  const NotificationVerdict verdict = context.core().on_notification(context.now(), channel, parse);
  if (verdict.ack) {
    return respond(net::make_response(200, std::string(codec->ack_content_type()),
                                      std::string(codec->ack_body())));
  }
  respond_error(respond, api::error(400, "NOTIFICATION_REJECTED",
                                    "notification not applied: " + verdict.verdict +
                                        (parse.error.empty() ? "" : " (" + parse.error + ")")));
}

}  // namespace

void route(RouteContext& context, const net::HttpRequestIn& in, net::Responder respond) {
  const std::vector<std::string> parts = path_parts(in.target);
  if (parts.empty()) return respond_error(respond, not_found(in));
  if (parts[0] == "healthz" && parts.size() == 1) {
    return respond_json(respond, 200, json{{"status", "ok"}});
  }
  if (parts[0] == "metrics" && parts.size() == 1 && in.method == "GET") {
    return respond(
        net::make_response(200, "text/plain; version=0.0.4", render_prometheus(context)));
  }
  if (parts[0] == "notify" && parts.size() == 2) {
    return notify_route(context, in, parts[1], respond);
  }
  const Role role = context.core().config().role;
  if (parts[0] == "v1" && parts.size() >= 2 && parts[1] == "payments") {
    if (!serves(role, Role::payments))
      return respond_error(respond, wrong_role(role, Role::payments));
    return payments_route(context, in, parts, std::move(respond));
  }
  if (parts[0] == "v1" && parts.size() >= 2 && parts[1] == "refunds") {
    if (!serves(role, Role::refunds))
      return respond_error(respond, wrong_role(role, Role::refunds));
    return refunds_route(context, in, parts, std::move(respond));
  }
  if (parts[0] == "admin") return admin_route(context, in, parts, std::move(respond));
  respond_error(respond, not_found(in));
}

}  // namespace fusebox::gateway
