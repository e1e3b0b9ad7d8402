// The operator API under /admin/ (docs/GATEWAY.md): channel and method switches, forced
// breaker states, reconciliation, manual review, alerts, and the order listings the harness's
// checker reads. Every route needs the bearer token.
#include <stdexcept>
#include <strings.h>

#include "route_util.hpp"

namespace fusebox::gateway {
namespace {

using nlohmann::json;

bool authorized(const RouteContext& context, const net::HttpRequestIn& in,
                const LiveGatewayOptions& options) {
  (void)context;
  if (options.admin_token.empty()) return options.insecure_local;
  for (const auto& [name, value] : in.headers) {
    if (name.size() == 13 && strncasecmp(name.c_str(), "authorization", 13) == 0) {
      return value == "Bearer " + options.admin_token;
    }
  }
  return false;
}

json breaker_json(const BreakerSnapshot& b) {
  return json{{"state", std::string(to_string(b.state))},
              {"force", std::string(to_string(b.force))},
              {"calls", b.calls},
              {"failure_rate", b.failure_rate},
              {"slow_call_rate", b.slow_call_rate},
              {"trips", b.trips},
              {"open_until_ms", b.open_until_ns / 1'000'000},
              {"probes_in_flight", b.probes_in_flight},
              {"rejected", b.rejected}};
}

json bulkheads_json(const ChannelView& view) {
  json out = json::object();
  for (int op = 0; op < kChannelOpCount; ++op) {
    out[std::string(to_string(static_cast<ChannelOp>(op)))] = {
        {"in_flight", view.in_flight[static_cast<std::size_t>(op)]},
        {"queued", view.queued[static_cast<std::size_t>(op)]}};
  }
  return out;
}

json channels_json(RouteContext& context) {
  json out = json::array();
  for (const ChannelView& view : context.core().channels(context.now())) {
    const TransportStats pool = context.transport_stats(view.name);
    out.push_back({{"name", view.name},
                   {"family", std::string(to_string(view.family))},
                   {"method", std::string(to_string(view.method))},
                   {"enabled", view.enabled},
                   {"breaker", breaker_json(view.payments_breaker)},
                   {"refunds_breaker", breaker_json(view.refunds_breaker)},
                   {"bulkheads", bulkheads_json(view)},
                   {"pending_orders", view.pending_orders},
                   {"pool",
                    {{"connections_open", pool.connections_open},
                     {"connections_idle", pool.connections_idle},
                     {"requests_in_flight", pool.requests_in_flight},
                     {"nodes_healthy", pool.nodes_healthy},
                     {"nodes_total", pool.nodes_total}}}});
  }
  return out;
}

// The body as an object, or a 400 naming what is wrong.
std::optional<json> body_object(const net::HttpRequestIn& in, const net::Responder& respond) {
  json body = json::parse(in.body.empty() ? "{}" : in.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    respond_error(respond, api::error(400, "MALFORMED_JSON", "expected a JSON object"));
    return std::nullopt;
  }
  return body;
}

std::optional<bool> enabled_field(const json& body, const net::Responder& respond) {
  const auto it = body.find("enabled");
  if (it == body.end() || !it->is_boolean()) {
    respond_error(respond,
                  api::error(400, "INVALID_FIELD", "enabled: expected true or false", "enabled"));
    return std::nullopt;
  }
  return it->get<bool>();
}

void reconcile_statement(RouteContext& context, const std::string& channel,
                         net::Responder respond) {
  context.fetch_statement(
      channel, [&context, channel, respond](std::string csv, std::string failure) {
        if (!failure.empty()) {
          return respond_error(respond, api::error(502, "STATEMENT_UNAVAILABLE", failure));
        }
        try {
          const auto rows = parse_statement_csv(csv);
          const ReconcileReport report =
              context.core().reconcile_statement(context.now(), channel, rows);
          json differences = json::array();
          for (const Difference& d : report.differences) {
            differences.push_back(
                {{"kind", std::string(to_string(d.kind))}, {"id", d.id}, {"detail", d.detail}});
          }
          respond_json(respond, 200,
                       {{"channel", channel},
                        {"rows", report.rows},
                        {"matched", report.matched},
                        {"differences", differences}});
        } catch (const std::invalid_argument& e) {
          respond_error(respond, api::error(502, "STATEMENT_MALFORMED", e.what()));
        }
      });
}

void reconcile_orders(RouteContext& context, const json& body, const net::Responder& respond) {
  Effects effects;
  std::size_t queued = 0;
  if (const auto ids = body.find("payment_ids"); ids != body.end()) {
    if (!ids->is_array()) {
      return respond_error(
          respond, api::error(400, "INVALID_FIELD", "payment_ids: expected an array of strings",
                              "payment_ids"));
    }
    std::vector<std::string> list;
    for (const auto& id : *ids) {
      if (id.is_string()) list.push_back(id.get<std::string>());
    }
    queued = context.core().reconcile_orders(context.now(), list, effects);
  } else {
    const auto from = body.find("from_ms");
    const auto to = body.find("to_ms");
    if (from == body.end() || to == body.end() || !from->is_number_integer() ||
        !to->is_number_integer()) {
      return respond_error(respond, api::error(400, "INVALID_FIELD",
                                               "expected payment_ids, or from_ms and to_ms "
                                               "(integers, ms since the epoch)",
                                               "from_ms"));
    }
    queued = context.core().reconcile_range(context.now(), from->get<std::int64_t>() * 1'000'000,
                                            to->get<std::int64_t>() * 1'000'000, effects);
  }
  context.apply(effects);
  respond_json(respond, 202, {{"queued", queued}});
}

json orders_json(RouteContext& context, const net::HttpRequestIn& in) {
  const std::string status = query_value(in.target, "status");
  const std::string channel = query_value(in.target, "channel");
  json out = json::array();
  for (const Payment& p : context.core().payments()) {
    if (!status.empty() && to_string(p.status) != status) continue;
    if (!channel.empty() && p.channel != channel) continue;
    out.push_back(api::to_json(p));
  }
  return out;
}

json lists_json(RouteContext& context, const std::string& what) {
  json out = json::array();
  if (what == "manual-review") {
    for (const auto& item : context.core().manual_review()) {
      out.push_back({{"id", item.id},
                     {"channel", item.channel},
                     {"reason", item.reason},
                     {"at_ms", item.at_ns / 1'000'000}});
    }
  } else if (what == "alerts") {
    for (const auto& event : context.core().metrics().alert_events()) {
      out.push_back({{"rule", event.rule},
                     {"channel", event.channel},
                     {"firing", event.firing},
                     {"value", event.value},
                     {"at_ms", event.at_ns / 1'000'000}});
    }
  } else if (what == "breaker-events") {
    for (const auto& e : context.core().breaker_events()) {
      out.push_back({{"channel", e.channel},
                     {"path", e.refunds ? "refunds" : "payments"},
                     {"from", std::string(to_string(e.event.from))},
                     {"to", std::string(to_string(e.event.to))},
                     {"reason", std::string(to_string(e.event.reason))},
                     {"failure_rate", e.event.failure_rate},
                     {"slow_call_rate", e.event.slow_call_rate},
                     {"calls", e.event.calls},
                     {"at_ms", e.event.at_ns / 1'000'000}});
    }
  } else if (what == "refunds") {
    for (const Refund& r : context.core().refunds())
      out.push_back(api::to_json(r));
  }
  return out;
}

void channel_action(RouteContext& context, const net::HttpRequestIn& in,
                    const std::vector<std::string>& parts, net::Responder respond) {
  const std::string& name = parts[2];
  if (parts[3] == "reconcile-statement") {
    if (context.codec(name) == nullptr) return respond_error(respond, not_found(in));
    if (const Role role = context.core().config().role; !serves(role, Role::payments)) {
      return respond_error(respond, wrong_role(role, Role::payments));
    }
    return reconcile_statement(context, name, std::move(respond));
  }
  const auto body = body_object(in, respond);
  if (!body) return;
  if (parts[3] == "switch") {
    const auto enabled = enabled_field(*body, respond);
    if (!enabled) return;
    if (!context.core().set_channel_enabled(context.now(), name, *enabled)) {
      return respond_error(respond, not_found(in));
    }
    return respond_json(respond, 200, {{"channel", name}, {"enabled", *enabled}});
  }
  if (parts[3] == "breaker") {
    const std::string force = body->value("force", "");
    const ForceMode mode = force == "open"     ? ForceMode::forced_open
                           : force == "closed" ? ForceMode::forced_closed
                                               : ForceMode::none;
    if (force != "open" && force != "closed" && force != "none") {
      return respond_error(respond,
                           api::error(400, "INVALID_FIELD",
                                      "force: expected \"open\", \"closed\" or \"none\"", "force"));
    }
    if (!context.core().force_breaker(context.now(), name, mode)) {
      return respond_error(respond, not_found(in));
    }
    return respond_json(respond, 200, {{"channel", name}, {"force", force}});
  }
  respond_error(respond, not_found(in));
}

}  // namespace

void admin_route(RouteContext& context, const net::HttpRequestIn& in,
                 const std::vector<std::string>& parts, net::Responder respond) {
  if (!authorized(context, in, context.options())) {
    return respond_error(respond, api::error(401, "UNAUTHORIZED",
                                             "the operator API needs Authorization: Bearer TOKEN"));
  }
  const bool get = in.method == "GET";
  if (parts.size() == 2 && get) {
    if (parts[1] == "channels") return respond_json(respond, 200, channels_json(context));
    if (parts[1] == "payments") return respond_json(respond, 200, orders_json(context, in));
    if (parts[1] == "refund-rates") {
      const RefundRates rates = context.core().refund_rates(context.now());
      json out;
      for (const auto& [name, w] :
           {std::pair{"same_day", rates.same_day}, std::pair{"next_day", rates.next_day},
            std::pair{"seven_day", rates.seven_day}}) {
        out[name] = {{"judged", w.judged}, {"succeeded", w.succeeded}, {"rate", w.rate()}};
      }
      return respond_json(respond, 200, out);
    }
    for (const char* list : {"manual-review", "alerts", "breaker-events", "refunds"}) {
      if (parts[1] == list) return respond_json(respond, 200, lists_json(context, parts[1]));
    }
    return respond_error(respond, not_found(in));
  }
  if (in.method != "POST") return respond_error(respond, not_found(in));
  if (parts.size() == 4 && parts[1] == "channels") {
    return channel_action(context, in, parts, std::move(respond));
  }
  const auto body = body_object(in, respond);
  if (!body) return;
  if (parts.size() == 4 && parts[1] == "methods" && parts[3] == "switch") {
    const auto method = parse_method(parts[2]);
    const auto enabled = enabled_field(*body, respond);
    if (!enabled) return;
    if (!method) return respond_error(respond, not_found(in));
    context.core().set_method_enabled(context.now(), *method, *enabled);
    return respond_json(respond, 200, {{"method", parts[2]}, {"enabled", *enabled}});
  }
  if (parts.size() == 2 && parts[1] == "reconcile") {
    // Reconciliation moves payments: the payments process's work.
    if (const Role role = context.core().config().role; !serves(role, Role::payments)) {
      return respond_error(respond, wrong_role(role, Role::payments));
    }
    return reconcile_orders(context, *body, respond);
  }
  respond_error(respond, not_found(in));
}

}  // namespace fusebox::gateway
