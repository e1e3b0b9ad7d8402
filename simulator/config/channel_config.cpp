#include "fusebox/simulator/channel_config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "fusebox/common/crypto.hpp"

namespace fusebox::sim {

namespace {

constexpr int kMaxNodes = 16;

TimeNs seconds(const ConfigNode& node, bool positive) {
  const double s = positive ? node.as_positive_number() : node.as_non_negative_number();
  return static_cast<TimeNs>(std::llround(s * 1e9));
}

Operation parse_operation(const ConfigNode& node) {
  const std::string name =
      node.as_enum({"pay", "query", "refund", "refund_query", "close", "statement"});
  for (std::size_t i = 0; i < kOperationCount; ++i) {
    if (to_string(static_cast<Operation>(i)) == name) return static_cast<Operation>(i);
  }
  node.fail_expected("an operation");
}

FaultKind parse_kind(const ConfigNode& node) {
  const std::string name = node.as_string();
  if (const auto kind = parse_fault_kind(name)) return *kind;
  std::string known;
  for (int k = 0; k <= static_cast<int>(kLastFaultKind); ++k) {
    known += (known.empty() ? "" : ", ") + std::string(to_string(static_cast<FaultKind>(k)));
  }
  node.fail_expected("a fault kind (" + known + ")");
}

// The parameters a fault kind takes beyond the common ones, and which it requires.
struct KindFields {
  bool delay = false;
  bool delay_required = false;
  bool factor = false;
  bool flapping = false;
};

KindFields fields_for(FaultKind kind) {
  switch (kind) {
    case FaultKind::latency:
    case FaultKind::processing:
    case FaultKind::query_not_found:
    case FaultKind::late_answer:
    case FaultKind::notify_delayed:
    case FaultKind::notify_replayed:
      return {true, true, false, false};
    case FaultKind::too_many_requests:
      return {true, false, false, false};
    case FaultKind::brownout:
      return {false, false, true, false};
    case FaultKind::flapping:
      return {false, false, false, true};
    default:
      return {};
  }
}

void expect_fault_fields(const ConfigNode& node, const KindFields& kind) {
  std::vector<std::string_view> allowed{"kind", "operation", "node", "at_s", "for_s", "p"};
  if (kind.delay) allowed.emplace_back("delay_ms");
  if (kind.factor) allowed.emplace_back("factor");
  if (kind.flapping) {
    allowed.emplace_back("period_s");
    allowed.emplace_back("duty");
  }
  for (const auto& [key, value] : node.members()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto name : allowed)
        list += (list.empty() ? "" : ", ") + std::string(name);
      value.fail("field \"" + key + "\" does not apply to this fault kind (it takes: " + list +
                 ")");
    }
  }
}

}  // namespace

std::string_view to_string(Family family) {
  switch (family) {
    case Family::wallet_json:
      return "wallet-json";
    case Family::wallet_xml:
      return "wallet-xml";
    case Family::bank_binary:
      return "bank-binary";
  }
  return "unknown";
}

void patch_fault(const ConfigNode& node, Fault& fault) {
  if (!node.is_object()) node.fail_expected("an object with \"at_s\", \"for_s\" or \"p\"");
  node.expect_fields({"at_s", "for_s", "p"});
  if (const auto at = node.find("at_s")) {
    const TimeNs start_ns = seconds(*at, false);
    if (fault.end_ns != INT64_MAX) fault.end_ns = start_ns + (fault.end_ns - fault.start_ns);
    fault.start_ns = start_ns;
  }
  if (const auto duration = node.find("for_s")) {
    fault.end_ns = fault.start_ns + seconds(*duration, true);
  }
  if (const auto p = node.find("p")) fault.probability = p->as_probability();
}

