// HttpServer with sender threads: answers given after the handler returns are written from
// a sender thread, answers given at once never wait for one, every answer reaches its own
// connection, and a connection closed while a sender holds it keeps its descriptor until
// the write is back (so the write cannot land on a connection that reused the number). All
// on 127.0.0.1, bounded in count and time.
#include "fusebox/net/http_server.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "fusebox/net/io_threads.hpp"

namespace fusebox::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Holds a sender thread until released (at the latest after 10 s, so nothing hangs).
class Blocker {
 public:
  void hold(IoThreads& senders) {
    asio::post(senders.next(), [this] {
      std::unique_lock lock(mutex_);
      holding_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, 10s, [this] { return released_; });
      holding_ = false;
    });
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [this] { return holding_; });
  }
  void release() {
    const std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  [[nodiscard]] bool holding() {
    const std::lock_guard lock(mutex_);
    return holding_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  bool released_ = false;
};

// One connection that sends a request and can wait for its answer, bounded.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& target) {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    asio::write(socket_, asio::buffer(request));
  }
  // The answer's body, or nothing if none came within `timeout`.
  std::optional<std::string> answer(std::chrono::milliseconds timeout) {
    std::optional<std::string> body;
    http::async_read(socket_, buffer_, response_, [&](beast::error_code ec, std::size_t) {
      if (!ec) body = response_.body();
    });
    io_.restart();
    io_.run_for(timeout);
    if (!body) {
      socket_.cancel();
      io_.restart();
      io_.run_for(1s);  // the cancelled read's handler
      return std::nullopt;
    }
    response_ = {};
    return body;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::response<http::string_body> response_;
};

// A server whose handler answers with the request's target, at once or after `delay_`.
class ServerWithSenders : public ::testing::Test {
 protected:
  void start(std::size_t senders) {
    senders_.emplace(senders);
    server_.emplace(
        io_,
        [this](HttpRequestIn in, Responder respond) {
          std::string body = in.target + std::string(padding_, '.');
          if (delay_ == 0ms) return respond(make_response(200, "text/plain", std::move(body)));
          auto timer = std::make_shared<asio::steady_timer>(io_, delay_);
          timer->async_wait([timer, body = std::move(body), respond](beast::error_code) {
            respond(make_response(200, "text/plain", body));
          });
        },
        HttpLimits{}, nullptr, &*senders_);
    port_ = server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  // A connection whose late answer waits behind the only sender thread, held.
  std::unique_ptr<Client> late_answer_behind_a_held_sender() {
    delay_ = 5ms;
    start(1);
    blocker_.hold(*senders_);
    auto client = std::make_unique<Client>(port_);
    client->send("/late");
    EXPECT_EQ(client->answer(300ms), std::nullopt)
        << "a late answer was written while the only sender thread was held";
    return client;
  }
  void TearDown() override {
    blocker_.release();
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        server_->stop();
        io_.stop();
      });
      thread_.join();
    }
    server_.reset();
    senders_.reset();  // joined while io_ exists
  }

  asio::io_context io_;
  std::optional<IoThreads> senders_;
  std::optional<HttpServer> server_;
  std::thread thread_;
  std::chrono::milliseconds delay_ = 0ms;
  std::size_t padding_ = 0;  // bytes added to each answer's body
  std::uint16_t port_ = 0;
  Blocker blocker_;
};

TEST_F(ServerWithSenders, AnAnswerGivenAtOnceDoesNotWaitForTheSenders) {
  start(1);
  blocker_.hold(*senders_);
  ASSERT_TRUE(blocker_.holding());
  Client client(port_);
  client.send("/now");
  EXPECT_EQ(client.answer(5s), "/now");
  EXPECT_TRUE(blocker_.holding()) << "the answer must not have needed the sender";
}

TEST_F(ServerWithSenders, ALateAnswerLeavesFromASenderThread) {
  const auto client = late_answer_behind_a_held_sender();
  blocker_.release();
  EXPECT_EQ(client->answer(5s), "/late");
  client->send("/again");  // the connection reads on after the sender's write
  EXPECT_EQ(client->answer(5s), "/again");
}

TEST_F(ServerWithSenders, ALateAnswerLargerThanTheSocketBufferArrivesWhole) {
  delay_ = 5ms;
  padding_ = 6 << 20;  // more than a loopback send buffer takes at once: the rest goes later
  start(1);
  Client client(port_);
  for (const std::string target : {"/big", "/next"}) {  // the connection reads on after it
    client.send(target);
    const std::optional<std::string> body = client.answer(10s);
    ASSERT_TRUE(body.has_value()) << target << ": no whole answer";
    EXPECT_EQ(body->size(), target.size() + padding_) << target;
    EXPECT_TRUE(*body == target + std::string(padding_, '.')) << target << ": other bytes";
  }
}

TEST_F(ServerWithSenders, EveryLateAnswerReachesItsOwnConnection) {
  delay_ = 2ms;
  start(2);
  constexpr int kClients = 32;
  constexpr int kRequests = 20;
  std::vector<std::vector<std::string>> got(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([this, &got, c] {
      Client client(port_);
      for (int r = 0; r < kRequests; ++r) {
        client.send("/c" + std::to_string(c) + "/" + std::to_string(r));
        got[static_cast<std::size_t>(c)].push_back(client.answer(5s).value_or("(none)"));
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  for (int c = 0; c < kClients; ++c) {
    for (int r = 0; r < kRequests; ++r) {
      EXPECT_EQ(got[static_cast<std::size_t>(c)][static_cast<std::size_t>(r)],
                "/c" + std::to_string(c) + "/" + std::to_string(r));
    }
  }
}

TEST_F(ServerWithSenders, AConnectionClosedWhileASenderHoldsItKeepsItsDescriptorTillThen) {
  const auto client = late_answer_behind_a_held_sender();
  asio::io_context io;  // its own descriptors made before the stop
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::atomic<bool> stopped{false};
  asio::post(io_, [this, &stopped] {
    server_->stop();
    stopped = true;
  });
  while (!stopped)
    std::this_thread::yield();
  // New connections take the lowest free descriptor numbers: had stop() closed the held
  // connection's descriptor, one of these would have its number now.
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < 8; ++i) {
    sockets.emplace_back(io).connect(acceptor.local_endpoint());
    sockets.push_back(acceptor.accept());
  }
  blocker_.release();
  std::this_thread::sleep_for(200ms);  // the sender's write, had it gone astray
  for (tcp::socket& socket : sockets) {
    socket.non_blocking(true);
    std::array<char, 64> bytes{};
    beast::error_code ec;
    (void)socket.read_some(asio::buffer(bytes), ec);
    EXPECT_EQ(ec, asio::error::would_block) << "a late answer landed on another connection";
  }
}

}  // namespace
}  // namespace fusebox::net
