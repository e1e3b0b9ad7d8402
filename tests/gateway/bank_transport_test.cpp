// Proves the pipelined bank transport over loopback: sign-on before use, answers matched by
// trace number in any order, the per-connection window, round-robin that skips a node that
// refuses, not_sent when no node is healthy, timeout with the late answer discarded, broken
// in-flight requests on a lost connection, heartbeats taking a node out and retries bringing
// it back, stop(); and real pay calls through the gateway's codec to the live simulator.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/framing.hpp"
#include "fusebox/gateway/bank_frame.hpp"
#include "fusebox/gateway/channel_codec.hpp"
#include "fusebox/gateway/transport.hpp"
#include "fusebox/simulator/bank_binary.hpp"

#include "loopback.hpp"

namespace fusebox::gateway {
namespace {

namespace asio = boost::asio;
namespace bank_binary = sim::bank_binary;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using fusebox::testing::closed_port;
using fusebox::testing::run_until;
using std::chrono::milliseconds;

constexpr std::string_view kKey = "test-mac-key";

TimeNs ns(milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

bank_binary::Message decode(std::string_view body) {
  auto decoded = bank_binary::decode(body, kKey);
  EXPECT_TRUE(std::holds_alternative<bank_binary::Message>(decoded));
  return std::holds_alternative<bank_binary::Message>(decoded)
             ? std::get<bank_binary::Message>(decoded)
             : bank_binary::Message{};
}

// A pay frame for `order_id` with the trace the transport assigned.
std::string pay_frame(std::uint32_t trace, const std::string& order_id) {
  bank_binary::Message pay;
  pay.mti = "0200";
  pay.trace = trace;
  pay.timestamp_s = 1'700'000'000;
  pay.amount_minor = 500;
  pay.currency = "CNY";
  pay.order_id = order_id;
  return frame(bank_binary::encode(pay, kKey));
}

// A front-end node on the test's io_context: answers sign-on and echo on its own (unless
// told not to), and keeps every financial frame for the test to answer when and in the order
// it likes, or answers at once in auto mode.
class TestBankNode {
 public:
  struct Received {
    std::size_t session = 0;
    bank_binary::Message message;
  };

  explicit TestBankNode(asio::io_context& io) : acceptor_(io) { listen(0); }
  ~TestBankNode() { close_all(); }
  TestBankNode(const TestBankNode&) = delete;
  TestBankNode& operator=(const TestBankNode&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  bool auto_answer = false;
  bool answer_echo = true;
  bool mirror = false;  // every financial frame straight back, unread (throughput)
  bool decline_sign_on = false;
  std::vector<Received> received;         // financial frames, in arrival order
  std::vector<std::string> first_frames;  // the MTI and network code each session began with
  std::size_t echoes = 0;
  std::size_t accepted = 0;

  void answer(const Received& r) {
    bank_binary::Message reply = r.message;
    reply.mti = "0" + std::to_string(std::stoi(r.message.mti) + 10);
    reply.response_code = "00";
    reply.state = 'S';
    reply.channel_txn = "T" + std::to_string(r.message.trace);
    write(r.session, frame(bank_binary::encode(reply, kKey)));
  }
  void close_all() {
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& [id, session] : sessions) {
      error_code ignored;
      session->socket.close(ignored);
    }
  }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    FrameReader reader{1'024};
    std::array<char, 16'384> buffer{};
    std::string queued;  // written together once the write on the wire completes
    std::string writing;
    bool first = true;
  };

  void listen(std::uint16_t port) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
  }
  void accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) return;
      ++accepted;
      socket.set_option(tcp::no_delay(true), ec);
      const std::size_t id = ++last_session_;
      sessions_.emplace(id, std::make_shared<Session>(std::move(socket)));
      read(id);
      accept();
    });
  }
  void read(std::size_t id) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    auto session = it->second;
    session->socket.async_read_some(
        asio::buffer(session->buffer), [this, id, session](error_code ec, std::size_t n) {
          if (ec || !sessions_.contains(id)) return;
          EXPECT_TRUE(session->reader.feed({session->buffer.data(), n}));
          while (auto body = session->reader.next())
            on_frame(id, *session, *body);
          read(id);
        });
  }
  void on_frame(std::size_t id, Session& session, const std::string& body) {
    if (mirror && !body.starts_with("0800")) return write(id, frame(body));
    const bank_binary::Message message = decode(body);
    if (session.first) first_frames.push_back(message.mti + "/" + message.network_code);
    session.first = false;
    if (message.mti == "0800") {
      if (message.network_code == "001" && decline_sign_on) return write(id, declined(message));
      if (message.network_code == "301") ++echoes;
      if (message.network_code == "301" && !answer_echo) return;
      return write(id, frame(bank_binary::respond_network(message, kKey, 1'700'000'000)));
    }
    received.push_back({id, message});
    if (auto_answer) answer(received.back());
  }
  static std::string declined(bank_binary::Message message) {
    message.mti = "0810";
    message.response_code = "96";
    return frame(bank_binary::encode(message, kKey));
  }
  void write(std::size_t id, std::string bytes) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    auto session = it->second;
    session->queued += bytes;
    if (session->writing.empty()) write_next(session);
  }
  static void write_next(const std::shared_ptr<Session>& session) {
    std::swap(session->queued, session->writing);
    asio::async_write(session->socket, asio::buffer(session->writing),
                      [session](error_code ec, std::size_t) {
                        session->writing.clear();
                        if (!ec && !session->queued.empty()) write_next(session);
                      });
  }

  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::size_t last_session_ = 0;
  std::map<std::size_t, std::shared_ptr<Session>> sessions_;
};

// Sends pay frames and records each result; checks `done` never runs inside send().
class BankSender {
 public:
  explicit BankSender(ChannelTransport& transport) : transport_(transport) {}

  void send(const std::string& order_id, milliseconds timeout) {
    const std::size_t index = results_.size();
    results_.emplace_back();
    traces_.emplace_back();
    inside_send_ = true;
    transport_.send(
        [this, index, order_id](std::uint32_t trace) {
          traces_[index] = trace;
          return WireRequest{{}, pay_frame(trace, order_id), {}};
        },
        ns(timeout),
        [this, index](TransportResult result) {
          EXPECT_FALSE(inside_send_) << "done ran inside send()";
          EXPECT_FALSE(results_[index].has_value()) << "done ran twice";
          results_[index] = std::move(result);
          ++completed_;
        });
    inside_send_ = false;
  }

  [[nodiscard]] std::size_t completed() const { return completed_; }
  [[nodiscard]] const TransportResult& result(std::size_t i) const { return *results_.at(i); }
  [[nodiscard]] std::uint32_t trace(std::size_t i) const { return traces_.at(i); }
  [[nodiscard]] std::size_t count(Transport transport) const {
    std::size_t n = 0;
    for (const auto& r : results_)
      n += r && r->transport == transport ? 1U : 0U;
    return n;
  }

 private:
  ChannelTransport& transport_;
  std::vector<std::optional<TransportResult>> results_;
  std::vector<std::uint32_t> traces_;
  std::size_t completed_ = 0;
  bool inside_send_ = false;
};

BankEndpoint endpoint_for(const std::vector<std::uint16_t>& ports, std::uint32_t per_node = 1) {
  BankEndpoint endpoint;
  for (const std::uint16_t port : ports)
    endpoint.nodes.emplace_back("127.0.0.1", port);
  endpoint.mac_key = std::string(kKey);
  endpoint.connections_per_node = per_node;
  endpoint.retry_node_ns = ns(milliseconds(50));
  endpoint.connect_timeout_ns = ns(milliseconds(500));
  return endpoint;
}

class BankTransportTest : public ::testing::Test {
 protected:
  bool run(const std::function<bool()>& done, milliseconds limit = milliseconds(5'000)) {
    return run_until(io_, done, limit);
  }
  asio::io_context io_;
};

TEST_F(BankTransportTest, SignsOnFirstThenMatchesAnswersInAnyOrderByTrace) {
  TestBankNode node(io_);
  auto transport = make_bank_transport(io_, endpoint_for({node.port()}));
  BankSender sender(*transport);
  // Sent before the first sign-on has answered: they wait for it instead of failing.
  for (int i = 0; i < 50; ++i)
    sender.send("order-" + std::to_string(i), milliseconds(5'000));
  ASSERT_TRUE(run([&] { return node.received.size() == 50; }));
  ASSERT_EQ(node.first_frames, std::vector<std::string>{"0800/001"});
  for (auto it = node.received.rbegin(); it != node.received.rend(); ++it)
    node.answer(*it);
  ASSERT_TRUE(run([&] { return sender.completed() == 50; }));
  std::set<std::uint32_t> traces;
  for (std::size_t i = 0; i < 50; ++i) {
    const TransportResult& r = sender.result(i);
    ASSERT_EQ(r.transport, Transport::delivered) << r.error;
    ASSERT_EQ(r.body.size(), bank::kBodyBytes);
    const bank_binary::Message reply = decode(r.body);
    EXPECT_EQ(reply.mti, "0210");
    EXPECT_EQ(reply.order_id, "order-" + std::to_string(i));
    EXPECT_EQ(reply.trace, sender.trace(i));
    traces.insert(sender.trace(i));
  }
  EXPECT_EQ(traces.size(), 50U) << "trace numbers are unique on the connection";
  EXPECT_EQ(transport->stats().requests_in_flight, 0U);
  EXPECT_EQ(transport->stats().connections_idle, 1U);
}

TEST_F(BankTransportTest, AtMostTheWindowIsInFlightPerConnection) {
  TestBankNode node(io_);
  BankEndpoint endpoint = endpoint_for({node.port()});
  endpoint.max_in_flight_per_connection = 2;
  auto transport = make_bank_transport(io_, endpoint);
  BankSender sender(*transport);
  for (int i = 0; i < 5; ++i)
    sender.send("w-" + std::to_string(i), milliseconds(5'000));
  ASSERT_TRUE(run([&] { return node.received.size() == 2; }));
  EXPECT_EQ(transport->stats().requests_waiting, 3U);
  node.answer(node.received[0]);
  ASSERT_TRUE(run([&] { return node.received.size() == 3; }));
  node.auto_answer = true;
  for (std::size_t i = 1; i < 3; ++i)
    node.answer(node.received[i]);
  ASSERT_TRUE(run([&] { return sender.completed() == 5; }));
  EXPECT_EQ(sender.count(Transport::delivered), 5U);
}

TEST_F(BankTransportTest, RoundRobinSkipsANodeThatRefusesConnections) {
  TestBankNode a(io_);
  TestBankNode b(io_);
  a.auto_answer = true;
  b.auto_answer = true;
  auto transport = make_bank_transport(io_, endpoint_for({a.port(), closed_port(), b.port()}, 2));
  ASSERT_TRUE(run([&] {
    const TransportStats s = transport->stats();
    return s.nodes_healthy == 2 && s.connections_idle == 4 && s.connects_failed >= 1;
  }));
  BankSender sender(*transport);
  for (int i = 0; i < 40; ++i)
    sender.send("rr-" + std::to_string(i), milliseconds(5'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 40; }));
  EXPECT_EQ(sender.count(Transport::delivered), 40U);
  EXPECT_EQ(a.received.size(), 20U) << "four connections in turn, two on each live node";
  EXPECT_EQ(b.received.size(), 20U);
  EXPECT_EQ(transport->stats().nodes_total, 3U);
}

TEST_F(BankTransportTest, NoHealthyNodeIsNotSentAtOnce) {
  auto transport = make_bank_transport(io_, endpoint_for({closed_port(), closed_port()}));
  BankSender sender(*transport);
  sender.send("early", milliseconds(5'000));  // waits for the first attempts, which fail
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::not_sent);
  EXPECT_EQ(transport->stats().nodes_healthy, 0U);
  sender.send("late", milliseconds(5'000));
  EXPECT_EQ(sender.completed(), 1U) << "never inside send()";
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(1).transport, Transport::not_sent);
  EXPECT_EQ(sender.result(1).error, "no healthy node");
}

TEST_F(BankTransportTest, ADeclinedSignOnKeepsTheNodeOutOfRotation) {
  TestBankNode node(io_);
  node.decline_sign_on = true;
  node.auto_answer = true;
  auto transport = make_bank_transport(io_, endpoint_for({node.port()}));
  BankSender sender(*transport);
  sender.send("early", milliseconds(5'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::not_sent);
  EXPECT_EQ(transport->stats().nodes_healthy, 0U);
  EXPECT_GE(transport->stats().connects_failed, 1U);
  EXPECT_TRUE(node.received.empty()) << "nothing goes on a connection that is not signed on";
  node.decline_sign_on = false;  // the next retry brings it in
  ASSERT_TRUE(run([&] { return transport->stats().nodes_healthy == 1; }));
  sender.send("later", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(1).transport, Transport::delivered);
}

TEST_F(BankTransportTest, TimeoutKeepsTheTraceUntilTheLateAnswerWhichIsDiscarded) {
  TestBankNode node(io_);
  auto transport = make_bank_transport(io_, endpoint_for({node.port()}));
  BankSender sender(*transport);
  const auto start = std::chrono::steady_clock::now();
  sender.send("slow", milliseconds(150));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(150));
  EXPECT_EQ(sender.result(0).transport, Transport::timeout);
  ASSERT_EQ(node.received.size(), 1U);
  node.answer(node.received[0]);
  ASSERT_TRUE(run([&] { return transport->stats().late_responses == 1; }));
  node.auto_answer = true;
  sender.send("next", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(1).transport, Transport::delivered);
  EXPECT_NE(sender.trace(1), sender.trace(0));
  EXPECT_EQ(node.accepted, 1U) << "the same connection carries on";
}

TEST_F(BankTransportTest, ConnectionClosedByTheNodeBreaksWhatWasInFlightAndIsReplaced) {
  TestBankNode node(io_);
  auto transport = make_bank_transport(io_, endpoint_for({node.port()}));
  BankSender sender(*transport);
  for (int i = 0; i < 3; ++i)
    sender.send("c-" + std::to_string(i), milliseconds(5'000));
  ASSERT_TRUE(run([&] { return node.received.size() == 3; }));
  node.close_all();
  ASSERT_TRUE(run([&] { return sender.completed() == 3; }));
  EXPECT_EQ(sender.count(Transport::broken), 3U);
  node.auto_answer = true;
  ASSERT_TRUE(run([&] { return transport->stats().connections_idle == 1; }));
  sender.send("after", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 4; }));
  EXPECT_EQ(sender.result(3).transport, Transport::delivered);
  EXPECT_EQ(node.accepted, 2U);
}

TEST_F(BankTransportTest, UnansweredHeartbeatTakesTheNodeOutAndASignOnBringsItBack) {
  TestBankNode node(io_);
  node.answer_echo = false;
  BankEndpoint endpoint = endpoint_for({node.port()});
  endpoint.heartbeat_ns = ns(milliseconds(50));
  endpoint.heartbeat_timeout_ns = ns(milliseconds(50));
  auto transport = make_bank_transport(io_, endpoint);
  ASSERT_TRUE(run([&] { return transport->stats().nodes_healthy == 1; }));
  ASSERT_TRUE(run([&] { return transport->stats().nodes_healthy == 0; }));
  EXPECT_GE(node.echoes, 1U);
  BankSender sender(*transport);
  sender.send("while-down", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::not_sent);
  node.answer_echo = true;
  ASSERT_TRUE(run([&] { return transport->stats().nodes_healthy == 1; }));
  node.auto_answer = true;
  sender.send("back", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(1).transport, Transport::delivered);
  EXPECT_GE(node.accepted, 2U);
}

TEST_F(BankTransportTest, StopBreaksWhatLeftAndFailsWhatWaited) {
  TestBankNode node(io_);
  BankEndpoint endpoint = endpoint_for({node.port()});
  endpoint.max_in_flight_per_connection = 2;
  auto transport = make_bank_transport(io_, endpoint);
  BankSender sender(*transport);
  for (int i = 0; i < 3; ++i)
    sender.send("s-" + std::to_string(i), milliseconds(5'000));
  ASSERT_TRUE(run([&] { return node.received.size() == 2; }));
  transport->stop();
  EXPECT_EQ(sender.completed(), 0U) << "stop() completes nothing itself";
  ASSERT_TRUE(run([&] { return sender.completed() == 3; }));
  EXPECT_EQ(sender.result(0).transport, Transport::broken);
  EXPECT_EQ(sender.result(1).transport, Transport::broken);
  EXPECT_EQ(sender.result(2).transport, Transport::not_sent);
  EXPECT_EQ(transport->stats().connections_open, 0U);
}

TEST_F(BankTransportTest, AnEncoderThatIgnoresTheTraceIsNotSent) {
  TestBankNode node(io_);
  auto transport = make_bank_transport(io_, endpoint_for({node.port()}));
  ASSERT_TRUE(run([&] { return transport->stats().nodes_healthy == 1; }));
  std::optional<TransportResult> result;
  transport->send(
      [](std::uint32_t trace) {
        return WireRequest{{}, pay_frame(trace + 1, "x"), {}};
      },
      ns(milliseconds(1'000)), [&](TransportResult r) { result = std::move(r); });
  ASSERT_TRUE(run([&] { return result.has_value(); }));
  EXPECT_EQ(result->transport, Transport::not_sent);
  EXPECT_TRUE(node.received.empty());
}

// The live simulator's bank channel: three nodes, one refusing connections from the start;
// real pay calls built and read by the gateway's own codec.
TEST(BankTransportSimulatorTest, PaysThroughTheCodecOverTheNodesThatAccept) {
  const fusebox::testing::SimulatorThread simulator(R"({"seed": 11, "channels": [
      {"name": "bank", "family": "bank-binary", "nodes": 3,
       "latency_ms": {"pay": {"kind": "lognormal", "p50": 5, "p99": 40}},
       "outcome": {"success_p": 1, "decline_p": 0},
       "faults": [{"kind": "refuse_connections", "node": 1}]}]})");
  std::string key;
  for (const auto& channel :
       nlohmann::json::parse(simulator.control(boost::beast::http::verb::get, "/channels").body)) {
    if (channel["name"] == "bank") key = channel["hmac_secret"];
  }
  ASSERT_FALSE(key.empty());
  BankEndpoint endpoint;
  for (const auto& address : simulator.ready()["channels"]["bank"]["nodes"])
    endpoint.nodes.emplace_back("127.0.0.1", fusebox::testing::port_of(address));
  endpoint.mac_key = key;
  asio::io_context io;
  auto transport = make_bank_transport(io, endpoint);
  CodecKeys keys;
  keys.mac_key = key;
  const auto codec = make_codec(Family::bank_binary, std::move(keys));
  constexpr std::size_t kPays = 100;
  std::vector<ChannelCall> calls(kPays);
  std::vector<std::optional<ChannelReply>> replies(kPays);
  std::size_t completed = 0;
  for (std::size_t i = 0; i < kPays; ++i) {
    calls[i] = ChannelCall{ChannelOp::pay,
                           "sim-" + std::to_string(i),
                           "",
                           100 + static_cast<std::int64_t>(i),
                           "CNY",
                           ""};
    transport->send(
        [&, i](std::uint32_t trace) {
          return codec->encode(calls[i], EncodeContext{1'700'000'000LL * kNsPerS, 0, trace});
        },
        ns(milliseconds(5'000)),
        [&, i](TransportResult r) {
          ++completed;
          ASSERT_EQ(r.transport, Transport::delivered) << r.error;
          replies[i] = codec->decode(calls[i], WireReply{0, r.body, ""});
        });
  }
  ASSERT_TRUE(run_until(io, [&] { return completed == kPays; }));
  for (std::size_t i = 0; i < kPays; ++i) {
    ASSERT_TRUE(replies[i].has_value());
    EXPECT_EQ(replies[i]->kind, ReplyKind::answered) << replies[i]->message;
    EXPECT_EQ(replies[i]->payment, PaymentStatus::succeeded);
    EXPECT_EQ(replies[i]->amount_minor, 100 + static_cast<std::int64_t>(i));
  }
  const TransportStats stats = transport->stats();
  EXPECT_EQ(stats.nodes_total, 3U);
  EXPECT_EQ(stats.nodes_healthy, 2U) << "node 1 refuses connections";
  EXPECT_GE(stats.connects_failed, 1U);
  transport->stop();
  fusebox::testing::drain(io);
}

// Not a test: the pool's throughput against a node that mirrors frames back, on another
// thread. Run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST(BankTransportThroughput, DISABLED_RequestsPerSecond) {
  asio::io_context server_io;
  TestBankNode node(server_io);
  node.mirror = true;
  auto server_work = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  asio::io_context io;
  auto transport = make_bank_transport(io, endpoint_for({node.port()}, 2));
  constexpr std::size_t kTotal = 500'000;
  constexpr std::size_t kConcurrent = 512;
  std::size_t sent = 0;
  std::size_t completed = 0;
  std::size_t delivered = 0;
  const std::string template_frame = pay_frame(1, "throughput");
  std::function<void()> next = [&] {
    if (sent == kTotal) return;
    ++sent;
    transport->send(
        [&](std::uint32_t trace) {
          // Only the trace changes; the MAC is not checked by a mirror.
          std::string bytes = template_frame;
          std::array<char, 7> digits{};
          std::snprintf(digits.data(), digits.size(), "%06u", trace);
          bytes.replace(bank::kLengthPrefixBytes + 4, 6, digits.data(), 6);
          return WireRequest{{}, std::move(bytes), {}};
        },
        ns(milliseconds(5'000)),
        [&](TransportResult r) {
          ++completed;
          delivered += r.transport == Transport::delivered ? 1U : 0U;
          next();
        });
  };
  ASSERT_TRUE(run_until(io, [&] { return transport->stats().connections_idle == 2; }));
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kConcurrent; ++i)
    next();
  EXPECT_TRUE(run_until(
      io, [&] { return completed == kTotal; }, milliseconds(120'000)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu delivered of %zu in %.2f s: %.0f requests/s over %u connections\n", delivered,
              kTotal, seconds, static_cast<double>(delivered) / seconds,
              transport->stats().connections_open);
  transport->stop();
  asio::post(server_io, [&] {
    node.close_all();
    server_io.stop();
  });
  server_thread.join();
}

}  // namespace
}  // namespace fusebox::gateway
