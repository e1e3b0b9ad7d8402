// Proves the HTTP channel transport over loopback: keep-alive reuse within the pool bound, the
// bounded wait queue, not_sent only when nothing left (refused, TLS trust or name failures,
// queue), timeout and broken once a request left, Retry-After passed through, stale idle
// connections never reused, stop(); TLS against the live simulator's own test CA.
#include "fusebox/gateway/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include "fusebox/common/test_pki.hpp"

#include "loopback.hpp"

namespace fusebox::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using fusebox::testing::closed_port;
using fusebox::testing::run_until;
using std::chrono::milliseconds;

// What the hand-made server does with one request.
struct Scripted {
  int status = 200;
  std::optional<std::string> body;  // default: echoes "<target>|<request body>"
  std::string retry_after;
  enum class Fault : std::uint8_t { none, silent, reset_midway } fault = Fault::none;
};
using Script = std::function<Scripted(const std::string& target, const std::string& body)>;

std::string response_text(const Scripted& s, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(s.status) + " X\r\nContent-Type: text/plain\r\n";
  if (!s.retry_after.empty()) out += "Retry-After: " + s.retry_after + "\r\n";
  return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A small HTTP/1.1 keep-alive server (plain or TLS) that acts out a script, on the test's
// io_context, counting what the pool under test does to it.
class TestServer {
 public:
  struct State {
    Script script;
    std::shared_ptr<ssl::context> tls;
    std::size_t accepted = 0;
    std::size_t requests = 0;
    std::size_t closed_by_client = 0;
    std::map<void*, std::function<void()>> closers;  // open sessions
    std::map<void*, bool> idle;                      // waiting for their next request
  };

  TestServer(asio::io_context& io, Script script, std::shared_ptr<ssl::context> tls = nullptr)
      : state_(std::make_shared<State>()), acceptor_(io) {
    state_->script = std::move(script);
    state_->tls = std::move(tls);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    accept();
  }
  ~TestServer() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    close_all();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] const State& state() const { return *state_; }
  // Closes every connection waiting for a request, as a server's keep-alive timeout does.
  void close_idle() {
    std::vector<std::function<void()>> closers;
    for (const auto& [session, idle] : state_->idle) {
      if (idle) closers.push_back(state_->closers.at(session));
    }
    for (const auto& close : closers)
      close();
  }
  void close_all() {
    auto closers = state_->closers;
    for (const auto& [session, close] : closers)
      close();
  }

 private:
  void accept();
  std::shared_ptr<State> state_;
  tcp::acceptor acceptor_;
};

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<TestServer::State> state, Stream stream)
      : state_(std::move(state)), stream_(std::move(stream)) {}

  void start() {
    auto self = this->shared_from_this();
    state_->closers[this] = [self] { self->close(false); };
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      read();
    } else {
      stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->close(true);
        self->read();
      });
    }
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  void read() {
    state_->idle[this] = true;
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_request(ec);
                     });
  }

  void on_request(beast::error_code ec) {
    if (ec) return close(true);
    state_->idle[this] = false;
    ++state_->requests;
    const Scripted s = state_->script(std::string(request_.target()), request_.body());
    // Never answers; reads on only to see the client close the connection.
    if (s.fault == Scripted::Fault::silent) return read();
    out_ =
        response_text(s, s.body.value_or(std::string(request_.target()) + "|" + request_.body()));
    const bool reset = s.fault == Scripted::Fault::reset_midway;
    const std::size_t size = reset ? out_.size() / 2 : out_.size();
    asio::async_write(stream_, asio::buffer(out_.data(), size),
                      [self = this->shared_from_this(), reset](beast::error_code w, std::size_t) {
                        if (w) return self->close(true);
                        if (!reset) return self->read();
                        beast::error_code ignored;
                        self->socket().set_option(asio::socket_base::linger(true, 0), ignored);
                        self->close(false);
                      });
  }

  void close(bool by_client) {
    if (closed_) return;
    closed_ = true;
    if (by_client) ++state_->closed_by_client;
    beast::error_code ignored;
    socket().close(ignored);
    state_->idle.erase(this);
    state_->closers.erase(this);  // may destroy *this: last line
  }

  std::shared_ptr<TestServer::State> state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::string out_;
  bool closed_ = false;
};

