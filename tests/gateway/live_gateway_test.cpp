// The live gateway against the live simulator over loopback: pay, notify, query and refund
// for each channel family; a black-holed channel trips its breaker while the other's
// payments all succeed; lost notifications are recovered by polling; a restart recovers
// PROCESSING orders from the SQLite file; bad input gets a 4xx naming the field; alerts reach
// the operator's webhook.
#include "fusebox/gateway/live_gateway.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/config.hpp"
#include "fusebox/net/http_client.hpp"
#include "fusebox/net/http_server.hpp"
#include "fusebox/simulator/channel_config.hpp"
#include "fusebox/simulator/live_simulator.hpp"

namespace fusebox::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Three families, fast outcomes, short notification retries, everything paid.
constexpr const char* kSimulator = R"({
  "seed": 11,
  "channels": [
    {"name": "wallet-a", "family": "wallet-json", "sign": "rsa-sha256", "tls": true,
     "latency_ms": {"pay": 2, "query": 1, "refund": 2, "refund_query": 1, "close": 1},
     "outcome": {"success_p": 1.0, "decline_p": 0.0, "pay_after_ms": 30},
     "refund": {"success_p": 1.0, "complete_after_ms": 30},
     "notify": {"enabled": true, "retry_after_s": [1, 1, 1]}},
    {"name": "wallet-b", "family": "wallet-json", "sign": "hmac-sha256", "tls": false,
     "latency_ms": {"pay": 2, "query": 1},
     "outcome": {"success_p": 1.0, "decline_p": 0.0, "pay_after_ms": 30},
     "notify": {"enabled": true, "retry_after_s": [1, 1, 1]}},
    {"name": "wallet-x", "family": "wallet-xml", "sign": "hmac-sha256",
     "latency_ms": {"pay": 2, "query": 1, "refund": 2, "refund_query": 1},
     "outcome": {"success_p": 1.0, "decline_p": 0.0, "pay_after_ms": 30},
     "refund": {"success_p": 1.0, "complete_after_ms": 30},
     "notify": {"enabled": true, "retry_after_s": [1, 1, 1]}},
    {"name": "bank", "family": "bank-binary", "nodes": 3,
     "latency_ms": {"pay": 2, "query": 1, "refund": 2, "refund_query": 1},
     "outcome": {"success_p": 1.0, "decline_p": 0.0},
     "refund": {"success_p": 1.0, "complete_after_ms": 30}}
  ]
})";

class Simulator {
 public:
  Simulator()
      : simulator_(io_, sim::parse_simulator(ConfigDocument::parse("test", kSimulator).root())) {
    ready_ = simulator_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Simulator() {
    boost::asio::post(io_, [this] {
      simulator_.stop();
      io_.stop();
    });
    thread_.join();
  }
  [[nodiscard]] std::string control() const { return ready_["control"].get<std::string>(); }

 private:
  boost::asio::io_context io_;
  sim::live::LiveSimulator simulator_;
  json ready_;
  std::thread thread_;
};

class Gateway {
 public:
  Gateway(const std::string& control, const std::filesystem::path& store,
          const std::function<void(LiveGatewayOptions&)>& tweak = {}) {
    LiveGatewayOptions options;
    options.admin_token = "t0ken";
    options.store_path = store;
    bootstrap_from_simulator(options, control);
    options.core.poller.schedule_ns = {300'000'000};  // poll every 0.3 s
    options.core.poller.unknown_fail_after_ns = 3'000'000'000;
    for (auto& channel : options.core.channels) {
      channel.timeout_ns = 400'000'000;
      channel.breaker.minimum_calls = 5;
      channel.breaker.open_ns = 60'000'000'000;
      if (channel.name == "wallet-b") channel.priority = 1;  // the fallback
    }
    if (tweak) tweak(options);
    gateway_ = std::make_unique<LiveGateway>(std::move(options));
    api_ = gateway_->start()["api"].get<std::string>();
    thread_ = std::thread([this] { gateway_->run(); });
  }
  ~Gateway() {
    gateway_->stop();
    thread_.join();
  }
  [[nodiscard]] const std::string& api() const { return api_; }

