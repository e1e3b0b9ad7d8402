#pragma once
// Shared by the transport tests: running an io_context until something happened (bounded,
// never a sleep), a port nobody listens on, a blocking client for the simulator's control API,
// and the live simulator on its own thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "fusebox/common/config.hpp"
#include "fusebox/simulator/live_simulator.hpp"

namespace fusebox::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Runs `io` until `done()` holds or `limit` passes; true if it held.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5'000)) {
  const auto guard = asio::make_work_guard(io);
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) return false;
    io.run_one_for(
        std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
  return true;
}

// Runs every handler that is ready now or becomes ready within `limit` of quiet.
inline void drain(asio::io_context& io,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(100)) {
  io.restart();
  io.run_for(limit);
  io.restart();
}

// A port that was free a moment ago and has no listener now.
inline std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

inline std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

struct ControlReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// A blocking request with a deadline, on its own io_context (the simulator runs elsewhere).
inline ControlReply http_call(std::uint16_t port, boost::beast::http::verb verb,
                              const std::string& target, const std::string& body = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(3));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  ControlReply reply;
  stream.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        http::async_write(stream, req, [&](beast::error_code w, std::size_t) {
          if (w) return;
          http::async_read(stream, buffer, res, [&](beast::error_code r, std::size_t) {
            if (r) return;
            reply.status = static_cast<int>(res.result_int());
            reply.body = res.body();
          });
        });
      });
  io.run_for(std::chrono::seconds(3));
  return reply;
}

// The live simulator from a config text, on its own io_context and thread.
class SimulatorThread {
 public:
  explicit SimulatorThread(const std::string& config)
      : simulator_(std::make_unique<sim::live::LiveSimulator>(
            io_, sim::parse_simulator(ConfigDocument::parse("test", config).root()))) {
    ready_ = simulator_->start();
    thread_ = std::thread([this] { io_.run(); });
    const std::string control = ready_["control"];
    control_port_ = port_of(control.substr(0, control.rfind('/')));
  }
  ~SimulatorThread() {
    asio::post(io_, [this] {
      simulator_->stop();
      io_.stop();
    });
    thread_.join();
  }
  SimulatorThread(const SimulatorThread&) = delete;
  SimulatorThread& operator=(const SimulatorThread&) = delete;

  [[nodiscard]] const nlohmann::json& ready() const { return ready_; }
  [[nodiscard]] ControlReply control(boost::beast::http::verb verb, const std::string& target,
                                     const std::string& body = "") const {
    return http_call(control_port_, verb, "/control" + target, body);
  }
  [[nodiscard]] std::uint16_t control_port() const { return control_port_; }

 private:
  asio::io_context io_;
  std::unique_ptr<sim::live::LiveSimulator> simulator_;
  nlohmann::json ready_;
  std::thread thread_;
  std::uint16_t control_port_ = 0;
};

}  // namespace fusebox::testing