Fault parse_fault(const ConfigNode& node) {
  if (!node.is_object()) node.fail_expected("a fault object with a \"kind\"");
  Fault fault;
  fault.kind = parse_kind(node.at("kind"));
  const KindFields kind = fields_for(fault.kind);
  expect_fault_fields(node, kind);
  if (const auto op = node.find("operation")) fault.operation = parse_operation(*op);
  if (const auto n = node.find("node")) fault.node = static_cast<int>(n->as_int(0, kMaxNodes - 1));
  if (const auto at = node.find("at_s")) fault.start_ns = seconds(*at, false);
  if (const auto duration = node.find("for_s"))
    fault.end_ns = fault.start_ns + seconds(*duration, true);
  if (const auto p = node.find("p")) fault.probability = p->as_probability();
  if (kind.delay_required || node.has("delay_ms")) {
    if (kind.delay) fault.delay_ms = parse_distribution(node.at("delay_ms"), true);
  } else if (fault.kind == FaultKind::too_many_requests) {
    fault.delay_ms = Distribution::fixed(1'000);  // Retry-After: 1 s unless told
  }
  if (kind.factor) fault.factor = node.at("factor").as_positive_number();
  if (kind.flapping) {
    fault.period_ns = seconds(node.at("period_s"), true);
    if (const auto duty = node.find("duty")) fault.duty = duty->as_number_in(0.0, 1.0);
  }
  return fault;
}

namespace {

void parse_latencies(const ConfigNode& node, ChannelModelConfig& model) {
  for (const auto& [name, value] : node.members()) {
    bool known = false;
    for (std::size_t i = 0; i < kOperationCount; ++i) {
      if (to_string(static_cast<Operation>(i)) != name) continue;
      model.latency_ms[i] = parse_distribution(value, true);
      known = true;
    }
    if (!known)
      value.fail("unknown operation \"" + name +
                 "\" (pay, query, refund, refund_query, close, statement)");
  }
}

void parse_outcome(const ConfigNode& node, OutcomeConfig& outcome) {
  node.expect_fields({"success_p", "decline_p", "pay_after_ms", "expire_after_s"});
  if (const auto p = node.find("success_p")) outcome.success_p = p->as_probability();
  if (const auto p = node.find("decline_p")) outcome.decline_p = p->as_probability();
  if (outcome.success_p + outcome.decline_p > 1.0 + 1e-12) {
    node.fail("success_p + decline_p must not exceed 1, got " +
              std::to_string(outcome.success_p + outcome.decline_p));
  }
  if (const auto d = node.find("pay_after_ms")) outcome.pay_after_ms = parse_distribution(*d, true);
  if (const auto e = node.find("expire_after_s")) outcome.expire_after_ns = seconds(*e, true);
}

void parse_notify(const ConfigNode& node, NotifyConfig& notify, std::string& url) {
  node.expect_fields({"enabled", "retry_after_s", "url"});
  if (const auto e = node.find("enabled")) notify.enabled = e->as_bool();
  if (const auto u = node.find("url")) url = u->as_non_empty_string();
  if (const auto r = node.find("retry_after_s")) {
    r->expect_array(0, 64);
    notify.retry_after_ns.clear();
    for (const ConfigNode& delay : r->elements())
      notify.retry_after_ns.push_back(seconds(delay, true));
  }
}

void parse_model_sections(const ConfigNode& node, ChannelSpec& spec) {
  ChannelModelConfig& model = spec.model;
  if (const auto s = node.find("synchronous_pay")) model.synchronous_pay = s->as_bool();
  if (const auto l = node.find("latency_ms")) parse_latencies(*l, model);
  if (const auto c = node.find("capacity")) {
    c->expect_fields({"max_concurrency", "max_queue"});
    if (const auto m = c->find("max_concurrency"))
      model.capacity.max_concurrency = static_cast<std::size_t>(m->as_int(0, 1'000'000));
    if (const auto q = c->find("max_queue"))
      model.capacity.max_queue = static_cast<std::size_t>(q->as_int(0, 10'000'000));
  }
  if (const auto o = node.find("outcome")) parse_outcome(*o, model.outcome);
  if (const auto r = node.find("refund")) {
    r->expect_fields({"success_p", "complete_after_ms"});
    if (const auto p = r->find("success_p")) model.refund.success_p = p->as_probability();
    if (const auto d = r->find("complete_after_ms"))
      model.refund.complete_after_ms = parse_distribution(*d, true);
  }
  if (const auto n = node.find("notify")) parse_notify(*n, model.notify, spec.notify_url);
  if (const auto m = node.find("max_orders"))
    model.max_orders = static_cast<std::size_t>(m->as_int(1, 1'000'000'000));
}

// Family defaults: wallets sign with RSA over TLS (json) or HMAC over plain HTTP (xml) and
// notify; banks MAC with HMAC, answer synchronously, have three nodes and do not notify.
void apply_family_defaults(ChannelSpec& spec) {
  switch (spec.family) {
    case Family::wallet_json:
      spec.sign = SignScheme::rsa_sha256;
      spec.tls = true;
      break;
    case Family::wallet_xml:
      spec.sign = SignScheme::hmac_sha256;
      spec.tls = false;
      break;
    case Family::bank_binary:
      spec.sign = SignScheme::hmac_sha256;
      spec.tls = false;
      spec.nodes = 3;
      spec.model.synchronous_pay = true;
      spec.model.notify.enabled = false;
      break;
  }
}

}  // namespace

ChannelSpec parse_channel(const ConfigNode& node) {
  node.expect_fields({"name", "family", "sign", "tls", "nodes", "ports", "notify_url",
                      "synchronous_pay", "latency_ms", "capacity", "outcome", "refund", "notify",
                      "max_orders", "faults"});
  ChannelSpec spec;
  const ConfigNode name = node.at("name");
  spec.model.name = name.as_non_empty_string();
  if (spec.model.name.size() > 32 ||
      !std::all_of(spec.model.name.begin(), spec.model.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      })) {
    name.fail_expected("1 to 32 characters of a-z, 0-9, '-' and '_'");
  }
  const std::string family =
      node.at("family").as_enum({"wallet-json", "wallet-xml", "bank-binary"});
  spec.family = family == "wallet-json"  ? Family::wallet_json
                : family == "wallet-xml" ? Family::wallet_xml
                                         : Family::bank_binary;
  apply_family_defaults(spec);
  if (const auto s = node.find("sign")) {
    spec.sign = *parse_sign_scheme(
        s->as_enum({"none", "hmac-sha256", "rsa-sha256", "ecdsa-p256-sha256", "ed25519"}));
  }
  if (const auto t = node.find("tls")) {
    if (spec.family == Family::bank_binary)
      t->fail("bank-binary speaks raw TCP: tls does not apply");
    spec.tls = t->as_bool();
  }
  if (const auto n = node.find("nodes")) {
    if (spec.family != Family::bank_binary)
      n->fail("only bank-binary channels have front-end nodes");
    spec.nodes = static_cast<int>(n->as_int(1, kMaxNodes));
  }
  spec.ports.assign(static_cast<std::size_t>(spec.nodes), 0);
  if (const auto p = node.find("ports")) {
    p->expect_array(static_cast<std::size_t>(spec.nodes), static_cast<std::size_t>(spec.nodes));
    for (std::size_t i = 0; i < spec.ports.size(); ++i)
      spec.ports[i] = static_cast<int>(p->at(i).as_int(0, 65'535));
  }
  if (const auto u = node.find("notify_url")) spec.notify_url = u->as_non_empty_string();
  parse_model_sections(node, spec);
  if (const auto faults = node.find("faults")) {
    faults->expect_array(0, FaultTable::kMaxFaults);
    for (const ConfigNode& f : faults->elements()) {
      Fault fault = parse_fault(f);
      if (fault.node && *fault.node >= spec.nodes) {
        f.at("node").fail_expected("a node below " + std::to_string(spec.nodes) +
                                   " (the channel's node count)");
      }
      spec.faults.push_back(std::move(fault));
    }
  }
  return spec;
}

SimulatorSpec parse_simulator(const ConfigNode& root) {
  root.expect_fields({"seed", "host", "control_port", "notify_ca_file", "channels"});
  SimulatorSpec spec;
  if (const auto s = root.find("seed")) spec.seed = s->as_uint64();
  if (const auto h = root.find("host")) {
    spec.host = h->as_string();
    if (spec.host != "127.0.0.1" && spec.host != "::1" && spec.host != "localhost") {
      h->fail_expected(
          "a loopback address (127.0.0.1, ::1 or localhost): the simulator never listens "
          "elsewhere");
    }
  }
  if (const auto p = root.find("control_port"))
    spec.control_port = static_cast<int>(p->as_int(0, 65'535));
  if (const auto f = root.find("notify_ca_file")) {
    const std::string path = f->as_non_empty_string();
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) f->fail("cannot read \"" + path + "\"");
    spec.notify_ca_pem = text.str();
    if (spec.notify_ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      f->fail_expected("a PEM file holding one or more CA certificates: \"" + path + "\" has none");
    // Every certificate must read, so a damaged one is named here rather than at start.
    constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
    for (std::size_t at = 0;
         (at = spec.notify_ca_pem.find("-----BEGIN CERTIFICATE-----", at)) != std::string::npos;) {
      const std::size_t end = spec.notify_ca_pem.find(kEnd, at);
      const std::size_t stop =
          end == std::string::npos ? spec.notify_ca_pem.size() : end + kEnd.size();
      try {
        (void)Certificate::from_pem(std::string_view(spec.notify_ca_pem).substr(at, stop - at),
                                    path);
      } catch (const CryptoError& e) {
        f->fail(e.what());
      }
      at = stop;
    }
  }
  const ConfigNode channels = root.at("channels");
  channels.expect_array(1, 64);
  std::set<std::string> names;
  for (const ConfigNode& c : channels.elements()) {
    ChannelSpec channel = parse_channel(c);
    if (!names.insert(channel.model.name).second) {
      c.at("name").fail("channel name \"" + channel.model.name + "\" is used twice");
    }
    spec.channels.push_back(std::move(channel));
  }
  return spec;
}

SimulatorSpec default_simulator() {
  SimulatorSpec spec;
  const auto channel = [](std::string name, Family family) {
    ChannelSpec c;
    c.family = family;
    apply_family_defaults(c);
    c.model.name = std::move(name);
    c.ports.assign(static_cast<std::size_t>(c.nodes), 0);
    return c;
  };
  spec.channels.push_back(channel("wallet-a", Family::wallet_json));
  spec.channels.push_back(channel("wallet-b", Family::wallet_json));
  spec.channels.push_back(channel("wallet-xml", Family::wallet_xml));
  spec.channels.push_back(channel("bank", Family::bank_binary));
  return spec;
}

}  // namespace fusebox::sim
