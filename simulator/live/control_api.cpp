// The control API: faults set and cleared live, channel listings, the ledger, merchant keys.
#include <string>
#include <vector>

#include "fusebox/net/url.hpp"
#include "fusebox/simulator/control_json.hpp"

#include "live_channel.hpp"

namespace fusebox::sim::live {

using net::path_parts;
using net::query_value;
using nlohmann::json;

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

// The from_ms and to_ms query parameters (ms since the simulator's start) as [from, to);
// a message naming the bad parameter, or empty.
std::string time_range(std::string_view target, TimeNs& from_ns, TimeNs& to_ns) {
  for (const auto& [name, bound] : {std::pair{"from_ms", &from_ns}, std::pair{"to_ms", &to_ns}}) {
    const std::string text = query_value(target, name);
    if (text.empty()) continue;
    if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 15) {
      return std::string(name) + ": expected milliseconds since start, got \"" + text + "\"";
    }
    *bound = std::stoll(text) * kNsPerMs;
  }
  return "";
}

template <class Reply>
void channel_control(LiveChannel& wallet, const HttpRequestIn& in,
                     const std::vector<std::string>& parts, const Reply& reply,
                     const Responder& respond) {
  FaultTable& faults = wallet.model().faults();
  if (parts[3] == "faults" && parts.size() == 4 && in.method == "POST") {
    const Fault fault = parse_fault(ConfigDocument::parse("request body", in.body).root());
    const std::uint64_t id = faults.add(fault);
    if (id == 0) {
      return reply(409, error_body("too_many_faults", "the channel already has " +
                                                          std::to_string(FaultTable::kMaxFaults) +
                                                          " faults; delete some first"));
    }
    return reply(201, json{{"id", id}});
  }
  if (parts[3] == "faults" && parts.size() == 4 && in.method == "DELETE") {
    faults.clear();
    return reply(200, json{{"cleared", true}});
  }
  if (parts[3] == "faults" && parts.size() == 5 &&
      (in.method == "DELETE" || in.method == "PATCH")) {
    std::uint64_t id = 0;
    try {
      id = std::stoull(parts[4]);
    } catch (const std::exception&) {
      return reply(400, error_body("invalid_request",
                                   "fault id must be a number, got \"" + parts[4] + "\""));
    }
    if (in.method == "PATCH") {
      Fault* fault = faults.find(id);
      if (fault == nullptr) return reply(404, error_body("unknown_fault", "no fault " + parts[4]));
      Fault patched = *fault;  // a bad body changes nothing
      patch_fault(ConfigDocument::parse("request body", in.body).root(), patched);
      *fault = patched;
      return reply(200, fault_json(patched));
    }
    if (!faults.remove(id)) return reply(404, error_body("unknown_fault", "no fault " + parts[4]));
    return reply(200, json{{"removed", id}});
  }
  if (parts[3] == "statement" && parts.size() == 4 && in.method == "GET") {
    TimeNs from_ns = 0;
    TimeNs to_ns = INT64_MAX;
    if (const std::string bad = time_range(in.target, from_ns, to_ns); !bad.empty()) {
      return reply(400, error_body("invalid_request", bad));
    }
    const auto rows = wallet.model().statement(wallet.now_ns(), from_ns, to_ns);
    return respond(
        HttpResponseOut{200, "text/csv", render_statement_csv(rows), {}, WireDelivery::normal});
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

json channels_json(Channels& wallets_) {
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
                        {"endpoint", wallet->endpoint()},
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
                        {"ledger_entries", wallet->model().ledger().size()}});
  }
  return channels;
}

LiveChannel* find(Channels& wallets_, const std::string& name) {
  const auto it = wallets_.find(name);
  return it == wallets_.end() ? nullptr : it->second.get();
}

}  // namespace

void handle_control(const HttpRequestIn& in, const Responder& respond, Channels& channels,
                    const TestCa& ca) {
  const auto reply = [&](int status, const json& body) {
    respond(HttpResponseOut{status, "application/json", body.dump(), {}, WireDelivery::normal});
  };
  const std::vector<std::string> parts = path_parts(in.target);
  if (parts.size() < 2 || parts[0] != "control") {
    return reply(404, error_body("not_found", "no such endpoint: " + in.target));
  }
  try {
    if (parts[1] == "channels" && parts.size() == 2 && in.method == "GET")
      return reply(200, channels_json(channels));
    if (parts[1] == "reset" && parts.size() == 2 && in.method == "POST") {
      json names = json::array();
      for (auto& [name, channel] : channels) {
        channel->reset();
        names.push_back(name);
      }
      return reply(200, json{{"reset", names}});
    }
    if (parts[1] == "ca" && parts.size() == 2 && in.method == "GET") {
      return respond(HttpResponseOut{
          200, "application/x-pem-file", ca.cert.to_pem(), {}, WireDelivery::normal});
    }
    if (parts[1] == "notify-cert" && parts.size() == 2 && in.method == "POST") {
      // A merchant's certificate for an HTTPS notify endpoint on loopback, from the CA the
      // channels trust: as a real merchant's comes from a public CA.
      const TestServerCert cert =
          issue_server_cert(ca, "127.0.0.1", {"127.0.0.1", "::1"}, {"localhost"});
      return reply(200, json{{"cert_pem", cert.cert.to_pem()},
                             {"key_pem", cert.key.to_pem()},
                             {"ca_pem", ca.cert.to_pem()}});
    }
    if (parts[1] == "ledger" && parts.size() == 2 && in.method == "GET") {
      LiveChannel* wallet = find(channels, query_value(in.target, "channel"));
      if (wallet == nullptr)
        return reply(
            404, error_body("unknown_channel", "ledger needs ?channel=NAME of a served channel"));
      TimeNs from_ns = 0;
      TimeNs to_ns = INT64_MAX;
      if (const std::string bad = time_range(in.target, from_ns, to_ns); !bad.empty()) {
        return reply(400, error_body("invalid_request", bad));
      }
      json entries = json::array();
      for (const LedgerEntry& e :
           wallet->model().ledger_entries(from_ns, to_ns, query_value(in.target, "order"))) {
        entries.push_back(ledger_entry_json(e));
      }
      return reply(200, entries);
    }
    if (parts[1] == "channels" && parts.size() >= 4) {
      LiveChannel* wallet = find(channels, parts[2]);
      if (wallet == nullptr)
        return reply(404, error_body("unknown_channel", "no channel named \"" + parts[2] + "\""));
      return channel_control(*wallet, in, parts, reply, respond);
    }
  } catch (const ConfigError& e) {
    return reply(400, error_body("invalid_request", e.what()));
  } catch (const CryptoError& e) {
    return reply(400, error_body("invalid_key", e.what()));
  }
  reply(404, error_body("not_found", "no such endpoint: " + in.method + " " + in.target));
}

}  // namespace fusebox::sim::live

namespace fusebox::sim {

nlohmann::json ledger_entry_json(const LedgerEntry& e) {
  using nlohmann::json;
  json entry{{"at_ms", e.at_ns / kNsPerMs},
             {"event", std::string(to_string(e.event))},
             {"order_id", e.order_id},
             {"amount", e.amount_minor},
             {"currency", e.currency}};
  if (!e.refund_id.empty()) entry["refund_id"] = e.refund_id;
  if (!e.channel_txn_id.empty()) entry["channel_txn_id"] = e.channel_txn_id;
  return entry;
}

}  // namespace fusebox::sim
