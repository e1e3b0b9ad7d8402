// Proves the live simulator over real loopback sockets: a wallet answers after its latency,
// settles the order and notifies a merchant that ACKs; the control API sets and clears
// faults, reads the ledger and registers merchant keys; transport faults reach the wire.
// All of it with and without sender threads.
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/config.hpp"
#include "fusebox/common/framing.hpp"
#include "fusebox/net/http_server.hpp"
#include "fusebox/simulator/bank_binary.hpp"
#include "fusebox/simulator/live_simulator.hpp"

namespace fusebox::sim::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::HttpLimits;
using net::HttpRequestIn;
using net::HttpResponseOut;
using net::HttpServer;
using net::Responder;
using nlohmann::json;

struct Reply {
  int status = 0;  // 0: no HTTP answer (timeout, reset, refused)
  std::string body;
};

// A blocking loopback client with a deadline, for the test thread.
Reply call(std::uint16_t port, http::verb verb, const std::string& target,
           const std::string& body = "",
           std::chrono::milliseconds timeout = std::chrono::milliseconds(3'000)) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  // Sync operations ignore the stream's timer, so read asynchronously under a deadline.
  bool done = false;
  http::async_read(stream, buffer, res, [&](beast::error_code read_ec, std::size_t) {
    ec = read_ec;
    done = true;
  });
  io.run_for(timeout);
  if (!done || ec) return {};
  return {static_cast<int>(res.result_int()), res.body()};
}

// Over TLS, trusting only `ca_pem` and requiring a certificate for 127.0.0.1.
Reply call_tls(std::uint16_t port, const std::string& ca_pem, const std::string& target,
               const std::string& body) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  beast::error_code ec;
  if (!ca_pem.empty()) ctx.add_certificate_authority(asio::buffer(ca_pem), ec);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), "127.0.0.1");
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  bool done = false;
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hs) {
    if (hs) return;
    http::async_write(stream, req, [&](beast::error_code w, std::size_t) {
      if (w) return;
      http::async_read(stream, buffer, res, [&](beast::error_code r, std::size_t) { done = !r; });
    });
  });
  io.run_for(std::chrono::seconds(3));
  if (!done) return {};
  return {static_cast<int>(res.result_int()), res.body()};
}

// Writes `frames` on one connection, then reads `expected` response frames (bounded).
std::vector<std::string> bank_exchange(std::uint16_t port, const std::vector<std::string>& frames,
                                       std::size_t expected) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  std::string out;
  for (const auto& f : frames)
    out += frame(f);
  asio::write(socket, asio::buffer(out), ec);
  FrameReader reader(1'024);
  std::vector<std::string> got;
  std::array<char, 1'024> buffer{};
  std::function<void()> read = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](beast::error_code read_ec, std::size_t n) {
      if (read_ec || !reader.feed(std::string_view(buffer.data(), n))) return;
      while (auto body = reader.next())
        got.push_back(*body);
      if (got.size() < expected) read();
    });
  };
  read();
  io.run_for(std::chrono::seconds(3));
  return got;
}

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

std::string pay_body(const std::string& order_id) {
  return json{{"merchant_id", "m"},   {"nonce", "x"},  {"timestamp", 1},
              {"order_id", order_id}, {"amount", 100}, {"currency", "CNY"}}
      .dump();
}