void TestServer::accept() {
  acceptor_.async_accept([this, state = state_](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    ++state->accepted;
    socket.set_option(tcp::no_delay(true), ec);
    if (state->tls) {
      using Tls = ssl::stream<tcp::socket>;
      std::make_shared<Session<Tls>>(state, Tls(std::move(socket), *state->tls))->start();
    } else {
      std::make_shared<Session<tcp::socket>>(state, std::move(socket))->start();
    }
    accept();
  });
}

Scripted echo(const std::string&, const std::string&) { return {}; }

// Sends through a transport and records each result; checks `done` never runs inside send().
class Sender {
 public:
  explicit Sender(ChannelTransport& transport) : transport_(transport) {}

  void send(const std::string& target, const std::string& body, milliseconds timeout,
            std::function<void(const TransportResult&)> then = nullptr) {
    const std::size_t index = results_.size();
    results_.emplace_back();
    inside_send_ = true;
    transport_.send(
        [target, body](std::uint32_t trace) {
          EXPECT_EQ(trace, 0U);
          return WireRequest{target, body, "application/json"};
        },
        std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count(),
        [this, index, then = std::move(then)](TransportResult result) {
          EXPECT_FALSE(inside_send_) << "done ran inside send()";
          EXPECT_FALSE(results_[index].has_value()) << "done ran twice";
          results_[index] = std::move(result);
          ++completed_;
          if (then) then(*results_[index]);
        });
    inside_send_ = false;
  }

  [[nodiscard]] std::size_t completed() const { return completed_; }
  [[nodiscard]] const TransportResult& result(std::size_t i) const { return *results_.at(i); }
  [[nodiscard]] std::size_t count(Transport transport) const {
    std::size_t n = 0;
    for (const auto& r : results_)
      n += r && r->transport == transport ? 1U : 0U;
    return n;
  }

 private:
  ChannelTransport& transport_;
  std::vector<std::optional<TransportResult>> results_;
  std::size_t completed_ = 0;
  bool inside_send_ = false;
};

HttpEndpoint plain(std::uint16_t port, std::uint32_t max_connections = 8) {
  HttpEndpoint endpoint;
  endpoint.port = port;
  endpoint.max_connections = max_connections;
  return endpoint;
}

