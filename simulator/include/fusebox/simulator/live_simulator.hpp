#pragma once
// The live simulator: every configured channel served on loopback, its model driven in real
// time on one io_context thread, plus the control API. `fusebox simulator` wires it to the
// command line; tests run it in-process.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "fusebox/simulator/channel_config.hpp"

namespace fusebox::sim::live {

class LiveSimulator {
 public:
  LiveSimulator(boost::asio::io_context& io, SimulatorSpec spec);
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
