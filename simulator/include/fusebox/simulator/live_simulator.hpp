#pragma once
// The live simulator: every configured channel served on loopback, its model driven in real
// time on one io_context thread, plus the control API. Optional sender threads write the
// plain-HTTP wallet channels' late answers (those that waited for a latency), so that a
// burst of them leaves on more than one core. `fusebox simulator` wires it to the command
// line; tests run it in-process.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "fusebox/simulator/channel_config.hpp"

namespace fusebox::sim::live {

class LiveSimulator {
 public:
  // `send_threads`: how many sender threads (0: every answer is written on `io`'s thread).
  LiveSimulator(boost::asio::io_context& io, SimulatorSpec spec, std::size_t send_threads = 0);
  ~LiveSimulator();
  LiveSimulator(const LiveSimulator&) = delete;
  LiveSimulator& operator=(const LiveSimulator&) = delete;

  // Binds every listener (throws std::system_error naming the address on failure) and
  // returns the ready line: {"control": URL, "seed": N, "channels": {name: {...}}}.
  [[nodiscard]] nlohmann::json start();
  // Closes every listener and connection; pending timers are dropped.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusebox::sim::live