class HttpTransportTest : public ::testing::Test {
 protected:
  bool run(const std::function<bool()>& done, milliseconds limit = milliseconds(5'000)) {
    return run_until(io_, done, limit);
  }
  asio::io_context io_;
};

TEST_F(HttpTransportTest, KeepAliveReusesAtMostMaxConnectionsAndEveryAnswerFindsItsRequest) {
  TestServer server(io_, echo);
  auto transport = make_http_transport(io_, plain(server.port(), 8));
  Sender sender(*transport);
  // 1000 one after the other: one connection carries them all.
  std::function<void(int)> chain = [&](int i) {
    sender.send("/seq/" + std::to_string(i), "b" + std::to_string(i), milliseconds(2'000),
                [&, i](const TransportResult&) {
                  if (i + 1 < 1'000) chain(i + 1);
                });
  };
  chain(0);
  ASSERT_TRUE(run([&] { return sender.completed() == 1'000; }));
  EXPECT_EQ(server.state().accepted, 1U);
  // 200 at once: at most max_connections, the rest wait their turn.
  for (int i = 0; i < 200; ++i)
    sender.send("/par/" + std::to_string(i), "c" + std::to_string(i), milliseconds(2'000));
  EXPECT_LE(transport->stats().connections_open, 8U);
  EXPECT_EQ(transport->stats().requests_waiting, 192U);
  ASSERT_TRUE(run([&] { return sender.completed() == 1'200; }));
  EXPECT_LE(server.state().accepted, 8U);
  EXPECT_EQ(server.state().requests, 1'200U);
  for (std::size_t i = 0; i < 1'200; ++i) {
    const TransportResult& r = sender.result(i);
    ASSERT_EQ(r.transport, Transport::delivered) << i << " " << r.error;
    EXPECT_EQ(r.http_status, 200);
    const std::string expected =
        i < 1'000 ? "/seq/" + std::to_string(i) + "|b" + std::to_string(i)
                  : "/par/" + std::to_string(i - 1'000) + "|c" + std::to_string(i - 1'000);
    EXPECT_EQ(r.body, expected);
  }
  const TransportStats stats = transport->stats();
  EXPECT_EQ(stats.connections_open, stats.connections_idle);
  EXPECT_EQ(stats.requests_in_flight, 0U);
  EXPECT_EQ(stats.nodes_healthy, 1U);
}

TEST_F(HttpTransportTest, WaitingPastItsDeadlineOrPastTheQueueBoundIsNotSent) {
  TestServer server(io_, [](const std::string&, const std::string&) {
    return Scripted{200, std::nullopt, "", Scripted::Fault::silent};
  });
  HttpEndpoint endpoint = plain(server.port(), 1);
  endpoint.max_waiting = 2;
  auto transport = make_http_transport(io_, endpoint);
  Sender sender(*transport);
  // The first holds the only connection past the others' deadlines, so they expire while
  // waiting whatever the timers' order (with equal deadlines, a slow machine could free the
  // connection for the second one just before its own deadline).
  sender.send("/pay", "x", milliseconds(400));
  for (int i = 1; i < 4; ++i)
    sender.send("/pay", "x", milliseconds(150));
  ASSERT_TRUE(run([&] { return sender.completed() == 4; }));
  EXPECT_EQ(sender.result(0).transport, Transport::timeout) << "it left and got no answer";
  EXPECT_EQ(sender.result(1).transport, Transport::not_sent);
  EXPECT_EQ(sender.result(1).error, "timed out waiting for a free connection");
  EXPECT_EQ(sender.result(2).transport, Transport::not_sent);
  EXPECT_EQ(sender.result(3).transport, Transport::not_sent);
  EXPECT_EQ(sender.result(3).error, "pool queue full");
  EXPECT_EQ(server.state().requests, 1U);
}

TEST_F(HttpTransportTest, RefusedConnectionIsNotSent) {
  auto transport = make_http_transport(io_, plain(closed_port()));
  Sender sender(*transport);
  sender.send("/pay", "x", milliseconds(1'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::not_sent);
  EXPECT_NE(sender.result(0).error.find("connect"), std::string::npos) << sender.result(0).error;
  EXPECT_EQ(transport->stats().connects_failed, 1U);
  EXPECT_EQ(transport->stats().nodes_healthy, 0U);
  EXPECT_EQ(transport->stats().connections_open, 0U);
}

TEST_F(HttpTransportTest, SilentServerTimesOutAfterTheTimeoutAndTheConnectionIsClosed) {
  TestServer server(io_, [](const std::string&, const std::string&) {
    return Scripted{200, std::nullopt, "", Scripted::Fault::silent};
  });
  auto transport = make_http_transport(io_, plain(server.port()));
  Sender sender(*transport);
  const auto start = std::chrono::steady_clock::now();
  sender.send("/pay", "x", milliseconds(200));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_EQ(sender.result(0).transport, Transport::timeout);
  EXPECT_EQ(transport->stats().connections_open, 0U) << "its state is unknown: closed";
  EXPECT_TRUE(run([&] { return server.state().closed_by_client == 1; }));
}

TEST_F(HttpTransportTest, ResetMidResponseIsBroken) {
  TestServer server(io_, [](const std::string&, const std::string&) {
    return Scripted{200, std::string(400, 'r'), "", Scripted::Fault::reset_midway};
  });
  auto transport = make_http_transport(io_, plain(server.port()));
  Sender sender(*transport);
  sender.send("/pay", "x", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::broken) << sender.result(0).error;
  EXPECT_EQ(transport->stats().connections_open, 0U);
}

TEST_F(HttpTransportTest, StatusBodyAndRetryAfterPassThrough) {
  TestServer server(io_, [](const std::string&, const std::string&) {
    return Scripted{429, std::string(R"({"code":"FREQUENCY_LIMITED"})"), "7"};
  });
  auto transport = make_http_transport(io_, plain(server.port()));
  Sender sender(*transport);
  sender.send("/v1/pay", "{}", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  EXPECT_EQ(sender.result(0).transport, Transport::delivered);
  EXPECT_EQ(sender.result(0).http_status, 429);
  EXPECT_EQ(sender.result(0).retry_after, "7");
  EXPECT_EQ(sender.result(0).body, R"({"code":"FREQUENCY_LIMITED"})");
}

TEST_F(HttpTransportTest, IdleConnectionTheServerClosedIsNotReused) {
  TestServer server(io_, echo);
  auto transport = make_http_transport(io_, plain(server.port(), 1));
  Sender sender(*transport);
  sender.send("/first", "a", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 1; }));
  server.close_idle();  // the server's keep-alive timeout
  sender.send("/second", "b", milliseconds(2'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(1).transport, Transport::delivered) << sender.result(1).error;
  EXPECT_EQ(sender.result(1).body, "/second|b");
  EXPECT_EQ(server.state().accepted, 2U);
  EXPECT_EQ(transport->stats().stale_connections, 1U);
}

TEST_F(HttpTransportTest, BadRequestsAndEncoderFailuresAreNotSent) {
  TestServer server(io_, echo);
  auto transport = make_http_transport(io_, plain(server.port()));
  Sender sender(*transport);
  sender.send("/pay\r\nX-Evil: 1", "x", milliseconds(1'000));
  sender.send("", "x", milliseconds(1'000));
  bool done = false;
  transport->send([](std::uint32_t) -> WireRequest { throw std::invalid_argument("amount"); },
                  1'000'000'000,
                  [&](TransportResult r) {
                    EXPECT_EQ(r.transport, Transport::not_sent);
                    EXPECT_EQ(r.error, "encode: amount");
                    done = true;
                  });
  ASSERT_TRUE(run([&] { return sender.completed() == 2 && done; }));
  EXPECT_EQ(sender.count(Transport::not_sent), 2U);
  EXPECT_EQ(server.state().requests, 0U);
}

TEST_F(HttpTransportTest, StopCompletesEverySendAfterwardsNotSentOrBroken) {
  TestServer server(io_, [](const std::string&, const std::string&) {
    return Scripted{200, std::nullopt, "", Scripted::Fault::silent};
  });
  auto transport = make_http_transport(io_, plain(server.port(), 2));
  Sender sender(*transport);
  for (int i = 0; i < 3; ++i)
    sender.send("/pay", "x", milliseconds(5'000));
  ASSERT_TRUE(run([&] { return server.state().requests == 2; }));
  transport->stop();
  EXPECT_EQ(sender.completed(), 0U) << "stop() completes nothing itself";
  sender.send("/pay", "late", milliseconds(5'000));
  ASSERT_TRUE(run([&] { return sender.completed() == 4; }));
  EXPECT_EQ(sender.result(0).transport, Transport::broken) << "written: it may have been read";
  EXPECT_EQ(sender.result(1).transport, Transport::broken);
  EXPECT_EQ(sender.result(2).transport, Transport::not_sent) << "it was still waiting";
  EXPECT_EQ(sender.result(3).transport, Transport::not_sent);
  EXPECT_EQ(sender.result(3).error, "transport stopped");
}

// TLS against a hand-made server: trust only the given CA, and the certificate must name
// the address dialled.
class HttpTlsTest : public HttpTransportTest {
 protected:
  std::shared_ptr<ssl::context> server_context(const std::vector<std::string>& ips) {
    const TestServerCert cert = issue_server_cert(ca_, "fusebox test server", ips, {});
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    EXPECT_EQ(SSL_CTX_use_certificate(context->native_handle(), cert.cert.native()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(context->native_handle(), cert.key.native()), 1);
    return context;
  }
  HttpEndpoint tls(std::uint16_t port, const std::string& ca_pem) {
    HttpEndpoint endpoint = plain(port);
    endpoint.tls = true;
    endpoint.ca_pem = ca_pem;
    return endpoint;
  }
  TestCa ca_ = make_test_ca("fusebox test CA");
};

TEST_F(HttpTlsTest, TrustedCaAndMatchingIpDeliverOverOneConnection) {
  TestServer server(io_, echo, server_context({"127.0.0.1"}));
  auto transport = make_http_transport(io_, tls(server.port(), ca_.cert.to_pem()));
  Sender sender(*transport);
  sender.send("/v1/pay", "one", milliseconds(3'000), [&](const TransportResult&) {
    sender.send("/v1/query", "two", milliseconds(3'000));
  });
  ASSERT_TRUE(run([&] { return sender.completed() == 2; }));
  EXPECT_EQ(sender.result(0).body, "/v1/pay|one") << sender.result(0).error;
  EXPECT_EQ(sender.result(1).body, "/v1/query|two") << sender.result(1).error;
  EXPECT_EQ(server.state().accepted, 1U);
}

TEST_F(HttpTlsTest, AnotherCaOrAnotherIpIsNotSent) {
  TestServer good_name(io_, echo, server_context({"127.0.0.1"}));
  TestServer wrong_name(io_, echo, server_context({"127.0.0.2"}));
  const TestCa other = make_test_ca("someone else");
  auto untrusted = make_http_transport(io_, tls(good_name.port(), other.cert.to_pem()));
  auto misnamed = make_http_transport(io_, tls(wrong_name.port(), ca_.cert.to_pem()));
  Sender first(*untrusted);
  Sender second(*misnamed);
  first.send("/v1/pay", "x", milliseconds(3'000));
  second.send("/v1/pay", "x", milliseconds(3'000));
  ASSERT_TRUE(run([&] { return first.completed() == 1 && second.completed() == 1; }));
  EXPECT_EQ(first.result(0).transport, Transport::not_sent);
  EXPECT_NE(first.result(0).error.find("certificate verify failed"), std::string::npos)
      << first.result(0).error;
  EXPECT_EQ(second.result(0).transport, Transport::not_sent);
  EXPECT_EQ(good_name.state().requests + wrong_name.state().requests, 0U);
  EXPECT_THROW((void)make_http_transport(io_, tls(1, "not a certificate")), std::invalid_argument);
}

TEST(HttpTransportSimulatorTest, TlsWithTheSimulatorsCaDeliversAndWithAnotherCaDoesNot) {
  const fusebox::testing::SimulatorThread simulator(R"({"seed": 3, "channels": [
      {"name": "secure", "family": "wallet-json", "sign": "none", "tls": true,
       "latency_ms": {"query": 1}}]})");
  const std::string url = simulator.ready()["channels"]["secure"]["url"];
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0U) << url;
  const std::string ca_pem = simulator.control(http::verb::get, "/ca").body;
  ASSERT_NE(ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  asio::io_context io;
  HttpEndpoint endpoint = plain(fusebox::testing::port_of(url));
  endpoint.tls = true;
  endpoint.ca_pem = ca_pem;
  auto trusted = make_http_transport(io, endpoint);
  endpoint.ca_pem = make_test_ca("not the simulator").cert.to_pem();
  auto untrusted = make_http_transport(io, endpoint);
  Sender good(*trusted);
  Sender bad(*untrusted);
  const std::string query = R"({"merchant_id":"m","nonce":"n","timestamp":1,"order_id":"o-1"})";
  good.send("/v1/query", query, milliseconds(3'000));
  bad.send("/v1/query", query, milliseconds(3'000));
  ASSERT_TRUE(run_until(io, [&] { return good.completed() == 1 && bad.completed() == 1; }));
  ASSERT_EQ(good.result(0).transport, Transport::delivered) << good.result(0).error;
  EXPECT_EQ(good.result(0).http_status, 200);
  EXPECT_EQ(nlohmann::json::parse(good.result(0).body)["code"], "NOT_FOUND");
  EXPECT_EQ(bad.result(0).transport, Transport::not_sent);
}

// Not a test: the pool's throughput against a small loopback server on another thread.
// Run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST(HttpTransportThroughput, DISABLED_RequestsPerSecond) {
  asio::io_context server_io;
  TestServer server(server_io, [](const std::string&, const std::string&) {
    return Scripted{200, std::string(R"({"code":"SUCCESS"})"), ""};
  });
  auto server_work = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  asio::io_context io;
  auto transport = make_http_transport(io, plain(server.port(), 64));
  constexpr std::size_t kTotal = 200'000;
  constexpr std::size_t kConcurrent = 64;
  std::size_t sent = 0;
  std::size_t completed = 0;
  std::size_t delivered = 0;
  const std::string body(300, 'p');
  std::function<void()> next = [&] {
    if (sent == kTotal) return;
    ++sent;
    transport->send(
        [&body](std::uint32_t) {
          return WireRequest{"/v1/pay", body, "application/json"};
        },
        2'000'000'000,
        [&](TransportResult r) {
          ++completed;
          delivered += r.transport == Transport::delivered ? 1 : 0;
          next();
        });
  };
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
    server.close_all();
    server_io.stop();
  });
  server_thread.join();
}

}  // namespace
}  // namespace fusebox::gateway