 private:
  std::unique_ptr<LiveGateway> gateway_;
  std::string api_;
  std::thread thread_;
};

struct Answer {
  int status;
  json body;
};

Answer call(const std::string& method, const std::string& url, const json& body = nullptr,
            const net::Headers& headers = {}) {
  const auto reply = net::http_request(method, url, body.is_null() ? "" : body.dump(), headers);
  return {reply.status, json::parse(reply.body, nullptr, false)};
}

json pay(const Gateway& gw, const std::string& order, const std::string& method,
         const std::string& channel = "", std::int64_t amount = 1250) {
  json body{
      {"merchant_order_id", order}, {"amount", amount}, {"currency", "CNY"}, {"method", method}};
  if (!channel.empty()) body["channel"] = channel;
  const Answer answer = call("POST", gw.api() + "/v1/payments", body);
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return answer.body;
}

// Polls GET until `key` reads `want` or 5 s pass; returns the last body.
json wait_for(const std::string& url, const std::string& key, const std::string& want) {
  json body;
  for (int i = 0; i < 100; ++i) {
    body = call("GET", url).body;
    if (body.value(key, "") == want) return body;
    std::this_thread::sleep_for(50ms);
  }
  return body;
}

std::filesystem::path temp_store(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fusebox-live-gw-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  return path;
}

TEST(LiveGateway, PayNotifyQueryAndRefundForEveryFamily) {
  Simulator simulator;
  Gateway gw(simulator.control(), ":memory:");
  for (const auto& [channel, method] :
       {std::pair{"wallet-a", "wallet"}, std::pair{"wallet-x", "wallet"},
        std::pair{"bank", "bank"}}) {
    SCOPED_TRACE(channel);
    const json created = pay(gw, std::string("order-") + channel, method, channel);
    EXPECT_EQ(created["channel"], channel);
    const std::string id = created["payment_id"];
    const json paid = wait_for(gw.api() + "/v1/payments/" + id, "status", "SUCCEEDED");
    ASSERT_EQ(paid["status"], "SUCCEEDED") << paid.dump();
    EXPECT_FALSE(paid.value("channel_txn_id", "").empty());

    const Answer refund = call("POST", gw.api() + "/v1/refunds",
                               {{"payment_id", id},
                                {"merchant_refund_id", std::string("refund-") + channel},
                                {"amount", 1000}});
    ASSERT_EQ(refund.status, 200) << refund.body.dump();
    const json done =
        wait_for(gw.api() + "/v1/refunds/" + refund.body["refund_id"].get<std::string>(), "status",
                 "SUCCEEDED");
    EXPECT_EQ(done["status"], "SUCCEEDED") << done.dump();
    const json after = call("GET", gw.api() + "/v1/payments/" + id).body;
    EXPECT_EQ(after["refunded_amount"], 1000);
  }
  const auto metrics = net::http_request("GET", gw.api() + "/metrics");
  EXPECT_NE(metrics.body.find("fusebox_gateway_calls_total{channel=\"bank\",operation=\"pay\","
                              "outcome=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("fusebox_gateway_notifications_total{channel=\"wallet-a\","
                              "verdict=\"applied\"}"),
            std::string::npos);
}

TEST(LiveGateway, BlackHoledChannelTripsItsBreakerWhileTheOtherSucceeds) {
  Simulator simulator;
  Gateway gw(simulator.control(), ":memory:");
  const auto fault = net::http_request("POST", simulator.control() + "/channels/wallet-a/faults",
                                       R"({"kind": "black_hole"})");
  ASSERT_EQ(fault.status, 201) << fault.body;
  std::vector<std::string> elsewhere;
  int on_a = 0;
  for (int i = 0; i < 30; ++i) {
    const json created = pay(gw, "bh-" + std::to_string(i), "wallet");
    if (created["channel"] != "wallet-a") {
      elsewhere.push_back(created["payment_id"]);
    } else {
      ++on_a;
      EXPECT_EQ(created["status"], "PROCESSING");  // ambiguous: never failed over
    }
  }
  // Timeouts (pays and polls) reach minimum_calls, then the breaker holds wallet-a off.
  EXPECT_GE(on_a, 1);
  EXPECT_LE(on_a, 5);
  const Answer channels =
      call("GET", gw.api() + "/admin/channels", nullptr, {{"Authorization", "Bearer t0ken"}});
  ASSERT_EQ(channels.status, 200);
  for (const json& channel : channels.body) {
    EXPECT_EQ(channel["breaker"]["state"], channel["name"] == "wallet-a" ? "open" : "closed")
        << channel.dump();
  }
  const std::string metrics = net::http_request("GET", gw.api() + "/metrics").body;
  EXPECT_NE(metrics.find("{channel=\"wallet-a\",operation=\"pay\",outcome=\"timeout\"} " +
                         std::to_string(on_a) + "\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("{channel=\"wallet-a\",operation=\"pay\",outcome=\"breaker_rejected\"}"),
            std::string::npos);
  for (const std::string& id : elsewhere) {
    EXPECT_EQ(wait_for(gw.api() + "/v1/payments/" + id, "status", "SUCCEEDED")["status"],
              "SUCCEEDED");
  }
}

// An HTTP server on loopback that records what is POSTed to it and answers 503 to the first
// request, so a delivery must be retried.
class Receiver {
 public:
  Receiver()
      : server_(
            io_,
            [this](net::HttpRequestIn in, net::Responder respond) {
              std::lock_guard lock(mutex_);
              bodies_.push_back(in.body);
              respond(net::make_response(bodies_.size() == 1 ? 503 : 200, "text/plain", ""));
            },
            net::HttpLimits{}) {
    port_ = server_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    boost::asio::post(io_, [this] {
      server_.stop();
      io_.stop();
    });
    thread_.join();
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/alerts";
  }
  [[nodiscard]] std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  boost::asio::io_context io_;
  net::HttpServer server_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

// A rule that fires (wallet-a's orders stuck PROCESSING behind a black hole) reaches the
// operator's webhook as the JSON line stderr gets, retried after the receiver's first 503.
TEST(LiveGateway, AlertsArePostedToTheWebhook) {
  Simulator simulator;
  Receiver receiver;
  Gateway gw(simulator.control(), ":memory:", [&receiver](LiveGatewayOptions& options) {
    options.alert_webhook = receiver.url();
    AlertRule stuck;
    stuck.name = "stuck-orders";
    stuck.channel = "wallet-a";
    stuck.kind = AlertRule::Kind::pending_above;
    stuck.threshold = 0;
    options.core.alerts.push_back(stuck);
  });
  const auto fault = net::http_request("POST", simulator.control() + "/channels/wallet-a/faults",
                                       R"({"kind": "black_hole"})");
  ASSERT_EQ(fault.status, 201) << fault.body;
  EXPECT_EQ(pay(gw, "stuck-1", "wallet", "wallet-a")["status"], "PROCESSING");
  // The first POST is answered 503; the same event must come again 0.5 s later.
  std::vector<std::string> bodies;
  for (int i = 0; i < 100 && bodies.size() < 2; ++i) {
    std::this_thread::sleep_for(100ms);
    bodies = receiver.bodies();
  }
  ASSERT_GE(bodies.size(), 2u) << "posted in 10 s: " << bodies.size();
  EXPECT_EQ(bodies[0], bodies[1]) << "the retry carries the same event";
  const json alert = json::parse(bodies[1], nullptr, false);
  ASSERT_TRUE(alert.is_object()) << bodies[1];
  EXPECT_EQ(alert["alert"], "stuck-orders");
  EXPECT_EQ(alert["channel"], "wallet-a");
  EXPECT_EQ(alert["firing"], true);
  EXPECT_GE(alert["value"].get<double>(), 1.0);
}

TEST(LiveGateway, LostNotificationsAreRecoveredByPolling) {
  Simulator simulator;
  Gateway gw(simulator.control(), ":memory:");
  ASSERT_EQ(net::http_request("POST", simulator.control() + "/channels/wallet-a/faults",
                              R"({"kind": "notify_lost"})")
                .status,
            201);
  const json created = pay(gw, "lost-1", "wallet", "wallet-a");
  const json paid = wait_for(gw.api() + "/v1/payments/" + created["payment_id"].get<std::string>(),
                             "status", "SUCCEEDED");
  EXPECT_EQ(paid["status"], "SUCCEEDED");
  const auto metrics = net::http_request("GET", gw.api() + "/metrics").body;
  EXPECT_EQ(metrics.find("channel=\"wallet-a\",verdict=\"applied\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("channel=\"wallet-a\",operation=\"query\",outcome=\"ok\"}"),
            std::string::npos);
}

TEST(LiveGateway, RestartRecoversProcessingOrdersFromTheStore) {
  Simulator simulator;
  const auto store = temp_store("restart.db");
  std::string id;
  {
    Gateway gw(simulator.control(), store);
    ASSERT_EQ(net::http_request("POST", simulator.control() + "/channels/wallet-b/faults",
                                R"({"kind": "answer_lost"})")
                  .status,
              201);
    ASSERT_EQ(net::http_request("POST", simulator.control() + "/channels/wallet-b/faults",
                                R"({"kind": "notify_lost"})")
                  .status,
              201);
    const json created = pay(gw, "restart-1", "wallet", "wallet-b");
    id = created["payment_id"];
    EXPECT_EQ(created["status"], "PROCESSING");
  }  // stopped with the order PROCESSING: the pay answer and every notification were lost
  ASSERT_EQ(net::http_request("DELETE", simulator.control() + "/channels/wallet-b/faults").status,
            200);
  Gateway again(simulator.control(), store);
  EXPECT_EQ(wait_for(again.api() + "/v1/payments/" + id, "status", "SUCCEEDED")["status"],
            "SUCCEEDED");
  std::filesystem::remove_all(store.parent_path());
}

// The value of a metric line `name` in the gateway's /metrics, or -1 when absent.
double metric(const Gateway& gw, const std::string& name) {
  const std::string text = net::http_request("GET", gw.api() + "/metrics").body;
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// retain_final_s 0: a final order leaves memory at the next tick once the SQLite file holds
// it, and every merchant call about it is then served from the file.
TEST(LiveGateway, FinalOrdersThatLeftMemoryAreServedFromTheStoreFile) {
  Simulator simulator;
  const auto store = temp_store("residency.db");
  Gateway gw(simulator.control(), store,
             [](LiveGatewayOptions& options) { options.core.retain_final_ns = 0; });
  const json created = pay(gw, "leaves-1", "wallet", "wallet-x");
  const std::string id = created["payment_id"];
  ASSERT_EQ(wait_for(gw.api() + "/v1/payments/" + id, "status", "SUCCEEDED")["status"],
            "SUCCEEDED");
  for (int i = 0; i < 100 && metric(gw, "fusebox_gateway_orders_evicted_total") < 1; ++i)
    std::this_thread::sleep_for(50ms);
  ASSERT_GE(metric(gw, "fusebox_gateway_orders_evicted_total"), 1);
  EXPECT_EQ(call("GET", gw.api() + "/v1/payments/" + id).body["status"], "SUCCEEDED");

  const json again = pay(gw, "leaves-1", "wallet", "wallet-x");  // the same request again
  EXPECT_EQ(again["payment_id"], id);
  const Answer refund =
      call("POST", gw.api() + "/v1/refunds",
           {{"payment_id", id}, {"merchant_refund_id", "leaves-refund-1"}, {"amount", 1000}});
  ASSERT_EQ(refund.status, 200) << refund.body.dump();
  const std::string refund_id = refund.body["refund_id"];
  ASSERT_EQ(wait_for(gw.api() + "/v1/refunds/" + refund_id, "status", "SUCCEEDED")["status"],
            "SUCCEEDED");
  for (int i = 0; i < 100 && metric(gw, "fusebox_gateway_orders_in_memory{kind=\"refund\"}") != 0;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(metric(gw, "fusebox_gateway_orders_in_memory{kind=\"refund\"}"), 0);
  EXPECT_EQ(call("GET", gw.api() + "/v1/refunds/" + refund_id).body["status"], "SUCCEEDED");
  EXPECT_EQ(call("GET", gw.api() + "/v1/payments/" + id).body["refunded_amount"], 1000);
  const Answer over =
      call("POST", gw.api() + "/v1/refunds",
           {{"payment_id", id}, {"merchant_refund_id", "leaves-refund-2"}, {"amount", 1000}});
  EXPECT_EQ(over.status, 422) << "1250 paid, 1000 refunded: " << over.body.dump();
  std::filesystem::remove_all(store.parent_path());
}

// A live gateway's memory follows the orders open, not its uptime: final orders leave after
// five minutes unless the config file sets retain_final_s.
TEST(LiveGatewayOptions, FinalOrdersLeaveMemoryAfterFiveMinutesUnlessTheConfigSays) {
  EXPECT_EQ(LiveGatewayOptions{}.core.retain_final_ns, 300 * kNsPerS);
  const auto loaded = [](const std::string& text) {
    const std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) / "fusebox-retain-test.json";
    {
      std::ofstream out(path);
      out << text;
    }
    const LiveGatewayOptions options = load_gateway_options(path);
    std::filesystem::remove(path);
    return options.core.retain_final_ns;
  };
  EXPECT_EQ(loaded(R"({"admin_token": "t"})"), 300 * kNsPerS);
  EXPECT_EQ(loaded(R"({"gateway": {"currencies": ["CNY"]}})"), 300 * kNsPerS);
  EXPECT_EQ(loaded(R"({"gateway": {"retain_final_s": 5}})"), 5 * kNsPerS);
  EXPECT_EQ(loaded(R"({"gateway": {"retain_final_s": 2592000}})"), 2'592'000 * kNsPerS);
}

TEST(LiveGateway, BadInputGetsA4xxNamingTheField) {
  Simulator simulator;
  Gateway gw(simulator.control(), ":memory:");
  const std::string payments = gw.api() + "/v1/payments";
  const auto raw = net::http_request("POST", payments, "{not json");
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(json::parse(raw.body)["error"]["code"], "MALFORMED_JSON");
  const Answer missing = call("POST", payments, {{"amount", 5}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["field"], "merchant_order_id");
  const Answer typed = call(
      "POST", payments,
      {{"merchant_order_id", "x"}, {"amount", "5"}, {"currency", "CNY"}, {"method", "wallet"}});
  EXPECT_EQ(typed.body["error"]["field"], "amount");
  const Answer negative =
      call("POST", payments,
           {{"merchant_order_id", "x"}, {"amount", -5}, {"currency", "CNY"}, {"method", "wallet"}});
  EXPECT_EQ(negative.status, 400);
  EXPECT_EQ(negative.body["error"]["field"], "amount");
  (void)pay(gw, "dup", "bank", "bank", 100);
  const Answer conflict = call("POST", payments,
                               {{"merchant_order_id", "dup"},
                                {"amount", 101},
                                {"currency", "CNY"},
                                {"method", "bank"},
                                {"channel", "bank"}});
  EXPECT_EQ(conflict.status, 409);
  const auto big = net::http_request("POST", payments, std::string(100'000, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(json::parse(big.body)["error"]["code"], "BODY_TOO_LARGE");
  EXPECT_EQ(call("GET", gw.api() + "/v1/nothing").status, 404);
  EXPECT_EQ(call("GET", gw.api() + "/admin/channels").status, 401);
  EXPECT_EQ(
      call("GET", gw.api() + "/admin/channels", nullptr, {{"Authorization", "Bearer no"}}).status,
      401);
  const auto forged = net::http_request("POST", gw.api() + "/notify/wallet-a", R"({"x": 1})");
  EXPECT_EQ(forged.status, 400);
}

}  // namespace
}  // namespace fusebox::gateway