// Every test runs twice: with every answer written on the models' one thread, and with the
// late ones written by two sender threads (`fusebox simulator --send-threads`).
class LiveSimulatorTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    merchant_ = std::make_unique<HttpServer>(
        io_,
        [this](HttpRequestIn in, Responder respond) {
          {
            const std::lock_guard lock(mutex_);
            notifications_.push_back(in.body);
            notified_paths_.push_back(in.target);
          }
          respond(HttpResponseOut{
              200, "application/json", R"({"code":"SUCCESS"})", {}, net::WireDelivery::normal});
        },
        HttpLimits{});
    const auto merchant_port = merchant_->listen("127.0.0.1", 0);
    merchant_url_ = "http://127.0.0.1:" + std::to_string(merchant_port);
    const std::string config = R"({"seed": 5, "channels": [
        {"name": "wx", "family": "wallet-json", "sign": "none", "tls": false,
         "notify_url": "http://127.0.0.1:)" +
                               std::to_string(merchant_port) + R"(/notify/wx",
         "latency_ms": {"pay": 30, "query": 1, "statement": 1, "refund": 1},
         "outcome": {"success_p": 1, "decline_p": 0, "pay_after_ms": 100},
         "refund": {"success_p": 1, "complete_after_ms": 20}},
        {"name": "signed", "family": "wallet-json", "sign": "ecdsa-p256-sha256", "tls": false},
        {"name": "secure", "family": "wallet-json", "sign": "none", "tls": true},
        {"name": "bank", "family": "bank-binary", "latency_ms": {"pay": 20, "query": 1},
         "outcome": {"success_p": 1, "decline_p": 0}}]})";
    simulator_ = std::make_unique<LiveSimulator>(
        io_, parse_simulator(ConfigDocument::parse("test", config).root()), GetParam());
    ready_ = simulator_->start();
    thread_ = std::thread([this] { io_.run(); });
    wx_ = port_of(ready_["channels"]["wx"]["url"]);
    control_ = port_of(ready_["control"].get<std::string>().substr(
        0, ready_["control"].get<std::string>().rfind('/')));
  }
  void TearDown() override {
    asio::post(io_, [this] {
      simulator_->stop();
      merchant_->stop();
      io_.stop();
    });
    thread_.join();
  }
  json channel(const std::string& name) {
    for (const json& c : json::parse(call(control_, http::verb::get, "/control/channels").body)) {
      if (c["name"] == name) return c;
    }
    return {};
  }

  asio::io_context io_;
  std::unique_ptr<HttpServer> merchant_;
  std::unique_ptr<LiveSimulator> simulator_;
  json ready_;
  std::thread thread_;
  std::uint16_t wx_ = 0;
  std::uint16_t control_ = 0;
  std::mutex mutex_;
  std::vector<std::string> notifications_;
  std::vector<std::string> notified_paths_;  // each notification's target, in step
  std::string merchant_url_;
};

