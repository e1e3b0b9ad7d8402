// The gateway's config file, and taking channels from a running simulator.
#include <cerrno>
#include <fstream>
#include <set>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

#include "fusebox/common/config.hpp"
#include "fusebox/common/crypto.hpp"
#include "fusebox/gateway/live_gateway.hpp"
#include "fusebox/net/http_client.hpp"
#include "fusebox/net/url.hpp"

namespace fusebox::gateway {
namespace {

using nlohmann::json;

PrivateKey merchant_key_for(SignScheme scheme) {
  switch (scheme) {
    case SignScheme::rsa_sha256:
      return PrivateKey::generate_rsa(2048);
    case SignScheme::ecdsa_p256_sha256:
      return PrivateKey::generate_ec_p256();
    case SignScheme::ed25519:
      return PrivateKey::generate_ed25519();
    default:
      throw std::logic_error("not an asymmetric scheme");
  }
}

// The merchant's key for a channel. With a store file it is kept beside it, in
// "<store>.keys/<channel>.<scheme>.pem": every process of this merchant, the two halves of a
// split deployment or one restarted, then signs with the one key the channel holds, as a real
// merchant's servers do. The first process to start creates it; link() makes that atomic, so
// two starting together still agree. Without a store file each start generates a fresh one.
PrivateKey merchant_key(const std::filesystem::path& store, const ChannelEndpoint& endpoint) {
  if (store.empty() || store == ":memory:") return merchant_key_for(endpoint.sign);
  if (endpoint.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-") != std::string::npos) {
    throw std::runtime_error("channel \"" + endpoint.name +
                             "\": cannot keep its merchant key in a file named after it");
  }
  const std::filesystem::path dir = store.string() + ".keys";
  const std::filesystem::path file =
      dir / (endpoint.name + "." + std::string(to_string(endpoint.sign)) + ".pem");
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists(file)) {
    const std::filesystem::path draft = file.string() + "." + std::to_string(::getpid());
    std::ofstream(draft) << merchant_key_for(endpoint.sign).to_pem();
    std::filesystem::permissions(
        draft, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const int linked = ::link(draft.c_str(), file.c_str());
    const int link_errno = errno;
    std::filesystem::remove(draft);
    if (linked != 0 && link_errno != EEXIST) {
      throw std::system_error(link_errno, std::generic_category(),
                              "cannot create " + file.string());
    }
  }
  return PrivateKey::load_pem_file(file);
}

bool is_asymmetric(SignScheme scheme) {
  return scheme == SignScheme::rsa_sha256 || scheme == SignScheme::ecdsa_p256_sha256 ||
         scheme == SignScheme::ed25519;
}

json call_json(const std::string& method, const std::string& url) {
  const net::HttpReply reply = net::http_request(method, url);
  if (reply.status != 200) {
    throw std::runtime_error(url + ": HTTP " + std::to_string(reply.status) + ": " + reply.body);
  }
  json body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded()) throw std::runtime_error(url + ": the answer is not JSON");
  return body;
}
json get_json(const std::string& url) { return call_json("GET", url); }

ChannelEndpoint endpoint_from(const json& channel, const std::string& url) {
  ChannelEndpoint endpoint;
  try {
    endpoint.name = channel.at("name").get<std::string>();
    const auto family = parse_family(channel.at("family").get<std::string>());
    const auto sign = parse_sign_scheme(channel.at("sign").get<std::string>());
    if (!family || !sign) throw std::runtime_error("unknown family or sign scheme");
    endpoint.family = *family;
    endpoint.sign = *sign;
    endpoint.channel_public_key_pem = channel.value("public_key_pem", "");
    endpoint.hmac_secret = channel.value("hmac_secret", "");
    const json& where = channel.at("endpoint");
    if (endpoint.family == Family::bank_binary) {
      for (const auto& node : where.at("nodes")) {
        const std::string text = node.get<std::string>();
        const std::size_t colon = text.rfind(':');
        endpoint.nodes.emplace_back(text.substr(0, colon),
                                    static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1))));
      }
    } else {
      endpoint.url = where.at("url").get<std::string>();
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(url + ": a channel entry is not what was expected: " + e.what());
  }
  return endpoint;
}

