#pragma once
// One bank-binary front-end node: a raw TCP listener whose connections carry length-prefixed
// frames, pipelined, each answered when its channel decides (responses may overtake each
// other; the trace number matches them). It acts out black hole, reset, truncation and slow
// dribble on the wire, and can close its listener (refused connections) and reopen it.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim::live {

// Sends one response frame body with its delivery, now; never call it for a black hole.
using FrameSend = std::function<void(std::string body, Delivery delivery)>;
// Handles one received frame body; calls `send` zero or more times, now or later.
using FrameHandler = std::function<void(std::string body, FrameSend send)>;

class BankNodeServer {
 public:
  BankNodeServer(boost::asio::io_context& io, FrameHandler handler,
                 std::size_t max_connections = 10'000);
  ~BankNodeServer();
  BankNodeServer(const BankNodeServer&) = delete;
  BankNodeServer& operator=(const BankNodeServer&) = delete;

  std::uint16_t listen(const std::string& host, std::uint16_t port);
  void stop_accepting();
  void resume_accepting();
  void stop();
  [[nodiscard]] bool accepting() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace fusebox::sim::live
