// `fusebox simulator`: every configured channel on loopback until SIGINT or SIGTERM.
#include "simulator_command.hpp"

#include <csignal>
#include <ostream>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "fusebox/harness/cli.hpp"
#include "fusebox/simulator/live_simulator.hpp"

namespace fusebox::harness {

int run_simulator(const SimulatorOptions& options, std::ostream& out, std::ostream& err) {
  sim::SimulatorSpec spec;
  try {
    spec = options.config.empty()
               ? sim::default_simulator()
               : sim::parse_simulator(ConfigDocument::load_file(options.config).root());
  } catch (const ConfigError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  }
  if (options.seed) spec.seed = *options.seed;
  err << "fusebox simulator: seed " << spec.seed << "\n";

  boost::asio::io_context io;
  sim::live::LiveSimulator simulator(io, spec, options.send_threads);
  try {
    out << simulator.start().dump() << std::endl;  // the ready line: scripts never guess ports
  } catch (const std::system_error& e) {
    err << "fusebox simulator: cannot listen on " << spec.host << ": " << e.what() << "\n";
    return kExitBadInput;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    err << "fusebox simulator: signal " << signal << ", stopping\n";
    simulator.stop();
    io.stop();
  });
  io.run();
  return kExitOk;
}

}  // namespace fusebox::harness