// "notify_tls": true, or {"port": N, "cert_file": F, "key_file": F}: both files or neither.
LiveGatewayOptions::NotifyTls parse_notify_tls(const ConfigNode& node) {
  LiveGatewayOptions::NotifyTls tls;
  if (!node.is_object()) {
    tls.enabled = node.as_bool();
    return tls;
  }
  node.expect_fields({"port", "cert_file", "key_file"});
  tls.enabled = true;
  if (auto n = node.find("port")) tls.port = static_cast<std::uint16_t>(n->as_int(0, 65535));
  const auto cert = node.find("cert_file");
  const auto key = node.find("key_file");
  if (cert.has_value() != key.has_value()) {
    node.fail(
        "cert_file and key_file go together: give both, or neither to have the simulator "
        "issue the certificate");
  }
  if (!cert) return tls;
  const auto read = [](const ConfigNode& file, auto load) {
    try {
      return load(std::filesystem::path(file.as_non_empty_string())).to_pem();
    } catch (const CryptoError& e) {
      file.fail(e.what());
    }
  };
  tls.cert_pem = read(*cert, [](const auto& p) { return Certificate::load_pem_file(p); });
  tls.key_pem = read(*key, [](const auto& p) { return PrivateKey::load_pem_file(p); });
  return tls;
}

}  // namespace

void bootstrap_from_simulator(LiveGatewayOptions& options, const std::string& control_url) {
  std::string base = control_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  options.simulator_control = base;
  const json channels = get_json(base + "/channels");
  if (!channels.is_array()) throw std::runtime_error(base + "/channels: expected a JSON array");
  std::string ca_pem;
  for (const auto& channel : channels) {
    ChannelEndpoint endpoint = endpoint_from(channel, base + "/channels");
    if (endpoint.url.rfind("https://", 0) == 0 && ca_pem.empty()) {
      const net::HttpReply ca = net::http_request("GET", base + "/ca");
      if (ca.status != 200)
        throw std::runtime_error(base + "/ca: HTTP " + std::to_string(ca.status));
      ca_pem = ca.body;
    }
    endpoint.ca_pem = ca_pem;
    if (is_asymmetric(endpoint.sign)) {
      const PrivateKey key = merchant_key(options.store_path, endpoint);
      endpoint.merchant_key_pem = key.to_pem();
      const json registration{{"scheme", std::string(to_string(endpoint.sign))},
                              {"public_key_pem", key.public_key().to_pem()}};
      const std::string url = base + "/channels/" + endpoint.name + "/merchant-key";
      const net::HttpReply reply = net::http_request("POST", url, registration.dump());
      if (reply.status != 200) {
        throw std::runtime_error(url + ": HTTP " + std::to_string(reply.status) + ": " +
                                 reply.body);
      }
    }
    options.endpoints.push_back(std::move(endpoint));
  }
  if (options.notify_tls.enabled && options.notify_tls.cert_pem.empty()) {
    const std::string url = base + "/notify-cert";
    const json issued = call_json("POST", url);
    try {
      options.notify_tls.cert_pem = issued.at("cert_pem").get<std::string>();
      options.notify_tls.key_pem = issued.at("key_pem").get<std::string>();
    } catch (const std::exception& e) {
      throw std::runtime_error(url + ": expected cert_pem and key_pem: " + e.what());
    }
  }
  if (options.core.channels.empty()) {
    for (const ChannelEndpoint& endpoint : options.endpoints) {
      ChannelSettings settings;
      settings.name = endpoint.name;
      settings.family = endpoint.family;
      settings.method = endpoint.family == Family::bank_binary ? Method::bank : Method::wallet;
      options.core.channels.push_back(settings);
    }
  }
}

std::string check_webhook_url(const std::string& url) {
  try {
    (void)net::parse_http_url(url);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

LiveGatewayOptions load_gateway_options(const std::filesystem::path& path) {
  const ConfigDocument document = ConfigDocument::load_file(path);
  const ConfigNode root = document.root();
  root.expect_fields({"host", "port", "admin_token", "store", "simulator", "alert_webhook", "role",
                      "notify_tls", "gateway"});
  LiveGatewayOptions options;
  if (auto n = root.find("host")) {
    options.host = n->as_enum({"127.0.0.1", "::1", "localhost"});
  }
  if (auto n = root.find("port")) options.port = static_cast<std::uint16_t>(n->as_int(0, 65535));
  if (auto n = root.find("admin_token")) options.admin_token = n->as_string();
  if (auto n = root.find("store")) options.store_path = n->as_non_empty_string();
  if (auto n = root.find("simulator")) options.simulator_control = n->as_non_empty_string();
  if (auto n = root.find("alert_webhook")) {
    options.alert_webhook = n->as_non_empty_string();
    if (const std::string why = check_webhook_url(options.alert_webhook); !why.empty()) {
      n->fail(why);
    }
  }
  if (auto n = root.find("notify_tls")) options.notify_tls = parse_notify_tls(*n);
  if (auto n = root.find("gateway")) {
    options.core = parse_gateway_config(*n);
    if (!options.core.retain_final_ns) options.core.retain_final_ns = kLiveRetainFinalNs;
  }
  if (auto n = root.find("role")) {
    options.core.role = *parse_role(n->as_enum({"all", "payments", "refunds"}));
  }
  return options;
}

}  // namespace fusebox::gateway