TEST_P(LiveSimulatorTest, PayAnswersAfterItsLatencySettlesAndNotifies) {
  EXPECT_EQ(ready_["seed"], 5);
  const auto start = std::chrono::steady_clock::now();
  const Reply paid = call(wx_, http::verb::post, "/v1/pay", pay_body("o-1"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(json::parse(paid.body)["state"], "PAYING");
  // Bounded wait for the settle timer (100 ms) and the notification's ACK.
  for (int i = 0; i < 100 && channel("wx")["counters"]["notifications_acked"] != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(channel("wx")["counters"]["notifications_acked"], 1);
  const Reply query = call(
      wx_, http::verb::post, "/v1/query",
      json{{"merchant_id", "m"}, {"nonce", "y"}, {"timestamp", 1}, {"order_id", "o-1"}}.dump());
  EXPECT_EQ(json::parse(query.body)["state"], "PAID");
  {
    const std::lock_guard lock(mutex_);
    ASSERT_EQ(notifications_.size(), 1U);
    EXPECT_EQ(json::parse(notifications_[0])["order_id"], "o-1");
  }
  const json ledger =
      json::parse(call(control_, http::verb::get, "/control/ledger?channel=wx").body);
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[0]["event"], "order_created");
  EXPECT_EQ(ledger[1]["event"], "charged");
  const std::string charged_at = std::to_string(ledger[1]["at_ms"].get<std::int64_t>());
  EXPECT_EQ(
      json::parse(
          call(control_, http::verb::get, "/control/ledger?channel=wx&from_ms=" + charged_at).body)
          .size(),
      1U);
  EXPECT_EQ(
      json::parse(
          call(control_, http::verb::get, "/control/ledger?channel=wx&to_ms=" + charged_at).body)
          .size(),
      1U);
  EXPECT_EQ(call(control_, http::verb::get, "/control/ledger?channel=wx&from_ms=soon").status, 400);
  const Reply statement = call(control_, http::verb::get, "/control/channels/wx/statement");
  EXPECT_EQ(statement.status, 200);
  EXPECT_NE(statement.body.find(",o-1,,PAYMENT,100,CNY,"), std::string::npos) << statement.body;
  // The merchant's own way to the same statement: the wallet protocol's download.
  const Reply downloaded =
      call(wx_, http::verb::post, "/v1/statement",
           json{{"merchant_id", "m"}, {"nonce", "z"}, {"timestamp", 1}}.dump());
  ASSERT_EQ(downloaded.status, 200) << downloaded.body;
  EXPECT_EQ(json::parse(downloaded.body)["csv"], statement.body);
}

// The models' timers are visible: how many wait, the queue's bound, and how many a full
// queue lost (each an event that never happens).
TEST_P(LiveSimulatorTest, NotificationsGoWhereTheirRequestsSaid) {
  const auto with_url = [](json body, const std::string& url) {
    if (!url.empty()) body["notify_url"] = url;
    return body.dump();
  };
  const auto acked_reach = [this](int n) {
    for (int i = 0; i < 150 && channel("wx")["counters"]["notifications_acked"] != n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return channel("wx")["counters"]["notifications_acked"] == n;
  };
  for (const auto& [order, path] : {std::pair<std::string, std::string>{"o-a", "/notify/a"},
                                    {"o-b", "/notify/b"},
                                    {"o-c", ""}}) {
    const std::string url = path.empty() ? "" : merchant_url_ + path;
    ASSERT_EQ(
        call(wx_, http::verb::post, "/v1/pay", with_url(json::parse(pay_body(order)), url)).status,
        200);
  }
  ASSERT_TRUE(acked_reach(3));
  // r-a names a URL of its own; r-b its payment's again; r-c none (its payment's applies).
  for (const auto& [order, path] : {std::pair<std::string, std::string>{"o-a", "/notify/refunds"},
                                    {"o-b", "/notify/b"},
                                    {"o-c", ""}}) {
    const json refund{{"merchant_id", "m"}, {"nonce", "x"}, {"timestamp", 1},
                      {"order_id", order},  {"amount", 40}, {"refund_id", "r" + order.substr(1)}};
    const Reply refunded = call(wx_, http::verb::post, "/v1/refund",
                                with_url(refund, path.empty() ? "" : merchant_url_ + path));
    ASSERT_EQ(refunded.status, 200) << refunded.body;
  }
  ASSERT_TRUE(acked_reach(6));
  std::map<std::string, std::string> path_of;  // refund id, else order id -> target
  {
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < notifications_.size(); ++i) {
      const json body = json::parse(notifications_[i]);
      path_of[body.value("refund_id", "").empty() ? body["order_id"].get<std::string>()
                                                  : body["refund_id"].get<std::string>()] =
          notified_paths_[i];
    }
  }
  const std::map<std::string, std::string> expected{
      {"o-a", "/notify/a"},       {"o-b", "/notify/b"}, {"o-c", "/notify/wx"},
      {"r-a", "/notify/refunds"}, {"r-b", "/notify/b"}, {"r-c", "/notify/wx"}};
  EXPECT_EQ(path_of, expected);
}

TEST_P(LiveSimulatorTest, ControlApiCountsTheModelsTimers) {
  const json before = json::parse(call(control_, http::verb::get, "/control/timers").body);
  EXPECT_EQ(before["capacity"], 8'000'000);
  EXPECT_EQ(before["dropped"], 0);
  ASSERT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-timers")).status, 200);
  const json after = json::parse(call(control_, http::verb::get, "/control/timers").body);
  EXPECT_GT(after["pending"].get<int>(), before["pending"].get<int>())
      << "the order's settle and expiry wait: " << after.dump();
  EXPECT_EQ(after["dropped"], 0);
}

TEST_P(LiveSimulatorTest, ControlApiSetsAndClearsFaults) {
  const Reply added =
      call(control_, http::verb::post, "/control/channels/wx/faults", R"({"kind": "outage"})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-2")).status, 503);
  EXPECT_EQ(channel("wx")["faults"].size(), 1U);
  const std::string id = std::to_string(json::parse(added.body)["id"].get<int>());
  // Changed live: at p 0 the outage lets every pay through; a bad body changes nothing.
  const std::string fault_url = "/control/channels/wx/faults/" + id;
  const Reply patched = call(control_, http::verb::patch, fault_url, R"({"p": 0, "for_s": 60})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["p"], 0.0);
  EXPECT_EQ(json::parse(patched.body)["for_s"], 60.0);
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-3")).status, 200);
  const Reply bad = call(control_, http::verb::patch, fault_url, R"({"p": 1, "kind": "reset"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("kind"), std::string::npos) << bad.body;
  EXPECT_EQ(channel("wx")["faults"][0]["p"], 0.0) << "the rejected patch changed nothing";
  EXPECT_EQ(call(control_, http::verb::patch, fault_url, R"({"p": 1.5})").status, 400);
  EXPECT_EQ(
      call(control_, http::verb::patch, "/control/channels/wx/faults/999", R"({"p": 1})").status,
      404);
  EXPECT_EQ(call(control_, http::verb::patch, fault_url, R"({"p": 1})").status, 200);
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-4")).status, 503);
  EXPECT_EQ(call(control_, http::verb::delete_, "/control/channels/wx/faults/" + id).status, 200);
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-2")).status, 200);
  EXPECT_EQ(call(control_, http::verb::delete_, "/control/channels/wx/faults/" + id).status, 404);
}

// A reset forgets orders, ledger, counters and live faults, and a settle timer set before it
// does not charge anything after it.
TEST_P(LiveSimulatorTest, ControlResetStartsEveryChannelAfresh) {
  ASSERT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-r")).status, 200);
  ASSERT_EQ(call(control_, http::verb::post, "/control/channels/wx/faults",
                 R"({"kind": "latency", "delay_ms": 5, "operation": "query"})")
                .status,
            201);
  const Reply reset = call(control_, http::verb::post, "/control/reset");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(json::parse(reset.body)["reset"], json::array({"bank", "secure", "signed", "wx"}));
  EXPECT_EQ(channel("wx")["faults"], json::array());
  EXPECT_EQ(channel("wx")["counters"]["pay"], 0);
  // The old order would have settled and notified 100 ms after its pay.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(call(control_, http::verb::get, "/control/ledger?channel=wx").body, "[]");
  EXPECT_EQ(channel("wx")["counters"]["notifications_created"], 0);
  {
    const std::lock_guard lock(mutex_);
    EXPECT_TRUE(notifications_.empty());
  }
  // The same order id is a new order now, and the channel works as before.
  const Reply again = call(wx_, http::verb::post, "/v1/pay", pay_body("o-r"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["state"], "PAYING");
  EXPECT_EQ(json::parse(call(control_, http::verb::get, "/control/ledger?channel=wx").body).size(),
            1U);
  EXPECT_EQ(call(control_, http::verb::get, "/control/reset").status, 404);
}

TEST_P(LiveSimulatorTest, ControlApiNamesTheBadField) {
  const Reply bad = call(control_, http::verb::post, "/control/channels/wx/faults",
                         R"({"kind": "outage", "p": 7})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["message"],
            "request body: /p: expected a number in [0, 1], got 7");
  EXPECT_EQ(call(control_, http::verb::post, "/control/channels/nope/faults", "{}").status, 404);
  EXPECT_EQ(call(control_, http::verb::get, "/control/whatever").status, 404);
}

TEST_P(LiveSimulatorTest, TransportFaultsReachTheWire) {
  ASSERT_EQ(
      call(control_, http::verb::post, "/control/channels/wx/faults", R"({"kind": "black_hole"})")
          .status,
      201);
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-3"), std::chrono::milliseconds(300))
                .status,
            0)
      << "a black hole never answers";
  ASSERT_EQ(call(control_, http::verb::delete_, "/control/channels/wx/faults").status, 200);
  ASSERT_EQ(call(control_, http::verb::post, "/control/channels/wx/faults", R"({"kind": "reset"})")
                .status,
            201);
  EXPECT_EQ(call(wx_, http::verb::post, "/v1/pay", pay_body("o-4")).status, 0)
      << "reset mid-response";
  const json ledger =
      json::parse(call(control_, http::verb::get, "/control/ledger?channel=wx&order=o-4").body);
  ASSERT_FALSE(ledger.empty()) << "the reset came after the channel processed the request";
}

TEST_P(LiveSimulatorTest, AsymmetricChannelsWantARegisteredMerchantKey) {
  const std::uint16_t signed_port = port_of(ready_["channels"]["signed"]["url"]);
  EXPECT_EQ(call(signed_port, http::verb::post, "/v1/pay", pay_body("o-5")).status, 401);
  EXPECT_NE(channel("signed")["public_key_pem"].get<std::string>().find("BEGIN PUBLIC KEY"),
            std::string::npos);
  const PrivateKey merchant = PrivateKey::generate_ec_p256();
  const Reply registered =
      call(control_, http::verb::post, "/control/channels/signed/merchant-key",
           json{{"scheme", "ecdsa-p256-sha256"}, {"public_key_pem", merchant.public_key().to_pem()}}
               .dump());
  ASSERT_EQ(registered.status, 200) << registered.body;
  json body = json::parse(pay_body("o-5"));
  Fields fields;
  for (const auto& [k, v] : body.items())
    fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  body["sign_type"] = "ecdsa-p256-sha256";
  body["sign"] = MessageSigner::asymmetric(PrivateKey::from_pem(merchant.to_pem(), "m"),
                                           SignScheme::ecdsa_p256_sha256)
                     .sign(*canonical_string(fields));
  EXPECT_EQ(call(signed_port, http::verb::post, "/v1/pay", body.dump()).status, 200);
}

TEST_P(LiveSimulatorTest, BankNodesAnswerPipelinedFramesByTraceNumber) {
  const json nodes = ready_["channels"]["bank"]["nodes"];
  ASSERT_EQ(nodes.size(), 3U);
  const std::string key = channel("bank")["hmac_secret"];
  bank_binary::Message pay;
  pay.mti = "0200";
  pay.trace = 1;
  pay.amount_minor = 500;
  pay.currency = "CNY";
  pay.order_id = "b-1";
  bank_binary::Message echo;
  echo.mti = "0800";
  echo.trace = 2;
  echo.network_code = "301";
  const auto start = std::chrono::steady_clock::now();
  const auto replies = bank_exchange(
      port_of(nodes[0]), {bank_binary::encode(pay, key), bank_binary::encode(echo, key)}, 2);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  ASSERT_EQ(replies.size(), 2U);
  // The echo needs no processing, so it overtakes the pay: the trace number matches them.
  const auto first = std::get<bank_binary::Message>(bank_binary::decode(replies[0], key));
  const auto second = std::get<bank_binary::Message>(bank_binary::decode(replies[1], key));
  EXPECT_EQ(first.mti, "0810");
  EXPECT_EQ(first.trace, 2U);
  EXPECT_EQ(second.mti, "0210");
  EXPECT_EQ(second.trace, 1U);
  EXPECT_EQ(second.response_code, "00");
  EXPECT_EQ(second.state, 'S');
  const auto bad_mac = bank_exchange(port_of(nodes[0]), {bank_binary::encode(pay, "wrong key")}, 1);
  ASSERT_EQ(bad_mac.size(), 1U);
  EXPECT_EQ(std::get<bank_binary::Message>(bank_binary::decode(bad_mac[0], key)).response_code,
            "A0");
}

TEST_P(LiveSimulatorTest, OneBankNodeDownRefusesConnectionsWhileTheOthersServe) {
  const json nodes = ready_["channels"]["bank"]["nodes"];
  const std::string key = channel("bank")["hmac_secret"];
  ASSERT_EQ(call(control_, http::verb::post, "/control/channels/bank/faults",
                 R"({"kind": "refuse_connections", "node": 1})")
                .status,
            201);
  bank_binary::Message echo;
  echo.mti = "0800";
  echo.trace = 9;
  echo.network_code = "301";
  EXPECT_TRUE(bank_exchange(port_of(nodes[1]), {bank_binary::encode(echo, key)}, 1).empty());
  EXPECT_EQ(bank_exchange(port_of(nodes[0]), {bank_binary::encode(echo, key)}, 1).size(), 1U);
  ASSERT_EQ(call(control_, http::verb::delete_, "/control/channels/bank/faults").status, 200);
  EXPECT_EQ(bank_exchange(port_of(nodes[1]), {bank_binary::encode(echo, key)}, 1).size(), 1U)
      << "the node comes back when the fault is cleared";
}

TEST_P(LiveSimulatorTest, TlsChannelsServeACertificateFromTheControlApisCa) {
  const std::string url = ready_["channels"]["secure"]["url"];
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0U) << url;
  const Reply ca = call(control_, http::verb::get, "/control/ca");
  ASSERT_EQ(ca.status, 200);
  EXPECT_NE(ca.body.find("BEGIN CERTIFICATE"), std::string::npos);
  const Reply paid = call_tls(port_of(url), ca.body, "/v1/pay", pay_body("o-6"));
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(json::parse(paid.body)["state"], "PAYING");
  EXPECT_EQ(call_tls(port_of(url), "", "/v1/pay", pay_body("o-7")).status, 0)
      << "a client that does not trust the test CA must not get through";
}

INSTANTIATE_TEST_SUITE_P(Threads, LiveSimulatorTest,
                         ::testing::Values(std::size_t{0}, std::size_t{2}),
                         [](const ::testing::TestParamInfo<std::size_t>& param) {
                           return param.param == 0 ? std::string("OneThread")
                                                   : std::to_string(param.param) + "SendThreads";
                         });

}  // namespace
}  // namespace fusebox::sim::live
